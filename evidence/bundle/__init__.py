"""The PDF bundle, rendered from a Report alone, with the JSON report attached inside it."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.platypus import PageBreak

from evidence.bundle import layout
from evidence.bundle.sections import SECTIONS
from evidence.errors import InputError
from evidence.report import Report, from_json, to_json
from evidence.timecode import hms

ATTACHMENT_NAME = "report.json"


def render(report: Report) -> bytes:
    """The bundle as PDF bytes: sections from the report, then report.json attached."""
    cover, *sections = SECTIONS
    story = cover(report)
    for n, section in enumerate(sections):
        story += section(report)
        if n < len(sections) - 1:
            story.append(PageBreak())
    pdf = io.BytesIO()
    layout.build(
        pdf,
        story,
        title=f"Recording integrity bundle: {report.file.name}",
        subject=f"SHA-256 {report.file.hashes_before.sha256}",
        footer=f"File SHA-256 {report.file.hashes_before.sha256}",
        header=f"{report.file.name} · duration {hms(report.media.decoded_duration_s or 0)}"
        + (f" · exhibit {report.provenance.exhibit}" if report.provenance.exhibit else ""),
    )
    writer = PdfWriter(clone_from=io.BytesIO(pdf.getvalue()))
    writer.add_attachment(ATTACHMENT_NAME, to_json(report).encode("utf-8"))
    if report.custody_log:
        writer.add_attachment("custody.jsonl", "".join(line + "\n" for line in report.custody_log).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def read_attached_report(pdf_path: str | Path) -> Report:
    """The JSON report attached to a bundle PDF."""
    p = Path(pdf_path)
    try:
        reader = PdfReader(p)
        attachments = reader.attachments
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (PdfReadError, OSError, ValueError) as e:
        raise InputError(f"{p}: not a readable PDF ({e})") from None
    if ATTACHMENT_NAME not in attachments:
        raise InputError(f"{p}: this PDF has no attached {ATTACHMENT_NAME}; it is not an evidence bundle")
    return from_json(attachments[ATTACHMENT_NAME][0].decode("utf-8"), f"{p} ({ATTACHMENT_NAME})")
