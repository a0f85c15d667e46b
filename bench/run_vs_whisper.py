"""`evidence run` against Whisper alone on the same file: wall time and peak memory.

    .venv/bin/python bench/run_vs_whisper.py [--minutes 10 60] [--workdir DIR] [--only NAME ...]

The file is a meeting of two or three espeak-ng voices, each utterance at its own speed and pitch,
with pauses of 0.3-2 s and pink room noise (bench/integrity/generate.py's `session`, seed 1), saved as
64 kbit/s AAC. It does not repeat itself: a looped file would make the duplicated-passage test find
the loop, which no real meeting has. Each command runs in its own process under /usr/bin/time -v, so its
wall time includes Python's start-up, imports and loading the model, as a user would wait for it:

  evidence       `evidence run FILE -o OUT -q`: analysis, transcript, speaker labels, every output
                 (with --speaker-encoder NAME, that encoder)
  faster         faster-whisper alone: WhisperModel(tiny.en, int8, all cores).transcribe(FILE) with the
                 engine's options in evidence (beam 5, Silero VAD, word timestamps, English, not
                 conditioned on previous text, the same temperatures and thresholds)
  batched        the same through faster-whisper's BatchedInferencePipeline (batch_size 8)
  openai         openai-whisper's own command on the same weights (converted with `evidence models
                 convert`), beam 5, word timestamps, English, fp32, all cores

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.integrity.generate import RATE_HZ, mix, session  # noqa: E402
from bench.long_memory import made_once, measured  # noqa: E402
from fixtures.generate import write_wav  # noqa: E402

BIN = Path(sys.executable).parent


def meeting(minutes: float, workdir: Path) -> Path:
    out = workdir / f"meeting-{minutes:g}min.m4a"
    if not out.exists():
        import numpy as np

        s = session(np.random.default_rng(1), minutes * 60, with_hum=False, vary_prosody=True)
        wav = write_wav(workdir / "meeting.wav", mix(s), RATE_HZ)
        made_once(out, ["-i", str(wav), "-c:a", "aac", "-b:a", "64k"])
        wav.unlink()
    return out


def whisper_alone(path: str, batched: bool) -> None:
    """faster-whisper with the options `evidence run` gives it; consumes every segment."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from evidence.transcribe.models import bundled_model_path
    from evidence.transcribe.options import TranscribeOptions

    o = TranscribeOptions()
    model = WhisperModel(str(bundled_model_path()), device="cpu", compute_type=o.compute_type,
                         cpu_threads=o.cpu_threads, local_files_only=True)
    kwargs = dict(language="en", beam_size=o.beam_size, word_timestamps=o.word_timestamps, vad_filter=o.vad_filter,
                  condition_on_previous_text=o.condition_on_previous_text, temperature=list(o.temperature),
                  compression_ratio_threshold=o.compression_ratio_threshold,
                  log_prob_threshold=o.log_prob_threshold, no_speech_threshold=o.no_speech_threshold)
    if batched:
        del kwargs["condition_on_previous_text"]
        segments, _ = BatchedInferencePipeline(model).transcribe(path, batch_size=8, **kwargs)
    else:
        segments, _ = model.transcribe(path, **kwargs)
    words = sum(len(s.text.split()) for s in segments)
    print(f"words {words}")


def commands(path: Path, workdir: Path, checkpoint: Path, encoder: str | None) -> dict[str, list[str]]:
    threads = str(len(os.sched_getaffinity(0)))
    return {
        "faster": [sys.executable, __file__, "--alone", str(path)],
        "evidence": [str(BIN / "evidence"), "run", str(path), "-o", str(workdir / f"out-{path.stem}"), "-q",
                     *(["--speaker-encoder", encoder] if encoder else [])],
        "batched": [sys.executable, __file__, "--alone-batched", str(path)],
        "openai": [str(BIN / "whisper"), str(path), "--model", str(checkpoint), "--language", "en",
                   "--beam_size", "5", "--word_timestamps", "True", "--condition_on_previous_text", "False",
                   "--fp16", "False", "--threads", threads, "--output_format", "json",
                   "--output_dir", str(workdir / f"openai-{path.stem}"), "--verbose", "False"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 60])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--only", nargs="+", choices=["evidence", "faster", "batched", "openai"])
    parser.add_argument("--speaker-encoder", help="passed to `evidence run` (default: its own default)")
    parser.add_argument("--alone", help=argparse.SUPPRESS)
    parser.add_argument("--alone-batched", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone or args.alone_batched:
        whisper_alone(args.alone or args.alone_batched, batched=bool(args.alone_batched))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="evidence-vs-whisper-"))
    workdir.mkdir(parents=True, exist_ok=True)
    checkpoint = workdir / "tiny.en.pt"
    if not checkpoint.exists():
        subprocess.run([str(BIN / "evidence"), "models", "convert", "-o", str(checkpoint)], check=True)
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
          f"Python {platform.python_version()}")
    print("| length | command | wall s | x real time | peak RSS MB | ratio to faster-whisper alone |")
    print("|---|---|---|---|---|---|")
    for minutes in args.minutes:
        path = meeting(minutes, workdir)
        walls: dict[str, float] = {}
        for name, command in commands(path, workdir, checkpoint, args.speaker_encoder).items():
            if args.only and name not in args.only:
                continue
            wall_s, peak_mb = measured(command)
            walls[name] = wall_s
            ratio = f"{wall_s / walls['faster']:.2f}" if "faster" in walls else ""
            print(f"| {minutes:g} min | {name} | {wall_s:.1f} | {minutes * 60 / wall_s:.1f} | {peak_mb:.0f} | {ratio} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
