"""When was it recorded: the mains hum's frequency, second by second, against a grid frequency record.

Extraction, after Hajj-Ahmad, Garg and Wu (IEEE SPL 2013): each hum harmonic (k = 1, 2, 3 of 50 or
60 Hz) is shifted to 0 Hz and low-passed, and its frequency is read in `window_s` windows a second
apart from the peak of a finely zero-padded spectrum, interpolated by a parabola through the log powers
of the three bins around it. The harmonics' estimates (divided by k) are combined weighted by each one's
signal-to-noise ratio in that window (peak power over the median of bands beside it): a voice or a
phone's high-pass filter that buries one harmonic leaves the others to carry the estimate. A second is
masked where no harmonic is clear, or where the estimate moves further from its neighbours than the
grid's frequency, averaged over the window, can.

Matching: the grid record is averaged over the same window; the track is correlated (Pearson, over the
seconds valid in both) with the record at every offset, by FFT. A match is judged by how far it stands
above the correlations at every other time in the record, not by a fixed correlation: those
correlations (what chance alone produces for this recording's track and length) give, through a normal
tail on Fisher's z (`_block_tail`), the chance that a record of the searched length holds, somewhere, a
correlation at least as high by chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import ndimage, signal

PARAMETERS = {
    "work_rate_hz": 1000,
    "harmonics": [1, 2, 3],
    "baseband_rate_hz": 20,
    "baseband_cutoff_hz": 7.0,
    "window_s": 16,
    "fft_size": 4096,
    "max_deviation_hz": 0.6,
    "side_band_hz": [1.0, 3.0],
    "min_harmonic_snr_db": 14.0,
    "max_harmonic_disagreement_hz": 0.03,
    "max_step_hz": 0.005,
    "step_median_s": 9,
    "min_run_s": 8,
    "min_valid_s": 60,
    "min_valid_share": 0.7,
    "max_chance": 0.001,
    "min_correlation": 0.9,
    "block_s": 600,
    "tail_quantile": 0.99,
    "min_blocks": 8,
    "clock_search": [-1e-3, 1e-3, 21],
}
"""window_s: seconds per frequency estimate (and per grid average); max_deviation_hz: the furthest the
fundamental is searched from 50/60 Hz (the GB grid is kept within ±0.5 Hz); side_band_hz: the bands, this
far outside the searched band, whose median is the noise; max_step_hz: a second's estimate further than
this from the median of the `step_median_s` around it is masked (a 16 s average of the grid moves by a
few mHz a second); min_run_s: valid seconds count only in runs at least this long (hum is there all
the time; a note of music or a voice in the band comes and goes); block_s: the stretch of record each
chance sample is taken from (at least the recording's length); tail_quantile: the upper quantile of the
blocks' maxima the chance model is made to reproduce; min_valid_s, min_valid_share: a recording has usable hum with at least this many
valid seconds, and this share of its seconds; max_chance: a match is claimed only where the chance of
one as strong elsewhere is at most this; min_correlation: and only where the correlation is at least this
(a weaker peak is a broad one, whose place is uncertain by seconds: on the development set every match at
the true time had r ≥ 0.979, and the one below 0.9 was 1.6 s off); clock_search: the recorder clock errors tried (from, to, count)."""


@dataclass(frozen=True)
class HumTrack:
    """The hum's fundamental frequency for each whole second s (the window [s, s + window_s)), NaN where
    masked, and the combined signal-to-noise ratio of each window (dB)."""

    grid_hz: float
    frequency_hz: np.ndarray
    snr_db: np.ndarray
    window_s: int

    @property
    def valid_s(self) -> int:
        return int(np.sum(np.isfinite(self.frequency_hz)))


def _baseband(work: np.ndarray, centre_hz: float) -> np.ndarray:
    """The band around `centre_hz` moved to 0 Hz, low-passed and decimated to `baseband_rate_hz`."""
    rate = PARAMETERS["work_rate_hz"]
    step = rate // PARAMETERS["baseband_rate_hz"]
    sos = signal.butter(6, PARAMETERS["baseband_cutoff_hz"], fs=rate, output="sos")
    out, state = [], np.zeros((sos.shape[0], 2), dtype=complex)
    block = step * 50_000
    for offset in range(0, len(work), block):  # in blocks, so that memory stays flat with length
        t_s = (offset + np.arange(min(block, len(work) - offset))) / rate
        shifted = work[offset : offset + block] * np.exp(-2j * np.pi * centre_hz * t_s)
        filtered, state = signal.sosfilt(sos, shifted, zi=state)
        out.append(filtered[::step].copy())
    return np.concatenate(out) if out else np.zeros(0, dtype=complex)


def _peaks(z: np.ndarray, harmonic: int) -> tuple[np.ndarray, np.ndarray]:
    """(frequency offset from the harmonic in Hz, SNR dB) for each window a second apart."""
    rate = PARAMETERS["baseband_rate_hz"]
    win = PARAMETERS["window_s"] * rate
    nfft = PARAMETERS["fft_size"]
    frames = (len(z) - win) // rate + 1
    if frames <= 0:
        return np.zeros(0), np.zeros(0)
    freqs = sp_fft.fftshift(sp_fft.fftfreq(nfft, 1 / rate))
    reach = PARAMETERS["max_deviation_hz"] * harmonic
    band = np.flatnonzero(np.abs(freqs) <= reach)
    lo, hi = PARAMETERS["side_band_hz"]
    side = np.flatnonzero((np.abs(freqs) >= reach + lo) & (np.abs(freqs) <= reach + hi))
    window = np.hanning(win)
    offsets, snrs = np.empty(frames), np.empty(frames)
    for first in range(0, frames, 512):
        starts = (first + np.arange(min(512, frames - first))) * rate
        power = np.abs(sp_fft.fftshift(sp_fft.fft(z[starts[:, None] + np.arange(win)] * window, nfft, axis=1),
                                       axes=1)) ** 2
        inside = power[:, band]
        at = np.argmax(inside, axis=1)
        # A parabola through the log powers of the peak bin and its neighbours places the peak between bins.
        left = np.log(np.maximum(inside[np.arange(len(at)), np.maximum(at - 1, 0)], 1e-300))
        mid = np.log(np.maximum(inside[np.arange(len(at)), at], 1e-300))
        right = np.log(np.maximum(inside[np.arange(len(at)), np.minimum(at + 1, len(band) - 1)], 1e-300))
        curvature = left - 2 * mid + right
        shift = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0.0)
        offsets[first : first + len(at)] = freqs[band[at]] + np.clip(shift, -0.5, 0.5) * (freqs[1] - freqs[0])
        noise = np.median(power[:, side], axis=1)
        snrs[first : first + len(at)] = 10 * np.log10(np.maximum(inside.max(axis=1), 1e-300) / np.maximum(noise, 1e-300))
    return offsets, snrs


def hum_track(work: np.ndarray, grid_hz: float) -> HumTrack:
    """The per-second hum frequency of a signal at `work_rate_hz` (evidence.detectors.enf.to_work_rate),
    harmonics of `grid_hz` weighted by their signal-to-noise ratio."""
    estimates, weights, snrs = [], [], []
    for k in PARAMETERS["harmonics"]:
        offsets, snr_db = _peaks(_baseband(work, grid_hz * k), k)
        estimates.append(grid_hz + offsets / k)
        snrs.append(snr_db)
        weights.append(np.where(snr_db >= PARAMETERS["min_harmonic_snr_db"], 10 ** (snr_db / 10), 0.0))
    if not estimates or len(estimates[0]) == 0:
        return HumTrack(grid_hz, np.zeros(0), np.zeros(0), PARAMETERS["window_s"])
    f, w, s = np.array(estimates), np.array(weights), np.array(snrs)
    # Harmonics that disagree with the clearest one are a voice or an instrument in that band, not hum.
    clearest = f[np.argmax(w, axis=0), np.arange(f.shape[1])]
    w = np.where(np.abs(f - clearest) <= PARAMETERS["max_harmonic_disagreement_hz"], w, 0.0)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        track = np.where(total > 0, (w * f).sum(axis=0) / total, np.nan)
        combined_db = np.where(total > 0, 10 * np.log10(total), s.max(axis=0))
    filled = np.where(np.isfinite(track), track, grid_hz)
    local = ndimage.median_filter(filled, PARAMETERS["step_median_s"], mode="nearest")
    track = np.where(np.abs(track - local) <= PARAMETERS["max_step_hz"], track, np.nan)
    labels, count = ndimage.label(np.isfinite(track))
    lengths = np.bincount(labels.ravel(), minlength=count + 1)
    track = np.where((labels > 0) & (lengths[labels] >= PARAMETERS["min_run_s"]), track, np.nan)
    return HumTrack(grid_hz, track, combined_db, PARAMETERS["window_s"])


def smoothed(record_hz: np.ndarray, window_s: int) -> np.ndarray:
    """The record averaged over the `window_s` seconds from each second (NaN where fewer than three
    quarters of them were recorded), as the recording's track measures it."""
    valid = np.isfinite(record_hz)
    values = np.where(valid, record_hz, 0.0)
    kernel = np.ones(window_s)
    sums = signal.fftconvolve(values, kernel, mode="valid")
    counts = np.round(signal.fftconvolve(valid.astype(float), kernel, mode="valid"))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= 0.75 * window_s, sums / np.maximum(counts, 1), np.nan)


