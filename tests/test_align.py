"""`evidence align`: two recordings of one generated meeting, heard through different rooms, levels,
equalisation, noise and codecs, with a clock drift, an offset, and passages missing from one."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from scipy import signal

from cli.main import cli
from evidence import align as aligning
from evidence.align import ALIGNED, NOT_ALIGNED, TOO_SHORT, align
from fixtures.generate import write_wav

RATE_HZ = 16_000
MEETING_S = 160.0
B_STARTS_S = 7.3
"""Meeting time at which B starts; A starts at 0, so B's time 0 is A's 7.3 s."""
DRIFT_PPM = 150.0
CUT_S = (60.0, 80.0)
"""Meeting time removed from B (its recorder paused)."""
MUTE_S = (110.0, 125.0)
"""Meeting time muted in B (digital near-silence)."""
TOLERANCE_S = 2.0


def babble(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Speech-like sound: words of 1-4 voiced syllables (harmonics of a gliding pitch through a random formant),
    with pauses, none alike."""
    n = int(seconds * RATE_HZ)
    out = np.zeros(n)
    at = int(0.5 * RATE_HZ)
    while at < n:
        for _ in range(int(rng.integers(1, 5))):
            length = int(rng.uniform(0.08, 0.3) * RATE_HZ)
            t = np.arange(length) / RATE_HZ
            f0 = rng.uniform(100, 240) * (1 + rng.uniform(-0.2, 0.2) * t / t[-1])
            phase = 2 * np.pi * np.cumsum(f0) / RATE_HZ
            voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
            centre = rng.uniform(400, 2500)
            voiced = signal.sosfilt(signal.butter(2, [centre * 0.6, centre * 1.5], "bandpass", fs=RATE_HZ,
                                                  output="sos"), voiced)
            syllable = voiced * np.hanning(length) * rng.uniform(0.3, 1.0)
            syllable = syllable[: n - at]
            out[at : at + len(syllable)] += syllable
            at += length + int(rng.uniform(0.02, 0.12) * RATE_HZ)
        at += int((rng.uniform(0.2, 1.0) if rng.random() < 0.8 else rng.uniform(1.5, 3.5)) * RATE_HZ)
    return out / np.abs(out).max() * 0.5


def room(rng: np.random.Generator, x: np.ndarray, rt60_s: float, noise_db: float) -> np.ndarray:
    length = int(rt60_s * RATE_HZ)
    h = rng.normal(0, 1, length) * np.exp(-6.9 * np.arange(length) / length)
    h[0] = 8.0
    y = signal.oaconvolve(x, h / np.abs(h).sum() * 4)[: len(x)]
    return y + rng.normal(0, 10 ** (noise_db / 20), len(y))


def clocked(x: np.ndarray, drift_ppm: float) -> np.ndarray:
    drift = drift_ppm / 1e6
    n = int(len(x) * (1 + drift))
    return np.interp(np.arange(n) / (1 + drift), np.arange(len(x)), x)


def b_time(meeting_s: float) -> float:
    return (meeting_s - B_STARTS_S) * (1 + DRIFT_PPM / 1e6)


def encode(wav, out):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "48k",
                    str(out)], check=True)
    wav.unlink()
    return out


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    """A: the meeting near one microphone, WAV. B: further away in another room, telephone band, 12 dB
    quieter and noisier, its clock 150 ppm fast, starting 7.3 s later, with a cut and a muted stretch, MP3.
    `other`: a different meeting."""
    folder = tmp_path_factory.mktemp("align")
    rng = np.random.default_rng(7)
    dry = babble(rng, MEETING_S)
    a = room(rng, dry, 0.25, -60)
    b = signal.sosfilt(signal.butter(4, [300, 3400], "bandpass", fs=RATE_HZ, output="sos"), room(rng, dry, 0.6, -52))
    b = clocked(b[int(B_STARTS_S * RATE_HZ) :] * 10 ** (-12 / 20), DRIFT_PPM)
    mute = [int(b_time(t) * RATE_HZ) for t in MUTE_S]
    b[mute[0] : mute[1]] = rng.normal(0, 1e-5, mute[1] - mute[0])
    cut = [int(b_time(t) * RATE_HZ) for t in CUT_S]
    b = np.concatenate([b[: cut[0]], b[cut[1] :]])
    other = room(rng, babble(np.random.default_rng(99), 90.0), 0.4, -55)
    return {"a": write_wav(folder / "a.wav", a), "b": encode(write_wav(folder / "b.wav", b), folder / "b.mp3"),
            "other": write_wav(folder / "other.wav", other), "short": write_wav(folder / "short.wav", a[:RATE_HZ * 3]),
            "folder": folder}


@pytest.fixture(scope="module")
def result(meeting):
    return align(meeting["a"], meeting["b"])


def test_offset_and_drift_are_recovered(result):
    assert result.verdict == ALIGNED
    assert result.offset_s == pytest.approx(-B_STARTS_S, abs=0.03)
    assert result.drift_ppm == pytest.approx(DRIFT_PPM, abs=40)


def test_the_cut_passage_is_reported_with_its_times_in_both(result):
    cut = [d for d in result.differences if d.kind == "jump"]
    assert len(cut) == 1, result.differences
    d = cut[0]
    assert d.holder == "A"
    assert d.start_s == pytest.approx(CUT_S[0], abs=TOLERANCE_S)
    assert d.end_s == pytest.approx(CUT_S[1], abs=TOLERANCE_S)
    # B goes straight from the cut's start to its end: both ends at one point of B's time.
    assert d.other_start_s == pytest.approx(b_time(CUT_S[0]), abs=TOLERANCE_S)
    assert d.other_end_s == pytest.approx(b_time(CUT_S[0]), abs=TOLERANCE_S)
    assert "A has" in d.text and "paused or cut" in d.text


