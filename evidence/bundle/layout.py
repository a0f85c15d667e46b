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
from reportlab.platypus.doctemplate import IndexingFlowable
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


class PageTotal(IndexingFlowable):
    """Put first in the story (a page with room for it: it takes none): it keeps `multiBuild` making
    passes until two passes end with the same number of pages, so that the last pass can print "Page X
    of Y" from the one before. (Holding every page's drawing until the end to count them cost about 30 MB
    more at the peak on a ten-hour report of 2,640 findings and 81,780 words.)"""

    def __init__(self, doc: BaseDocTemplate):
        super().__init__()
        self._doc = doc
        self.last_pass: int | None = None
        self.this_pass: int | None = None

    def isSatisfied(self) -> bool:
        return self.this_pass is not None and self.this_pass == self.last_pass

    def beforeBuild(self) -> None:
        self.last_pass, self.this_pass = self.this_pass, None

    def afterBuild(self) -> None:
        self.this_pass = self._doc.page

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self) -> None:
        pass


class BundleDocument(BaseDocTemplate):
    """Every page names the recording (`header`) and carries its SHA-256 (`footer`) and "Page X of Y"."""

    def __init__(self, target, title: str, subject: str, footer: str, header: str):
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
        self.footer, self.header = footer, header
        self.page_total = PageTotal(self)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=self._decorate)])

    def _decorate(self, canv: canvas.Canvas, doc) -> None:
        total = self.page_total.last_pass or "?"  # "?" only in passes before the last
        canv.saveState()
        canv.setStrokeColor(GRID)
        canv.line(MARGIN_PT, FOOTER_PT + 10, PAGE_SIZE[0] - MARGIN_PT, FOOTER_PT + 10)
        canv.setFont(FONT_MONO, 7.5)
        canv.drawString(MARGIN_PT, FOOTER_PT, self.footer)
        canv.setFont(FONT, 9)
        canv.drawRightString(PAGE_SIZE[0] - MARGIN_PT, FOOTER_PT, f"Page {canv.getPageNumber()} of {total}")
        canv.setFont(FONT, 8.5)
        canv.setFillColor(colors.Color(0.35, 0.35, 0.35))
        canv.drawString(MARGIN_PT, PAGE_SIZE[1] - MARGIN_PT + 14, self.header)
        canv.restoreState()

    def afterFlowable(self, flowable):
        if isinstance(flowable, Heading):
            text = flowable.getPlainText()
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(text, flowable.key, level=flowable.level, closed=False)
            self.notify("TOCEntry", (flowable.level, text, self.page, flowable.key))


def build(target, story: list, title: str, subject: str, footer: str, header: str) -> None:
    """Lay out `story` with `header` atop and `footer` (a file's SHA-256) and "Page X of Y" below every page."""
    doc = BundleDocument(target, title=title, subject=subject, footer=footer, header=header)
    doc.multiBuild([doc.page_total, *story])
