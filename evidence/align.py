"""Two recordings of the same meeting (two phones in one room, a phone and the council's call
recording): how they line up, and what each holds that the other does not.

Unlike `evidence compare` (a copy against its original, the same samples), these are different
microphones: other rooms' echoes, levels, equalisation, noise and codecs. The sub-fingerprints compare
uses do not survive that (bench/align/run.py measures their bit error rate between the two sides at
the true alignment: about that of unrelated audio). What does survive is when sound starts and stops:

1. Both files are decoded to mono at RATE_HZ; every HOP_S, the energy in BANDS log-spaced bands
   (200-3600 Hz) in dB above that band's own noise floor (its FLOOR_PERCENTILE), less its mean over the
   surrounding DETREND_S: level, equalisation, noise level and automatic gain cancel out, the rise and
   fall of syllables and words remain.
2. Windows of A (WINDOW_S and SHORT_WINDOW_S long, every STEP_S) are cross-correlated with the whole
   of B: the lag of the best normalised correlation (sharpened to a fraction of a hop), kept when it is
   high (MIN_WINDOW_R) and clearly above any other lag (MIN_PEAK_RATIO).
3. Kept lags are grouped into runs of one lag (a gap in one recording, where it was paused or cut,
   moves the lag), kept when strong enough (MIN_RUN_R, SINGLE_WINDOW_R); one straight line
   lag(t) = offset_k + drift * t is fitted to all of them, with each run its own offset and one drift
   (the two recorders' clocks), dropping lags more than MAX_RESIDUAL_S from it and refitting.
4. Each frame of A is given the run whose mapping makes it match B best, or "not in B", by a Viterbi
   path over a local correlation (SIMILARITY_S), paying SWITCH_COST for each change; frames where A
   has no sound cost the same in every state. A stretch that would take B back in time (by more than
   BACKWARDS_S) is a chance match and becomes "not in B". The same is done for B against A.
5. A stretch with sound in one recording (ACTIVE_DB above its floor) that is "not in" the other is a
   difference, reported from MIN_DIFFERENCE_S of sound, with its times in both recordings.

The transcripts' words are not used: this works on the sound alone.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from evidence import __version__, media
from evidence.errors import InputError, IntegrityError
from evidence.fingerprint import hash_file
from evidence.progress import ProgressCallback, no_progress
from evidence.subfingerprint import band_energies
from evidence.switching import cheapest_path
from evidence.timecode import hms, hms_ms

RATE_HZ = 8_000
FRAME = 256
"""Samples per analysis frame (32 ms at RATE_HZ)."""
HOP = 80
"""Samples between frames (10 ms): the resolution of the lags before sharpening."""
HOP_S = HOP / RATE_HZ
BAND_EDGES_HZ = np.geomspace(200.0, 3600.0, 9)
BANDS = len(BAND_EDGES_HZ) - 1
FLOOR_PERCENTILE = 10
"""A band's noise floor: the level it exceeds 90% of the time (pauses between words are never rarer)."""
SILENT_DBFS = -80.0
"""Frames quieter than this (RMS, dB full scale) are digital silence or a muted microphone: no room is that
quiet through a microphone and its amplifier."""
DETREND_S = 2.0
WINDOW_S = 30.0
SHORT_WINDOW_S = 10.0
"""Windows of this length are searched as well: a stretch shorter than WINDOW_S between two gaps, or at the
start or end of the shorter recording, has no long window that fits in both."""
STEP_S = 5.0
COARSE = 5
"""Frames averaged for the search over every lag (50 ms); the best lag is then sharpened at HOP_S."""
MIN_WINDOW_R = 0.2
"""Normalised correlation a window's best lag needs to be kept. The best of thousands of lags between
unrelated stretches often reaches 0.2-0.45, so this only drops windows with nothing to go on; the runs below
decide."""
MIN_PEAK_RATIO = 1.3
"""How far the best lag must stand above the best lag more than PEAK_EXCLUSION_S from it."""
PEAK_EXCLUSION_S = 1.0
SINGLE_WINDOW_R = 0.65
"""A lag found in one window only (a stretch between two gaps, or at an end, shorter than two windows) is
kept when its correlation reaches this: chance matches of one 10 s window reached 0.6 on the benchmark's dev
set."""
MIN_RUN_R = 0.5
"""A run of agreeing lags is kept when its best window reaches this: the same sound through two microphones
mostly gives 0.7 to 0.95 (bench/align/run.py); chance runs of two windows reached 0.42 in the tests'
unrelated recordings."""
RUN_JOIN_S = 0.3
"""Consecutive kept lags closer than this belong to one run (drift moves a lag by 0.003 s in STEP_S at
300 ppm)."""
MAX_RESIDUAL_S = 0.05
MAX_DRIFT_PPM = 2000.0
SIMILARITY_S = 2.0
"""Length of the local correlation that decides, frame by frame, whether the other recording holds the
same sound: long enough for a few words, short enough to place a boundary within about a second."""
BACKWARDS_S = 5.0
"""How far a stretch may seem to go back in the other recording's time before it counts as impossible: the
two boundaries of a gap are each placed to a second or two."""
MATCH_R = 0.3
"""Local correlation above which a frame counts as held by the other recording ("not in it" costs
1 - MATCH_R)."""
SWITCH_COST = 40.0
"""Cost of changing state, in units of (1 - correlation) per frame: about a second of clearly better
matching is needed before the path moves."""
ACTIVE_DB = 8.0
"""A frame has sound when its level (averaged over ACTIVE_SMOOTH_S) stands this far above the recording's
floor."""
ACTIVE_SMOOTH_S = 0.1
MIN_DIFFERENCE_S = 2.0
"""Differences with less sound than this are not reported."""
MIN_DURATION_S = 5.0

