"""Benchmark the time-of-recording check (--grid-csv) against real grid frequency.

    .venv/bin/python bench/grid/run.py WORKDIR [--trials 12] [--seed 1]

No NESO record and matching phone recording are available here, so both sides are made from the
real 50 Hz mains recordings in ../shared/data/enf-whu-ref (ENF-WHU, 400 Hz sampling):

- the grid record: every reference file's frequency per second, measured from its zero crossings
  (a different method from the tool's own), written one file after another in NESO's CSV format
  (`dtm,f`, one row a second) with a 60 s gap of missing rows between files;
- each trial recording: 3-8 minutes of the integrity benchmark's speech and room noise with hum whose
  phase follows one reference file from a random second (as in bench/integrity), saved as AAC.

Each recording is checked twice with `evidence analyse --grid-csv`: against the whole record (it must
match within +-1 s of its true start), and against the record without its own file (it must not claim
a match).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.integrity.generate import ENF_DIR, RATE_HZ, _ffmpeg, hum_at, mix, session  # noqa: E402
from fixtures.generate import read_wav_with_rate, write_wav  # noqa: E402

RECORD_START = datetime(2025, 5, 1, 0, 0, 0, tzinfo=timezone.utc)
GAP_S = 60


def frequency_per_second(path: Path) -> np.ndarray:
    """Mains frequency (Hz) in each whole second of a reference file, from its upward zero crossings."""
    x, rate = read_wav_with_rate(path)
    band = signal.sosfiltfilt(signal.butter(4, [45.0, 55.0], "bandpass", fs=rate, output="sos"), x.astype(np.float64))
    up = np.flatnonzero((band[:-1] < 0) & (band[1:] >= 0))
    crossings_s = (up + band[up] / (band[up] - band[up + 1])) / rate  # linear interpolation between samples
    out = np.full(int(len(x) / rate), np.nan)
    for second in range(len(out)):
        inside = crossings_s[(crossings_s >= second) & (crossings_s < second + 1)]
        if len(inside) >= 2:
            out[second] = (len(inside) - 1) / (inside[-1] - inside[0])
    return out


def write_record(path: Path, tracks: list[np.ndarray], leave_out: int | None = None) -> list[datetime]:
    """Write the NESO-format CSV, leaving out file `leave_out`'s rows; return the time given to each
    file's first second (a left-out file keeps its place, as a gap)."""
    starts, lines, at = [], ["dtm,f"], RECORD_START
    for n, track in enumerate(tracks):
        starts.append(at)
        if n != leave_out:
            lines += [f"{at + timedelta(seconds=s):%Y-%m-%d %H:%M:%S},{f:.3f}"
                      for s, f in enumerate(track) if np.isfinite(f)]
        at += timedelta(seconds=len(track) + GAP_S)
    path.write_text("\n".join(lines) + "\n")
    return starts


def analyse(recording: Path, record: Path) -> dict:
    command = Path(sys.executable).parent / "evidence"
    proc = subprocess.run([str(command), "analyse", str(recording), "--grid-csv", str(record), "--json", "-q"],
                          capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout)
    (grid,) = [f for f in report["findings"] if f["kind"].startswith("enf-grid-")]
    return grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files = sorted(ENF_DIR.glob("*_ref.wav"))
    if not files:
        sys.exit(f"ENF reference recordings not found at {ENF_DIR} (set EVIDENCE_SHARED_DATA)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    tracks = [frequency_per_second(f) for f in files]
    record = args.workdir / "grid.csv"
    starts = write_record(record, tracks)
    print(f"record: {len(files)} files, {sum(len(t) for t in tracks) / 3600:.1f} h", file=sys.stderr)
    rng = np.random.default_rng(args.seed)
    rows = []
    for trial in range(args.trials):
        index = int(rng.integers(len(files)))
        minutes = float(rng.uniform(3, 8))
        n = int(minutes * 60 * RATE_HZ)
        max_start_s = len(tracks[index]) - minutes * 60 - 10
        if max_start_s < 10:
            continue
        start_s = int(rng.integers(5, int(max_start_s)))
        room = session(rng, minutes * 60, with_hum=False)
        samples = mix(room) + hum_at(rng, n, index, start_s)
        recording = args.workdir / f"trial-{trial:02d}.m4a"
        with tempfile.TemporaryDirectory() as tmp:
            wav = write_wav(Path(tmp) / "r.wav", samples)
            _ffmpeg("-i", str(wav), "-c:a", "aac", "-b:a", "48k", str(recording))
        truth = starts[index] + timedelta(seconds=start_s)
        found = analyse(recording, record)
        without = args.workdir / f"grid-without-{index:02d}.csv"
        write_record(without, tracks, leave_out=index)
        control = analyse(recording, without)
        matched = found["details"].get("matched_start_utc")
        error_s = (datetime.fromisoformat(matched) - truth).total_seconds() if matched else None
        row = {"trial": trial, "file": files[index].name, "minutes": round(minutes, 1), "kind": found["kind"],
               "error_s": error_s, "correlation": found["details"]["correlation"],
               "next_best": found["details"]["next_best_correlation"], "valid_s": found["details"].get("valid_s"),
               "control": control["kind"], "control_correlation": control["details"].get("correlation"),
               "control_next_best": control["details"].get("next_best_correlation")}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print("| trial | minutes | result | start error (s) | r | next best r | without its file: result | r | next best r |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        error = f"{r['error_s']:+.0f}" if r["error_s"] is not None else "-"
        print(f"| {r['trial']} | {r['minutes']} | {r['kind']} | {error} | {r['correlation']} | {r['next_best']} | "
              f"{r['control']} | {r['control_correlation']} | {r['control_next_best']} |")
    right = sum(r["error_s"] is not None and abs(r["error_s"]) <= 1 for r in rows)
    false = sum(r["control"] == "enf-grid-match" for r in rows)
    print(f"\nmatched within 1 s: {right}/{len(rows)}; a match claimed without the right file: {false}/{len(rows)}")


if __name__ == "__main__":
    main()
