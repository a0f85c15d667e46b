"""Case folder and custody log: receipt without playing, and every kind of tampering found, the
newest entry's included, and a rewritten log caught through a head kept elsewhere."""

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

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
    (folder / "custody.jsonl").write_text("".join(line + "\n" for line in lines))


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rewritten(lines, edit=lambda number, entry: None, self_hash=True):
    """The log as someone who knows its documented format could rewrite it: `edit` changes entries, and
    every hash is recomputed. With self_hash=False, as versions before entry_sha256 wrote it."""
    out, previous = [], "0" * 64
    for number, line in enumerate(lines, 1):
        entry = json.loads(line)
        entry.pop("entry_sha256", None)
        edit(number, entry)
        entry["prev_sha256"] = previous
        if self_hash:
            entry["entry_sha256"] = sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False))
        out.append(json.dumps(entry, sort_keys=True, ensure_ascii=False))
        previous = sha256(out[-1])
    return out


@pytest.fixture
def case5(case, fx):
    custody.add_recording(case, fx["speech_flac"], "the school", "IRO", "email", actor="IRO")
    custody.add_recording(case, fx["speech_m4a"], "the mother", "IRO", "USB stick, second copy", actor="IRO")
    return case


def custody_problems(problems):
    return [p for p in problems if p["where"].startswith("custody.jsonl")]


def test_receipt_is_stored_read_only_by_hash_and_logged(case, fx):
    digest = hash_file(fx["speech_m4a"]).sha256
    stored = case / "store" / f"{digest}.m4a"
    assert stored.read_bytes() == fx["speech_m4a"].read_bytes()
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    entries = [json.loads(line) for line in log_lines(case)]
    assert [e["action"] for e in entries] == ["case-init", "add", "add"]
    assert entries[1]["file_sha256"] == digest and entries[1]["details"]["method"] == "USB stick"
    assert entries[0]["prev_sha256"] == "0" * 64
    assert all(e["entry_sha256"] == sha256(json.dumps({k: v for k, v in e.items() if k != "entry_sha256"},
                                                      sort_keys=True, ensure_ascii=False)) for e in entries)
    assert custody.verify_case(case) == custody.CaseCheck([], [])
    assert custody.head(case) == custody.Head(sha256(log_lines(case)[-1]), 3)


def tampered(lines, tamper, k):
    lines = list(lines)
    if tamper == "edit":
        entry = json.loads(lines[k - 1])
        entry["actor"] = "someone else"
        lines[k - 1] = json.dumps(entry, sort_keys=True, ensure_ascii=False)
    elif tamper == "delete":
        del lines[k - 1]
    elif tamper == "swap":
        lines[k - 1], lines[k] = lines[k], lines[k - 1]
    elif tamper == "insert":
        lines.insert(k - 1, lines[k - 1])
    else:
        del lines[k - 1:]
    return lines


TAMPERING = [(t, k) for t in ("edit", "delete", "insert", "truncate") for k in range(1, 6)] + \
            [("swap", k) for k in range(1, 5)]


# Position k of a 5-entry log; swap exchanges entries k and k+1; insert puts a copy of entry k before it,
# which still follows entry k-1, so the break shows at k+1; truncate keeps entries 1 to k-1.
@pytest.mark.parametrize("tamper, k", TAMPERING)
def test_tampering_at_every_position_is_found_with_its_position(case5, tamper, k):
    head = custody.head(case5)
    assert head.entries == 5
    write_lines(case5, tampered(log_lines(case5), tamper, k))
    line = f"custody.jsonl line {k + 1 if tamper == 'insert' else k}"
    removed_newest = tamper == "truncate" or (tamper, k) == ("delete", 5)
    alone = [p for p in custody.verify_case(case5).problems if p.where.startswith("custody.jsonl")]
    if removed_newest:
        assert alone == []  # the log alone cannot show that its newest entries were removed
    else:
        assert alone[0].where == line, alone
    result = CliRunner().invoke(cli, ["case", "verify", str(case5), "--json", "--head", head.sha256, "--entries", "5"])
    assert result.exit_code == 1
    problems = custody_problems(json.loads(result.stdout)["problems"])
    assert problems[0]["where"] == line, problems
    if removed_newest:
        assert "truncated" in problems[0]["what"]
    elif tamper == "edit":
        assert problems[0]["what"] == "its content does not match its own hash (edited)"


def test_changed_and_missing_stored_files_are_found(case):
    stored = sorted((case / "store").iterdir())
    os.chmod(stored[0], 0o644)
    stored[0].write_bytes(stored[0].read_bytes() + b"x")
    stored[1].unlink()
    whats = {p.where: p.what for p in custody.verify_case(case).problems}
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
    assert json.loads(result.stdout)["head"] == {"sha256": sha256(log_lines(folder)[-1]), "entries": 5}
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
    assert custody.verify_case(case).problems == []


