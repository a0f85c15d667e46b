"""Codec-grid test on real ffmpeg encodes (AAC, MP3, WAV) of generated speech-like signals with known edits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from evidence import media
from evidence.detectors import Context, codec_grid

RATE = 48000
FRAME = 1024
CUT_AT = 11 * RATE + 4321        # a cut at a known sample of the edited file
CUT_LENGTH = 20_000 + 317        # not a whole number of frames: 861 samples more than 19 frames
INSERT_AT = 9 * RATE + 777
INSERT_LENGTH = 5 * RATE + 333


def speechlike(seconds: float, seed: int) -> np.ndarray:
    """Voiced syllables (harmonics of a wandering pitch through two formant resonances), unvoiced bursts,
    pauses, pink room noise at -58 dB and a faint 50 Hz hum, peaking at 0.7."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = np.zeros(n)
    pos = int(0.2 * RATE)
    while pos < n:
        dur = int(rng.uniform(0.1, 0.35) * RATE)
        k = np.arange(min(dur, n - pos))
        env = np.sin(np.pi * k / dur) ** 2
        if rng.random() < 0.75:
            f0 = rng.uniform(90, 220) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * k / RATE))
            phase = 2 * np.pi * np.cumsum(f0) / RATE
            src = sum(np.sin(h * phase) / h for h in range(1, 40))
            for fc, bw in ((rng.uniform(300, 900), 120), (rng.uniform(1000, 2600), 200)):
                r = np.exp(-np.pi * bw / RATE)
                src = signal.lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / RATE), r * r], src) * 8 + src * 0.2
        else:
            src = signal.lfilter(*signal.butter(2, rng.uniform(2500, 5000), "high", fs=RATE), rng.normal(size=len(k)))
        x[pos : pos + len(k)] += 10 ** (rng.uniform(-30, -12) / 20) * env * src / (np.std(src) + 1e-9)
        pos += dur + int(rng.choice([rng.uniform(0.02, 0.12), rng.uniform(0.3, 1.2)]) * RATE)
    pink = signal.lfilter([0.0499, -0.0960, 0.0506, -0.0044], [1, -2.4950, 2.0173, -0.5222], rng.normal(size=n))
    x += 10 ** (-58 / 20) * pink / np.std(pink)
    x += 10 ** (-55 / 20) * np.sin(2 * np.pi * 50 * np.arange(n) / RATE)
    return (x / np.max(np.abs(x)) * 0.7).astype(np.float32)


def ffmpeg(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], input=data, capture_output=True,
                          check=True).stdout


def save(samples: np.ndarray, path: Path, *codec: str) -> Path:
    """Float samples written by ffmpeg with the given codec arguments, as an editor would save them."""
    ffmpeg("-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "-", *codec, str(path),
           data=np.asarray(samples, dtype=np.float32).tobytes())
    return path


def decoded(path: Path) -> np.ndarray:
    """What an editor works on: the file decoded to float at its own rate."""
    return np.frombuffer(ffmpeg("-i", str(path), "-ac", "1", "-f", "f32le", "-"), dtype=np.float32)


def analyse(path: Path):
    info = media.probe(path)
    audio, info = media.decode_for_analysis(path, info)
    return codec_grid.detect(audio, Context(media=info, source=path))


def marked(findings):
    return [f for f in findings if f.severity != "info"]


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """Two "phone recordings", AAC at 64 kbit/s and 48 kHz, and what an editor decodes them to."""
    folder = tmp_path_factory.mktemp("codec-grid")
    first = save(speechlike(24, seed=1), folder / "first.m4a", "-c:a", "aac", "-b:a", "64k")
    second = save(speechlike(12, seed=2), folder / "second.m4a", "-c:a", "aac", "-b:a", "64k")
    return folder, first, decoded(first), decoded(second)


@pytest.fixture(scope="module")
def cut(phone):
    first = phone[2]
    return np.concatenate([first[:CUT_AT], first[CUT_AT + CUT_LENGTH:]])


def assert_one_shift_at_the_cut(findings, tolerance_s=0.1):
    (shift,) = marked(findings)
    assert shift.kind == "codec-grid-shift"
    assert abs(shift.start_s - CUT_AT / RATE) <= tolerance_s and shift.end_s == shift.start_s
    lo, hi = shift.details["cut_interval_s"]
    assert lo - 1 / RATE <= CUT_AT / RATE <= hi + 1 / RATE       # the interval it gives holds the true cut
    assert shift.details["removed_mod_frame_samples"] == CUT_LENGTH % FRAME
    assert shift.details["offset_before_samples"] != shift.details["offset_after_samples"]
    return shift


def test_unedited_aac_has_one_continuous_grid(phone):
    _, first, _, _ = phone
    findings = analyse(first)
    assert marked(findings) == []
    (summary,) = findings
    assert summary.kind == "codec-grid-continuous"
    assert summary.details["contrast_db"] >= 5.0                       # far above the 2 dB threshold
    assert summary.details["grid_seen_fraction_of_active"] >= 0.8
    assert "itself AAC" in summary.explanation                          # its own grid proves little


