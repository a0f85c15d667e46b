"""Score the integrity analysis on a benchmark made by generate.py.

    .venv/bin/python bench/integrity/score.py DATADIR [--tolerance-s 1.0] [--json results.json] [--jobs 2]

An edit point counts as located when a notice or concern finding from a test that locates things in
time (not the file-level metadata audit) starts or ends within the tolerance of it. On unedited
files every such finding is a false alarm; on edited files, one further than the tolerance from every
edit point is a stray. Prints Markdown tables for docs/integrity.md: false alarms per hour per test
and per condition, located points per edit kind and per condition, and the bundled real call's
findings (samples/call.m4a, which must have none).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from evidence import pipeline  # noqa: E402
from evidence.analysis import is_located  # noqa: E402

REAL_CALL = ROOT / "samples" / "call.m4a"


def marked_findings(path: Path) -> tuple[list[dict], float]:
    """Located notice/concern findings of `evidence analyse` on `path` (kind, start_s, end_s,
    severity), and the seconds the analysis took."""
    start = time.perf_counter()
    report = pipeline.run(path, pipeline.RunOptions(transcribe=None))
    found = [{"kind": f.kind, "start_s": f.start_s, "end_s": f.end_s, "severity": f.severity}
             for f in report.findings if f.severity in ("notice", "concern") and is_located(f)]
    return found, time.perf_counter() - start


def near(finding: dict, point_s: float, tolerance_s: float) -> bool:
    return abs(finding["start_s"] - point_s) <= tolerance_s or abs(finding["end_s"] - point_s) <= tolerance_s


def condition_values(item: dict) -> dict[str, str]:
    """The conditions an item is counted under: one value per condition name."""
    c = item.get("conditions")
    if c is None:  # the simple profile
        return {"hum": "yes" if item["hum"] else "no", "file": item["codec"]}
    hum = "no" if not c["hum"] else ("weak (< 20 dB over the background)" if c["hum_snr_db"] < 20 else "clear")
    return {
        "hum": hum,
        "gain control": "on" if c["agc"] else "off",
        "noise suppression": "on" if c["suppression"] else "off",
        "original": c["original"].split()[0] + (" (lossy)" if c.get("lossy_original", True) else " (lossless)"),
        "file": f"{item['chain']}: {item['encoding'].split()[0]}",
        "real speech turns": "yes" if c["real_speech"] else "no",
        "microphone high-pass": "on" if c["high_pass"] else "off",
    }


def _rate(count: int, seconds: float) -> str:
    return f"{count / (seconds / 3600):.1f}" if seconds else "-"


def false_alarm_tables(unedited: list[dict]) -> None:
    seconds = sum(r["duration_s"] for r in unedited)
    kinds = Counter(f["kind"] for r in unedited for f in r["stray"])
    print(f"False alarms (notice/concern findings) on unedited recordings: {len(unedited)} files, "
          f"{seconds / 3600:.2f} h\n")
    print("| test (finding kind) | false alarms | per hour | of them concern |")
    print("|---|---|---|---|")
    for kind, count in kinds.most_common():
        concern = sum(f["severity"] == "concern" for r in unedited for f in r["stray"] if f["kind"] == kind)
        print(f"| {kind} | {count} | {_rate(count, seconds)} | {concern} |")
    total = sum(kinds.values())
    print(f"| **all** | **{total}** | **{_rate(total, seconds)}** | |")
    print("\nPer condition (false alarms / hours = per hour; the tests that raised them)\n")
    print("| condition | value | files | hours | false alarms | per hour | by test |")
    print("|---|---|---|---|---|---|---|")
    by = defaultdict(lambda: [0, 0.0, 0, Counter()])
    for r in unedited:
        for name, value in condition_values(r).items():
            cell = by[(name, value)]
            cell[0] += 1
            cell[1] += r["duration_s"]
            cell[2] += len(r["stray"])
            cell[3].update(f["kind"] for f in r["stray"])
    for (name, value), (files, secs, count, tests) in sorted(by.items()):
        which = ", ".join(f"{k} {n}" for k, n in tests.most_common()) or "-"
        print(f"| {name} | {value} | {files} | {secs / 3600:.2f} | {count} | {_rate(count, secs)} | {which} |")


def located_tables(edited: list[dict]) -> None:
    kinds = list(dict.fromkeys(r["kind"] for r in edited))
    formats = sorted({condition_values(r)["file"] for r in edited})
    print("\nEdit points located within the tolerance (located / points)\n")
    print("| edit | hum | " + " | ".join(formats) + " | all |")
    print("|---|---|" + "---|" * (len(formats) + 1))
    for kind in kinds:
        for hum in (True, False):
            cells, hit, pts = [], 0, 0
            for fmt in formats:
                rs = [r for r in edited if r["kind"] == kind and r["hum"] == hum and condition_values(r)["file"] == fmt]
                h, p = sum(sum(r["located"]) for r in rs), sum(len(r["located"]) for r in rs)
                cells.append(f"{h}/{p}" if p else "-")
                hit, pts = hit + h, pts + p
            if pts:
                print(f"| {kind} | {'yes' if hum else 'no'} | " + " | ".join(cells) + f" | {hit / pts:.0%} |")
    print("\nPer condition (located / points)\n")
    print("| condition | value | hum | no hum |")
    print("|---|---|---|---|")
    by = defaultdict(lambda: {True: [0, 0], False: [0, 0]})
    for r in edited:
        values = {**condition_values(r), "cut in a pause": "yes" if r.get("edit", {}).get("in_pause") else "no"}
        values.pop("hum")
        values["all"] = "all"
        for name, value in values.items():
            by[(name, value)][r["hum"]][0] += sum(r["located"])
            by[(name, value)][r["hum"]][1] += len(r["located"])
    for (name, value), cells in sorted(by.items()):
        text = [f"{h}/{p} = {h / p:.1%}" if p else "-" for h, p in (cells[True], cells[False])]
        print(f"| {name} | {value} | {text[0]} | {text[1]} |")
    seconds = sum(r["duration_s"] for r in edited)
    strays = sum(len(r["stray"]) for r in edited)
    print(f"\nStray findings on edited recordings (further than the tolerance from every edit point): {strays} "
          f"in {seconds / 3600:.2f} h ({_rate(strays, seconds)} per hour)")
    print("\nWhich test located the points (a point may be located by several)\n")
    tests = Counter()
    for r in edited:
        for kind, by_point in zip([r["kind"]] * len(r["by"]), r["by"]):
            tests.update((kind, k) for k in by_point)
    for (kind, test), count in sorted(tests.items()):
        print(f"- {kind}: {test} {count}")


def _score(args: tuple[Path, dict, float]) -> dict:
    path, item, tolerance_s = args
    found, seconds = marked_findings(path)
    located, by = [], []
    for point in item["points_s"]:
        matches = [f for f in found if near(f, point, tolerance_s)]
        located.append(bool(matches))
        by.append(sorted({f["kind"] for f in matches}))
    stray = [f for f in found if not any(near(f, p, tolerance_s) for p in item["points_s"])]
    return {**item, "located": located, "by": by, "stray": stray, "analysis_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datadir", type=Path)
    parser.add_argument("--tolerance-s", type=float, default=1.0)
    parser.add_argument("--json", type=Path, help="also write per-file results here")
    parser.add_argument("--jobs", type=int, default=2, help="files analysed at once")
    args = parser.parse_args()
    if not (args.datadir / "truth.json").is_file():
        sys.exit(f"{args.datadir}: no truth.json; build the benchmark with bench/integrity/generate.py first")
    truth = json.loads((args.datadir / "truth.json").read_text())
    items = truth["files"] if isinstance(truth, dict) else truth
    todo = [(args.datadir / item["file"], item, args.tolerance_s) for item in items]
    rows = []
    wall = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for n, row in enumerate(pool.map(_score, todo), 1):
            rows.append(row)
            print(f"[{n}/{len(todo)}] {row['file']}: located {row['located']} stray {len(row['stray'])}", file=sys.stderr)
    wall = time.perf_counter() - wall
    unedited = [r for r in rows if r["kind"] == "unedited"]
    edited = [r for r in rows if r["kind"] != "unedited"]
    false_alarm_tables(unedited)
    located_tables(edited)
    call, _ = marked_findings(REAL_CALL)
    print(f"\nThe bundled real call ({REAL_CALL.name}): {len(call)} notice/concern findings "
          + (", ".join(f"{f['kind']} at {f['start_s']} s" for f in call) if call else ""))
    audio_s = sum(r["duration_s"] for r in rows)
    analysis_s = sum(r["analysis_s"] for r in rows)
    print(f"\nAnalysis (everything but transcription): {audio_s / 3600:.2f} h of audio, {analysis_s:.0f} s of "
          f"analysis ({audio_s / analysis_s:.0f}x real time per process; {args.jobs} at once, {wall:.0f} s wall)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