def test_a_rewritten_log_passes_alone_but_not_against_a_head_written_down(case5):
    runner = CliRunner()
    exe = Path(sys.executable).with_name("evidence")
    proc = subprocess.run([str(exe), "case", "head", str(case5)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    word, head, word2, entries = proc.stdout.split()
    assert (word, word2, entries) == ("head", "entries", "5") and head == sha256(log_lines(case5)[-1])

    def edit(number, entry):
        if number == 5:
            entry["details"]["received_from"] = "the grandmother"

    write_lines(case5, rewritten(log_lines(case5), edit))
    result = runner.invoke(cli, ["case", "verify", str(case5)])
    assert result.exit_code == 0 and result.stdout.startswith("OK"), result.stdout
    result = runner.invoke(cli, ["case", "verify", str(case5), "--head", head[:12].upper()])
    assert result.exit_code == 1 and "truncated or rewritten" in result.stdout
    result = runner.invoke(cli, ["case", "verify", str(case5), "--head", head, "--entries", entries])
    assert result.exit_code == 1
    assert f"PROBLEM  custody.jsonl line 5: is not the head given ({head[:12]}…, entry 5)" in result.stdout


def test_a_rewritten_log_is_caught_through_the_head_a_report_or_bundle_holds(case5, tmp_path):
    runner = CliRunner()
    stored = sorted((case5 / "store").iterdir())[0]
    report, pdf = tmp_path / "r.json", tmp_path / "b.pdf"
    assert runner.invoke(cli, ["analyse", str(stored), "-q", "-o", str(report), "--case", str(case5)]).exit_code == 0
    assert runner.invoke(cli, ["bundle", str(report), "-o", str(pdf), "--case", str(case5)]).exit_code == 0
    original = log_lines(case5)
    assert [json.loads(line)["action"] for line in original[5:]] == ["analyse", "bundle"]
    assert json.loads(report.read_text())["case_head"] == {"sha256": sha256(original[4]), "entries": 5}
    result = runner.invoke(cli, ["verify", str(stored), str(pdf), "--case", str(case5)])
    assert result.exit_code == 0 and "still begins with the 5 entries" in result.stdout, result.stdout

    def edit(number, entry):
        if number == 2:
            entry["details"]["received_from"] = "the grandmother"

    # The entries that logged the outputs kept (and rehashed): case verify reads each output's copy.
    write_lines(case5, rewritten(original, edit))
    result = runner.invoke(cli, ["case", "verify", str(case5), "--json"])
    assert result.exit_code == 1
    whats = [p["what"] for p in json.loads(result.stdout)["problems"] if p["where"] == "custody.jsonl line 2"]
    assert len(whats) == 2 and any(str(pdf.absolute()) in w for w in whats), whats
    # Those entries dropped too: the log alone passes, the bundle handed out does not.
    write_lines(case5, rewritten(original[:5], edit))
    assert runner.invoke(cli, ["case", "verify", str(case5)]).exit_code == 0
    result = runner.invoke(cli, ["verify", str(stored), str(pdf), "--case", str(case5)])
    assert result.exit_code == 1
    assert f"PROBLEM  custody.jsonl line 2: differs from the copy in {pdf} (made when the log's head was entry 5" \
           in result.stdout


def test_a_report_from_before_case_head_still_loads(case5, tmp_path):
    from evidence import pipeline
    from evidence.report import from_dict, to_dict

    stored = sorted((case5 / "store").iterdir())[0]
    data = to_dict(pipeline.run(stored, pipeline.RunOptions(transcribe=None, case_dir=case5)))
    assert list(data)[-2:] == ["case_head", "run"]
    old = {k: v for k, v in data.items() if k != "case_head"} | {"schema_version": "2.2"}
    assert from_dict(old).case_head == custody.head(case5)


def test_a_log_from_before_entry_sha256_verifies_with_a_note(case5):
    runner = CliRunner()
    write_lines(case5, rewritten(log_lines(case5), self_hash=False))
    result = runner.invoke(cli, ["case", "verify", str(case5)])
    assert result.exit_code == 0 and result.stdout.startswith("OK"), result.stdout
    assert ("NOTE     custody.jsonl: no entry_sha256 on lines 1-5 (written by an earlier version of evidence): "
            "an edit of line 5, the newest, cannot be detected from the log alone") in result.stdout
    # The check's own entry has one, and holds line 5's hash through the chain.
    result = runner.invoke(cli, ["case", "verify", str(case5)])
    assert result.exit_code == 0 and "the chain still covers them" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--head", "3f9a"], "at least its first 12 hex characters"),
    (["--head", "z" * 64], "at least its first 12 hex characters"),
    (["--entries", "5"], "--entries needs --head"),
])
def test_case_verify_head_options_are_checked(case, args, message):
    before = log_lines(case)
    result = CliRunner().invoke(cli, ["case", "verify", str(case), *args])
    assert result.exit_code == 2 and message in result.stderr
    assert log_lines(case) == before
