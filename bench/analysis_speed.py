"""Speed and memory of `evidence analyse` (every integrity test, no transcription) on a long
phone-like recording, and the time each test takes.

    .venv/bin/python bench/analysis_speed.py BENCHDIR [--minutes 60] [--workdir DIR]

BENCHDIR is a set made by bench/integrity/generate.py (realistic profile). Its unedited phone
files are decoded at 48 kHz and joined, in turn, to `--minutes`, then saved as AAC-LC 64 kbit/s
.m4a, as a phone saves a long meeting (the joins are edits, which is fine for timing). The command
runs as a subprocess under /usr/bin/time -v (wall time, peak resident memory); then each detector
is timed in this process on the same decoded audio. Prints Markdown for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evidence import analysis, media  # noqa: E402
from evidence.detectors import Context, enf  # noqa: E402

RATE_HZ = 48_000


def long_recording(benchdir: Path, minutes: float, out: Path) -> Path:
    truth = json.loads((benchdir / "truth.json").read_text())
    kept = [benchdir / f["file"] for f in truth["files"] if f["chain"] == "kept"]
    if not kept:
        sys.exit(f"{benchdir}: no unedited phone files in truth.json (make the set with bench/integrity/generate.py)")
    pieces, total = [], 0
    while total < minutes * 60 * RATE_HZ:
        for path in kept:
            raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar",
                                  str(RATE_HZ), "-f", "f32le", "-"], check=True, capture_output=True).stdout
            pieces.append(np.frombuffer(raw, dtype="<f4"))
            total += len(pieces[-1])
            if total >= minutes * 60 * RATE_HZ:
                break
    x = np.concatenate(pieces)[: int(minutes * 60 * RATE_HZ)]
    with tempfile.NamedTemporaryFile(suffix=".f32") as raw:
        x.tofile(raw.name)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE_HZ), "-ac", "1",
                        "-i", raw.name, "-c:a", "aac", "-b:a", "64k", str(out)], check=True)
    return out


def command_figures(path: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of `evidence analyse PATH --json`."""
    done = subprocess.run(["/usr/bin/time", "-v", str(Path(sys.executable).with_name("evidence")), "analyse",
                           str(path), "--json"], capture_output=True, text=True, check=True)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    return seconds, rss_kb / 1024


def detector_times(path: Path) -> tuple[float, dict[str, float]]:
    info = media.probe(path)
    start = time.perf_counter()
    audio, _ = media.decode_for_analysis(path, info)
    decode_s = time.perf_counter() - start
    start = time.perf_counter()
    hum = enf.hum_signal(audio)
    times = {"hum search (once, for the ENF tests)": time.perf_counter() - start}
    ctx = Context(media=info, source=path, hum=hum)
    for detector in analysis.DETECTORS:
        if hasattr(detector, "skip_reason") and detector.skip_reason(ctx):
            continue
        start = time.perf_counter()
        detector.detect(audio, ctx)
        times[detector.NAME] = time.perf_counter() - start
    return decode_s, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("benchdir", type=Path)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="evidence-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"joined-{args.minutes:g}min.m4a"
    if not path.exists():
        long_recording(args.benchdir, args.minutes, path)
    seconds = args.minutes * 60
    wall_s, rss_mb = command_figures(path)
    decode_s, times = detector_times(path)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| recording | wall s | x real time | peak RSS MB |")
    print("|---|---|---|---|")
    print(f"| {args.minutes:g} min, {path.name} (AAC 64k, 48 kHz) | {wall_s:.1f} | {seconds / wall_s:.0f} | {rss_mb:.0f} |")
    print("\nIn process, same file: decoding to 16 kHz and each test\n")
    print("| step | s |")
    print("|---|---|")
    print(f"| decode | {decode_s:.2f} |")
    for name, s in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {s:.2f} |")


if __name__ == "__main__":
    main()
