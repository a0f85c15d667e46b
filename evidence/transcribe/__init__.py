"""Transcription engines behind one interface: `transcribe(audio, options, progress) -> Transcript`."""

from evidence.transcribe.faster_whisper import TranscribeOptions, transcribe

__all__ = ["TranscribeOptions", "transcribe"]