def test_cut_after_aac_saved_as_wav_is_located(phone, cut):
    folder = phone[0]
    shift = assert_one_shift_at_the_cut(analyse(save(cut, folder / "cut.wav", "-c:a", "pcm_s16le")),
                                        tolerance_s=0.03)
    assert shift.severity == "concern"
    assert shift.details["before"]["contrast_db"] >= 5.0 and shift.details["after"]["contrast_db"] >= 5.0


def test_cut_after_aac_saved_as_mp3_is_located(phone, cut):
    folder = phone[0]
    shift = assert_one_shift_at_the_cut(analyse(save(cut, folder / "cut.mp3", "-c:a", "libmp3lame", "-b:a", "128k")))
    # the MP3 encoding blurs the AAC grid: weaker than in the WAV, but still well above the threshold
    assert 2.0 <= shift.details["after"]["contrast_db"] < 8.0


def test_cut_of_whole_frames_is_not_claimed_and_said_to_be_invisible(phone):
    folder, _, first, _ = phone
    edited = np.concatenate([first[:CUT_AT], first[CUT_AT + 37 * FRAME:]])
    findings = analyse(save(edited, folder / "frames.wav", "-c:a", "pcm_s16le"))
    assert marked(findings) == []
    (summary,) = findings
    assert summary.kind == "codec-grid-continuous" and summary.details["grid_seen_fraction_of_active"] >= 0.8
    assert "whole number of frames" in summary.explanation and "not AAC" in summary.explanation


def test_recording_never_lossy_has_no_grid(phone):
    folder = phone[0]
    findings = analyse(save(speechlike(24, seed=1), folder / "never-lossy.wav", "-c:a", "pcm_s16le"))
    (finding,) = findings
    assert finding.kind == "codec-grid-insufficient" and finding.severity == "info"
    assert finding.details["grid_found"] is False and finding.details["active_s"] >= 15
    assert "cannot see cuts" in finding.explanation


def test_passage_from_another_encoding_is_located(phone):
    folder, _, first, second = phone
    passage = second[3 * RATE : 3 * RATE + INSERT_LENGTH]
    edited = np.concatenate([first[:INSERT_AT], passage, first[INSERT_AT:]])
    (foreign,) = marked(analyse(save(edited, folder / "inserted.wav", "-c:a", "pcm_s16le")))
    assert foreign.kind == "codec-grid-foreign"
    assert abs(foreign.start_s - INSERT_AT / RATE) <= 0.1
    assert abs(foreign.end_s - (INSERT_AT + INSERT_LENGTH) / RATE) <= 0.1
    offsets = {foreign.details["before"]["offset_samples"], foreign.details["offset_samples"],
               foreign.details["after"]["offset_samples"]}
    assert len(offsets) == 3    # three encodings' grids: before, inserted, and after (shifted by the insert)
    assert (foreign.details["after"]["offset_samples"] - foreign.details["before"]["offset_samples"]) % FRAME \
        == INSERT_LENGTH % FRAME


def test_resampled_file_shows_no_grid(phone):
    folder, first, _, _ = phone
    path = folder / "resampled.wav"
    ffmpeg("-i", str(first), "-ar", "44100", "-c:a", "pcm_s16le", str(path))
    (finding,) = analyse(path)
    assert finding.kind == "codec-grid-insufficient" and finding.details["grid_found"] is False


def test_without_the_file_the_test_does_not_run(phone):
    _, first, _, _ = phone
    ctx = Context(media=media.probe(first), source=None)
    assert codec_grid.skip_reason(ctx)
    assert codec_grid.skip_reason(Context(media=ctx.media, source=first)) == ""
    assert codec_grid.detect(None, ctx) == []


def test_change_is_placed_between_the_last_frame_of_one_grid_and_the_first_of_the_other():
    # grid a's frames (2048 long, every 1024) show it up to one ending at 10240; b's from 10500 on
    starts_a = np.arange(0, 20000, 1024)
    starts_b = 10500 + np.arange(-10, 10) * 1024
    strength_a = np.where(starts_a + 2048 <= 10240, 8.0, 0.1)
    strength_b = np.where(starts_b >= 10500, 8.0, np.where(starts_b < 5000, np.nan, -0.3))
    assert codec_grid.place_change(starts_a, strength_a, starts_b, strength_b, 2048, 2.0) == (10240, 10500)


def test_a_cut_in_silence_is_placed_anywhere_in_the_silence():
    # a's frames show it up to 10240, then silence (NaN) until b shows from 19500; the frames at the edges of
    # the silence lack both grids (an encoder's short blocks at the change of level): that is no evidence
    starts_a = np.arange(0, 30000, 1024)
    starts_b = 19500 + np.arange(-19, 10) * 1024
    strength_a = np.where(starts_a + 2048 <= 10240, 8.0, np.nan)
    strength_a[starts_a + 2048 == 11264] = -3.0
    strength_b = np.where(starts_b >= 19500, 8.0, np.nan)
    strength_b[starts_b == 18476] = -3.0
    assert codec_grid.place_change(starts_a, strength_a, starts_b, strength_b, 2048, 2.0) == (10240, 19500)
