"""Build the integrity benchmark: realistic recordings with and without edits, and their ground truth.

    .venv/bin/python bench/integrity/generate.py OUTDIR [--per-kind 4] [--unedited 6] [--seed 1]

A "session" is one made-up meeting: espeak-ng speakers taking turns with pauses, pink room noise,
and (when hum is on) mains hum whose phase follows a real 50 Hz grid recording from
../shared/data/enf-whu-ref (different sessions take different stretches, as recordings made at
different times would). Edits are made on the session's samples, as an audio editor would, and the
result is saved as WAV, AAC (.m4a) and MP3. OUTDIR/truth.json lists every file with its edit points.

Edit kinds (points are times in the edited file, seconds):
  deletion      a stretch of 0.5-10 s removed                        one point
  insertion     3-10 s of another session inserted                   two points
  mute-zero     1-5 s replaced by digital zero                       two points
  mute-tone     1-5 s replaced by room tone of another session       two points
  join          the recording stops and another session continues    one point
  reencode      4-10 s passed through a 16 kbit/s MP3 and back       two points
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fixtures.generate import read_wav_with_rate, write_wav  # noqa: E402

ENF_DIR = Path(os.environ.get("EVIDENCE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "enf-whu-ref"
RATE_HZ = 16_000
KINDS = ["deletion", "insertion", "mute-zero", "mute-tone", "join", "reencode"]
CODECS = {
    "wav": ["-c:a", "pcm_s16le"],
    "m4a": ["-c:a", "aac", "-b:a", "48k"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
}
SENTENCES = [
    "Thank you for coming in today.", "Can we talk about the contact arrangements?",
    "I have read the report, and I do not agree with paragraph twelve.", "The children were happy at the weekend.",
    "We will need to see the school attendance records.", "That is not what I said at the last meeting.",
    "Could you write that down, please?", "I think we should take a short break.",
    "The next review is in six weeks.", "Nobody told me about the change of social worker.",
    "Let me just check my notes.", "Yes, that is right.", "No, I do not think so.",
    "She has been much more settled since March.", "I would like my solicitor to see this.",
]
VOICES = ["en-gb", "en-us", "en-gb+f3", "en-us+m3", "en-gb-x-rp+f2"]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


SYNTHESISERS = {
    "espeak-ng": lambda text, voice, raw: ["espeak-ng", "-v", voice, "-s", "155", "-w", raw, text],
    "flite": lambda text, voice, raw: ["flite", "-voice", voice, "-t", text, "-o", raw],
}


@functools.cache
def utterance(text: str, voice: str, synthesiser: str = "espeak-ng") -> np.ndarray:
    """`text` spoken by `voice` of `synthesiser` (a key of SYNTHESISERS), at 16 kHz, peak 1."""
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(SYNTHESISERS[synthesiser](text, voice, str(raw)), check=True)
        _ffmpeg("-i", str(raw), "-ar", str(RATE_HZ), "-ac", "1", str(out))
        samples, _ = read_wav_with_rate(out)
    return samples / (np.abs(samples).max() + 1e-9)


@functools.cache
def grid_phase(index: int) -> np.ndarray:
    """Instantaneous phase (radians, unwrapped) of the 50 Hz mains in ENF-WHU reference file `index`, at 400 Hz."""
    x, rate = read_wav_with_rate(sorted(ENF_DIR.glob("*_ref.wav"))[index])
    x = x.astype(np.float64)  # the unwrapped phase reaches 10^5 rad: float32 would lose the detail
    band = signal.butter(4, [49.0, 51.0], "bandpass", fs=rate, output="sos")
    return np.unwrap(np.angle(signal.hilbert(signal.sosfiltfilt(band, x))))


def hum(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mains hum following a real grid recording: fundamental and harmonics at phone-like levels."""
    index = int(rng.integers(len(sorted(ENF_DIR.glob("*_ref.wav")))))
    length_400 = int(np.ceil(n / RATE_HZ * 400)) + 2
    start = int(rng.integers(400 * 5, len(grid_phase(index)) - length_400 - 400 * 5))
    return hum_at(rng, n, index, start)


def hum_at(rng: np.random.Generator, n: int, index: int, start: int) -> np.ndarray:
    """`n` samples of hum following ENF-WHU reference file `index` from its 400 Hz sample `start`."""
    phase_400 = grid_phase(index)
    length_400 = int(np.ceil(n / RATE_HZ * 400)) + 2
    t_400 = np.arange(length_400) / 400
    phase = np.interp(np.arange(n) / RATE_HZ, t_400, phase_400[start : start + length_400])
    levels_db = {1: rng.uniform(-52, -44), 2: rng.uniform(-46, -38), 3: rng.uniform(-58, -50)}
    return sum(10 ** (db / 20) * np.cos(k * phase + rng.uniform(0, 2 * np.pi)) for k, db in levels_db.items())


def room_noise(rng: np.random.Generator, n: int, level_db: float) -> np.ndarray:
    white = rng.normal(0, 1, n)
    b, a = [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.522189400]
    pink = signal.lfilter(b, a, white)
    return pink / pink.std() * 10 ** (level_db / 20)


def a_sentence(rng: np.random.Generator) -> str:
    return SENTENCES[int(rng.integers(len(SENTENCES)))]


