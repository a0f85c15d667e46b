"""The PDF is rendered by real reportlab and read back with pypdf."""

import io

import pytest
from pypdf import PdfReader

from evidence.bundle import read_attached_report, render
from evidence.errors import InputError


@pytest.fixture(scope="module")
def pdf(speech_report):
    return PdfReader(io.BytesIO(render(speech_report)))


def test_text_holds_hash_and_transcript(pdf, speech_report):
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert speech_report.file.hashes_before.sha256 in text
    for segment in speech_report.transcript.segments:
        assert segment.text in " ".join(text.split())
    assert "not been verified by a person" in text
    assert "does not prove" in text


def test_every_page_is_a4_with_numbered_footer_and_hash(pdf, speech_report):
    total = len(pdf.pages)
    for n, page in enumerate(pdf.pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = page.extract_text()
        assert f"Page {n} of {total}" in text
        assert speech_report.file.hashes_before.sha256 in text


def test_bookmarks_for_every_section(pdf):
    titles = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert titles == ["1. File identification", "2. Technical metadata", "3. Integrity findings",
                      "4. Transcript", "5. Provenance notes", "6. Methods and limitations"]


def test_index_links_to_sections(pdf):
    index_page = pdf.pages[1]
    links = [a.get_object() for a in index_page.get("/Annots", []) if a.get_object()["/Subtype"] == "/Link"]
    assert len(links) >= 6


def test_report_is_attached_and_reads_back(tmp_path, speech_report):
    path = tmp_path / "bundle.pdf"
    path.write_bytes(render(speech_report))
    assert read_attached_report(path) == speech_report


def test_pdf_without_attachment_is_refused(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "plain.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(100, 100, "hello")
    c.save()
    with pytest.raises(InputError, match="not an evidence bundle"):
        read_attached_report(path)
