"""Figure data for the bundle, computed while the audio is at hand: a short excerpt around each
notice or concern finding, and the mains-hum frequency over the whole recording. The PDF is drawn
from these alone, so `evidence bundle report.json` can draw them again without the recording."""

from __future__ import annotations

import warnings

import numpy as np

from evidence.analysis import is_located
from evidence.detectors import enf
from evidence.detectors.enf import HumSignal
from evidence.media import Audio
from evidence.report import EnfTrack, Excerpt, Finding

CONTEXT_S = 3.0
"""Seconds shown either side of a finding's start."""
ENVELOPE_STEP_S = 0.01
SPECTROGRAM_FRAME = 1024
SPECTROGRAM_BANDS = 64
MAX_EXCERPTS = 30
"""Enough for any recording worth reading; the rest are in the findings table."""


def excerpt(audio: Audio, finding_index: int, at_s: float) -> Excerpt:
    rate = audio.sample_rate_hz
    start = max(0, int((at_s - CONTEXT_S) * rate))
    piece = audio.samples[start : min(len(audio.samples), int((at_s + CONTEXT_S) * rate))]
    step = int(ENVELOPE_STEP_S * rate)
    usable = len(piece) // step * step
    envelope = np.abs(piece[:usable]).reshape(-1, step).max(axis=1) if usable else np.zeros(0)
    frames = len(piece) // SPECTROGRAM_FRAME
    rows: list[list[int]] = []
    if frames:
        windowed = piece[: frames * SPECTROGRAM_FRAME].reshape(frames, -1) * np.hanning(SPECTROGRAM_FRAME)
        power = np.abs(np.fft.rfft(windowed, axis=1))[:, :-1] ** 2
        banded = power.reshape(frames, SPECTROGRAM_BANDS, -1).mean(axis=2)
        rows = np.round(10 * np.log10(banded + 1e-12)).astype(int).tolist()
    return Excerpt(
        finding_index=finding_index,
        start_s=round(start / rate, 3),
        envelope_step_s=ENVELOPE_STEP_S,
        envelope=[round(float(v), 4) for v in envelope],
        spectrogram_step_s=SPECTROGRAM_FRAME / rate,
        max_hz=rate / 2,
        spectrogram_db=rows,
    )


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


def excerpts(audio: Audio, findings: list[Finding]) -> list[Excerpt]:
    chosen = [(i, f) for i, f in enumerate(findings) if f.severity in ("notice", "concern") and is_located(f)]
    return [excerpt(audio, i, f.start_s) for i, f in chosen[:MAX_EXCERPTS]]


def enf_track(hum_signal: HumSignal, duration_s: float) -> EnfTrack | None:
    hum = hum_signal.hum
    if hum is None:
        return None
    track = recording_track(hum_signal, duration_s)
    return EnfTrack(grid_hz=hum.grid_hz, harmonic=hum.harmonic, step_s=1.0,
                    frequency_hz=[None if np.isnan(v) else round(float(v), 4) for v in track])
