"""Case folder and custody log: receipt without playing, and every kind of tampering found."""

import json
import os
import stat

import pytest
from click.testing import CliRunner

from cli.main import cli
from evidence import custody
from evidence.errors import InputError
from evidence.fingerprint import hash_file


@pytest.fixture
def case(tmp_path, fx):
    folder = custody.init_case(tmp_path / "case", "ZE25C00123", actor="IRO")
    custody.add_recording(folder, fx["speech_m4a"], "the mother", "IRO", "USB stick", actor="IRO")
    custody.add_recording(folder, fx["speech"], "the father", "IRO", "email", actor="IRO")
    return folder


def log_lines(folder):
    return (folder / "custody.jsonl").read_text().splitlines()


def write_lines(folder, lines):
    (folder / "custody.jsonl").write_text("\n".join(lines) + "\n")


def test_receipt_is_stored_read_only_by_hash_and_logged(case, fx):
    digest = hash_file(fx["speech_m4a"]).sha256
    stored = case / "store" / f"{digest}.m4a"
    assert stored.read_bytes() == fx["speech_m4a"].read_bytes()
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    entries = [json.loads(line) for line in log_lines(case)]
    assert [e["action"] for e in entries] == ["case-init", "add", "add"]
    assert entries[1]["file_sha256"] == digest and entries[1]["details"]["method"] == "USB stick"
    assert entries[0]["prev_sha256"] == "0" * 64
    assert custody.verify_case(case) == []


# The chain breaks at the first line whose predecessor is not what it was when the line was written.
@pytest.mark.parametrize("tamper, line", [
    ("edit", 3), ("delete", 2), ("reorder", 2), ("insert", 3),
])
def test_log_tampering_is_found_with_its_position(case, tamper, line):
    lines = log_lines(case)
    if tamper == "edit":
        lines[1] = lines[1].replace("USB stick", "courier")
    elif tamper == "delete":
        del lines[1]
    elif tamper == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        lines.insert(1, lines[1])
    write_lines(case, lines)
    problems = custody.verify_case(case)
    assert problems and problems[0].where == f"custody.jsonl line {line}", problems


def test_changed_and_missing_stored_files_are_found(case):
    stored = sorted((case / "store").iterdir())
    os.chmod(stored[0], 0o644)
    stored[0].write_bytes(stored[0].read_bytes() + b"x")
    stored[1].unlink()
    whats = {p.where: p.what for p in custody.verify_case(case)}
    assert "the file was changed" in whats[f"store/{stored[0].name}"]
    assert "missing from the store" in whats[f"store/{stored[1].name}"]


def test_not_a_case_folder(tmp_path, fx):
    with pytest.raises(InputError, match="not a case folder"):
        custody.add_recording(tmp_path, fx["speech"], None, None, None)
    (tmp_path / "x").write_text("x")
    with pytest.raises(InputError, match="not an empty folder"):
        custody.init_case(tmp_path, "ref")


def test_cli_case_commands_and_logged_run(tmp_path, fx):
    runner = CliRunner()
    folder, out = tmp_path / "case", tmp_path / "out"
    assert runner.invoke(cli, ["case", "init", str(folder), "--case-ref", "REF1"]).exit_code == 0
    result = runner.invoke(cli, ["case", "add", str(folder), str(fx["speech"]), "--received-from", "mother",
                                 "--method", "USB stick"])
    assert result.exit_code == 0 and "Stored" in result.stdout
    stored = next((folder / "store").iterdir())
    result = runner.invoke(cli, ["run", str(stored), "-o", str(out), "-q", "--no-transcript", "--case", str(folder)])
    assert result.exit_code == 0, result.output
    run_entry = json.loads(log_lines(folder)[-1])
    assert run_entry["action"] == "run" and str((out / "bundle.pdf").absolute()) in run_entry["details"]["outputs"]
    result = runner.invoke(cli, ["case", "verify", str(folder)])
    assert result.exit_code == 0 and result.stdout.startswith("OK")
    (out / "report.json").write_text("{}")
    result = runner.invoke(cli, ["case", "verify", str(folder), "--json"])
    assert result.exit_code == 1
    assert any("report.json" in p["where"] and "changed" in p["what"] for p in json.loads(result.stdout)["problems"])


def test_bundle_from_a_case_prints_and_attaches_the_log(case, tmp_path):
    from pypdf import PdfReader

    from evidence import pipeline
    from evidence.bundle import render

    stored = sorted((case / "store").iterdir())[0]
    report = pipeline.run(stored, pipeline.RunOptions(transcribe=None, case_dir=case))
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(render(report))
    reader = PdfReader(pdf)
    attached = reader.attachments["custody.jsonl"][0].decode()
    assert attached == (case / "custody.jsonl").read_text()
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Chain of custody" in text and "USB stick" in text and "the mother" in text


def test_run_with_a_wrong_case_folder_fails_before_writing(tmp_path, fx):
    result = CliRunner().invoke(cli, ["run", str(fx["speech"]), "-o", str(tmp_path / "out"), "-q",
                                      "--no-transcript", "--case", str(tmp_path)])
    assert result.exit_code == 1 and "not a case folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_command_on_a_case_is_logged(case, fx, tmp_path):
    runner = CliRunner()
    stored = sorted((case / "store").iterdir())[0]
    report = tmp_path / "r.json"
    assert runner.invoke(cli, ["analyse", str(stored), "-q", "-o", str(report), "--case", str(case)]).exit_code == 0
    assert runner.invoke(cli, ["bundle", str(report), "-o", str(tmp_path / "b.pdf"), "--case", str(case)]).exit_code == 0
    assert runner.invoke(cli, ["verify", str(stored), str(tmp_path / "b.pdf"), "--case", str(case)]).exit_code == 0
    assert runner.invoke(cli, ["compare", str(stored), str(fx["speech_flac"]), "-q", "-o", str(tmp_path / "cmp"),
                               "--case", str(case)]).exit_code == 0
    actions = [json.loads(line)["action"] for line in log_lines(case)]
    assert actions[-4:] == ["analyse", "bundle", "verify: MATCH", "compare: COMPLETE COPY"]
    assert custody.verify_case(case) == []
