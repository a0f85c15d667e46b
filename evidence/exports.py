"""Transcript exports rendered from a Report: plain text, SubRip (.srt), WebVTT (.vtt) and Word (.docx),
the last so that a solicitor can correct it."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

from docx import Document
from docx.shared import Pt

from evidence.report import Report
from evidence.timecode import hms, hms_ms
from evidence.transcribe.marks import Line, lines

DRAFT_NOTICE = "Automatic draft transcript produced by speech recognition; it has not been verified by a person."


def automatic_lines(report: Report) -> list[Line]:
    """The automatic transcript as lines, marked with the thresholds the report recorded."""
    return lines(report.transcript, report.parameters.get("transcript_marks"))


def transcript_lines(report: Report) -> list[Line]:
    """The transcript as numbered lines: the reviewed version when a person has corrected it
    (evidence.corrections), else the automatic one."""
    reviewed = report.reviewed_transcript
    if reviewed is not None:
        return [Line(r.start_s, r.end_s, r.text, r.kind, r.speaker) for r in reviewed.lines]
    return automatic_lines(report)


def txt_line(number: int, start_s: float, text: str) -> str:
    """One numbered line of the .txt export, the form evidence.corrections reads back."""
    return f"{number:>4}  [{hms(start_s)}]  {text}"


def status_notice(report: Report) -> str:
    """Whether the transcript shown is the automatic draft or a person's correction of it."""
    reviewed = report.reviewed_transcript
    if reviewed is None:
        return DRAFT_NOTICE
    s = reviewed.summary
    return (f"Transcript reviewed by a person ({reviewed.reviewed_by or 'name not given'}) from the automatic "
            f"draft: {s['lines_changed']} of {s['lines']} lines changed. The automatic version is kept in the "
            "report.")


def has_speakers(report: Report) -> bool:
    return report.transcript is not None and report.transcript.diarization is not None


def speakers_sentence(transcript, with_method: bool = True) -> str:
    """How the speaker labels were made, or why there are none: said wherever the transcript is shown
    (the method's technical name left out where the reader is not expected to know it: the web page)."""
    d = transcript.diarization
    if d is None:
        return f"Speakers are not labelled: {transcript.speakers_note or 'speaker labelling was not run'}."
    fixed = d.parameters.get("speakers_requested")
    if fixed and d.parameters.get("speakers_from") == "others-present":
        count = f"{len(d.speakers)} (the people named as present, plus the person recording)"
    elif fixed:
        count = f"{len(d.speakers)} (as requested)"
    else:
        count = f"{len(d.speakers)} (estimated automatically; often wrong)"
    # A voice's name is said with its sample; a name the user gave for that label instead is said here.
    from_voice = {v.speaker for v in d.voices if v.speaker and transcript.speaker_names.get(v.speaker) == v.name}
    named = ", ".join(f"{k} = {v}" for k, v in transcript.speaker_names.items() if k not in from_voice)
    how = f"by voice ({d.method})" if with_method else "by comparing the voices"
    return (f"Speaker labels were assigned automatically {how}; number of speakers: {count}. "
            "They are a draft and must be checked against the recording."
            + (f" Names given by the user: {named}." if named else "") + voices_sentence(d, transcript.speaker_names))


def voices_sentence(d, names: dict[str, str]) -> str:
    """What each --voice sample found, with the similarity, in words; "" without samples. `names`: the
    names shown, by label (a name given for a label wins over a sample's)."""
    if not d.voices:
        return ""
    least = d.parameters.get("voice_min_similarity")
    said = []
    for v in d.voices:
        if v.speaker and names.get(v.speaker, v.name) != v.name:
            said.append(f"{v.name} (sample {v.source}) matched {v.speaker} (similarity {v.similarity:.2f}), "
                        f"whom the user named {names[v.speaker]}")
        elif v.speaker:
            said.append(f"{v.name} (sample {v.source}) is {v.speaker} (similarity {v.similarity:.2f})")
        elif v.closest and least is not None and v.similarity >= least:
            said.append(f"{v.name} (sample {v.source}) was not found: the closest voice, {v.closest} "
                        f"(similarity {v.similarity:.2f}), was closer to another sample")
        elif v.closest:
            said.append(f"{v.name} (sample {v.source}) was not found: the closest voice, {v.closest}, had "
                        f"similarity {v.similarity:.2f}, below the {least} needed")
        else:
            said.append(f"{v.name} (sample {v.source}) was not looked for: nothing was transcribed")
    return (" Voices named from samples (similarity 1 = the same voice, 0 = unrelated): " + "; ".join(said)
            + ". A sample's match is a comparison of voices by machine, not an identification.")