class Record:
    """A grid record ready to be searched: its windowed average and the spectra that every search of
    it needs, computed once (a month of record is searched for many recordings, or many trials)."""

    def __init__(self, record_hz: np.ndarray, window_s: int = PARAMETERS["window_s"]):
        self.values = smoothed(np.asarray(record_hz, dtype=float), window_s)
        self.valid = np.isfinite(self.values)
        self.centred = np.where(self.valid, self.values - (np.nanmean(self.values) if self.valid.any() else 0.0), 0.0)
        self._spectra: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.values)

    def spectra(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if size not in self._spectra:
            self._spectra = {size: tuple(sp_fft.rfft(x, size, workers=-1) for x in
                                         (self.valid.astype(float), self.centred, self.centred**2))}
        return self._spectra[size]


def correlations(track_hz: np.ndarray, record: Record, min_overlap_s: int) -> tuple[np.ndarray, np.ndarray]:
    """(Pearson r, seconds valid in both) of the track against the record at every offset 0 … len(record)
    − len(track); r is −1 where fewer than `min_overlap_s` seconds overlap."""
    n, m = len(track_hz), len(record)
    if m < n or n == 0:
        return np.zeros(0), np.zeros(0)
    valid = np.isfinite(track_hz)
    a = np.where(valid, track_hz - (np.nanmean(track_hz) if valid.any() else 0.0), 0.0)
    size = sp_fft.next_fast_len(m + n - 1, real=True)
    rec_valid, rec, rec_sq = record.spectra(size)
    mine = [sp_fft.rfft(x[::-1], size, workers=-1) for x in (valid.astype(float), a, a * a)]

    def slide(x_spec, y_spec):  # sum over the track's seconds of x[i] * y[offset + i], for every offset
        return sp_fft.irfft(x_spec * y_spec, size, workers=-1)[n - 1 : m]

    count = np.round(slide(mine[0], rec_valid))
    sum_a, sum_b = slide(mine[1], rec_valid), slide(mine[0], rec)
    sum_ab = slide(mine[1], rec)
    sum_aa, sum_bb = slide(mine[2], rec_valid), slide(mine[0], rec_sq)
    safe = np.maximum(count, 1)
    cov = sum_ab - sum_a * sum_b / safe
    var = np.maximum(sum_aa - sum_a**2 / safe, 1e-18) * np.maximum(sum_bb - sum_b**2 / safe, 1e-18)
    r = np.where(count >= max(2, min_overlap_s), cov / np.sqrt(var), -1.0)
    return np.clip(r, -1.0, 1.0), count


@dataclass(frozen=True)
class Match:
    offset_s: int
    """Second of the record at which the recording's first second lies."""
    correlation: float
    overlap_s: int
    clock_error: float
    """The recorder's clock error that fits best (0.001: its clock runs 0.1% fast)."""
    clock_correlation: float
    next_best: float
    """The best correlation more than a block away from the match."""
    z_score: float
    """How many standard deviations the match stands above the best correlations elsewhere (Fisher z)."""
    chance: float
    """Estimated chance that a record of the searched length holds a correlation this high by chance."""

    @property
    def claimed(self) -> bool:
        """Strong enough, and unique enough, to be stated as the time of recording."""
        return self.chance <= PARAMETERS["max_chance"] and self.correlation >= PARAMETERS["min_correlation"]
    exceeded: int
    blocks: int
    """Of `blocks` stretches of the record away from the match, `exceeded` held a correlation at least
    as high as the match's."""


def _block_tail(all_z: np.ndarray, block_max_z: np.ndarray, z: float) -> float:
    """P(a block's maximum ≥ z). The correlation at one offset is taken as normal on Fisher's z about
    the median of all offsets, and a block's maximum as that of k independent offsets; the spread and k
    are those that reproduce the observed blocks' median and `tail_quantile` maxima. Fitting the upper
    part of the block maxima, not only their middle, follows the tail where the decision is made: a
    law fitted to the middle alone gave chance matches too small a chance (docs/methods.md)."""
    from scipy import optimize, stats

    centre = float(np.median(all_z))
    q = PARAMETERS["tail_quantile"]
    middle, upper = float(np.median(block_max_z)) - centre, float(np.quantile(block_max_z, q)) - centre
    if middle <= 0 or upper <= middle:
        return 1.0

    def spread(k: float) -> float:
        return middle / stats.norm.ppf(0.5 ** (1 / k))

    def mismatch(log_k: float) -> float:
        k = np.exp(log_k)
        return spread(k) * stats.norm.ppf(q ** (1 / k)) - upper

    lo, hi = np.log(1.0001), np.log(1e7)
    if mismatch(lo) * mismatch(hi) > 0:
        log_k = lo if abs(mismatch(lo)) < abs(mismatch(hi)) else hi
    else:
        log_k = optimize.brentq(mismatch, lo, hi)
    k = float(np.exp(log_k))
    return float(-np.expm1(k * stats.norm.logcdf((z - centre) / spread(k))))


def search(track_hz: np.ndarray, record: Record, min_overlap_s: int, lo: int = 0, hi: int | None = None) -> Match | None:
    """The best match of the track in the record at offsets lo … hi (the whole record by default), and
    how likely one as strong is by chance in a record of that many offsets. None when no offset has
    `min_overlap_s` seconds valid in both, or the record is too short to judge chance."""
    r, count = correlations(track_hz, record, min_overlap_s)
    return judge(r, count, track_hz, record.values, min_overlap_s, lo, hi)


def judge(r: np.ndarray, count: np.ndarray, track_hz: np.ndarray, record_values: np.ndarray, min_overlap_s: int,
          lo: int = 0, hi: int | None = None) -> Match | None:
    """`search`'s verdict from the correlations at every offset (`correlations`) and the record's
    windowed values (`Record.values`, for the clock-rate fit)."""
    hi = len(r) if hi is None else min(hi, len(r))
    lo = max(0, lo)
    if hi - lo <= 0 or np.max(r[lo:hi], initial=-1.0) <= -1.0:
        return None
    best = lo + int(np.argmax(r[lo:hi]))
    block = max(PARAMETERS["block_s"], len(track_hz))
    # Chance samples come from the whole record (more of them), away from the match on either side.
    starts = [s for s in range(0, len(r) - block + 1, block) if s + block <= best - block or s >= best + block]
    maxima = np.array([r[s : s + block].max() for s in starts])
    maxima = maxima[maxima > -1.0]
    if len(maxima) < PARAMETERS["min_blocks"]:
        return None
    z = np.arctanh(np.clip(maxima, -0.999999, 0.999999))
    z_best = float(np.arctanh(min(r[best], 0.999999)))
    elsewhere = np.ones(len(r), dtype=bool)
    elsewhere[max(0, best - block) : best + block] = False
    offsets_z = np.arctanh(np.clip(r[elsewhere & (r > -1.0)], -0.999999, 0.999999))
    per_block = _block_tail(offsets_z, z, z_best)
    searched_blocks = max(1.0, (hi - lo) / block)
    chance = float(-np.expm1(searched_blocks * np.log1p(-min(per_block, 1 - 1e-16))))
    clock_error, clock_r = _clock(track_hz, record_values, best, min_overlap_s)
    return Match(offset_s=best, correlation=float(r[best]), overlap_s=int(count[best]), clock_error=clock_error,
                 clock_correlation=clock_r, next_best=float(maxima.max()),
                 z_score=float((z_best - z.mean()) / max(z.std(), 1e-9)), chance=chance,
                 exceeded=int(np.sum(maxima >= r[best])), blocks=len(maxima))


def _pearson(x: np.ndarray, y: np.ndarray, min_overlap_s: int) -> float:
    both = np.isfinite(x) & np.isfinite(y)
    if both.sum() < max(2, min_overlap_s):
        return -1.0
    return float(np.corrcoef(x[both], y[both])[0, 1])


def _clock(track_hz: np.ndarray, record_values: np.ndarray, offset_s: int, min_overlap_s: int) -> tuple[float, float]:
    """The recorder clock error (and its correlation) that best fits near the match: the recording's
    second t lies at offset + t·(1 + error) in the record. A few seconds either side are tried too."""
    lo, hi, count = PARAMETERS["clock_search"]
    t = np.arange(len(track_hz))
    best = (0.0, -1.0)
    for error in np.linspace(lo, hi, int(count)):
        for shift in range(-3, 4):
            at = np.round(offset_s + shift + t * (1 + error)).astype(int)
            inside = (at >= 0) & (at < len(record_values))
            if inside.sum() < min_overlap_s:
                continue
            r = _pearson(track_hz[inside], record_values[at[inside]], min_overlap_s)
            if r > best[1]:
                best = (float(error), r)
    return best
