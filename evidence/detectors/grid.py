"""ENF time check: when was the recording made, according to the mains hum and the grid's own record?

The grid frequency wanders and never repeats, and every mains-connected place in Great Britain sees
the same wander. The recording's hum frequency, second by second, is compared with the grid
operator's record (NESO "System frequency data": CSV with header `dtm,f`, one row per second, UTC)
at every offset; the best Pearson correlation gives the start time. A match is claimed only with at
least `min_valid_s` of usable hum and a correlation of at least `min_correlation`; otherwise the test
says it cannot tell. The user supplies the CSV; nothing is downloaded.
"""

from __future__ import annotations

import csv
import functools
import os
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from scipy import signal

from evidence.detectors import Context, enf, whole_file_finding
from evidence.errors import InputError
from evidence.media import Audio
from evidence.report import Finding
from evidence.timecode import agrees_with_claim

NAME = "enf-grid"
DESCRIPTION = ("Compares the mains hum's frequency, second by second, with a grid frequency record (--grid-csv) to "
               "find when the recording was made, and checks that against the claimed date.")
KIND_PREFIXES = ("enf-grid-",)
PARAMETERS = {
    "min_valid_s": 180,
    "min_correlation": 0.9,
    "min_margin": 0.1,
    "claimed_tolerance_naive_h": 2.0,
    "claimed_tolerance_zoned_h": 0.25,
}


