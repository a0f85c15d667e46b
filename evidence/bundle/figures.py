"""Figures drawn from the report with reportlab's vector graphics (sharp at any zoom, text searchable);
the spectrogram is a small greyscale image."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage
from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from evidence.bundle.layout import FONT
from evidence.report import EnfTrack, Excerpt, Finding
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


def waveform(ex: Excerpt, mark_s: float, width: float, height: float = 60) -> Drawing:
    """Peak envelope of the excerpt, mirrored about the centre line, with the finding's time marked."""
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=None, strokeColor=colors.grey, strokeWidth=0.5))
    n = len(ex.envelope)
    if n:
        peak = max(max(ex.envelope), 1e-6)
        mid = height / 2
        top = [v for i, e in enumerate(ex.envelope) for v in (i / n * width, mid + e / peak * (mid - 2))]
        bottom = [v for i, e in enumerate(ex.envelope) for v in (i / n * width, mid - e / peak * (mid - 2))]
        drawing.add(PolyLine(top, strokeColor=colors.Color(0.1, 0.3, 0.6), strokeWidth=0.6))
        drawing.add(PolyLine(bottom, strokeColor=colors.Color(0.1, 0.3, 0.6), strokeWidth=0.6))
        span_s = n * ex.envelope_step_s
        x = (mark_s - ex.start_s) / span_s * width
        drawing.add(Line(x, 0, x, height, strokeColor=SEVERITY_COLOURS["concern"], strokeWidth=0.8))
        drawing.add(String(2, height - 9, f"{hms(ex.start_s)}", fontName=FONT, fontSize=7))
        drawing.add(String(width - 2, height - 9, f"{hms(ex.start_s + span_s)}", fontName=FONT, fontSize=7,
                           textAnchor="end"))
    return drawing


def spectrogram_png(ex: Excerpt, mark_s: float, range_db: float = 70.0) -> bytes:
    """The excerpt's spectrogram as a greyscale PNG (dark = loud, low frequencies at the bottom), with
    the finding's time as a red column."""
    levels = np.array(ex.spectrogram_db, dtype=float)
    if levels.size == 0:
        levels = np.zeros((1, 1))
    top = levels.max()
    grey = (255 * (1 - np.clip((levels - (top - range_db)) / range_db, 0, 1))).astype(np.uint8)
    image = np.repeat(grey.T[::-1][:, :, None], 3, axis=2)
    column = int((mark_s - ex.start_s) / ex.spectrogram_step_s)
    if 0 <= column < image.shape[1]:
        image[:, column] = (200, 30, 30)
    out = io.BytesIO()
    PILImage.fromarray(image).resize((image.shape[1] * 4, image.shape[0] * 2), PILImage.NEAREST).save(out, "PNG")
    return out.getvalue()


def enf_plot(track: EnfTrack, findings: list[Finding], width: float, height: float = 110) -> Drawing:
    """The hum's frequency over the whole recording, with the located findings as vertical lines."""
    drawing = Drawing(width, height)
    left, bottom, plot_h = 42, 16, height - 26
    plot_w = width - left
    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None, strokeColor=colors.grey, strokeWidth=0.5))
    values = [v for v in track.frequency_hz if v is not None]
    duration_s = max(len(track.frequency_hz) * track.step_s, 1e-6)
    if values:
        low, high = min(values), max(values)
        pad = max((high - low) * 0.1, 0.005)
        low, high = low - pad, high + pad
        run: list[float] = []
        for i, v in enumerate(track.frequency_hz + [None]):
            if v is None:
                if len(run) >= 4:
                    drawing.add(PolyLine(run, strokeColor=colors.Color(0.1, 0.3, 0.6), strokeWidth=0.7))
                run = []
                continue
            run += [left + i * track.step_s / duration_s * plot_w, bottom + (v - low) / (high - low) * plot_h]
        for value, anchor_y in ((high, bottom + plot_h - 7), (low, bottom)):
            drawing.add(String(left - 3, anchor_y, f"{value:.3f}", fontName=FONT, fontSize=7, textAnchor="end"))
    for f in findings:
        x = left + f.start_s / duration_s * plot_w
        drawing.add(Line(x, bottom, x, bottom + plot_h, strokeColor=SEVERITY_COLOURS.get(f.severity, colors.black),
                         strokeWidth=0.7))
    drawing.add(String(left, 3, hms(0), fontName=FONT, fontSize=7))
    drawing.add(String(width, 3, hms(duration_s), fontName=FONT, fontSize=7, textAnchor="end"))
    drawing.add(String(left + 4, height - 8, f"Hz (mains {track.grid_hz:g} Hz, followed at harmonic {track.harmonic})",
                       fontName=FONT, fontSize=7))
    return drawing


