"""Dropouts that are not digital zero: stretches quieter than the recording's own background, and
runs of exactly constant samples.

A microphone's noise and the room's background set a floor that a live recording never goes below.
A passage far below it, though not exactly zero, points to muting by turning the level down, a noise
gate, or audio replaced by near-silence; a run of samples that all hold one non-zero value points to
a device or editor holding the last sample through a gap. Exact zeros are left to the
digital-silence test.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import ndimage

from evidence.detectors import Context, info_when_frequent
from evidence.detectors.bands import regions
from evidence.detectors.silence import BLOCK_SAMPLES, runs_where
from evidence.media import Audio
from evidence.report import Finding

NAME = "dropout"
DESCRIPTION = ("Looks for stretches far quieter than the recording's own background (muting that is not digital "
               "zero, a noise gate) and runs of exactly constant samples.")
PARAMETERS = {
    "frame_s": 0.02,
    "floor_window_s": 60.0,
    "second_percentile": 5.0,
    "floor_percentile": 20.0,
    "below_floor_db": 12.0,
    "min_run_s": 0.06,
    "min_constant_s": 0.02,
    "concern_run_s": 0.5,
    "busy_min_runs": 4,
    "busy_runs_per_min": 4.0,
}

BLOCK_FRAMES = 4096
"""Frames measured at a time, so memory stays flat with length."""


def frame_levels_db(samples: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """Level (dB) of each frame with its mean removed, and whether the frame is all exact zeros."""
    usable = len(samples) // frame * frame
    levels, zero = [], []
    for offset in range(0, usable, BLOCK_FRAMES * frame):
        frames = samples[offset : min(usable, offset + BLOCK_FRAMES * frame)].reshape(-1, frame).astype(np.float64)
        ac = frames - frames.mean(axis=1, keepdims=True)
        levels.append(10 * np.log10(np.mean(ac * ac, axis=1) + 1e-20))
        zero.append(~frames.any(axis=1))
    if not levels:
        return np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(levels), np.concatenate(zero)


def background_floor_db(levels_db: np.ndarray, zero: np.ndarray, frame_s: float) -> np.ndarray:
    """The background's level around each frame: the quietest frame level of each second (its
    `second_percentile`; exact zeros left out), then the `floor_percentile` of those over
    `floor_window_s` around it. Seconds full of speech are passed over; a muted stretch pulls the floor
    down only if it fills more than that share of the window."""
    per_s = max(1, int(round(1 / frame_s)))
    seconds = -(-len(levels_db) // per_s)
    padded = np.full(seconds * per_s, np.nan)
    padded[: len(levels_db)] = np.where(zero, np.nan, levels_db)
    window = max(1, min(seconds, int(round(PARAMETERS["floor_window_s"]))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # seconds of nothing but zeros: NaN, never below it
        quietest = np.nanpercentile(padded.reshape(seconds, per_s), PARAMETERS["second_percentile"], axis=1)
        floor = ndimage.generic_filter(quietest, np.nanpercentile, size=window, mode="nearest",
                                       extra_arguments=(PARAMETERS["floor_percentile"],))
    return np.repeat(floor, per_s)[: len(levels_db)]


def constant_runs(samples: np.ndarray, min_run_samples: int, block_samples: int = BLOCK_SAMPLES) -> list[tuple[int, int]]:
    """[start, end) of runs of at least `min_run_samples` samples that all hold one non-zero value."""

    def repeats(start: int, end: int) -> np.ndarray:  # sample i equals sample i - 1
        block = samples[max(start - 1, 0) : end]
        same = block[1:] == block[:-1]
        return same if start > 0 else np.concatenate(([False], same))

    # A run of n repeats is n + 1 equal samples, starting one before the first repeat.
    runs = [(start - 1, end) for start, end in runs_where(samples, repeats, max(1, min_run_samples - 1), block_samples)]
    return [(start, end) for start, end in runs if samples[start] != 0]


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    rate = audio.sample_rate_hz
    frame_s = PARAMETERS["frame_s"]
    frame = int(round(frame_s * rate))
    levels, zero = frame_levels_db(audio.samples, frame)
    if len(levels) == 0 or zero.all():
        return []
    floor = background_floor_db(levels, zero, frame_s)
    below = ~zero & (levels < floor - PARAMETERS["below_floor_db"])
    min_frames = max(1, int(round(PARAMETERS["min_run_s"] / frame_s)))
    total_s = len(audio.samples) / rate
    findings = []
    constant = constant_runs(audio.samples, int(round(PARAMETERS["min_constant_s"] * rate)))
    for start, end in constant:
        value = float(audio.samples[start])
        findings.append(_finding("dropout-constant", start / rate, end / rate, total_s, {
            "run_s": round((end - start) / rate, 4), "run_samples": end - start, "value": value},
            f"{end - start} samples in a row ({(end - start) / rate * 1000:.0f} ms) hold exactly the same "
            f"value ({value:+.5f}). Live sound never does; a device or editor holding the last sample "
            "through a gap in the audio does."))
    for start, end in regions(below):
        start_s, end_s = start * frame_s, end * frame_s
        # A constant run is below the floor too: it is reported once, as what it is.
        if end - start < min_frames or any(a / rate < end_s and b / rate > start_s for a, b in constant):
            continue
        depth_db = float(np.median(floor[start:end] - levels[start:end]))
        findings.append(_finding("dropout-below-floor", start_s, end_s, total_s, {
            "run_s": round(end_s - start_s, 3), "below_floor_db": round(depth_db, 1),
            "floor_db": round(float(np.median(floor[start:end])), 1),
            "threshold_db": PARAMETERS["below_floor_db"]},
            f"For {end_s - start_s:.2f} s the sound is {depth_db:.0f} dB quieter than this recording's own "
            "background noise, though not digital silence. A microphone always picks up its surroundings, so "
            "this suggests the level was turned down, a noise gate closed, or the passage was replaced by "
            "near-silence. Some phones and call apps suppress background noise between words, which looks "
            "the same."))
    findings.sort(key=lambda f: f.start_s)
    return _busy_as_info(findings, total_s)


def _finding(kind: str, start_s: float, end_s: float, total_s: float, details: dict, explanation: str) -> Finding:
    run_s = end_s - start_s
    at_edge = start_s <= 0 or end_s >= total_s - PARAMETERS["frame_s"]
    if at_edge:
        severity = "info"
        explanation += " It touches the start or end of the file, where recorders and encoders often leave quiet padding."
    else:
        severity = "concern" if run_s >= PARAMETERS["concern_run_s"] else "notice"
    return Finding(kind=kind, start_s=round(start_s, 3), end_s=round(end_s, 3), severity=severity,
                   score=round(min(1.0, run_s / PARAMETERS["concern_run_s"]), 3),
                   details={**details, "concern_run_s": PARAMETERS["concern_run_s"]}, explanation=explanation)


def _busy_as_info(findings: list[Finding], duration_s: float) -> list[Finding]:
    """Many quiet stretches in a short time are the recording's own pattern (noise suppression that
    closes between words), not edits; they are kept, as info."""
    return info_when_frequent(
        findings, duration_s, PARAMETERS["busy_min_runs"], PARAMETERS["busy_runs_per_min"], "runs_per_min",
        lambda count, per_min: (
            f" This recording has {count} such stretches ({per_min:.0f} per minute): so frequent a pattern is the "
            "device's own noise suppression or gate, and no single one of them is evidence of editing."))
