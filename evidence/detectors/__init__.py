"""Integrity detectors. Each module has NAME, DESCRIPTION, PARAMETERS (units in the names) and
`detect(audio: Audio, ctx: Context) -> list[Finding]`; evidence.analysis runs them in order."""

from dataclasses import dataclass

from evidence.media import MediaInfo


@dataclass(frozen=True)
class Context:
    """What a detector may know besides the samples."""

    media: MediaInfo
