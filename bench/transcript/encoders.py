"""The speaker encoders of evidence/encoders on the same chunks, and how each one's thresholds were set.

    .venv/bin/python bench/transcript/encoders.py WORKDIR [--conversations 12] [--tune-seed 1] [--test-seed 2]

Audio: the real call (../shared/data/real-speech) and two sets of bench/transcript/speakers.py's
generated flite conversations: one to set the thresholds on (--tune-seed), one never tuned on
(--test-seed). Each recording is transcribed once (default options); its word chunks
(evidence.diarize.chunks) are embedded by each encoder at the recording's normalised level and
clustered by evidence.diarize.cluster.

- Count given: share of words to the right speaker with the number of speakers given.
- Automatic count: for each cut distance in DISTANCES, how many recordings get the right count. The
  chosen cut is the one that gets most right on the tuning set (ties: the best mean accuracy, then the
  smallest); it is
  then scored on the test set and the call.
- Voice naming: each reference speaker's longest turn of at least diarize.MIN_VOICE_S is given as a
  --voice stretch and its centred similarity to each speaker's mean voice (count given) taken, as
  diarize.match_voices does: "own" with the speaker holding most of that turn's words, "other" with
  the rest. A "stranger" is a turn of a flite voice that is not in the recording, taken from another
  recording of the same set; its highest similarity is what would wrongly name someone. The printed
  threshold is the tuning set's highest stranger similarity rounded up to the next tenth. "Own"
  counts only recordings of two or more voices: with one voice, the recording's mean voice that every
  voice is centred on is that voice, and what is left is noise (listed apart as "alone").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.transcript.run import SHARED  # noqa: E402
from bench.transcript.scoring import read_rttm, read_stm, speaker_accuracy  # noqa: E402
from bench.transcript.speakers import conversations  # noqa: E402

DISTANCES = [round(0.8 + 0.05 * i, 2) for i in range(13)]


@dataclasses.dataclass
class Item:
    name: str
    group: str
    audio: object
    transcript: object
    stm: list
    rttm: list
    speakers: int


def labelled(transcript, spans, labels):
    from evidence import diarize
    from evidence.report import Diarization

    turns = diarize.turns(spans, labels)
    return dataclasses.replace(transcript, diarization=Diarization(
        method="", model_sha256="", parameters={}, speakers=sorted({t.speaker for t in turns}), turns=turns))


def longest_turns(rttm, min_s: float) -> dict[str, tuple[float, float]]:
    out = {}
    for start, end, who in rttm:
        if end - start >= min_s and (who not in out or end - start > out[who][1] - out[who][0]):
            out[who] = (start, end)
    return out


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def voice_figures(encoder, item: Item, spans, embeddings, labels, strangers) -> dict:
    """Own, other and stranger similarities of voice samples (see the module's docstring)."""
    from evidence import diarize

    gain = diarize._gain(item.audio, encoder)
    mean = embeddings.mean(axis=0)
    keys = sorted(set(labels.tolist()))
    speakers = unit(np.stack([unit(embeddings[labels == k] - mean).mean(axis=0) for k in keys]))
    middles = np.array([(c.start_s + c.end_s) / 2 for c in spans])
    own, other, stranger, alone = [], [], [], []
    for who, (start, end) in longest_turns(item.rttm, diarize.MIN_VOICE_S).items():
        inside = (middles >= start) & (middles <= end)
        if not inside.any():
            continue
        mine = keys.index(int(np.bincount(labels[inside]).argmax()))
        voice = unit(encoder.embed(item.audio.samples, [diarize.Chunk(start, end)], gain, diarize.no_progress)[0] - mean)
        similarity = speakers @ voice
        (own if len(keys) > 1 else alone).append(float(similarity[mine]))
        other += [float(s) for k, s in enumerate(similarity) if k != mine]
    present = {who for _, _, who in item.rttm}
    for who, (audio, start, end) in strangers.items():
        if who not in present:
            voice = encoder.embed(audio.samples, [diarize.Chunk(start, end)], diarize._gain(audio, encoder), diarize.no_progress)[0]
            stranger.append(float(np.max(speakers @ unit(voice - mean))))
    return {"own": own, "other": other, "stranger": stranger, "alone": alone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--conversations", type=int, default=12)
    parser.add_argument("--tune-seed", type=int, default=1)
    parser.add_argument("--test-seed", type=int, default=2)
    args = parser.parse_args()
    if not (SHARED / "sample.wav").is_file():
        sys.exit(f"{SHARED}: the real call is missing (../shared/data/real-speech)")

    from evidence import diarize, encoders, media
    from evidence.transcribe import TranscribeOptions, transcribe

    chosen = [e for e in encoders.ENCODERS.values() if e.available()]
    missing = [e.NAME for e in encoders.ENCODERS.values() if not e.available()]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (run scripts/install.sh)", file=sys.stderr)

    def item(name, group, path, stm, rttm, speakers) -> Item:
        audio, _ = media.decode_for_analysis(media.check_readable(str(path)), media.probe(str(path)))
        return Item(name, group, audio, transcribe(audio, TranscribeOptions(language="en")), stm, rttm, speakers)

    items = [item("call", "call", SHARED / "sample.wav", read_stm(SHARED / "sample.stm"),
                  read_rttm(SHARED / "sample.rttm"), 2)]
    for group, seed in (("tune", args.tune_seed), ("test", args.test_seed)):
        folder = args.workdir / f"seed-{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        items += [item(f"{group}-{path.stem}", group, path, stm, rttm, len(voices))
                  for path, voices, stm, rttm in conversations(folder, args.conversations, seed)]
    strangers = {}
    for group in ("tune", "test"):
        strangers[group] = {}
        for it in (i for i in items if i.group == group):
            for who, (start, end) in longest_turns(it.rttm, diarize.MIN_VOICE_S).items():
                strangers[group].setdefault(who, (it.audio, start, end))

    results = {}
    for encoder in chosen:
        rows = []
        for it in items:
            spans = diarize.chunks(it.transcript)
            start = time.perf_counter()
            embeddings = encoder.embed(it.audio.samples, spans, diarize._gain(it.audio, encoder), diarize.no_progress)
            embed_s = time.perf_counter() - start
            given = diarize.cluster(embeddings, it.speakers, encoder.DISTANCE_THRESHOLD)
            row = {"name": it.name, "group": it.group, "speakers": it.speakers, "embed_s": embed_s,
                   "audio_s": it.audio.duration_s,
                   "given": speaker_accuracy(labelled(it.transcript, spans, given), it.stm, it.rttm), "auto": {}}
            for d in DISTANCES:
                labels = diarize.cluster(embeddings, None, d)
                row["auto"][d] = (int(labels.max()) + 1,
                                  speaker_accuracy(labelled(it.transcript, spans, labels), it.stm, it.rttm))
            row["voices"] = voice_figures(encoder, it, spans, embeddings, given,
                                          strangers.get(it.group, strangers["test"]))
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "auto"}), file=sys.stderr)
        results[encoder.NAME] = rows

    for name, rows in results.items():
        encoder = encoders.get(name)
        print(f"\n### {name} (cut distance in use {encoder.DISTANCE_THRESHOLD}, voice threshold "
              f"{encoder.VOICE_MIN_SIMILARITY})\n")
        print("| cut distance | tune: count right | tune: accuracy (automatic) | test: count right | "
              "test: accuracy (automatic) | call: found | call: accuracy (automatic) |")
        print("|---|---|---|---|---|---|---|")
        best = None
        for d in DISTANCES:
            cells, score = [], None
            for group in ("tune", "test"):
                mine = [r for r in rows if r["group"] == group]
                right = sum(r["auto"][d][0] == r["speakers"] for r in mine)
                accuracy = float(np.mean([r["auto"][d][1] for r in mine]))
                cells += [f"{right}/{len(mine)}", f"{100 * accuracy:.1f}%"]
                if group == "tune":
                    score = (right, accuracy)
            call = next(r for r in rows if r["group"] == "call")
            cells += [str(call["auto"][d][0]), f"{100 * call['auto'][d][1]:.1f}%"]
            if best is None or score > best[1]:
                best = (d, score)
            print(f"| {d} | " + " | ".join(cells) + " |")
        print(f"\nChosen on the tuning set: {best[0]}")
        print("\n| set | count given (mean) | embedding s per minute of audio |")
        print("|---|---|---|")
        for group in ("call", "tune", "test"):
            mine = [r for r in rows if r["group"] == group]
            per_min = sum(r["embed_s"] for r in mine) / sum(r["audio_s"] for r in mine) * 60
            print(f"| {group} | {100 * np.mean([r['given'] for r in mine]):.1f}% | {per_min:.2f} |")
        print("\n| set | own similarity (min / median) | other (max) | stranger (max) | alone (min / max) | "
              f"at {encoder.VOICE_MIN_SIMILARITY}: own named | strangers named |")
        print("|---|---|---|---|---|---|---|")
        kinds = ("own", "other", "stranger", "alone")
        for group in ("call", "tune", "test"):
            v = {k: [x for r in rows if r["group"] == group for x in r["voices"][k]] for k in kinds}
            fmt = lambda xs, f: f"{f(xs):.2f}" if xs else "-"  # noqa: E731
            t = encoder.VOICE_MIN_SIMILARITY
            print(f"| {group} | {fmt(v['own'], min)} / {fmt(v['own'], np.median)} | {fmt(v['other'], max)} | "
                  f"{fmt(v['stranger'], max)} | {fmt(v['alone'], min)} / {fmt(v['alone'], max)} | "
                  f"{sum(x >= t for x in v['own'])}/{len(v['own'])} | {sum(x >= t for x in v['stranger'])}/"
                  f"{len(v['stranger'])} |")
        strangers_tune = [x for r in rows if r["group"] == "tune" for x in r["voices"]["stranger"]]
        if strangers_tune:
            print(f"\nVoice threshold from the tuning set: {np.ceil(max(strangers_tune) * 10) / 10:.1f}")


if __name__ == "__main__":
    main()
