"""How often an `[unclear]` mark is on a wrong word, and how many wrong words get one.

    .venv/bin/python bench/transcript/marks.py WORKDIR [--sentences 100]

Transcribes (default options: tiny.en, batched) the real call in ../shared/data/real-speech and the
generated read-speech sets of bench/transcript/run.py (espeak-ng and flite), aligns every transcript word
with the reference (Whisper's English normaliser on both sides, jiwer's alignment) and calls a word wrong
when it is substituted or inserted (reference words left out have no transcript word to mark; they are
counted apart). For each rule and threshold it prints:

  precision   share of marked words that are wrong ("about N in 10 marked words were wrong")
  recall      share of wrong words that are marked

Rules: `word` marks each word whose probability is below the threshold (what the transcript does, at
marks.PARAMETERS' unclear_below_probability); `phrase` marks every word of a phrase (words between
pauses of 0.3 s or punctuation) whose least probable word is below it. The rule is chosen on the
generated sets; the call is reported, not chosen on.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.transcript.run import SENTENCES, SHARED, read_speech  # noqa: E402
from bench.transcript.scoring import normalise, read_stm, word_tokens  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
PHRASE_PAUSE_S = 0.3
GENERATED = ("read-espeak", "read-flite")


@dataclass(frozen=True)
class Scored:
    probability: float
    wrong: bool
    phrase: int


def scored_words(reference: str, words) -> tuple[list[Scored], int]:
    """Each transcript word with its probability, whether it is wrong, and its phrase number; and the
    number of reference words left out. Words that normalise to nothing ("um") are not scored."""
    import jiwer

    tokens, owner = word_tokens(words)
    alignment = jiwer.process_words(normalise(reference), " ".join(tokens))
    wrong_token = [False] * len(tokens)
    deleted = 0
    for chunk in alignment.alignments[0]:
        if chunk.type in ("substitute", "insert"):
            for i in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                wrong_token[i] = True
        elif chunk.type == "delete":
            deleted += chunk.ref_end_idx - chunk.ref_start_idx
    wrong = {}
    for i, n in enumerate(owner):
        wrong[n] = wrong.get(n, False) or wrong_token[i]
    phrase, out = 0, []
    for n, w in enumerate(words):
        if n and (w.start_s - words[n - 1].end_s >= PHRASE_PAUSE_S or words[n - 1].text.rstrip()[-1:] in ",.?!"):
            phrase += 1
        if n in wrong:
            out.append(Scored(w.probability, wrong[n], phrase))
    return out, deleted


def marked(words: list[Scored], rule: str, threshold: float) -> list[bool]:
    if rule == "word":
        return [w.probability < threshold for w in words]
    least: dict[int, float] = {}
    for w in words:
        least[w.phrase] = min(least.get(w.phrase, 1.0), w.probability)
    return [least[w.phrase] < threshold for w in words]


def curve(words: list[Scored]) -> list[dict]:
    rows = []
    for rule in ("word", "phrase"):
        for threshold in THRESHOLDS:
            marks = marked(words, rule, threshold)
            hits = sum(m and w.wrong for m, w in zip(marks, words))
            rows.append({"rule": rule, "threshold": threshold, "marked": sum(marks), "wrong": sum(w.wrong for w in words),
                         "hits": hits, "precision": hits / max(sum(marks), 1),
                         "recall": hits / max(sum(w.wrong for w in words), 1)})
    return rows


def main() -> None:
    from evidence import media
    from evidence.transcribe import TranscribeOptions, transcribe

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--sentences", type=int, default=len(SENTENCES))
    args = parser.parse_args()
    stm = SHARED / "sample.stm"
    if not stm.is_file():
        sys.exit(f"{SHARED}: the real call is missing (../shared/data/real-speech); set EVIDENCE_SHARED_DATA")
    args.workdir.mkdir(parents=True, exist_ok=True)
    audios = {"call": (SHARED / "sample.wav", " ".join(u[3] for u in read_stm(stm)))}
    for synthesiser, name in (("espeak-ng", "read-espeak"), ("flite", "read-flite")):
        audios[name] = read_speech(args.workdir, args.sentences, synthesiser)
    scored: dict[str, list[Scored]] = {}
    for name, (path, reference) in audios.items():
        audio, _ = media.decode_for_analysis(media.check_readable(path), media.probe(path))
        words = [w for s in transcribe(audio, TranscribeOptions(language="en")).segments for w in s.words]
        scored[name], deleted = scored_words(reference, words)
        print(json.dumps({"audio": name, "words": len(scored[name]), "wrong": sum(w.wrong for w in scored[name]),
                          "left_out": deleted}), file=sys.stderr)
    sets = {"generated (espeak-ng + flite)": [w for name in GENERATED for w in scored[name]], "call": scored["call"]}
    print("| set | rule | below | marked words | wrong words | marked and wrong | precision | recall |")
    print("|---|---|---|---|---|---|---|---|")
    for label, words in sets.items():
        for r in curve(words):
            print(f"| {label} | {r['rule']} | {r['threshold']} | {r['marked']} | {r['wrong']} | {r['hits']} | "
                  f"{100 * r['precision']:.0f}% | {100 * r['recall']:.0f}% |")


if __name__ == "__main__":
    main()
