"""`evidence batch`: inputs from files, folders and manifests, one folder per recording, the index, failures
recorded while the rest goes on, resuming, a case, and the same outputs from local worker processes and
a Dask cluster as from this process."""

import csv
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cli.main import cli
from evidence import custody
from evidence.batch import Input, discover, executor, folder_name
from evidence.bundle import render
from evidence.report import load

EXPORTS = ("transcript.txt", "transcript.json", "transcript.srt", "transcript.vtt", "transcript.docx")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def index(outroot: Path) -> list[dict[str, str]]:
    with open(outroot / "index.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def one_line_error(result, fragment: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def calls(fx, tmp_path) -> Path:
    """A folder of two recordings, with a text file and a hidden file that are not examined."""
    folder = tmp_path / "calls"
    (folder / "second").mkdir(parents=True)
    shutil.copy(fx["speech"], folder / "call.wav")
    shutil.copy(fx["speech_m4a"], folder / "second" / "call.m4a")
    (folder / "notes.txt").write_text("not a recording")
    shutil.copy(fx["speech"], folder / ".hidden.wav")
    return folder


def test_discover_files_folders_and_manifests(calls, tmp_path):
    manifest = tmp_path / "exhibits.csv"
    manifest.write_text("path,Exhibit,claimed-date,notes\ncalls/call.wav,AB/1,2025-05-01,From the mother\n\n"
                        "calls/second/call.m4a,AB/2,,\n", encoding="utf-8")
    missing = tmp_path / "missing.m4a"
    found = discover([calls, calls / "call.wav", manifest, missing])
    assert found == [
        Input(calls / "call.wav"),
        Input(calls / "second" / "call.m4a"),
        Input(calls / "call.wav", (("claimed_date", "2025-05-01"), ("exhibit", "AB/1"), ("notes", "From the mother"))),
        Input(calls / "second" / "call.m4a", (("exhibit", "AB/2"),)),
        Input(missing),
    ]


def test_folder_names():
    digest = "ab" * 32
    assert folder_name(Path("/x/My call (1).m4a"), digest, None) == "My_call_1-abababababab"
    assert folder_name(Path("/x/call.m4a"), digest, "AB/1") == "AB_1-abababababab"
    assert folder_name(Path("/x/call.m4a"), digest, "../..") == "recording-abababababab"


@pytest.mark.parametrize("header, fragment", [
    ("file,exhibit", "no 'path' column"),
    ("path,exhibit,colour", "unknown column 'colour'"),
    ("path,claimed_date", "line 2: claimed_date"),
])
def test_manifest_errors_are_one_line_and_write_nothing(fx, tmp_path, header, fragment):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"{header}\n{fx['speech']},May 2025\n")
    out = tmp_path / "out"
    one_line_error(invoke("batch", manifest, "-o", out, "-q"), fragment)
    assert not out.exists()


def test_argument_errors_are_one_line(fx, tmp_path):
    one_line_error(invoke("batch", "-o", tmp_path / "out"), "no recordings given")
    (tmp_path / "empty").mkdir()
    one_line_error(invoke("batch", tmp_path / "empty", "-o", tmp_path / "out"), "no recordings found")
    one_line_error(invoke("batch", tmp_path / "nope.csv", "-o", tmp_path / "out"), "nope.csv: no such file")
    one_line_error(invoke("batch", fx["speech"], "-o", tmp_path / "out", "--scheduler", "nonsense"),
                   "cannot reach a Dask scheduler")
    assert invoke("batch", fx["speech"], "-o", tmp_path / "out", "--send-back").exit_code == 2
    result = invoke("batch", fx["speech"], "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:1",
                    "--recordings-per-process", "1")
    assert result.exit_code == 2 and "--recordings-per-process is for local workers" in result.output
    assert not (tmp_path / "out").exists()


