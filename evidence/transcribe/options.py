"""Every option that shapes a transcript, for either engine; all are recorded in the report."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class TranscribeOptions:
    """Every option that shapes the transcript; all are recorded in the report.

    The three thresholds are Whisper's own fallback rules (GUIDE.md section 3): a window whose
    output compresses better than `compression_ratio_threshold` (repetition) or whose mean token
    log-probability is below `log_prob_threshold` is decoded again at a higher temperature;
    `no_speech_threshold` marks windows Whisper itself thinks are silent.
    """

    engine: str = "faster-whisper"
    model_dir: str | None = None
    language: str | None = None
    beam_size: int = 5
    word_timestamps: bool = True
    vad_filter: bool = True
    condition_on_previous_text: bool = False
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    compute_type: str = "int8"
    cpu_threads: int = dataclasses.field(default_factory=_cpu_count)
    chunk_s: float = 300.0
    cut_search_s: float = 30.0
    cut_frame_s: float = 0.5
    batch_size: int = 8
    """faster-whisper only: 0 decodes Whisper's 30 s windows one after another, conditioned on
    nothing; N > 0 decodes the voice-activity stretches N at a time (BatchedInferencePipeline)."""
