"""Benchmark of `evidence align`: one generated meeting heard by two recorders, with passages missing
from one of them.

Each meeting is flite talkers (bench/integrity/voices.py) taking turns for a few minutes. Recorder A is
a phone on the table (bench/integrity/realistic.py's room, distances, gain control, noise suppression,
AAC). Recorder B is either a second phone elsewhere in the same room (its own distances and room
response, its own phone and codec: Opus, AAC or MP3) or the council's call recording (the meeting heard
through a speakerphone in another room, telephone band, 8 kHz GSM or mu-law). B's clock runs 20-300 ppm
fast or slow, B starts 0-60 s after A (or A after B) and stops at its own time. From one of the two, 1-2
passages of 5-60 s are removed: cut out (the recorder was paused) or muted (digital near-silence).

A passage is located when a reported difference held by the other recorder, overlapping it, has both
ends within ±2 s of the truth (the passage trimmed to its first and last speech). A false difference is
one that overlaps no removed passage and no stretch where only one recorder was running. The sub-
fingerprints' bit error rate between A and B at the true alignment is measured too, to show why
`evidence compare`'s method is not used.

    .venv/bin/python bench/align/run.py /tmp/abench --seed 1 --meetings 10      # dev
    .venv/bin/python bench/align/run.py /tmp/abench --seed 2 --meetings 10      # test
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.integrity import acoustics, realistic, voices  # noqa: E402
from evidence import align as aligning  # noqa: E402
from evidence.subfingerprint import subfingerprints  # noqa: E402

RATE_HZ = 24_000
TOLERANCE_S = 2.0


WORDS = sorted({w.strip(".,?").lower() for s in voices.SENTENCES for w in s.split()})


def utterance(rng: np.random.Generator) -> str:
    """Random words from the meeting sentences' vocabulary: no two utterances alike. The same sentence said
    twice by one synthetic voice would match itself, a repeat a real meeting does not have."""
    return " ".join(rng.choice(WORDS, int(rng.integers(4, 14)))) + "."


def dry_meeting(rng: np.random.Generator, seconds: float) -> tuple[list[np.ndarray], list[tuple[float, float]], list]:
    """Each talker's dry track (RATE_HZ) and where speech is, in meeting time."""
    count = int(rng.integers(2, 4))
    talkers = [voices.flite_talker(rng, v) for v in rng.permutation(voices.FLITE_VOICES)[:count]]
    n = int(seconds * RATE_HZ)
    tracks = [np.zeros(n) for _ in talkers]
    spoken = []
    at = int(rng.uniform(0.5, 2.0) * RATE_HZ)
    while at < n:
        who = int(rng.integers(count))
        clip = voices._resample(talkers[who].say(rng, utterance(rng)), voices.SYNTH_RATE_HZ, RATE_HZ)
        clip = clip * 10 ** (rng.uniform(-9, -4) / 20)
        clip = clip[: n - at]
        tracks[who][at : at + len(clip)] += clip
        spoken.append((at / RATE_HZ, (at + len(clip)) / RATE_HZ))
        pause_s = rng.uniform(0.3, 2.5) if rng.random() < 0.9 else rng.uniform(3, 6)
        at += len(clip) + int(pause_s * RATE_HZ)
    return tracks, spoken, talkers


def hear(rng: np.random.Generator, tracks: list[np.ndarray], room: realistic.Room, distances_m: list[float],
         events: np.ndarray) -> np.ndarray:
    """The talkers and the room's events as one microphone hears them, with that room's background."""
    n = len(tracks[0])
    out = acoustics.background(rng, n, RATE_HZ, room.noise_db, room.drift_db, room.rumble_db, room.self_noise_db,
                               room.colour)
    for track, d in zip(tracks, distances_m):
        h = acoustics.room_response(rng, RATE_HZ, d, room.rt60_s, room.critical_distance_m)
        out += signal.oaconvolve(track, h)[:n]
    h = acoustics.room_response(rng, RATE_HZ, 2.0, room.rt60_s, room.critical_distance_m)
    return out + signal.oaconvolve(events, h)[:n]


def telephone(x: np.ndarray) -> np.ndarray:
    """A speakerphone and a phone line: 300-3400 Hz."""
    return signal.sosfilt(signal.butter(4, [300.0, 3400.0], "bandpass", fs=RATE_HZ, output="sos"), x)


