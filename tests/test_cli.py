"""Every command through click's CliRunner, and `evidence run` once as a real subprocess."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cli.main import cli

RUN_OUTPUTS = {"report.json", "bundle.pdf", "transcript.txt", "transcript.json", "transcript.srt", "transcript.vtt",
               "transcript.docx"}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def run_dir(fx, tmp_path_factory):
    """`evidence run` as a real subprocess of the installed command."""
    out = tmp_path_factory.mktemp("run") / "out"
    notes = out.parent / "notes.txt"
    notes.write_text("Received on a USB stick from the mother's solicitor.\n\nNo one else present.")
    before = os.stat(fx["speech"])
    digest = sha256(fx["speech"])
    exe = Path(sys.executable).with_name("evidence")
    proc = subprocess.run(
        [str(exe), "run", str(fx["speech"]), "-o", str(out), "--case-ref", "ZE25C00123", "--exhibit", "AB/1",
         "--recorded-by", "the mother", "--device", "iPhone 13, Voice Memos", "--claimed-date", "2025-05-01",
         "--prepared-by", "A. Solicitor", "--notes", str(notes)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    after = os.stat(fx["speech"])
    assert (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
    assert sha256(fx["speech"]) == digest
    return out, proc


def test_run_writes_every_output(run_dir, fx):
    out, proc = run_dir
    assert {p.name for p in out.iterdir()} == RUN_OUTPUTS
    report = json.loads((out / "report.json").read_text())
    assert report["file"]["hashes_before"]["sha256"] == sha256(fx["speech"])
    assert report["provenance"]["exhibit"] == "AB/1"
    assert "USB stick" in report["provenance"]["notes"]
    assert "Decoding audio" in proc.stderr and "Transcribing" in proc.stderr
    assert "SHA-256:" in proc.stdout


def test_run_bundle_shows_provenance(run_dir):
    out, _ = run_dir
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "bundle.pdf").pages).split())
    for declared in ("ZE25C00123", "AB/1", "iPhone 13, Voice Memos", "A. Solicitor", "USB stick"):
        assert declared in text


def test_bundle_rebuilds_pdf_from_report(run_dir, tmp_path):
    out, _ = run_dir
    pdf = tmp_path / "again.pdf"
    result = invoke("bundle", out / "report.json", "-o", pdf)
    assert result.exit_code == 0, result.output
    assert PdfReader(pdf).attachments["report.json"][0] == (out / "report.json").read_bytes()


def test_verify_exit_codes(run_dir, fx, tmp_path):
    out, _ = run_dir
    result = invoke("verify", fx["speech"], out / "bundle.pdf")
    assert result.exit_code == 0 and result.stdout.startswith("MATCH")
    result = invoke("verify", fx["speech_flac"], out / "report.json")
    assert result.exit_code == 1 and result.stdout.startswith("SAME AUDIO, DIFFERENT FILE")
    changed = tmp_path / "changed.wav"
    data = bytearray(fx["speech"].read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    result = invoke("verify", changed, out / "report.json", "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["status"] == "MISMATCH"


def test_hash_json(fx):
    result = invoke("hash", fx["speech"], "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["sha256"] == sha256(fx["speech"])
    assert len(data["audio_content_sha256"]) == 64


def test_hash_of_a_non_audio_file_still_gives_file_hashes(fx):
    result = invoke("hash", fx["text_m4a"])
    assert result.exit_code == 0
    assert sha256(fx["text_m4a"]) in result.stdout
    assert "no audio fingerprints" in result.stdout


def test_probe(fx):
    result = invoke("probe", fx["video_audio"])
    assert result.exit_code == 0
    assert "video mpeg4" in result.stdout and "(analysed)" in result.stdout
    data = json.loads(invoke("probe", fx["video_audio"], "--json").stdout)
    assert data["streams"][data["audio_stream_index"]]["codec_type"] == "audio"


def test_analyse_json_contract(fx):
    result = invoke("analyse", fx["speech_silence"], "--json", "-q")
    assert result.exit_code == 0
    findings = json.loads(result.stdout)["findings"]
    assert any(f["kind"] == "digital-silence" and f["severity"] == "concern" for f in findings)
    for f in findings:
        assert {"kind", "start_s", "end_s", "severity", "score"} <= set(f)


def test_analyse_without_findings_exits_zero(fx, tmp_path):
    result = invoke("analyse", fx["noise"], "-q", "-o", tmp_path / "r.json")
    assert result.exit_code == 0
    assert "(0 concern, 0 notice)" in result.stdout
    findings = json.loads((tmp_path / "r.json").read_text())["findings"]
    assert {f["severity"] for f in findings} <= {"info"}


def test_transcribe_prints_and_writes(fx, tmp_path):
    result = invoke("transcribe", fx["speech"], "-q", "-o", tmp_path / "t")
    assert result.exit_code == 0
    assert "court" in result.stdout.lower()
    assert {p.name for p in (tmp_path / "t").iterdir()} == RUN_OUTPUTS - {"bundle.pdf"}


@pytest.mark.parametrize("name", ["empty", "random", "text_m4a", "truncated_m4a", "truncated_faststart_m4a",
                                  "video_no_audio"])
def test_bad_input_one_line_error_and_no_outputs(fx, tmp_path, name):
    out = tmp_path / "out"
    result = invoke("run", fx[name], "-o", out)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(fx[name]) in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_file_and_directory(tmp_path):
    for target, reason in ((tmp_path / "nope.m4a", "no such file"), (tmp_path, "is a directory")):
        result = invoke("run", target, "-o", tmp_path / "out")
        assert result.exit_code == 1 and reason in result.stderr
    assert not (tmp_path / "out").exists()


def test_usage_error_exit_code_2(fx):
    assert invoke("run", fx["speech"]).exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_debug_shows_the_exception(fx):
    result = invoke("--debug", "probe", fx["random"])
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "InputError"


def test_bad_report_for_bundle(tmp_path):
    bad = tmp_path / "report.json"
    bad.write_text("{}")
    result = invoke("bundle", bad, "-o", tmp_path / "b.pdf")
    assert result.exit_code == 1 and "schema version" in result.stderr
    assert not (tmp_path / "b.pdf").exists()


def test_claimed_date_is_checked_and_used(fx):
    result = invoke("analyse", fx["m4a_dated"], "--claimed-date", "May 2025")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr
    result = invoke("analyse", fx["m4a_dated"], "-q", "--json", "--claimed-date", "2025-06-01",
                    "--exemplar", fx["speech_mp3"])
    assert result.exit_code == 0
    found = {f["kind"] for f in json.loads(result.stdout)["findings"]}
    assert {"metadata-creation-time", "exemplar-difference", "metadata-software"} <= found


def test_grid_csv_option_reaches_the_time_check(fx, tmp_path):
    grid = tmp_path / "grid.csv"
    grid.write_text("dtm,f\n2025-05-01 00:00:00,50.010\n2025-05-01 00:00:01,50.012\n")
    tests = {t["name"]: t for t in json.loads(invoke("analyse", fx["noise"], "-q", "--json").stdout)["analysis"]["tests"]}
    assert not tests["enf-grid"]["ran"] and "--grid-csv" in tests["enf-grid"]["note"]
    result = invoke("analyse", fx["noise"], "-q", "--json", "--grid-csv", grid)
    tests = {t["name"]: t for t in json.loads(result.stdout)["analysis"]["tests"]}
    # The noise has no hum, so the check is reported as not applicable rather than as a result.
    assert not tests["enf-grid"]["ran"] and tests["enf-grid"]["note"].startswith("Could not be applied")
    assert invoke("analyse", fx["noise"], "--grid-csv", tmp_path / "missing.csv").exit_code == 2
    # A folder of monthly files, as downloaded, is one record; an empty one is refused before any work.
    months = tmp_path / "months"
    months.mkdir()
    (months / "f-2025-05.csv").write_text(grid.read_text())
    (months / "f-2025-06.csv").write_text("dtm,f\n2025-06-01 00:00:00,49.990\n")
    result = invoke("analyse", fx["noise"], "-q", "--json", "--grid-csv", months)
    assert result.exit_code == 0, result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("analyse", fx["noise"], "--grid-csv", empty)
    assert result.exit_code != 0 and "no .csv grid frequency files" in result.output
