"""Whisper through openai-whisper (PyTorch): the reference implementation, selectable with
`--engine openai-whisper` (the `openai` extra). It never downloads: the model is either a checkpoint
made by `evidence models convert` (loaded with `whisper.load_model(path)`) or a CTranslate2 model
folder (the bundled tiny.en by default) converted in memory. Voice activity comes from faster-whisper's
Silero VAD: each stretch of speech (stretches less than MERGE_GAP_S apart joined, within pieces of
about `chunk_s`) is transcribed on its own, so that both engines skip the same non-speech.
(openai-whisper's own `clip_timestamps` was tried and did not finish on speech-60 s silence-speech.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from pathlib import Path

from evidence.errors import InputError
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import ModelInfo, Segment, Transcript, Word
from evidence.transcribe import convert
from evidence.transcribe.faster_whisper import cut_points
from evidence.transcribe.models import BUNDLED_MODEL_NAME, bundled_model_path, resolve_model

ENGINE = "openai-whisper"
MERGE_GAP_S = 2.0
MISSING_EXTRA = ("the openai-whisper engine is not installed: run scripts/install.sh, or "
                 "pip install 'recording-evidence[openai]'")


def _set_alignment_heads(model, heads: list[list[int]]) -> None:
    import torch

    if not heads:
        return
    mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)


def load(model_path: str | None):
    """(model, ModelInfo) from a converted checkpoint file, or a CTranslate2 folder (default: bundled)."""
    try:
        import torch
        import whisper
    except ImportError:
        raise InputError(MISSING_EXTRA) from None
    path = Path(model_path) if model_path else bundled_model_path()
    if path.is_file():
        try:
            model = whisper.load_model(str(path), device="cpu")
            heads = torch.load(path, map_location="cpu", weights_only=True).get("alignment_heads", [])
        except (EOFError, pickle.UnpicklingError):
            raise InputError(f"{path}: not an openai-whisper checkpoint (not a PyTorch file holding only "
                             "weights; make one with `evidence models convert`)") from None
        except (RuntimeError, KeyError, OSError, ValueError) as e:
            raise InputError(f"{path}: not an openai-whisper checkpoint ({str(e).splitlines()[0]})") from None
        _set_alignment_heads(model, heads)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return model, ModelInfo(name=path.stem, path=str(path.absolute()), sha256=digest)
    info = resolve_model(model_path)
    if not model_path:
        info = dataclasses.replace(info, name=BUNDLED_MODEL_NAME)
    ckpt = convert.checkpoint(info.path)
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**ckpt["dims"]))
    model.load_state_dict(ckpt["model_state_dict"])
    _set_alignment_heads(model, ckpt["alignment_heads"])
    return model.eval(), info


def pieces(audio: Audio, options) -> list[tuple[int, int]]:
    """(start, end) sample indices of the pieces transcribed: pieces of about `chunk_s` cut in pauses
    (as the faster-whisper engine cuts them), and within each, with `vad_filter`, the stretches of
    speech by Silero VAD, stretches closer than MERGE_GAP_S joined. Piece by piece, so that neither the
    voice detector nor Whisper ever holds the whole recording."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    cuts = cut_points(audio.samples, audio.sample_rate_hz, options.chunk_s, options.cut_search_s, options.cut_frame_s)
    if not options.vad_filter:
        return list(zip(cuts, cuts[1:]))
    out: list[tuple[int, int]] = []
    for lo, hi in zip(cuts, cuts[1:]):
        merged: list[tuple[int, int]] = []
        for span in get_speech_timestamps(audio.samples[lo:hi], VadOptions()):
            if merged and span["start"] - merged[-1][1] < MERGE_GAP_S * audio.sample_rate_hz:
                merged[-1] = (merged[-1][0], span["end"])
            else:
                merged.append((span["start"], span["end"]))
        out += [(lo + start, lo + end) for start, end in merged]
    return out


def _segment(s: dict, offset_s: float) -> Segment:
    return Segment(
        start_s=round(offset_s + s["start"], 3), end_s=round(offset_s + s["end"], 3), text=s["text"].strip(),
        avg_logprob=round(s["avg_logprob"], 4), no_speech_prob=round(s["no_speech_prob"], 4),
        compression_ratio=round(s["compression_ratio"], 4),
        words=[Word(start_s=round(offset_s + w["start"], 3), end_s=round(offset_s + w["end"], 3), text=w["word"],
                    probability=round(w["probability"], 4)) for w in s.get("words", [])],
    )


def transcribe(audio: Audio, options, progress: ProgressCallback = no_progress) -> Transcript:
    import torch
    import whisper

    model, model_info = load(options.model_dir)
    torch.set_num_threads(options.cpu_threads)
    language = options.language or (None if model.is_multilingual else "en")
    stretches = pieces(audio, options)
    progress("transcribe", 0.0, audio.duration_s)
    segments: list[Segment] = []
    detected = language
    for start, end in stretches:
        offset_s = start / audio.sample_rate_hz
        result = whisper.transcribe(
            model, audio.samples[start:end], language=detected, temperature=tuple(options.temperature),
            compression_ratio_threshold=options.compression_ratio_threshold,
            logprob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            condition_on_previous_text=options.condition_on_previous_text,
            word_timestamps=options.word_timestamps, beam_size=options.beam_size, fp16=False, verbose=None,
        )
        # A multilingual model detects the language once, from the first stretch.
        detected = result.get("language", detected)
        segments += [_segment(s, offset_s) for s in result["segments"]]
        progress("transcribe", end / audio.sample_rate_hz, audio.duration_s)
    progress("transcribe", audio.duration_s, audio.duration_s)
    recorded = dataclasses.asdict(options)
    recorded.update(temperature=list(options.temperature), model_dir=model_info.path, language=detected,
                    compute_type="float32")
    # openai-whisper decodes one window at a time; faster-whisper's batching has no counterpart here.
    del recorded["batch_size"]
    return Transcript(
        engine=ENGINE,
        engine_version=f"openai-whisper {whisper.__version__}, torch {torch.__version__}",
        model=model_info,
        language=detected or "",
        options=recorded,
        segments=segments,
    )