PARAMETERS = {
    "rate_hz": RATE_HZ, "frame_s": FRAME / RATE_HZ, "hop_s": HOP_S,
    "band_edges_hz": [round(float(f), 1) for f in (BAND_EDGES_HZ[0], BAND_EDGES_HZ[-1])], "bands": BANDS,
    "floor_percentile": FLOOR_PERCENTILE, "silent_dbfs": SILENT_DBFS, "detrend_s": DETREND_S,
    "window_s": WINDOW_S, "short_window_s": SHORT_WINDOW_S, "step_s": STEP_S, "min_window_r": MIN_WINDOW_R,
    "min_peak_ratio": MIN_PEAK_RATIO, "single_window_r": SINGLE_WINDOW_R, "min_run_r": MIN_RUN_R,
    "run_join_s": RUN_JOIN_S, "max_residual_s": MAX_RESIDUAL_S, "similarity_s": SIMILARITY_S,
    "backwards_s": BACKWARDS_S, "match_r": MATCH_R, "switch_cost": SWITCH_COST, "active_db": ACTIVE_DB,
    "active_smooth_s": ACTIVE_SMOOTH_S, "min_difference_s": MIN_DIFFERENCE_S,
}

ALIGNED = "ALIGNED"
NOT_ALIGNED = "NO COMMON SOUND FOUND"
TOO_SHORT = "TOO SHORT TO ALIGN"

CANNOT_PROVE = (
    "Where both recordings hold the same sound, this shows that they were made at the same time in the same "
    "place (or on the same line); it does not show that either is complete or unedited, nor who is speaking. "
    "A difference shows that one recording holds sound the other does not at the matching time: that the other "
    "was paused, cut, muted or too far from the speaker to hear it, or that its microphone picked up something "
    "the first did not. It cannot tell which. Sound too quiet in one recording to stand above its background "
    "counts as absent from it. Boundaries were within 2 s of the truth for about three quarters of the "
    "benchmark's removed passages and within 4.5 s for all (docs/align.md).")


