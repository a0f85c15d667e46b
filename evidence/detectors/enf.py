"""ENF: mains hum (electric network frequency) and the phase jumps that cuts leave in it.

Hum picked up from the mains runs continuously at the grid frequency (50 Hz in the UK) and its
harmonics. Where a recording is cut, joined or has material inserted, the hum's phase jumps: the
stretches either side were not recorded one after the other. The test, after Rodríguez, Apolinário
and Biscainho (IEEE TIFS 2010): find the strongest hum harmonics, follow each one's phase in short
frames, and compare the phase extrapolated from the second before each point with the phase
extrapolated from the second after it. A jump much larger than the recording's own phase noise is
reported; so is a step in the hum's frequency, and the hum appearing or vanishing.

Real recordings disturb the hum: a voice's harmonics pass through 100 and 150 Hz, a phone's gain
control raises and lowers the hum with the speech. So the hum is searched in the quieter moments
(a low percentile of short spectra, not their average), and a boundary is tested only where the hum
stands well above the bands just beside it on both sides (its signal-to-noise ratio, which gain
control cannot change); its presence is judged by the same ratio, not by its level.
"""

from __future__ import annotations

from dataclasses import dataclass
import warnings
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage, signal

from evidence.detectors import Context, whole_file_finding
from evidence.detectors.bands import agreeing, regions, sliding_median
from evidence.media import Audio, SampleFile
from evidence.report import Finding

NAME = "enf"
DESCRIPTION = ("Looks for mains hum (50 or 60 Hz and harmonics) and, where it is strong enough, for jumps in its "
               "phase or level that a cut, join or insertion leaves.")
PARAMETERS = {
    "work_rate_hz": 1000,
    "lowpass_hz": 400.0,
    "grid_hz": [50.0, 60.0],
    "harmonics": [1, 2, 3, 4],
    "spectrum_segment_s": 4.096,
    "spectrum_percentile": 75.0,
    "hum_band_hz_per_harmonic": 0.25,
    "reference_offset_hz": [1.5, 3.5],
    "min_snr_db": 12.0,
    "bandpass_half_width_hz": 0.5,
    "side_band_offset_hz": 2.0,
    "min_frame_snr_db": 10.0,
    "min_clear_share": 0.5,
    "frame_s": 0.1,
    "window_s": 1.0,
    "gap_s": 0.6,
    "far_window_s": 2.0,
    "far_gap_s": 1.2,
    "min_consistency": 0.7,
    "jump_threshold_rad": 0.3,
    "jump_noise_factor": 6.0,
    "frequency_jump_hz": 0.03,
    "frequency_noise_factor": 8.0,
    "presence_window_s": 3.0,
    "quiet_floor_window_s": 20.0,
    "quiet_margin_db": 6.0,
    "max_above_long_floor_db": 10.0,
    "min_quiet_share": 0.3,
    "present_snr_db": 20.0,
    "absent_snr_db": 3.0,
    "merge_s": 1.0,
    "min_valid_s": 10.0,
}


@dataclass(frozen=True)
class Hum:
    grid_hz: float
    harmonic: int
    snr_db: float

    @property
    def frequency_hz(self) -> float:
        return self.grid_hz * self.harmonic


def to_work_rate(audio: Audio) -> SampleFile:
    """Low-pass and decimate to `work_rate_hz` in blocks, into a SampleFile (float32): memory stays flat
    with length (ten hours at 1 kHz would be 288 MB as float64)."""
    rate = audio.sample_rate_hz
    step = rate // PARAMETERS["work_rate_hz"]
    sos = signal.butter(8, PARAMETERS["lowpass_hz"], fs=rate, output="sos")
    block = step * 65536

    def decimated():
        state = np.zeros((sos.shape[0], 2))
        for offset in range(0, len(audio.samples), block):
            filtered, state = signal.sosfilt(sos, audio.samples[offset : offset + block].astype(np.float64), zi=state)
            yield filtered[::step]

    return SampleFile.written(decimated())


