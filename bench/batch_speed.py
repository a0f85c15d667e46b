"""Recordings per hour and peak memory per worker of `evidence batch`: in this process (one worker), in
one worker process replaced after every recording (`--recordings-per-process 1`), in two local worker
processes, and on a two-worker Dask LocalCluster.

    .venv/bin/python bench/batch_speed.py [--count 20] [--minutes 10] [--workdir DIR]
        [--only local-1 local-1-fresh local-2 dask-2]

Builds (or reuses, in DIR) `count` recordings of `minutes` each: bench/pipeline_speed.py's 60 s speech
loop, each started at a different point so that every file differs, as 64 kbit/s AAC. Each configuration
runs the whole batch (default options: analysis, tiny.en transcript, speaker labels, every output) into
a fresh output folder, in a fresh process so that each peak belongs to one configuration. With two
workers each gets half the cores for Whisper (--threads), as docs/batch.md advises. Prints a Markdown
table for docs/performance.md.

Peak memory per worker: the process's own peak with one worker; with worker processes, the largest
worker's (RUSAGE_CHILDREN, after they exit); on the cluster, each worker's own, asked of the worker.
ffmpeg and fpcalc run as processes of their own and are not counted in the first and last.
"""

from __future__ import annotations

import argparse
import dataclasses
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

from bench.pipeline_speed import _ffmpeg, speech_loop  # noqa: E402

CONFIGURATIONS = {"local-1": "1 worker (this process)",
                  "local-1-fresh": "1 worker process, a fresh one for each recording (--recordings-per-process 1)",
                  "local-2": "2 local worker processes", "dask-2": "Dask LocalCluster, 2 worker processes"}


def recordings(workdir: Path, count: int, minutes: float) -> Path:
    folder = workdir / f"recordings-{count}x{minutes:g}min"
    folder.mkdir(parents=True, exist_ok=True)
    loop = workdir / "loop.wav"
    if not loop.exists():
        loop = speech_loop(workdir)
    for n in range(count):
        out = folder / f"meeting-{n + 1:02d}.m4a"
        if not out.exists():
            _ffmpeg("-stream_loop", "-1", "-ss", f"{n * 2.9:.1f}", "-i", str(loop), "-t", str(minutes * 60),
                    "-c:a", "aac", "-b:a", "64k", str(out))
    return folder


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


def measure(configuration: str, folder: Path, outroot: Path) -> dict:
    """One configuration in this (fresh) process."""
    from evidence import batch, pipeline
    from evidence.transcribe import TranscribeOptions

    workers = 1 if configuration.startswith("local-1") else 2
    recordings_per_process = 1 if configuration == "local-1-fresh" else None
    cores = len(os.sched_getaffinity(0))
    options = pipeline.RunOptions(transcribe=dataclasses.replace(TranscribeOptions(),
                                                                 cpu_threads=max(1, cores // workers)))
    cluster = None
    if configuration == "dask-2":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        start = time.perf_counter()
        with batch.executor(1 if cluster else workers, cluster.scheduler_address if cluster else None,
                            recordings_per_process) as pool:
            outcomes = batch.run_batch(batch.plan(batch.discover([folder]), outroot, options), pool)
        batch.write_index(outroot, outcomes)
        wall_s = time.perf_counter() - start
        if cluster:
            from distributed import Client

            with Client(cluster.scheduler_address) as client:
                peaks = sorted(client.run(_peak_rss_mb).values())
        elif workers > 1 or recordings_per_process:
            peaks = [_peak_rss_mb(resource.RUSAGE_CHILDREN)]
        else:
            peaks = [_peak_rss_mb()]
    finally:
        if cluster:
            cluster.close()
    return {"wall_s": round(wall_s, 2), "done": sum(o.state == "done" for o in outcomes),
            "audio_s": sum(o.summary.duration_s or 0 for o in outcomes if o.summary), "peak_rss_mb": peaks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--only", nargs="+", choices=sorted(CONFIGURATIONS), default=list(CONFIGURATIONS))
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        configuration, folder, outroot = args.one
        print(json.dumps(measure(configuration, Path(folder), Path(outroot))))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="evidence-batch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    folder = recordings(workdir, args.count, args.minutes)
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}: "
          f"{args.count} recordings of {args.minutes:g} min")
    print("| configuration | recordings examined | wall s | recordings per hour | x real time "
          "| peak RSS per worker MB |")
    print("|---|---|---|---|---|---|")
    for configuration in args.only:
        outroot = Path(tempfile.mkdtemp(dir=workdir, prefix=f"out-{configuration}-"))
        proc = subprocess.run([sys.executable, __file__, "--one", configuration, str(folder), str(outroot)],
                              check=True, capture_output=True, text=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {CONFIGURATIONS[configuration]} | {r['done']} | {r['wall_s']:.1f} | "
              f"{r['done'] / r['wall_s'] * 3600:.0f} | {r['audio_s'] / r['wall_s']:.1f} | "
              f"{', '.join(map(str, r['peak_rss_mb']))} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
