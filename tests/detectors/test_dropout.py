"""Dropout test on the real two-speaker call with known stretches turned down or held constant."""

import numpy as np
import pytest

from evidence.detectors import Context
from evidence.detectors.dropout import constant_runs, detect
from evidence.media import Audio
from fixtures.generate import read_wav

RATE = 16000


@pytest.fixture(scope="module")
def call(real_speech):
    return read_wav(real_speech / "sample.wav")


def run(x):
    return detect(Audio(samples=np.asarray(x, dtype=np.float32), sample_rate_hz=RATE), Context(media=None))


def marked(findings):
    return [f for f in findings if f.severity != "info"]


def test_real_call_gives_nothing(call):
    assert marked(run(call)) == []


def test_stretch_turned_down_is_found_where_it_is(call):
    y = call.copy()
    y[int(12.34 * RATE) : int(13.84 * RATE)] *= 0.001  # -60 dB: far below the call's own line noise
    (f,) = marked(run(y))
    assert f.kind == "dropout-below-floor" and f.severity == "concern"
    assert abs(f.start_s - 12.34) <= 0.04 and abs(f.end_s - 13.84) <= 0.04
    assert f.details["below_floor_db"] > f.details["threshold_db"]


def test_constant_run_is_reported_once_with_its_exact_samples(call):
    y = call.copy()
    start, end = 200_017, 200_017 + 480  # 30 ms
    y[start:end] = 0.05
    (f,) = marked(run(y))
    assert f.kind == "dropout-constant" and f.details["run_samples"] == 480
    assert f.start_s == round(start / RATE, 3) and f.end_s == round(end / RATE, 3)


def test_many_quiet_stretches_are_the_recordings_pattern(call):
    """Like a phone app's noise suppression closing between words."""
    y = call.copy()
    for at_s in (3.0, 8.0, 13.0, 18.0, 23.0, 27.0):
        y[int(at_s * RATE) : int((at_s + 0.3) * RATE)] *= 0.001
    found = run(y)
    assert len(found) == 6 and {f.severity for f in found} == {"info"}
    assert "noise suppression" in found[0].explanation


def test_quiet_start_is_only_info(call):
    y = call.copy()
    y[: int(0.8 * RATE)] *= 0.001
    assert marked(run(y)) == []


def test_digital_zero_is_left_to_the_silence_test(call):
    y = call.copy()
    y[10 * RATE : 12 * RATE] = 0.0
    assert run(y) == []


@pytest.mark.parametrize("block", [7, 100, 1 << 20])
def test_constant_runs_join_across_blocks(block):
    x = np.arange(1000, dtype=np.float32) / 1000 + 0.5
    x[95:130] = 0.25
    x[400:420] = 0.0       # zeros are not a constant run here
    x[700:703] = 0.75      # too short
    assert constant_runs(x, 20, block_samples=block) == [(95, 130)]
