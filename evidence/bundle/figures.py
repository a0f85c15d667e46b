"""Figures drawn with reportlab's own vector graphics: sharp at any zoom, text stays searchable."""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from evidence.bundle.layout import FONT
from evidence.report import Finding
from evidence.timecode import hms

SEVERITY_COLOURS = {
    "concern": colors.Color(0.80, 0.10, 0.10),
    "notice": colors.Color(0.95, 0.55, 0.05),
    "info": colors.Color(0.55, 0.55, 0.55),
}
TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]


def timeline(findings: list[Finding], duration_s: float, width: float) -> Drawing:
    """The whole recording as a bar, with a mark for every finding located in time."""
    height, bar_y, bar_h = 62, 28, 16
    drawing = Drawing(width, height)
    drawing.add(Rect(0, bar_y, width, bar_h, fillColor=colors.Color(0.92, 0.92, 0.92), strokeColor=colors.grey,
                     strokeWidth=0.5))
    duration_s = max(duration_s, 1e-6)
    step = next((s for s in TICK_STEPS_S if duration_s / s <= 10), TICK_STEPS_S[-1])
    tick = 0.0
    while tick <= duration_s + 1e-9:
        x = tick / duration_s * width
        drawing.add(Line(x, bar_y - 3, x, bar_y, strokeColor=colors.grey, strokeWidth=0.5))
        anchor = "start" if tick == 0 else ("end" if x > width - 20 else "middle")
        drawing.add(String(x, bar_y - 12, hms(tick), fontName=FONT, fontSize=7, textAnchor=anchor))
        tick += step
    for f in findings:
        x = f.start_s / duration_s * width
        w = max(1.5, (f.end_s - f.start_s) / duration_s * width)
        colour = SEVERITY_COLOURS.get(f.severity, colors.black)
        drawing.add(Rect(min(x, width - w), bar_y - 1, w, bar_h + 2, fillColor=colour, strokeColor=colour,
                         strokeWidth=0.3))
    x = 0.0
    for severity, colour in SEVERITY_COLOURS.items():
        drawing.add(Rect(x, height - 9, 8, 8, fillColor=colour, strokeColor=colour))
        drawing.add(String(x + 11, height - 8, severity, fontName=FONT, fontSize=8))
        x += 60
    return drawing
