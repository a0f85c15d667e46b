"""Benchmark the time-of-recording check against a month of grid record (issue 13).

    .venv/bin/python bench/grid/run.py WORKDIR --seed 1 [--trials 100] [--lengths 3,5,10,20]
                                       [--no-hum 100] [--days 30] [--jobs 2] [--speed]

Each trial is a phone-like recording (bench/grid/takes.py: speech, room, phone high-pass, gain control
on half) whose hum follows a stretch of a real grid frequency track (ENF-WHU's per-second frequency,
../shared/data/enf-whu-ref; 20-minute stretches join two files, the second shifted to continue the
first), at 6-40 dB over the background. The record is `--days` of grid frequency from a model fitted to
the same real tracks (bench/grid/model.py), searched twice for each trial: with the trial's real stretch
written into it at a random second (the match must be there, within ±1 s), and without it (no match may
be claimed). Recordings without hum (male and female voices, half with music whose notes lie near 50,
100 and 150 Hz) must not be found to have usable hum, and no match may be claimed for them.

The search with the stretch is exact but cheap: outside the offsets that overlap the written stretch
the correlations are those of the search without it, so only the overlapping offsets are computed again
(checked against a full search on the first trial of each length). `--speed` writes the record as a
NESO CSV and times `evidence.detectors.grid`'s reading of it and a full search.

Thresholds are chosen on seed 1 only; seed 2 is the test set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.grid import model, takes  # noqa: E402
from bench.integrity import acoustics  # noqa: E402
from bench.integrity.generate import ENF_DIR  # noqa: E402
from evidence import enf_match  # noqa: E402

LEAD_S = 8
"""Seconds of the real stretch before the recording starts (and after it ends)."""


def real_tracks() -> list[np.ndarray]:
    files = sorted(ENF_DIR.glob("*_ref.wav"))
    if not files:
        sys.exit(f"ENF-WHU reference recordings not found at {ENF_DIR} (set EVIDENCE_SHARED_DATA to the folder "
                 "that holds enf-whu-ref)")
    return [acoustics.grid_frequency(f) for f in files]


def stretch(rng: np.random.Generator, tracks: list[np.ndarray], seconds: int) -> tuple[np.ndarray, str]:
    """`seconds` of real grid frequency (one file, or two joined where no file is long enough)."""
    need = seconds + 2 * LEAD_S + enf_match.PARAMETERS["window_s"]
    long_enough = [i for i, t in enumerate(tracks) if len(t) >= need]
    if long_enough:
        i = int(rng.choice(long_enough))
        start = int(rng.integers(0, len(tracks[i]) - need + 1))
        return tracks[i][start : start + need], f"{i}:{start}"
    i = int(rng.integers(len(tracks)))
    j = int(rng.choice([j for j, t in enumerate(tracks) if j != i and len(t) + len(tracks[i]) >= need]))
    joined = np.concatenate([tracks[i], tracks[j] - tracks[j][0] + tracks[i][-1]])
    start = int(rng.integers(0, len(joined) - need + 1))
    return joined[start : start + need], f"{i}+{j}:{start}"


def trial(job: dict) -> dict:
    rng = np.random.default_rng(job["seed"])
    conditions = takes.draw(rng)
    if job["kind"] == "no-hum" and job["male"]:
        conditions["talkers"] = [str(v) for v in rng.permutation(["rms", "awb", "kal16"])[: len(conditions["talkers"])]]
    seconds = job["minutes"] * 60
    frequency, source, start_s = None, None, 0.0
    if job["kind"] == "hum":
        frequency, source = stretch(np.random.default_rng(job["seed"] + 1), job["tracks"], seconds)
        start_s = LEAD_S + float(rng.uniform(0, 1))
    x = takes.take(rng, conditions, seconds, frequency, start_s, with_music=job.get("music", False))
    work = signal.resample_poly(x, 1, takes.RATE_HZ // enf_match.PARAMETERS["work_rate_hz"])
    track = enf_match.hum_track(work, 50.0)
    row = {"kind": job["kind"], "minutes": job["minutes"], "seed": job["seed"], "source": source,
           "valid_s": track.valid_s, "seconds": len(track.frequency_hz), "music": job.get("music", False),
           "male": job.get("male", False), "agc": conditions["phone"].agc is not None,
           "high_pass": conditions["phone"].high_pass_hz is not None,
           "suppression": conditions["phone"].suppression_db is not None,
           "hum_snr_db": max(conditions["hum_snr_db"].values()), "clock_error": conditions["clock_error"]}
    record = job["record"]
    min_overlap = enf_match.PARAMETERS["min_valid_s"]
    r, count = enf_match.correlations(track.frequency_hz, record, min_overlap)
    without = enf_match.judge(r, count, track.frequency_hz, record.values, min_overlap)
    row["without"] = _match_row(without)
    if frequency is not None:
        pos = int(rng.integers(len(job["raw"]) // 10, len(job["raw"]) * 9 // 10))
        row["true_offset_s"] = pos + start_s
        r_with, count_with, values_with = patched(job["raw"], record, r, count, track.frequency_hz, frequency, pos,
                                                  min_overlap, check=job.get("check", False))
        row["with"] = _match_row(enf_match.judge(r_with, count_with, track.frequency_hz, values_with, min_overlap))
    return row


def patched(raw: np.ndarray, record: enf_match.Record, r: np.ndarray, count: np.ndarray, track_hz: np.ndarray,
            frequency: np.ndarray, pos: int, min_overlap: int, check: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The correlations, overlaps and windowed values of the record with `frequency` written at `pos`."""
    window = enf_match.PARAMETERS["window_s"]
    n = len(track_hz)
    with_stretch = raw.copy()
    with_stretch[pos : pos + len(frequency)] = frequency
    # Offsets whose comparison can see the written stretch through the window …
    lo, hi = max(0, pos - n - window), min(len(r), pos + len(frequency) + 1)
    # … computed on a part of the record wide enough that its own edges are out of their reach.
    a = max(0, lo - window - 2)
    b = min(len(raw), hi + n + window + 2)
    part = enf_match.Record(with_stretch[a:b])
    r_part, count_part = enf_match.correlations(track_hz, part, min_overlap)
    r_with, count_with, values = r.copy(), count.copy(), record.values.copy()
    r_with[lo:hi] = r_part[lo - a : hi - a]
    count_with[lo:hi] = count_part[lo - a : hi - a]
    values[a : a + len(part.values)] = part.values
    if check:
        full_r, _ = enf_match.correlations(track_hz, enf_match.Record(with_stretch), min_overlap)
        difference = float(np.max(np.abs(full_r - r_with)))
        print(f"patched search against a full search: largest difference in r {difference:.2e}", file=sys.stderr)
        assert difference < 1e-6, difference
    return r_with, count_with, values


