"""DC offset test on the real two-speaker call with a known offset added, and through a real AAC encode."""

import numpy as np
import pytest

from evidence import media
from evidence.detectors import Context
from evidence.detectors.dc_offset import detect
from evidence.media import Audio
from fixtures.generate import _ffmpeg, read_wav, write_wav

RATE = 16000
STEP_SAMPLE = 12 * RATE + 5432  # 12.3395 s


@pytest.fixture(scope="module")
def call(real_speech):
    return read_wav(real_speech / "sample.wav").astype(np.float64)


def with_offsets(x, before, after, at=STEP_SAMPLE):
    y = x.copy()
    y[:at] += before
    y[at:] += after
    return y.astype(np.float32)


def run(x):
    return detect(Audio(samples=np.asarray(x, dtype=np.float32), sample_rate_hz=RATE), Context(media=None))


def test_real_call_gives_nothing(call):
    assert run(call) == []


def test_steady_offset_gives_nothing(call):
    assert run(with_offsets(call, 0.01, 0.01)) == []


def test_offset_step_is_located_to_the_sample_region_with_its_size(call):
    findings = run(with_offsets(call, 0.003, 0.009))
    assert len(findings) == 1
    (f,) = findings
    assert abs(f.start_s - STEP_SAMPLE / RATE) < 0.01
    assert f.severity == "notice" and f.kind == "dc-offset-jump"
    assert f.details["jump_full_scale"] == pytest.approx(0.006, abs=0.0005)
    assert "+0.0030" in f.explanation and "+0.0090" in f.explanation


def test_step_below_threshold_is_not_reported(call):
    assert run(with_offsets(call, 0.003, 0.004)) == []


def test_digital_zero_is_left_to_the_silence_test(call):
    """Muting a recording that has an offset drops it to exactly zero and back: not an offset step."""
    y = with_offsets(call, 0.01, 0.01)
    y[10 * RATE + 803 : 13 * RATE + 5917] = 0.0  # edges inside blocks: partly zero blocks on both sides
    assert run(y) == []


def test_step_survives_aac(call, tmp_path):
    wav = write_wav(tmp_path / "step.wav", with_offsets(call, 0.0, -0.008))
    m4a = tmp_path / "step.m4a"
    _ffmpeg("-i", str(wav), "-c:a", "aac", "-b:a", "48k", str(m4a))
    audio, _ = media.decode_for_analysis(media.check_readable(str(m4a)), media.probe(str(m4a)))
    (f,) = detect(audio, Context(media=None))
    # AAC's encoder delay is trimmed on decoding, so the step keeps its time.
    assert abs(f.start_s - STEP_SAMPLE / RATE) < 0.01
    assert f.details["jump_full_scale"] == pytest.approx(-0.008, abs=0.001)


def test_inserted_stretch_with_another_offset_gives_both_edges(call):
    y = with_offsets(call, 0.0, 0.0)
    y[8 * RATE : 12 * RATE] += 0.01
    assert [round(f.start_s, 2) for f in run(y)] == [8.0, 12.0]


def test_no_offset_reads_as_plus_zero(call):
    (f,) = run(with_offsets(call, 0.0, 0.006))
    assert "from +0.0000 to +0.0060" in f.explanation
