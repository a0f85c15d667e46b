"""The report: the dataclasses every stage returns, and their versioned JSON form.

The JSON report is the single source of truth: the PDF bundle, the transcript exports and
`evidence verify` all read it, never the recording's analysis state. docs/report-schema.md
describes each field; bump SCHEMA_VERSION's major number on any incompatible change.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evidence import custody
from evidence.errors import InputError
from evidence.fingerprint import FileHashes, Fingerprints
from evidence.media import MediaInfo

SCHEMA_VERSION = "2.5"

Severity = Literal["info", "notice", "concern"]


@dataclass(frozen=True)
class ToolInfo:
    name: str
    version: str
    ffmpeg_version: str
    python_version: str
    platform: str


@dataclass(frozen=True)
class FileRecord:
    """Which file was examined, and proof that the examination did not change it."""

    path: str
    name: str
    size_bytes: int
    modified_utc: str
    hashes_before: FileHashes
    hashes_after: FileHashes
    size_bytes_after: int
    modified_utc_after: str

    @property
    def unchanged(self) -> bool:
        return (
            self.hashes_before == self.hashes_after
            and self.size_bytes == self.size_bytes_after
            and self.modified_utc == self.modified_utc_after
        )


@dataclass(frozen=True)
class Finding:
    kind: str
    start_s: float
    end_s: float
    severity: Severity
    score: float
    details: dict[str, Any]
    explanation: str


@dataclass(frozen=True)
class TestRecord:
    """One integrity test: whether it ran, and if not, why not."""

    name: str
    description: str
    ran: bool
    note: str = ""


@dataclass(frozen=True)
class Analysis:
    tests: list[TestRecord]
    conclusion: str


@dataclass(frozen=True)
class Word:
    start_s: float
    end_s: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    words: list[Word] = field(default_factory=list)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    sha256: str


@dataclass(frozen=True)
class SpeakerTurn:
    start_s: float
    end_s: float
    speaker: str


@dataclass(frozen=True)
class VoiceMatch:
    """A voice given by a sample (--voice NAME=SOURCE) and the speaker it was matched to, if any."""

    name: str
    source: str
    """The sample: a file's name, or a stretch of this recording ("00:01:10-00:01:25")."""
    speaker: str | None
    """The label it names ("Speaker 2"); None when no speaker's voice was close enough."""
    similarity: float
    """Cosine similarity of the sample's voice with the speaker's (or the closest speaker's), after both
    have the recording's average voice taken away: 1 is the same voice, 0 unrelated."""
    closest: str | None = None


@dataclass(frozen=True)
class Diarization:
    """Who spoke when, from evidence.diarize: labels `Speaker 1..N` in order of first speech."""

    method: str
    model_sha256: str
    parameters: dict[str, Any]
    speakers: list[str]
    turns: list[SpeakerTurn]
    voices: list[VoiceMatch] = field(default_factory=list)


@dataclass(frozen=True)
class Transcript:
    engine: str
    engine_version: str
    model: ModelInfo
    language: str
    options: dict[str, Any]
    segments: list[Segment]
    diarization: Diarization | None = None
    speaker_names: dict[str, str] = field(default_factory=dict)
    """Names by label ("Speaker 1" -> "Ms A (social worker)"): given with --speaker-names, or found by
    a voice sample (--voice; see diarization.voices)."""
    speakers_note: str = ""
    """Why there are no speaker labels, when there are none."""

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


@dataclass(frozen=True)
class Provenance:
    """What the person submitting the recording declared. Recorded as given, not verified."""

    case_ref: str | None = None
    exhibit: str | None = None
    recorded_by: str | None = None
    device: str | None = None
    claimed_date: str | None = None
    claimed_place: str | None = None
    transferred: str | None = None
    others_present: str | None = None
    prepared_by: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Excerpt:
    """What the audio looks like around a finding, kept so the PDF can draw it from the report alone.

    `envelope` is the peak absolute sample value per `envelope_step_s`; `spectrogram_db` holds one row
    per `spectrogram_step_s`, each the level (dB, rounded) of `bands` equal bands from 0 Hz to
    `max_hz`."""

    finding_index: int
    start_s: float
    envelope_step_s: float
    envelope: list[float]
    spectrogram_step_s: float
    max_hz: float
    spectrogram_db: list[list[int]]