def _match_row(match: enf_match.Match | None) -> dict | None:
    if match is None:
        return None
    return {"offset_s": match.offset_s, "r": round(match.correlation, 4), "chance": match.chance,
            "next_best": round(match.next_best, 4), "z": round(match.z_score, 2), "exceeded": match.exceeded,
            "blocks": match.blocks, "clock_error": match.clock_error}


def usable(row: dict) -> bool:
    return (row["valid_s"] >= enf_match.PARAMETERS["min_valid_s"]
            and row["valid_s"] >= enf_match.PARAMETERS["min_valid_share"] * row["seconds"])


def claimed(row: dict, side: str) -> bool:
    m = row.get(side)
    return (usable(row) and m is not None and m["chance"] <= enf_match.PARAMETERS["max_chance"]
            and m["r"] >= enf_match.PARAMETERS["min_correlation"])


def summarise(rows: list[dict]) -> None:
    hum = [r for r in rows if r["kind"] == "hum"]
    print("| length (min) | trials | usable hum | matched at the true time (±1 s) | wrong claims, record with it | "
          "claims, record without it | median r at the true time |")
    print("|---|---|---|---|---|---|---|")
    for minutes in sorted({r["minutes"] for r in hum}):
        group = [r for r in hum if r["minutes"] == minutes]
        right = [r for r in group if claimed(r, "with") and abs(r["with"]["offset_s"] - r["true_offset_s"]) <= 1]
        wrong = [r for r in group if claimed(r, "with") and abs(r["with"]["offset_s"] - r["true_offset_s"]) > 1]
        false = [r for r in group if claimed(r, "without")]
        at_true = [r["with"]["r"] for r in group if r.get("with") and abs(r["with"]["offset_s"] - r["true_offset_s"]) <= 1]
        print(f"| {minutes} | {len(group)} | {sum(map(usable, group))} | {len(right)} ({100 * len(right) / len(group):.0f}%) "
              f"| {len(wrong)} | {len(false)} | {np.median(at_true) if at_true else float('nan'):.3f} |")
    print("\nBy condition (all lengths): matched at the true time")
    for name, test in [("gain control", lambda r: r["agc"]), ("no gain control", lambda r: not r["agc"]),
                       ("steep high-pass", lambda r: r["high_pass"]), ("noise suppression", lambda r: r["suppression"]),
                       ("hum 6-15 dB", lambda r: r["hum_snr_db"] < 15), ("hum 15-25 dB", lambda r: 15 <= r["hum_snr_db"] < 25),
                       ("hum 25-40 dB", lambda r: r["hum_snr_db"] >= 25)]:
        group = [r for r in hum if test(r)]
        right = [r for r in group if claimed(r, "with") and abs(r["with"]["offset_s"] - r["true_offset_s"]) <= 1]
        if group:
            print(f"- {name}: {len(right)}/{len(group)} ({100 * len(right) / len(group):.0f}%)")
    none = [r for r in rows if r["kind"] == "no-hum"]
    if none:
        for label, group in [("voices only", [r for r in none if not r["music"]]), ("with music", [r for r in none if r["music"]])]:
            if group:
                print(f"\nNo hum, {label}: {len(group)} recordings; found to have usable hum: {sum(map(usable, group))}; "
                      f"match claimed: {sum(claimed(r, 'without') for r in group)}; "
                      f"largest valid share {max(r['valid_s'] / r['seconds'] for r in group):.2f}")
    stated = [r["without"]["chance"] for r in hum if r.get("without") and usable(r)]
    if stated:
        print("\nStated chance of a wrong match on the record without the true time (usable hum only): share of "
              "trials at or below each level (a calibrated statement gives about the level itself)")
        for level in (0.001, 0.01, 0.05, 0.1, 0.25, 0.5):
            print(f"- {level}: {np.mean(np.array(stated) <= level):.3f} of {len(stated)}")
    print(f"\nparameters: {json.dumps({k: enf_match.PARAMETERS[k] for k in ('min_valid_s', 'min_valid_share', 'max_chance', 'min_correlation', 'min_harmonic_snr_db', 'max_step_hz', 'window_s', 'tail_quantile')})}")


