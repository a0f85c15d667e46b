"""The PDF of `evidence align`: both files, the offset and drift, a timeline of A and B with what they
share and what each holds alone, the differences in plain words, and what it cannot prove; align.json
attached."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from pypdf import PdfWriter
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.platypus import Spacer

from evidence.align import ALIGNED, MIN_DIFFERENCE_S, Alignment, to_json
from evidence.bundle import layout
from evidence.bundle.blocks import field_table, grid_table, mono, para
from evidence.bundle.figures import GONE, TICK_STEPS_S
from evidence.bundle.layout import FONT, FRAME_WIDTH_PT, Heading
from evidence.timecode import hms, hms_ms

ATTACHMENT_NAME = "align.json"
SHARED = colors.Color(0.20, 0.45, 0.70)


def alignment_timeline(a: Alignment, width: float) -> Drawing:
    """A (top) and B (bottom), each on its own clock but one scale: the stretches they share in blue,
    joined where they match; what one holds and the other does not outlined in red."""
    height, bar_h, top_y, bottom_y, label_w = 132, 16, 92, 24, 30
    drawing = Drawing(width, height)
    span_s = max(a.a.duration_s, a.b.duration_s, 1e-6)
    plot_w = width - label_w

    def x(t_s: float) -> float:
        return label_w + t_s / span_s * plot_w

    for y, length_s, name in ((top_y, a.a.duration_s, "A"), (bottom_y, a.b.duration_s, "B")):
        drawing.add(String(0, y + 4, name, fontName=FONT, fontSize=9))
        drawing.add(Rect(x(0), y, x(length_s) - x(0), bar_h, fillColor=colors.Color(0.92, 0.92, 0.92),
                         strokeColor=colors.grey, strokeWidth=0.5))
    light = colors.Color(SHARED.red, SHARED.green, SHARED.blue, alpha=0.2)
    for p in a.pieces:
        drawing.add(Polygon([x(p.a_start_s), top_y, x(p.a_end_s), top_y, x(p.b_end_s), bottom_y + bar_h,
                             x(p.b_start_s), bottom_y + bar_h], fillColor=light, strokeColor=SHARED, strokeWidth=0.3))
        drawing.add(Rect(x(p.a_start_s), top_y, x(p.a_end_s) - x(p.a_start_s), bar_h, fillColor=SHARED,
                         strokeColor=SHARED, strokeWidth=0.3))
        drawing.add(Rect(x(p.b_start_s), bottom_y, x(p.b_end_s) - x(p.b_start_s), bar_h, fillColor=SHARED,
                         strokeColor=SHARED, strokeWidth=0.3))
    for n, d in enumerate(a.differences, 1):
        y = top_y if d.holder == "A" else bottom_y
        drawing.add(Rect(x(d.start_s), y - 3, max(1.5, x(d.end_s) - x(d.start_s)), bar_h + 6, fillColor=None,
                         strokeColor=GONE, strokeWidth=1.2))
        drawing.add(String((x(d.start_s) + x(d.end_s)) / 2, y + bar_h + 5 if d.holder == "A" else y - 12, str(n),
                           fontName=FONT, fontSize=7.5, textAnchor="middle", fillColor=GONE))
    step = next((s for s in TICK_STEPS_S if span_s / s <= 10), TICK_STEPS_S[-1])
    tick = 0.0
    while tick <= span_s + 1e-9:
        drawing.add(Line(x(tick), bottom_y - 3, x(tick), bottom_y, strokeColor=colors.grey, strokeWidth=0.5))
        anchor = "start" if tick == 0 else ("end" if x(tick) > width - 20 else "middle")
        drawing.add(String(x(tick), bottom_y - 22, hms(tick), fontName=FONT, fontSize=7, textAnchor=anchor))
        tick += step
    drawing.add(Rect(label_w, height - 9, 8, 8, fillColor=SHARED, strokeColor=SHARED))
    drawing.add(String(label_w + 12, height - 8, "the same sound in both", fontName=FONT, fontSize=8))
    drawing.add(Rect(label_w + 130, height - 9, 8, 8, fillColor=None, strokeColor=GONE, strokeWidth=1.2))
    drawing.add(String(label_w + 142, height - 8, "sound in one that the other does not hold (numbered as listed)",
                       fontName=FONT, fontSize=8))
    return drawing


def _files(a: Alignment) -> list:
    story = []
    for title, side in (("A", a.a), ("B", a.b)):
        story += [para(f"<b>{title}</b>", "h2"), field_table([
            ("File name", side.name), ("Path", side.path),
            ("SHA-256", mono(side.sha256)),
            ("Decoded duration", f"{side.duration_s:.3f} s ({hms_ms(side.duration_s)})"),
            ("Seconds with sound", f"{side.sound_s:.1f} s"),
        ])]
    story.append(para("Each file was hashed before it was read and again after; both hashes agreed. Neither file "
                      "was changed.", "small"))
    return story


def story(a: Alignment) -> list:
    aligned = a.verdict == ALIGNED
    line = []
    if aligned:
        line = [field_table([
            ("Offset", f"{a.offset_s:+.3f} s: A's 00:00:00 is B's {hms_ms(a.offset_s)}"
                       if a.offset_s >= 0 else f"{a.offset_s:+.3f} s: B's 00:00:00 is A's {hms_ms(-a.offset_s)}"),
            ("Clock drift", f"{a.drift_ppm:+.1f} ppm (B's clock against A's: {a.drift_ppm * 3.6e-3:+.2f} s an hour)"),
            ("Fit", f"{sum(x.used for x in a.lags)} of {len(a.lags)} windows agree; RMS distance from the line "
                    f"{a.residual_ms:.1f} ms"),
        ])]
    rows = [["#", "Held by", "From – to (in it)", "Sound", "In the other", "What it means"]]
    for n, d in enumerate(a.differences, 1):
        other = ("–" if d.other_start_s is None and d.other_end_s is None else
                 f"{hms(d.other_start_s) if d.other_start_s is not None else '…'} – "
                 f"{hms(d.other_end_s) if d.other_end_s is not None else '…'}")
        rows.append([str(n), d.holder, f"{hms(d.start_s)} – {hms(d.end_s)}", f"{d.sound_s:.1f} s", other,
                     escape(d.text)])
    pieces = [["A", "B", "Length"]] + [[f"{hms_ms(p.a_start_s)} – {hms_ms(p.a_end_s)}",
                                        f"{hms_ms(p.b_start_s)} – {hms_ms(p.b_end_s)}",
                                        f"{p.a_end_s - p.a_start_s:.1f} s"] for p in a.pieces]
    return [
        para("Two recordings of one meeting, lined up", "title"),
        Heading("1. Result", 0, "result"),
        para(f"<b>{escape(a.verdict)}.</b> {escape(a.summary)}"),
        *line,
        Spacer(1, 6),
        alignment_timeline(a, FRAME_WIDTH_PT),
        para("Blue bands are stretches where both recordings hold the same sound, joined from A's time to B's. Red "
             "outlines mark sound that one holds and the other does not at the matching time.", "small"),
        Heading("2. Differences", 0, "differences"),
        grid_table(rows, [18, 38, 82, 44, 82, FRAME_WIDTH_PT - 264], header=True) if a.differences else
        para(f"Neither recording holds {MIN_DIFFERENCE_S:.0f} s or more of sound that the other does not."),
        Spacer(1, 8),
        Heading("3. Stretches held by both", 0, "pieces"),
        grid_table(pieces, [150, 150, 80], header=True) if a.pieces else para("None was found."),
        Heading("4. The two files", 0, "files"),
        *_files(a),
        Heading("5. Method, and what it cannot prove", 0, "method"),
        para("Both files were decoded with ffmpeg (so format, bit rate and container do not matter) and reduced, "
             "every 10 ms, to the energy in 8 frequency bands between 200 and 3600 Hz, measured above each band's own "
             "background and relative to its level over the surrounding 2 s, so that different microphones, rooms, "
             "levels and codecs cancel out and the rise and fall of words remains. Windows of A (30 s and 10 s) were "
             "matched against the whole of B; the time differences of the good matches were fitted with straight "
             "lines of one common slope (the clock drift), one line for each stretch between gaps. Each moment of each "
             "recording was then given the line on which the other matches it over 2 s, or none; sound with none is "
             "listed as a difference. The transcripts' words were not used."),
        para(escape(a.cannot_prove)),
        para(f"evidence {escape(a.tool_version)}; parameters: "
             + escape(", ".join(f"{k}={v}" for k, v in a.parameters.items())) + ".", "small"),
    ]


def render_alignment(a: Alignment) -> bytes:
    pdf = io.BytesIO()
    layout.build(
        pdf,
        story(a),
        title=f"Two recordings lined up: {a.a.name} and {a.b.name}",
        subject=f"A SHA-256 {a.a.sha256}; B SHA-256 {a.b.sha256}",
        footer=f"A SHA-256 {a.a.sha256[:16]}…  B SHA-256 {a.b.sha256[:16]}…",
        header=f"{a.a.name} (A) and {a.b.name} (B)",
    )
    writer = PdfWriter(clone_from=io.BytesIO(pdf.getvalue()))
    writer.add_attachment(ATTACHMENT_NAME, to_json(a).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
