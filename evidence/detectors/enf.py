"""ENF: mains hum (electric network frequency) and the phase jumps that cuts leave in it.

Hum picked up from the mains runs continuously at the grid frequency (50 Hz in the UK) and its
harmonics. Where a recording is cut, joined or has material inserted, the hum's phase jumps: the
stretches either side were not recorded one after the other. The test, after Rodríguez, Apolinário
and Biscainho (IEEE TIFS 2010): find the strongest hum harmonics, follow each one's phase in short
frames, and compare the phase extrapolated from the second before each point with the phase
extrapolated from the second after it. A jump much larger than the recording's own phase noise is
reported. A jump in the hum's level (hum appearing or vanishing) is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from evidence.detectors import Context, whole_file_finding
from evidence.detectors.bands import regions
from evidence.media import Audio
from evidence.report import Finding

NAME = "enf"
DESCRIPTION = ("Looks for mains hum (50 or 60 Hz and harmonics) and, where it is strong enough, for jumps in its "
               "phase or level that a cut, join or insertion leaves.")
PARAMETERS = {
    "work_rate_hz": 1000,
    "lowpass_hz": 400.0,
    "grid_hz": [50.0, 60.0],
    "harmonics": [1, 2, 3, 4],
    "psd_segment_s": 16.384,
    "hum_band_hz_per_harmonic": 0.25,
    "min_snr_db": 12.0,
    "bandpass_half_width_hz": 1.0,
    "frame_s": 0.1,
    "window_s": 1.0,
    "gap_s": 0.4,
    "min_consistency": 0.7,
    "jump_threshold_rad": 0.3,
    "jump_noise_factor": 5.0,
    "level_jump_db": 10.0,
    "frequency_jump_hz": 0.03,
    "frequency_noise_factor": 8.0,
    "level_gate_db": 10.0,
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


def to_work_rate(audio: Audio) -> np.ndarray:
    """Low-pass and decimate to `work_rate_hz` in blocks: memory stays flat with length."""
    rate = audio.sample_rate_hz
    step = rate // PARAMETERS["work_rate_hz"]
    sos = signal.butter(8, PARAMETERS["lowpass_hz"], fs=rate, output="sos")
    state = np.zeros((sos.shape[0], 2))
    block = step * 65536
    out = []
    for offset in range(0, len(audio.samples), block):
        filtered, state = signal.sosfilt(sos, audio.samples[offset : offset + block].astype(np.float64), zi=state)
        out.append(filtered[::step].copy())  # a copy: a strided view would keep the whole block alive
    return np.concatenate(out) if out else np.zeros(0)


def find_hum(work: np.ndarray) -> list[Hum]:
    """Harmonics of the grid frequency (50 or 60 Hz, whichever is stronger) that stand out of the noise."""
    rate = PARAMETERS["work_rate_hz"]
    nperseg = min(len(work), int(PARAMETERS["psd_segment_s"] * rate))
    # Welch's average, taken over pieces of 64 segments at a time so memory stays flat with length.
    step = nperseg // 2
    piece = 64 * step
    psd_sum, segments = 0.0, 0
    for offset in range(0, max(1, len(work) - nperseg + 1), piece):
        chunk = work[offset : offset + piece + nperseg - step]
        if len(chunk) < nperseg:
            break
        freqs, psd_piece = signal.welch(chunk, fs=rate, nperseg=nperseg)
        count = 1 + (len(chunk) - nperseg) // step
        psd_sum, segments = psd_sum + psd_piece * count, segments + count
    psd = psd_sum / max(segments, 1)
    best: list[Hum] = []
    for grid_hz in PARAMETERS["grid_hz"]:
        found = []
        for k in PARAMETERS["harmonics"]:
            fc = grid_hz * k
            band = np.abs(freqs - fc) <= PARAMETERS["hum_band_hz_per_harmonic"] * k
            reference = (np.abs(freqs - fc) >= 1.0) & (np.abs(freqs - fc) <= 3.0)
            if not band.any() or not reference.any():
                continue
            snr_db = 10 * np.log10(max(psd[band].max(), 1e-30) / max(np.median(psd[reference]), 1e-30))
            found.append(Hum(grid_hz, k, round(float(snr_db), 1)))
        strong = [h for h in found if h.snr_db >= PARAMETERS["min_snr_db"]]
        if sum(h.snr_db for h in strong) > sum(h.snr_db for h in best):
            best = strong
    return best


def phasors(work: np.ndarray, frequency_hz: float) -> np.ndarray:
    """Complex amplitude of the hum at `frequency_hz` per frame: its phase relative to a steady
    oscillator at that frequency, and its level."""
    rate = PARAMETERS["work_rate_hz"]
    half = PARAMETERS["bandpass_half_width_hz"]
    sos = signal.butter(2, [frequency_hz - half, frequency_hz + half], "bandpass", fs=rate, output="sos")
    band = signal.sosfiltfilt(sos, work)
    frame = int(PARAMETERS["frame_s"] * rate)
    frames = len(band) // frame
    out = np.empty(frames, dtype=np.complex128)
    block_frames = 4096  # mixed down a block at a time: no whole-length complex arrays
    for first in range(0, frames, block_frames):
        last = min(frames, first + block_frames)
        t = np.arange(first * frame, last * frame) / rate
        mixed = band[first * frame : last * frame] * np.exp(-2j * np.pi * frequency_hz * t)
        out[first:last] = mixed.reshape(-1, frame).mean(axis=1) * 2
    return out


class Boundaries(NamedTuple):
    """What the hum does at each frame boundary i (between frames i-1 and i), one array each."""

    jump_rad: np.ndarray          # phase jump
    consistency: np.ndarray       # the lower of the two sides' phase consistency (0..1)
    level_change_db: np.ndarray   # level after minus before
    lower_level_db: np.ndarray    # the lower of the two sides' levels
    rotation_change_rad: np.ndarray  # rotation per frame after minus before: a change of frequency


def phase_jumps(p: np.ndarray, window: int, gap: int) -> Boundaries:
    """Phase jump, consistency, level change, lower level and change of rotation at each frame boundary.

    Each side is a window of `window` frames kept `gap` frames away from the boundary, because the
    band-pass filter spreads a jump over a few tenths of a second; each side's phase is carried to
    the boundary at that side's own rotation rate (the hum's frequency offset)."""
    n = len(p)
    out_jump, out_consistency, out_level, out_rotation = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    out_lower = np.full(n, -np.inf)
    if n < 2 * (window + gap) + 1:
        return Boundaries(out_jump, out_consistency, out_level, out_lower, out_rotation)
    lag = p[1:] * np.conj(p[:-1])
    rate = np.angle(sliding_window_view(lag, window - 1).sum(axis=1))  # rotation per frame in window s
    windows = sliding_window_view(p, window)                            # windows[s] = p[s : s + window]
    steps = np.arange(window)
    bounds = np.arange(window + gap, n - window - gap + 1)
    first_left, first_right = bounds - gap - window, bounds + gap
    left, right = windows[first_left], windows[first_right]
    at_left = (left * np.exp(1j * rate[first_left][:, None] * (window + gap - steps)[None, :])).sum(axis=1)
    at_right = (right * np.exp(-1j * rate[first_right][:, None] * (gap + steps)[None, :])).sum(axis=1)
    magnitude_left, magnitude_right = np.abs(left).sum(axis=1), np.abs(right).sum(axis=1)
    out_jump[bounds] = np.abs(np.angle(at_right * np.conj(at_left)))
    out_consistency[bounds] = np.minimum(np.abs(at_left) / np.maximum(magnitude_left, 1e-30),
                                         np.abs(at_right) / np.maximum(magnitude_right, 1e-30))
    level_left = 20 * np.log10(np.maximum(magnitude_left / window, 1e-30))
    level_right = 20 * np.log10(np.maximum(magnitude_right / window, 1e-30))
    out_level[bounds] = level_right - level_left
    out_lower[bounds] = np.minimum(level_left, level_right)
    out_rotation[bounds] = np.angle(np.exp(1j * (rate[first_right] - rate[first_left])))
    return Boundaries(out_jump, out_consistency, out_level, out_lower, out_rotation)


@dataclass(frozen=True)
class HumSignal:
    """The hum the ENF tests follow: the lowest strong harmonic (None without hum) and its phasors."""

    hum: Hum | None
    phasors: np.ndarray


def hum_signal(audio: Audio) -> HumSignal:
    """Search the hum once; the ENF test, the grid check and the report's ENF track all use it."""
    work = to_work_rate(audio)
    hums = find_hum(work)
    if not hums:
        return HumSignal(None, np.zeros(0, dtype=np.complex128))
    # Speech interferes least at the lowest frequencies, so the lowest strong harmonic is followed.
    hum = min(hums, key=lambda h: h.harmonic)
    return HumSignal(hum, phasors(work, hum.frequency_hz))


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    signal_ = ctx.hum if ctx.hum is not None else hum_signal(audio)
    hum, p = signal_.hum, signal_.phasors
    frame_s = PARAMETERS["frame_s"]
    window = int(round(PARAMETERS["window_s"] / frame_s))
    gap = int(round(PARAMETERS["gap_s"] / frame_s))
    if hum is None:
        return [whole_file_finding(
            "enf-insufficient", "info", 0.0, audio.duration_s, {"min_snr_db": PARAMETERS["min_snr_db"]},
            "No mains hum strong enough to test was found, so the ENF test could not look for cuts. "
                        "This says nothing either way about editing.",
        )]
    jump, consistency, level, lower_db, rotation = phase_jumps(p, window, gap)
    # The phase means something only where the hum is there: consistent, and near its usual level.
    usual_db = 20 * np.log10(np.median(np.abs(p)) + 1e-30)
    valid = (consistency >= PARAMETERS["min_consistency"]) & (lower_db >= usual_db - PARAMETERS["level_gate_db"])
    valid_s = float(valid.sum() * frame_s)
    if valid_s < PARAMETERS["min_valid_s"]:
        return [whole_file_finding(
            "enf-insufficient", "info", 0.0, audio.duration_s,
            {"frequency_hz": hum.frequency_hz, "snr_db": hum.snr_db, "valid_s": valid_s},
            f"Mains hum was found at {hum.frequency_hz:g} Hz, but its phase could be followed for only "
                        f"{valid_s:.0f} s, too little to test for cuts.",
        )]
    noise_rad = float(np.median(jump[valid]) * 1.4826)
    threshold_rad = max(PARAMETERS["jump_threshold_rad"], PARAMETERS["jump_noise_factor"] * noise_rad)
    score = np.where(valid, jump / threshold_rad, 0.0)
    common = {"frequency_hz": hum.frequency_hz, "snr_db": hum.snr_db, "threshold_rad": round(threshold_rad, 3),
              "phase_noise_rad": round(noise_rad, 4), "frame_s": frame_s, "window_s": PARAMETERS["window_s"], "gap_s": PARAMETERS["gap_s"]}
    findings = []
    # A jump shows over a stretch about as wide as the guard gap either side of it, which noise can
    # split in two: join the pieces and report the middle.
    for start, end in regions(score > 1.0, join_gap=window + gap):
        i = start + int(np.argmax(score[start:end]))
        at_s = round((start + end - 1) / 2 * frame_s, 3)
        findings.append(Finding(
            kind="enf-phase-jump", start_s=at_s, end_s=at_s,
            severity="concern" if score[i] >= 2 else "notice", score=round(float(min(1.0, score[i] / 3)), 3),
            details={**common, "jump_rad": round(float(jump[i]), 3), "consistency": round(float(consistency[i]), 3),
                     "above_threshold_s": [round(start * frame_s, 3), round(end * frame_s, 3)]},
            explanation=f"The mains hum at {hum.frequency_hz:g} Hz jumps in phase by {np.degrees(jump[i]):.0f}° here "
                        f"(threshold {np.degrees(threshold_rad):.0f}°). Hum recorded continuously keeps a smooth "
                        "phase, so a jump means the audio either side was probably not recorded one after the "
                        "other: a cut, a join or inserted material. Loud sound at the hum's frequency can also "
                        "disturb it.",
        ))
    findings += _frequency_jumps(hum, rotation, valid, findings, common, join_gap=window + gap)
    for start, end in regions(np.abs(level) >= PARAMETERS["level_jump_db"]):
        i = start + int(np.argmax(np.abs(level[start:end])))
        at_s = round((start + end - 1) / 2 * frame_s, 3)
        if any(abs(f.start_s - at_s) <= PARAMETERS["merge_s"] for f in findings):
            continue
        change = "rises" if level[i] > 0 else "falls"
        findings.append(Finding(
            kind="enf-level-jump", start_s=at_s, end_s=at_s, severity="notice",
            score=round(float(min(1.0, abs(level[i]) / 30)), 3),
            details={**common, "level_change_db": round(float(level[i]), 1),
                     "level_jump_db": PARAMETERS["level_jump_db"]},
            explanation=f"The mains hum at {hum.frequency_hz:g} Hz {change} abruptly by {abs(level[i]):.0f} dB here. "
                        "Mains hum changes slowly as a phone moves; an abrupt change suggests material recorded "
                        "elsewhere or at another time, or a muted passage.",
        ))
    return sorted(findings, key=lambda f: f.start_s)


def _frequency_jumps(hum: Hum, rotation_change_rad: np.ndarray, valid: np.ndarray, phase_findings: list[Finding],
                     common: dict, join_gap: int) -> list[Finding]:
    """Where the hum's frequency either side of a boundary differs by more than it wanders: the grid
    frequency changes smoothly, so a step means the two sides were recorded at different times. A
    phase jump also upsets the frequency measured beside it, so steps near one are not reported again."""
    frame_s = PARAMETERS["frame_s"]
    change_hz = rotation_change_rad / (2 * np.pi * frame_s * hum.harmonic)
    spread_hz = float(1.4826 * np.median(np.abs(change_hz[valid])))
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
