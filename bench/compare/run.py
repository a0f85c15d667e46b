"""Benchmark `evidence compare`: generated originals, four kinds of copy, boundaries scored against the truth.

    .venv/bin/python bench/compare/run.py WORKDIR [--originals 4] [--minutes 10] [--seed 1] [--long-minutes 60]

Each original is a made-up meeting: espeak-ng speakers saying random word sequences (every utterance
unique, as in a real meeting), with pauses, pink room noise and, for half of them, mains hum (the
generator of bench/integrity). From each original four copies are made, each saved as MP3 (64 kbit/s)
and AAC (.m4a, 48 kbit/s):

  full      the whole original re-encoded
  extract   three pieces of 20-90 s, in order, joined
  removed   one passage of 2-30 s cut out
  inserted  3-15 s of another original put in

A boundary is an end of a true piece, in original time and in copy time (the copy's own start and end
are not counted in copy time). It is located when the reported piece that overlaps the true piece most
has that end within the tolerance (default ±0.5 s). Speed is the original's duration divided by the wall time of the
whole comparison (hashing and decoding both files included). With --long-minutes, one original of that
length (the generated originals joined) is compared with its MP3 copy for the speed and memory figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "integrity"))

from generate import RATE_HZ, mix, session  # noqa: E402

from evidence.compare import compare  # noqa: E402
from fixtures.generate import write_wav  # noqa: E402

WORDS = (
    "the report said children school contact mother father weekend review meeting social worker plan court "
    "order week month said never always sometimes because after before when where there here would could "
    "should might happy settled worried angry quiet home house car bus train phone message letter email "
    "yes no maybe think know remember forget told asked wanted needed visit holiday March April Friday "
    "Monday morning evening night today tomorrow yesterday again please thank you sorry right wrong notes "
    "paragraph twelve six eight records attendance solicitor manager foster carer family grandmother"
).split()
COPY_CODECS = {"mp3": ["-c:a", "libmp3lame", "-b:a", "64k"], "m4a": ["-c:a", "aac", "-b:a", "48k"]}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def random_words(rng: np.random.Generator) -> str:
    return " ".join(rng.choice(WORDS, size=int(rng.integers(4, 14))))


def meeting(rng: np.random.Generator, seconds: float, with_hum: bool) -> np.ndarray:
    """A meeting whose every utterance is a new random word sequence."""
    return mix(session(rng, seconds, with_hum, say=random_words, max_pause_s=2.5)).astype(np.float32)


def copies(rng: np.random.Generator, x: np.ndarray, other: np.ndarray) -> dict[str, tuple[np.ndarray, list, list]]:
    """kind -> (samples, true pieces [(copy_start, copy_end, orig_start, orig_end)], true added [(start, end)])."""
    s = RATE_HZ
    n = len(x) / s
    out = {"full": (x, [(0.0, n, 0.0, n)], [])}
    lengths = rng.uniform(20, 90, 3)
    gaps = rng.dirichlet(np.ones(4)) * (n - lengths.sum())
    pieces, parts, at, t = [], [], gaps[0], 0.0
    for k, length in enumerate(lengths):
        a, b = int(at * s), int((at + length) * s)
        parts.append(x[a:b])
        pieces.append((t, t + (b - a) / s, a / s, b / s))
        t += (b - a) / s
        at += length + gaps[k + 1]
    out["extract"] = (np.concatenate(parts), pieces, [])
    cut = rng.uniform(2, 30)
    a = int(rng.uniform(30, n - 30 - cut) * s)
    b = a + int(cut * s)
    out["removed"] = (np.concatenate([x[:a], x[b:]]), [(0.0, a / s, 0.0, a / s), (a / s, n - cut, b / s, n)], [])
    ins = rng.uniform(3, 15)
    a = int(rng.uniform(30, n - 30) * s)
    src = int(rng.uniform(0, len(other) / s - ins) * s)
    extra = other[src : src + int(ins * s)]
    added = len(extra) / s
    out["inserted"] = (np.concatenate([x[:a], extra, x[a:]]),
                       [(0.0, a / s, 0.0, a / s), (a / s + added, n + added, a / s, n)], [(a / s, a / s + added)])
    return out


def encode(samples: np.ndarray, stem: Path) -> dict[str, Path]:
    wav = stem.with_suffix(".wav")
    write_wav(wav, samples)
    paths = {}
    for ext, args in COPY_CODECS.items():
        paths[ext] = stem.with_suffix(f".{ext}")
        ffmpeg("-i", str(wav), *args, str(paths[ext]))
    wav.unlink()
    return paths


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def score(result, truth_pieces: list, copy_s: float, tolerance_s: float) -> dict:
    """Errors at every end of every true piece: in the copy (its own start and end excepted, as they
    are given rather than found) and in the original."""
    errors = []
    for c0, c1, o0, o1 in truth_pieces:
        best = max(result.pieces, key=lambda p: overlap(p.copy_start_s, p.copy_end_s, c0, c1), default=None)
        if best is None or overlap(best.copy_start_s, best.copy_end_s, c0, c1) == 0:
            errors += [float("inf")] * 4
            continue
        ends = [(o0, best.original_start_s), (o1, best.original_end_s)]
        ends += [(c, found) for c, found in ((c0, best.copy_start_s), (c1, best.copy_end_s))
                 if 0.0 < c < copy_s - tolerance_s]
        errors += [abs(found - true) for true, found in ends]
    located = sum(e <= tolerance_s for e in errors)
    return {"boundaries": len(errors), "located": located, "errors_s": [round(e, 3) for e in errors],
            "pieces_reported": len(result.pieces), "pieces_true": len(truth_pieces)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--originals", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tolerance-s", type=float, default=0.5)
    parser.add_argument("--long-minutes", type=float, default=0.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.originals} originals of {args.minutes} min ...", file=sys.stderr)
    originals = [meeting(rng, args.minutes * 60, with_hum=k % 2 == 0) for k in range(args.originals)]
    rows = []
    for k, x in enumerate(originals):
        original = args.workdir / f"original{k}.wav"
        write_wav(original, x)
        for kind, (samples, pieces, added) in copies(rng, x, originals[(k + 1) % len(originals)]).items():
            for codec, path in encode(samples, args.workdir / f"copy{k}-{kind}").items():
                start = time.perf_counter()
                result = compare(original, path)
                wall_s = time.perf_counter() - start
                row = {"original": k, "kind": kind, "codec": codec, "wall_s": round(wall_s, 3),
                       "speed_x": round(len(x) / RATE_HZ / wall_s, 1), "verdict": result.verdict,
                       "added_true": len(added), "added_reported": len(result.added),
                       **score(result, pieces, result.copy.duration_s, args.tolerance_s)}
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    print(f"\n| kind | codec | copies | boundaries | located ±{args.tolerance_s} s | median error (s) | max error (s) | verdicts | speed (min, ×) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in ["full", "extract", "removed", "inserted"]:
        for codec in COPY_CODECS:
            rs = [r for r in rows if r["kind"] == kind and r["codec"] == codec]
            errs = [e for r in rs for e in r["errors_s"]]
            verdicts = ", ".join(sorted({r["verdict"] for r in rs}))
            med = f"{np.median(errs):.3f}" if errs else "-"
            mx = f"{max(errs):.3f}" if errs else "-"
            print(f"| {kind} | {codec} | {len(rs)} | {sum(r['boundaries'] for r in rs)} | "
                  f"{sum(r['located'] for r in rs)} | {med} | {mx} | {verdicts} | {min(r['speed_x'] for r in rs)} |")
    total = sum(r["boundaries"] for r in rows)
    located = sum(r["located"] for r in rows)
    print(f"\nAll: {located}/{total} boundaries ({100 * located / max(total, 1):.1f}%) within ±{args.tolerance_s} s; "
          f"speed min {min(r['speed_x'] for r in rows)}×, median {np.median([r['speed_x'] for r in rows]):.1f}×")
    if args.long_minutes:
        repeats = int(np.ceil(args.long_minutes / args.minutes))
        long = np.concatenate([originals[k % len(originals)] for k in range(repeats)])[: int(args.long_minutes * 60 * RATE_HZ)]
        original = args.workdir / "long.wav"
        write_wav(original, long)
        copy = encode(long, args.workdir / "long-copy")["mp3"]
        start = time.perf_counter()
        result = compare(original, copy)
        wall_s = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nLong: {args.long_minutes} min original vs its MP3 copy: {wall_s:.1f} s "
              f"({len(long) / RATE_HZ / wall_s:.0f}× real time), verdict {result.verdict}, "
              f"{len(result.pieces)} piece(s), timings {result.timings_s}, peak RSS of this process {peak_mb:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
