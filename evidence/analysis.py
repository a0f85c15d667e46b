"""Runs the integrity detectors and writes the conclusion in the form GUIDE.md section 2 asks for."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from evidence.detectors import (Context, background, bandwidth, codec_grid, dc_offset, dropout, duplicates, enf, grid,
                                metadata, silence)
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Analysis, Finding, TestRecord, Transcript, Word
from evidence.timecode import hms_ms

DETECTORS = [silence, dropout, dc_offset, background, duplicates, enf, grid, bandwidth, codec_grid, metadata]
RUN_BESIDE = [codec_grid]
"""Tests started first, on a thread of their own beside the rest: the codec grid decodes the file again
at its own rate and transforms every frame, while the others work on the 16 kHz samples already held."""

NOT_APPLIED = "Could not be applied: "
"""How a test that ran but found nothing it could examine (no mains hum, say) is noted."""

NOT_YET_IMPLEMENTED = [
    ("splice", "Sample-level steps or clicks not explained by the signal."),
]


def is_file_level(f: Finding) -> bool:
    """A finding about the file as a whole (metadata audit, time of recording, the codec grid's
    summary), not a point in it."""
    return f.kind.startswith(metadata.KIND_PREFIXES + grid.KIND_PREFIXES) or f.kind in codec_grid.FILE_LEVEL_KINDS


def is_located(f: Finding) -> bool:
    """A finding that marks a point or stretch of the recording (not file-level, not "could not test")."""
    return not is_file_level(f) and not f.kind.endswith("-insufficient")


def _places(findings: list[Finding]) -> str:
    places = "; ".join(f"{hms_ms(f.start_s)} ({f.kind}, {f.severity})" for f in findings[:20])
    return places + (f" and {len(findings) - 20} more" if len(findings) > 20 else "")


CORROBORATION_S = 1.0
"""Notices of two different tests within this many seconds of each other mark one place together."""

UNEDITED_HOURS = 5.35
UNEDITED_NOTICES: dict[str, int] = {"duplicate-passage": 4}
"""Notice and concern findings per finding kind on UNEDITED_HOURS of unedited recordings: the
realistic integrity benchmark's test set (docs/integrity.md), how often each occurs where nothing
was edited."""


def indications(marked: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """Split notice and concern findings into indications of editing (a concern, or a notice that a
    different test's finding corroborates within CORROBORATION_S) and places to listen to (the rest)."""
    strong, weak = [], []
    for f in marked:
        agreeing = any(g.kind != f.kind and g.start_s - CORROBORATION_S <= f.end_s and f.start_s - CORROBORATION_S <= g.end_s
                       for g in marked)
        (strong if f.severity == "concern" or agreeing else weak).append(f)
    return strong, weak


def _notice_rates() -> str:
    """How often notices occur where nothing was edited, as measured, so one is not read as proof."""
    if not UNEDITED_HOURS:
        return ""
    total = sum(UNEDITED_NOTICES.values())
    kinds = "; ".join(f"{kind} {n}" for kind, n in sorted(UNEDITED_NOTICES.items()) if n)
    return (f" On {UNEDITED_HOURS:.1f} hours of unedited phone-like recordings (the integrity benchmark, "
            f"docs/integrity.md) these tests raised {total} such notices ({total / UNEDITED_HOURS:.1f} per hour"
            + (f": {kinds}" if kinds else "") + "), and a real recording can differ from those; a place to listen "
            "to is therefore not, on its own, evidence of editing.")


def conclusion(located: list[Finding], file_level: list[Finding], tests: list[TestRecord]) -> str:
    """GUIDE.md's wording: what was found where, by which tests, how strong, and that nothing found
    proves nothing. Indications of editing (strong traces) are kept apart from places to listen to."""
    ran = ", ".join(t.name for t in tests if t.ran) or "none"
    unusable = [t.name for t in tests if not t.ran and t.note.startswith(NOT_APPLIED)]
    strong, weak = indications([f for f in located if f.severity in ("notice", "concern")])
    if strong:
        text = (f"Indications consistent with editing, muting or loss of audio were found at: {_places(strong)}. "
                "Each is a strong trace (a concern, or two different tests agreeing at one point); none proves "
                "editing on its own, and the findings table gives each one's innocent explanations. The recording "
                "should be examined at these points.")
    else:
        text = "No indications of editing were found by the tests that ran."
    if weak:
        text += (f" Places to listen to (weaker traces, each from one test): {_places(weak)}."
                 + _notice_rates())
    text += f" Tests that ran: {ran}. This cannot exclude editing."
    if unusable:
        text += f" These tests could not be applied to this recording: {', '.join(unusable)} (see the tests table)."
    about_file = [f for f in file_level if f.severity in ("notice", "concern")]
    if about_file:
        kinds = ", ".join(sorted({f.kind for f in about_file}))
        text += (f" Findings about the file as a whole need explaining ({kinds}): see the findings table; they "
                 "concern the file's metadata, structure or time of recording rather than a point in it.")
    return text


def _record(detector, ctx: Context, found: list[Finding], located: list[Finding], file_level: list[Finding],
            tests: list[TestRecord]) -> None:
    for f in found:
        (file_level if is_file_level(f) else located).append(f)
    # A test that found nothing it could examine (no mains hum, say) says so in an info finding.
    unusable = [f.explanation for f in found if f.kind.endswith("-insufficient")]
    if unusable:
        tests.append(TestRecord(name=detector.NAME, description=detector.DESCRIPTION, ran=False,
                                note=NOT_APPLIED + " ".join(unusable)))
    else:
        note = detector.note(ctx) if hasattr(detector, "note") else ""
        tests.append(TestRecord(name=detector.NAME, description=detector.DESCRIPTION, ran=True, note=note))


def analyse(audio: Audio, ctx: Context, progress: ProgressCallback = no_progress) -> tuple[list[Finding], Analysis]:
    located: list[Finding] = []
    file_level: list[Finding] = []
    tests = []
    skips = {d.NAME: d.skip_reason(ctx) if hasattr(d, "skip_reason") else "" for d in DETECTORS}
    with ThreadPoolExecutor(max_workers=1) as beside:
        early = {d.NAME: beside.submit(d.detect, audio, ctx) for d in DETECTORS if d in RUN_BESIDE and not skips[d.NAME]}
        for n, detector in enumerate(DETECTORS):
            progress("analyse", n, len(DETECTORS))
            if skips[detector.NAME]:
                tests.append(TestRecord(name=detector.NAME, description=detector.DESCRIPTION, ran=False,
                                        note=skips[detector.NAME]))
                continue
            found = early[detector.NAME].result() if detector.NAME in early else detector.detect(audio, ctx)
            _record(detector, ctx, found, located, file_level, tests)
    progress("analyse", len(DETECTORS), len(DETECTORS))
    tests += [TestRecord(name=name, description=description, ran=False,
                         note="Not run: not implemented in this version.")
              for name, description in NOT_YET_IMPLEMENTED]
    located.sort(key=lambda f: (f.start_s, f.end_s))
    return file_level + located, Analysis(tests=tests, conclusion=conclusion(located, file_level, tests))


CONTEXT_NAME = "speech-context"
CONTEXT_DESCRIPTION = ("Places each located finding in the transcript: inside a word or mid-sentence (stronger), or "
                       "in a pause (weaker).")
CONTEXT_PARAMETERS = {"word_margin_s": 0.05, "pause_s": 0.3, "inside_word_score": 0.25, "mid_sentence_score": 0.1}
SENTENCE_END = (".", "?", "!")


def parameters() -> dict[str, dict]:
    return {**{d.NAME: dict(d.PARAMETERS) for d in DETECTORS}, CONTEXT_NAME: dict(CONTEXT_PARAMETERS),
            "conclusion": {"corroboration_s": CORROBORATION_S, "unedited_hours": UNEDITED_HOURS,
                           "unedited_notices": dict(UNEDITED_NOTICES)}}


def _place(t: float, words: list[Word]) -> tuple[str, str]:
    """Where time `t` falls in the speech: (where, description)."""
    margin, pause = CONTEXT_PARAMETERS["word_margin_s"], CONTEXT_PARAMETERS["pause_s"]
    for w in words:
        if w.start_s + margin < t < w.end_s - margin:
            return "inside-word", f"inside the spoken word '{w.text.strip()}'"
    before = [w for w in words if w.end_s <= t + margin]
    after = [w for w in words if w.start_s >= t - margin]
    if before and after and after[0].start_s - before[-1].end_s < pause \
            and not before[-1].text.strip().endswith(SENTENCE_END):
        return "mid-sentence", (f"in the middle of a sentence, between '{before[-1].text.strip()}' and "
                                f"'{after[0].text.strip()}'")
    if before or after:
        return "pause", "in a pause in the speech"
    return "no-speech", "where no speech was transcribed"


def with_speech_context(findings: list[Finding], analysis: Analysis, transcript: Transcript | None
                        ) -> tuple[list[Finding], Analysis]:
    """Findings placed in the transcript; one inside a word or mid-sentence counts for more, because an
    edit made to change what was said has to fall in speech, while a device glitch can fall anywhere."""
    if transcript is None:
        test = TestRecord(CONTEXT_NAME, CONTEXT_DESCRIPTION, ran=False, note="Not run: no transcript was made.")
        return findings, Analysis(tests=analysis.tests + [test], conclusion=analysis.conclusion)
    words = sorted((w for s in transcript.segments for w in s.words), key=lambda w: w.start_s)
    placed = []
    for f in findings:
        if f.severity == "info" or not is_located(f):
            placed.append(f)
            continue
        points = [f.start_s] if f.end_s == f.start_s else [f.start_s, f.end_s]
        places = [(t, *_place(t, words)) for t in points]
        strongest = next((p for kind in ("inside-word", "mid-sentence") for p in places if p[1] == kind), places[0])
        bonus = {"inside-word": CONTEXT_PARAMETERS["inside_word_score"],
                 "mid-sentence": CONTEXT_PARAMETERS["mid_sentence_score"]}.get(strongest[1], 0.0)
        text = "; ".join(f"at {hms_ms(t)} {description}" for t, _, description in places)
        weight = {"inside-word": "This makes it stronger: an edit to what was said falls in speech.",
                  "mid-sentence": "This makes it somewhat stronger: speech rarely breaks off mid-sentence.",
                  }.get(strongest[1], "A trace in a pause is weaker evidence of an edit to what was said.")
        placed.append(Finding(
            kind=f.kind, start_s=f.start_s, end_s=f.end_s, severity=f.severity,
            score=round(min(1.0, f.score + bonus), 3),
            details={**f.details, "speech_context": [{"t_s": t, "where": where} for t, where, _ in places]},
            explanation=f"{f.explanation} In the transcript it falls {text}. {weight}",
        ))
    test = TestRecord(CONTEXT_NAME, CONTEXT_DESCRIPTION, ran=True)
    tests = analysis.tests + [test]
    file_level = [f for f in placed if is_file_level(f)]
    located = [f for f in placed if not is_file_level(f)]
    return placed, Analysis(tests=tests, conclusion=conclusion(located, file_level, tests))
