"""Memory of rendering the outputs of a long report, step by step: report.json, the PDF's story, its
layout (reportlab), and report.json attached with pypdf.

    .venv/bin/python bench/outputs_memory.py REPORT.json [--copies 60] [--hum]

A long report is made from a short one (e.g. a 10-minute `evidence run`'s report.json) by repeating its
transcript segments and findings `copies` times, each copy shifted by the recording's length; with
--hum it also gets a mains-hum track of one value a second over the whole length. Prints each step's
seconds and resident memory before it and at its highest (sampled every 0.05 s).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stage_memory import resident_mb  # noqa: E402


def long_report(path: Path, copies: int, hum: bool):
    from evidence.report import EnfTrack, from_json

    report = from_json(path.read_text(), str(path))
    length_s = report.media.decoded_duration_s

    def shifted(item, offset_s: float):
        return dataclasses.replace(item, start_s=item.start_s + offset_s, end_s=item.end_s + offset_s)

    segments = [dataclasses.replace(shifted(s, k * length_s), words=[shifted(w, k * length_s) for w in s.words])
                for k in range(copies) for s in report.transcript.segments]
    findings = [shifted(f, k * length_s) for k in range(copies) for f in report.findings]
    track = EnfTrack(grid_hz=50.0, harmonic=1, step_s=1.0,
                     frequency_hz=[50.0 + 0.01 * math.sin(i / 60) for i in range(int(copies * length_s))])
    return dataclasses.replace(report, transcript=dataclasses.replace(report.transcript, segments=segments),
                               findings=findings, enf_track=track if hum else report.enf_track)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--copies", type=int, default=60)
    parser.add_argument("--hum", action="store_true")
    args = parser.parse_args()

    from evidence import bundle
    from evidence.report import to_json

    report = long_report(args.report, args.copies, args.hum)
    words = sum(len(s.words) for s in report.transcript.segments)
    print(f"{len(report.findings)} findings, {len(report.transcript.segments)} segments, {words} words")

    highest = [0.0]
    done = threading.Event()
    # Held while the highest is read and written, so that a step's reset is not overwritten by a sample
    # taken before it.
    lock = threading.Lock()

    def sample() -> None:
        while not done.is_set():
            with lock:
                highest[0] = max(highest[0], resident_mb())
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()

    def step(name: str, fn):
        with lock:
            before_mb = highest[0] = resident_mb()
        start = time.perf_counter()
        result = fn()
        with lock:
            highest[0] = max(highest[0], resident_mb())
        print(f"| {name} | {time.perf_counter() - start:.1f} | {before_mb:.0f} | {highest[0]:.0f} |", flush=True)
        return result

    print("| step | s | RSS before MB | highest MB |\n|---|---|---|---|")
    step("report.json", lambda: to_json(report))
    flowables = step("story", lambda: bundle.story(report))
    pdf = step("layout", lambda: bundle.laid_out(flowables, report))
    del flowables
    step("attach report.json (pypdf)", lambda: bundle.with_attachments(pdf, report))
    done.set()
    print(f"\nPDF {len(pdf) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