@dataclass(frozen=True)
class EnfTrack:
    """The mains hum's frequency once a second over the whole recording (None where unusable)."""

    grid_hz: float
    harmonic: int
    step_s: float
    frequency_hz: list[float | None]


@dataclass(frozen=True)
class RunRecord:
    """What differs from one run to the next, kept apart so that the rest of the report (and the PDF
    drawn from it) is byte-identical for the same input, options and tool version."""

    generated_utc: str
    timings_s: dict[str, float]


@dataclass(frozen=True)
class ReviewedLine:
    number: int
    start_s: float
    end_s: float
    kind: str
    speaker: str | None
    text: str
    automatic_speaker: str | None
    automatic_text: str

    @property
    def changed(self) -> bool:
        return self.text != self.automatic_text or self.speaker != self.automatic_speaker


@dataclass(frozen=True)
class ReviewedTranscript:
    """A person's corrections of the automatic transcript, kept beside it (evidence.corrections)."""

    source_name: str
    source_sha256: str
    reviewed_by: str | None
    lines: list[ReviewedLine]
    summary: dict[str, int]


MentionKind = Literal["announcement", "permission-asked", "permission-given", "permission-refused"]
Verdict = Literal["announced-before-discussion", "announced-later", "not-found"]


@dataclass(frozen=True)
class Mention:
    """A transcript line that raises the recording (evidence.announcement)."""

    line: int
    """The line's number in the transcript as shown (bundle, exports, web page)."""
    start_s: float
    end_s: float
    speaker: str | None
    kind: MentionKind
    text: str
    cue: str
    """Which pattern matched, or which line this answers."""


@dataclass(frozen=True)
class Join:
    """A voice first heard after the opening: someone who may have joined."""

    speaker: str
    line: int
    first_speech_s: float
    raised_after: bool
    """Whether the recording was announced or permission asked around the time this voice first spoke."""


@dataclass(frozen=True)
class Announcement:
    """Whether, when and how the recording was raised in the transcript (evidence.announcement)."""

    verdict: Verdict
    mentions: list[Mention]
    joins: list[Join]
    explanation: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Report:
    schema_version: str
    tool: ToolInfo
    file: FileRecord
    media: MediaInfo
    fingerprints: Fingerprints
    findings: list[Finding]
    analysis: Analysis
    transcript: Transcript | None
    provenance: Provenance
    parameters: dict[str, Any]
    excerpts: list[Excerpt]
    enf_track: EnfTrack | None
    custody_log: list[str]
    reviewed_transcript: ReviewedTranscript | None
    run: RunRecord
    announcement: Announcement | None = None
    """Added in 2.4; None without a transcript and in older reports. Kept after `run` in the dataclass only
    because it has a default: the JSON puts `run` last."""

    @property
    def case_head(self) -> custody.Head | None:
        """The case log's head when the run began (its copy's newest line), which the log must still hold."""
        return custody.head_of(self.custody_log) if self.custody_log else None


def to_dict(report: Report) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["file"]["unchanged"] = report.file.unchanged
    head = report.case_head
    # Derived, so ignored on reading; placed before `run`, which stays last.
    record = data.pop("run")
    return {**data, "case_head": dataclasses.asdict(head) if head else None, "run": record}


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def _build(tp: Any, value: Any) -> Any:
    """Rebuild a value of type `tp` from its JSON form (dataclasses, lists, dicts, optionals)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        built = {k: _build(hints[k], v) for k, v in value.items() if k in names}
        # Optional fields added in a later minor version are absent from older reports.
        for f in dataclasses.fields(tp):
            if f.name not in built and type(None) in typing.get_args(hints[f.name]):
                built[f.name] = None
        return tp(**built)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    return value


def from_dict(data: dict[str, Any]) -> Report:
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"report schema version {version or 'missing'} is not supported (this tool reads {SCHEMA_VERSION})"
        )
    return _build(Report, data)


def from_json(text: str, source: str = "report") -> Report:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: not a JSON report ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: not a JSON report (top level is not an object)")
    try:
        return from_dict(data)
    except InputError as e:
        raise InputError(f"{source}: {e}") from None
    except (TypeError, KeyError, AttributeError) as e:
        raise InputError(f"{source}: not a valid evidence report ({e})") from None


def load(path: str | Path) -> Report:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a directory, not a report") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{p}: cannot be read as a JSON report ({e})") from None
    return from_json(text, str(p))