def clocked(x: np.ndarray, drift: float) -> np.ndarray:
    """`x` as a recorder whose clock runs (1 + drift) times fast samples it: more samples per second."""
    n = int(len(x) * (1 + drift))
    return np.interp(np.arange(n) / (1 + drift), np.arange(len(x)), x)


def save(x: np.ndarray, path: Path, chain: str) -> Path:
    codec = {"aac": (".m4a", ["-c:a", "aac", "-b:a", "48k"]), "opus": (".ogg", ["-c:a", "libopus", "-b:a", "24k"]),
             "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
             "gsm": (".wav", ["-ar", "8000", "-c:a", "libgsm_ms"]),
             "mulaw": (".wav", ["-ar", "8000", "-c:a", "pcm_mulaw"])}[chain]
    return realistic.save(x, RATE_HZ, path.with_suffix(codec[0]), codec[1])


def remove(x: np.ndarray, passages_s: list[tuple[float, float]], how: str, rng: np.random.Generator) -> np.ndarray:
    """Passages (in this recorder's time, in order) cut out or muted."""
    if how == "mute":
        y = x.copy()
        for a, b in passages_s:
            lo, hi = int(a * RATE_HZ), int(b * RATE_HZ)
            y[lo:hi] = rng.normal(0, 10 ** (-90 / 20), hi - lo)
        return y
    keep = np.ones(len(x), bool)
    for a, b in passages_s:
        keep[int(a * RATE_HZ) : int(b * RATE_HZ)] = False
    return x[keep]


def trimmed(a: float, b: float, spoken: list[tuple[float, float]]) -> tuple[float, float] | None:
    inside = [(max(s, a), min(e, b)) for s, e in spoken if min(e, b) - max(s, a) > 0.05]
    return (min(s for s, _ in inside), max(e for _, e in inside)) if inside else None


