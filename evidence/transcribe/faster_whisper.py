"""Whisper through faster-whisper (CTranslate2): the default engine, about 2x openai-whisper on CPU."""

from __future__ import annotations

import dataclasses

import numpy as np

from evidence.errors import InputError
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Segment, Transcript, Word
from evidence.transcribe.models import resolve_model
from evidence.transcribe.options import TranscribeOptions

ENGINE = "faster-whisper"
SENTENCE_END = (".", "?", "!")
SPLIT_GAP_S = 1.0
"""A batched segment is split where a word ends a sentence or the next word starts this long after it."""


def cut_points(samples: np.ndarray, rate_hz: int, chunk_s: float, search_s: float, frame_s: float) -> list[int]:
    """Sample indices that split a long recording into pieces of about `chunk_s` for Whisper.

    faster-whisper computes features for its whole input at once, so memory grows with length
    (3.9 GB at 60 min in one piece); pieces keep it flat. Each cut is placed at the quietest
    `frame_s` within `search_s` of the nominal point, so that it falls in a pause, not a word."""
    chunk, search, frame = int(chunk_s * rate_hz), int(search_s * rate_hz), int(frame_s * rate_hz)
    cuts = [0]
    while cuts[-1] + chunk + search < len(samples):
        low = cuts[-1] + chunk - search
        window = samples[low : low + 2 * search]
        frames = window[: len(window) - len(window) % frame].reshape(-1, frame)
        quietest = int(np.argmin(np.einsum("ij,ij->i", frames, frames)))
        cuts.append(low + quietest * frame + frame // 2)
    return cuts + [len(samples)]


def _load(model_path: str, options: TranscribeOptions):
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    try:
        model = WhisperModel(
            model_path,
            device="cpu",
            compute_type=options.compute_type,
            cpu_threads=options.cpu_threads,
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as e:
        raise InputError(f"{model_path}: the Whisper model could not be loaded ({e})") from None
    return model, (BatchedInferencePipeline(model) if options.batch_size else None)


def _segment(s, offset_s: float) -> Segment:
    return Segment(
        start_s=round(offset_s + s.start, 3),
        end_s=round(offset_s + s.end, 3),
        text=s.text.strip(),
        avg_logprob=round(s.avg_logprob, 4),
        no_speech_prob=round(s.no_speech_prob, 4),
        compression_ratio=round(s.compression_ratio, 4),
        words=[
            Word(start_s=round(offset_s + w.start, 3), end_s=round(offset_s + w.end, 3), text=w.word,
                 probability=round(w.probability, 4))
            for w in (s.words or [])
        ],
    )


def sentences(segment: Segment) -> list[Segment]:
    """A batched segment (up to 30 s of voice activity) as sentence-sized segments, for lines a reader
    can follow: split after a word that ends a sentence, or where the next word starts SPLIT_GAP_S or
    more after it. Each part keeps the segment's avg_logprob, no_speech_prob and compression_ratio: they
    belong to Whisper's decoding window, which the sequential decoder shares among its segments too."""
    groups: list[list[Word]] = []
    for w in segment.words:
        last = groups[-1][-1] if groups else None
        if last and not last.text.rstrip().endswith(SENTENCE_END) and w.start_s - last.end_s < SPLIT_GAP_S:
            groups[-1].append(w)
        else:
            groups.append([w])
    if len(groups) < 2:
        return [segment]
    return [
        dataclasses.replace(
            segment,
            start_s=segment.start_s if n == 0 else words[0].start_s,
            end_s=segment.end_s if n == len(groups) - 1 else words[-1].end_s,
            text="".join(w.text for w in words).strip(),
            words=words,
        )
        for n, words in enumerate(groups)
    ]


def transcribe(
    audio: Audio, options: TranscribeOptions = TranscribeOptions(), progress: ProgressCallback = no_progress
) -> Transcript:
    import ctranslate2
    import faster_whisper

    model_info = resolve_model(options.model_dir)
    model, batched = _load(model_info.path, options)
    batch = {"batch_size": options.batch_size} if batched else {}
    language = options.language or (None if model.model.is_multilingual else "en")
    segments = []
    detected_language = language
    cuts = cut_points(audio.samples, audio.sample_rate_hz, options.chunk_s, options.cut_search_s, options.cut_frame_s)
    progress("transcribe", 0.0, audio.duration_s)
    for start, end in zip(cuts, cuts[1:]):
        offset_s = start / audio.sample_rate_hz
        pieces, info = (batched or model).transcribe(
            audio.samples[start:end],
            language=detected_language,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad_filter,
            condition_on_previous_text=options.condition_on_previous_text,
            temperature=list(options.temperature),
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            **batch,
        )
        # A multilingual model detects the language once, from the first piece.
        detected_language = info.language
        for s in pieces:
            segments += sentences(_segment(s, offset_s)) if batched else [_segment(s, offset_s)]
            progress("transcribe", offset_s + s.end, audio.duration_s)
    progress("transcribe", audio.duration_s, audio.duration_s)
    recorded = dataclasses.asdict(options)
    recorded["temperature"] = list(options.temperature)
    recorded["model_dir"] = model_info.path
    recorded["language"] = detected_language
    return Transcript(
        engine=ENGINE,
        engine_version=f"faster-whisper {faster_whisper.__version__}, ctranslate2 {ctranslate2.__version__}",
        model=model_info,
        language=detected_language,
        options=recorded,
        segments=segments,
    )
