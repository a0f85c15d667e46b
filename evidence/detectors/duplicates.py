"""Duplicated passages (copy-move): the same stretch of sound occurring twice in one recording.

A live recording never repeats itself exactly: people never say anything twice in the same way,
and the room's noise is never the same twice. A passage copied and pasted elsewhere (or looped to
fill a gap) does repeat exactly, and keeps repeating closely through lossy re-encoding. The test:

1. The 16 kHz signal is decimated to `rate_hz` = 8000 (binomial filter `decimation_taps`) and
   reduced to one 32-bit robust sub-fingerprint (Haitsma and Kalker; evidence.subfingerprint, as
   `evidence compare` uses) per `hop_s` = 16 ms: frames of `frame_s` = 0.256 s, 33 bands between 300
   and 2000 Hz; blocks of `block_s` on two threads. Memory stays flat with length apart from the 6
   bytes a frame (16 ms) of fingerprints and their flags.
2. Frames that say nothing are left out: those whose value occurs more than `max_occurrences`
   times (digital silence, steady tones: they would match everywhere, as in evidence.compare) and
   those with more than `max_dead_bits` bits whose energy difference is exactly zero (silence, or
   bands a codec emptied).
3. Candidate lags by hashing, not by comparing every pair of frames: two frames whose values share
   one 16-bit half exactly (taken in turn) and differ in at most `vote_max_bit_errors` of the 32
   bits, at least `min_lag_s` apart, vote for their lag in the earlier frame's `vote_window_s`
   window. A half shared by more than `max_half_occurrences` frames does not vote. A window and lag (± one frame
   either way in both) with at least `min_votes` votes is a candidate. Candidates in whose window
   (or the ones beside it) no `min_length_s` of frames matches at their lag with a mean bit error
   rate of at most `max_bit_error_rate` are dropped at once, measured together: the work then grows
   with the recording's length, not with its square.
4. Each candidate is checked frame by frame at its best lag: the share of differing bits (bit error
   rate) of each frame against the frame one lag later, counted as `unmatched_bit_error_rate` minus
   it, and the stretch with the largest sum taken (frames left out count as `uninformative_cost`;
   the search runs `extend_s` either side, further while the stretch reaches its edge). A stretch of
   at least `min_length_s` whose mean bit error rate over the frames that count is at most
   `max_bit_error_rate`, with at least `min_informative_fraction` of its frames counting, is kept.
   A repeat found at neighbouring lags (within half a frame) is one: the best-matching lag is kept.
5. The waveforms decide: both places band-passed to `waveform_band_hz`, the second shifted to the
   sample that matches best within `waveform_search_s`, and their normalised correlation taken in
   `waveform_chunk_s` pieces. Where the median piece reaches `min_waveform_correlation` it is the
   same audio (a copy survives MP3 and AAC at 0.8 to 1); below it, sounds that are alike but not
   the same (the same words said again; a synthetic voice saying them again at another speed or
   pitch), not reported. People's speech stays below it (the real call in tests/data, with every
   other threshold loosened: at most 0.61, over stretches of at most 0.5 s); a synthetic voice
   repeating a sentence at the same pitch can reach it.
6. Severity: `concern` from `concern_length_s` with a waveform correlation of at least
   `concern_waveform_correlation`, `notice` otherwise. A stretch that overlaps its own repeat, or
   one of whose places is also a place of a repeat at another lag, is a sound heard three or more
   times or repeating continuously: a repeating sound (a ringtone, an alarm, music, a machine),
   reported as `info`. The finding is placed at the later copy; details give both.

Measured figures and the thresholds' origins are in docs/methods.md.

What it cannot tell apart or find: a sound that really does repeat itself (a looped ringtone or hold
music, a recorded announcement played twice, a repeated electronic beep, a machine's regular
sound, the chorus of a song from a radio, a synthetic voice saying the same words again at the same
pitch) gives the same result as a pasted copy; only what lies
around the two places, and listening, can tell. It cannot say which of the two places is the
original. A ticking clock or a repeated short beep within room noise is not reported: each repeat
is shorter than `min_length_s`. A copy shorter than about `min_length_s`, one altered after
pasting (pitch, speed, equalisation, added noise), one pasted in a place of steady sound or
silence, and a loop of plain room tone re-encoded with noise substitution (AAC can replace noise
bands with new noise) are missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import signal

from evidence import subfingerprint
from evidence.detectors import Context
from evidence.media import Audio
from evidence.report import Finding
from evidence.timecode import hms_ms

NAME = "duplicates"
DESCRIPTION = ("Looks for stretches of sound that occur twice in the recording, as where a passage was copied and "
               "pasted elsewhere or looped to fill a gap.")
# rate_hz, frame_s, hop_s, band_edges_hz and bands describe evidence.subfingerprint's defaults, which
# the test uses as they are (the same fingerprints as `evidence compare`); the rest may be changed.
PARAMETERS = {
    "rate_hz": subfingerprint.RATE_HZ,
    "decimation_taps": [1, 4, 6, 4, 1],
    "lowpass_hz": 3400.0,
    "frame_s": subfingerprint.FRAME_S,
    "hop_s": subfingerprint.HOP_S,
    "band_edges_hz": [float(subfingerprint.BAND_EDGES_HZ[0]), float(subfingerprint.BAND_EDGES_HZ[-1])],
    "bands": 33,
    "block_s": 60.0,
    "max_occurrences": 16,
    "max_dead_bits": 8,
    "vote_max_bit_errors": 4,
    "max_half_occurrences": 64,
    "min_lag_s": 0.75,
    "vote_window_s": 0.512,
    "min_votes": 3,
    "unmatched_bit_error_rate": 0.35,
    "uninformative_cost": 0.5,
    "extend_s": 8.0,
    "min_length_s": 0.75,
    "max_bit_error_rate": 0.25,
    "min_informative_fraction": 0.6,
    "waveform_band_hz": [300.0, 3400.0],
    "waveform_search_s": 0.024,
    "waveform_chunk_s": 0.25,
    "waveform_shift_s": 20.0,
    "min_waveform_correlation": 0.8,
    "concern_length_s": 1.5,
    "concern_waveform_correlation": 0.9,
}

FFT_WORKERS = 2
"""Threads that take the spectra; the analysis is sized for two cores."""


def _hop_frames(seconds: float) -> int:
    return int(round(seconds / PARAMETERS["hop_s"]))


def _decimated(audio: Audio) -> Iterator[np.ndarray]:
    """The samples at `rate_hz`, block by block, from a rate other than twice it (which
    `_half_rate_block` handles): an elliptic low-pass at `lowpass_hz` for whole factors, else
    scipy's polyphase resampler."""
    rate, target = audio.sample_rate_hz, PARAMETERS["rate_hz"]
    block = max(2, int(PARAMETERS["block_s"] * rate))
    if rate == target:
        for start in range(0, len(audio.samples), block):
            yield audio.samples[start : start + block].astype(np.float32, copy=False)
        return
    if rate % target:
        g = np.gcd(rate, target)
        for start in range(0, len(audio.samples), block):
            yield signal.resample_poly(audio.samples[start : start + block], target // g, rate // g).astype(np.float32)
        return
    step = rate // target
    sos = signal.ellip(4, 0.5, 60, PARAMETERS["lowpass_hz"], fs=rate, output="sos").astype(np.float32)
    state = np.zeros((sos.shape[0], 2), dtype=np.float32)
    block -= block % step
    for start in range(0, len(audio.samples), block):
        x = audio.samples[start : start + block].astype(np.float32, copy=False)
        filtered, state = signal.sosfilt(sos, x, zi=state)
        yield filtered[::step].astype(np.float32)


def _half_rate_block(samples: np.ndarray, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-fingerprints first..first+count-1 of `samples` (at twice `rate_hz`, the 16 kHz analysis
    signal): the stretch they need, decimated by the binomial filter `decimation_taps`, and
    fingerprinted on one thread. The filter only has to keep what lies above 6 kHz from folding into
    the fingerprints' bands (below 2 kHz at 8 kHz), a wide margin that 5 taps give (-34 dB at 6 kHz,
    more above); it tilts the bands, alike at both places of a repeat."""
    taps = np.asarray(PARAMETERS["decimation_taps"], dtype=np.float32)
    taps /= taps.sum()
    hop, frame = subfingerprint.HOP, subfingerprint.FRAME
    needed = count * hop + frame  # count + 1 frames at the lower rate
    x = samples[2 * first * hop : 2 * first * hop + 2 * needed + len(taps)].astype(np.float32, copy=False)
    n = (len(x) - len(taps)) // 2 + 1
    y = taps[0] * x[0 : 2 * n : 2]
    for k in range(1, len(taps)):
        y += taps[k] * x[k : k + 2 * n : 2]
    values, margins = subfingerprint.bits_of(subfingerprint.band_energies(y, fft_workers=1))
    return values[:count], (margins[:count] == 0).sum(axis=1).astype(np.uint8)


def fingerprints(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    """The recording's sub-fingerprints (uint32, one per `hop_s`) and, per frame, how many of its bits
    rest on an energy difference of exactly zero (uint8). From the 16 kHz analysis signal, blocks of
    `block_s` are fingerprinted on FFT_WORKERS threads at once; memory stays flat with length."""
    rate, target = audio.sample_rate_hz, PARAMETERS["rate_hz"]
    if rate == 2 * target:
        width = len(PARAMETERS["decimation_taps"])
        decimated = max(0, (len(audio.samples) - width) // 2 + 1)
        total = subfingerprint.frame_count(decimated) - 1
        if total <= 0:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint8)
        step = max(1, _hop_frames(PARAMETERS["block_s"]))
        with ThreadPoolExecutor(FFT_WORKERS) as pool:
            parts = list(pool.map(lambda first: _half_rate_block(audio.samples, first, min(step, total - first)),
                                  range(0, total, step)))
        return np.concatenate([v for v, _ in parts]), np.concatenate([d for _, d in parts])
    values, dead = [], []
    for v, margins in subfingerprint.stream(_decimated(audio), fft_workers=FFT_WORKERS):
        values.append(v)
        dead.append((margins == 0).sum(axis=1).astype(np.uint8))
    if not values:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint8)
    return np.concatenate(values), np.concatenate(dead)


def informative(values: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Frames whose value is rare enough and whose bits rest on real energy differences."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (counts[inverse] <= PARAMETERS["max_occurrences"]) & (dead <= PARAMETERS["max_dead_bits"])


def candidate_pairs(values: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(earlier frame, lag in frames) of every pair of usable frames at least `min_lag_s` apart that
    share a 16-bit half of their value exactly and differ in at most `vote_max_bit_errors` bits.
    Each 16-bit half is sorted once; pairs are taken within each group of equal halves."""
    index = np.flatnonzero(usable)
    min_lag = _hop_frames(PARAMETERS["min_lag_s"])
    cap = PARAMETERS["max_half_occurrences"]
    found_i, found_lag = [], []
    for shift in (0, 16):
        half = ((values[index] >> np.uint32(shift)) & np.uint32(0xFFFF)).astype(np.uint16)
        order = np.argsort(half, kind="stable")  # a radix sort; equal halves keep time order
        keys, frames = half[order], index[order]
        if len(keys) < 2:
            continue
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        sizes = np.diff(np.r_[first, len(keys)])
        size = np.repeat(sizes, sizes)
        after = size - 1 - (np.arange(len(keys)) - np.repeat(first, sizes))  # partners later in the group
        k = np.flatnonzero((size <= cap) & (after > 0))
        after = after[k]
        d = 1
        while len(k):
            i, j = frames[k], frames[k + d]
            diff = values[i] ^ values[j]
            keep = (j - i >= min_lag) & (np.bitwise_count(diff) <= PARAMETERS["vote_max_bit_errors"])
            if shift:
                keep &= (diff & np.uint32(0xFFFF)) != 0  # pairs with both halves equal were found already
            found_i.append(i[keep])
            found_lag.append((j - i)[keep])
            more = after > d
            k, after = k[more], after[more]
            d += 1
    if not found_i:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_i).astype(np.int64), np.concatenate(found_lag).astype(np.int64)


