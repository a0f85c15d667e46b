"""`evidence compare` on the four kinds of copy, built from the real two-speaker call."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cli.main import cli
from evidence.compare import COMPLETE, NOT_FROM_ORIGINAL, PARTIAL, TOO_SHORT, compare, subfingerprints
from fixtures.generate import COPY_CUTS_S, INSERT_AT_S, INSERT_S, copies_of, read_wav_with_rate, write_wav

TOLERANCE_S = 0.5


@pytest.fixture(scope="module")
def original(real_speech):
    return real_speech / "sample.wav"


@pytest.fixture(scope="module")
def copies(original, fx, tmp_path_factory):
    return copies_of(tmp_path_factory.mktemp("copies"), original, fx["speech"])


@pytest.fixture(scope="module")
def results(original, copies):
    return {kind: compare(original, path) for kind, path in copies.items()}


def spans(result):
    return [(p.copy_start_s, p.copy_end_s, p.original_start_s, p.original_end_s) for p in result.pieces]


def assert_pieces(result, expected):
    got = spans(result)
    assert len(got) == len(expected), got
    for g, e in zip(got, expected):
        assert np.allclose(g, e, atol=TOLERANCE_S), (got, expected)


def expected_from_cuts(cuts):
    out, at = [], 0.0
    for a, b in cuts:
        out.append((at, at + b - a, a, b))
        at += b - a
    return out


def test_reencoded_full_copy_is_complete(results):
    r = results["full"]
    assert r.verdict == COMPLETE
    assert_pieces(r, [(0.0, 30.0, 0.0, 30.0)])
    assert r.missing == [] and r.added == [] and r.same_order
    assert r.pieces[0].bit_error_rate < 0.2


def test_extract_of_two_pieces(results):
    r = results["extract"]
    assert r.verdict == PARTIAL
    assert_pieces(r, expected_from_cuts(COPY_CUTS_S["extract"]))
    missing = [(s.start_s, s.end_s) for s in r.missing]
    assert np.allclose(missing, [(0.0, 3.0), (9.0, 15.0), (22.0, 30.0)], atol=TOLERANCE_S)
    assert r.added == [] and r.same_order


def test_copy_with_a_passage_removed(results):
    r = results["removed"]
    assert_pieces(r, expected_from_cuts(COPY_CUTS_S["removed"]))
    assert np.allclose([(s.start_s, s.end_s) for s in r.missing], [(10.0, 14.0)], atol=TOLERANCE_S)
    assert "Missing from the copy: 00:00:1" in r.summary


def test_copy_with_material_inserted(results):
    r = results["inserted"]
    end = INSERT_AT_S + INSERT_S
    assert_pieces(r, [(0.0, INSERT_AT_S, 0.0, INSERT_AT_S), (end, 30.0 + INSERT_S, INSERT_AT_S, 30.0)])
    assert np.allclose([(s.start_s, s.end_s) for s in r.added], [(INSERT_AT_S, end)], atol=TOLERANCE_S)
    assert r.missing == []


def test_cuts_insertions_and_extracts_are_not_taken_for_replacements(results):
    # Their pieces lie at different offsets; a stretch replaced in place (tests/test_redact.py) does not.
    assert all(r.replaced == [] for r in results.values()), {k: r.replaced for k, r in results.items()}


def test_reordered_copy_is_flagged(results):
    r = results["reordered"]
    assert_pieces(r, expected_from_cuts(COPY_CUTS_S["reordered"]))
    assert not r.same_order and "NOT in the original's order" in r.summary


def test_unrelated_recording_matches_nothing(original, fx):
    r = compare(original, fx["speech"])
    assert r.verdict == NOT_FROM_ORIGINAL and r.pieces == []
    assert [(s.start_s, s.end_s) for s in r.missing] == [(0.0, 30.0)]


def test_a_copy_too_short_to_compare_says_so(original, tmp_path):
    x, rate = read_wav_with_rate(original)
    short = write_wav(tmp_path / "short.wav", x[: int(0.3 * rate)], rate)
    r = compare(original, short)
    assert r.verdict == TOO_SHORT and "less than 0.5 s" in r.summary


def test_subfingerprints_agree_for_the_same_audio_and_not_for_other_audio(original, fx):
    x, _ = read_wav_with_rate(original)
    eight_k = x[::2]  # the file is 16 kHz; fingerprints are taken at 8 kHz
    a = subfingerprints(eight_k)
    assert np.array_equal(a, subfingerprints(eight_k.copy()))
    y, _ = read_wav_with_rate(fx["speech"])
    b = subfingerprints(y[::2])
    n = min(len(a), len(b))
    error_rate = np.bitwise_count(a[:n] ^ b[:n]).mean() / 32
    assert 0.4 < error_rate < 0.6


def test_cli_writes_json_and_pdf(original, copies, tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(cli, ["compare", str(original), str(copies["removed"]), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(PARTIAL)
    data = json.loads((out / "compare.json").read_text())
    assert data["kind"] == "evidence-comparison" and len(data["pieces"]) == 2
    assert data["pieces"][1]["offset_s"] == pytest.approx(4.0, abs=TOLERANCE_S)
    pdf = PdfReader(out / "compare.pdf")
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Copy compared with original" in text and PARTIAL in text and data["copy"]["sha256"] in text
    assert json.loads(pdf.attachments["compare.json"][0]) == data


def test_cli_json_and_determinism(original, copies):
    runs = [CliRunner().invoke(cli, ["compare", str(original), str(copies["extract"]), "--json", "-q"]) for _ in range(2)]
    first, second = (json.loads(r.stdout) for r in runs)
    first.pop("timings_s"), second.pop("timings_s")
    assert first == second


def test_bad_copy_is_a_one_line_error(original, tmp_path):
    bad = tmp_path / "copy.m4a"
    bad.write_text("not audio")
    result = CliRunner().invoke(cli, ["compare", str(original), str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "copy.m4a" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
