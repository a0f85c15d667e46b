"""How a transcript is shown to people: uncertain words, unusable segments and long silences marked
(GUIDE.md section 3). The report keeps Whisper's raw segments and words; every rendering (text,
subtitles, PDF) goes through `lines`, with the thresholds recorded in the report's parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidence.report import Segment, Transcript
from evidence.timecode import hms

PARAMETERS = {
    "unclear_below_probability": 0.5,
    "inaudible_above_compression_ratio": 2.4,
    "inaudible_below_avg_logprob": -1.0,
    "inaudible_above_no_speech_prob": 0.6,
    "pause_s": 5.0,
}


@dataclass(frozen=True)
class Line:
    start_s: float
    end_s: float
    text: str
    kind: str  # "speech", "inaudible" or "pause"


def inaudible(segment: Segment, params: dict[str, Any]) -> bool:
    """Whisper's own warning signs: repetitive output, low confidence, or probably no speech at all."""
    return (segment.compression_ratio > params["inaudible_above_compression_ratio"]
            or segment.avg_logprob < params["inaudible_below_avg_logprob"]
            or segment.no_speech_prob > params["inaudible_above_no_speech_prob"])


def marked_text(segment: Segment, params: dict[str, Any]) -> str:
    if not segment.words:
        return segment.text.strip()
    threshold = params["unclear_below_probability"]
    pieces = [w.text if w.probability >= threshold else f" [unclear: {w.text.strip()}?]" for w in segment.words]
    return "".join(pieces).strip()


def lines(transcript: Transcript | None, params: dict[str, Any] | None = None) -> list[Line]:
    """The transcript as numbered-line material: speech, [inaudible hh:mm:ss] and [pause N s]."""
    if transcript is None:
        return []
    params = {**PARAMETERS, **(params or {})}
    out: list[Line] = []
    previous_end_s = 0.0
    for segment in transcript.segments:
        if not segment.text.strip():
            continue
        gap_s = segment.start_s - previous_end_s
        if gap_s >= params["pause_s"]:
            out.append(Line(previous_end_s, segment.start_s, f"[pause {gap_s:.0f} s]", "pause"))
        if inaudible(segment, params):
            out.append(Line(segment.start_s, segment.end_s, f"[inaudible {hms(segment.start_s)}]", "inaudible"))
        else:
            out.append(Line(segment.start_s, segment.end_s, marked_text(segment, params), "speech"))
        previous_end_s = segment.end_s
    return out
