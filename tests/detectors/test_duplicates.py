"""Duplicated-passage test on generated meetings: flite talkers, each utterance with its own speaking
rate and pitch (a synthesiser given the same text and settings twice repeats itself sample for
sample, which would be a genuine duplicate), over room noise, kept by the "phone" as AAC and edited
and saved again with ffmpeg."""

import subprocess

import numpy as np
import pytest
from scipy import signal

from evidence import media
from evidence.detectors import Context
from evidence.detectors import duplicates
from fixtures.generate import read_wav_with_rate

RATE = 16000
SENTENCES = [
    "Thank you for coming in today.", "Can we talk about the contact arrangements?",
    "I have read the report, and I do not agree with paragraph twelve.", "The children were happy at the weekend.",
    "We will need to see the school attendance records.", "That is not what I said at the last meeting.",
    "Could you write that down, please?", "Yes, yes, that is right.", "The next review is in six weeks.",
    "Nobody told me about the change of social worker.", "Let me just check my notes.", "No, no, I do not think so.",
    "She has been much more settled since March.", "I would like my solicitor to see this.",
]
VOICES = {"slt": 170.0, "rms": 100.0, "awb": 105.0}


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, capture_output=True)


def save(x, path, *codec):
    raw = path.with_suffix(".f32")
    np.clip(x, -1, 1).astype("<f4").tofile(raw)
    ffmpeg("-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(raw), *codec, str(path))
    raw.unlink()
    return path


def decoded(path):
    return media.decode_for_analysis(path, media.probe(path))[0]


def run(audio):
    return duplicates.detect(audio, Context(media=None))


def utterance(tmp, rng, text, voice):
    out = tmp / "u.wav"
    subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={rng.uniform(0.9, 1.15):.3f}",
                    "--setf", f"int_f0_target_mean={VOICES[voice] * rng.uniform(0.85, 1.2):.1f}",
                    "-t", text, "-o", str(out)], check=True, capture_output=True)
    x, rate = read_wav_with_rate(out)
    assert rate == RATE
    return x / np.abs(x).max() * 10 ** (rng.uniform(-12, -6) / 20)


def pink(rng, n):
    x = signal.lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                       [1, -2.494956002, 2.017265875, -0.522189400], rng.normal(0, 1, n))
    return x / x.std()


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    """50 s of three talkers over pink room noise, as the phone saved it (AAC), decoded at 16 kHz;
    and where the speech is."""
    tmp = tmp_path_factory.mktemp("meeting")
    rng = np.random.default_rng(7)
    n = 50 * RATE
    x = pink(rng, n) * 10 ** (-55 / 20)
    speech = []
    at = int(0.5 * RATE)
    while at < n - RATE:
        clip = utterance(tmp, rng, SENTENCES[int(rng.integers(len(SENTENCES)))], str(rng.choice(list(VOICES))))
        clip = clip[: n - at]
        x[at : at + len(clip)] += clip
        speech.append((at / RATE, (at + len(clip)) / RATE))
        at += len(clip) + int(rng.uniform(0.3, 1.2) * RATE)
    phone = save(x, tmp / "phone.m4a", "-c:a", "aac", "-b:a", "64k")
    return {"dir": tmp, "audio": decoded(phone), "speech": speech}


def test_unedited_meeting_gives_nothing(meeting):
    values, dead = duplicates.fingerprints(meeting["audio"])
    usable = duplicates.informative(values, dead)
    assert usable.mean() > 0.9  # the test looked at almost every frame
    assert run(meeting["audio"]) == []


