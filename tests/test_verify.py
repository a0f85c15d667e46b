import shutil

import pytest

from evidence import pipeline
from evidence.bundle import render
from evidence.errors import InputError
from evidence.report import to_json
from evidence.verify import MATCH, MISMATCH, SAME_AUDIO, verify


@pytest.fixture(scope="module")
def analysed(fx, tmp_path_factory):
    """A report (without transcript, for speed) and its bundle, for the WAV fixture."""
    folder = tmp_path_factory.mktemp("verify")
    report = pipeline.run(fx["speech"], pipeline.RunOptions(transcribe=None))
    (folder / "report.json").write_text(to_json(report))
    (folder / "bundle.pdf").write_bytes(render(report))
    return folder


@pytest.mark.parametrize("reference", ["report.json", "bundle.pdf"])
def test_same_file_matches(fx, analysed, reference):
    result = verify(fx["speech"], analysed / reference)
    assert result.status == MATCH and result.matches


def test_one_byte_change_is_a_mismatch(fx, analysed, tmp_path):
    changed = tmp_path / "changed.wav"
    data = bytearray(fx["speech"].read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    result = verify(changed, analysed / "bundle.pdf")
    assert result.status == MISMATCH and not result.matches
    assert result.actual_audio_sha256 != result.expected_audio_sha256


def test_truncated_copy_is_a_mismatch(fx, analysed, tmp_path):
    cut = tmp_path / "cut.wav"
    cut.write_bytes(fx["speech"].read_bytes()[: fx["speech"].stat().st_size // 2])
    result = verify(cut, analysed / "bundle.pdf")
    assert result.status == MISMATCH and not result.ok


def test_lossless_remux_is_same_audio_different_file(fx, analysed):
    result = verify(fx["speech_flac"], analysed / "report.json")
    assert result.status == SAME_AUDIO and not result.matches


def test_undecodable_file_is_a_mismatch_with_reason(fx, analysed):
    result = verify(fx["random"], analysed / "report.json")
    assert result.status == MISMATCH
    assert "cannot be decoded" in result.explanation


def test_verify_needs_a_readable_reference(fx, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        verify(fx["speech"], tmp_path / "none.json")
    other = tmp_path / "copy.wav"
    shutil.copy(fx["speech"], other)
    with pytest.raises(InputError, match="as a JSON report"):
        verify(fx["speech"], other)
