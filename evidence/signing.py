"""PAdES signatures on the bundle (pyHanko): sign with a PKCS#12 key, and check a bundle's signatures.

A signature proves that the PDF has not changed since it was signed. It proves who signed only as far
as the certificate is trusted: a self-signed key proves integrity, not identity (docs/signing.md).
Checking never goes online: no revocation or certificate fetching.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from evidence.errors import InputError

SIGNATURE_FIELD = "EvidenceBundleSignature"
SIGNATURE_REASON = "Integrity of this recording integrity bundle"


@dataclass(frozen=True)
class SignatureCheck:
    """What one embedded signature shows."""

    field: str
    signer: str
    certificate_sha256: str
    signing_time_utc: str | None
    intact: bool
    """The signed bytes are unchanged and the signature over them is cryptographically sound."""
    whole_document: bool
    """The signature covers the whole file: nothing was added after signing."""
    trusted: bool
    """The certificate chains to one of the trust roots given (never true without any)."""
    explanation: str

    @property
    def ok(self) -> bool:
        return self.intact and self.whole_document


def load_signer(key_path: str | Path, passphrase: str | None):
    """The signer from a PKCS#12 (.p12/.pfx) file; loaded before any long work so a bad key fails early."""
    from pyhanko.sign import signers

    p = Path(key_path)
    if not p.is_file():
        raise InputError(f"{p}: no such signing key file")
    # pyHanko logs and returns None on a wrong passphrase; our one-line error says it instead.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(p), passphrase=passphrase.encode() if passphrase else None)
    except (ValueError, TypeError, OSError) as e:
        raise InputError(f"{p}: cannot load the signing key ({e})") from None
    if signer is None:
        raise InputError(f"{p}: cannot load the signing key: not a PKCS#12 file, or the passphrase is wrong "
                         "(give --sign-passphrase or set EVIDENCE_SIGN_PASSPHRASE)")
    return signer


def sign_pdf(pdf: bytes, signer) -> bytes:
    """`pdf` with a PAdES signature appended as an incremental update covering the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    out = io.BytesIO()
    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, reason=SIGNATURE_REASON,
                                        subfilter=fields.SigSeedSubFilter.PADES)
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out)
    return out.getvalue()


def _load_roots(paths: list[Path]):
    from pyhanko.keys import load_cert_from_pemder

    roots = []
    for p in paths:
        try:
            roots.append(load_cert_from_pemder(str(p)))
        except (ValueError, OSError) as e:
            raise InputError(f"{p}: not a PEM or DER certificate ({e})") from None
    return roots


def check_signatures(pdf_path: str | Path, trust_roots: list[Path] = ()) -> list[SignatureCheck]:
    """Every signature in the PDF, checked offline; an empty list for an unsigned PDF."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    p = Path(pdf_path)
    context = ValidationContext(trust_roots=_load_roots(list(trust_roots)), allow_fetching=False)
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        with open(p, "rb") as f:
            signatures = PdfFileReader(io.BytesIO(f.read()), strict=False).embedded_signatures
            checks = []
            for sig in signatures:
                try:
                    status = validate_pdf_signature(sig, context)
                except ValueError as e:
                    checks.append(SignatureCheck(sig.field_name, "unknown", "", None, False, False, False,
                                                 f"The signature could not be checked ({e})."))
                    continue
                checks.append(_check(sig.field_name, status, SignatureCoverageLevel.ENTIRE_FILE))
            return checks
    except (OSError, PdfReadError) as e:
        raise InputError(f"{p}: cannot read the PDF's signatures ({e})") from None


def _check(field: str, status, entire_file) -> SignatureCheck:
    cert = status.signing_cert
    intact = bool(status.intact and status.valid)
    whole = status.coverage == entire_file
    trusted = bool(status.trusted)
    when = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    if not intact:
        text = "INVALID: the signed part of the document was changed after signing, or the signature is broken."
    elif not whole:
        text = ("The signature is sound, but content was added to the PDF after it was signed: the signed "
                "version is not the whole document now.")
    else:
        text = "Valid: the PDF has not changed since it was signed."
    text += (" The signer's certificate chains to a trusted root." if trusted else
             " The signer's identity is not established: the certificate is self-signed or not chained to a "
             "root you trust, so the signature proves integrity, not who signed.")
    return SignatureCheck(
        field=field,
        signer=cert.subject.human_friendly,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        signing_time_utc=when,
        intact=intact,
        whole_document=whole,
        trusted=trusted,
        explanation=text,
    )
