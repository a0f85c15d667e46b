"""A reviewer's corrections, read back from the .txt and .docx exports and kept beside the automatic text."""

import io
import json

import pytest
from click.testing import CliRunner
from docx import Document
from pypdf import PdfReader

from cli.main import cli
from evidence.bundle import render
from evidence.corrections import apply_corrections
from evidence.errors import InputError
from evidence.exports import to_docx, to_txt, transcript_lines
from evidence.report import to_json


@pytest.fixture
def txt(speech_report, tmp_path):
    path = tmp_path / "corrected.txt"
    path.write_text(to_txt(speech_report))
    return path


def edit_txt(path, number, new_body):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(f"{number} "):
            head = line[: line.index("]") + 1]
            lines[i] = f"{head}  {new_body}"
    path.write_text("\n".join(lines) + "\n")


def test_txt_correction_is_kept_beside_the_automatic_text(speech_report, txt):
    automatic = transcript_lines(speech_report)[0]
    edit_txt(txt, 1, "Speaker 2: Please send the report to the family court by Friday.")
    reviewed = apply_corrections(speech_report, txt, reviewed_by="A. Solicitor")
    (line,) = [r for r in reviewed.reviewed_transcript.lines if r.number == 1]
    assert line.text == "Please send the report to the family court by Friday."
    assert (line.speaker, line.automatic_speaker) == ("Speaker 2", automatic.speaker)
    assert line.automatic_text == automatic.text and line.start_s == automatic.start_s
    assert reviewed.transcript == speech_report.transcript  # the automatic transcript is untouched
    s = reviewed.reviewed_transcript.summary
    assert s["lines_changed"] == 1 and s["speakers_changed"] == 1 and s["words_inserted"] >= 1
    assert "family court" in to_txt(reviewed) and "reviewed by a person (A. Solicitor)" in to_txt(reviewed)


def test_docx_correction_and_the_bundle_lists_it(speech_report, tmp_path):
    doc = Document(io.BytesIO(to_docx(speech_report)))
    row = doc.tables[0].rows[1]
    row.cells[-1].text = "Please send the reports to court on Friday."
    path = tmp_path / "corrected.docx"
    doc.save(path)
    reviewed = apply_corrections(speech_report, path)
    assert reviewed.reviewed_transcript.lines[0].text == "Please send the reports to court on Friday."
    pdf = tmp_path / "bundle.pdf"
    pdf.write_bytes(render(reviewed))
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Corrections" in text and "reports to court on Friday" in text
    assert transcript_lines(speech_report)[0].text.split()[0] in text


def test_unchanged_file_changes_nothing(speech_report, txt):
    reviewed = apply_corrections(speech_report, txt)
    assert reviewed.reviewed_transcript.summary["lines_changed"] == 0


@pytest.mark.parametrize("change, message", [
    (lambda text: text.replace("   1  [", "   7  ["), "line 7 is not in the automatic transcript"),
    (lambda text: "\n".join(line for line in text.splitlines() if not line.strip().startswith("1 ")), "line 1 is missing"),
    (lambda text: text + text.splitlines()[-1] + "\n", "appears twice"),
])
def test_line_rules(speech_report, txt, change, message):
    txt.write_text(change(txt.read_text()))
    with pytest.raises(InputError, match=message):
        apply_corrections(speech_report, txt)


def test_other_formats_are_refused(speech_report, tmp_path):
    path = tmp_path / "corrected.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match=r"\.docx or \.txt"):
        apply_corrections(speech_report, path)


def test_cli_apply_corrections(speech_report, txt, tmp_path):
    report = tmp_path / "report.json"
    report.write_text(to_json(speech_report))
    edit_txt(txt, 1, "Please send it by Friday.")
    out = tmp_path / "reviewed"
    result = CliRunner().invoke(cli, ["transcript", "apply-corrections", str(report), str(txt), "-o", str(out),
                                      "--reviewed-by", "A. Solicitor"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text())
    assert data["reviewed_transcript"]["lines"][0]["text"] == "Please send it by Friday."
    assert data["transcript"] == json.loads(report.read_text())["transcript"]
    assert "Please send it by Friday." in (out / "transcript.txt").read_text()
    assert (out / "bundle.pdf").is_file()


def test_renaming_after_review_keeps_the_corrections(speech_report, txt):
    edit_txt(txt, 1, "Please send the report to the judge by Friday.")
    reviewed = apply_corrections(speech_report, txt)
    from evidence.corrections import renamed

    again = renamed(reviewed, {"Speaker 1": "Ms A"})
    line = again.reviewed_transcript.lines[0]
    assert (line.speaker, line.automatic_speaker) == ("Ms A", "Ms A")
    assert line.text == "Please send the report to the judge by Friday."
    assert again.reviewed_transcript.summary == reviewed.reviewed_transcript.summary
    with pytest.raises(InputError, match="no such speaker: Speaker 7"):
        renamed(reviewed, {"Speaker 7": "X"})


def test_the_stored_announcement_check_follows_the_corrected_transcript(speech_report, tmp_path):
    from evidence.exports import automatic_lines, txt_line

    lines = automatic_lines(speech_report)
    assert speech_report.announcement.verdict == "not-found"
    corrected = tmp_path / "corrected.txt"
    corrected.write_text("\n".join(txt_line(n, line.start_s, "I am recording this meeting." if n == 1 else line.text)
                                   for n, line in enumerate(lines, 1)) + "\n")
    reviewed = apply_corrections(speech_report, corrected)
    assert reviewed.announcement.verdict == "announced-before-discussion"
    assert reviewed.announcement.mentions[0].line == 1
