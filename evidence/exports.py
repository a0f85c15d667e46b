"""Transcript exports rendered from a Report: plain text, SubRip (.srt) and WebVTT (.vtt)."""

from __future__ import annotations

from evidence.report import Report, Transcript
from evidence.timecode import hms, hms_ms

DRAFT_NOTICE = "Automatic draft transcript produced by speech recognition; it has not been verified by a person."


def _segments(report: Report):
    transcript: Transcript | None = report.transcript
    return [s for s in (transcript.segments if transcript else []) if s.text.strip()]


def to_txt(report: Report) -> str:
    t = report.transcript
    lines = [
        f"Transcript of {report.file.name}",
        f"File SHA-256: {report.file.hashes_before.sha256}",
        f"Duration: {hms(report.media.decoded_duration_s or 0)}",
        f"Engine: {t.engine} ({t.engine_version}); model {t.model.name}, SHA-256 {t.model.sha256}" if t else "",
        DRAFT_NOTICE,
        "",
    ]
    segments = _segments(report)
    lines += [f"{n:>4}  [{hms(s.start_s)}]  {s.text}" for n, s in enumerate(segments, 1)]
    if not segments:
        lines.append("(no speech was transcribed)")
    return "\n".join(line for line in lines if line is not None) + "\n"


def to_srt(report: Report) -> str:
    blocks = [
        f"{n}\n{hms_ms(s.start_s, ',')} --> {hms_ms(s.end_s, ',')}\n{s.text}\n"
        for n, s in enumerate(_segments(report), 1)
    ]
    return "\n".join(blocks)


def to_vtt(report: Report) -> str:
    blocks = [f"{hms_ms(s.start_s)} --> {hms_ms(s.end_s)}\n{s.text}\n" for s in _segments(report)]
    return "WEBVTT\n\n" + "\n".join(blocks)


EXPORTS = {"txt": to_txt, "srt": to_srt, "vtt": to_vtt}
