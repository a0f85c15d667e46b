"""ENF time check: when was the recording made, according to the mains hum and the grid's own record?

The grid frequency wanders and never repeats, and every mains-connected place in Great Britain sees
the same wander. The recording's hum frequency, second by second (evidence.enf_match: harmonics
weighted by their signal-to-noise ratio, 16 s windows), is compared with the grid operator's record
(NESO "System frequency data": CSV files with the header `dtm,f`, one row per second, UTC; one file or a
folder of monthly files as downloaded) at every offset. A match is claimed only where the chance of a
correlation as strong somewhere else in the searched record is small (estimated from the correlations
at every other time); with a claimed date and time the window around it is searched first. The user
supplies the record; nothing is downloaded.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from evidence import enf_match
from evidence.detectors import Context, enf, whole_file_finding
from evidence.errors import InputError
from evidence.media import Audio
from evidence.report import Finding
from evidence.timecode import agrees_with_claim, parse_claimed

NAME = "enf-grid"
DESCRIPTION = ("Compares the mains hum's frequency, second by second, with a grid frequency record (--grid-csv) to "
               "find when the recording was made, and checks that against the claimed date.")
KIND_PREFIXES = ("enf-grid-",)
PARAMETERS = {
    "claimed_window_naive_h": 2.0,
    "claimed_window_zoned_h": 0.25,
    "claimed_tolerance_naive_h": 2.0,
    "claimed_tolerance_zoned_h": 0.25,
    "figure_points": 600,
    **{k: enf_match.PARAMETERS[k] for k in ("min_valid_s", "min_valid_share", "max_chance", "min_correlation",
                                            "window_s")},
}
"""claimed_window_*_h: how far either side of a claimed time (with or without a zone) is searched first."""
NESO_STAMP_CHARS = 19
"""`2025-05-01 00:00:00`: NESO's timestamps; other ISO forms are read too, more slowly."""


def read_grid_csv(path: Path) -> tuple[datetime, np.ndarray]:
    """(time of the first second, frequency per second with NaN for gaps and zero readings) from one
    CSV file or a folder of them (NESO's monthly files, merged on one time line). The command line reads
    the record once to check it before any work, and the test reads it again: the last one read is kept
    while its files are unchanged (a month of record takes a second or two to parse)."""
    try:
        stamp = _stamp(Path(path))
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    if not stamp:
        raise InputError(f"{path}: the folder holds no .csv grid frequency files")
    start, track = _merged(stamp)
    return start, track.copy()


@functools.lru_cache(maxsize=1)
def _merged(stamp: tuple[tuple[str, int, int], ...]) -> tuple[datetime, np.ndarray]:
    parts = [_read_one(Path(name)) for name, _, _ in stamp]
    first = min(seconds[0] for seconds, _ in parts)
    last = max(seconds[-1] for seconds, _ in parts)
    track = np.full(int(last - first) + 1, np.nan)
    for seconds, frequency in parts:
        # The record marks missing readings with zeros; they are gaps, not data.
        track[seconds - first] = np.where(frequency > 0, frequency, np.nan)
    return datetime.fromtimestamp(int(first), timezone.utc), track


def _read_one(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(UTC epoch seconds, frequency) of each row of one CSV, sorted by time."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    lines = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r", b"").split(b"\n")
    header = [h.strip().lower() for h in lines[0].split(b",")]
    if header[:2] != [b"dtm", b"f"]:
        raise InputError(f"{path}: not a grid frequency CSV (expected the header 'dtm,f')")
    rows = np.array([line for line in lines[1:] if line.strip()])
    if len(rows) == 0:
        raise InputError(f"{path}: the grid frequency CSV has no rows")
    try:
        seconds, frequency = _fast(rows)
    except ValueError:
        seconds, frequency = _slow(path, data)
    order = np.argsort(seconds, kind="stable")
    return seconds[order], frequency[order]