def meeting(seed: int, index: int, outdir: Path) -> dict:
    rng = np.random.default_rng([seed, index])
    seconds = float(rng.uniform(240, 480))
    tracks, spoken, talkers = dry_meeting(rng, seconds)
    n = len(tracks[0])
    events, listed = acoustics.events(rng, n, RATE_HZ, float(rng.uniform(1, 4)), (-30.0, -16.0))
    room_a = realistic.draw_room(rng)
    phone_a = dataclasses.replace(realistic.draw_phone(rng, agc=bool(rng.random() < 0.6), allow_opus=False),
                                  rate_hz=RATE_HZ)
    dist_a = [float(rng.uniform(0.4, 2.5)) for _ in tracks]
    a_meeting = realistic.through_phone(hear(rng, tracks, room_a, dist_a, events), phone_a)
    b_kind = "same-room" if index % 2 == 0 else "call"
    if b_kind == "same-room":
        room_b = dataclasses.replace(room_a, noise_db=room_a.noise_db + float(rng.uniform(-4, 4)))
        dist_b = [float(rng.uniform(0.4, 3.0)) for _ in tracks]
        phone_b = dataclasses.replace(realistic.draw_phone(rng, agc=bool(rng.random() < 0.6), allow_opus=False),
                                      rate_hz=RATE_HZ)
        b_meeting = realistic.through_phone(hear(rng, tracks, room_b, dist_b, events), phone_b)
        b_chain = ["opus", "aac", "mp3"][int(rng.integers(3))]
    else:
        room_b = realistic.draw_room(rng)
        dist_b = [float(rng.uniform(0.8, 2.5)) for _ in tracks]
        b_meeting = telephone(hear(rng, tracks, room_b, dist_b, np.zeros(n)))
        b_meeting = acoustics.automatic_gain(b_meeting, RATE_HZ, -22.0, 10.0, 0.01, 1.0, -50.0)
        b_chain = ["gsm", "mulaw"][int(rng.integers(2))]
    a_chain = "aac"
    # Meeting time of each recorder's start and end.
    a_from, b_from = float(rng.uniform(0, 20)), float(rng.uniform(0, 60))
    if rng.random() < 0.3:
        a_from, b_from = b_from, a_from
    a_to, b_to = seconds - float(rng.uniform(0, 15)), seconds - float(rng.uniform(0, 40))
    drift_ppm = float(rng.uniform(20, 300)) * (1 if rng.random() < 0.5 else -1)
    drift = drift_ppm / 1e6
    a = a_meeting[int(a_from * RATE_HZ) : int(a_to * RATE_HZ)]
    b = clocked(b_meeting[int(b_from * RATE_HZ) : int(b_to * RATE_HZ)], drift)

    def b_time(t: float) -> float:
        return (t - b_from) * (1 + drift)

    def a_time(t: float) -> float:
        return t - a_from

    # Passages removed: in meeting time, inside both recorders' common stretch.
    lo, hi = max(a_from, b_from) + 10, min(a_to, b_to) - 10
    loser = "B" if rng.random() < 0.6 else "A"
    how = "cut" if rng.random() < 0.5 else "mute"
    count = 1 if hi - lo < 150 or rng.random() < 0.5 else 2
    passages = []
    for k in range(count):
        part_lo = lo + k * (hi - lo) / count
        part_hi = lo + (k + 1) * (hi - lo) / count
        length = float(rng.uniform(5, min(60, (part_hi - part_lo) * 0.6)))
        start = float(rng.uniform(part_lo, part_hi - length))
        passages.append((start, start + length))
    to_own = b_time if loser == "B" else a_time
    to_holder = a_time if loser == "B" else b_time
    own = [(to_own(s), to_own(e)) for s, e in passages]
    if loser == "B":
        b = remove(b, own, how, rng)
    else:
        a = remove(a, own, how, rng)
    truth = []
    # The holder's own sounds (its room's events; in a call recording the room's events are A's alone)
    # count as sound in the passage too, about a second each.
    holder_hears_events = loser == "B" or b_kind == "same-room"
    sounds = spoken + [(x["at_s"], x["at_s"] + 1.0) for x in listed] if holder_hears_events else spoken
    for s, e in passages:
        t = trimmed(s, e, sounds)
        if t is not None and t[1] - t[0] >= 2.0:
            truth.append({"holder": "A" if loser == "B" else "B", "start_s": round(to_holder(t[0]), 2),
                          "end_s": round(to_holder(t[1]), 2), "meeting_s": [round(s, 2), round(e, 2)]})
    # Where only one recorder was running, the other's sound is genuinely not held: not a false difference.
    removed = sum(e - s for s, e in passages) if how == "cut" else 0.0
    a_end = a_time(a_to) - (removed if loser == "A" else 0.0)
    b_end = b_time(b_to) - (removed * (1 + drift) if loser == "B" else 0.0)
    only = [("A", a_time(a_from), a_time(b_from)), ("B", b_time(b_from), b_time(a_from)),
            ("A", a_end - (a_to - b_to), a_end), ("B", b_end - (b_to - a_to) * (1 + drift), b_end)]
    only = [(h, s, e) for h, s, e in only if e > s]
    # A cut moves the line after it: B's time at A's time 0 on each stretch's line.
    lines, shift = [b_time(a_from)], 0.0
    if how == "cut":
        for s, e in passages:
            shift += (e - s) * (1 + drift)
            lines.append(b_time(a_from) + (shift if loser == "A" else -shift))
    lines = [round(x, 4) for x in lines]
    name = f"m{seed}-{index:02d}"
    a_path = save(a, outdir / f"{name}-A", a_chain)
    b_path = save(b, outdir / f"{name}-B", b_chain)
    # Whether compare's sub-fingerprints survive two microphones: B's bits at the true alignment, before
    # removal shifts them (the first 60 s of the common stretch).
    start = max(a_from, b_from)
    fa = subfingerprints(signal.resample_poly(a_meeting[int(start * RATE_HZ) : int((start + 60) * RATE_HZ)], 1, 3))
    fb = subfingerprints(signal.resample_poly(b_meeting[int(start * RATE_HZ) : int((start + 60) * RATE_HZ)], 1, 3))
    ber = float(np.mean(np.bitwise_count(fa[: len(fb)] ^ fb[: len(fa)])) / 32)
    return {"name": name, "a": str(a_path), "b": str(b_path), "b_kind": b_kind, "a_chain": a_chain,
            "b_chain": b_chain, "offset_s": round(b_time(a_from), 4), "line_offsets_s": lines,
            "drift_ppm": round(drift_ppm, 1), "loser": loser, "how": how, "truth": truth, "only": only,
            "talkers": [t.voice for t in talkers], "seconds": round(seconds, 1), "subfingerprint_ber": round(ber, 3),
            "phone_a": dataclasses.asdict(phone_a)}


