"""Integrity detectors. Each module has NAME, DESCRIPTION, PARAMETERS (units in the names) and
`detect(audio: Audio, ctx: Context) -> list[Finding]`; evidence.analysis runs them in order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evidence.media import MediaInfo
from evidence.report import Finding

if TYPE_CHECKING:
    from evidence.detectors.enf import HumSignal


@dataclass(frozen=True)
class Context:
    """What a detector may know besides the samples.

    `claimed_date` is as the user wrote it (ISO 8601, checked by the CLI); `modified_utc` is the
    file's modification time; `exemplar` describes a recording made on the claimed device and app;
    `grid_csv` is a grid frequency record; `hum` is the hum found once for all the ENF tests (a
    detector given none searches for it itself); `source` is the recording itself, for a test that
    must decode it again at its own sample rate (None when only samples are at hand). A detector module may also define `note(ctx) -> str`
    (what it could not check, and why) and `skip_reason(ctx) -> str` (why it cannot run at all)."""

    media: MediaInfo
    claimed_date: str | None = None
    modified_utc: str | None = None
    exemplar: MediaInfo | None = None
    grid_csv: str | None = None
    hum: HumSignal | None = None
    source: Path | None = None


def whole_file_finding(kind: str, severity: str, score: float, duration_s: float, details: dict,
                       explanation: str) -> Finding:
    """A finding about the recording as a whole: it spans from 0 to the end."""
    return Finding(kind=kind, start_s=0.0, end_s=round(duration_s, 3), severity=severity, score=score,
                   details=details, explanation=explanation)


def info_when_frequent(findings: list[Finding], duration_s: float, min_count: int, min_per_min: float,
                       rate_key: str, note) -> list[Finding]:
    """Findings so frequent that they are the recording's own pattern (a call's line noise, a phone's
    noise suppression), not edits: at least `min_count` notices or concerns at `min_per_min` or more per
    minute become info, with `note(count, per_min)` added to each explanation and the rate to details."""
    marked = [f for f in findings if f.severity != "info"]
    per_min = len(marked) / max(duration_s / 60, 1e-9)
    if len(marked) < min_count or per_min < min_per_min:
        return findings
    text = note(len(marked), per_min)
    return [dataclasses.replace(f, severity="info", details={**f.details, rate_key: round(per_min, 1)},
                                explanation=f.explanation + text) if f.severity != "info" else f
            for f in findings]
