import re

from evidence.exports import DRAFT_NOTICE, to_docx, to_json, to_srt, to_txt, to_vtt, transcript_lines


def test_txt_has_hash_notice_and_numbered_timed_lines(speech_report):
    text = to_txt(speech_report)
    assert speech_report.file.hashes_before.sha256 in text
    assert DRAFT_NOTICE in text
    assert re.search(r"^\s+1  \[00:00:0\d\]  \S", text, re.M)


def test_srt_and_vtt_cues_match_lines(speech_report):
    cues = [line for line in transcript_lines(speech_report) if line.kind != "pause"]
    assert cues
    srt, vtt = to_srt(speech_report), to_vtt(speech_report)
    assert len(re.findall(r"^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$", srt, re.M)) == len(cues)
    assert vtt.startswith("WEBVTT\n\n")
    assert len(re.findall(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$", vtt, re.M)) == len(cues)
    for cue in cues:
        assert cue.text in srt and cue.text in vtt


def test_docx_has_header_lines_and_certification(speech_report):
    import io

    from docx import Document

    doc = Document(io.BytesIO(to_docx(speech_report)))
    header = doc.sections[0].header.paragraphs[0].text
    assert speech_report.file.hashes_before.sha256 in header and speech_report.file.name in header
    (table,) = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["Line", "Time", "Speaker", "Text"]
    body = transcript_lines(speech_report)
    assert [r[3] for r in rows[1:]] == [line.text for line in body]
    assert [r[2] for r in rows[1:]] == [line.speaker for line in body] and body[0].speaker == "Speaker 1"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert DRAFT_NOTICE in text and "Reviewer's certification" in text


def test_json_export_holds_the_numbered_lines(speech_report):
    import json

    data = json.loads(to_json(speech_report))
    body = transcript_lines(speech_report)
    assert [line["text"] for line in data["lines"]] == [line.text for line in body]
    assert data["lines"][0]["number"] == 1 and data["file_sha256"] == speech_report.file.hashes_before.sha256
    assert data["status"] == DRAFT_NOTICE
