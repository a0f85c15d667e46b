"""Benchmark evidence.announcement: was the recording announced, and when?

    .venv/bin/python bench/announcement/run.py WORKDIR [--meetings 24] [--halves dev test] [--misses]

Each half is a set of short generated meetings (seed 1: the development half, used to choose the patterns
and the thresholds; seed 2: the test half, never tuned on). A meeting is two or three flite voices
(bench/integrity/voices.py: a new speaking rate and pitch for every utterance) saying sentences of a
child-protection meeting with 0.3-0.9 s between turns and faint room noise, 30-60 s long. Half the meetings
raise the recording: an announcement, or permission asked and answered (given or refused), at the start
(first or second utterance) or later (after at least 20 s of discussion); a quarter of those are worded in
ways kept out of the patterns (phrasings.UNSEEN, written before tuning). The other half mention "record"
only in other senses (phrasings.DECOYS), as do some of the announced ones. In some meetings a third voice
first speaks after 62 s (the meeting then runs to 80-90 s), followed or not by the recording being raised
again.

Every meeting goes through the real pipeline (evidence.pipeline.run: the bundled Whisper model, speaker
labels with the true number of speakers, no integrity tests); its report.json is cached in WORKDIR, so a
second run only re-scores (the announcement is recomputed from report.json, as `evidence bundle` does).

Scored: "announced" (verdict other than not-found) against the truth: precision, recall (also on the
unseen phrasings alone); timing: the share of announced meetings found whose verdict (before discussion /
later) is right; joins: the meetings with a join found, and whether the recording was raised after it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.announcement import phrasings as P  # noqa: E402
from bench.integrity.voices import FLITE_VOICES, SENTENCES, SYNTH_RATE_HZ, flite_talker  # noqa: E402
from evidence import announcement, report as report_io  # noqa: E402
from fixtures.generate import write_wav  # noqa: E402

FILLERS = [s for s in SENTENCES if "record" not in s.lower()]
SEEDS = {"dev": 1, "test": 2}
JOIN_AT_S = 62.0
LATER_AT_S = 20.0


@dataclass(frozen=True)
class Truth:
    announced: bool
    timing: str | None          # "start" or "later"
    unseen: bool
    answer: str | None          # "given", "refused" or None (no permission asked)
    joined: bool
    raised_after_join: bool
    voices: int


def _plan(rng: np.random.Generator, i: int, n: int) -> tuple[Truth, tuple, float]:
    """Meeting i of n: its truth, its turns (talker index, text), and its target length."""
    announced = i % 2 == 0
    k = i // 2
    unseen = announced and k % 4 == 3
    timing = ("start" if k % 2 == 0 else "later") if announced else None
    joined = i % 6 in (0, 5) and i < n - 1
    raised_after_join = joined and announced and (i // 6) % 2 == 0
    voices = 3 if joined else int(rng.integers(2, 4))
    target_s = float(rng.uniform(80, 90)) if joined else float(rng.uniform(30, 60))
    present = [0, 1] if joined else list(range(voices))

    raised: list[tuple[int, str]] = []
    answer = None
    if announced:
        if unseen:
            raised = [(0, str(rng.choice(P.UNSEEN)))]
        elif k % 3 == 1:
            raised = [(0, str(rng.choice(P.ANNOUNCE)))]
        else:
            answer = "refused" if k % 5 == 2 else "given"
            reply = P.REFUSE if answer == "refused" else P.GIVE
            raised = [(0, str(rng.choice(P.ASK))), (1, str(rng.choice(reply)))]
    decoys = list(rng.choice(P.DECOYS, size=int(rng.integers(1, 3)) if not announced else int(rng.integers(0, 2)),
                             replace=False))
    return (Truth(announced, timing, unseen, answer, joined, raised_after_join, voices),
            _turns(rng, present, raised, timing, decoys, joined, raised_after_join), target_s)


def _turns(rng, present, raised, timing, decoys, joined, raised_after_join):
    """The opening and discussion in order, what is said later (after LATER_AT_S of speech), and what
    follows the join. Durations are only known once spoken, so _render stops at the target length."""
    opener = [(1, str(rng.choice(P.OPENERS)))] if rng.random() < 0.6 else []
    fillers = [str(s) for s in rng.permutation(FILLERS)]
    body = [(int(rng.choice(present)), f) for f in fillers[:40]]
    for d in decoys:
        body.insert(int(rng.integers(1, 8)), (int(rng.choice(present)), str(d)))
    main = opener + (raised if timing == "start" else []) + body
    later = raised if timing == "later" else []
    join = []
    if joined:
        after = [(0, str(rng.choice(P.REASK))), (2, str(rng.choice(P.GIVE)))] if raised_after_join else []
        join = [(2, str(rng.choice(P.GREET))), *after] + [(int(rng.choice([0, 1, 2])), f) for f in fillers[40:]]
    return main, later, join


def _render(rng, talkers, turns, target_s: float) -> tuple[np.ndarray, list[dict]]:
    """Speak the turns until the target length: the later part once LATER_AT_S have passed, the join's
    part from JOIN_AT_S."""
    main, later, join = turns
    later_at_s = LATER_AT_S + float(rng.uniform(0, 8))
    pieces, said, t_s = [], [], 0.0

    def say(who: int, text: str) -> None:
        nonlocal t_s
        gap = np.zeros(int(rng.uniform(0.3, 0.9) * SYNTH_RATE_HZ))
        x = talkers[who].say(rng, text) * rng.uniform(0.3, 0.6)
        said.append({"talker": who, "start_s": round(t_s + len(gap) / SYNTH_RATE_HZ, 2), "text": text})
        pieces.extend([gap, x])
        t_s += (len(gap) + len(x)) / SYNTH_RATE_HZ

    for who, text in main:
        if later and t_s >= later_at_s:
            for w, s in later:
                say(w, s)
            later = []
        if not later and t_s >= (JOIN_AT_S if join else target_s):
            break
        say(who, text)
    for who, text in join:
        if t_s >= target_s:
            break
        say(who, text)
    x = np.concatenate(pieces + [np.zeros(SYNTH_RATE_HZ // 2)])
    x = x + rng.normal(0, 10 ** (-52 / 20), len(x))
    return x, said


def make(workdir: Path, half: str, n: int) -> list[tuple[Path, Truth]]:
    folder = workdir / half
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        # One generator per meeting, so that a cached meeting leaves the others as they were.
        rng = np.random.default_rng([SEEDS[half], i])
        truth, turns, target_s = _plan(rng, i, n)
        voices = [str(v) for v in rng.choice(FLITE_VOICES, size=truth.voices, replace=False)]
        talkers = [flite_talker(rng, v) for v in voices]
        wav = folder / f"meeting-{i:02d}.wav"
        meta = folder / f"meeting-{i:02d}.truth.json"
        if not wav.exists():
            x, said = _render(rng, talkers, turns, target_s)
            write_wav(wav, x)
            meta.write_text(json.dumps({"truth": asdict(truth), "voices": voices, "said": said}, indent=1))
        out.append((wav, truth))
    return out


def transcribed(wav: Path, truth: Truth) -> report_io.Report:
    cached = wav.with_suffix(".report.json")
    if cached.exists():
        return report_io.load(cached)
    from evidence import pipeline

    report = pipeline.run(wav, pipeline.RunOptions(analyse=False, speakers=truth.voices))
    cached.write_text(report_io.to_json(report))
    return report


def score(results: list[tuple[Path, Truth, announcement.Announcement]], show_misses: bool) -> dict:
    found = [(t, a) for _, t, a in results if a.verdict != "not-found"]
    tp = sum(t.announced for t, _ in found)
    positives = sum(t.announced for _, t, _ in results)
    unseen = [(t, a) for _, t, a in results if t.unseen]
    timed = [(t, a) for t, a in found if t.announced]
    timing_right = sum((a.verdict == "announced-before-discussion") == (t.timing == "start") for t, a in timed)
    asked = [(t, a) for _, t, a in results if t.answer]
    answers_right = sum(t.answer in {m.kind.removeprefix("permission-") for m in a.mentions} for t, a in asked)
    joins = [(t, a) for _, t, a in results if t.joined]
    joins_found = sum(bool(a.joins) for _, a in joins)
    false_joins = sum(bool(a.joins) for _, t, a in results if not t.joined)
    raised_right = sum(bool(a.joins) and any(j.raised_after for j in a.joins) == t.raised_after_join
                       for t, a in joins)
    if show_misses:
        for wav, t, a in results:
            wrong = (a.verdict != "not-found") != t.announced or (
                t.announced and a.verdict != "not-found"
                and (a.verdict == "announced-before-discussion") != (t.timing == "start"))
            if wrong:
                print(f"  MISS {wav.name}: truth {t.timing or 'none'}{' unseen' if t.unseen else ''}, got {a.verdict}: "
                      + "; ".join(f"{m.line} {m.start_s:.1f}s {m.kind} '{m.text}'" for m in a.mentions))
    return {
        "meetings": len(results), "announced": positives, "found": len(found), "true_positives": tp,
        "precision": tp / len(found) if found else float("nan"),
        "recall": tp / positives if positives else float("nan"),
        "recall_unseen": sum(a.verdict != "not-found" for _, a in unseen) / len(unseen) if unseen else float("nan"),
        "unseen": len(unseen),
        "timing_accuracy": timing_right / len(timed) if timed else float("nan"), "timed": len(timed),
        "answers_right": answers_right, "asked": len(asked),
        "joins": len(joins), "joins_found": joins_found, "false_joins": false_joins, "raised_after_right": raised_right,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--meetings", type=int, default=24, help="meetings per half")
    ap.add_argument("--halves", nargs="+", default=["dev", "test"], choices=list(SEEDS))
    ap.add_argument("--misses", action="store_true", help="list each wrongly judged meeting")
    args = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d')} on {platform.machine()}, {len(os.sched_getaffinity(0))} cores; "
          f"parameters {announcement.PARAMETERS}")
    rows = {}
    for half in args.halves:
        start = time.perf_counter()
        results = []
        for wav, truth in make(args.workdir, half, args.meetings):
            results.append((wav, truth, announcement.of_report(transcribed(wav, truth))))
        print(f"{half} (seed {SEEDS[half]}): {time.perf_counter() - start:.0f} s")
        rows[half] = score(results, args.misses)
    print("\n| half | meetings | announced | found | precision | recall | recall, unseen phrasings | timing right "
          "| answer right | joins found | false joins | raised after join right |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for half, r in rows.items():
        print(f"| {half} (seed {SEEDS[half]}) | {r['meetings']} | {r['announced']} | {r['found']} | {r['precision']:.2f} "
              f"| {r['recall']:.2f} | {r['recall_unseen']:.2f} (of {r['unseen']}) | {r['timing_accuracy']:.2f} "
              f"(of {r['timed']}) | {r['answers_right']} of {r['asked']} | {r['joins_found']} of {r['joins']} "
              f"| {r['false_joins']} | {r['raised_after_right']} of {r['joins']} |")


if __name__ == "__main__":
    main()