def candidates(first: np.ndarray, lag: np.ndarray, n: int) -> list[tuple[int, int, int]]:
    """(votes, lag, window) of each window of the earlier frame and lag whose votes, with those of the
    neighbouring windows and lags (one either way), reach `min_votes`; most votes first."""
    window = _hop_frames(PARAMETERS["vote_window_s"])
    windows = n // window + 2
    keys, counts = np.unique(lag * windows + first // window, return_counts=True)
    total = np.zeros(len(keys), dtype=np.int64)
    for dl in (-1, 0, 1):
        for dw in (-1, 0, 1):
            where = np.searchsorted(keys, keys + dl * windows + dw)
            where = np.minimum(where, len(keys) - 1)
            total += np.where(keys[where] == keys + dl * windows + dw, counts[where], 0)
    chosen = np.flatnonzero(total >= PARAMETERS["min_votes"])
    chosen = chosen[np.argsort(-total[chosen], kind="stable")]
    return [(int(total[c]), int(keys[c] // windows), int(keys[c] % windows)) for c in chosen]


def promising(values: np.ndarray, usable: np.ndarray, cells: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The candidates where some `min_length_s` of frames, in the window or the ones beside it,
    matches at the candidate's lag as well as a kept stretch must on average (mean bit error rate of
    the frames that count at most `max_bit_error_rate`, at least half of them counting). They are
    measured together, a few thousand at a time, so that only these are checked one by one. (A
    repeat's neighbouring lags are candidates of their own.)"""
    n, size = len(values), _hop_frames(PARAMETERS["vote_window_s"])
    span = max(1, min(3 * size - 1, _hop_frames(PARAMETERS["min_length_s"])))
    limit = PARAMETERS["max_bit_error_rate"] * 32
    kept = []
    for start in range(0, len(cells), 4096):
        chunk = cells[start : start + 4096]
        lag = np.array([c[1] for c in chunk])[:, None]
        frames = (np.array([c[2] for c in chunk]) * size - size)[:, None] + np.arange(3 * size)[None, :]
        inside = (frames >= 0) & (frames + lag < n)
        here = np.where(inside, frames, 0)
        later = np.where(inside, frames + lag, 0)
        counted = inside & usable[here] & usable[later]
        errors = np.where(counted, np.bitwise_count(values[here] ^ values[later]), 0).astype(np.int32)
        total = np.cumsum(errors, axis=1)
        number = np.cumsum(counted, axis=1, dtype=np.int32)
        sums, counts = total[:, span:] - total[:, :-span], number[:, span:] - number[:, :-span]
        good = ((counts >= span // 2) & (sums <= limit * counts)).any(axis=1)
        kept += [c for c, ok in zip(chunk, good) if ok]
    return kept


def _costs(values: np.ndarray, usable: np.ndarray, lag: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Bit error rate of frames a..b-1 against the frames `lag` later, and which of them count."""
    errors = np.bitwise_count(values[a:b] ^ values[a + lag : b + lag]) / 32.0
    counts = usable[a:b] & usable[a + lag : b + lag]
    return errors, counts


def _best_stretch(errors: np.ndarray, counts: np.ndarray) -> tuple[int, int, float]:
    """The stretch [a, b) with the largest sum of (unmatched_bit_error_rate - cost), and that sum."""
    cost = np.where(counts, errors, PARAMETERS["uninformative_cost"])
    gain = PARAMETERS["unmatched_bit_error_rate"] - cost
    total = np.r_[0.0, np.cumsum(gain)]
    lowest = np.minimum.accumulate(total)
    b = int(np.argmax(total - lowest))
    best = float(total[b] - lowest[b])
    if best <= 0:
        return 0, 0, 0.0
    a = int(np.flatnonzero(total[: b + 1] == lowest[b])[-1])
    return a, b, best


def verify(values: np.ndarray, usable: np.ndarray, lag: int, window: int) -> tuple[int, int, int] | None:
    """The duplicated stretch (first frame, frame after the last, lag) found around `window` near
    `lag`, or None. The lag (± one frame) with the fewest differing bits in the window is used; the
    stretch is searched `extend_s` either side, further where it reaches the edge of the search."""
    n = len(values)
    size = _hop_frames(PARAMETERS["vote_window_s"])
    lo, hi = max(0, (window - 1) * size), (window + 2) * size
    best_lag, best_error = None, None
    for candidate in (lag - 1, lag, lag + 1):
        b = min(hi, n - candidate)
        if candidate <= 0 or b - lo < 1:
            continue
        errors, counts = _costs(values, usable, candidate, lo, b)
        if not counts.any():
            continue
        error = float(errors[counts].mean())
        if best_error is None or error < best_error:
            best_lag, best_error = candidate, error
    if best_lag is None:
        return None
    lag = best_lag
    extend = _hop_frames(PARAMETERS["extend_s"])
    a0, b0 = max(0, lo - extend), min(n - lag, hi + extend)
    while True:
        errors, counts = _costs(values, usable, lag, a0, b0)
        a, b, _ = _best_stretch(errors, counts)
        if b <= a:
            return None
        grow_left = a == 0 and a0 > 0
        grow_right = b == b0 - a0 and b0 < n - lag
        if not (grow_left or grow_right):
            return a0 + a, a0 + b, lag
        a0 = max(0, a0 - extend) if grow_left else a0
        b0 = min(n - lag, b0 + extend) if grow_right else b0


def _measure(values: np.ndarray, usable: np.ndarray, a: int, b: int, lag: int) -> tuple[float, float]:
    errors, counts = _costs(values, usable, lag, a, b)
    error = float(errors[counts].mean()) if counts.any() else 1.0
    return error, float(counts.mean()) if len(counts) else 0.0


def stretches(values: np.ndarray, usable: np.ndarray) -> list[dict]:
    """Every duplicated stretch: {first, end, lag (frames), bit_error_rate, informative}, each after
    the thresholds of step 4, one per lag and place."""
    first, lag = candidate_pairs(values, usable)
    size = _hop_frames(PARAMETERS["vote_window_s"])
    checked: dict[int, list[tuple[int, int]]] = {}  # lag: stretches of the earlier place already checked
    runs = []
    for _, cand_lag, window in promising(values, usable, candidates(first, lag, len(values))):
        at = window * size
        if any(a - size <= at <= b + size for near in range(cand_lag - 2, cand_lag + 3) for a, b in checked.get(near, ())):
            continue
        result = verify(values, usable, cand_lag, window)
        if result is None:
            checked.setdefault(cand_lag, []).append((at, at + size))
            continue
        checked.setdefault(result[2], []).append((result[0], result[1]))
        runs.append((result[2], result[0], result[1]))
    runs.sort()
    merged: list[list[int]] = []
    for lag_, a, b in runs:
        for m in merged[-8:]:
            if abs(m[0] - lag_) <= 1 and a <= m[2] and b >= m[1]:
                m[1], m[2] = min(m[1], a), max(m[2], b)
                break
        else:
            merged.append([lag_, a, b])
    measured = []
    for lag_, a, b in merged:
        error, share = _measure(values, usable, a, b, lag_)
        measured.append({"first": a, "end": b, "lag": lag_, "bit_error_rate": error, "informative": share})
    # A repeat found at neighbouring lags (frames overlap 16-fold, so a lag a few frames off still
    # matches) is one repeat: the best-matching lag is kept.
    out: list[dict] = []
    tolerance = _hop_frames(PARAMETERS["frame_s"] / 2)
    min_frames = PARAMETERS["min_length_s"] / PARAMETERS["hop_s"]
    for m in sorted(measured, key=lambda m: m["bit_error_rate"]):
        if any(abs(o["lag"] - m["lag"]) <= tolerance and _overlap(o["first"], o["end"], m["first"], m["end"]) > 0
               for o in out):
            continue
        if m["end"] - m["first"] < min_frames or m["bit_error_rate"] > PARAMETERS["max_bit_error_rate"] \
                or m["informative"] < PARAMETERS["min_informative_fraction"]:
            continue
        out.append(m)
    return sorted(out, key=lambda m: (m["first"], m["lag"]))


def _time_s(index: int) -> float:
    return float(subfingerprint.frame_time_s(index))


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _repeating(found: list[dict]) -> list[bool]:
    """Whether each stretch belongs to a sound heard three or more times (or repeating continuously):
    it overlaps its own repeat, or one of its places overlaps a place of a stretch at another lag."""
    places = [((s["first"], s["end"]), (s["first"] + s["lag"], s["end"] + s["lag"])) for s in found]
    out = []
    for k, s in enumerate(found):
        (a0, a1), (b0, b1) = places[k]
        repeating = _overlap(a0, a1, b0, b1) > 0
        for m, t in enumerate(found):
            if m == k or abs(t["lag"] - s["lag"]) <= _hop_frames(PARAMETERS["frame_s"] / 2):
                continue
            if any(_overlap(*p, *q) > 0 for p in places[k] for q in places[m]):
                repeating = True
        out.append(repeating)
    return out


def waveform_correlation(audio: Audio, first_s: float, second_s: float, length_s: float) -> tuple[float, float]:
    """How alike the two places' waveforms are: both band-passed to `waveform_band_hz`, the second
    shifted to the sample that matches best within `waveform_search_s` of `second_s` (over the first
    `waveform_shift_s`), then the median over `waveform_chunk_s` pieces of their normalised
    correlation (1: the same samples; a copy re-encoded by a lossy codec about 0.8-1; two different
    sounds, even the same words said twice, far less). Returns (correlation, the second place's start in seconds at the best shift)."""
    rate, x = audio.sample_rate_hz, audio.samples
    search = int(round(PARAMETERS["waveform_search_s"] * rate))
    margin = search + int(0.01 * rate)  # room for the filter's edges
    a0, n = int(round(first_s * rate)), int(round(length_s * rate))
    b0 = int(round(second_s * rate))
    if n < 8 or a0 - margin < 0 or b0 - margin < 0 or b0 + n + margin > len(x):
        return 0.0, second_s
    sos = signal.butter(4, PARAMETERS["waveform_band_hz"], "bandpass", fs=rate, output="sos")
    first = signal.sosfiltfilt(sos, x[a0 - margin : a0 + n + margin].astype(np.float64))[margin:-margin]
    second = signal.sosfiltfilt(sos, x[b0 - margin : b0 + n + margin].astype(np.float64))[margin - search : -(margin - search) or None]
    # The best shift is found on the first `waveform_shift_s` (a copy is shifted as a whole): over a
    # whole long passage the correlation's transforms would grow with it (500 MB for 60 s).
    m = min(n, int(PARAMETERS["waveform_shift_s"] * rate))
    head, around = first[:m], second[: m + 2 * search]
    products = signal.correlate(around, head, mode="valid", method="fft")
    power = np.concatenate(([0.0], np.cumsum(around**2)))
    energies = power[m:] - power[:-m]  # each shift's energy over the head's length
    normalised = products / np.sqrt(np.sum(head**2) * np.maximum(energies, 0) + 1e-30)
    shift = int(np.argmax(normalised))
    aligned = second[shift : shift + n]
    size = max(1, int(PARAMETERS["waveform_chunk_s"] * rate))
    count = max(1, n // size)
    pieces_a = first[: count * size].reshape(count, -1) if n >= size else first[None, :]
    pieces_b = aligned[: count * size].reshape(count, -1) if n >= size else aligned[None, :]
    per_piece = np.sum(pieces_a * pieces_b, axis=1) / np.sqrt(
        np.sum(pieces_a**2, axis=1) * np.sum(pieces_b**2, axis=1) + 1e-30)
    return float(np.median(per_piece)), (b0 - search + shift) / rate


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    values, dead = fingerprints(audio)
    if len(values) == 0:
        return []
    usable = informative(values, dead)
    found = []
    for s in stretches(values, usable):
        first_s = _time_s(s["first"])
        length_s = (s["end"] - s["first"]) * PARAMETERS["hop_s"]
        s["waveform"], s["second_s"] = waveform_correlation(audio, first_s, first_s + s["lag"] * PARAMETERS["hop_s"],
                                                            length_s)
        if s["waveform"] >= PARAMETERS["min_waveform_correlation"]:
            found.append(s)
    findings = [_finding(s, repeating, audio.duration_s) for s, repeating in zip(found, _repeating(found))]
    findings.sort(key=lambda f: (f.start_s, f.end_s))
    return findings


def _finding(s: dict, repeating: bool, duration_s: float) -> Finding:
    first_start = _time_s(s["first"])
    lag_s = s["second_s"] - first_start  # to the sample, from the waveforms
    first_end = min(duration_s - lag_s, _time_s(s["end"]))
    second_start, second_end = first_start + lag_s, first_end + lag_s
    length_s = first_end - first_start
    error, alike = s["bit_error_rate"], s["waveform"]
    if repeating:
        severity = "info"
    elif length_s >= PARAMETERS["concern_length_s"] and alike >= PARAMETERS["concern_waveform_correlation"]:
        severity = "concern"
    else:
        severity = "notice"
    seen = (f"The {length_s:.1f} s of sound from {hms_ms(first_start)} to {hms_ms(first_end)} occurs again from "
            f"{hms_ms(second_start)} to {hms_ms(second_end)}, {lag_s:.3f} s later. Their sound patterns agree in "
            f"{round(100 * (1 - error))}% of their bits (bit error rate {error:.2f}) and their waveforms correlate "
            f"at {alike:.2f}: two different stretches of sound, even the same person saying the same words twice, "
            "agree in about half of the bits and their waveforms hardly correlate at all (about 0), while the same "
            "audio saved again with a lossy codec (MP3, AAC) agrees in about 80-97% of the bits and correlates at "
            "0.8 to 1.")
    if repeating:
        meaning = (" This sound is heard more than twice, or repeats continuously: that is what a sound that "
                   "repeats by itself does (a ringtone, an alarm, a beep, music, a machine), though a loop made in "
                   "an editor looks the same. It is reported for information.")
    else:
        meaning = (" A live recording does not repeat itself exactly: people never say anything twice in exactly "
                   "the same way, and the room's background is never the same twice. So this suggests a passage "
                   "copied and pasted, or looped, in editing. It cannot prove it: a sound that repeats by itself "
                   "(a ringtone or hold music, a recorded or synthetic voice message played again, a repeated "
                   "beep, a machine's steady sound) gives the same result, and the test cannot tell which of the two places is the "
                   "original. Listen to both places.")
    score = max(0.0, min(1.0, alike * min(1.0, length_s / (2 * PARAMETERS["concern_length_s"]))))
    return Finding(
        kind="duplicate-passage", start_s=round(second_start, 3), end_s=round(second_end, 3), severity=severity,
        score=round(score, 3),
        details={"first_start_s": round(first_start, 3), "first_end_s": round(first_end, 3),
                 "second_start_s": round(second_start, 3), "second_end_s": round(second_end, 3),
                 "length_s": round(length_s, 3), "lag_s": round(lag_s, 4),
                 "bit_error_rate": round(error, 3), "waveform_correlation": round(alike, 3),
                 "informative_fraction": round(s["informative"], 3), "repeating": repeating,
                 "max_bit_error_rate": PARAMETERS["max_bit_error_rate"],
                 "min_waveform_correlation": PARAMETERS["min_waveform_correlation"],
                 "min_length_s": PARAMETERS["min_length_s"]},
        explanation=seen + meaning,
    )
