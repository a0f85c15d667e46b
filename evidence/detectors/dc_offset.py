"""DC offset jumps: the recording's constant offset from zero changes abruptly at a point.

Many recorders' converters add a small constant (DC) offset to every sample. It belongs to the
device and its settings, so within one continuous recording it stays put or drifts slowly; where
audio from another recording or device was joined in, it steps. Speech and room noise average out
over a tenth of a second, so the offset is measured as the mean of each 0.1 s block, and a step is
a difference between the medians of the blocks either side of a point far larger than that
difference usually is in the same recording. Blocks of exact digital zero are left out: they have no
offset to measure, and the digital-silence test reports them.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from evidence.detectors import Context
from evidence.detectors.bands import regions, sliding_median
from evidence.media import Audio
from evidence.report import Finding

NAME = "dc-offset"
DESCRIPTION = ("Looks for abrupt changes in the signal's constant offset from zero (DC offset), which belongs to "
               "the recording device and steps where audio from another recording was joined in.")
PARAMETERS = {
    "block_s": 0.1,
    "blocks_each_side": 20,
    "min_step_full_scale": 0.002,
    "noise_factor": 8.0,
}


BLOCKS_AT_A_TIME = 4096
"""Blocks measured at a time, so memory stays flat with length."""


def block_means(samples: np.ndarray, block_samples: int) -> np.ndarray:
    """Mean of each whole block of samples; NaN for blocks that are mostly exact zeros."""
    usable = len(samples) // block_samples * block_samples
    span = BLOCKS_AT_A_TIME * block_samples
    parts = []
    for offset in range(0, usable, span):
        blocks = samples[offset : min(usable, offset + span)].reshape(-1, block_samples)
        means = blocks.mean(axis=1, dtype=np.float64)
        means[np.count_nonzero(blocks, axis=1) < block_samples / 2] = np.nan
        parts.append(means)
    return np.concatenate(parts) if parts else np.zeros(0)


def side_medians(means: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Median of the `k` block means before and after each boundary (boundary j is before block j,
    for j = k .. len - k); NaN where fewer than half of a side's blocks could be measured."""
    counted = sliding_window_view(np.isfinite(means), k).sum(axis=1) >= k / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN side: handled by `counted`
        medians = np.where(counted, sliding_median(means, k, ignore_nan=True), np.nan)
    return medians[: len(means) - 2 * k + 1], medians[k:]


def change_point(samples: np.ndarray) -> int:
    """Index where the mean of `samples` most plausibly changes (least-squares single change point)."""
    centred = samples.astype(np.float64) - samples.mean(dtype=np.float64)
    return int(np.argmax(np.abs(np.cumsum(centred)))) + 1


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    rate = audio.sample_rate_hz
    block = int(round(PARAMETERS["block_s"] * rate))
    k = PARAMETERS["blocks_each_side"]
    means = block_means(audio.samples, block)
    if len(means) < 2 * k:
        return []
    before, after = side_medians(means, k)
    boundaries = np.arange(k, len(means) - k + 1)
    step = after - before
    measured = np.isfinite(step)
    if not measured.any():
        return []
    # The spread of the step at all boundaries is the recording's own variation (slow wander of the
    # room noise's lowest frequencies included); real steps are too few to move its median.
    spread = float(1.4826 * np.median(np.abs(step[measured])))
    step = np.where(measured, step, 0.0)
    threshold = max(PARAMETERS["min_step_full_scale"], PARAMETERS["noise_factor"] * spread)
    findings = []
    for start, end in regions(np.abs(step) >= threshold):
        # Medians barely notice a few blocks from the other side, so a step shows as a flat-topped
        # stretch of boundaries about `blocks_each_side` wide: its middle is near the step, and the
        # samples within a window's length of it place the step exactly.
        j = (start + end - 1) // 2
        boundary = int(boundaries[j])
        lo, hi = (boundary - k) * block, (boundary + k) * block
        at = lo + change_point(audio.samples[lo:hi])
        at_s = round(at / rate, 3)
        jump = float(step[j])
        # Rounded before printing, so that a tiny negative offset does not read as "-0.0000".
        before_fs, after_fs = round(float(before[j]), 4) + 0.0, round(float(after[j]), 4) + 0.0
        if findings and at_s - findings[-1].start_s < PARAMETERS["block_s"]:
            continue  # the same step, seen from both sides of a stretch the medians could not measure
        findings.append(Finding(
            kind="dc-offset-jump", start_s=at_s, end_s=at_s, severity="notice",
            score=round(min(1.0, abs(jump) / threshold / 4), 3),
            details={"before_full_scale": round(float(before[j]), 5), "after_full_scale": round(float(after[j]), 5),
                     "jump_full_scale": round(jump, 5), "threshold_full_scale": round(threshold, 5),
                     "typical_step_full_scale": round(spread, 5)},
            explanation=f"The signal's constant offset from zero (DC offset) {'rises' if jump > 0 else 'falls'} "
                        f"abruptly at {at_s:.2f} s, from {before_fs:+.4f} to {after_fs:+.4f} of full scale "
                        f"(a change of {abs(jump) / threshold:.1f} times the smallest this test reports). A "
                        "recorder's offset stays steady or drifts slowly within one recording, so a step "
                        "suggests audio from another recording or device joined here. A change of input (a "
                        "headset plugged in), or a device that switches its filtering, can also cause one.",
        ))
    return findings
