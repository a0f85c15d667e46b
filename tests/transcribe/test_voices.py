"""Naming speakers from voice samples (--voice) on the real two-speaker call."""

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from evidence import diarize, encoders
from evidence.errors import InputError
from evidence.exports import speakers_sentence
from evidence.transcribe.marks import speaker_at
from fixtures.generate import write_wav

# The call's RTTM: speaker90 alone from 10.57 to 14.49 s, speaker91 alone from 14.70 to 17.92 s.
FIRST = diarize.VoiceSample("Ms A (social worker)", None, 10.6, 14.4)
SECOND_S = (14.8, 17.9)


def test_stretch_and_file_samples_name_the_speakers_they_hold(call, tmp_path):
    audio, transcript = call
    second = tmp_path / "mr-b.wav"
    write_wav(second, audio.samples[int(SECOND_S[0] * 16000):int(SECOND_S[1] * 16000)])
    labelled = diarize.label_speakers(audio, transcript, speakers=2,
                                      voices=[FIRST, diarize.VoiceSample("Mr B", second)])
    turns = labelled.diarization.turns
    first_label, second_label = speaker_at(turns, 12.5), speaker_at(turns, 16.3)
    assert first_label != second_label
    assert labelled.speaker_names == {first_label: "Ms A (social worker)", second_label: "Mr B"}
    a, b = labelled.diarization.voices
    assert (a.speaker, a.source, b.speaker, b.source) == (first_label, "00:00:10.600-00:00:14.400", second_label,
                                                          "mr-b.wav")
    assert min(a.similarity, b.similarity) >= encoders.get(encoders.DEFAULT).VOICE_MIN_SIMILARITY
    sentence = speakers_sentence(labelled)
    assert f"Mr B (sample mr-b.wav) is {second_label} (similarity {b.similarity:.2f})" in sentence


def test_a_voice_that_is_not_in_the_recording_is_said_to_be_missing(call, fx):
    audio, transcript = call
    stranger = diarize.VoiceSample("Mr C", fx["speech"])  # espeak-ng, not one of the call's speakers
    labelled = diarize.label_speakers(audio, transcript, speakers=2, voices=[stranger],
                                      names={"Speaker 1": "Ms D"})
    (match,) = labelled.diarization.voices
    assert match.speaker is None and match.similarity < encoders.get(encoders.DEFAULT).VOICE_MIN_SIMILARITY
    assert labelled.speaker_names == {"Speaker 1": "Ms D"}
    assert "Mr C (sample speech.wav) was not found" in speakers_sentence(labelled)


def test_a_name_given_by_label_wins_over_a_sample(call):
    audio, transcript = call
    labelled = diarize.label_speakers(audio, transcript, speakers=2, voices=[FIRST],
                                      names={"Speaker 1": "Ms D", "Speaker 2": "Mr E"})
    assert labelled.speaker_names == {"Speaker 1": "Ms D", "Speaker 2": "Mr E"}
    sentence = speakers_sentence(labelled)
    assert "Speaker 1 = Ms D" in sentence and "Speaker 2 = Mr E" in sentence
    (match,) = labelled.diarization.voices
    assert f"Ms A (social worker) (sample 00:00:10.600-00:00:14.400) matched {match.speaker}" in sentence
    assert f"whom the user named {labelled.speaker_names[match.speaker]}" in sentence


@pytest.mark.parametrize("sample, message", [
    (diarize.VoiceSample("Ms A", None, 10.0, 11.0), "needs at least 1.6 s"),
    (diarize.VoiceSample("Ms A", None, 25.0, 45.0), "goes past the end of the recording"),
])
def test_unusable_stretches_are_refused(call, sample, message):
    audio, transcript = call
    with pytest.raises(InputError, match=message):
        diarize.label_speakers(audio, transcript, speakers=2, voices=[sample])


@pytest.mark.parametrize("text, message", [("Ms A", "write it as"), ("=00:01-00:02", "write it as"),
                                           ("Ms A=00:00:20-00:00:10", "not after the start"),
                                           ("Ms A=no-such-file.m4a", "neither a file nor a stretch")])
def test_badly_written_voices_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        diarize.VoiceSample.parse(text)


def test_voice_option_through_the_command(real_speech, tmp_path):
    out = tmp_path / "t"
    result = CliRunner().invoke(cli, ["transcribe", str(real_speech / "sample.wav"), "-o", str(out), "-q",
                                      "--speakers", "2", "--voice", "Ms A (social worker)=00:00:10.6-00:00:14.4"])
    assert result.exit_code == 0, result.output
    assert "Ms A (social worker):" in (out / "transcript.txt").read_text()
    voices = json.loads((out / "report.json").read_text())["transcript"]["diarization"]["voices"]
    assert [v["name"] for v in voices] == ["Ms A (social worker)"] and voices[0]["speaker"]
    bad = CliRunner().invoke(cli, ["transcribe", str(real_speech / "sample.wav"), "-q", "--voice", "Ms A"])
    assert bad.exit_code == 2 and "write it as" in bad.stderr and "Traceback" not in bad.output


def test_a_stretch_past_the_end_fails_before_the_transcription(real_speech, tmp_path):
    from evidence import pipeline

    options = pipeline.RunOptions(voices=(diarize.VoiceSample("Ms A", None, 25.0, 60.0),))
    timings = {}

    def progress(stage, done, total):
        timings.setdefault(stage, done)

    with pytest.raises(InputError, match="goes past the end of the recording"):
        pipeline.run(real_speech / "sample.wav", options, progress)
    assert "transcribe" not in timings
