import os

import pytest

from evidence import pipeline
from evidence.errors import IntegrityError
from evidence.fingerprint import hash_file


def test_original_is_not_modified(fx, speech_report):
    st = os.stat(fx["speech"])
    assert speech_report.file.hashes_before == hash_file(fx["speech"])
    assert speech_report.file.unchanged
    assert speech_report.file.size_bytes == st.st_size
    pipeline.check_unchanged(speech_report)


def test_change_during_the_run_is_recorded_and_fails_loudly(fx, tmp_path):
    victim = tmp_path / "victim.wav"
    victim.write_bytes(fx["speech"].read_bytes())

    def tamper(stage, done, total):
        if stage == "analyse":
            with open(victim, "ab") as f:
                f.write(b"\0")

    report = pipeline.run(victim, pipeline.RunOptions(transcribe=None), tamper)
    assert report.file.hashes_before != report.file.hashes_after
    assert not report.file.unchanged
    with pytest.raises(IntegrityError, match="changed during the examination"):
        pipeline.check_unchanged(report)


def test_run_without_analysis_or_transcript(fx):
    report = pipeline.run(fx["speech_m4a"], pipeline.RunOptions(transcribe=None, analyse=False))
    assert report.transcript is None and report.findings == [] and report.analysis.tests == []
    assert report.media.audio_stream.codec_name == "aac"


def test_analysis_lists_tests_that_ran_and_did_not(speech_report):
    tests = {t.name: t for t in speech_report.analysis.tests}
    assert tests["digital-silence"].ran and tests["dropout"].ran and tests["dc-offset"].ran
    assert tests["bandwidth"].ran and tests["metadata"].ran
    # The generated speech has no mains hum, so the ENF test says it could not be applied.
    assert not tests["enf"].ran and tests["enf"].note.startswith("Could not be applied")
    assert "could not be applied to this recording: enf" in speech_report.analysis.conclusion
    assert not tests["splice"].ran and "not implemented" in tests["splice"].note
    assert "cannot exclude editing" in speech_report.analysis.conclusion


def test_findings_are_placed_in_the_transcript(fx):
    report = pipeline.run(fx["speech_silence"])
    (silence,) = [f for f in report.findings if f.kind == "digital-silence" and f.severity != "info"]
    assert [p["t_s"] for p in silence.details["speech_context"]] == [silence.start_s, silence.end_s]
    assert "In the transcript it falls" in silence.explanation
    assert any(t.name == "speech-context" and t.ran for t in report.analysis.tests)


def test_background_work_returns_its_value_and_raises_its_error_in_the_caller():
    from evidence.errors import InputError
    from evidence.pipeline import Background

    assert Background(lambda: 42).result() == 42

    def fails():
        raise InputError("bad exemplar")

    with pytest.raises(InputError, match="bad exemplar"):
        Background(fails).result()
