"""Transcript exports rendered from a Report: plain text, SubRip (.srt) and WebVTT (.vtt)."""

from __future__ import annotations

from evidence.report import Report
from evidence.timecode import hms, hms_ms
from evidence.transcribe.marks import Line, lines

DRAFT_NOTICE = "Automatic draft transcript produced by speech recognition; it has not been verified by a person."


def transcript_lines(report: Report) -> list[Line]:
    """The report's transcript as marked lines, with the thresholds the report recorded."""
    return lines(report.transcript, report.parameters.get("transcript_marks"))


def _cues(report: Report) -> list[Line]:
    return [line for line in transcript_lines(report) if line.kind != "pause"]


def to_txt(report: Report) -> str:
    t = report.transcript
    out = [
        f"Transcript of {report.file.name}",
        f"File SHA-256: {report.file.hashes_before.sha256}",
        f"Duration: {hms(report.media.decoded_duration_s or 0)}",
        *([f"Engine: {t.engine} ({t.engine_version}); model {t.model.name}, SHA-256 {t.model.sha256}"] if t else []),
        DRAFT_NOTICE,
        "",
    ]
    body = transcript_lines(report)
    out += [f"{n:>4}  [{hms(line.start_s)}]  {line.text}" for n, line in enumerate(body, 1)]
    if not body:
        out.append("(no speech was transcribed)")
    return "\n".join(out) + "\n"


def to_srt(report: Report) -> str:
    blocks = [
        f"{n}\n{hms_ms(s.start_s, ',')} --> {hms_ms(s.end_s, ',')}\n{s.text}\n"
        for n, s in enumerate(_cues(report), 1)
    ]
    return "\n".join(blocks)


def to_vtt(report: Report) -> str:
    blocks = [f"{hms_ms(s.start_s)} --> {hms_ms(s.end_s)}\n{s.text}\n" for s in _cues(report)]
    return "WEBVTT\n\n" + "\n".join(blocks)


EXPORTS = {"txt": to_txt, "srt": to_srt, "vtt": to_vtt}
