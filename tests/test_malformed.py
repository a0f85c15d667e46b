"""Malformed and edge-case inputs (tests/malformed.py makes them): each is examined or refused
cleanly. Exit 0 with a sane JSON report, or exit 1 with one line naming the file; never a traceback,
never a changed input."""

import hashlib
import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.malformed import CASES, make_case


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not stat.S_ISFIFO(path.stat().st_mode) else None


@pytest.mark.parametrize("name", CASES)
def test_malformed_input_is_examined_or_refused_in_one_line(tmp_path, name):
    path = make_case(name, tmp_path / "in")
    before = _sha256(path)
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    result = CliRunner().invoke(cli, ["analyse", "-o", str(report), "--", str(path)] if name == "name-leading-dash"
                                else ["analyse", str(path), "-o", str(report)])
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    if result.exit_code == 0:
        written = json.loads(report.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in the report"))
        assert written["file"]["hashes_before"]["sha256"] == written["file"]["hashes_after"]["sha256"] == before
        assert all(f["severity"] in ("info", "notice", "concern") for f in written["findings"])
    else:
        lines = [line for line in result.output.splitlines() if line.strip() and "━" not in line]
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        assert path.name.splitlines()[0] in lines[0]
        assert list((tmp_path / "out").iterdir()) == []
    assert _sha256(path) == before


def _one_line_error(result, name):
    assert "Traceback" not in result.output, result.output
    lines = [line for line in result.output.splitlines() if line.strip() and "━" not in line]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: ") and name in lines[0], result.output


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    return make_case("opus-ogg", tmp_path_factory.mktemp("ok"))


@pytest.mark.parametrize("content", ["this,is\nnot a grid,record\n", "dtm,f\nyesterday,fifty\n", "dtm,f\n", "\x00\x01\x02"])
def test_malformed_grid_csv_is_refused_before_any_work(recording, tmp_path, content):
    grid = tmp_path / "grid.csv"
    grid.write_bytes(content.encode("latin-1"))
    report = tmp_path / "out" / "report.json"
    result = CliRunner().invoke(cli, ["analyse", str(recording), "-o", str(report), "--grid-csv", str(grid)])
    _one_line_error(result, "grid.csv")
    assert not report.exists()


@pytest.mark.parametrize("make", ["text-named-wav", "random-bytes"])
def test_an_exemplar_that_is_not_a_recording_is_refused(recording, tmp_path, make):
    exemplar = make_case(make, tmp_path)
    result = CliRunner().invoke(cli, ["analyse", str(recording), "--exemplar", str(exemplar)])
    _one_line_error(result, exemplar.name)


def test_an_output_path_inside_a_file_is_refused(recording, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["analyse", str(recording), "-o", str(blocker / "report.json")])
    _one_line_error(result, "a-file")
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("make", ["not-a-bundle", "truncated-bundle"])
def test_verify_against_a_pdf_that_is_not_a_bundle(recording, tmp_path, make):
    pdf = tmp_path / "other.pdf"
    if make == "not-a-bundle":
        from reportlab.pdfgen import canvas
        page = canvas.Canvas(str(pdf))
        page.drawString(72, 720, "Minutes of the meeting.")
        page.save()
    else:
        report = tmp_path / "report.json"
        assert CliRunner().invoke(cli, ["analyse", str(recording), "-q", "-o", str(report)]).exit_code == 0
        assert CliRunner().invoke(cli, ["bundle", str(report), "-o", str(pdf)]).exit_code == 0
        pdf.write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2])
    result = CliRunner().invoke(cli, ["verify", str(recording), str(pdf)])
    _one_line_error(result, "other.pdf")


def test_a_report_of_another_schema_is_refused(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"schema_version": "9.0", "file": {}}))
    result = CliRunner().invoke(cli, ["bundle", str(report), "-o", str(tmp_path / "b.pdf")])
    _one_line_error(result, "report.json")
    assert not (tmp_path / "b.pdf").exists()


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long meeting.flac"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=16000",
                    "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.01:sample_rate=16000", "-filter_complex",
                    "amix=inputs=2", "-t", "1800", "-c:a", "flac", str(path)], check=True)
    return path


def _interruptible():
    # A job started in the background by a shell inherits SIGINT ignored; a person at a terminal does not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _evidence(*args):
    return subprocess.Popen([str(Path(sys.executable).with_name("evidence")), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_interruptible)


def _wait_until_working(proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Until the command has started ffmpeg (its imports done, the examination under way), then a
    moment more: a fixed wait was at times still inside Python's start-up on a loaded machine."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline and not children.read_text().split():
        time.sleep(0.05)
    time.sleep(0.5)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_a_run_stopped_midway_leaves_no_output(long_recording, tmp_path, sig):
    before = _sha256(long_recording)
    out = tmp_path / "out"
    proc = _evidence("analyse", long_recording, "-q", "-o", out / "report.json")
    _wait_until_working(proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert not (out / "report.json").exists() and (not out.exists() or list(out.iterdir()) == [])
    if sig != signal.SIGKILL:
        assert "Traceback" not in stderr and len(stderr.strip().splitlines()) <= 1, stderr
    assert _sha256(long_recording) == before


def test_two_runs_into_one_output_both_finish_with_a_whole_report(recording, tmp_path):
    report = tmp_path / "report.json"
    procs = [_evidence("analyse", recording, "-q", "-o", report) for _ in range(2)]
    for proc in procs:
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    assert json.loads(report.read_text())["file"]["hashes_before"]["sha256"] == _sha256(recording)
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