def test_the_muted_passage_is_reported_as_absent(result):
    muted = [d for d in result.differences if d.kind == "absent"]
    assert len(muted) == 1, result.differences
    d = muted[0]
    assert (d.holder, d.start_s, d.end_s) == ("A", pytest.approx(MUTE_S[0], abs=TOLERANCE_S),
                                             pytest.approx(MUTE_S[1], abs=TOLERANCE_S))
    cut_s = CUT_S[1] - CUT_S[0]
    assert d.other_start_s == pytest.approx(b_time(MUTE_S[0]) - cut_s, abs=TOLERANCE_S)


def test_the_start_before_b_and_nothing_else(result):
    early = [d for d in result.differences if d.kind == "before-start"]
    assert [d.holder for d in early] == ["A"] and early[0].end_s == pytest.approx(B_STARTS_S, abs=TOLERANCE_S)
    assert {d.kind for d in result.differences} == {"before-start", "jump", "absent"}
    assert not [d for d in result.differences if d.holder == "B"]


def test_pieces_follow_the_lines(result):
    assert len(result.pieces) >= 2
    first = result.pieces[0]
    assert first.b_start_s == pytest.approx(0.0, abs=0.5)
    assert first.a_start_s == pytest.approx(B_STARTS_S, abs=0.5)


def test_unrelated_recordings_do_not_align(meeting):
    r = align(meeting["a"], meeting["other"])
    assert r.verdict == NOT_ALIGNED and r.offset_s is None and r.differences == []
    assert "different meetings" in r.summary


def test_digital_silence_aligns_with_nothing(meeting):
    silent = write_wav(meeting["folder"] / "silent.wav", np.zeros(20 * RATE_HZ))
    r = align(meeting["a"], silent)
    assert r.verdict == NOT_ALIGNED and r.b.sound_s == 0.0


def test_too_short(meeting):
    assert align(meeting["a"], meeting["short"]).verdict == TOO_SHORT


def test_json_round_trip(result):
    data = json.loads(aligning.to_json(result))
    assert data["kind"] == "evidence-alignment" and data["offset_s"] == result.offset_s
    assert {"holder", "start_s", "end_s", "other_start_s", "other_end_s", "kind", "text"} <= set(data["differences"][0])
    assert data["cannot_prove"] and data["parameters"]["window_s"] == aligning.WINDOW_S


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_writes_json_and_pdf_and_leaves_inputs_alone(meeting, tmp_path):
    before = {k: _sha(meeting[k]) for k in ("a", "b")}
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["align", str(meeting["a"]), str(meeting["b"]), "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("ALIGNED") and "paused or cut" in r.output
    assert {p.name for p in out.iterdir()} == {"align.json", "align.pdf"}
    data = json.loads((out / "align.json").read_text())
    assert data["a"]["sha256"] == before["a"] and data["b"]["sha256"] == before["b"]
    pdf = PdfReader(out / "align.pdf")
    text = "".join(page.extract_text() for page in pdf.pages)
    assert before["a"] in text.replace("\n", "") and "cannot tell which" in text.replace("\n", " ")
    assert "align.json" in pdf.attachments
    assert {k: _sha(meeting[k]) for k in ("a", "b")} == before


def test_cli_json_and_case_log(meeting, tmp_path):
    case = tmp_path / "case"
    assert CliRunner().invoke(cli, ["case", "init", str(case), "--case-ref", "T1"]).exit_code == 0
    r = CliRunner().invoke(cli, ["align", str(meeting["a"]), str(meeting["b"]), "--json", "-q", "--case", str(case)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["verdict"] == ALIGNED
    assert '"align: ALIGNED"' in (case / "custody.jsonl").read_text()


@pytest.mark.parametrize("which, message", [("missing", "no such file"), ("text", "not a readable audio"),
                                            ("same", "given twice")])
def test_bad_input_is_one_line_error(meeting, tmp_path, which, message):
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    second = {"missing": tmp_path / "nope.m4a", "text": text, "same": meeting["a"]}[which]
    r = CliRunner().invoke(cli, ["align", str(meeting["a"]), str(second), "-q"])
    assert r.exit_code == 1
    assert message in r.output and r.output.startswith("Error: ") and r.output.count("\n") == 1


def test_command_as_a_subprocess(meeting, tmp_path):
    exe = Path(sys.executable).with_name("evidence")
    r = subprocess.run([str(exe), "align", str(meeting["a"]), str(meeting["other"]), "-q"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(NOT_ALIGNED)


def test_a_stretch_that_would_take_the_other_backwards_is_dropped():
    # 0-10 s and 12-30 s on one line; 10-12 s on a line 50 s earlier in B: recorders do not rewind.
    path = np.array([0] * 1000 + [1] * 200 + [0] * 1800)
    kept = aligning._forward_only(path, [0.0, -50.0], 0.0, True)
    assert (kept[1000:1200] == 2).all() and (kept[:1000] == 0).all() and (kept[1200:] == 0).all()
    # A cut's two boundaries each placed a little late or early still count as going forward.
    cut = np.array([0] * 1000 + [2] * 500 + [1] * 1500)
    assert (aligning._forward_only(cut, [0.0, -5.5], 0.0, True) == cut).all()
