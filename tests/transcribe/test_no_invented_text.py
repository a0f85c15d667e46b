"""Whisper must not write words where nobody spoke (GUIDE.md section 3): real model, generated audio."""

import pytest

from evidence import media
from evidence.transcribe import ENGINES, TranscribeOptions, transcribe


def words_of(path, engine):
    audio, _ = media.decode_for_analysis(path, media.probe(path))
    return [w for s in transcribe(audio, TranscribeOptions(engine=engine)).segments for w in s.words], audio.duration_s


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("name", ["silence_60s", "room_hum_60s"])
def test_no_words_without_speech(fx, name, engine):
    words, _ = words_of(fx[name], engine)
    assert words == []


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_words_in_a_long_silence_between_speech(fx, engine):
    words, duration_s = words_of(fx["speech_gap_speech"], engine)
    sentence_s = (duration_s - 60.0) / 2
    inside_gap = [w for w in words if sentence_s + 0.5 < w.start_s < sentence_s + 59.5]
    assert inside_gap == []
    assert any(w.end_s <= sentence_s + 0.5 for w in words) and any(w.start_s >= sentence_s + 59.5 for w in words)
