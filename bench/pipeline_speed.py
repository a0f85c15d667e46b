"""Wall time and peak memory of each stage of `evidence run` on long synthetic speech (AAC).

    .venv/bin/python bench/pipeline_speed.py [--minutes 10 60] [--workdir DIR]

Builds a 60 s speech loop from espeak-ng sentences with pauses and room noise, repeats it to each
length as a 64 kbit/s AAC .m4a, and runs the whole pipeline on it in a fresh process per length,
so each peak RSS belongs to one length. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "Thank you all for coming to this meeting about the children's care plan.",
    "I would like to start by asking how the last two weeks have been at home.",
    "They have been better, although the school runs are still very difficult.",
    "We agreed that contact would take place on Saturdays at the family centre.",
    "Can I ask why the report says that I missed three appointments in March?",
    "The next review will be in six weeks, and we will write to you before then.",
]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def speech_loop(workdir: Path) -> Path:
    """About 60 s of speech: the sentences in two voices, 1.5 s pauses, steady room noise."""
    parts = []
    for n, text in enumerate(SENTENCES * 2):
        wav = workdir / f"s{n}.wav"
        voice = "en-gb" if n % 2 == 0 else "en-us"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        parts.append(wav)
    listing = workdir / "parts.txt"
    listing.write_text("".join(f"file '{p}'\nfile '{workdir / 'pause.wav'}'\n" for p in parts))
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "1.5", str(workdir / "pause.wav"))
    joined = workdir / "joined.wav"
    _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-ar", "16000", str(joined))
    loop = workdir / "loop.wav"
    _ffmpeg("-i", str(joined), "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.004:r=16000",
            "-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0", "-ar", "16000", str(loop))
    return loop


def long_recording(loop: Path, minutes: int, workdir: Path) -> Path:
    out = workdir / f"speech-{minutes}min.m4a"
    if not out.exists():
        _ffmpeg("-stream_loop", "-1", "-i", str(loop), "-t", str(minutes * 60), "-c:a", "aac", "-b:a", "64k", str(out))
    return out


def measure_one(path: Path) -> dict:
    """Run in a fresh process: the pipeline, then rendering every output, with peak RSS per stage."""
    from evidence import pipeline
    from evidence.outputs import artifacts

    peaks: dict[str, float] = {}

    def progress(stage: str, done: float, total: float) -> None:
        peaks[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    report = pipeline.run(path, progress=progress)
    run_s = time.perf_counter() - start
    start = time.perf_counter()
    files = artifacts(report)
    render_s = time.perf_counter() - start
    return {
        "duration_s": report.media.decoded_duration_s,
        "timings_s": {**report.run.timings_s, "render_outputs": round(render_s, 3)},
        "run_s": round(run_s, 3),
        "peak_rss_mb_after_stage": {k: round(v) for k, v in peaks.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pdf_bytes": len(files["bundle.pdf"]),
        "segments": len(report.transcript.segments),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[10, 60])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one)))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    loop = workdir / "loop.wav"
    if not loop.exists():
        loop = speech_loop(workdir)
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}")
    print("| length | stage | wall s | x real time | peak RSS MB so far |")
    print("|---|---|---|---|---|")
    for minutes in args.minutes:
        path = long_recording(loop, minutes, workdir)
        out = subprocess.run([sys.executable, __file__, "--one", str(path)], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        audio_s = r["duration_s"]
        rss = r["peak_rss_mb_after_stage"]
        # ru_maxrss only grows: the figure after a stage is the peak of that stage and all before it.
        stage_rss = {"decode": "decode", "analyse": "analyse", "transcribe": "transcribe", "hash_after": "hash"}
        for stage, seconds in r["timings_s"].items():
            speed = f"{audio_s / seconds:.0f}" if seconds > 0 else "-"
            print(f"| {minutes} min | {stage} | {seconds:.2f} | {speed} | {rss.get(stage_rss.get(stage, ''), '')} |")
        # Wall time, not a sum of stages: the fingerprint runs beside the decode.
        non_transcribe = r["run_s"] - r["timings_s"]["transcribe"] + r["timings_s"]["render_outputs"]
        print(f"| {minutes} min | everything but transcription (wall) | {non_transcribe:.2f} | "
              f"{audio_s / non_transcribe:.0f} | |")
        print(f"| {minutes} min | transcription RTF | {r['timings_s']['transcribe'] / audio_s:.3f} | | |")
        print(f"| {minutes} min | whole process peak RSS | | | {r['peak_rss_mb']} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