def score(m: dict, result: aligning.Alignment) -> dict:
    diffs = result.differences
    located, errors = 0, []
    claimed = set()
    for t in m["truth"]:
        best = None
        for i, d in enumerate(diffs):
            if d.holder == t["holder"] and min(d.end_s, t["end_s"]) > max(d.start_s, t["start_s"]):
                err = max(abs(d.start_s - t["start_s"]), abs(d.end_s - t["end_s"]))
                if best is None or err < best[0]:
                    best = (err, i)
        if best is not None:
            claimed.add(best[1])
            errors.append(best[0])
            located += best[0] <= TOLERANCE_S
    false = 0
    for i, d in enumerate(diffs):
        if i in claimed:
            continue
        overlaps_truth = any(d.holder == t["holder"] and min(d.end_s, t["end_s"]) > max(d.start_s, t["start_s"])
                             for t in m["truth"])
        overlaps_only = any(d.holder == h and min(d.end_s, e + 1) > max(d.start_s, s - 1) for h, s, e in m["only"])
        false += not (overlaps_truth or overlaps_only)
    offset_error_ms = (None if result.offset_s is None else
                       min(abs(result.offset_s - x) for x in m["line_offsets_s"]) * 1000)
    drift_error_ppm = None if result.drift_ppm is None else abs(result.drift_ppm - m["drift_ppm"])
    return {"passages": len(m["truth"]), "located": int(located), "false": false, "boundary_errors_s": errors,
            "offset_error_ms": offset_error_ms, "drift_error_ppm": drift_error_ppm, "verdict": result.verdict}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--meetings", type=int, default=10)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(args.meetings):
        start = time.perf_counter()
        m = meeting(args.seed, index, args.outdir)
        made_s = time.perf_counter() - start
        start = time.perf_counter()
        result = aligning.align(m["a"], m["b"])
        align_s = time.perf_counter() - start
        s = score(m, result)
        row = {**m, **s, "found_offset_s": result.offset_s, "found_drift_ppm": result.drift_ppm,
               "differences": [dataclasses.asdict(d) for d in result.differences], "align_s": round(align_s, 2),
               "made_s": round(made_s, 1)}
        rows.append(row)
        offset_ms, drift_ppm = (None if x is None else round(x, 1) for x in (s["offset_error_ms"], s["drift_error_ppm"]))
        print(f"{m['name']} {m['b_kind']:9} {m['b_chain']:5} {m['how']:4} from {m['loser']}: "
              f"{s['located']}/{s['passages']} located, {s['false']} false, offset err {offset_ms} ms, drift err "
              f"{drift_ppm} ppm (true {m['offset_s']:+.3f} s {m['drift_ppm']:+.0f} ppm), ber {m['subfingerprint_ber']}, "
              f"align {align_s:.1f} s", flush=True)
    passages = sum(r["passages"] for r in rows)
    located = sum(r["located"] for r in rows)
    offsets = [r["offset_error_ms"] for r in rows if r["offset_error_ms"] is not None]
    drifts = [r["drift_error_ppm"] for r in rows if r["drift_error_ppm"] is not None]
    errors = [e for r in rows for e in r["boundary_errors_s"]]
    summary = {
        "seed": args.seed, "meetings": len(rows), "passages": passages, "located": located, "found": len(errors),
        "false_differences": sum(r["false"] for r in rows),
        "aligned": sum(r["verdict"] == aligning.ALIGNED for r in rows),
        "median_boundary_error_s": round(float(np.median(errors)), 2) if errors else None,
        "max_boundary_error_s": round(float(np.max(errors)), 2) if errors else None,
        "median_offset_error_ms": round(float(np.median(offsets)), 1) if offsets else None,
        "max_offset_error_ms": round(float(np.max(offsets)), 1) if offsets else None,
        "median_drift_error_ppm": round(float(np.median(drifts)), 1) if drifts else None,
        "max_drift_error_ppm": round(float(np.max(drifts)), 1) if drifts else None,
        "subfingerprint_ber": [r["subfingerprint_ber"] for r in rows],
        "median_align_s": round(float(np.median([r["align_s"] for r in rows])), 2),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    (args.outdir / "results.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
