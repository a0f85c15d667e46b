import os

import numpy as np
import pytest

from evidence import media
from evidence.errors import InputError


def test_probe_describes_wav(fx):
    info = media.probe(fx["speech"])
    assert info.format_name == "wav"
    assert info.audio_stream.codec_name == "pcm_s16le"
    assert info.audio_stream.sample_rate_hz == 16000
    assert info.audio_stream.channels == 1
    assert info.container_duration_s == pytest.approx(3.26, abs=0.3)


def test_probe_lists_video_stream_and_picks_audio(fx):
    info = media.probe(fx["video_audio"])
    kinds = {s.codec_type for s in info.streams}
    assert kinds == {"video", "audio"}
    assert info.audio_stream.codec_type == "audio"


def test_decode_gives_mono_16k_float_of_the_right_length(fx):
    info = media.probe(fx["speech"])
    audio, decoded = media.decode_for_analysis(fx["speech"], info)
    assert audio.sample_rate_hz == 16000
    assert audio.samples[:].dtype == np.float32
    assert decoded.decoded_duration_s == pytest.approx(info.container_duration_s, abs=0.01)
    assert 0.01 < np.abs(audio.samples[:]).max() <= 1.0


def test_decode_in_small_blocks_gives_the_same_samples(fx):
    info = media.probe(fx["speech_m4a"])
    whole, _ = media.decode_for_analysis(fx["speech_m4a"], info)
    decoder = media.PcmDecoder(fx["speech_m4a"], info.audio_stream_index, "f32le", 16000, 1)
    pieces = b"".join(decoder.blocks(block_bytes=4099))
    assert np.array_equal(np.frombuffer(pieces, np.float32), whole.samples[:])


@pytest.mark.parametrize("name", ["speech_flac", "speech_m4a", "speech_mp3", "speech_ogg", "speech_webm",
                                  "speech_3gp", "speech_mov", "video_audio"])
def test_phone_and_web_formats_decode_to_the_same_length(fx, name):
    reference = media.probe(fx["speech"]).container_duration_s
    info = media.probe(fx[name])
    audio, decoded = media.decode_for_analysis(fx[name], info)
    # Lossy encoders pad by up to a few tens of ms; the video fixture's audio is cut near its 2 s picture.
    expected = info.audio_stream.duration_s if name == "video_audio" else reference
    assert decoded.decoded_duration_s == pytest.approx(expected, abs=0.1)
    assert np.abs(audio.samples[:]).max() > 0.05


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty", "is empty (0 bytes)"),
        ("random", "not a readable audio or video file"),
        ("text_m4a", "not a readable audio or video file"),
        ("truncated_m4a", "truncated"),
        ("truncated_faststart_m4a", "truncated or damaged"),
        ("video_no_audio", "has no audio stream (streams found: video"),
    ],
)
def test_bad_inputs_are_refused_with_the_reason(fx, name, reason):
    with pytest.raises(InputError) as caught:
        info = media.probe(fx[name])
        media.decode_for_analysis(fx[name], info)
    message = str(caught.value)
    assert reason in message
    assert str(fx[name]) in message
    assert "\n" not in message


def test_missing_path_and_directory_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        media.check_readable(tmp_path / "missing.wav")
    with pytest.raises(InputError, match="is a directory"):
        media.check_readable(tmp_path)
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(InputError, match="cannot be opened"):
        media.check_readable(not_a_folder / "recording.wav")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can read any file")
def test_unreadable_file_is_refused(fx, tmp_path):
    locked = tmp_path / "locked.wav"
    locked.write_bytes(fx["speech"].read_bytes())
    locked.chmod(0)
    with pytest.raises(InputError, match="cannot be"):
        media.check_readable(locked)


def test_file_protocol_keeps_odd_names_local(fx, tmp_path):
    odd = tmp_path / "concat:x|y.wav"
    odd.write_bytes(fx["speech"].read_bytes())
    assert media.probe(odd).format_name == "wav"


def test_container_layout_of_mp4_and_wav(fx):
    assert [b.id for b in media.probe(fx["speech_m4a"]).layout] == ["ftyp", "free", "mdat", "moov"]
    wav = media.probe(fx["speech"])
    assert [b.id for b in wav.layout] == ["fmt ", "data"]
    data = wav.layout[-1]
    assert data.offset + data.size == fx["speech"].stat().st_size == wav.size_bytes
    assert media.probe(fx["speech_mp3"]).layout == []


def test_sample_file_reads_slices_like_an_array():
    x = np.arange(10_000, dtype=np.float32) / 10_000
    samples = media.SampleFile.written([x[:3000], x[3000:]])
    assert len(samples) == len(x)
    assert np.array_equal(samples[:], x)
    assert np.array_equal(samples[2990:3010], x[2990:3010])
    assert np.array_equal(samples[-5:], x[-5:])
    assert samples[-1] == x[-1] and samples[4321] == x[4321]
    assert len(samples[20_000:30_000]) == 0
    with pytest.raises(IndexError):
        samples[10_000]
    with pytest.raises(IndexError):
        samples[::2]
    with pytest.raises(TypeError):
        np.asarray(samples)  # never the whole recording by accident


def test_decoded_audio_is_read_from_a_file_not_held(fx):
    audio, _ = media.decode_for_analysis(fx["speech"], media.probe(fx["speech"]))
    assert isinstance(audio.samples, media.SampleFile)