def _fast(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NESO's own layout, `YYYY-MM-DD HH:MM:SS,frequency`, parsed a column at a time; ValueError for
    anything else."""
    width = rows.dtype.itemsize
    if width <= NESO_STAMP_CHARS + 1:
        raise ValueError("no frequency column")
    chars = rows.view("S1").reshape(len(rows), width)
    if not (np.all(chars[:, NESO_STAMP_CHARS] == b",") and np.all(chars[:, 10] == b" ")):
        raise ValueError("not NESO's layout")
    stamps = rows.astype(f"S{NESO_STAMP_CHARS}").astype(f"U{NESO_STAMP_CHARS}").astype("datetime64[s]")
    frequency = np.ascontiguousarray(chars[:, NESO_STAMP_CHARS + 1 :]).view(f"S{width - NESO_STAMP_CHARS - 1}").ravel()
    return stamps.astype(np.int64), frequency.astype(float)


def _slow(path: Path, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    seconds, values = [], []
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None
    next(reader, None)
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        try:
            when = datetime.fromisoformat(row[0].strip())
            when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
            seconds.append(int(when.timestamp()))
            values.append(float(row[1]))
        except (ValueError, IndexError):
            raise InputError(f"{path}: line {line} is not 'date time,frequency': {','.join(row)!r}") from None
    return np.array(seconds, dtype=np.int64), np.array(values)


@functools.lru_cache(maxsize=1)
def _record(stamp: tuple[tuple[str, int, int], ...]) -> enf_match.Record:
    """The searchable record (its windowed average and spectra), once per record."""
    return enf_match.Record(_merged(stamp)[1])


def skip_reason(ctx: Context) -> str:
    return "" if ctx.grid_csv else "Not run: no grid frequency record was given (--grid-csv)."


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """The record's files with their modification times and sizes: what the caches are keyed by."""
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv") if path.is_dir() else [path]
    return tuple((str(f), os.stat(f).st_mtime_ns, os.stat(f).st_size) for f in files)


def _claimed_offsets(ctx: Context, grid_start: datetime, length: int) -> tuple[int, int, str] | None:
    """The offsets of the record around a claimed time (not a bare date), and the window in words."""
    if not ctx.claimed_date:
        return None
    claimed, date_only = parse_claimed(ctx.claimed_date)
    if date_only:
        return None
    zoned = claimed.tzinfo is not None
    hours = PARAMETERS["claimed_window_zoned_h"] if zoned else PARAMETERS["claimed_window_naive_h"]
    at = int(((claimed if zoned else claimed.replace(tzinfo=timezone.utc)) - grid_start).total_seconds())
    lo, hi = at - int(hours * 3600), at + int(hours * 3600) + 1
    if hi <= 0 or lo >= length:
        return None
    return max(lo, 0), min(hi, length), f"{hours:g} h either side of the claimed time {ctx.claimed_date}"


def _figure(track: enf_match.HumTrack, record: enf_match.Record, offset_s: int) -> dict:
    """The recording's hum and the record's stretch it matched, at most `figure_points` points each."""
    step = max(1, len(track.frequency_hz) // PARAMETERS["figure_points"])
    mine = track.frequency_hz[::step]
    theirs = record.values[offset_s : offset_s + len(track.frequency_hz)][::step]

    def listed(values):
        return [None if not np.isfinite(v) else round(float(v), 4) for v in values]

    return {"step_s": step, "recording_hz": listed(mine), "grid_hz": listed(theirs)}


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    end_s = audio.duration_s
    stamp = _stamp(Path(ctx.grid_csv))
    grid_start, raw = _merged(stamp)
    nominal_hz = 50.0 if np.nanmedian(raw) < 55 else 60.0
    track = enf_match.hum_track(enf.to_work_rate(audio), nominal_hz)
    seconds = len(track.frequency_hz)
    details = {"valid_s": track.valid_s, "seconds": seconds, "min_valid_s": PARAMETERS["min_valid_s"],
               "min_valid_share": PARAMETERS["min_valid_share"], "grid_hz": nominal_hz,
               "grid_start_utc": grid_start.isoformat(), "grid_length_s": len(raw)}
    if track.valid_s < PARAMETERS["min_valid_s"] or track.valid_s < PARAMETERS["min_valid_share"] * max(seconds, 1):
        return [whole_file_finding(
            "enf-grid-insufficient", "info", 0.0, end_s, details,
            f"Only {track.valid_s} of {seconds} s carry mains hum clear enough to follow; at least "
            f"{PARAMETERS['min_valid_s']} s and {PARAMETERS['min_valid_share']:.0%} of the recording are needed to "
            "match it against the grid record, so the time of recording could not be checked. This says nothing "
            "either way about when it was made.",
        )]
    record = _record(stamp)
    r, count = enf_match.correlations(track.frequency_hz, record, PARAMETERS["min_valid_s"])
    window = _claimed_offsets(ctx, grid_start, len(r))
    claimed_match = (enf_match.judge(r, count, track.frequency_hz, record.values, PARAMETERS["min_valid_s"],
                                     window[0], window[1]) if window else None)
    whole = enf_match.judge(r, count, track.frequency_hz, record.values, PARAMETERS["min_valid_s"])
    if whole is None:
        return [whole_file_finding(
            "enf-grid-no-match", "info", 0.0, end_s, details,
            f"The grid record is too short, or has too many gaps, to search for this recording: it needs at least "
            f"{enf_match.PARAMETERS['min_blocks']} stretches of {max(enf_match.PARAMETERS['block_s'], seconds) // 60} "
            f"minutes with {PARAMETERS['min_valid_s']} s covered, beside the match, to judge the chance of a wrong "
            "match. The time of recording could not be checked; this is not evidence either way.",
        )]
    passed = [(m, where) for m, where in ((claimed_match, window[2] if window else ""), (whole, "the whole record"))
              if m is not None and m.claimed]
    best = passed[0] if passed else (whole, "the whole record")
    match, searched = best
    details.update(_match_details(match, grid_start, searched))
    if not passed:
        return [whole_file_finding(
            "enf-grid-no-match", "info", 0.0, end_s, details,
            f"The hum did not match the grid record at one time clearly enough. Its best match (correlation "
            f"{match.correlation:.2f}; at least {PARAMETERS['min_correlation']} is needed) is one that chance alone "
            f"would give somewhere in a record this long with probability {_chance(match.chance)} (at most "
            f"{PARAMETERS['max_chance']:g} is needed): correlations at least as high occurred in {match.exceeded} of "
            f"{match.blocks} other stretches of the record. The recording may be from outside the record's period or "
            "grid, or its hum too disturbed; this is not evidence either way.",
        )]
    start = grid_start + timedelta(seconds=match.offset_s)
    details["figure"] = _figure(track, record, match.offset_s)
    findings = [whole_file_finding(
        "enf-grid-match", "info", round(match.correlation, 3), end_s, details,
        f"The hum matches the grid record if the recording started at {start:%Y-%m-%d %H:%M:%S} UTC (searched: "
        f"{searched}): correlation {match.correlation:.2f} over {match.overlap_s} s, {match.z_score:.1f} standard "
        f"deviations above the best correlations elsewhere; no other stretch of the record came as close "
        f"({match.exceeded} of {match.blocks}), and the chance of a match this strong by chance in the searched "
        f"record is estimated at {_chance(match.chance)}. Recorder clock error that fits best: "
        f"{match.clock_error * 100:+.3f}%. A match says the hum is consistent with that time; it cannot say where "
        "the recording was made within the grid.",
    )]
    if ctx.claimed_date:
        agrees, tolerance = agrees_with_claim(start, ctx.claimed_date, PARAMETERS["claimed_tolerance_naive_h"],
                                              PARAMETERS["claimed_tolerance_zoned_h"])
        if not agrees:
            findings.append(whole_file_finding(
                "enf-grid-claim-mismatch", "concern", round(match.correlation, 3), end_s,
                {**details, "claimed": ctx.claimed_date, "tolerance": tolerance},
                f"The grid record places the start of the recording at {start:%Y-%m-%d %H:%M} UTC, which does not "
                f"agree with the claimed date {ctx.claimed_date} (tolerance: {tolerance}).",
            ))
    return findings


def _chance(p: float) -> str:
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def _match_details(match: enf_match.Match, grid_start: datetime, searched: str) -> dict:
    return {"searched": searched, "offset_s": match.offset_s,
            "matched_start_utc": (grid_start + timedelta(seconds=match.offset_s)).isoformat(),
            "correlation": round(match.correlation, 4), "overlap_s": match.overlap_s,
            "next_best_correlation": round(match.next_best, 4), "z_score": round(match.z_score, 2),
            "chance_of_wrong_match": float(f"{match.chance:.3g}"), "max_chance": PARAMETERS["max_chance"],
            "min_correlation": PARAMETERS["min_correlation"],
            "higher_elsewhere": match.exceeded, "stretches_elsewhere": match.blocks,
            "clock_error": match.clock_error, "clock_correlation": round(match.clock_correlation, 4)}