@dataclass(frozen=True)
class Side:
    path: str
    name: str
    sha256: str
    """SHA-256 of the file before and, checked equal, after it was read."""
    duration_s: float
    sound_s: float
    """Seconds in which the recording has sound (ACTIVE_DB above its floor)."""


@dataclass(frozen=True)
class Piece:
    """A stretch where A and B hold the same sound, and the times in each."""

    a_start_s: float
    a_end_s: float
    b_start_s: float
    b_end_s: float
    offset_s: float
    """B's time minus A's at A's time 0 on this piece's line (the drift is common to every piece)."""


@dataclass(frozen=True)
class Difference:
    """A stretch with sound in one recording (`holder`) that the other does not hold."""

    holder: str
    """"A" or "B"."""
    start_s: float
    end_s: float
    """In the holder's time."""
    sound_s: float
    """Seconds of sound in it."""
    other_start_s: float | None
    other_end_s: float | None
    """Where the other recording is at those moments (None: before it began or after it ended)."""
    kind: str
    """"before-start", "after-end" (the other was not recording yet, or any more), "jump" (the other goes
    from one side of it straight to the other: paused or cut), "absent" (the other runs on through it
    without this sound) or "none" (nothing in the other matches anything in this recording)."""
    text: str


@dataclass(frozen=True)
class Lag:
    """One window's best lag: B's time minus A's at the window's middle (`a_s`, in A)."""

    a_s: float
    window_s: float
    lag_s: float
    correlation: float
    used: bool


@dataclass(frozen=True)
class Alignment:
    tool_version: str
    a: Side
    b: Side
    verdict: str
    offset_s: float | None
    """B's time at A's time 0 on the first piece's line: t_B = offset_s + t_A * (1 + drift_ppm / 1e6) until the
    first gap made by a pause or cut (each piece has its own offset_s)."""
    drift_ppm: float | None
    """How much faster B's clock runs than A's, in parts per million (negative: slower)."""
    residual_ms: float | None
    """RMS distance of the kept lags from the fitted lines: how well the line holds."""
    pieces: list[Piece]
    differences: list[Difference]
    lags: list[Lag]
    summary: str
    cannot_prove: str
    parameters: dict
    timings_s: dict[str, float]
    """Wall seconds per stage: the only field that differs between two runs."""


ALIGNMENT_SCHEMA = "1.0"


def to_json(a: Alignment) -> str:
    data = {"kind": "evidence-alignment", "schema_version": ALIGNMENT_SCHEMA, **dataclasses.asdict(a)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Features:
    values: np.ndarray
    """(frames, BANDS) float32: dB above each band's floor, less its local mean."""
    active: np.ndarray
    """(frames,) bool: the frame has sound."""


def features(samples: np.ndarray) -> Features:
    energy = band_energies(samples, RATE_HZ, FRAME, HOP, BAND_EDGES_HZ, fft_workers=1)
    if len(energy) == 0:
        return Features(np.zeros((0, BANDS), np.float32), np.zeros(0, bool))
    frames = sliding_window_view(samples, FRAME)[::HOP][: len(energy)]
    heard = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20) > SILENT_DBFS
    # The floors are those of the room, not of a stretch the recorder muted: that would put all of the
    # room's own noise "above the floor".
    floor_from = heard if heard.any() else np.ones(len(energy), bool)
    level_db = 10 * np.log10(energy + 1e-10)
    above = np.clip(level_db - np.percentile(level_db[floor_from], FLOOR_PERCENTILE, axis=0), 0, 60)
    above[~heard] = 0.0
    values = (above - uniform_filter1d(above, int(DETREND_S / HOP_S), axis=0, mode="nearest")).astype(np.float32)
    total_db = uniform_filter1d(10 * np.log10(energy.sum(axis=1) + 1e-10), int(ACTIVE_SMOOTH_S / HOP_S))
    active = heard & (total_db > np.percentile(total_db[floor_from], FLOOR_PERCENTILE) + ACTIVE_DB)
    return Features(values, active)


