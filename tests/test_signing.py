"""PAdES signing of the bundle and its checking, with a key generated here."""

import datetime
import io
import json

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from cli.main import cli
from evidence.bundle import read_attached_report
from evidence.report import to_json
from evidence.signing import check_signatures

PASSPHRASE = "correct horse"


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """A self-signed key and its certificate, as a solicitor might make with openssl."""
    folder = tmp_path_factory.mktemp("key")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "A. Solicitor")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .sign(private, hashes.SHA256()))
    p12 = folder / "key.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"solicitor", private, cert, None, serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    pem = folder / "cert.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return p12, pem


@pytest.fixture(scope="module")
def signed(key, speech_report, tmp_path_factory):
    folder = tmp_path_factory.mktemp("signed")
    report = folder / "report.json"
    report.write_text(to_json(speech_report))
    pdf = folder / "bundle.pdf"
    result = CliRunner().invoke(cli, ["bundle", str(report), "-o", str(pdf), "--sign", str(key[0])],
                                env={"EVIDENCE_SIGN_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    return pdf


def verify(*args):
    return CliRunner().invoke(cli, ["verify", *[str(a) for a in args]])


def test_signed_bundle_verifies_and_keeps_its_report(signed, fx, speech_report):
    assert read_attached_report(signed) == speech_report
    result = verify(fx["speech"], signed)
    assert result.exit_code == 0, result.output
    assert "MATCH" in result.output and "Valid: the PDF has not changed since it was signed" in result.output
    assert "identity is not established" in result.output


def test_signature_details_in_json(signed, fx):
    data = json.loads(verify(fx["speech"], signed, "--json").output)
    (sig,) = data["signatures"]
    assert (sig["intact"], sig["whole_document"], sig["trusted"], data["ok"]) == (True, True, False, True)
    assert "A. Solicitor" in sig["signer"]


def test_trust_root_identifies_the_signer(signed, key):
    (sig,) = check_signatures(signed, [key[1]])
    assert sig.trusted and sig.ok


def test_changed_byte_breaks_the_signature(signed, fx, tmp_path):
    data = signed.read_bytes()
    title = b"Recording integrity bundle"
    assert data.count(title) >= 1  # the document title, inside the signed bytes
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data.replace(title, b"Recording integrity bundlX", 1))
    result = verify(fx["speech"], tampered)
    assert result.exit_code == 1
    assert "INVALID" in result.output
    (sig,) = check_signatures(tampered)
    assert not sig.intact


def test_content_added_after_signing_is_reported(signed, fx, tmp_path):
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    writer.root[NameObject("/Lang")] = TextStringObject("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    later = tmp_path / "later.pdf"
    later.write_bytes(out.getvalue())
    (sig,) = check_signatures(later)
    assert sig.intact and not sig.whole_document and not sig.ok
    result = verify(fx["speech"], later)
    assert result.exit_code == 1 and "added to the PDF after it was signed" in result.output


def test_unsigned_bundle_says_so(fx, speech_report, tmp_path):
    from evidence.bundle import render

    pdf = tmp_path / "bundle.pdf"
    pdf.write_bytes(render(speech_report))
    result = verify(fx["speech"], pdf)
    assert result.exit_code == 0 and "none (the bundle is not signed)" in result.output


def test_wrong_passphrase_is_one_line_and_writes_nothing(key, speech_report, tmp_path):
    report = tmp_path / "report.json"
    report.write_text(to_json(speech_report))
    pdf = tmp_path / "bundle.pdf"
    result = CliRunner().invoke(cli, ["bundle", str(report), "-o", str(pdf), "--sign", str(key[0]),
                                      "--sign-passphrase", "wrong"])
    assert result.exit_code == 1
    assert "passphrase is wrong" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert not pdf.exists()


def test_run_signs_and_never_logs_the_passphrase(key, fx, tmp_path):
    case = tmp_path / "case"
    assert CliRunner().invoke(cli, ["case", "init", str(case), "--case-ref", "ZE1"]).exit_code == 0
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(fx["speech"]), "-o", str(out), "--no-transcript", "-q",
                                      "--case", str(case), "--sign", str(key[0]), "--sign-passphrase", PASSPHRASE])
    assert result.exit_code == 0, result.output
    (sig,) = check_signatures(out / "bundle.pdf")
    assert sig.ok
    log = (case / "custody.jsonl").read_text()
    assert str(key[0]) in log and PASSPHRASE not in log
