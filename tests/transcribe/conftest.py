"""The real call, decoded and transcribed once for the speaker tests."""

import pytest

from evidence import media
from evidence.transcribe import transcribe


@pytest.fixture(scope="session")
def call(real_speech):
    path = real_speech / "sample.wav"
    audio, _ = media.decode_for_analysis(media.check_readable(path), media.probe(path))
    return audio, transcribe(audio)
