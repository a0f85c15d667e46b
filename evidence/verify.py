"""Is this the file a report or bundle describes? Compares hashes; decodes only when they differ."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evidence import media
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

    @property
    def matches(self) -> bool:
        return self.status == MATCH

    @property
    def ok(self) -> bool:
        """The file matches and every signature on the bundle (if any) is intact and covers it all."""
        return self.matches and all(s.ok for s in self.signatures or [])


def _is_pdf(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(5) == b"%PDF-"


def load_reference(path: str | Path) -> Report:
    """A JSON report, or the report attached to a bundle PDF."""
    p = Path(path)
    return read_attached_report(p) if _is_pdf(p) else load(p)


def verify(recording: str | Path, reference: str | Path, trust_roots: list[Path] = ()) -> VerifyResult:
    """Compare RECORDING with the report or bundle; for a bundle, also check its signatures offline
    (`trust_roots`: certificates whose chains count as identifying the signer)."""
    report = load_reference(reference)
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
    )
