"""The metadata audit on files whose headers are known: written here by ffmpeg or Python's wave module."""

import pytest

from evidence import media
from evidence.detectors import Context
from evidence.detectors.metadata import detect


def audit(path, **context):
    info = media.probe(path)
    audio, info = media.decode_for_analysis(path, info)
    return detect(audio, Context(media=info, **context))


def kinds(findings, severities=("notice", "concern")):
    return sorted(f.kind for f in findings if f.severity in severities)


def test_clean_wav_gives_no_notice(fx):
    findings = audit(fx["speech"])
    assert kinds(findings) == []
    assert kinds(findings, ("info",)) == ["metadata-creation-time"]


def test_ffmpeg_encoder_tag_is_named(fx):
    (finding,) = [f for f in audit(fx["speech_m4a"]) if f.kind == "metadata-software"]
    assert finding.severity == "notice"
    assert any(t["tag"] == "encoder" and t["value"].startswith("Lavf") for t in finding.details["tags"])
    assert "FFmpeg" in finding.explanation


def test_editor_name_in_any_tag_is_named(fx):
    (finding,) = [f for f in audit(fx["wav_audacity"]) if f.kind == "metadata-software"]
    assert "Audacity" in finding.explanation and finding.details["tags"][0]["tag"] == "comment"


@pytest.mark.parametrize("claimed, differs", [
    ("2025-05-01", False),
    ("2025-05-02", False),       # a day either side is allowed for time zones
    ("2025-05-04", True),
    ("2025-05-01T11:00", False),  # naive local time: BST is UTC+1
    ("2025-05-01T15:00", True),
    ("2025-05-01T10:05+00:00", False),
    ("2025-05-01T11:00+00:00", True),
])
def test_creation_time_against_claimed_date(fx, claimed, differs):
    found = [f for f in audit(fx["m4a_dated"], claimed_date=claimed) if f.kind == "metadata-creation-time"]
    assert bool(found) == differs
    if differs:
        assert found[0].details["creation_time"].startswith("2025-05-01T10:00:00")


def test_modified_before_created_is_a_notice(fx):
    found = [f for f in audit(fx["m4a_dated"], modified_utc="2024-01-01T00:00:00+00:00")
             if f.kind == "metadata-creation-time"]
    assert len(found) == 1 and "before the creation time" in found[0].explanation


def test_truncated_wav_is_a_concern(fx):
    (finding,) = [f for f in audit(fx["truncated_wav"]) if f.kind == "metadata-structure"]
    assert finding.severity == "concern"
    expected_missing = fx["speech"].stat().st_size - fx["truncated_wav"].stat().st_size
    assert finding.details["missing_bytes"] == expected_missing


def test_appended_bytes_are_a_notice(fx):
    (finding,) = [f for f in audit(fx["m4a_appended"]) if f.kind == "metadata-structure"]
    assert finding.severity == "notice" and finding.details["extra_bytes"] == len(b"appended data" * 10)


def test_video_audio_streams_alone_are_not_reported(fx):
    assert [f for f in audit(fx["video_audio"]) if f.kind == "metadata-streams"] == []


def test_exemplar_from_same_settings_matches(fx):
    exemplar = media.probe(fx["noise_m4a"])
    assert [f for f in audit(fx["speech_m4a"], exemplar=exemplar) if f.kind == "exemplar-difference"] == []


def test_exemplar_with_other_tags_differs_in_tag_set(fx):
    exemplar = media.probe(fx["speech_m4a"])
    (finding,) = [f for f in audit(fx["m4a_dated"], exemplar=exemplar) if f.kind == "exemplar-difference"]
    assert "creation_time" in finding.details["differences"]["container tags"]["recording"]


def test_exemplar_differences_are_listed(fx):
    exemplar = media.probe(fx["speech_m4a"])
    (finding,) = [f for f in audit(fx["speech_mp3"], exemplar=exemplar) if f.kind == "exemplar-difference"]
    differences = finding.details["differences"]
    assert differences["codec"] == {"recording": "mp3", "exemplar": "aac"}
    assert "container" in differences and "layout" in differences
