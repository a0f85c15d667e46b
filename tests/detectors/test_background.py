"""Background test on generated speech-like bursts over room noise whose level is known."""

import numpy as np

from evidence.detectors import Context
from evidence.detectors.background import detect
from evidence.media import Audio

RATE = 16000


def bursts_over_noise(noise_db_per_stretch, stretch_s=20.0, seed=0):
    """'Speech' (loud noise bursts of 0.4-1.5 s with 0.3-1.2 s pauses) over steady room noise whose
    level changes from stretch to stretch."""
    rng = np.random.default_rng(seed)
    parts = [rng.normal(0, 10 ** (db / 20), int(stretch_s * RATE)) for db in noise_db_per_stretch]
    x = np.concatenate(parts)
    at = int(0.5 * RATE)
    while at < len(x):
        n = int(rng.uniform(0.4, 1.5) * RATE)
        x[at : at + n] += rng.normal(0, 0.05, len(x[at : at + n]))
        at += n + int(rng.uniform(0.3, 1.2) * RATE)
    return x.astype(np.float32)


def run(x):
    return detect(Audio(samples=x, sample_rate_hz=RATE), Context(media=None))


def test_steady_background_gives_nothing():
    assert run(bursts_over_noise([-60, -60, -60])) == []


def test_background_step_is_located_with_its_size():
    findings = run(bursts_over_noise([-60, -52]))
    assert len(findings) == 1
    (f,) = findings
    assert f.start_s - 1.0 <= 20.0 <= f.end_s + 1.0
    assert 6.0 <= f.details["change_db"] <= 10.0 and f.severity == "notice"


def test_small_change_below_threshold_is_not_reported():
    assert run(bursts_over_noise([-60, -58.5])) == []


def test_frequent_steps_are_the_recordings_pattern_and_only_info():
    """Like a phone call whose two sides have different line noise: the background flips at each turn."""
    findings = run(bursts_over_noise([-60, -52] * 4, stretch_s=8.0))
    assert len(findings) >= 4
    assert {f.severity for f in findings} == {"info"}
    assert "per minute" in findings[0].explanation


def band_noise(rng, n, lo_hz, hi_hz):
    """Gaussian noise with unit power spread evenly over lo_hz..hi_hz."""
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < lo_hz) | (freqs >= hi_hz)] = 0
    x = np.fft.irfft(spectrum, n)
    return x / x.std()


def test_change_of_colour_at_the_same_level_is_found():
    """Halve the white background's power and put the other half into 200-500 Hz: the 200-4000 Hz level
    stays the same, but the lowest band rises by about 8 dB against the rest."""
    rng = np.random.default_rng(7)
    x = bursts_over_noise([-60, -60])
    half = len(x) // 2
    sigma = 10 ** (-60 / 20)
    x[half:] *= 1 / np.sqrt(2)  # the white part of the second half, bursts included
    # Band noise of power P over 300 Hz adds P / 300 per hertz; spread over 200-4000 Hz that makes up
    # the half removed when P / 300 * 300 = (sigma^2 / 2) / 8000 * 3800.
    x[half:] += (sigma * np.sqrt(3800 / 16000) * band_noise(rng, len(x) - half, 200, 500)).astype(np.float32)
    (f,) = run(x)
    assert f.start_s - 1.0 <= 20.0 <= f.end_s + 1.0
    assert abs(f.details["change_db"]) < 1.5
    assert f.details["shape_change_db"] >= 6.0 and f.details["band_changes_db"]["200-500"] >= 6.0
    assert "spectrum changes" in f.explanation and "200-500 Hz band rises" in f.explanation
