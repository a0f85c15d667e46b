"""ENF detector on generated signals whose hum, and any cut in it, is known."""

import numpy as np
import pytest

from evidence.detectors import Context
from evidence.detectors.enf import detect, find_hum, to_work_rate
from evidence.media import Audio

RATE = 16000


def hum_signal(seconds, grid_hz=50.0, seed=0, level_db=-40.0, harmonics=(1, 2)):
    """Hum whose frequency wanders slowly (±20 mHz), plus white noise at -60 dBFS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    wander_hz = 0.02 * np.sin(2 * np.pi * t / 37.0 + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(grid_hz + wander_hz) / RATE
    hum = sum(10 ** ((level_db - 4 * (k - 1)) / 20) * np.cos(k * phase) for k in harmonics)
    return hum + rng.normal(0, 10 ** (-60 / 20), len(t))


def run(samples):
    return detect(Audio(samples=samples.astype(np.float32), sample_rate_hz=RATE), Context(media=None))


def test_continuous_hum_gives_no_jump():
    findings = run(hum_signal(60))
    assert [f for f in findings if f.severity != "info"] == []


def test_cut_in_the_hum_is_located():
    x = hum_signal(70)
    cut_at, removed_s = 30 * RATE, 0.37   # 18.5 mains cycles removed: a half-cycle phase jump
    y = np.concatenate([x[:cut_at], x[cut_at + int(removed_s * RATE):]])
    jumps = [f for f in run(y) if f.kind == "enf-phase-jump"]
    assert len(jumps) == 1
    assert abs(jumps[0].start_s - 30.0) <= 0.3
    assert jumps[0].severity == "concern"
    assert jumps[0].details["jump_rad"] > 2.5


@pytest.mark.parametrize("grid_hz", [50.0, 60.0])
def test_grid_frequency_is_recognised(grid_hz):
    hums = find_hum(to_work_rate(Audio(hum_signal(30, grid_hz).astype(np.float32), RATE)))
    assert hums and {h.grid_hz for h in hums} == {grid_hz}
    assert {h.harmonic for h in hums} == {1, 2}


def test_no_hum_is_insufficient_enf():
    noise = np.random.default_rng(1).normal(0, 0.01, 30 * RATE)
    (finding,) = run(noise)
    assert finding.kind == "enf-insufficient" and finding.severity == "info"


def test_hum_that_stops_is_a_presence_change():
    x = hum_signal(60) + np.random.default_rng(4).normal(0, 10 ** (-50 / 20), 60 * RATE)
    x[40 * RATE:] = np.random.default_rng(2).normal(0, 10 ** (-50 / 20), 20 * RATE)
    found = [f for f in run(x) if f.kind in ("enf-presence-change", "enf-phase-jump")]
    assert len(found) == 1 and abs(found[0].start_s - 40.0) <= 1.0


def test_frequency_step_without_phase_jump_is_a_frequency_jump():
    """Two recordings joined where their hum happens to meet in phase: only the frequency steps."""
    rng = np.random.default_rng(3)
    t = np.arange(60 * RATE) / RATE
    frequency_hz = np.where(t < 30.0, 49.98, 50.03)
    phase = 2 * np.pi * np.cumsum(frequency_hz) / RATE
    x = 0.01 * np.cos(phase) + 0.004 * np.cos(2 * phase) + rng.normal(0, 10 ** (-60 / 20), len(t))
    found = [f for f in run(x) if f.severity != "info"]
    assert [f.kind for f in found] == ["enf-frequency-jump"]
    assert abs(found[0].start_s - 30.0) <= 0.5
    assert found[0].details["frequency_change_hz"] == pytest.approx(0.05, abs=0.01)
