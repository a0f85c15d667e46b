"""Runs the integrity detectors and writes the conclusion in the form GUIDE.md section 2 asks for."""

from __future__ import annotations

from evidence.detectors import Context, bandwidth, enf, metadata, silence
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Analysis, Finding, TestRecord
from evidence.timecode import hms_ms

DETECTORS = [silence, enf, bandwidth, metadata]

NOT_YET_IMPLEMENTED = [
    ("background", "Abrupt changes of background noise or room tone."),
    ("splice", "Sample-level steps or clicks not explained by the signal; DC offset jumps."),
]


def parameters() -> dict[str, dict]:
    return {d.NAME: dict(d.PARAMETERS) for d in DETECTORS}


def _places(findings: list[Finding]) -> str:
    places = "; ".join(f"{hms_ms(f.start_s)} ({f.kind}, {f.severity})" for f in findings[:20])
    return places + (f" and {len(findings) - 20} more" if len(findings) > 20 else "")


def conclusion(located: list[Finding], file_level: list[Finding], tests: list[TestRecord]) -> str:
    """GUIDE.md's wording: what was found where, by which tests, and that nothing found proves nothing."""
    ran = ", ".join(t.name for t in tests if t.ran) or "none"
    unusable = [t.name for t in tests if not t.ran and t.note.startswith("Could not")]
    marked = [f for f in located if f.severity in ("notice", "concern")]
    if marked:
        text = (f"Indications consistent with editing, muting or loss of audio were found at: {_places(marked)}. "
                f"Tests that ran: {ran}. None of these proves editing on its own; the recording should be "
                "examined at these points.")
    else:
        text = (f"No indications of editing were found at any point in the recording by the tests that ran "
                f"({ran}). This cannot exclude editing.")
    if unusable:
        text += f" These tests could not be applied to this recording: {', '.join(unusable)} (see the tests table)."
    about_file = [f for f in file_level if f.severity in ("notice", "concern")]
    if about_file:
        kinds = ", ".join(sorted({f.kind for f in about_file}))
        text += (f" The file's metadata or structure needs explaining ({kinds}): see the findings, which "
                 "concern the file as a whole rather than a point in the recording.")
    return text


def analyse(audio: Audio, ctx: Context, progress: ProgressCallback = no_progress) -> tuple[list[Finding], Analysis]:
    located: list[Finding] = []
    file_level: list[Finding] = []
    tests = []
    for n, detector in enumerate(DETECTORS):
        progress("analyse", n, len(DETECTORS))
        found = detector.detect(audio, ctx)
        (file_level if getattr(detector, "FILE_LEVEL", False) else located).extend(found)
        # A test that found nothing it could examine (no mains hum, say) says so in an info finding.
        unusable = [f.explanation for f in found if f.kind.endswith("-insufficient")]
        if unusable:
            tests.append(TestRecord(name=detector.NAME, description=detector.DESCRIPTION, ran=False,
                                    note="Could not be applied: " + " ".join(unusable)))
        else:
            note = detector.note(ctx) if hasattr(detector, "note") else ""
            tests.append(TestRecord(name=detector.NAME, description=detector.DESCRIPTION, ran=True, note=note))
    progress("analyse", len(DETECTORS), len(DETECTORS))
    tests += [TestRecord(name=name, description=description, ran=False,
                         note="Not run: not implemented in this version.")
              for name, description in NOT_YET_IMPLEMENTED]
    located.sort(key=lambda f: (f.start_s, f.end_s))
    return file_level + located, Analysis(tests=tests, conclusion=conclusion(located, file_level, tests))