def _coarse(values: np.ndarray) -> np.ndarray:
    n = len(values) // COARSE
    return values[: n * COARSE].reshape(n, COARSE, BANDS).mean(axis=1)


def _normalised_scores(window: np.ndarray, other: np.ndarray, other_fft: np.ndarray, size: int,
                       cumulative: np.ndarray) -> np.ndarray:
    """Normalised correlation of `window` with `other` at every lag where it fits inside."""
    m = len(window)
    product = scipy.fft.irfft(np.conj(scipy.fft.rfft(window, size, axis=0)) * other_fft, size, axis=0).sum(axis=1)
    lags = len(other) - m + 1
    norms = np.sqrt(np.maximum(cumulative[m : m + lags] - cumulative[:lags], 1e-9) * float(np.sum(window**2)) + 1e-9)
    return product[:lags] / norms


def _fine_lag(a: np.ndarray, b: np.ndarray, start: int, m: int, coarse_at: int) -> tuple[float, float]:
    """The lag (in frames) of A's `m` frames from `start` near B's coarse frame `coarse_at`, sharpened by a
    parabola, and its correlation."""
    window = a[start : start + m]
    centre = coarse_at * COARSE
    candidates = range(max(0, centre - 2 * COARSE), min(len(b) - m, centre + 2 * COARSE) + 1)
    if not candidates:
        return float(centre), 0.0
    scores = np.array([float(np.sum(window * b[j : j + m]) / (np.linalg.norm(window) * np.linalg.norm(b[j : j + m])
                                                              + 1e-9)) for j in candidates])
    k = int(np.argmax(scores))
    shift = 0.0
    if 0 < k < len(scores) - 1:
        denominator = scores[k - 1] - 2 * scores[k] + scores[k + 1]
        shift = 0.5 * (scores[k - 1] - scores[k + 1]) / denominator if denominator < 0 else 0.0
    return candidates[k] + shift - start, float(scores[k])


