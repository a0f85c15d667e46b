"""Bandwidth test on noise whose high band is removed over a known stretch."""

import numpy as np
from scipy import signal

from evidence.detectors import Context
from evidence.detectors.bandwidth import detect
from evidence.media import Audio

RATE = 16000


def room(seconds, seed=0):
    return np.random.default_rng(seed).normal(0, 0.003, int(seconds * RATE))


def lowpass(x, cutoff_hz=4000):
    return signal.sosfiltfilt(signal.butter(10, cutoff_hz, fs=RATE, output="sos"), x)


def run(x):
    return detect(Audio(samples=x.astype(np.float32), sample_rate_hz=RATE), Context(media=None))


def test_full_band_recording_gives_nothing():
    assert run(room(30)) == []


def test_band_limited_stretch_is_located():
    x = room(30)
    x[10 * RATE : 16 * RATE] = lowpass(x[10 * RATE : 16 * RATE])
    (finding,) = run(x)
    assert finding.kind == "bandwidth-change" and finding.severity == "concern"
    assert abs(finding.start_s - 10) <= 0.1 and abs(finding.end_s - 16) <= 0.1
    assert finding.details["file_high_band_floor_db"] - finding.details["high_band_db"] > 40


def test_recording_band_limited_throughout_is_its_own_bandwidth():
    assert run(lowpass(room(30))) == []


def test_short_flicker_is_ignored():
    x = room(30)
    x[10 * RATE : int(10.3 * RATE)] = lowpass(x[10 * RATE : int(10.3 * RATE)])
    assert run(x) == []
