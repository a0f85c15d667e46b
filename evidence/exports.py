"""Transcript exports rendered from a Report: plain text, SubRip (.srt), WebVTT (.vtt) and Word (.docx),
the last so that a solicitor can correct it."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.shared import Pt

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


def to_docx(report: Report) -> bytes:
    """A Word document: file, hash and duration in every page's header, numbered timed lines in a
    table, the draft notice, and a reviewer's certification block."""
    t = report.transcript
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    header = doc.sections[0].header.paragraphs[0]
    header.text = (f"{report.file.name} · SHA-256 {report.file.hashes_before.sha256} · "
                   f"duration {hms(report.media.decoded_duration_s or 0)}")
    header.runs[0].font.size = Pt(8)
    doc.add_heading(f"Transcript of {report.file.name}", level=1)
    doc.add_paragraph(DRAFT_NOTICE).runs[0].bold = True
    if t is not None:
        doc.add_paragraph(f"Engine {t.engine} ({t.engine_version}); model {t.model.name}, SHA-256 {t.model.sha256}; "
                          f"language {t.language}. Times are from the start of the recording.")
    body = transcript_lines(report)
    if body:
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, ("Line", "Time", "Text")):
            cell.text = title
        for n, line in enumerate(body, 1):
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = str(n), hms(line.start_s), line.text
    else:
        doc.add_paragraph("(no speech was transcribed)")
    doc.add_heading("Reviewer's certification", level=2)
    doc.add_paragraph("I have listened to the recording and checked this transcript against it. Corrections are marked.")
    doc.add_paragraph("Name: ______________________   Role: ______________________")
    doc.add_paragraph("Signature: _________________   Date: ______________________")
    out = io.BytesIO()
    doc.save(out)
    return _without_zip_times(out.getvalue())


def _without_zip_times(docx_bytes: bytes) -> bytes:
    """The same package with every member dated 1980-01-01, so that the same report gives the same bytes
    (python-docx stamps each zip member with the time of saving)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(item),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


EXPORTS = {
    "txt": lambda report: to_txt(report).encode("utf-8"),
    "srt": lambda report: to_srt(report).encode("utf-8"),
    "vtt": lambda report: to_vtt(report).encode("utf-8"),
    "docx": to_docx,
}
"""Every transcript export, as bytes, by file extension."""
