"""Speaker labels: the real two-speaker call, names in every output, and clear errors."""

import pytest
from click.testing import CliRunner

from bench.transcript.scoring import read_rttm, read_stm, speaker_accuracy
from cli.main import cli
from evidence import diarize
from evidence.errors import InputError
from evidence.report import SpeakerTurn
from evidence.transcribe.marks import speaker_at

# The target. The chunk length and the centring were chosen on this same call (the only real
# multi-speaker recording here), so this checks that nothing regressed, not how well it generalises.
MIN_SPEAKER_ACCURACY = 0.85


def test_two_speakers_on_the_real_call(call, real_speech):
    audio, transcript = call
    labelled = diarize.label_speakers(audio, transcript, speakers=2)
    assert labelled.diarization.speakers == ["Speaker 1", "Speaker 2"]
    accuracy = speaker_accuracy(labelled, read_stm(real_speech / "sample.stm"), read_rttm(real_speech / "sample.rttm"))
    assert accuracy >= MIN_SPEAKER_ACCURACY, accuracy


def test_one_speaker_requested_gives_one_label(call):
    audio, transcript = call
    labelled = diarize.label_speakers(audio, transcript, speakers=1)
    assert {t.speaker for t in labelled.diarization.turns} == {"Speaker 1"}


def test_unknown_speaker_name_is_refused(call):
    audio, transcript = call
    with pytest.raises(InputError, match="Speaker 9 not found"):
        diarize.label_speakers(audio, transcript, speakers=2, names={"Speaker 9": "Ms A"})


def test_off_says_why_there_are_no_labels(call):
    audio, transcript = call
    off = diarize.label_speakers(audio, transcript, enabled=False)
    assert off.diarization is None and "turned off" in off.speakers_note


def test_speaker_at_picks_the_holding_or_nearest_turn():
    turns = [SpeakerTurn(1.0, 2.0, "Speaker 1"), SpeakerTurn(3.0, 4.0, "Speaker 2")]
    assert [speaker_at(turns, t) for t in (0.0, 1.5, 2.4, 2.6, 3.5, 9.0)] == \
        ["Speaker 1", "Speaker 1", "Speaker 1", "Speaker 2", "Speaker 2", "Speaker 2"]
    assert speaker_at([], 1.0) is None


def test_names_reach_every_output(real_speech, tmp_path):
    out = tmp_path / "t"
    result = CliRunner().invoke(cli, ["transcribe", str(real_speech / "sample.wav"), "-o", str(out), "-q",
                                      "--speakers", "2", "--speaker-names", "Speaker 1=Ms A (social worker)"])
    assert result.exit_code == 0, result.output
    for name in ("transcript.txt", "transcript.srt", "transcript.vtt"):
        text = (out / name).read_text()
        assert "Ms A (social worker)" in text and "Speaker 2" in text, name
    assert "<v Ms A (social worker)>" in (out / "transcript.vtt").read_text()


@pytest.mark.parametrize("args, message", [(["--speakers", "0"], "1 or more"), (["--speakers", "many"], "1 or more"),
                                           (["--speaker-names", "Ms A"], "Speaker 1=Ms A")])
def test_bad_speaker_options_are_usage_errors(fx, args, message):
    result = CliRunner().invoke(cli, ["transcribe", str(fx["speech"]), "-q", *args])
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.parametrize("present, count", [
    ("Ms A (social worker), Mr B (IRO) and the child's aunt", 4), ("Ms Jones; Mr Smith", 3), ("Sam & Alex", 3),
    ("the social worker", 2), ("Ms A (team manager, children and families)", 2), ("none", None), ("", None),
    (None, None)])
def test_the_people_named_as_present_give_the_count(present, count):
    assert diarize.count_present(present) == count


def test_without_a_count_the_people_named_as_present_are_used_and_the_report_says_so(real_speech, tmp_path):
    from evidence import pipeline
    from evidence.exports import speakers_sentence
    from evidence.report import Provenance

    named = pipeline.RunOptions(analyse=False, provenance=Provenance(others_present="Ms A (social worker)"))
    report = pipeline.run(real_speech / "sample.wav", named)
    d = report.transcript.diarization
    assert d.parameters["speakers_requested"] == 2 and d.parameters["speakers_from"] == "others-present"
    assert d.speakers == ["Speaker 1", "Speaker 2"]
    assert "the people named as present, plus the person recording" in speakers_sentence(report.transcript)
    # A number given wins over the names.
    given = pipeline.RunOptions(analyse=False, speakers=1, provenance=Provenance(others_present="Ms A, Mr B"))
    transcript = pipeline.run(real_speech / "sample.wav", given).transcript
    assert transcript.diarization.parameters["speakers_requested"] == 1
    assert transcript.diarization.parameters["speakers_from"] == "given"
    assert "as requested" in speakers_sentence(transcript)