def test_scheduler_without_dask_installed(fx, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    one_line_error(invoke("batch", fx["speech"], "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:8786"),
                   "--scheduler needs Dask")


@pytest.fixture(scope="module")
def mixed(fx, tmp_path_factory):
    """A manifest of two good recordings with provenance, a file that is not audio and a missing one."""
    base = tmp_path_factory.mktemp("mixed")
    manifest = base / "exhibits.csv"
    manifest.write_text(f"path,exhibit,claimed_date,notes\n{fx['speech']},AB/1,2025-05-01,Sent by email\n"
                        f"{fx['speech_m4a']},AB/2,,\n")
    inputs = [manifest, fx["random"], base / "missing.wav"]
    before = {p: (sha256(p), os.stat(p).st_mtime_ns) for p in (fx["speech"], fx["speech_m4a"], fx["random"])}
    result = invoke("batch", *inputs, "-o", base / "out", "--case-ref", "ZE25C00123", "--no-transcript", "-q")
    after = {p: (sha256(p), os.stat(p).st_mtime_ns) for p in before}
    assert before == after
    return base / "out", result


def test_failures_are_rows_and_the_rest_goes_on(mixed, fx):
    out, result = mixed
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: 2 of 4 recordings failed")
    rows = index(out)
    assert [(r["file"], r["state"]) for r in rows] == [
        ("speech.wav", "done"), ("speech.m4a", "done"), ("random.wav", "failed"), ("missing.wav", "failed")]
    assert str(fx["random"]) in rows[2]["reason"] and "audio" in rows[2]["reason"]
    assert rows[3]["reason"].endswith("missing.wav: no such file")
    assert all("\n" not in r["reason"] for r in rows)


def test_one_folder_per_recording_and_index(mixed, fx):
    out, _ = mixed
    digests = [sha256(fx["speech"]), sha256(fx["speech_m4a"])]
    names = [f"AB_1-{digests[0][:12]}", f"AB_2-{digests[1][:12]}"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names + ["index.csv", "index.pdf"])
    rows = index(out)
    for row, digest, name in zip(rows, digests, names):
        assert row["sha256"] == digest and row["bundle"] == f"{name}/bundle.pdf"
        assert float(row["duration_s"]) == pytest.approx(3.2, abs=0.2)
        assert row["conclusion"] == "No indications of editing were found by the tests that ran."
        assert int(row["findings"]) >= int(row["concerns"]) + int(row["notices"])
        assert {p.name for p in (out / name).iterdir()} == {"report.json", "bundle.pdf", "batch.json"}
    first = json.loads((out / names[0] / "report.json").read_text())["provenance"]
    assert (first["exhibit"], first["case_ref"], first["claimed_date"], first["notes"]) == (
        "AB/1", "ZE25C00123", "2025-05-01", "Sent by email")
    pdf = PdfReader(out / "index.pdf")
    assert pdf.attachments["index.csv"][0] == (out / "index.csv").read_bytes()
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "speech.m4a" in text and "missing.wav: no such file" in " ".join(text.split())


def test_resume_skips_and_reruns_when_options_change(fx, tmp_path):
    out = tmp_path / "out"
    assert invoke("batch", fx["speech"], "-o", out, "-q", "--speakers", "off").exit_code == 0
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert set(EXPORTS) <= set(written)

    first_index = (out / "index.csv").read_bytes()
    result = invoke("batch", fx["speech"], "-o", out, "-q", "--speakers", "off")
    assert result.exit_code == 0 and result.stdout.startswith("kept     speech.wav")
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written
    # The index does not tell a resumed batch from the first, so a case's log of it stays true.
    assert (out / "index.csv").read_bytes() == first_index

    # Other options: examined again, and the transcripts the first run wrote are not left behind.
    result = invoke("batch", fx["speech"], "-o", out, "-q", "--no-transcript", "--prepared-by", "A. Solicitor")
    assert result.exit_code == 0 and index(out)[0]["state"] == "done"
    assert {p.name for p in folder.iterdir()} == {"report.json", "bundle.pdf", "batch.json"}
    assert load(folder / "report.json").provenance.prepared_by == "A. Solicitor"

    # An output changed or removed since: examined again.
    (folder / "bundle.pdf").unlink()
    result = invoke("batch", fx["speech"], "-o", out, "-q", "--no-transcript", "--prepared-by", "A. Solicitor")
    assert result.exit_code == 0
    assert index(out)[0]["state"] == "done" and (folder / "bundle.pdf").is_file()


def test_the_same_recording_under_the_same_name_is_examined_once(fx, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(fx["speech"], tmp_path / folder / "call.wav")
    out = tmp_path / "out"
    result = invoke("batch", tmp_path / "a", tmp_path / "b", "-o", out, "-q", "--no-transcript")
    assert result.exit_code == 0, result.output
    first, second = index(out)
    assert (first["state"], second["state"]) == ("done", "skipped")
    assert second["reason"] == f"the same recording as {tmp_path / 'a' / 'call.wav'}, under the same name"
    assert [p.name for p in out.iterdir() if p.is_dir()] == [f"call-{sha256(fx['speech'])[:12]}"]


def test_case_adds_every_recording_and_logs_every_output(fx, tmp_path):
    case = custody.init_case(tmp_path / "case", "ZE25C00123", actor="IRO")
    out = tmp_path / "out"
    args = ("batch", fx["speech"], fx["speech_m4a"], "-o", out, "-q", "--no-transcript", "--case", case)
    assert invoke(*args).exit_code == 0
    entries = [json.loads(line) for line in custody.log_lines(case)]
    assert [e["action"] for e in entries] == ["case-init", "add", "add", "batch", "batch", "batch index"]
    logged = {Path(p) for e in entries for p in e["details"].get("outputs", {})}
    assert logged == {p.absolute() for p in out.rglob("*") if p.is_file()}
    for row in index(out):
        report = load(out / row["bundle"].replace("bundle.pdf", "report.json"))
        assert Path(report.file.path).parent == (case / "store").absolute()
        assert report.custody_log  # the log as the run began, as with `run --case`
    assert custody.verify_case(case).problems == []

    assert invoke(*args).exit_code == 0  # resumed: nothing added again, nothing examined
    assert [json.loads(line)["action"] for line in custody.log_lines(case)][len(entries):] == ["batch index"]
    assert custody.verify_case(case).problems == []


def test_batch_as_a_real_command_with_two_worker_processes(calls, tmp_path):
    exe = Path(sys.executable).with_name("evidence")
    out = tmp_path / "out"
    proc = subprocess.run([str(exe), "batch", str(calls), "-o", str(out), "--workers", "2", "--threads", "1",
                           "--no-transcript"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Batch" in proc.stderr and "2/2" in proc.stderr
    assert [(r["file"], r["state"]) for r in index(out)] == [("call.wav", "done"), ("call.m4a", "done")]
    assert "Wrote:   " in proc.stdout


def same_outputs(local: Path, other: Path) -> None:
    """The same bytes apart from the run record: report.json without `run`, the exports byte for byte, the
    PDF once given the local run's record, batch.json's key and summary, and the index."""
    assert (local / "index.csv").read_bytes() == (other / "index.csv").read_bytes()
    folders = sorted(p.name for p in local.iterdir() if p.is_dir())
    assert folders == sorted(p.name for p in other.iterdir() if p.is_dir()) and len(folders) == 3
    for name in folders:
        a, b = local / name, other / name
        assert {p.name for p in a.iterdir()} == {p.name for p in b.iterdir()}
        first, second = (json.loads((d / "report.json").read_text()) for d in (a, b))
        first.pop("run"), second.pop("run")
        assert first == second, name
        for export in EXPORTS:
            assert (a / export).read_bytes() == (b / export).read_bytes(), (name, export)
        report_a, report_b = load(a / "report.json"), load(b / "report.json")
        assert render(dataclasses.replace(report_b, run=report_a.run)) == (a / "bundle.pdf").read_bytes()
        state_a, state_b = (json.loads((d / "batch.json").read_text()) for d in (a, b))
        assert (state_a["key"], state_a["summary"]) == (state_b["key"], state_b["summary"])


def test_recordings_per_process_starts_a_fresh_worker_each_time():
    with executor(1, recordings_per_process=1) as pool:
        pids = [pool.submit(os.getpid).result() for _ in range(3)]
    assert len(set(pids)) == 3 and os.getpid() not in pids
    with executor(1, recordings_per_process=2) as pool:
        pids = [pool.submit(os.getpid).result() for _ in range(4)]
    assert len(set(pids)) == 2


def test_a_fresh_process_per_recording_gives_the_same_outputs(fx, tmp_path):
    recordings = [fx["speech"], fx["speech_m4a"], fx["speech_mp3"]]
    assert invoke("batch", *recordings, "-o", tmp_path / "local", "-q").exit_code == 0
    result = invoke("batch", *recordings, "-o", tmp_path / "fresh", "-q", "--recordings-per-process", "1")
    assert result.exit_code == 0, result.output
    same_outputs(tmp_path / "local", tmp_path / "fresh")


def test_dask_local_cluster_gives_the_same_outputs_as_a_local_run(fx, tmp_path):
    distributed = pytest.importorskip("distributed")
    recordings = [fx["speech"], fx["speech_m4a"], fx["speech_mp3"]]
    assert invoke("batch", *recordings, "-o", tmp_path / "local", "-q").exit_code == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for name, extra in (("shared", ()), ("sent-back", ("--send-back",))):
            result = invoke("batch", *recordings, "-o", tmp_path / name, "-q", "--scheduler", cluster.scheduler_address,
                            *extra)
            assert result.exit_code == 0, result.output
    for name in ("shared", "sent-back"):
        same_outputs(tmp_path / "local", tmp_path / name)
