"""Page template of the bundle: A4, 11 pt text, "Page X of Y" and the file's SHA-256 in every footer,
PDF bookmarks and a hyperlinked index for every section (PD27A e-bundle conventions)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph
from reportlab.platypus.tableofcontents import TableOfContents

PAGE_SIZE = A4
MARGIN_PT = 20 * mm
FOOTER_PT = 12 * mm
BODY_PT = 11
FRAME_WIDTH_PT = PAGE_SIZE[0] - 2 * MARGIN_PT

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _register_fonts() -> tuple[str, str, str]:
    """(regular, bold, monospace) font names. DejaVu covers far more scripts than the 14 standard
    PDF fonts, so names and transcripts in other languages print; reportlab's own Vera is the fallback."""
    candidates = [
        (_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf", _DEJAVU / "DejaVuSansMono.ttf"),
    ]
    import reportlab

    vera = Path(reportlab.__file__).parent / "fonts"
    candidates.append((vera / "Vera.ttf", vera / "VeraBd.ttf", vera / "VeraMono.ttf"))
    for regular, bold, mono in candidates:
        if regular.is_file() and bold.is_file():
            if "EvSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("EvSans", str(regular)))
                pdfmetrics.registerFont(TTFont("EvSans-Bold", str(bold)))
                if mono.is_file():
                    pdfmetrics.registerFont(TTFont("EvMono", str(mono)))
            mono_name = "EvMono" if "EvMono" in pdfmetrics.getRegisteredFontNames() else "Courier"
            return "EvSans", "EvSans-Bold", mono_name
    return "Helvetica", "Helvetica-Bold", "Courier"


FONT, FONT_BOLD, FONT_MONO = _register_fonts()

STYLES = {
    "body": ParagraphStyle("body", fontName=FONT, fontSize=BODY_PT, leading=BODY_PT * 1.35, spaceAfter=6),
    "small": ParagraphStyle("small", fontName=FONT, fontSize=9.5, leading=12),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=10, leading=12.5),
    "cell_bold": ParagraphStyle("cell_bold", fontName=FONT_BOLD, fontSize=10, leading=12.5),
    "mono": ParagraphStyle("mono", fontName=FONT_MONO, fontSize=8.5, leading=11, splitLongWords=False),
    "mono_wrap": ParagraphStyle("mono_wrap", fontName=FONT_MONO, fontSize=7.5, leading=9.5),
    "h1": ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=16, leading=20, spaceBefore=4, spaceAfter=10),
    "h2": ParagraphStyle("h2", fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=6),
    "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=22, leading=28, alignment=TA_CENTER, spaceAfter=18),
    "subtitle": ParagraphStyle("subtitle", fontName=FONT, fontSize=12, leading=16, alignment=TA_CENTER, spaceAfter=6),
    "toc1": ParagraphStyle("toc1", fontName=FONT, fontSize=BODY_PT, leading=16, leftIndent=0),
    "toc2": ParagraphStyle("toc2", fontName=FONT, fontSize=10, leading=14, leftIndent=14),
}

GRID = colors.Color(0.7, 0.7, 0.7)
SHADE = colors.Color(0.93, 0.93, 0.93)


class Heading(Paragraph):
    """A section heading: gets a bookmark, an outline entry and an index line."""

    def __init__(self, text: str, level: int, key: str):
        super().__init__(text, STYLES["h1" if level == 0 else "h2"])
        self.level = level
        self.key = key


def table_of_contents() -> TableOfContents:
    toc = TableOfContents()
    toc.levelStyles = [STYLES["toc1"], STYLES["toc2"]]
    toc.dotsMinLevel = 0
    return toc


def _numbered_canvas(footer: str, header: str):
    """A canvas that holds every page until the end so each footer can say "Page X of Y"; every page
    also names the recording (header) and carries its SHA-256 (footer)."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int):
            self.saveState()
            self.setStrokeColor(GRID)
            self.line(MARGIN_PT, FOOTER_PT + 10, PAGE_SIZE[0] - MARGIN_PT, FOOTER_PT + 10)
            self.setFont(FONT_MONO, 7.5)
            self.drawString(MARGIN_PT, FOOTER_PT, footer)
            self.setFont(FONT, 9)
            self.drawRightString(PAGE_SIZE[0] - MARGIN_PT, FOOTER_PT, f"Page {self._pageNumber} of {total}")
            self.setFont(FONT, 8.5)
            self.setFillColor(colors.Color(0.35, 0.35, 0.35))
            self.drawString(MARGIN_PT, PAGE_SIZE[1] - MARGIN_PT + 14, header)
            self.restoreState()

    return NumberedCanvas


class BundleDocument(BaseDocTemplate):
    def __init__(self, target, title: str, subject: str):
        super().__init__(
            target,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_PT,
            rightMargin=MARGIN_PT,
            topMargin=MARGIN_PT,
            bottomMargin=MARGIN_PT + 8 * mm,
            title=title,
            subject=subject,
            author="evidence",
            creator="evidence",
            invariant=1,
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def afterFlowable(self, flowable):
        if isinstance(flowable, Heading):
            text = flowable.getPlainText()
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(text, flowable.key, level=flowable.level, closed=False)
            self.notify("TOCEntry", (flowable.level, text, self.page, flowable.key))


def build(target, story: list, title: str, subject: str, footer: str, header: str) -> None:
    """Lay out `story` with `header` atop and `footer` (a file's SHA-256) and "Page X of Y" below every page."""
    doc = BundleDocument(target, title=title, subject=subject)
    doc.multiBuild(story, canvasmaker=_numbered_canvas(footer, header))
