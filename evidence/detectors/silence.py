"""Digital silence: runs of samples that are exactly zero.

A microphone always picks up some noise, so a live recording almost never holds exact zeros for
long; a run of them points to muting, an inserted gap or a dropout. Runs that touch the start or
end of the file are often encoder padding and are reported as info only.
"""

from __future__ import annotations

import numpy as np

from evidence.detectors import Context
from evidence.media import Audio
from evidence.report import Finding

NAME = "digital-silence"
DESCRIPTION = "Looks for runs of exactly zero samples (muting, inserted gaps, dropouts)."
PARAMETERS = {
    "min_run_s": 0.020,
    "concern_run_s": 0.5,
}


BLOCK_SAMPLES = 1 << 20
"""Samples examined at a time, so memory stays flat however long the recording is."""


def runs_where(samples: np.ndarray, mask_of, min_run_samples: int,
               block_samples: int = BLOCK_SAMPLES) -> list[tuple[int, int]]:
    """[start, end) sample indices of runs at least `min_run_samples` long where `mask_of(start, end)`,
    the mask of samples[start:end], is true; examined a block at a time."""
    runs: list[tuple[int, int]] = []
    open_start = None  # start of a run still going at the end of the previous block
    for offset in range(0, len(samples), block_samples):
        mask = mask_of(offset, min(len(samples), offset + block_samples))
        edges = np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = (np.flatnonzero(edges == 1) + offset).tolist()
        ends = (np.flatnonzero(edges == -1) + offset).tolist()
        if open_start is not None:
            if mask[0]:
                starts[0] = open_start
            else:
                runs.append((open_start, offset))
            open_start = None
        if mask[-1]:
            open_start = starts.pop()
            ends.pop()
        runs += zip(starts, ends)
    if open_start is not None:
        runs.append((open_start, len(samples)))
    return [(start, end) for start, end in runs if end - start >= min_run_samples]


def zero_runs(samples: np.ndarray, min_run_samples: int, block_samples: int = BLOCK_SAMPLES) -> list[tuple[int, int]]:
    """[start, end) sample indices of runs of exact zeros at least `min_run_samples` long."""
    return runs_where(samples, lambda start, end: samples[start:end] == 0, min_run_samples, block_samples)


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    rate = audio.sample_rate_hz
    total = len(audio.samples)
    findings = []
    for start, end in zero_runs(audio.samples, int(round(PARAMETERS["min_run_s"] * rate))):
        run_s = (end - start) / rate
        at_edge = start == 0 or end == total
        if at_edge:
            severity = "info"
            where = "at the very start" if start == 0 else "at the very end"
            meaning = ("Encoders often pad the start or end of a file with silence, so this alone is not a "
                       "sign of editing.")
        else:
            severity = "concern" if run_s >= PARAMETERS["concern_run_s"] else "notice"
            where = "inside the recording"
            meaning = ("A microphone always records some background noise, so exact digital silence inside a "
                       "recording suggests the sound was muted, a gap was inserted, or the device dropped "
                       "audio. It cannot tell which.")
        findings.append(Finding(
            kind=NAME,
            start_s=round(start / rate, 3),
            end_s=round(end / rate, 3),
            severity=severity,
            score=round(min(1.0, run_s / PARAMETERS["concern_run_s"]), 3),
            details={"run_s": round(run_s, 3), "run_samples": end - start, "sample_rate_hz": rate,
                     "min_run_s": PARAMETERS["min_run_s"], "concern_run_s": PARAMETERS["concern_run_s"]},
            explanation=f"{run_s:.2f} s of exact digital silence (every sample zero) {where}. {meaning}",
        ))
    return findings
