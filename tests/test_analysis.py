"""Conclusions and speech context, on findings and transcripts whose answer is known."""

from evidence import analysis
from evidence.analysis import conclusion, is_located, with_speech_context
from evidence.report import Analysis, Finding, ModelInfo, Segment, Transcript, Word
from evidence.report import TestRecord as Check


def finding(t, severity="notice", kind="enf-phase-jump", end=None):
    return Finding(kind=kind, start_s=t, end_s=t if end is None else end, severity=severity, score=0.5,
                   details={}, explanation="A jump.")


def transcript():
    words = [Word(1.0, 1.4, " Please", 0.9), Word(1.5, 1.8, " send", 0.9), Word(1.85, 2.4, " everything.", 0.9),
             Word(4.0, 4.5, " Thanks.", 0.9)]
    segment = Segment(1.0, 4.5, "Please send everything. Thanks.", -0.2, 0.01, 1.1, words)
    return Transcript("faster-whisper", "test", ModelInfo("tiny.en", "/m", "0" * 64), "en", {}, [segment])


TESTS = Analysis(tests=[Check("enf", "d", True)], conclusion="")


def test_inside_a_word_scores_higher():
    (f,), result = with_speech_context([finding(1.65)], TESTS, transcript())
    assert f.severity == "notice" and f.score == 0.75
    assert f.details["speech_context"] == [{"t_s": 1.65, "where": "inside-word"}]
    assert "inside the spoken word 'send'" in f.explanation
    assert result.tests[-1].name == "speech-context" and result.tests[-1].ran


def test_mid_sentence_and_pause():
    (mid, pause), _ = with_speech_context([finding(1.45), finding(3.0)], TESTS, transcript())
    assert mid.details["speech_context"][0]["where"] == "mid-sentence" and mid.severity == "notice"
    assert "between 'Please' and 'send'" in mid.explanation
    assert pause.details["speech_context"][0]["where"] == "pause" and pause.score == 0.5


def test_after_the_end_of_a_sentence_is_a_pause():
    (f,), _ = with_speech_context([finding(2.45)], TESTS, transcript())
    assert f.details["speech_context"][0]["where"] == "pause"


def test_stretch_is_placed_at_both_ends():
    (f,), _ = with_speech_context([finding(3.0, kind="digital-silence", end=4.2)], TESTS, transcript())
    assert [p["where"] for p in f.details["speech_context"]] == ["pause", "inside-word"]
    assert f.score == 0.75


def test_file_level_and_info_findings_are_left_alone():
    meta = finding(0.0, kind="metadata-software")
    info = finding(1.65, severity="info", kind="digital-silence")
    placed, _ = with_speech_context([meta, info], TESTS, transcript())
    assert placed == [meta, info]
    assert not is_located(meta) and is_located(info)


def test_without_transcript_the_context_test_did_not_run():
    found = [finding(1.65)]
    placed, result = with_speech_context(found, TESTS, None)
    assert placed == found
    assert not result.tests[-1].ran and "no transcript" in result.tests[-1].note


def test_conclusion_wording():
    tests = [Check("enf", "d", True), Check("splice", "d", False, "Not run: not implemented.")]
    clean = conclusion([], [], tests)
    assert clean.startswith("No indications of editing") and "cannot exclude editing" in clean and "ran: enf." in clean
    found = conclusion([finding(12.5)], [finding(0, kind="metadata-software")], tests)
    assert found.startswith("No indications of editing")
    assert "Places to listen to" in found and "00:00:12.500 (enf-phase-jump, notice)" in found
    assert "metadata-software" in found


def test_a_concern_or_two_tests_agreeing_is_an_indication():
    tests = [Check("enf", "d", True), Check("background", "d", True)]
    concern = conclusion([finding(5.0, severity="concern")], [], tests)
    assert concern.startswith("Indications consistent with editing") and "00:00:05.000" in concern
    assert "Places to listen to" not in concern
    agreeing = [finding(20.0), finding(20.6, kind="background-change"), finding(40.0, kind="background-change")]
    text = conclusion(agreeing, [], tests)
    strong, weak = text.split("Places to listen to")
    assert "00:00:20.000 (enf-phase-jump" in strong and "00:00:20.600 (background-change" in strong
    assert "00:00:40.000" in weak and "00:00:40.000" not in strong


def test_places_to_listen_to_come_with_the_measured_rate_on_unedited_recordings():
    tests = [Check("enf", "d", True)]
    text = conclusion([finding(12.5)], [], tests)
    assert analysis.UNEDITED_HOURS > 0
    total = sum(analysis.UNEDITED_NOTICES.values())
    assert f"On {analysis.UNEDITED_HOURS:.1f} hours of unedited phone-like recordings" in text
    assert f"raised {total} such notices" in text
    assert "No indications" in conclusion([], [], tests) and "hours of unedited" not in conclusion([], [], tests)