def _cues(report: Report) -> list[Line]:
    return [line for line in transcript_lines(report) if line.kind != "pause"]


def to_txt(report: Report) -> str:
    t = report.transcript
    out = [
        f"Transcript of {report.file.name}",
        f"File SHA-256: {report.file.hashes_before.sha256}",
        f"Duration: {hms(report.media.decoded_duration_s or 0)}",
        *([f"Engine: {t.engine} ({t.engine_version}); model {t.model.name}, SHA-256 {t.model.sha256}",
           speakers_sentence(t)] if t else []),
        status_notice(report),
        "",
    ]
    body = transcript_lines(report)
    out += [txt_line(n, line.start_s, line.labelled) for n, line in enumerate(body, 1)]
    if not body:
        out.append("(no speech was transcribed)")
    return "\n".join(out) + "\n"


def to_srt(report: Report) -> str:
    blocks = [
        f"{n}\n{hms_ms(s.start_s, ',')} --> {hms_ms(s.end_s, ',')}\n{s.labelled}\n"
        for n, s in enumerate(_cues(report), 1)
    ]
    return "\n".join(blocks)


def to_vtt(report: Report) -> str:
    blocks = [f"{hms_ms(s.start_s)} --> {hms_ms(s.end_s)}\n{f'<v {s.speaker}>' if s.speaker else ''}{s.text}\n"
              for s in _cues(report)]
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
    doc.add_paragraph(status_notice(report)).runs[0].bold = True
    if t is not None:
        doc.add_paragraph(f"Engine {t.engine} ({t.engine_version}); model {t.model.name}, SHA-256 {t.model.sha256}; "
                          f"language {t.language}. Times are from the start of the recording.")
        doc.add_paragraph(speakers_sentence(t))
    body = transcript_lines(report)
    if body:
        titles = ("Line", "Time", "Speaker", "Text") if has_speakers(report) else ("Line", "Time", "Text")
        table = doc.add_table(rows=1, cols=len(titles))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, titles):
            cell.text = title
        for n, line in enumerate(body, 1):
            values = [str(n), hms(line.start_s)] + ([line.speaker or ""] if len(titles) == 4 else []) + [line.text]
            for cell, value in zip(table.add_row().cells, values):
                cell.text = value
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


def to_json(report: Report) -> str:
    """The transcript as shown to people (numbered lines with speakers and marks), for other tools;
    Whisper's raw segments and words stay in report.json."""
    t = report.transcript
    data = {
        "file": report.file.name,
        "file_sha256": report.file.hashes_before.sha256,
        "duration_s": report.media.decoded_duration_s,
        "status": status_notice(report),
        "engine": t.engine if t else None,
        "model": dataclasses.asdict(t.model) if t else None,
        "speakers": speakers_sentence(t) if t else None,
        "lines": [{"number": n, "start_s": line.start_s, "end_s": line.end_s, "kind": line.kind,
                   "speaker": line.speaker, "text": line.text} for n, line in enumerate(transcript_lines(report), 1)],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


EXPORTS = {
    "txt": lambda report: to_txt(report).encode("utf-8"),
    "json": lambda report: to_json(report).encode("utf-8"),
    "srt": lambda report: to_srt(report).encode("utf-8"),
    "vtt": lambda report: to_vtt(report).encode("utf-8"),
    "docx": to_docx,
}
"""Every transcript export, as bytes, by file extension."""