def window_lags(a: np.ndarray, b: np.ndarray, window_s: float = WINDOW_S) -> list[Lag]:
    """Every `window_s` window of A (every STEP_S) against all of B: its best lag (B's time minus A's, s) and
    correlation, kept or not. Recordings shorter than WINDOW_S are searched with one window as long as the
    shorter one allows."""
    m = min(int(window_s / HOP_S), len(a), len(b)) // COARSE * COARSE
    mc = m // COARSE
    ca, cb = _coarse(a), _coarse(b)
    if mc < 2:
        return []
    size = scipy.fft.next_fast_len(len(cb) + mc)
    b_fft = scipy.fft.rfft(cb, size, axis=0)
    cumulative = np.concatenate(([0.0], np.cumsum(np.sum(cb.astype(np.float64) ** 2, axis=1))))
    exclusion = int(PEAK_EXCLUSION_S / (HOP_S * COARSE))
    out = []
    for start in range(0, len(a) - m + 1, int(STEP_S / HOP_S)):
        window = ca[start // COARSE : start // COARSE + mc]
        if float(np.sum(window**2)) < 1e-6:
            continue
        scores = _normalised_scores(window, cb, b_fft, size, cumulative)
        best = int(np.argmax(scores))
        others = scores.copy()
        others[max(0, best - exclusion) : best + exclusion + 1] = -np.inf
        second = float(np.max(others)) if np.isfinite(others).any() else 0.0
        lag_frames, r = _fine_lag(a, b, start, m, best)
        used = r >= MIN_WINDOW_R and float(scores[best]) >= MIN_PEAK_RATIO * max(second, 1e-6)
        out.append(Lag(a_s=round((start + m / 2) * HOP_S, 3), window_s=round(m * HOP_S, 2),
                       lag_s=round(float(lag_frames) * HOP_S, 4),
                       correlation=round(r, 3), used=bool(used)))
    return out


def fit(lags: list[Lag]) -> tuple[list[float], float, float, list[Lag]] | None:
    """One offset per run of kept lags and one common drift: (offsets_s, drift, rms residual s, lags with
    the outliers marked unused); None when no two kept lags agree."""
    kept = [x for x in lags if x.used]
    runs: list[list[Lag]] = []
    for lag in kept:
        home = next((run for run in runs if abs(run[-1].lag_s - lag.lag_s) < RUN_JOIN_S), None)
        if home is None:
            runs.append([lag])
        else:
            home.append(lag)
    runs = [run for run in runs if max(x.correlation for x in run) >= MIN_RUN_R
            and (len(run) >= 2 or run[0].correlation >= SINGLE_WINDOW_R)]
    if not runs:
        return None
    members = {id(x): k for k, run in enumerate(runs) for x in run}
    for _ in range(5):
        chosen = [x for x in kept if id(x) in members]
        t = np.array([x.a_s for x in chosen])
        y = np.array([x.lag_s for x in chosen])
        design = np.zeros((len(chosen), len(runs) + 1))
        design[np.arange(len(chosen)), [members[id(x)] for x in chosen]] = 1.0
        design[:, -1] = t
        # Weighted by the correlation squared (its fourth power in the squared error): a window only partly
        # common to both (at a gap's edge) has a low correlation and a lag pulled towards the gap's far side.
        # With every lag at one time there is nothing to fit a drift to: it is taken as 0.
        w = np.array([x.correlation for x in chosen]) ** 2
        solution = (np.linalg.lstsq(design * w[:, None], y * w, rcond=None)[0] if len(set(t)) > 1
                    else np.r_[[y.mean()] * len(runs), 0.0])
        residual = y - design @ solution
        outliers = {id(x) for x, r in zip(chosen, residual) if abs(r) > MAX_RESIDUAL_S}
        if not outliers or len(outliers) == len(chosen):
            break
        members = {k: v for k, v in members.items() if k not in outliers}
    members = {k: v for k, v in members.items() if k not in outliers}
    if not members:
        return None
    drift = float(np.clip(solution[-1], -MAX_DRIFT_PPM / 1e6, MAX_DRIFT_PPM / 1e6))
    rms = float(np.sqrt(np.mean(np.square([r for x, r in zip(chosen, residual) if id(x) in members]))))
    # A run whose every lag was dropped keeps an offset that the frame-by-frame path gives no frame to.
    offsets = [float(solution[k]) for k in range(len(runs))]
    return offsets, drift, rms, [dataclasses.replace(x, used=id(x) in members) for x in lags]


def _local_similarity(own: np.ndarray, other: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Per frame of `own`, the correlation over SIMILARITY_S with `other` at frames `index` (-1: outside)."""
    inside = (index >= 0) & (index < len(other))
    mapped = np.zeros_like(own)
    mapped[inside] = other[index[inside]]
    width = int(SIMILARITY_S / HOP_S)
    product = uniform_filter1d(np.sum(own * mapped, axis=1), width)
    norms = np.sqrt(uniform_filter1d(np.sum(own**2, axis=1), width)
                    * uniform_filter1d(np.sum(mapped**2, axis=1), width))
    r = np.where(inside, product / (norms + 1e-6), 0.0)
    return np.where(inside, np.clip(r, 0.0, 1.0), -1.0)


def best_path(cost: np.ndarray) -> np.ndarray:
    """Viterbi over the states (columns) with SWITCH_COST per change; the state of each frame."""
    return cheapest_path(cost, SWITCH_COST)


def assign(own: Features, other: Features, offsets_s: list[float], drift: float, forward: bool) -> np.ndarray:
    """Per frame of `own`, the index of the piece line it follows into `other`, or len(offsets_s) for "not
    in the other". `forward`: own is A (t_B = offset + t_A (1 + drift)); else own is B."""
    t = np.arange(len(own.values)) * HOP_S
    states = len(offsets_s)
    cost = np.empty((len(t), states + 1), dtype=np.float32)
    for k, offset in enumerate(offsets_s):
        mapped = offset + t * (1 + drift) if forward else (t - offset) / (1 + drift)
        index = np.round(mapped / HOP_S).astype(np.int64)
        index[(index < 0) | (index >= len(other.values))] = -1
        r = _local_similarity(own.values, other.values, index)
        cost[:, k] = np.where(r < 0, 1.0, 1.0 - r)
    cost[:, states] = 1.0 - MATCH_R
    # Where this recording is silent there is nothing to match: every state costs the same.
    quiet = ~maximum_filter1d(own.active, int(0.3 / HOP_S))
    cost[quiet] = 0.0
    return _forward_only(best_path(cost), offsets_s, drift, forward)


def _forward_only(path: np.ndarray, offsets_s: list[float], drift: float, forward: bool) -> np.ndarray:
    """The path with every run that would take the other recording backwards in time dropped to "not in the
    other": recorders do not rewind, so of two runs that disagree the shorter is the chance match."""
    states = len(offsets_s)
    path = path.copy()
    kept: list[tuple[int, int, int]] = []
    for state, a, b in _runs(path):
        if state == states:
            continue
        while kept:
            last_state, last_a, last_b = kept[-1]
            if (_map(a * HOP_S, offsets_s[state], drift, forward)
                    >= _map(last_b * HOP_S, offsets_s[last_state], drift, forward) - BACKWARDS_S):
                break
            if b - a <= last_b - last_a:
                path[a:b] = states
                break
            path[last_a:last_b] = states
            kept.pop()
        else:
            kept.append((state, a, b))
            continue
        if path[a] != states:
            kept.append((state, a, b))
    return path


def _runs(path: np.ndarray) -> list[tuple[int, int, int]]:
    edges = np.nonzero(np.diff(path))[0] + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(path)]))
    return [(int(path[a]), int(a), int(b)) for a, b in zip(starts, ends)]


