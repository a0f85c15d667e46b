"""Is this the file a report or bundle describes? Compares hashes; decodes only when they differ.
With a case folder, also: does the case's custody log still hold the copy of it the report holds?"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evidence import custody, media
from evidence.bundle import read_attached_report
from evidence.errors import InputError
from evidence.fingerprint import audio_content_hash, hash_file
from evidence.report import Report, load
from evidence.signing import SignatureCheck, check_signatures

MATCH = "MATCH"
MISMATCH = "MISMATCH"
SAME_AUDIO = "SAME AUDIO, DIFFERENT FILE"


@dataclass(frozen=True)
class VerifyResult:
    status: str
    recording: str
    reference: str
    expected_sha256: str
    actual_sha256: str
    expected_audio_sha256: str
    actual_audio_sha256: str | None
    explanation: str
    signatures: list[SignatureCheck] | None = None
    """The bundle's signatures (empty when it is unsigned); None when the reference is a JSON report."""
    case_log: str | None = None
    """With a case folder: how its custody log compares with the report's copy; None without one."""
    case_problems: list[custody.Problem] = field(default_factory=list)
    """Where the case's log no longer begins with the report's copy (rewritten or truncated since)."""

    @property
    def matches(self) -> bool:
        return self.status == MATCH

    @property
    def ok(self) -> bool:
        """The file matches, every signature on the bundle (if any) is intact and covers it all, and the
        case's log (if given) still holds the report's copy of it."""
        return self.matches and all(s.ok for s in self.signatures or []) and not self.case_problems


def _is_pdf(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(5) == b"%PDF-"


def load_reference(path: str | Path) -> Report:
    """A JSON report, or the report attached to a bundle PDF."""
    p = Path(path)
    return read_attached_report(p) if _is_pdf(p) else load(p)


def _case_log(report: Report, case_dir: Path, source: str) -> tuple[str, list[custody.Problem]]:
    if not report.custody_log:
        return f"{source} holds no custody log (it was not made with --case): nothing to compare", []
    head = report.case_head
    problems = custody.check_copy(custody.log_lines(case_dir), report.custody_log, source)
    if problems:
        return f"the case's log no longer begins with the {head.entries} entries {source} holds", problems
    return (f"the case's log still begins with the {head.entries} entries {source} holds "
            f"(head {head.sha256})"), []


def recorded_heads(case_dir: str | Path) -> list[custody.Problem]:
    """For every report or bundle logged to the case and still as it was written: where the log no
    longer begins with the copy of it that the output holds (a rewrite the log alone would hide)."""
    lines = custody.log_lines(case_dir)
    problems = []
    for _, output, sha256 in custody.logged_outputs(lines):
        if not output.is_file() or hash_file(output).sha256 != sha256:
            continue  # verify_case reports it; a changed file's copy would prove nothing
        try:
            report = load_reference(output)
        except InputError:
            continue  # transcripts, compare results: they hold no copy of the log
        problems += custody.check_copy(lines, report.custody_log, str(output))
    return problems


def verify(recording: str | Path, reference: str | Path, trust_roots: list[Path] = (),
           case_dir: Path | None = None) -> VerifyResult:
    """Compare RECORDING with the report or bundle; for a bundle, also check its signatures offline
    (`trust_roots`: certificates whose chains count as identifying the signer); with `case_dir`, also
    check the case's custody log against the report's copy."""
    report = load_reference(reference)
    case_log, case_problems = _case_log(report, case_dir, str(reference)) if case_dir else (None, [])
    signatures = check_signatures(reference, trust_roots) if _is_pdf(Path(reference)) else None
    source = media.check_readable(recording)
    actual = hash_file(source).sha256
    expected = report.file.hashes_before.sha256
    expected_audio = report.fingerprints.audio_content_sha256
    actual_audio = None
    if actual == expected:
        status = MATCH
        explanation = "The file's SHA-256 equals the one recorded in the report: it is the same file, byte for byte."
    else:
        undecodable = ""
        try:
            actual_audio, _ = audio_content_hash(source, media.probe(source))
        except InputError as e:
            undecodable = str(e)
        if actual_audio == expected_audio:
            status = SAME_AUDIO
            explanation = ("The file's bytes differ from the examined file, but its decoded audio is identical: "
                           "the same audio in a different container or with different metadata.")
        elif undecodable:
            status = MISMATCH
            explanation = f"The file's SHA-256 differs from the report's, and its audio cannot be decoded ({undecodable})."
        else:
            status = MISMATCH
            explanation = ("Neither the file's SHA-256 nor its decoded audio matches the report: it is a different "
                           "or altered recording.")
    return VerifyResult(
        status=status,
        recording=str(source),
        reference=str(reference),
        expected_sha256=expected,
        actual_sha256=actual,
        expected_audio_sha256=expected_audio,
        actual_audio_sha256=actual_audio,
        explanation=explanation,
        signatures=signatures,
        case_log=case_log,
        case_problems=case_problems,
    )