def speed(raw: np.ndarray, workdir: Path, minutes: int) -> None:
    """Write the record as NESO's CSV and time reading it and one full search for a `minutes` track."""
    from datetime import datetime

    from evidence.detectors import grid

    path = workdir / "record.csv"
    start = datetime(2025, 5, 1)
    stamps = (np.datetime64(start) + np.arange(len(raw)).astype("timedelta64[s]")).astype(str)
    with open(path, "w") as f:
        f.write("dtm,f\n")
        f.writelines(f"{s.replace('T', ' ')},{v:.3f}\n" for s, v in zip(stamps, raw))
    t0 = time.perf_counter()
    _, values = grid.read_grid_csv(path)
    t1 = time.perf_counter()
    record = enf_match.Record(values)
    track = values[: minutes * 60].copy()
    track[::7] = np.nan
    match = enf_match.search(track, record, enf_match.PARAMETERS["min_valid_s"])
    t2 = time.perf_counter()
    print(f"\nspeed: reading {len(values) / 86400:.1f} days of NESO CSV ({path.stat().st_size / 1e6:.0f} MB) {t1 - t0:.1f} s; "
          f"one search of a {minutes}-minute track over it {t2 - t1:.1f} s (found offset {match.offset_s})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trials", type=int, default=100, help="per length")
    parser.add_argument("--lengths", default="3,5,10,20", help="minutes")
    parser.add_argument("--no-hum", type=int, default=100, help="5-minute recordings without hum")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--score-only", action="store_true", help="summarise WORKDIR/trials.jsonl again")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    out = args.workdir / "trials.jsonl"
    if args.score_only:
        summarise([json.loads(line) for line in out.read_text().splitlines()])
        return
    tracks = real_tracks()
    coefficients, innovation, mean_hz = model.fit(tracks)
    raw = model.simulate(np.random.default_rng(args.seed * 7919), int(args.days * 86400), coefficients, innovation, mean_hz)
    print(f"record: {args.days:g} days from an AR({model.ORDER}) model of {len(tracks)} real tracks "
          f"({sum(map(len, tracks)) / 3600:.1f} h)", file=sys.stderr)
    record = enf_match.Record(raw)
    for voice in takes.voices.FLITE_VOICES:
        takes.speech_clips(voice)
    jobs = []
    rng = np.random.default_rng(args.seed)
    for minutes in [int(m) for m in args.lengths.split(",")]:
        for n in range(args.trials):
            jobs.append({"kind": "hum", "minutes": minutes, "seed": int(rng.integers(2**31)), "check": n == 0})
    for n in range(args.no_hum):
        jobs.append({"kind": "no-hum", "minutes": 5, "seed": int(rng.integers(2**31)), "music": n % 2 == 1,
                     "male": n % 4 < 2})
    shared = {"tracks": tracks, "record": record, "raw": raw}
    rows = []
    started = time.time()
    global _SHARED
    _SHARED = shared
    with ProcessPoolExecutor(args.jobs) as pool, open(out, "w") as log:
        for row in pool.map(_run, jobs, chunksize=1):
            rows.append(row)
            log.write(json.dumps(row) + "\n")
            log.flush()
            if len(rows) % 20 == 0:
                print(f"{len(rows)}/{len(jobs)} trials, {time.time() - started:.0f} s", file=sys.stderr)
    summarise(rows)
    if args.speed:
        speed(raw, args.workdir, 20)


_SHARED: dict = {}


def _run(job: dict) -> dict:
    # The record and tracks reach the worker processes by fork, not by pickling each job.
    return trial({**job, **_SHARED})


if __name__ == "__main__":
    main()