def _map(t_s: float, offset_s: float, drift: float, forward: bool) -> float:
    return offset_s + t_s * (1 + drift) if forward else (t_s - offset_s) / (1 + drift)


def _describe(holder: str, other: str, start_s: float, end_s: float, sound_s: float, o0: float | None,
              o1: float | None, kind: str) -> str:
    lead = (f"{holder} has {_length(sound_s)} of sound from {hms(start_s)} to {hms(end_s)} (in {holder}) that "
            f"{other} does not hold")
    if kind == "before-start":
        return f"{lead}: {other} had not started recording yet."
    if kind == "after-end":
        return f"{lead}: {other} had stopped recording."
    if kind == "none":
        return f"{lead}: nothing in {other} matches any of {holder}."
    if kind == "jump":
        return f"{lead}: {other} goes straight on at {hms(o0)} (in {other}), as if paused or cut there."
    return (f"{lead}: {other} runs on from {hms(o0)} to {hms(o1)} (in {other}) without it (muted, silent, or too "
            "far away to hear it).")


def _length(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def differences(holder: str, own: Features, path: np.ndarray, offsets_s: list[float], drift: float, forward: bool,
                other_duration_s: float) -> list[Difference]:
    """Runs of "not in the other" holding MIN_DIFFERENCE_S of sound, trimmed to their sound."""
    other = "B" if holder == "A" else "A"
    states = len(offsets_s)
    runs = _runs(path)
    out = []
    for i, (state, a, b) in enumerate(runs):
        if state != states:
            continue
        sound = np.flatnonzero(own.active[a:b])
        if len(sound) * HOP_S < MIN_DIFFERENCE_S:
            continue
        first, last = a + int(sound[0]), a + int(sound[-1]) + 1
        start_s, end_s = round(first * HOP_S, 2), round(last * HOP_S, 2)
        before = runs[i - 1][0] if i > 0 else None
        after = runs[i + 1][0] if i + 1 < len(runs) else None
        line_in = before if before is not None else after
        line_out = after if after is not None else before
        o0 = _map(start_s, offsets_s[line_in], drift, forward) if line_in is not None else None
        o1 = _map(end_s, offsets_s[line_out], drift, forward) if line_out is not None else None
        if o0 is not None and o0 < 0 or (o1 is not None and o1 <= 0):
            kind, o0, o1 = "before-start", None, max(0.0, o1) if o1 is not None and o1 > 0 else None
        elif o1 is not None and o1 > other_duration_s or (o0 is not None and o0 >= other_duration_s):
            kind, o1 = "after-end", None
            o0 = min(o0, other_duration_s) if o0 is not None else None
        elif before is not None and after is not None and before != after:
            kind = "jump"
            o1 = _map(end_s, offsets_s[after], drift, forward)
            o0 = _map(start_s, offsets_s[before], drift, forward)
        elif before is None and after is None:
            kind = "none"
        else:
            kind = "absent"
        o0 = round(o0, 2) if o0 is not None else None
        o1 = round(o1, 2) if o1 is not None else None
        sound_s = round(len(sound) * HOP_S, 2)
        out.append(Difference(holder, start_s, end_s, sound_s, o0, o1, kind,
                              _describe(holder, other, start_s, end_s, sound_s, o0, o1, kind)))
    return out


def pieces_of(path: np.ndarray, offsets_s: list[float], drift: float, a_duration_s: float,
              b_duration_s: float) -> list[Piece]:
    """A's runs on one piece line, clipped to B; those shorter than SIMILARITY_S are dropped as chance."""
    out: list[Piece] = []
    for state, a, b in _runs(path):
        if state == len(offsets_s):
            continue
        offset = offsets_s[state]
        start_s, end_s = a * HOP_S, min(b * HOP_S, a_duration_s)
        start_s = max(start_s, -offset / (1 + drift))
        end_s = min(end_s, (b_duration_s - offset) / (1 + drift))
        if end_s - start_s < SIMILARITY_S:
            continue
        out.append(Piece(round(start_s, 2), round(end_s, 2), round(offset + start_s * (1 + drift), 2),
                         round(offset + end_s * (1 + drift), 2), round(offset, 4)))
    return out


def _summary(verdict: str, offset_s: float | None, drift_ppm: float | None, diffs: list[Difference]) -> str:
    if verdict == TOO_SHORT:
        return f"One of the recordings lasts less than {MIN_DURATION_S:.0f} s: too short to align."
    if verdict == NOT_ALIGNED:
        return ("No stretch of sound was found in both recordings: they are of different meetings, or too different "
                "(one too quiet, too noisy or too distorted) for this method to line them up.")
    start = (f"B began {offset_s:.2f} s before A (A's 00:00:00 is B's {hms_ms(offset_s)})" if offset_s >= 0 else
             f"B began {-offset_s:.2f} s after A (B's 00:00:00 is A's {hms_ms(-offset_s)})")
    parts = [f"{start}; B's clock runs {abs(drift_ppm):.0f} ppm {'fast' if drift_ppm >= 0 else 'slow'} against A's "
             f"({abs(drift_ppm) * 3.6e-3:.2f} s an hour)."]
    if diffs:
        plural = "s" if len(diffs) > 1 else ""
        parts.append(f"{len(diffs)} difference{plural} of {MIN_DIFFERENCE_S:.0f} s of sound or more:")
        parts += [d.text for d in diffs]
    else:
        parts.append(f"Neither holds {MIN_DIFFERENCE_S:.0f} s or more of sound that the other does not.")
    return " ".join(parts)


def _state(source: Path, role: str, progress: ProgressCallback) -> tuple[str, int, int]:
    """SHA-256, size and modification time: taken before the file is read and after, as `evidence run` does."""
    st = source.stat()
    sha256 = hash_file(source, lambda stage, done, total: progress(f"{stage}:{role}", done, total)).sha256
    return sha256, st.st_size, st.st_mtime_ns


def _read(path: Path, role: str, progress: ProgressCallback, timings: dict[str, float]
          ) -> tuple[Path, tuple[str, int, int], np.ndarray]:
    def tagged(stage: str, done: float, total: float) -> None:
        progress(f"{stage}:{role}", done, total)

    start = time.perf_counter()
    source = media.check_readable(path)
    before = _state(source, role, progress)
    audio, _ = media.decode_for_analysis(source, media.probe(source), tagged, rate_hz=RATE_HZ)
    timings[f"decode_{role}"] = round(time.perf_counter() - start, 3)
    return source, before, audio.samples[:]


def _side(source: Path, before: tuple[str, int, int], samples: np.ndarray, f: Features, progress: ProgressCallback,
          role: str) -> Side:
    after = _state(source, role, progress)
    if after != before:
        raise IntegrityError(f"{source}: the file changed while it was being read (SHA-256, size and modification "
                             f"time before {before}, after {after}); the alignment must not be relied on")
    sha256 = before[0]
    return Side(path=str(source), name=source.name, sha256=sha256, duration_s=round(len(samples) / RATE_HZ, 3),
                sound_s=round(float(f.active.sum()) * HOP_S, 2))


def align(a_path: str | Path, b_path: str | Path, progress: ProgressCallback = no_progress) -> Alignment:
    timings: dict[str, float] = {}
    a_source, a_sha, a_samples = _read(Path(a_path), "A", progress, timings)
    b_source, b_sha, b_samples = _read(Path(b_path), "B", progress, timings)
    if a_source == b_source:
        raise InputError(f"{a_source}: given twice; give the two recordings to line up")
    start = time.perf_counter()
    fa, fb = features(a_samples), features(b_samples)
    timings["features"] = round(time.perf_counter() - start, 3)
    a_side = _side(a_source, a_sha, a_samples, fa, progress, "A")
    b_side = _side(b_source, b_sha, b_samples, fb, progress, "B")
    start = time.perf_counter()
    progress("align", 0, 1)
    verdict, offsets, drift, rms, lags, pieces, diffs = NOT_ALIGNED, [], 0.0, None, [], [], []
    if min(a_side.duration_s, b_side.duration_s) < MIN_DURATION_S:
        verdict = TOO_SHORT
    else:
        lags = sorted(window_lags(fa.values, fb.values, WINDOW_S) + window_lags(fa.values, fb.values, SHORT_WINDOW_S),
                      key=lambda x: x.a_s)
        fitted = fit(lags)
        if fitted is not None:
            offsets, drift, rms, lags = fitted
            path_a = assign(fa, fb, offsets, drift, forward=True)
            path_b = assign(fb, fa, offsets, drift, forward=False)
            pieces = pieces_of(path_a, offsets, drift, a_side.duration_s, b_side.duration_s)
            if pieces:
                verdict = ALIGNED
                diffs = (differences("A", fa, path_a, offsets, drift, True, b_side.duration_s)
                         + differences("B", fb, path_b, offsets, drift, False, a_side.duration_s))
    progress("align", 1, 1)
    timings["align"] = round(time.perf_counter() - start, 3)
    # The line on which the two begin together; a cut in either moves the lines of the pieces after it.
    main = pieces[0].offset_s if pieces else None
    offset_s = round(main, 4) if main is not None else None
    drift_ppm = round(drift * 1e6, 1) if main is not None else None
    return Alignment(
        tool_version=__version__, a=a_side, b=b_side, verdict=verdict, offset_s=offset_s, drift_ppm=drift_ppm,
        residual_ms=round(rms * 1000, 1) if main is not None and rms is not None else None,
        pieces=pieces, differences=diffs, lags=lags,
        summary=_summary(verdict, offset_s, drift_ppm, diffs), cannot_prove=CANNOT_PROVE,
        parameters=dict(PARAMETERS), timings_s=timings,
    )

