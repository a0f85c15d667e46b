"""Building blocks of the PDF pages: paragraphs, grid tables, label-value tables, monospace values."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph, Table, TableStyle

from evidence.bundle.layout import FRAME_WIDTH_PT, GRID, SHADE, STYLES

NOT_STATED = "not stated"


def para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


def or_not_stated(value) -> str:
    return escape(str(value)) if value not in (None, "") else f"<i>{NOT_STATED}</i>"


def grid_table(rows: list[list], widths: list[float], header: bool = False) -> Table:
    cells = [[c if not isinstance(c, str) else para(c, "cell") for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE) if header else ("BACKGROUND", (0, 0), (0, -1), SHADE))
    table.setStyle(TableStyle(style))
    return table


def field_table(rows: list[tuple[str, object]]) -> Table:
    label_w = 125
    return grid_table([[para(escape(k), "cell_bold"), v if isinstance(v, Paragraph) else or_not_stated(v)]
                       for k, v in rows], [label_w, FRAME_WIDTH_PT - label_w])


def mono(value: str | None) -> Paragraph | str:
    return para(escape(value), "mono") if value else f"<i>{NOT_STATED}</i>"
