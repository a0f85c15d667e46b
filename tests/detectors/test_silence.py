import numpy as np

from evidence import media
from evidence.detectors import Context
from evidence.detectors.silence import PARAMETERS, detect, zero_runs


def test_zero_runs_finds_exact_boundaries():
    samples = np.ones(100, dtype=np.float32)
    samples[10:30] = 0
    samples[50:52] = 0
    samples[90:] = 0
    assert zero_runs(samples, 5) == [(10, 30), (90, 100)]
    assert zero_runs(samples, 1) == [(10, 30), (50, 52), (90, 100)]


def test_zero_runs_join_across_blocks():
    rng = np.random.default_rng(5)
    samples = rng.normal(0, 0.1, 1000).astype(np.float32)
    samples[95:310] = 0      # spans blocks 0-3 of 100 samples
    samples[400:500] = 0     # exactly one whole block
    samples[600:700] = 0     # ends exactly at a block boundary, next block starts non-zero
    samples[990:] = 0        # reaches the end
    expected = [(95, 310), (400, 500), (600, 700), (990, 1000)]
    assert zero_runs(samples, 5, block_samples=100) == expected
    assert zero_runs(samples, 5, block_samples=7) == expected
    assert zero_runs(samples, 5, block_samples=10_000) == expected


def test_inserted_digital_silence_is_a_located_concern(fx):
    path = fx["speech_silence"]
    info = media.probe(path)
    audio, info = media.decode_for_analysis(path, info)
    findings = [f for f in detect(audio, Context(media=info)) if f.severity != "info"]
    assert len(findings) == 1
    (f,) = findings
    assert f.severity == "concern"
    assert abs(f.start_s - 1.5) < 0.01 and abs(f.end_s - 2.5) < 0.01
    assert f.details["run_s"] >= PARAMETERS["concern_run_s"]
    assert "cannot tell which" in f.explanation


def test_noise_has_no_digital_silence(fx):
    path = fx["noise"]
    audio, info = media.decode_for_analysis(path, media.probe(path))
    assert detect(audio, Context(media=info)) == []


def test_short_dropout_is_a_notice_and_edge_padding_is_info():
    rate = 16000
    samples = np.random.default_rng(0).normal(0, 0.01, rate * 2).astype(np.float32)
    samples[:400] = 0                      # 25 ms at the start: encoder padding
    samples[rate : rate + 800] = 0         # 50 ms inside
    audio = media.Audio(samples=samples, sample_rate_hz=rate)
    findings = detect(audio, Context(media=None))
    assert [(f.severity, f.start_s) for f in findings] == [("info", 0.0), ("notice", 1.0)]