def read_grid_csv(path: Path) -> tuple[datetime, np.ndarray]:
    """(time of the first row, frequency per second with NaN for gaps and zero readings). The command
    line reads the record once to check it before any work, and the test reads it again: the last
    one read is kept while the file is unchanged (a month of record takes seconds to parse)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    start, track = _read_grid_csv(str(path), st.st_mtime_ns, st.st_size)
    return start, track.copy()


@functools.lru_cache(maxsize=1)
def _read_grid_csv(path: str, _mtime_ns: int, _size: int) -> tuple[datetime, np.ndarray]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = csv.reader(f)
            header = [h.strip().lower() for h in next(rows, [])]
            if header[:2] != ["dtm", "f"]:
                raise InputError(f"{path}: not a grid frequency CSV (expected the header 'dtm,f')")
            times, values = [], []
            for line, row in enumerate(rows, start=2):
                if not row:
                    continue
                try:
                    times.append(datetime.fromisoformat(row[0].strip()).replace(tzinfo=timezone.utc))
                    values.append(float(row[1]))
                except (ValueError, IndexError):
                    raise InputError(f"{path}: line {line} is not 'date time,frequency': {','.join(row)!r}") from None
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None
    if not times:
        raise InputError(f"{path}: the grid frequency CSV has no rows")
    start = min(times)
    seconds = np.array([(t - start).total_seconds() for t in times]).round().astype(np.int64)
    track = np.full(int(seconds.max()) + 1, np.nan)
    frequency = np.array(values)
    # The record marks missing readings with zeros; they are gaps, not data.
    track[seconds] = np.where(frequency > 0, frequency, np.nan)
    return start, track


def recording_track(hum_signal: enf.HumSignal, duration_s: float) -> np.ndarray:
    """The hum's frequency (Hz, referred to the grid's fundamental) for each whole second, NaN where
    unusable (its phase inconsistent, or the hum not clear of the sound beside it); all NaN without hum."""
    hum, p = hum_signal.hum, hum_signal.phasors
    seconds = int(duration_s)
    if hum is None or seconds == 0:
        return np.full(seconds, np.nan)
    frames_per_s = int(round(1 / enf.PARAMETERS["frame_s"]))
    usable = min(len(p) - 1, seconds * frames_per_s)
    lag = (p[1 : usable + 1] * np.conj(p[:usable]))[: usable // frames_per_s * frames_per_s]
    per_second = lag.reshape(-1, frames_per_s)
    rotation = np.angle(per_second.sum(axis=1))
    track = hum.grid_hz + rotation / (2 * np.pi * enf.PARAMETERS["frame_s"]) / hum.harmonic
    consistency = np.abs(per_second.sum(axis=1)) / np.maximum(np.abs(per_second).sum(axis=1), 1e-30)
    snr_db = hum_signal.snr_db[: len(track) * frames_per_s].reshape(-1, frames_per_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a second of digital silence: no ratio, not usable
        clear = np.nanmedian(snr_db, axis=1) >= enf.PARAMETERS["min_frame_snr_db"]
    ok = (consistency >= enf.PARAMETERS["min_consistency"]) & clear
    return np.where(ok, track, np.nan)


def best_offset(recording: np.ndarray, grid: np.ndarray, min_overlap_s: int) -> tuple[int, float, int, float]:
    """Slide the recording's track over the grid's: (offset_s, r, overlapping valid seconds, best r
    elsewhere). Pearson correlation over the seconds valid in both, computed with FFT convolutions;
    offsets where fewer than `min_overlap_s` seconds are valid in both are not considered (beside a gap
    in the record a handful of seconds can correlate perfectly by chance)."""
    n, m = len(recording), len(grid)
    if m < n:
        return 0, float("nan"), 0, float("nan")
    a_valid, b_valid = ~np.isnan(recording), ~np.isnan(grid)
    a, b = np.where(a_valid, recording, 0.0), np.where(b_valid, grid, 0.0)
    a = np.where(a_valid, a - a[a_valid].mean(), 0.0) if a_valid.any() else a
    b = np.where(b_valid, b - b[b_valid].mean(), 0.0) if b_valid.any() else b

    def slide(x, y):  # sum over the recording's seconds of x[i] * y[offset + i], for every offset
        return signal.fftconvolve(y, x[::-1], mode="valid")

    count = slide(a_valid.astype(float), b_valid.astype(float))
    sum_a, sum_b = slide(a, b_valid.astype(float)), slide(a_valid.astype(float), b)
    sum_ab = slide(a, b)
    sum_aa, sum_bb = slide(a * a, b_valid.astype(float)), slide(a_valid.astype(float), b * b)
    safe = np.maximum(count, 1)
    cov = sum_ab - sum_a * sum_b / safe
    var = np.maximum(sum_aa - sum_a**2 / safe, 1e-12) * np.maximum(sum_bb - sum_b**2 / safe, 1e-12)
    r = np.where(count >= max(2, min_overlap_s), cov / np.sqrt(var), -1.0)
    best = int(np.argmax(r))
    elsewhere = np.abs(np.arange(len(r)) - best) > n // 2
    runner_up = float(r[elsewhere].max()) if elsewhere.any() else float("nan")
    return best, float(r[best]), int(round(count[best])), runner_up


def skip_reason(ctx: Context) -> str:
    return "" if ctx.grid_csv else "Not run: no grid frequency record was given (--grid-csv)."


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    end_s = audio.duration_s
    track = recording_track(ctx.hum if ctx.hum is not None else enf.hum_signal(audio), audio.duration_s)
    valid_s = int(np.sum(~np.isnan(track)))
    if valid_s < PARAMETERS["min_valid_s"]:
        return [whole_file_finding(
            "enf-grid-insufficient", "info", 0.0, end_s,
            {"valid_s": valid_s, "min_valid_s": PARAMETERS["min_valid_s"]},
            f"Only {valid_s} s of usable mains hum; at least {PARAMETERS['min_valid_s']} s are needed to match it "
            "against the grid record reliably, so the time of recording could not be checked.",
        )]
    grid_start, grid = read_grid_csv(Path(ctx.grid_csv))
    offset_s, r, overlap_s, runner_up = best_offset(track, grid, PARAMETERS["min_valid_s"])
    details = {"valid_s": valid_s, "overlap_s": overlap_s, "correlation": round(r, 4),
               "next_best_correlation": round(runner_up, 4), "min_correlation": PARAMETERS["min_correlation"],
               "grid_start_utc": grid_start.isoformat(), "grid_length_s": len(grid)}
    if overlap_s < PARAMETERS["min_valid_s"]:
        return [whole_file_finding(
            "enf-grid-no-match", "info", 0.0, end_s, details,
            f"The grid record has no stretch that covers at least {PARAMETERS['min_valid_s']} s of this recording's "
            "usable hum (it may be shorter than the recording, or have gaps), so the time of recording could not "
            "be checked; this is not evidence either way.",
        )]
    # A match must be good and unique: another offset nearly as good means the hum cannot tell them apart.
    unique = np.isnan(runner_up) or r - runner_up >= PARAMETERS["min_margin"]
    if not (r >= PARAMETERS["min_correlation"] and overlap_s >= PARAMETERS["min_valid_s"] and unique):
        return [whole_file_finding(
            "enf-grid-no-match", "info", 0.0, end_s, details,
            f"The hum did not match the grid record at one time clearly enough (best correlation {r:.2f}, "
            f"needed {PARAMETERS['min_correlation']}; next best elsewhere {runner_up:.2f}, needed at least "
            f"{PARAMETERS['min_margin']} lower). The recording may be from outside the record's period or grid, "
            "or its hum too disturbed; this is not evidence either way.",
        )]
    start = grid_start + timedelta(seconds=offset_s)
    details["matched_start_utc"] = start.isoformat()
    findings = [whole_file_finding(
        "enf-grid-match", "info", round(r, 3), end_s, details,
        f"The hum matches the grid record best if the recording started at {start:%Y-%m-%d %H:%M:%S} UTC "
        f"(correlation {r:.2f} over {overlap_s} s; the best match elsewhere reached {runner_up:.2f}).",
    )]
    if ctx.claimed_date:
        agrees, tolerance = agrees_with_claim(start, ctx.claimed_date, PARAMETERS["claimed_tolerance_naive_h"],
                                              PARAMETERS["claimed_tolerance_zoned_h"])
        if not agrees:
            findings.append(whole_file_finding(
                "enf-grid-claim-mismatch", "concern", round(r, 3), end_s,
                {**details, "claimed": ctx.claimed_date, "tolerance": tolerance},
                f"The grid record places the start of the recording at {start:%Y-%m-%d %H:%M} UTC, which does not "
                f"agree with the claimed date {ctx.claimed_date} (tolerance: {tolerance}).",
            ))
    return findings
