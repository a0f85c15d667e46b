"""Two runs of the same recording with the same options give the same bytes, apart from the run record."""

import dataclasses
import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from evidence.bundle import render
from evidence.report import load


@pytest.fixture(scope="module")
def two_runs(fx, tmp_path_factory):
    base = tmp_path_factory.mktemp("determinism")
    outs = []
    for n in (1, 2):
        out = base / f"run{n}"
        result = CliRunner().invoke(cli, ["run", str(fx["speech"]), "-o", str(out), "--exhibit", "AB/1",
                                          "--claimed-date", "2025-05-01", "-q"])
        assert result.exit_code == 0, result.output
        outs.append(out)
    return outs


def test_reports_differ_only_in_the_run_record(two_runs):
    first, second = (json.loads((out / "report.json").read_text()) for out in two_runs)
    assert first.pop("run") != second.pop("run")  # the run record does change: timings, time made
    assert first == second


def test_exports_are_byte_identical(two_runs):
    first, second = two_runs
    for name in ("transcript.txt", "transcript.srt", "transcript.vtt", "transcript.docx"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_pdfs_differ_only_through_the_run_record(two_runs):
    first, second = two_runs
    pdf1 = (first / "bundle.pdf").read_bytes()
    assert pdf1 != (second / "bundle.pdf").read_bytes()
    report1, report2 = load(first / "report.json"), load(second / "report.json")
    # Give the second run the first run's record: every remaining byte must then be equal.
    assert render(dataclasses.replace(report2, run=report1.run)) == pdf1


def test_the_same_report_always_renders_the_same_pdf(two_runs):
    report = load(two_runs[0] / "report.json")
    assert render(report) == render(report) == (two_runs[0] / "bundle.pdf").read_bytes()