def grid_match_plot(figure: dict, width: float, height: float = 120) -> Drawing:
    """The recording's hum track over the stretch of grid record it matched (an enf-grid-match
    finding's `figure`): two lines that should lie on one another, each about its own mean (a
    recorder's clock error shifts the whole track a little)."""
    drawing = Drawing(width, height)
    left, bottom, plot_h = 42, 16, height - 30
    plot_w = width - left
    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None, strokeColor=colors.grey, strokeWidth=0.5))
    series = []
    for name in ("grid_hz", "recording_hz"):
        values = np.array([np.nan if v is None else v for v in figure[name]], dtype=float)
        series.append(values - np.nanmean(values) if np.isfinite(values).any() else values)
    finite = np.concatenate([v[np.isfinite(v)] for v in series])
    count = max(len(series[0]), 2)
    if len(finite):
        span = max(float(np.max(np.abs(finite))) * 1.1, 0.002)
        for values, colour in zip(series, (colors.Color(0.55, 0.55, 0.55), colors.Color(0.1, 0.3, 0.6))):
            run: list[float] = []
            for i, v in enumerate(list(values) + [np.nan]):
                if not np.isfinite(v):
                    if len(run) >= 4:
                        drawing.add(PolyLine(run, strokeColor=colour, strokeWidth=0.8))
                    run = []
                    continue
                run += [left + i / (count - 1) * plot_w, bottom + (v + span) / (2 * span) * plot_h]
        for value, anchor_y in ((span, bottom + plot_h - 7), (-span, bottom)):
            drawing.add(String(left - 3, anchor_y, f"{value * 1000:+.0f} mHz", fontName=FONT, fontSize=7, textAnchor="end"))
    drawing.add(String(left, 3, hms(0), fontName=FONT, fontSize=7))
    drawing.add(String(width, 3, hms((count - 1) * figure["step_s"]), fontName=FONT, fontSize=7, textAnchor="end"))
    drawing.add(String(left + 4, height - 9, "grey: the grid record's frequency; blue: the recording's hum (each about its mean)",
                       fontName=FONT, fontSize=7))
    return drawing


PIECE_COLOURS = [colors.Color(0.20, 0.45, 0.70), colors.Color(0.30, 0.60, 0.35), colors.Color(0.55, 0.35, 0.65),
                 colors.Color(0.75, 0.55, 0.20), colors.Color(0.25, 0.60, 0.65)]
GONE = colors.Color(0.80, 0.10, 0.10)


def comparison_timeline(original_s: float, copy_s: float, pieces: list[tuple[float, float, float, float]],
                        missing: list[tuple[float, float]], added: list[tuple[float, float]], width: float) -> Drawing:
    """The original (top bar) and the copy (bottom bar) on one time scale, each piece of the copy joined
    to where it came from; red marks what is missing from the copy and what the copy adds."""
    height, bar_h, top_y, bottom_y, label_w = 132, 16, 92, 24, 52
    drawing = Drawing(width, height)
    span_s = max(original_s, copy_s, 1e-6)
    plot_w = width - label_w

    def x(t_s: float) -> float:
        return label_w + t_s / span_s * plot_w

    for y, length_s, name in ((top_y, original_s, "Original"), (bottom_y, copy_s, "Copy")):
        drawing.add(String(0, y + 4, name, fontName=FONT, fontSize=8.5))
        drawing.add(Rect(x(0), y, x(length_s) - x(0), bar_h, fillColor=colors.Color(0.92, 0.92, 0.92),
                         strokeColor=colors.grey, strokeWidth=0.5))
    for n, (c0, c1, o0, o1) in enumerate(pieces):
        colour = PIECE_COLOURS[n % len(PIECE_COLOURS)]
        light = colors.Color(colour.red, colour.green, colour.blue, alpha=0.25)
        drawing.add(Polygon([x(o0), top_y, x(o1), top_y, x(c1), bottom_y + bar_h, x(c0), bottom_y + bar_h],
                            fillColor=light, strokeColor=colour, strokeWidth=0.3))
        drawing.add(Rect(x(o0), top_y, x(o1) - x(o0), bar_h, fillColor=colour, strokeColor=colour, strokeWidth=0.3))
        drawing.add(Rect(x(c0), bottom_y, x(c1) - x(c0), bar_h, fillColor=colour, strokeColor=colour, strokeWidth=0.3))
        drawing.add(String((x(c0) + x(c1)) / 2, bottom_y + 4, str(n + 1), fontName=FONT, fontSize=7.5,
                           textAnchor="middle", fillColor=colors.white))
    for y, stretches in ((top_y, missing), (bottom_y, added)):
        for a, b in stretches:
            drawing.add(Rect(x(a), y - 3, max(1.5, x(b) - x(a)), bar_h + 6, fillColor=None, strokeColor=GONE,
                             strokeWidth=1.2))
    step = next((s for s in TICK_STEPS_S if span_s / s <= 10), TICK_STEPS_S[-1])
    tick = 0.0
    while tick <= span_s + 1e-9:
        drawing.add(Line(x(tick), bottom_y - 3, x(tick), bottom_y, strokeColor=colors.grey, strokeWidth=0.5))
        anchor = "start" if tick == 0 else ("end" if x(tick) > width - 20 else "middle")
        drawing.add(String(x(tick), bottom_y - 12, hms(tick), fontName=FONT, fontSize=7, textAnchor=anchor))
        tick += step
    drawing.add(Rect(label_w, height - 9, 8, 8, fillColor=None, strokeColor=GONE, strokeWidth=1.2))
    drawing.add(String(label_w + 12, height - 8, "missing from the copy (top) / not in the original (bottom)",
                       fontName=FONT, fontSize=8))
    return drawing
