"""Where the memory of `evidence run` goes: resident memory sampled every 0.2 s while the same steps
run in this process (pipeline.run, then every output rendered as `evidence run` writes it), each
sample credited to the stage reporting progress at that moment.

    .venv/bin/python bench/stage_memory.py [--hours 1] [--workdir DIR] [--recording FILE] [--repeat N]
        [--trace CSV]

The recording is bench/long_memory.py's looped call (made once in --workdir), or FILE. With --repeat N
the same steps run N times in this one process, as a batch worker runs one recording after another;
each round's stages are credited apart ("2: transcribe"). Stages that run side by
side (the integrity tests run while Whisper transcribes) share the credit: a sample goes to the stage
that last reported progress. Prints, per stage, its first and last second, the highest resident
memory seen and when, then the peak of the whole run and the run's own stage timings. With
--trace CSV every sample is written there too (seconds, resident MB, stage).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.long_memory import long_recording  # noqa: E402


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "evidence-long")
    parser.add_argument("--recording", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--trace", type=Path)
    args = parser.parse_args()
    if args.recording:
        path = args.recording
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        path = long_recording(args.hours, args.workdir / f"call-loop-{args.hours * 60:g}min.m4a")

    from evidence import pipeline
    from evidence.outputs import artifacts

    stage = ["start"]
    seen: dict[str, list[float]] = {}
    began = time.perf_counter()
    done = threading.Event()
    trace: list[str] = []

    def sample() -> None:
        while not done.is_set():
            at_s, mb = time.perf_counter() - began, resident_mb()
            first, last, peak, peak_at_s = seen.get(stage[0], [at_s, at_s, 0.0, at_s])
            seen[stage[0]] = [first, at_s, *((mb, at_s) if mb > peak else (peak, peak_at_s))]
            if args.trace:
                trace.append(f"{at_s:.1f},{mb:.0f},{stage[0]}")
            time.sleep(0.2)

    round_name = [""]

    def progress(name: str, done_count, total) -> None:
        stage[0] = round_name[0] + name

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for n in range(args.repeat):
        round_name[0] = f"{n + 1}: " if args.repeat > 1 else ""
        report = pipeline.run(path, pipeline.RunOptions(), progress)
        stage[0] = round_name[0] + "outputs (report.json, bundle.pdf, exports)"
        outputs_mb = sum(len(b) for b in artifacts(report).values()) / 1e6
        timings_s = report.run.timings_s
        del report
    done.set()
    sampler.join()
    if args.trace:
        args.trace.write_text("s,rss_mb,stage\n" + "\n".join(trace) + "\n")
    print(f"{path.name}; outputs {outputs_mb:.1f} MB\n")
    print("| stage (last to report progress) | from s | to s | highest RSS MB | at s |")
    print("|---|---|---|---|---|")
    for name, (first, last, peak, peak_at_s) in sorted(seen.items(), key=lambda kv: kv[1][0]):
        print(f"| {name} | {first:.0f} | {last:.0f} | {peak:.0f} | {peak_at_s:.0f} |")
    print(f"\nPeak: {max(v[2] for v in seen.values()):.0f} MB")
    print(f"Last round's stage timings (s): {timings_s}")


if __name__ == "__main__":
    main()
