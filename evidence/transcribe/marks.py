"""How a transcript is shown to people: uncertain words, unusable segments and long silences marked
(GUIDE.md section 3). The report keeps Whisper's raw segments and words; every rendering (text,
subtitles, PDF) goes through `lines`, with the thresholds recorded in the report's parameters."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from evidence.report import Segment, SpeakerTurn, Transcript, Word
from evidence.timecode import hms

PARAMETERS = {
    "unclear_below_probability": 0.5,
    "inaudible_above_compression_ratio": 2.4,
    "inaudible_below_avg_logprob": -1.0,
    "inaudible_above_no_speech_prob": 0.6,
    "pause_s": 5.0,
}

MARK_RELIABILITY = ("In our tests about 4 in 10 words marked [unclear] were wrong, and about a third of the wrong "
                    "words were marked.")
"""bench/transcript/marks.py on the generated read-speech sets, marking below probability 0.5: 44% of
marked words wrong, 33% of wrong words marked (on the real call, not chosen on: 50% and 38%);
docs/transcript.md has the curve over thresholds and the phrase rule it was chosen against."""


@dataclass(frozen=True)
class Line:
    start_s: float
    end_s: float
    text: str
    kind: str  # "speech", "inaudible" or "pause"
    speaker: str | None = None
    """The speaker's display name (a --speaker-names name, else "Speaker N"); None without diarisation."""

    @property
    def labelled(self) -> str:
        return f"{self.speaker}: {self.text}" if self.speaker else self.text


def inaudible(segment: Segment, params: dict[str, Any]) -> bool:
    """Whisper's own warning signs: repetitive output, low confidence, or probably no speech at all."""
    return (segment.compression_ratio > params["inaudible_above_compression_ratio"]
            or segment.avg_logprob < params["inaudible_below_avg_logprob"]
            or segment.no_speech_prob > params["inaudible_above_no_speech_prob"])


def marked_words(words: list[Word], params: dict[str, Any]) -> str:
    threshold = params["unclear_below_probability"]
    return "".join(w.text if w.probability >= threshold else f" [unclear: {w.text.strip()}?]" for w in words).strip()


def speaker_at(turns: list[SpeakerTurn], t_s: float) -> str | None:
    """The speaker of the turn holding `t_s`, else of the nearest turn."""
    if not turns:
        return None
    i = bisect.bisect_right([turn.start_s for turn in turns], t_s) - 1
    candidates = [turns[j] for j in (i, i + 1) if 0 <= j < len(turns)]
    return min(candidates, key=lambda turn: max(turn.start_s - t_s, t_s - turn.end_s, 0.0)).speaker


def _speaker_runs(words: list[Word], turns: list[SpeakerTurn]) -> list[tuple[str | None, list[Word]]]:
    runs: list[tuple[str | None, list[Word]]] = []
    for w in words:
        who = speaker_at(turns, (w.start_s + w.end_s) / 2)
        if runs and runs[-1][0] == who:
            runs[-1][1].append(w)
        else:
            runs.append((who, [w]))
    return runs


def lines(transcript: Transcript | None, params: dict[str, Any] | None = None) -> list[Line]:
    """The transcript as numbered-line material: speech, [inaudible hh:mm:ss] and [pause N s]."""
    if transcript is None:
        return []
    params = {**PARAMETERS, **(params or {})}
    turns = transcript.diarization.turns if transcript.diarization else []
    names = transcript.speaker_names

    def display(label: str | None) -> str | None:
        return names.get(label, label) if label else None

    out: list[Line] = []
    previous_end_s = 0.0
    for segment in transcript.segments:
        if not segment.text.strip():
            continue
        gap_s = segment.start_s - previous_end_s
        if gap_s >= params["pause_s"]:
            out.append(Line(previous_end_s, segment.start_s, f"[pause {gap_s:.0f} s]", "pause"))
        middle_s = (segment.start_s + segment.end_s) / 2
        if inaudible(segment, params):
            out.append(Line(segment.start_s, segment.end_s, f"[inaudible {hms(segment.start_s)}]", "inaudible",
                            display(speaker_at(turns, middle_s))))
        elif not segment.words:
            out.append(Line(segment.start_s, segment.end_s, segment.text.strip(), "speech",
                            display(speaker_at(turns, middle_s))))
        else:
            runs = _speaker_runs(segment.words, turns)
            for n, (who, words) in enumerate(runs):
                start_s = segment.start_s if n == 0 else words[0].start_s
                end_s = segment.end_s if n == len(runs) - 1 else words[-1].end_s
                out.append(Line(start_s, end_s, marked_words(words, params), "speech", display(who)))
        previous_end_s = segment.end_s
    return out


@dataclass(frozen=True)
class ToListen:
    number: int
    """The line's number, as the transcript numbers it (from 1)."""
    line: Line
    why: str


def to_listen(numbered: list[Line]) -> list[ToListen]:
    """The lines a reviewer should listen to first, in order: those the recogniser could not transcribe
    reliably and those with words it was unsure of."""
    out = []
    for n, line in enumerate(numbered, 1):
        unclear = line.text.count("[unclear:")
        if line.kind == "inaudible":
            out.append(ToListen(n, line, "not transcribed reliably"))
        elif unclear:
            out.append(ToListen(n, line, f"{unclear} unsure word{'s' if unclear > 1 else ''}"))
    return out
