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
    return with_attachments(laid_out(story(report), report), report)


def story(report: Report) -> list:
    """The bundle's flowables: the cover, then each section on pages of its own."""
    cover, *sections = SECTIONS
    flowables = cover(report)
    for n, section in enumerate(sections):
        flowables += section(report)
        if n < len(sections) - 1:
            flowables.append(PageBreak())
    return flowables


def laid_out(flowables: list, report: Report) -> bytes:
    """The flowables as PDF pages, each headed with the recording's name and footed with its SHA-256."""
    pdf = io.BytesIO()
    layout.build(
        pdf,
        flowables,
        title=f"Recording integrity bundle: {report.file.name}",
        subject=f"SHA-256 {report.file.hashes_before.sha256}",
        footer=f"File SHA-256 {report.file.hashes_before.sha256}",
        header=f"{report.file.name} · duration {hms(report.media.decoded_duration_s or 0)}"
        + (f" · exhibit {report.provenance.exhibit}" if report.provenance.exhibit else ""),
    )
    return pdf.getvalue()


def with_attachments(pdf: bytes, report: Report) -> bytes:
    """The PDF with report.json (and the case's custody log, if any) attached."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
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
