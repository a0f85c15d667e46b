"""Resemblyzer's speaker encoder: a 3-layer LSTM over 40 mel bands giving 256-d voice embeddings; its
checkpoint `pretrained.pt` ships inside the `resemblyzer` wheel.

Only the checkpoint is used: the package's own code imports webrtcvad, which needs setuptools' removed
pkg_resources, so the same small network is defined here and the weights loaded into it. It needs torch
and librosa. A span's voice is the normalised mean embedding of WINDOW_S windows every HOP_S across it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
from pathlib import Path

import numpy as np

from evidence.progress import ProgressCallback

NAME = "resemblyzer"
METHOD = "resemblyzer speaker encoder (pretrained.pt)"
RATE_HZ = 16_000
MEL_BANDS = 40
MEL_WINDOW_S = 0.025
MEL_HOP_S = 0.010
WINDOW_S = 1.6
"""Length of audio behind one embedding (Resemblyzer's partial utterance)."""
HOP_S = 0.4
BATCH = 64
TARGET_DBFS = -30.0
"""The level recordings are brought to before embedding, as Resemblyzer's own preprocessing does."""
MEL_BLOCK_FRAMES = 30_000

DISTANCE_THRESHOLD = 1.2
"""Chosen on 12 generated conversations (bench/transcript/encoders.py, seed 1: the count right for 8);
on 12 others never tuned on, 9 right, and the real call's 2 found (docs/transcript.md)."""
VOICE_MIN_SIMILARITY = 0.4
"""The tuning conversations' highest similarity of a voice that was not in the recording (0.36),
rounded up to the next tenth; every sample of a voice that was there scored 0.62 or more. On the real
call, whose voices scored lower, five of its six turns of 1.6 s or more name their speaker (the other
scored 0.35; docs/transcript.md)."""

PARAMETERS = {"window_s": WINDOW_S, "hop_s": HOP_S, "mel_bands": MEL_BANDS, "mel_window_s": MEL_WINDOW_S,
              "mel_hop_s": MEL_HOP_S}
MISSING = ("the resemblyzer speaker encoder needs torch, librosa and resemblyzer's checkpoint: run "
           "scripts/install.sh, or pip install 'recording-evidence[resemblyzer]'")


def model_path() -> Path | None:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    return path if path.is_file() else None


def model_sha256() -> str:
    return hashlib.sha256(model_path().read_bytes()).hexdigest()


def available() -> bool:
    return model_path() is not None and all(importlib.util.find_spec(n) is not None for n in ("torch", "librosa"))


@functools.cache
def _encoder(path: Path):
    import torch
    from torch import nn

    class VoiceEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(MEL_BANDS, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, 256)
            self.relu = nn.ReLU()

        def forward(self, mels):
            _, (hidden, _) = self.lstm(mels)
            raw = self.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True)

    model = VoiceEncoder()
    state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity_")})
    return model.eval()


def prepare() -> None:
    """Import torch and librosa and load the network (seconds of start-up)."""
    import librosa.feature  # noqa: F401  (its import is most of that start-up)

    _encoder(model_path())


def _mel(samples: np.ndarray, gain: float, first: int, stop: int) -> np.ndarray:
    """(stop - first, 40) mel power of `samples * gain` for frames first..stop-1, as Resemblyzer
    computed it for training (librosa, centred frames with zero padding), MEL_BLOCK_FRAMES at a time.
    Only the frames asked for are read and transformed: a whole recording's would grow with its length
    (576 MB for ten hours)."""
    import librosa

    n_fft, hop = int(RATE_HZ * MEL_WINDOW_S), int(RATE_HZ * MEL_HOP_S)
    out = np.empty((stop - first, MEL_BANDS), dtype=np.float32)
    for f0 in range(first, stop, MEL_BLOCK_FRAMES):
        f1 = min(stop, f0 + MEL_BLOCK_FRAMES)
        lo, hi = f0 * hop - n_fft // 2, (f1 - 1) * hop + n_fft - n_fft // 2
        block = samples[max(lo, 0) : max(0, min(hi, len(samples)))].astype(np.float32) * gain
        block = np.pad(block, (max(0, -lo), hi - lo - max(0, -lo) - len(block)))
        mel = librosa.feature.melspectrogram(y=block, sr=RATE_HZ, n_fft=n_fft, hop_length=hop,
                                             n_mels=MEL_BANDS, center=False)
        out[f0 - first : f1 - first] = mel.T
    return out


def _window_starts(span, frames: int, mel_frames: int) -> np.ndarray:
    """First mel frame of each WINDOW_S window every HOP_S across the span, kept inside the recording."""
    centre_s = np.arange(span.start_s, max(span.end_s, span.start_s + 1e-3), HOP_S) + HOP_S / 2
    centre_s = np.clip(centre_s, span.start_s, span.end_s)
    first = np.round(centre_s / MEL_HOP_S).astype(int) - frames // 2
    return np.minimum(np.maximum(first, 0), max(mel_frames - frames, 0))


def embed(samples: np.ndarray, spans: list, gain: float, progress: ProgressCallback) -> np.ndarray:
    """Each span's voice (spans have start_s and end_s) in `samples` (16 kHz) scaled by `gain`. The
    windows' mel frames are computed span by span and embedded BATCH at a time, so memory stays flat
    with length."""
    import torch

    frames = int(round(WINDOW_S / MEL_HOP_S))
    mel_frames = 1 + len(samples) // int(RATE_HZ * MEL_HOP_S)
    starts = [_window_starts(c, frames, mel_frames) for c in spans]
    total = sum(len(s) for s in starts)
    model = _encoder(model_path())
    sums = np.zeros((len(spans), 256), dtype=np.float64)
    counts = np.array([len(s) for s in starts])

    def windows():
        for n, first in enumerate(starts):
            lo, hi = int(first.min()), min(int(first.max()) + frames, mel_frames)
            mel = _mel(samples, gain, lo, hi)
            for f in first.tolist():
                piece = mel[f - lo : f - lo + frames]
                yield n, piece if len(piece) == frames else np.pad(piece, ((0, frames - len(piece)), (0, 0)))

    done, batch = 0, []
    with torch.inference_mode():
        for item in itertools.chain(windows(), [None]):
            if item is not None:
                batch.append(item)
            if batch and (len(batch) == BATCH or item is None):
                embeds = model(torch.from_numpy(np.stack([piece for _, piece in batch]))).numpy()
                np.add.at(sums, [n for n, _ in batch], embeds)
                done += len(batch)
                batch = []
                progress("speakers", done, total)
    means = (sums / counts[:, None]).astype(np.float32)
    return means / np.linalg.norm(means, axis=1, keepdims=True)
