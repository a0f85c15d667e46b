"""Scoring shared by the transcript benchmark and the tests: WER with Whisper's English normaliser, and
speaker-attributed word accuracy against an RTTM file."""

from __future__ import annotations

import itertools
from pathlib import Path

from evidence.report import Transcript
from evidence.transcribe.marks import speaker_at


def read_stm(path: Path) -> list[tuple[str, float, float, str]]:
    """(speaker, start_s, end_s, text) per reference utterance."""
    out = []
    for line in Path(path).read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6:
            out.append((parts[2], float(parts[3]), float(parts[4]), parts[5]))
    return out


def read_rttm(path: Path) -> list[tuple[float, float, str]]:
    out = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            start = float(parts[3])
            out.append((start, start + float(parts[4]), parts[7]))
    return out


def normalise(text: str) -> str:
    """Whisper's English text normaliser (from openai-whisper), used only for scoring."""
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()(text)


def word_tokens(words) -> tuple[list[str], list[int]]:
    """The normalised tokens of transcript words, and for each token the index of its word (a word may
    give several tokens, or none: "um")."""
    tokens, owner = [], []
    for n, w in enumerate(words):
        for token in normalise(w.text).split():
            tokens.append(token)
            owner.append(n)
    return tokens, owner


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalise(reference), normalise(hypothesis))


def reference_words(stm: list, rttm: list) -> list[tuple[float, str]]:
    """(time_s, reference speaker) per reference word: words spread evenly over their utterance, the
    speaker being the RTTM turn that holds that time (the nearest turn if none does)."""
    out = []
    for _, start_s, end_s, text in stm:
        words = text.split()
        for n in range(len(words)):
            t = start_s + (n + 0.5) * (end_s - start_s) / len(words)
            holding = [who for a, b, who in rttm if a <= t <= b]
            who = holding[0] if holding else min(rttm, key=lambda r: min(abs(r[0] - t), abs(r[1] - t)))[2]
            out.append((t, who))
    return out


def speaker_accuracy(transcript: Transcript, stm: list, rttm: list) -> float:
    """Share of reference words whose time falls to the right speaker, hypothesis labels mapped to
    reference labels by the assignment that agrees best."""
    turns = transcript.diarization.turns if transcript.diarization else []
    ref = reference_words(stm, rttm)
    hyp = [speaker_at(turns, t) for t, _ in ref]
    ref_labels = sorted({who for _, who in ref})
    hyp_labels = sorted({h for h in hyp if h})
    best = 0
    for perm in itertools.permutations(ref_labels + [None] * max(0, len(hyp_labels) - len(ref_labels)),
                                       len(hyp_labels)):
        mapping = dict(zip(hyp_labels, perm))
        best = max(best, sum(mapping.get(h) == who for h, (_, who) in zip(hyp, ref)))
    return best / len(ref) if ref else 0.0
