"""Compression history: stretches whose highest frequencies are missing while the rest of the file has them.

A lossy encoder at a low bit rate removes everything above a cut-off frequency. When a stretch of a
recording has passed through such an encoder (re-encoded, or taken from another file) and the rest
has not, that stretch lacks the high band entirely, in speech and in pauses alike, while elsewhere
the room's own noise keeps the band filled. The test marks frames whose high band lies far below
the file's own high-band noise floor while the lower band is still live, and reports runs of them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from evidence.detectors import Context
from evidence.detectors.bands import band_levels_db, regions
from evidence.media import Audio
from evidence.report import Finding

NAME = "bandwidth"
DESCRIPTION = ("Looks for stretches where the high frequencies are missing although the rest of the recording has "
               "them: a trace of a passage that went through a different (lower-quality) encoding.")
PARAMETERS = {
    "frame_s": 0.032,
    "low_band_hz": [200.0, 2000.0],
    "high_band_hz": [6000.0, 7500.0],
    "floor_block_s": 1.0,
    "floor_percentile": 10.0,
    "drop_db": 20.0,
    "live_low_band_db": -130.0,
    "smooth_frames": 5,
    "min_run_s": 0.5,
    "concern_run_s": 2.0,
}


def band_limited_runs(levels_db: np.ndarray) -> tuple[list[tuple[int, int]], float]:
    """[start, end) frame runs where the high band has dropped out; and the file's high-band floor (dB)."""
    low, high = levels_db[:, 0], levels_db[:, 1]
    live = low > PARAMETERS["live_low_band_db"]
    if not live.any():
        return [], float("nan")
    # The file's floor: the typical (median) one-second floor, so that a band-limited stretch taking
    # up to half the file cannot drag the reference down to its own level.
    block = max(1, int(round(PARAMETERS["floor_block_s"] / PARAMETERS["frame_s"])))
    usable = len(high) // block * block
    if usable == 0:
        return [], float("nan")
    block_floors = np.percentile(high[:usable].reshape(-1, block), PARAMETERS["floor_percentile"], axis=1)
    floor_db = float(np.median(block_floors))
    dropped = live & (high < floor_db - PARAMETERS["drop_db"])
    # A majority vote over a few frames keeps single odd frames from splitting or making runs.
    dropped = ndimage.median_filter(dropped.astype(np.uint8), size=PARAMETERS["smooth_frames"]) > 0
    min_frames = PARAMETERS["min_run_s"] / PARAMETERS["frame_s"]
    runs = [(s, e) for s, e in regions(dropped) if e - s >= min_frames]
    return runs, floor_db


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    frame_s = PARAMETERS["frame_s"]
    nyquist = audio.sample_rate_hz / 2
    high = (PARAMETERS["high_band_hz"][0], min(PARAMETERS["high_band_hz"][1], nyquist))
    levels = band_levels_db(audio, [tuple(PARAMETERS["low_band_hz"]), high], frame_s)
    runs, floor_db = band_limited_runs(levels)
    if len(runs) * frame_s >= 0.5 * audio.duration_s:
        # Most of the file lacks the band: that is the file's own bandwidth, not a stretch that differs.
        return []
    findings = []
    for start, end in runs:
        run_s = (end - start) * frame_s
        measured_db = float(np.median(levels[start:end, 1]))
        findings.append(Finding(
            kind="bandwidth-change",
            start_s=round(start * frame_s, 3),
            end_s=round(end * frame_s, 3),
            severity="concern" if run_s >= PARAMETERS["concern_run_s"] else "notice",
            score=round(min(1.0, (floor_db - measured_db) / 60), 3),
            details={"run_s": round(run_s, 3), "high_band_hz": list(high), "high_band_db": round(measured_db, 1),
                     "file_high_band_floor_db": round(floor_db, 1), "drop_db": PARAMETERS["drop_db"]},
            explanation=f"For {run_s:.1f} s the frequencies from {high[0]:.0f} to {high[1]:.0f} Hz are missing "
                        f"({measured_db:.0f} dB against {floor_db:.0f} dB in the quietest moments elsewhere). A lossy "
                        "encoder at a low bit rate removes this band, so this stretch has probably been through a "
                        "different encoding from the rest: re-encoded, or taken from another file. A muffled "
                        "microphone cannot do this, because the room noise would still fill the band.",
        ))
    return findings
