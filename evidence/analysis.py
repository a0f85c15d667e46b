"""Runs the integrity detectors and writes the conclusion in the form GUIDE.md section 2 asks for."""

from __future__ import annotations

from evidence.detectors import Context, silence
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Analysis, Finding, TestRecord
from evidence.timecode import hms_ms

DETECTORS = [silence]

NOT_YET_IMPLEMENTED = [
    ("background", "Abrupt changes of background noise or room tone."),
    ("splice", "Sample-level steps or clicks not explained by the signal; DC offset jumps."),
    ("enf", "Mains hum (ENF) phase and frequency discontinuities."),
    ("bandwidth", "Changes of bandwidth or coding over time (compression history)."),
    ("metadata", "Encoder tags of editing software, dates and container structure."),
]


def parameters() -> dict[str, dict]:
    return {d.NAME: dict(d.PARAMETERS) for d in DETECTORS}


def conclusion(findings: list[Finding], tests: list[TestRecord]) -> str:
    ran = ", ".join(t.name for t in tests if t.ran) or "none"
    edits = [f for f in findings if f.severity in ("notice", "concern")]
    if not edits:
        return (f"No indications of editing were found by the tests that ran ({ran}). "
                "This cannot exclude editing.")
    places = "; ".join(f"{hms_ms(f.start_s)} ({f.kind}, {f.severity})" for f in edits[:20])
    more = f" and {len(edits) - 20} more" if len(edits) > 20 else ""
    return (f"Indications consistent with editing, muting or loss of audio were found at: {places}{more}. "
            f"Tests that ran: {ran}. Each finding is explained in the table below; none of them proves "
            "editing on its own, and the recording should be examined at these points.")


def analyse(audio: Audio, ctx: Context, progress: ProgressCallback = no_progress) -> tuple[list[Finding], Analysis]:
    findings: list[Finding] = []
    tests = []
    for n, detector in enumerate(DETECTORS):
        progress("analyse", n, len(DETECTORS))
        findings += detector.detect(audio, ctx)
        tests.append(TestRecord(name=detector.NAME, description=detector.DESCRIPTION, ran=True))
    progress("analyse", len(DETECTORS), len(DETECTORS))
    tests += [TestRecord(name=name, description=description, ran=False,
                         note="Not run: not implemented in this version.")
              for name, description in NOT_YET_IMPLEMENTED]
    findings.sort(key=lambda f: (f.start_s, f.end_s))
    return findings, Analysis(tests=tests, conclusion=conclusion(findings, tests))
