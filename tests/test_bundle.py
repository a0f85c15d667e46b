"""The PDF is rendered by real reportlab and read back with pypdf."""

import io

import pytest
from pypdf import PdfReader

from evidence.bundle import read_attached_report, render
from evidence.errors import InputError
from evidence.exports import transcript_lines


@pytest.fixture(scope="module")
def pdf(speech_report):
    return PdfReader(io.BytesIO(render(speech_report)))


def test_text_holds_hash_and_transcript(pdf, speech_report):
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert speech_report.file.hashes_before.sha256 in text
    flat = " ".join(text.split())
    for line in transcript_lines(speech_report):
        assert line.text in flat
    for word in (w for s in speech_report.transcript.segments for w in s.words):
        assert word.text.strip() in flat
    assert "not been verified by a person" in text
    assert "does not prove" in text


def test_every_page_is_a4_with_numbered_footer_and_hash(pdf, speech_report):
    total = len(pdf.pages)
    for n, page in enumerate(pdf.pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = page.extract_text()
        assert f"Page {n} of {total}" in text
        assert speech_report.file.hashes_before.sha256 in text
        assert f"{speech_report.file.name} · duration 00:00:0" in text


def test_bookmarks_for_every_section(pdf):
    titles = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert titles == ["1. File identification", "2. Technical metadata", "3. Integrity findings",
                      "4. Transcript", "5. Provenance notes", "6. Methods and limitations", "7. Run record"]


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


@pytest.fixture(scope="module")
def hum_report(fx):
    from evidence import pipeline

    return pipeline.run(fx["hum_cut"], pipeline.RunOptions(transcribe=None))


def test_figures_come_from_the_report(hum_report, tmp_path):
    (jump,) = [f for f in hum_report.findings if f.kind == "enf-phase-jump"]
    assert abs(jump.start_s - 12.0) <= 0.3
    (ex,) = hum_report.excerpts
    assert hum_report.findings[ex.finding_index] == jump
    assert ex.start_s == pytest.approx(jump.start_s - 3.0, abs=0.01)
    assert len(ex.envelope) == 600 and len(ex.spectrogram_db[0]) == 64
    track = [v for v in hum_report.enf_track.frequency_hz if v is not None]
    assert hum_report.enf_track.grid_hz == 50.0 and len(track) >= 15
    assert all(abs(v - 50.0) < 0.1 for v in track)
    # Rebuilt from the JSON alone, the bundle draws the same figures.
    from evidence.report import from_json, to_json

    again = from_json(to_json(hum_report))
    assert again == hum_report
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render(again))).pages)
    assert "Mains hum (ENF) over the recording" in text and "The recording around each finding" in text


def test_recording_without_findings_has_no_excerpts(speech_report):
    assert speech_report.excerpts == [] and speech_report.enf_track is None


def test_lines_to_listen_to_follow_the_transcript(speech_report, pdf):
    import dataclasses

    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Lines to listen to" in text and "words marked [unclear] were wrong" in text
    # Every word sure but the first segment's second, so that the marks do not hang on probabilities near
    # the threshold (which differ between CPUs).
    segments = [dataclasses.replace(s, words=[dataclasses.replace(w, probability=0.1 if (i, j) == (0, 1) else 0.99)
                                              for j, w in enumerate(s.words)])
                for i, s in enumerate(speech_report.transcript.segments)]
    report = dataclasses.replace(speech_report, transcript=dataclasses.replace(speech_report.transcript,
                                                                               segments=segments))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(render(report))).pages).split())
    listed = text[text.rindex("Lines to listen to"):]  # after the table of contents
    numbered = transcript_lines(report)
    unsure = numbered[0].text.count("[unclear:")
    assert unsure >= 1 and all("[unclear:" not in line.text for line in numbered[1:])
    assert f"1 of {len(numbered)} lines have a mark" in listed
    assert f"Line Time Why 1 00:00:00 {unsure} unsure word" in listed
