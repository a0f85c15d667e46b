"""The openai-whisper engine on the same weights, converted offline from the bundled CTranslate2 model."""

import re

import jiwer
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from cli.main import cli
from evidence import media
from evidence.transcribe import TranscribeOptions, convert, transcribe
from evidence.transcribe.models import bundled_model_path

# The same bound as the faster-whisper engine's test (tests/transcribe/test_faster_whisper.py).
MAX_WER_REAL_CALL = 0.20


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "tiny.en.pt"
    result = CliRunner().invoke(cli, ["models", "convert", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_conversion_is_lossless(checkpoint_file):
    arrays = convert.read_ct2(bundled_model_path() / "model.bin")
    state = torch.load(checkpoint_file, map_location="cpu", weights_only=True)["model_state_dict"]
    fused = arrays["encoder/layer_0/self_attention/linear_0/weight"]
    n = fused.shape[0] // 3
    assert np.array_equal(state["encoder.blocks.0.attn.query.weight"].numpy(), fused[:n])
    assert np.array_equal(state["encoder.blocks.0.attn.value.weight"].numpy(), fused[2 * n :])
    assert not np.any(arrays["encoder/layer_0/self_attention/linear_0/bias"][n : 2 * n])  # key bias is zero
    kv = arrays["decoder/layer_3/attention/linear_1/weight"]
    assert np.array_equal(state["decoder.blocks.3.cross_attn.key.weight"].numpy(), kv[: kv.shape[0] // 2])
    # Every CT2 weight is used once (the output projection is the token embedding in both formats),
    # except the key biases, which openai-whisper does not have: they must all be zero.
    key_biases = [a[a.shape[0] // 3 : 2 * a.shape[0] // 3] for k, a in arrays.items()
                  if k.endswith("self_attention/linear_0/bias")]
    key_biases += [a[: a.shape[0] // 2] for k, a in arrays.items() if k.endswith("/attention/linear_1/bias")]
    assert not any(np.any(b) for b in key_biases)
    ct2_total = sum(a.size for k, a in arrays.items() if a.ndim and k != "decoder/projection/weight")
    assert sum(v.numel() for v in state.values()) == ct2_total - sum(b.size for b in key_biases)


def test_whisper_load_model_reads_the_checkpoint(checkpoint_file):
    import whisper

    model = whisper.load_model(str(checkpoint_file), device="cpu")
    assert model.dims.n_text_layer == 4 and not model.is_multilingual


@pytest.mark.parametrize("use_file", [True, False])
def test_real_call_with_openai_whisper(real_speech, checkpoint_file, use_file):
    path = real_speech / "sample.wav"
    audio, _ = media.decode_for_analysis(path, media.probe(path))
    options = TranscribeOptions(engine="openai-whisper", model_dir=str(checkpoint_file) if use_file else None)
    transcript = transcribe(audio, options)
    reference = " ".join(line.split(None, 5)[5] for line in (real_speech / "sample.stm").read_text().splitlines())
    wer = jiwer.wer(normalise(reference), normalise(transcript.text))
    assert wer <= MAX_WER_REAL_CALL, (wer, transcript.text)
    assert transcript.engine == "openai-whisper" and transcript.engine_version.startswith("openai-whisper")
    assert all(w.start_s <= w.end_s for s in transcript.segments for w in s.words)
    assert 5.5 < transcript.segments[0].start_s < 7.5


def test_cli_engine_option(fx):
    result = CliRunner().invoke(cli, ["transcribe", str(fx["speech"]), "--engine", "openai-whisper", "-q", "--json",
                                      "--speakers", "off"])
    assert result.exit_code == 0, result.output
    assert '"engine": "openai-whisper"' in result.stdout


def test_not_a_model_is_a_clear_error(fx, tmp_path):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"not a checkpoint")
    result = CliRunner().invoke(cli, ["transcribe", str(fx["speech"]), "--engine", "openai-whisper",
                                      "--model", str(bad), "-q"])
    assert result.exit_code == 1 and "not an openai-whisper checkpoint" in result.stderr
