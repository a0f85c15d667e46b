"""Band levels over time, runs in boolean tracks, and steps that several measurements agree on: shared
by the background, ENF and bandwidth tests."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from evidence.media import Audio

BLOCK_FRAMES = 2048
"""Frames transformed at a time, so memory stays flat with length."""


def band_levels_db(audio: Audio, bands_hz: list[tuple[float, float]], frame_s: float) -> np.ndarray:
    """Mean power (dB) of each band in consecutive Hann-windowed frames: shape (frames, bands)."""
    frame = int(round(frame_s * audio.sample_rate_hz))
    freqs = np.fft.rfftfreq(frame, 1 / audio.sample_rate_hz)
    masks = [(freqs >= lo) & (freqs < hi) for lo, hi in bands_hz]
    window = np.hanning(frame).astype(np.float32)
    usable = len(audio.samples) // frame * frame
    out = []
    for offset in range(0, usable, BLOCK_FRAMES * frame):
        frames = audio.samples[offset : min(usable, offset + BLOCK_FRAMES * frame)].reshape(-1, frame)
        power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
        out.append(np.stack([power[:, m].mean(axis=1) for m in masks], axis=1))
    if not out:
        return np.zeros((0, len(bands_hz)))
    return 10 * np.log10(np.concatenate(out) + 1e-20)


def sliding_median(x: np.ndarray, k: int, ignore_nan: bool = False, block: int = 32768) -> np.ndarray:
    """Median of each run of `k` consecutive entries of `x` along axis 0 (len(x) - k + 1 of them; NaN
    entries left out with `ignore_nan`), `block` runs at a time: a median copies its windows, which
    for the whole of a long recording at once would grow with its length."""
    windows = sliding_window_view(x, k, axis=0)
    median = np.nanmedian if ignore_nan else np.median
    parts = [median(windows[i : i + block], axis=-1) for i in range(0, len(windows), block)]
    return np.concatenate(parts) if parts else np.zeros((0,) + x.shape[1:])


def regions(mask: np.ndarray, join_gap: int = 0) -> list[tuple[int, int]]:
    """[start, end) index runs where `mask` is true; runs at most `join_gap` apart become one."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[0::2].tolist(), edges[1::2].tolist()):
        if runs and start - runs[-1][1] <= join_gap:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def agreeing(*steps: np.ndarray) -> np.ndarray:
    """The smallest of several measurements of one step where they all have the same sign, else 0."""
    stacked = np.stack(steps)
    same_sign = (np.sign(stacked) == np.sign(stacked[0])).all(axis=0)
    return np.where(same_sign, np.sign(stacked[0]) * np.abs(stacked).min(axis=0), 0.0)
