"""A person's corrections of the automatic transcript, read back from the .docx or .txt export.

Rules (the same for the command line and any other front end):
- The corrected file is the transcript export (.docx table or .txt lines) with its line numbers kept.
  Every line of the automatic transcript must be there once, by number; a line number that the
  automatic transcript does not have is an error naming it.
- A line's text may be changed freely; an empty text means its words were removed. The speaker may be
  changed (the .docx Speaker column, or "Name: " before the text in the .txt). Times cannot be
  changed: they stay those of the automatic transcript.
- The automatic transcript is never altered: the reviewed lines are kept beside it in the report,
  each with the automatic text it replaces, and a summary of what changed.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from pathlib import Path

from evidence import announcement
from evidence.errors import InputError
from evidence.exports import automatic_lines
from evidence.report import Report, ReviewedLine, ReviewedTranscript

TXT_LINE = re.compile(r"^\s*(\d+)\s+\[(\d{2}:\d{2}:\d{2})\]\s?(.*)$")


def _from_docx(path: Path) -> list[tuple[int, str | None, str]]:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError) as e:
        raise InputError(f"{path}: not a readable .docx file ({e})") from None
    for table in doc.tables:
        header = [c.text.strip() for c in table.rows[0].cells]
        if header[:2] == ["Line", "Time"] and header[-1] == "Text":
            speaker_col = header.index("Speaker") if "Speaker" in header else None
            out = []
            for row in table.rows[1:]:
                cells = [c.text for c in row.cells]
                if not cells[0].strip():
                    continue
                if not cells[0].strip().isdigit():
                    raise InputError(f"{path}: {cells[0].strip()!r} in the Line column is not a line number")
                speaker = cells[speaker_col].strip() or None if speaker_col is not None else None
                out.append((int(cells[0]), speaker, cells[-1].strip()))
            return out
    raise InputError(f"{path}: no transcript table (columns Line, Time, ..., Text) was found")


def _from_txt(path: Path, speakers: set[str]) -> list[tuple[int, str | None, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({e})") from None
    out = []
    for line in text.splitlines():
        m = TXT_LINE.match(line)
        if not m:
            continue
        body = m.group(3).strip()
        speaker = None
        name, sep, rest = body.partition(": ")
        if sep and (name in speakers or re.fullmatch(r"Speaker \d+", name)):
            speaker, body = name, rest.strip()
        out.append((int(m.group(1)), speaker, body))
    if not out:
        raise InputError(f"{path}: no numbered transcript lines ('  12  [00:01:02]  text') were found")
    return out


def apply_corrections(report: Report, corrected: str | Path, reviewed_by: str | None = None) -> Report:
    """The report with the corrected transcript recorded beside the automatic one."""
    path = Path(corrected)
    if report.transcript is None:
        raise InputError("this report has no transcript to correct")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    automatic = automatic_lines(report)
    speakers = {line.speaker for line in automatic if line.speaker}
    speakers |= set((report.transcript.diarization.speakers if report.transcript.diarization else []))
    speakers |= set(report.transcript.speaker_names.values())
    suffix = path.suffix.lower()
    if suffix == ".docx":
        entries = _from_docx(path)
    elif suffix == ".txt":
        entries = _from_txt(path, speakers)
    else:
        raise InputError(f"{path}: give the corrected transcript as .docx or .txt (the formats evidence exports)")
    by_number: dict[int, tuple[str | None, str]] = {}
    for number, speaker, text in entries:
        if number in by_number:
            raise InputError(f"{path}: line {number} appears twice")
        if not 1 <= number <= len(automatic):
            raise InputError(f"{path}: line {number} is not in the automatic transcript (lines 1-{len(automatic)})")
        by_number[number] = (speaker, text)
    missing = [n for n in range(1, len(automatic) + 1) if n not in by_number]
    if missing:
        raise InputError(f"{path}: line {missing[0]} is missing ({len(missing)} missing in all); keep every "
                         "numbered line, and leave a line's text empty to remove its words")
    lines = []
    for number, auto in enumerate(automatic, 1):
        speaker, text = by_number[number]
        has_speaker_column = suffix == ".docx" and auto.speaker is not None
        lines.append(ReviewedLine(
            number=number, start_s=auto.start_s, end_s=auto.end_s, kind=auto.kind,
            speaker=speaker if has_speaker_column or speaker else auto.speaker, text=text,
            automatic_speaker=auto.speaker, automatic_text=auto.text,
        ))
    return _announcement_again(dataclasses.replace(report, reviewed_transcript=ReviewedTranscript(
        source_name=path.name,
        source_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        reviewed_by=reviewed_by,
        lines=lines,
        summary=summary(lines),
    )))


def summary(lines: list[ReviewedLine]) -> dict[str, int]:
    """Counts of what the reviewer changed: lines, speakers, and words (edit operations on word lists)."""
    edits = {"words_inserted": 0, "words_deleted": 0, "words_replaced": 0}
    for line in lines:
        a, b = line.automatic_text.split(), line.text.split()
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "insert":
                edits["words_inserted"] += j2 - j1
            elif op == "delete":
                edits["words_deleted"] += i2 - i1
            elif op == "replace":
                edits["words_replaced"] += max(i2 - i1, j2 - j1)
    return {
        "lines": len(lines),
        "lines_changed": sum(line.changed for line in lines),
        "speakers_changed": sum(line.speaker != line.automatic_speaker for line in lines),
        "words_automatic": sum(len(line.automatic_text.split()) for line in lines),
        "words_reviewed": sum(len(line.text.split()) for line in lines),
        **edits,
    }


def renamed(report: Report, names: dict[str, str]) -> Report:
    """The report with new speaker names (by label, as --speaker-names gives them), applied to the
    automatic transcript and to any reviewed lines, whose speakers are stored by display name."""
    t = report.transcript
    if t is None or t.diarization is None:
        raise InputError("this transcript has no speaker labels to rename")
    unknown = sorted(set(names) - set(t.diarization.speakers))
    if unknown:
        raise InputError(f"no such speaker: {', '.join(unknown)}")
    old = {t.speaker_names.get(label, label): label for label in t.diarization.speakers}

    def new(display: str | None) -> str | None:
        label = old.get(display)
        return names.get(label, label) if label else display

    report = dataclasses.replace(report, transcript=dataclasses.replace(t, speaker_names=dict(names)))
    r = report.reviewed_transcript
    if r is None:
        return _announcement_again(report)
    lines = [dataclasses.replace(line, speaker=new(line.speaker), automatic_speaker=new(line.automatic_speaker))
             for line in r.lines]
    return _announcement_again(
        dataclasses.replace(report, reviewed_transcript=dataclasses.replace(r, lines=lines, summary=summary(lines))))


def _announcement_again(report: Report) -> Report:
    """The stored announcement check over the transcript as it now reads (corrected lines, new names)."""
    return dataclasses.replace(report, announcement=announcement.of_report(report))
