"""Build the integrity benchmark: recordings with and without edits, and their ground truth.

    .venv/bin/python bench/integrity/generate.py OUTDIR [--profile realistic] [--per-kind 3] [--unedited 10] [--seed 1]

OUTDIR/truth.json lists every file with its edit points (seconds in that file) and its conditions.
Mains hum follows real 50 Hz grid frequency from ../shared/data/enf-whu-ref (ENF-WHU), second by
second (bench/integrity/acoustics.py: built from the per-second frequency, not the record's raw
phase, whose recorder glitches are jumps that are not edits).

Profile `realistic` (the default; bench/integrity/realistic.py): meetings recorded on a phone. Two
or three talkers (flite's voices, built from real speakers, each utterance at its own rate and
pitch; sometimes an espeak-ng voice or turns of the real call in tests/data) at their own distances
with their own room reverberation; a background that drifts over minutes, with rumble and several
short events a minute; automatic gain control on every other session, noise suppression and a
microphone high-pass on some; hum on half, from clear to barely there; saved as the phone saves it
(AAC-LC 48-64 kbit/s .m4a at 48 or 44.1 kHz, or Opus). Unedited sessions (3-5 min) are kept as the
phone's file and also converted to MP3, AAC and WAV. Edited sessions (60-100 s) are decoded, edited
(most cuts in a pause) and saved again as WAV, FLAC, AAC and MP3:
  deletion              0.5-10 s removed                                         one point
  insertion-same-room   3-10 s of the same room on another day inserted          two points
  insertion-other-room  3-10 s recorded in another room inserted                 two points
  replacement           2-8 s replaced by other material of the same room        two points
  mute-zero             1-5 s set to digital zero                                two points
  mute-tone             1-5 s replaced by the room's tone from another day       two points
                        (taken from anywhere in it)
  join                  the recorder paused and resumed (made before encoding)   one point
  duplicate             1-8 s of the recording copied to another place           two points

Profile `simple` (the benchmark of earlier versions, kept for comparison): espeak-ng speakers
taking turns, pink room noise, no reverberation or gain control, 16 kHz, edits on clean samples:
  deletion      a stretch of 0.5-10 s removed                        one point
  insertion     3-10 s of another session inserted                   two points
  mute-zero     1-5 s replaced by digital zero                       two points
  mute-tone     1-5 s replaced by room tone of another session       two points
  join          the recording stops and another session continues    one point
  reencode      4-10 s passed through a 16 kbit/s MP3 and back       two points
each saved as WAV, AAC (.m4a) and MP3.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.integrity import acoustics, voices  # noqa: E402
from fixtures.generate import read_wav_with_rate, write_wav  # noqa: E402

ENF_DIR = Path(os.environ.get("EVIDENCE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "enf-whu-ref"
RATE_HZ = 16_000
KINDS = ["deletion", "insertion", "mute-zero", "mute-tone", "join", "reencode"]
CODECS = {
    "wav": ["-c:a", "pcm_s16le"],
    "m4a": ["-c:a", "aac", "-b:a", "48k"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
}
SENTENCES = voices.SENTENCES[:15]
"""The simple profile's sentences: the first of the realistic profile's, as the earlier benchmark had them."""
VOICES = voices.ESPEAK_VOICES


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


SYNTHESISERS = {
    "espeak-ng": lambda text, voice, raw, speed, pitch: ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                                                         "-w", raw, text],
    "flite": lambda text, voice, raw, speed, pitch: ["flite", "-voice", voice, "-t", text, "-o", raw],
}


@functools.cache
def utterance(text: str, voice: str, synthesiser: str = "espeak-ng", speed: int = 155, pitch: int = 50) -> np.ndarray:
    """`text` spoken by `voice` of `synthesiser` (a key of SYNTHESISERS), at 16 kHz, peak 1; espeak-ng
    at `speed` words a minute and `pitch` (0-99)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(SYNTHESISERS[synthesiser](text, voice, str(raw), speed, pitch), check=True)
        _ffmpeg("-i", str(raw), "-ar", str(RATE_HZ), "-ac", "1", str(out))
        samples, _ = read_wav_with_rate(out)
    return samples / (np.abs(samples).max() + 1e-9)


def grid_track(index: int) -> np.ndarray:
    """Grid frequency (Hz) per second of ENF-WHU reference file `index`."""
    return acoustics.grid_frequency(sorted(ENF_DIR.glob("*_ref.wav"))[index])


