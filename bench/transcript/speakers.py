"""Speaker labels on generated conversations: is the automatic count right, and who said each word?

    .venv/bin/python bench/transcript/speakers.py WORKDIR [--conversations 12] [--seed 1]

Each conversation is about 60 s of the benchmark's sentences spoken by one, two or three of flite's
voices built from real speakers (CMU ARCTIC slt, rms, awb), taking turns (a new speaker at 70 % of
turns) with 0.2-1.0 s pauses; the timing of every sentence is known. The speaker method was chosen on
the real call and on espeak-ng voices, never on these. Each conversation is transcribed (tiny.en,
faster-whisper) and labelled twice: with the number of speakers automatic, and given as --speakers N.
Accuracy is the share of reference words given the right speaker (bench/transcript/scoring.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.integrity.generate import utterance  # noqa: E402
from bench.transcript.run import SENTENCES  # noqa: E402
from bench.transcript.scoring import speaker_accuracy  # noqa: E402

VOICES = ["slt", "rms", "awb"]
RATE_HZ = 16_000


def conversation(rng: np.random.Generator, voices: list[str], seconds: float = 60.0):
    """Samples, and per sentence (speaker, start_s, end_s, text) and (start_s, end_s, speaker)."""
    parts, stm, rttm = [np.zeros(int(0.5 * RATE_HZ))], [], []
    at_s, voice = 0.5, voices[0]
    while at_s < seconds:
        text = SENTENCES[int(rng.integers(len(SENTENCES)))]
        clip = utterance(text, voice, "flite") * 0.3
        stm.append((voice, at_s, at_s + len(clip) / RATE_HZ, text))
        rttm.append((at_s, at_s + len(clip) / RATE_HZ, voice))
        pause_s = rng.uniform(0.2, 1.0)
        parts += [clip, np.zeros(int(pause_s * RATE_HZ))]
        at_s += len(clip) / RATE_HZ + int(pause_s * RATE_HZ) / RATE_HZ
        if len(voices) > 1 and rng.random() < 0.7:
            voice = str(rng.choice([v for v in voices if v != voice]))
    return np.concatenate(parts), stm, rttm


def conversations(workdir: Path, count: int, seed: int):
    """The benchmark's conversations, written to `workdir`: (path, voices, stm, rttm) for each, the same
    recordings for the same seed (bench/transcript/encoders.py uses them too)."""
    from fixtures.generate import write_wav

    rng = np.random.default_rng(seed)
    for n in range(count):
        voices = [str(v) for v in rng.choice(VOICES, size=n % 3 + 1, replace=False)]
        samples, stm, rttm = conversation(rng, voices)
        yield write_wav(workdir / f"conversation-{n:02d}.wav", samples), voices, stm, rttm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--conversations", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("flite") is None:
        sys.exit("flite not found: install with `bash scripts/install.sh --test`")

    from evidence import diarize, media
    from evidence.transcribe import TranscribeOptions, transcribe

    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for path, voices, stm, rttm in conversations(args.workdir, args.conversations, args.seed):
        audio, _ = media.decode_for_analysis(media.check_readable(str(path)), media.probe(str(path)))
        transcript = transcribe(audio, TranscribeOptions(language="en"))
        row = {"name": path.name, "voices": voices, "turns": sum(1 for a, b in zip(rttm, rttm[1:]) if a[2] != b[2])}
        for mode, speakers in (("auto", None), ("given", len(voices))):
            labelled = diarize.label_speakers(audio, transcript, speakers=speakers)
            row[mode] = (len(labelled.diarization.speakers), speaker_accuracy(labelled, stm, rttm))
        rows.append(row)
        print(row, file=sys.stderr)
    print("| conversation | voices | changes of speaker | found (automatic) | accuracy (automatic) | "
          "accuracy (--speakers N) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {', '.join(r['voices'])} | {r['turns']} | {r['auto'][0]} | "
              f"{100 * r['auto'][1]:.1f}% | {100 * r['given'][1]:.1f}% |")
    right = sum(r["auto"][0] == len(r["voices"]) for r in rows)
    print(f"\nautomatic count right: {right}/{len(rows)}")
    for k in (1, 2, 3):
        some = [r for r in rows if len(r["voices"]) == k]
        if some:
            print(f"{k} voice(s): found {[r['auto'][0] for r in some]}; mean accuracy automatic "
                  f"{100 * np.mean([r['auto'][1] for r in some]):.1f}%, given N "
                  f"{100 * np.mean([r['given'][1] for r in some]):.1f}%")


if __name__ == "__main__":
    main()