def find_hum(work: np.ndarray) -> list[Hum]:
    """Harmonics of the grid frequency (50 or 60 Hz, whichever is stronger) that stand out of the noise.

    In each short spectrum (`spectrum_segment_s`, half overlapping) each harmonic's peak is measured
    against the median of the bands `reference_offset_hz` away from it; a harmonic's ratio is the
    `spectrum_percentile` of those per-segment ratios. Hum is there all the time and voices only some
    of the time, so the hum stands clear at least between words, where an average spectrum would see
    it against the voices; and a ratio does not change with the phone's gain control."""
    rate = PARAMETERS["work_rate_hz"]
    nperseg = int(PARAMETERS["spectrum_segment_s"] * rate)
    if len(work) < nperseg:  # a shorter spectrum cannot resolve the hum's band from those beside it
        return []
    freqs = np.fft.rfftfreq(nperseg, 1 / rate)
    lo_hz, hi_hz = PARAMETERS["reference_offset_hz"]
    bands = {}
    for grid_hz in PARAMETERS["grid_hz"]:
        for k in PARAMETERS["harmonics"]:
            fc = grid_hz * k
            bands[(grid_hz, k)] = (np.abs(freqs - fc) <= PARAMETERS["hum_band_hz_per_harmonic"] * k,
                                   (np.abs(freqs - fc) >= lo_hz) & (np.abs(freqs - fc) <= hi_hz))
    window = np.hanning(nperseg)
    starts = np.arange(0, len(work) - nperseg + 1, nperseg // 2)
    ratios = {key: np.empty(len(starts)) for key in bands}
    for first in range(0, len(starts), 256):  # 256 segments at a time: memory stays flat with length
        chunk = starts[first : first + 256]
        piece = work[int(chunk[0]) : int(chunk[-1]) + nperseg].astype(np.float64)
        power = np.abs(np.fft.rfft(piece[(chunk - chunk[0])[:, None] + np.arange(nperseg)[None, :]] * window, axis=1)) ** 2
        for key, (band, reference) in bands.items():
            peak, floor = power[:, band].max(axis=1), np.median(power[:, reference], axis=1)
            ratios[key][first : first + len(chunk)] = 10 * np.log10(np.maximum(peak, 1e-30) / np.maximum(floor, 1e-30))
    best: list[Hum] = []
    for grid_hz in PARAMETERS["grid_hz"]:
        found = [Hum(grid_hz, k, round(float(np.percentile(ratios[(grid_hz, k)], PARAMETERS["spectrum_percentile"])), 1))
                 for k in PARAMETERS["harmonics"]]
        strong = [h for h in found if h.snr_db >= PARAMETERS["min_snr_db"]]
        if sum(h.snr_db for h in strong) > sum(h.snr_db for h in best):
            best = strong
    return best


FILTFILT_MARGIN_S = 30.0
"""Signal filtered either side of each block, then dropped: the band-pass filter's response has
died away (it decays in well under a second) long before, so blocks give what filtering the whole
recording at once gives, to rounding."""


def phasors(work: np.ndarray | SampleFile, frequency_hz: float) -> np.ndarray:
    """Complex amplitude of the hum at `frequency_hz` per frame: its phase relative to a steady
    oscillator at that frequency, and its level."""
    rate = PARAMETERS["work_rate_hz"]
    half = PARAMETERS["bandpass_half_width_hz"]
    sos = signal.butter(2, [frequency_hz - half, frequency_hz + half], "bandpass", fs=rate, output="sos")
    frame = int(PARAMETERS["frame_s"] * rate)
    frames = len(work) // frame
    margin = int(FILTFILT_MARGIN_S * rate)
    out = np.empty(frames, dtype=np.complex128)
    block_frames = 4096  # filtered and mixed down a block at a time: memory stays flat with length
    for first in range(0, frames, block_frames):
        last = min(frames, first + block_frames)
        lo, hi = max(0, first * frame - margin), min(len(work), last * frame + margin)
        band = signal.sosfiltfilt(sos, work[lo:hi].astype(np.float64))[first * frame - lo : last * frame - lo]
        t = np.arange(first * frame, last * frame) / rate
        out[first:last] = (band * np.exp(-2j * np.pi * frequency_hz * t)).reshape(-1, frame).mean(axis=1) * 2
    return out


def frame_snr_db(work: np.ndarray, frequency_hz: float, hum_phasors: np.ndarray) -> np.ndarray:
    """The hum's signal-to-noise ratio per frame (dB): its power against the mean power of the bands
    `side_band_offset_hz` below and above it, each as wide as the hum's band. Gain control scales
    both alike, so the ratio does not follow it; a voice passing through the hum's band lowers it.
    NaN where there is no sound at all (digital silence)."""
    offset = PARAMETERS["side_band_offset_hz"]
    side = (np.abs(phasors(work, frequency_hz - offset)) ** 2 + np.abs(phasors(work, frequency_hz + offset)) ** 2) / 2
    hum = np.abs(hum_phasors) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = 10 * np.log10(hum / side)
    return np.where((side > 1e-24) & (hum > 1e-24), snr, np.nan)


BOUNDS_AT_A_TIME = 32768
"""Frame boundaries measured at a time, so memory stays flat with length."""


class Boundaries(NamedTuple):
    """What the hum does at each frame boundary i (between frames i-1 and i), one array each."""

    jump_rad: np.ndarray          # phase jump, signed (-pi..pi]
    consistency: np.ndarray       # the lower of the two sides' phase consistency (0..1)
    lower_snr_db: np.ndarray      # the lower of the two sides' median signal-to-noise ratio
    clear_share: np.ndarray       # the lower of the two sides' share of frames where the hum stands clear
    rotation_change_rad: np.ndarray  # rotation per frame after minus before: a change of frequency


def phase_jumps(p: np.ndarray, snr_db: np.ndarray, window: int, gap: int) -> Boundaries:
    """Phase jump, consistency, signal-to-noise ratio, share of clear frames and change of rotation at
    each frame boundary, from the frames where the hum's ratio reaches `min_frame_snr_db`.

    Each side is a window of `window` frames kept `gap` frames away from the boundary, because the
    band-pass filter spreads a jump over a few tenths of a second; each side's phase is carried to
    the boundary at that side's own rotation rate (the hum's frequency offset)."""
    n = len(p)
    out_jump, out_consistency, out_rotation = np.zeros(n), np.zeros(n), np.zeros(n)
    out_snr, out_clear = np.full(n, -np.inf), np.zeros(n)
    if n < 2 * (window + gap) + 1:
        return Boundaries(out_jump, out_consistency, out_snr, out_clear, out_rotation)
    # Only frames where the hum stands clear count: a voice passing through the band moves the phase.
    clear = snr_db >= PARAMETERS["min_frame_snr_db"]
    p = np.where(clear, p, 0)
    # Rotation per frame in window s: the median of the rotations between its clear frames, so that a
    # phase jump inside a window (a cut a second away) does not pass for a change of frequency.
    lag = p[1:] * np.conj(p[:-1])
    turn = np.where(lag != 0, np.angle(lag), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a window without two clear frames in a row
        rate = np.nan_to_num(sliding_median(turn, window - 1, ignore_nan=True))
        # A side's ratio is the median of its frames' ratios: the band-pass filter's ringing carries a
        # few frames of hum past its end, which a ratio of summed powers would let dominate.
        side_snr = sliding_median(snr_db, window, ignore_nan=True)  # a window of digital silence: no ratio
    side_snr = np.where(np.isfinite(side_snr), side_snr, -np.inf)
    windows = sliding_window_view(p, window)                            # windows[s] = p[s : s + window]
    clear_share = sliding_window_view(clear, window).mean(axis=1)
    steps = np.arange(window)
    all_bounds = np.arange(window + gap, n - window - gap + 1)
    for first in range(0, len(all_bounds), BOUNDS_AT_A_TIME):  # each side's window copied a block at a time
        bounds = all_bounds[first : first + BOUNDS_AT_A_TIME]
        first_left, first_right = bounds - gap - window, bounds + gap
        left, right = windows[first_left], windows[first_right]
        at_left = (left * np.exp(1j * rate[first_left][:, None] * (window + gap - steps)[None, :])).sum(axis=1)
        at_right = (right * np.exp(-1j * rate[first_right][:, None] * (gap + steps)[None, :])).sum(axis=1)
        magnitude_left, magnitude_right = np.abs(left).sum(axis=1), np.abs(right).sum(axis=1)
        out_jump[bounds] = np.angle(at_right * np.conj(at_left))
        out_consistency[bounds] = np.minimum(np.abs(at_left) / np.maximum(magnitude_left, 1e-30),
                                             np.abs(at_right) / np.maximum(magnitude_right, 1e-30))
        out_snr[bounds] = np.minimum(side_snr[first_left], side_snr[first_right])
        out_clear[bounds] = np.minimum(clear_share[first_left], clear_share[first_right])
        out_rotation[bounds] = np.angle(np.exp(1j * (rate[first_right] - rate[first_left])))
    return Boundaries(out_jump, out_consistency, out_snr, out_clear, out_rotation)


@dataclass(frozen=True)
class HumSignal:
    """The hum the ENF tests follow (None without hum), its phasors, its signal-to-noise ratio and the
    signal's level, per frame."""

    hum: Hum | None
    phasors: np.ndarray
    snr_db: np.ndarray
    level_db: np.ndarray
    """Each frame's level below `lowpass_hz` (dB) without the hum's harmonics: where the voices are."""


def hum_signal(audio: Audio) -> HumSignal:
    """Search the hum once; the ENF test, the grid check and the report's ENF track all use it. The
    lowest strong harmonic is followed (50 Hz lies below almost every voice), unless it stands clear
    of its side bands for less than half as long as another (many phones filter 50 Hz out)."""
    work = to_work_rate(audio)
    hums = find_hum(work)
    if not hums:
        return HumSignal(None, np.zeros(0, dtype=np.complex128), np.zeros(0), np.zeros(0))
    frame = int(PARAMETERS["frame_s"] * PARAMETERS["work_rate_hz"])
    usable, span = len(work) // frame * frame, frame * 8192
    power = np.concatenate([np.mean(work[i : min(usable, i + span)].astype(np.float64).reshape(-1, frame) ** 2, axis=1)
                            for i in range(0, usable, span)] or [np.zeros(0)])
    followed = []
    for hum in sorted(hums, key=lambda h: h.harmonic):
        p = phasors(work, hum.frequency_hz)
        followed.append((hum, p, frame_snr_db(work, hum.frequency_hz, p)))
    # The level of everything but the hum (a cosine of amplitude |p| has power |p|^2 / 2).
    n = min(len(power), len(followed[0][1]))
    rest = power[:n] - sum(np.abs(p[:n]) ** 2 / 2 for _, p, _ in followed)
    level_db = 10 * np.log10(np.maximum(rest, 0) + 1e-20)
    clear = [int(np.count_nonzero(snr >= PARAMETERS["min_frame_snr_db"])) for _, _, snr in followed]
    hum, p, snr = next(f for f, c in zip(followed, clear) if c >= max(clear) / 2)
    return HumSignal(hum, p[:n], snr[:n], level_db)


def _insufficient(audio: Audio, details: dict, explanation: str) -> list[Finding]:
    return [whole_file_finding("enf-insufficient", "info", 0.0, audio.duration_s, details, explanation)]


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    signal_ = ctx.hum if ctx.hum is not None else hum_signal(audio)
    hum, p = signal_.hum, signal_.phasors
    frame_s = PARAMETERS["frame_s"]
    window = int(round(PARAMETERS["window_s"] / frame_s))
    gap = int(round(PARAMETERS["gap_s"] / frame_s))
    if hum is None:
        return _insufficient(audio, {"min_snr_db": PARAMETERS["min_snr_db"]},
                             "No mains hum strong enough to test was found, so the ENF test could not look for "
                             "cuts. This says nothing either way about editing.")
    b = phase_jumps(p, signal_.snr_db, window, gap)
    far = phase_jumps(p, signal_.snr_db, int(round(PARAMETERS["far_window_s"] / frame_s)),
                      int(round(PARAMETERS["far_gap_s"] / frame_s)))
    # The phase means something only where the hum is there: consistent, and clear of what is beside it.
    valid = ((np.minimum(b.consistency, far.consistency) >= PARAMETERS["min_consistency"])
             & (np.minimum(b.clear_share, far.clear_share) >= PARAMETERS["min_clear_share"]))
    valid_s = float(valid.sum() * frame_s)
    if valid_s < PARAMETERS["min_valid_s"]:
        return _insufficient(audio, {"frequency_hz": hum.frequency_hz, "snr_db": hum.snr_db, "valid_s": valid_s},
                             f"Mains hum was found at {hum.frequency_hz:g} Hz, but it stood clear of the sound "
                             f"around it for only {valid_s:.0f} s, too little to test for cuts.")
    # A cut leaves the phase offset for good; a voice passing through the hum's band bends it for a
    # moment and lets it go. So a jump counts as large as both the near windows and the far ones
    # (which skip a second or so either side) agree it is.
    # Near pi the sign of a jump is arbitrary, so two measurements both beyond 2.5 rad agree whatever it is.
    near_rad, far_rad = b.jump_rad, far.jump_rad
    both_large = np.minimum(np.abs(near_rad), np.abs(far_rad))
    b = b._replace(jump_rad=np.where(both_large > 2.5, both_large, np.abs(agreeing(near_rad, far_rad))))
    # The same for a step in frequency (rotation per frame), the far windows' being longer.
    near_turn = b.rotation_change_rad
    lasting_turn = agreeing(near_turn, far.rotation_change_rad)
    noise_rad = float(np.median(np.abs(near_rad[valid])) * 1.4826)
    threshold_rad = max(PARAMETERS["jump_threshold_rad"], PARAMETERS["jump_noise_factor"] * noise_rad)
    common = {"frequency_hz": hum.frequency_hz, "snr_db": hum.snr_db, "threshold_rad": round(threshold_rad, 3),
              "phase_noise_rad": round(noise_rad, 4), "frame_s": frame_s, "window_s": PARAMETERS["window_s"],
              "gap_s": PARAMETERS["gap_s"], "min_frame_snr_db": PARAMETERS["min_frame_snr_db"],
              "valid_s": round(valid_s, 1)}
    findings = _phase_jumps(hum, b, valid, threshold_rad, common, join_gap=window + gap)
    findings += _frequency_jumps(hum, near_turn, lasting_turn, valid, findings, common, join_gap=window + gap)
    findings += _presence_changes(hum, signal_.level_db, signal_.snr_db, findings, common, gap)
    return sorted(findings, key=lambda f: f.start_s)


def _phase_jumps(hum: Hum, b: Boundaries, valid: np.ndarray, threshold_rad: float, common: dict,
                 join_gap: int) -> list[Finding]:
    frame_s = PARAMETERS["frame_s"]
    score = np.where(valid, b.jump_rad / threshold_rad, 0.0)
    findings = []
    # A jump shows over a stretch about as wide as the guard gap either side of it, which noise can
    # split in two: join the pieces and report the middle.
    for start, end in regions(score > 1.0, join_gap=join_gap):
        i = start + int(np.argmax(score[start:end]))
        at_s = round((start + end - 1) / 2 * frame_s, 3)
        findings.append(Finding(
            kind="enf-phase-jump", start_s=at_s, end_s=at_s,
            severity="concern" if score[i] >= 2 else "notice", score=round(float(min(1.0, score[i] / 3)), 3),
            details={**common, "jump_rad": round(float(b.jump_rad[i]), 3),
                     "consistency": round(float(b.consistency[i]), 3),
                     "lower_side_snr_db": round(float(b.lower_snr_db[i]), 1),
                     "above_threshold_s": [round(start * frame_s, 3), round(end * frame_s, 3)]},
            explanation=f"The mains hum at {hum.frequency_hz:g} Hz jumps in phase by {np.degrees(b.jump_rad[i]):.0f}° "
                        f"here (threshold {np.degrees(threshold_rad):.0f}°; the hum stands {b.lower_snr_db[i]:.0f} dB "
                        "clear of the sound beside it on both sides). Hum recorded continuously keeps a smooth "
                        "phase, so a jump means the audio either side was probably not recorded one after the "
                        "other: a cut, a join or inserted material. Loud sound at the hum's frequency can also "
                        "disturb it.",
        ))
    return findings


def _quiet_window_snr(level_db: np.ndarray, long_floor: np.ndarray, snr_db: np.ndarray, w: int,
                      first: int) -> np.ndarray:
    """The median ratio of the quiet frames of the windows of `w` frames starting at first ..
    first + BOUNDS_AT_A_TIME - 1 (NaN where too few are quiet to judge); see _presence_changes."""
    stop = min(len(snr_db), first + BOUNDS_AT_A_TIME + w - 1)
    levels = sliding_window_view(level_db[first:stop], w)
    own_floor = np.percentile(levels, 20, axis=1)[:, None]
    cap = sliding_window_view(long_floor[first:stop], w) + PARAMETERS["max_above_long_floor_db"]
    quiet = levels <= np.minimum(own_floor, cap) + PARAMETERS["quiet_margin_db"]
    windows = np.where(quiet, sliding_window_view(snr_db[first:stop], w), np.nan)
    judged = np.isfinite(windows).mean(axis=1) >= PARAMETERS["min_quiet_share"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # windows with no quiet frame: not judged
        return np.where(judged, np.nanmedian(windows, axis=1), np.nan)


def _presence_changes(hum: Hum, level_db: np.ndarray, snr_db: np.ndarray, found: list[Finding], common: dict,
                      gap: int) -> list[Finding]:
    """Where the hum is clearly there on one side of a boundary and absent on the other. Each side is
    `presence_window_s` of frames, judged by the median ratio of its quiet frames: those within
    `quiet_margin_db` of the window's own floor (its 20th percentile), but never more than
    `max_above_long_floor_db` above the floor over `quiet_floor_window_s`, so that a long sentence,
    which drowns the hum, is not taken for its absence. A side with fewer than `min_quiet_share` of its
    frames quiet is not judged. Not reported again within `merge_s` of a phase or frequency jump."""
    frame_s = PARAMETERS["frame_s"]
    w = int(round(PARAMETERS["presence_window_s"] / frame_s))
    n = len(snr_db)
    if n < 2 * (w + gap) + 1:
        return []
    level_db = level_db[:n]
    long_floor = ndimage.percentile_filter(level_db, 20, size=int(round(PARAMETERS["quiet_floor_window_s"] / frame_s)),
                                           mode="nearest")
    clear = np.concatenate([_quiet_window_snr(level_db, long_floor, snr_db, w, first)
                            for first in range(0, n - w + 1, BOUNDS_AT_A_TIME)])
    bounds = np.arange(w + gap, n - w - gap + 1)
    before, after = clear[bounds - gap - w], clear[bounds + gap]
    present, absent = PARAMETERS["present_snr_db"], PARAMETERS["absent_snr_db"]
    vanishes = (before >= present) & (after <= absent)
    appears = (before <= absent) & (after >= present)
    findings = []
    for mask, verb in ((vanishes, "vanishes"), (appears, "appears")):
        for start, end in regions(mask, join_gap=w):
            # The first boundary with no hum after it, or the last with none before it, each a
            # guard gap from where the hum itself stops or starts.
            i = start if verb == "vanishes" else end - 1
            at_s = round((bounds[i] + (gap if verb == "vanishes" else -gap)) * frame_s, 3)
            if any(abs(f.start_s - at_s) <= PARAMETERS["merge_s"] for f in found):
                continue
            findings.append(Finding(
                kind="enf-presence-change", start_s=at_s, end_s=at_s, severity="notice",
                score=round(float(min(1.0, abs(after[i] - before[i]) / 30)), 3),
                details={**common, "snr_before_db": round(float(before[i]), 1), "snr_after_db": round(float(after[i]), 1),
                         "present_snr_db": present, "absent_snr_db": absent,
                         "presence_window_s": PARAMETERS["presence_window_s"]},
                explanation=f"The mains hum at {hum.frequency_hz:g} Hz {verb} here: between words it stands "
                            f"{before[i]:.0f} dB clear of the sound beside it before this point and {after[i]:.0f} dB "
                            "after. Hum from the mains stays while the phone stays in one place, so this suggests "
                            "material recorded elsewhere or at another time, or a passage replaced; moving the phone "
                            "away from a mains-powered device, or a device switched off, can also do it.",
            ))
    return findings


def _frequency_jumps(hum: Hum, near_rad: np.ndarray, lasting_rad: np.ndarray, valid: np.ndarray,
                     phase_findings: list[Finding], common: dict, join_gap: int) -> list[Finding]:
    """Where the hum's frequency either side of a boundary differs by more than it wanders: the grid
    frequency changes smoothly, so a step means the two sides were recorded at different times. The
    step is the one both the near and the far windows see (`lasting_rad`, rotation per frame); the
    recording's own spread is that of the near windows' (`near_rad`). A phase jump also upsets the
    frequency measured beside it, so steps near one are not reported again."""
    frame_s = PARAMETERS["frame_s"]
    to_hz = 1 / (2 * np.pi * frame_s * hum.harmonic)
    change_hz = lasting_rad * to_hz
    spread_hz = float(1.4826 * np.median(np.abs(near_rad[valid] * to_hz)))
    threshold_hz = max(PARAMETERS["frequency_jump_hz"], PARAMETERS["frequency_noise_factor"] * spread_hz)
    score = np.where(valid, np.abs(change_hz) / threshold_hz, 0.0)
    findings = []
    for start, end in regions(score > 1.0, join_gap=join_gap):
        i = start + int(np.argmax(score[start:end]))
        at_s = round((start + end - 1) / 2 * frame_s, 3)
        if any(abs(f.start_s - at_s) <= PARAMETERS["merge_s"] for f in phase_findings):
            continue
        findings.append(Finding(
            kind="enf-frequency-jump", start_s=at_s, end_s=at_s,
            severity="concern" if score[i] >= 2 else "notice", score=round(float(min(1.0, score[i] / 3)), 3),
            details={**common, "frequency_change_hz": round(float(change_hz[i]), 4),
                     "frequency_threshold_hz": round(threshold_hz, 4), "frequency_spread_hz": round(spread_hz, 4)},
            explanation=f"The mains hum's frequency changes by {change_hz[i]:+.3f} Hz from the second before "
                        f"this point to the second after it (threshold {threshold_hz:.3f} Hz). The grid "
                        "frequency drifts smoothly, so a step suggests the audio either side was recorded at "
                        "different times: a join or inserted material. A sudden event on the grid (a power "
                        "station tripping) changes it quickly too; a grid record (--grid-csv) shows such events.",
        ))
    return findings