def hum(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mains hum following a real grid recording: fundamental and harmonics at phone-like levels."""
    index = int(rng.integers(len(sorted(ENF_DIR.glob("*_ref.wav")))))
    start_s = int(rng.integers(5, len(grid_track(index)) - int(np.ceil(n / RATE_HZ)) - 5))
    return hum_at(rng, n, index, start_s)


def hum_at(rng: np.random.Generator, n: int, index: int, start_s: float) -> np.ndarray:
    """`n` samples (16 kHz) of hum following ENF-WHU reference file `index` from its second `start_s`."""
    levels_db = {1: rng.uniform(-52, -44), 2: rng.uniform(-46, -38), 3: rng.uniform(-58, -50)}
    return acoustics.hum(rng, n, RATE_HZ, grid_track(index), start_s, levels_db)


def room_noise(rng: np.random.Generator, n: int, level_db: float) -> np.ndarray:
    white = rng.normal(0, 1, n)
    b, a = [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.522189400]
    pink = signal.lfilter(b, a, white)
    return pink / pink.std() * 10 ** (level_db / 20)


def a_sentence(rng: np.random.Generator) -> str:
    return SENTENCES[int(rng.integers(len(SENTENCES)))]


def session(rng: np.random.Generator, seconds: float, with_hum: bool, say=a_sentence,
            max_pause_s: float = 2.0, vary_prosody: bool = False) -> dict[str, np.ndarray]:
    """One meeting: {'speech', 'tone'} where tone is the room (noise and hum) without the speech.
    `say(rng)` gives each utterance's text; pauses between utterances are 0.3 s to `max_pause_s`.
    With `vary_prosody` each utterance gets its own speed and pitch: espeak-ng otherwise says a
    repeated sentence sample for sample the same, a duplicated passage no person would make."""
    n = int(seconds * RATE_HZ)
    speech = np.zeros(n)
    speakers = rng.choice(VOICES, size=int(rng.integers(2, 4)), replace=False)
    gains = {v: 10 ** (rng.uniform(-14, -6) / 20) for v in speakers}
    at = int(rng.uniform(0.3, 1.5) * RATE_HZ)
    while at < n:
        voice = speakers[int(rng.integers(len(speakers)))]
        prosody = (int(rng.integers(140, 171)), int(rng.integers(35, 66))) if vary_prosody else (155, 50)
        clip = utterance(say(rng), voice, "espeak-ng", *prosody) * gains[voice]
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


def simple(args: argparse.Namespace) -> list[dict]:
    """The `simple` profile: sessions made one after another from one random stream."""
    rng = np.random.default_rng(args.seed)
    truth = []
    jobs = [(kind, with_hum, i) for with_hum in (True, False) for kind in KINDS for i in range(args.per_kind)]
    jobs += [("unedited", with_hum, i) for with_hum in (True, False) for i in range(args.unedited)]
    for n, (kind, with_hum, i) in enumerate(jobs, 1):
        name = f"{kind}-{'hum' if with_hum else 'nohum'}-{i:02d}"
        if kind == "unedited":
            samples, points = mix(session(rng, args.unedited_seconds, with_hum, vary_prosody=True)), []
        else:
            a = session(rng, args.seconds, with_hum, vary_prosody=True)
            b = session(rng, args.seconds, with_hum, vary_prosody=True)
            samples, points = edit(kind, rng, a, b)
        peak = np.abs(samples).max()
        if peak > 0.99:
            samples = samples * 0.99 / peak
        for path in encode(samples, args.outdir / name):
            truth.append({"file": path.name, "kind": kind, "hum": with_hum, "codec": path.suffix[1:],
                          "points_s": [round(p, 3) for p in points], "duration_s": round(len(samples) / RATE_HZ, 3)})
        print(f"[{n}/{len(jobs)}] {name}", file=sys.stderr)
    return truth


def realistic_set(args: argparse.Namespace) -> list[dict]:
    """The `realistic` profile: each session from its own seed, so they can be built in parallel."""
    from bench.integrity import realistic

    todo = realistic.jobs(args.outdir, args.seed, args.per_kind, args.unedited)
    truth = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for n, rows in enumerate(pool.map(realistic.build, todo), 1):
            truth += rows
            print(f"[{n}/{len(todo)}] {rows[0]['session']}", file=sys.stderr)
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--profile", choices=["realistic", "simple"], default="realistic")
    parser.add_argument("--per-kind", type=int, default=3, help="edited sessions per kind and hum condition")
    parser.add_argument("--unedited", type=int, default=10, help="unedited sessions per hum condition")
    parser.add_argument("--seconds", type=float, default=60.0, help="simple profile: length of an edited session")
    parser.add_argument("--unedited-seconds", type=float, default=120.0, help="simple profile: unedited length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="realistic profile: sessions built at once")
    args = parser.parse_args()
    if not ENF_DIR.is_dir():
        sys.exit(f"ENF reference recordings not found at {ENF_DIR} (set EVIDENCE_SHARED_DATA)")
    args.outdir.mkdir(parents=True, exist_ok=True)
    truth = realistic_set(args) if args.profile == "realistic" else simple(args)
    (args.outdir / "truth.json").write_text(json.dumps({"profile": args.profile, "seed": args.seed, "files": truth},
                                                       indent=1))


if __name__ == "__main__":
    main()
