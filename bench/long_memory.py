"""Peak memory and wall time of `evidence analyse` and `evidence run` on long recordings (issue 17:
memory flat with length).

    .venv/bin/python bench/long_memory.py [--hours 0.1667 1 10] [--commands analyse run] [--workdir DIR]

Each recording is made once in `--workdir` (kept for reruns): the bundled call (samples/call.m4a, 30 s
of two people on a phone line) looped to the length, with pink room noise and a faint 50 Hz mains hum
that never repeat, saved as AAC-LC 64 kbit/s at 48 kHz mono, as a phone saves a long meeting. The
loop repeats the same words every 30 s, which the duplicate-passage test passes over (values that
occur too often are not matched), so the figures are of a recording full of speech, not of a test
that has found a thousand repeats. Each command runs as a subprocess under /usr/bin/time -v; the
script prints Markdown for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CALL = ROOT / "samples" / "call.m4a"


def long_recording(hours: float, out: Path) -> Path:
    """`hours` of the call looped, mixed with never-repeating noise and hum, as AAC in an .m4a."""
    if out.exists():
        return out
    seconds = hours * 3600
    partial = out.with_suffix(".partial.m4a")
    subprocess.run([
        "ffmpeg", "-nostdin", "-v", "error", "-y",
        "-stream_loop", "-1", "-i", str(CALL),
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.004:sample_rate=48000:seed=7",
        "-f", "lavfi", "-i", "sine=frequency=50:sample_rate=48000",
        "-filter_complex", "[0:a]aresample=48000[s];[2:a]volume=0.003[h];"
                           "[s][1:a][h]amix=inputs=3:normalize=0:duration=shortest[m]",
        "-map", "[m]", "-t", f"{seconds:.3f}", "-ac", "1", "-ar", "48000", "-c:a", "aac", "-b:a", "64k",
        str(partial)], check=True)
    partial.rename(out)
    return out


def measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one command run under /usr/bin/time -v."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    return seconds, rss_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1 / 6, 1.0, 10.0])
    parser.add_argument("--commands", nargs="+", choices=["analyse", "run"], default=["analyse", "run"])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "evidence-long")
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("/usr/bin/time is needed (apt-get install time)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    evidence = str(Path(sys.executable).with_name("evidence"))
    rows = []
    for hours in args.hours:
        path = long_recording(hours, args.workdir / f"call-loop-{hours * 60:g}min.m4a")
        for name in args.commands:
            outdir = args.workdir / f"out-{name}-{hours * 60:g}min"
            command = ([evidence, "analyse", str(path), "-q", "--json"] if name == "analyse" else
                       [evidence, "run", str(path), "-o", str(outdir), "-q"])
            shutil.rmtree(outdir, ignore_errors=True)
            wall_s, rss_mb = measured(command)
            rows.append((hours, name, wall_s, rss_mb))
            print(f"{hours * 60:g} min, {name}: {wall_s:.1f} s, peak RSS {rss_mb:.0f} MB", file=sys.stderr)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| recording | command | wall s | x real time | peak RSS MB |")
    print("|---|---|---|---|---|")
    for hours, name, wall_s, rss_mb in rows:
        print(f"| {hours * 60:g} min | `evidence {name}` | {wall_s:.1f} | {hours * 3600 / wall_s:.0f} | {rss_mb:.0f} |")


if __name__ == "__main__":
    main()
