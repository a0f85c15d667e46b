"""Transcription engines behind one interface: `transcribe(audio, options, progress) -> Transcript`.

faster-whisper (CTranslate2) is the default; openai-whisper is selectable with the same weights."""

from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Transcript
from evidence.transcribe import faster_whisper, openai_whisper
from evidence.transcribe.options import TranscribeOptions

ENGINES = {faster_whisper.ENGINE: faster_whisper.transcribe, openai_whisper.ENGINE: openai_whisper.transcribe}


def transcribe(audio: Audio, options: TranscribeOptions = TranscribeOptions(),
               progress: ProgressCallback = no_progress) -> Transcript:
    return ENGINES[options.engine](audio, options, progress)


__all__ = ["ENGINES", "TranscribeOptions", "transcribe"]