def test_passage_pasted_later_is_found_at_both_places(meeting):
    y = meeting["audio"].samples[:]
    start_s, length_s, later_s = 12.0, 3.0, 20.0
    a, d = int(start_s * RATE), int(length_s * RATE)
    y[a + int(later_s * RATE) : a + int(later_s * RATE) + d] = y[a : a + d]
    path = save(y, meeting["dir"] / "pasted.mp3", "-c:a", "libmp3lame", "-b:a", "128k")
    findings = run(decoded(path))
    assert len(findings) == 1, findings
    (f,) = findings
    got = [f.details[k] for k in ("first_start_s", "first_end_s", "second_start_s", "second_end_s")]
    want = [start_s, start_s + length_s, start_s + later_s, start_s + later_s + length_s]
    assert np.allclose(got, want, atol=0.3), got
    assert (f.start_s, f.end_s) == (f.details["second_start_s"], f.details["second_end_s"])
    assert f.details["lag_s"] == pytest.approx(later_s, abs=0.05)
    assert f.details["bit_error_rate"] < 0.2 and f.severity == "concern"
    assert "00:00:12." in f.explanation and "00:00:32." in f.explanation and "ringtone" in f.explanation


def test_noise_digital_silence_and_steady_hum_give_nothing(tmp_path):
    rng = np.random.default_rng(3)
    t = np.arange(40 * RATE) / RATE
    noise = pink(rng, len(t)) * 10 ** (-45 / 20) + rng.normal(0, 10 ** (-70 / 20), len(t))
    hum = 10 ** (-30 / 20) * np.sin(2 * np.pi * 50 * t) + 10 ** (-36 / 20) * np.sin(2 * np.pi * 100 * t + 1.0)
    fan = signal.sosfilt(signal.butter(2, [100, 3000], "bandpass", fs=RATE, output="sos"), rng.normal(0, 1, len(t)))
    x = np.concatenate([noise[: 10 * RATE], np.zeros(10 * RATE), hum[: 10 * RATE],  # noise, silence, pure hum
                        noise[10 * RATE : 20 * RATE] + hum[10 * RATE : 20 * RATE] + 0.01 * fan[: 10 * RATE]])
    audio = decoded(save(x, tmp_path / "steady.m4a", "-c:a", "aac", "-b:a", "48k"))
    values, dead = duplicates.fingerprints(audio)
    usable = duplicates.informative(values, dead)
    # Digital silence and the pure hum repeat one pattern over and over: those frames are left out.
    frames_s = duplicates.subfingerprint.frame_time_s(np.arange(len(values)))
    assert usable[(frames_s > 11) & (frames_s < 19)].mean() < 0.05
    assert usable[(frames_s > 21) & (frames_s < 29)].mean() < 0.05
    assert usable[(frames_s > 1) & (frames_s < 9)].mean() > 0.9
    assert run(audio) == []


def test_a_word_said_again_is_shorter_than_the_minimum(meeting, monkeypatch):
    y = meeting["audio"].samples[:]
    # A 0.3 s word inside an utterance, pasted into a pause more than a second later.
    s0, s1 = next(s for s, following in zip(meeting["speech"], meeting["speech"][1:])
                  if s[1] - s[0] > 1.5 and following[0] - s[1] > 0.6)
    word_s, gap_start_s = s0 + 0.5, s1 + 0.1
    a, d = int(word_s * RATE), int(0.3 * RATE)
    b = int(gap_start_s * RATE)
    y[b : b + d] = y[a : a + d]
    audio = decoded(save(y, meeting["dir"] / "word.mp3", "-c:a", "libmp3lame", "-b:a", "128k"))
    assert run(audio) == []
    minimum_s = duplicates.PARAMETERS["min_length_s"]
    # With the minimum length lowered, the repeat is seen, at its place and shorter than the minimum:
    # the minimum is what keeps it out.
    monkeypatch.setitem(duplicates.PARAMETERS, "min_length_s", 0.1)
    monkeypatch.setitem(duplicates.PARAMETERS, "min_votes", 1)
    seen = run(audio)
    near = [f for f in seen if abs(f.details["first_start_s"] - word_s) < 0.4
            and abs(f.details["second_start_s"] - gap_start_s) < 0.4]
    assert near, seen
    assert max(f.details["length_s"] for f in near) < minimum_s
