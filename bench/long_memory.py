"""Peak memory and wall time of `evidence analyse` and `evidence run` on long recordings (issue 17:
memory flat with length).

    .venv/bin/python bench/long_memory.py [--hours 0.1667 1 10] [--commands analyse run]
        [--kind call-loop|noise-hum] [--workdir DIR]

Each recording is made once in `--workdir` (kept for reruns). `--kind call-loop` (the default): the
bundled call (samples/call.m4a, 30 s of two people on a phone line) looped to the length, with pink
room noise and a faint 50 Hz mains hum that never repeat, saved as AAC-LC 64 kbit/s at 48 kHz mono, as
a phone saves a long meeting. The duplicated-passage test finds the loop's repeats, as it should (2,069
at ten hours), which makes this a slow, hard case. `--kind noise-hum`: pink noise with the hum, 8 kHz
WAV, nothing repeating. Each command runs as a subprocess under /usr/bin/time -v; the script prints
Markdown for docs/performance.md.
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


def made_once(out: Path, ffmpeg_args: list[str]) -> Path:
    """`out`, made by ffmpeg with `ffmpeg_args` (inputs, filters, encoding) unless it exists; written
    under a .partial name and renamed, so an interrupted run leaves no half file to be reused."""
    if not out.exists():
        partial = out.with_suffix(".partial" + out.suffix)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg_args, str(partial)], check=True)
        partial.rename(out)
    return out


def long_recording(hours: float, out: Path) -> Path:
    """`hours` of the call looped, mixed with never-repeating noise and hum, as AAC in an .m4a."""
    return made_once(out, [
        "-stream_loop", "-1", "-i", str(CALL),
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.004:sample_rate=48000:seed=7",
        "-f", "lavfi", "-i", "sine=frequency=50:sample_rate=48000",
        "-filter_complex", "[0:a]aresample=48000[s];[2:a]volume=0.003[h];"
                           "[s][1:a][h]amix=inputs=3:normalize=0:duration=shortest[m]",
        "-map", "[m]", "-t", f"{hours * 3600:.3f}", "-ac", "1", "-ar", "48000", "-c:a", "aac", "-b:a", "64k"])


def noise_recording(hours: float, out: Path) -> Path:
    """`hours` of pink noise with a faint 50 Hz hum, 8 kHz 16-bit WAV: no speech, nothing repeats (as
    tests/test_long_memory.py makes its two hours)."""
    seconds = hours * 3600
    return made_once(out, [
        "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.05:sample_rate=8000:seed=5:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=50:sample_rate=8000:duration={seconds}",
        "-filter_complex", "[1:a]volume=0.01[h];[0:a][h]amix=inputs=2:normalize=0[m]",
        "-map", "[m]", "-c:a", "pcm_s16le"])


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
    parser.add_argument("--kind", choices=["call-loop", "noise-hum"], default="call-loop",
                        help="the looped call (speech, AAC) or pink noise with hum (WAV)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "evidence-long")
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("/usr/bin/time is needed (apt-get install time)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    evidence = str(Path(sys.executable).with_name("evidence"))
    rows = []
    for hours in args.hours:
        path = (long_recording(hours, args.workdir / f"call-loop-{hours * 60:g}min.m4a") if args.kind == "call-loop"
                else noise_recording(hours, args.workdir / f"noise-hum-{hours * 60:g}min.wav"))
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