def session(rng: np.random.Generator, seconds: float, with_hum: bool, say=a_sentence,
            max_pause_s: float = 2.0) -> dict[str, np.ndarray]:
    """One meeting: {'speech', 'tone'} where tone is the room (noise and hum) without the speech.
    `say(rng)` gives each utterance's text; pauses between utterances are 0.3 s to `max_pause_s`."""
    n = int(seconds * RATE_HZ)
    speech = np.zeros(n)
    speakers = rng.choice(VOICES, size=int(rng.integers(2, 4)), replace=False)
    gains = {v: 10 ** (rng.uniform(-14, -6) / 20) for v in speakers}
    at = int(rng.uniform(0.3, 1.5) * RATE_HZ)
    while at < n:
        voice = speakers[int(rng.integers(len(speakers)))]
        clip = utterance(say(rng), voice) * gains[voice]
        clip = clip[: n - at]
        speech[at : at + len(clip)] += clip
        at += len(clip) + int(rng.uniform(0.3, max_pause_s) * RATE_HZ)
    tone = room_noise(rng, n, rng.uniform(-62, -50))
    if with_hum:
        tone = tone + hum(rng, n)
    return {"speech": speech, "tone": tone}


def mix(s: dict[str, np.ndarray]) -> np.ndarray:
    return s["speech"] + s["tone"]


def edit(kind: str, rng: np.random.Generator, a: dict, b: dict) -> tuple[np.ndarray, list[float]]:
    """Apply one edit of `kind` to session `a` (using session `b` where the edit needs other material)."""
    x, other = mix(a), mix(b)
    n = len(x)
    at = int(rng.uniform(0.25, 0.65) * n)
    at_s = at / RATE_HZ
    if kind == "deletion":
        d = int(rng.uniform(0.5, 10) * RATE_HZ)
        return np.concatenate([x[:at], x[at + d :]]), [at_s]
    if kind == "insertion":
        d = int(rng.uniform(3, 10) * RATE_HZ)
        src = int(rng.integers(0, len(other) - d))
        return np.concatenate([x[:at], other[src : src + d], x[at:]]), [at_s, (at + d) / RATE_HZ]
    if kind in ("mute-zero", "mute-tone"):
        d = int(rng.uniform(1, 5) * RATE_HZ)
        y = x.copy()
        y[at : at + d] = 0 if kind == "mute-zero" else b["tone"][at : at + d]
        return y, [at_s, (at + d) / RATE_HZ]
    if kind == "join":
        src = int(rng.integers(0, len(other) // 3))
        return np.concatenate([x[:at], other[src:]]), [at_s]
    if kind == "reencode":
        d = int(rng.uniform(4, 10) * RATE_HZ)
        with tempfile.TemporaryDirectory() as tmp:
            piece, mp3, back = Path(tmp) / "p.wav", Path(tmp) / "p.mp3", Path(tmp) / "b.wav"
            write_wav(piece, x[at : at + d])
            _ffmpeg("-i", str(piece), "-c:a", "libmp3lame", "-b:a", "16k", str(mp3))
            _ffmpeg("-i", str(mp3), "-ar", str(RATE_HZ), str(back))
            redone, _ = read_wav_with_rate(back)
        redone = np.pad(redone, (0, max(0, d - len(redone))))[:d]
        y = x.copy()
        y[at : at + d] = redone
        return y, [at_s, (at + d) / RATE_HZ]
    raise ValueError(kind)


def encode(samples: np.ndarray, stem: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.wav"
        write_wav(source, samples)
        out = []
        for ext, args in CODECS.items():
            path = stem.with_suffix(f".{ext}")
            _ffmpeg("-i", str(source), *args, str(path))
            out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--per-kind", type=int, default=4, help="edited sessions per kind and hum condition")
    parser.add_argument("--unedited", type=int, default=6, help="unedited sessions per hum condition")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of an edited session")
    parser.add_argument("--unedited-seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not ENF_DIR.is_dir():
        sys.exit(f"ENF reference recordings not found at {ENF_DIR} (set EVIDENCE_SHARED_DATA)")
    rng = np.random.default_rng(args.seed)
    args.outdir.mkdir(parents=True, exist_ok=True)
    truth = []
    jobs = [(kind, with_hum, i) for with_hum in (True, False) for kind in KINDS for i in range(args.per_kind)]
    jobs += [("unedited", with_hum, i) for with_hum in (True, False) for i in range(args.unedited)]
    for n, (kind, with_hum, i) in enumerate(jobs, 1):
        name = f"{kind}-{'hum' if with_hum else 'nohum'}-{i:02d}"
        if kind == "unedited":
            samples, points = mix(session(rng, args.unedited_seconds, with_hum)), []
        else:
            a, b = session(rng, args.seconds, with_hum), session(rng, args.seconds, with_hum)
            samples, points = edit(kind, rng, a, b)
        peak = np.abs(samples).max()
        if peak > 0.99:
            samples = samples * 0.99 / peak
        for path in encode(samples, args.outdir / name):
            truth.append({"file": path.name, "kind": kind, "hum": with_hum, "codec": path.suffix[1:],
                          "points_s": [round(p, 3) for p in points], "duration_s": round(len(samples) / RATE_HZ, 3)})
        print(f"[{n}/{len(jobs)}] {name}", file=sys.stderr)
    (args.outdir / "truth.json").write_text(json.dumps(truth, indent=1))


if __name__ == "__main__":
    main()
