"""The PDF of `evidence batch`: one row per recording (file, SHA-256, duration, result in one line,
counts of findings, where its bundle is), from the same rows as index.csv, which it carries attached."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from xml.sax.saxutils import escape

from pypdf import PdfWriter
from reportlab.platypus import Spacer

from evidence import __version__
from evidence.bundle import layout
from evidence.bundle.blocks import grid_table, para
from evidence.bundle.layout import FRAME_WIDTH_PT
from evidence.bundle.sections import ABSENCE_NOTE
from evidence.timecode import hms

ATTACHMENT_NAME = "index.csv"
WIDTHS_PT = [22, 196, 58, FRAME_WIDTH_PT - 22 - 196 - 58]


def _recording(row: dict[str, str]) -> str:
    small = [escape(row[column]) for column in ("sha256", "bundle") if row[column]]
    return "<br/>".join([escape(row["file"])] + [f"<font size=7>{line}</font>" for line in small])


def _result(row: dict[str, str]) -> str:
    if row["state"] == "failed":
        return f"<b>failed</b>: {escape(row['reason'])}"
    counts = f"{row['findings']} findings ({row['concerns']} concern, {row['notices']} notice)"
    lines = [f"<i>{escape(row['state'])}: {escape(row['reason'])}</i>" if row["reason"] else "",
             escape(row["conclusion"]), counts if row["findings"] else ""]
    return "<br/>".join(line for line in lines if line)


def render_index(rows: list[dict[str, str]], table_csv: bytes) -> bytes:
    states = Counter(row["state"] for row in rows)
    skipped = f", {states['skipped']} skipped (named twice)" if states["skipped"] else ""
    table = [["#", "Recording, SHA-256, bundle", "Duration", "Result"]] + [
        [str(n), _recording(row), hms(float(row["duration_s"])) if row["duration_s"] else "", _result(row)]
        for n, row in enumerate(rows, 1)
    ]
    story = [
        para("Batch index", "title"),
        para(f"{len(rows)} recordings: {states['done']} examined, {states['failed']} failed{skipped}. Each "
             "examined recording has its own bundle, named under its SHA-256 (relative to this index's folder); "
             "the result is the first sentence of its conclusion, which the bundle gives in full with what the "
             "tests cannot exclude."),
        para(escape(ABSENCE_NOTE)),
        Spacer(1, 6),
        grid_table(table, WIDTHS_PT, header=True),
        Spacer(1, 8),
        para(f"evidence {escape(__version__)}. The same rows are attached to this PDF as {ATTACHMENT_NAME}.", "small"),
    ]
    csv_sha256 = hashlib.sha256(table_csv).hexdigest()
    pdf = io.BytesIO()
    layout.build(pdf, story, title="Batch index", subject=f"{ATTACHMENT_NAME} SHA-256 {csv_sha256}",
                 footer=f"{ATTACHMENT_NAME} SHA-256 {csv_sha256}", header=f"evidence batch · {len(rows)} recordings")
    writer = PdfWriter(clone_from=io.BytesIO(pdf.getvalue()))
    writer.add_attachment(ATTACHMENT_NAME, table_csv)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
