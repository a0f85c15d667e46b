"""Score the integrity analysis on a benchmark made by generate.py.

    .venv/bin/python bench/integrity/score.py DATADIR [--tolerance-s 1.0] [--json results.json]

An edit point counts as located when a notice or concern finding from a test that locates things in
time (not the file-level metadata audit) starts or ends within the tolerance of it. On unedited
files every such finding is a false alarm; on edited files, one further than the tolerance from every
edit point is too. Prints Markdown tables for docs/integrity.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from evidence import pipeline  # noqa: E402
from evidence.analysis import is_located  # noqa: E402



def timed_findings(report) -> list:
    return [f for f in report.findings if f.severity in ("notice", "concern") and is_located(f)]


def near(finding, point_s: float, tolerance_s: float) -> bool:
    return abs(finding.start_s - point_s) <= tolerance_s or abs(finding.end_s - point_s) <= tolerance_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datadir", type=Path)
    parser.add_argument("--tolerance-s", type=float, default=1.0)
    parser.add_argument("--json", type=Path, help="also write per-file results here")
    args = parser.parse_args()
    truth = json.loads((args.datadir / "truth.json").read_text())

    located = defaultdict(lambda: [0, 0])          # (kind, hum, codec) -> [located, points]
    by_detector = defaultdict(int)                  # (kind, detector) -> points located by it
    false_alarms = defaultdict(lambda: [0, 0.0])    # (hum, codec) -> [count, seconds] on unedited files
    edited_false = 0
    audio_s = analysis_s = 0.0
    rows = []
    for n, item in enumerate(truth, 1):
        start = time.perf_counter()
        report = pipeline.run(args.datadir / item["file"], pipeline.RunOptions(transcribe=None))
        analysis_s += time.perf_counter() - start
        audio_s += item["duration_s"]
        found = timed_findings(report)
        key = (item["kind"], item["hum"], item["codec"])
        hits = []
        for point in item["points_s"]:
            matches = [f for f in found if near(f, point, args.tolerance_s)]
            hits.append(bool(matches))
            located[key][0] += bool(matches)
            located[key][1] += 1
            for detector in {f.kind for f in matches}:
                by_detector[(item["kind"], detector)] += 1
        stray = [f for f in found if not any(near(f, p, args.tolerance_s) for p in item["points_s"])]
        if item["kind"] == "unedited":
            false_alarms[(item["hum"], item["codec"])][0] += len(stray)
            false_alarms[(item["hum"], item["codec"])][1] += item["duration_s"]
        else:
            edited_false += len(stray)
        rows.append({**item, "located": hits, "stray": [(f.kind, f.start_s, f.severity) for f in stray]})
        print(f"[{n}/{len(truth)}] {item['file']}: located {hits} stray {len(stray)}", file=sys.stderr)

    codecs = sorted({t["codec"] for t in truth})
    kinds = [k for k in dict.fromkeys(t["kind"] for t in truth) if k != "unedited"]
    print(f"Edit points located within ±{args.tolerance_s:g} s (located / points)\n")
    print("| edit | hum | " + " | ".join(codecs) + " | all |")
    print("|---|---|" + "---|" * (len(codecs) + 1))
    totals = {True: [0, 0], False: [0, 0]}
    for kind in kinds:
        for hum in (True, False):
            cells, hit, pts = [], 0, 0
            for codec in codecs:
                h, p = located[(kind, hum, codec)]
                cells.append(f"{h}/{p}")
                hit, pts = hit + h, pts + p
            totals[hum][0] += hit
            totals[hum][1] += pts
            print(f"| {kind} | {'yes' if hum else 'no'} | " + " | ".join(cells) + f" | {hit / max(pts, 1):.0%} |")
    for hum in (True, False):
        h, p = totals[hum]
        print(f"| **all** | {'yes' if hum else 'no'} | | | | **{h}/{p} = {h / max(p, 1):.1%}** |")

    print("\nFalse alarms (notice/concern findings away from any edit) on unedited recordings\n")
    print("| hum | codec | false alarms | hours | per hour |")
    print("|---|---|---|---|---|")
    total_fa, total_h = 0, 0.0
    for (hum, codec), (count, seconds) in sorted(false_alarms.items()):
        total_fa, total_h = total_fa + count, total_h + seconds / 3600
        print(f"| {'yes' if hum else 'no'} | {codec} | {count} | {seconds / 3600:.2f} | {count / (seconds / 3600):.1f} |")
    print(f"| all | all | {total_fa} | {total_h:.2f} | **{total_fa / max(total_h, 1e-9):.1f}** |")
    print(f"\nStray findings on edited recordings (away from their edit points): {edited_false}")
    print("\nWhich test located the points (a point may be located by several)\n")
    for (kind, detector), count in sorted(by_detector.items()):
        print(f"- {kind}: {detector} {count}")
    print(f"\nAnalysis (everything but transcription): {audio_s / 3600:.2f} h of audio in {analysis_s:.1f} s, "
          f"{audio_s / analysis_s:.0f}x real time")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
