"""The story of one examination: ingest → fingerprint → analyse → transcribe → place the findings in
the speech and keep the figure data → report.

Each stage takes plain dataclasses and returns new ones; the Report at the end is the single
source of truth from which the bundle and the exports are rendered.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from evidence import TOOL_NAME, __version__, analysis, announcement, custody, diarize, encoders, media
from evidence.detectors import Context, enf, grid
from evidence.errors import IntegrityError
from evidence.excerpts import enf_track, excerpts
from evidence.fingerprint import FileHashes, fingerprints, hash_file
from evidence.progress import ProgressCallback, no_progress
from evidence.report import SCHEMA_VERSION, Analysis, FileRecord, Provenance, Report, RunRecord, ToolInfo
from evidence.transcribe import TranscribeOptions, marks, transcribe


@dataclass(frozen=True)
class RunOptions:
    """What to run. `transcribe=None` skips transcription (as `evidence analyse` does)."""

    transcribe: TranscribeOptions | None = field(default_factory=TranscribeOptions)
    analyse: bool = True
    provenance: Provenance = field(default_factory=Provenance)
    exemplar: Path | None = None
    grid_csv: Path | None = None
    case_dir: Path | None = None
    diarize: bool = True
    speakers: int | None = None
    """The number of speakers, when known; None estimates it."""
    speaker_names: dict[str, str] = field(default_factory=dict)
    voices: tuple[diarize.VoiceSample, ...] = ()
    """Samples of known voices (--voice) that name the speakers they match."""
    speaker_encoder: str = encoders.DEFAULT
    """The voice embedder (evidence/encoders) behind speaker labels and voice samples."""


def _utc(timestamp_ns: int) -> str:
    return datetime.fromtimestamp(timestamp_ns / 1e9, tz=timezone.utc).isoformat(timespec="microseconds")


def _file_state(path: Path, progress: ProgressCallback) -> tuple[FileHashes, int, str]:
    st = os.stat(path)
    return hash_file(path, progress), st.st_size, _utc(st.st_mtime_ns)


def tool_info() -> ToolInfo:
    return ToolInfo(
        name=TOOL_NAME,
        version=__version__,
        ffmpeg_version=media.ffmpeg_version(),
        python_version=platform.python_version(),
        platform=platform.platform(),
    )


class Background:
    """`fn()` run on a daemon thread; `result()` waits for it and returns its value or raises its error.
    A daemon thread, so that an interrupted run exits at once instead of waiting for it."""

    def __init__(self, fn):
        self._value, self._error = None, None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn) -> None:
        try:
            self._value = fn()
        except BaseException as e:  # re-raised in the caller's thread by result()
            self._error = e

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def run(path: str | os.PathLike, options: RunOptions = RunOptions(), progress: ProgressCallback = no_progress) -> Report:
    timings: dict[str, float] = {}

    def timed(stage: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        timings[stage] = round(time.perf_counter() - start, 3)
        return result

    source = media.check_readable(path)
    # The other inputs are read before the long work too, so that a wrong one fails at once, whether
    # or not the recording turns out to need it (a grid record is read even if there is no hum).
    exemplar = media.probe(media.check_readable(options.exemplar)) if options.analyse and options.exemplar else None
    if options.analyse and options.grid_csv:
        grid.read_grid_csv(options.grid_csv)
    # Read first: a wrong case folder should fail before the long work, and the log is as the run began.
    custody_log = custody.log_lines(options.case_dir) if options.case_dir else []
    for voice in options.voices:
        if voice.path is not None:
            media.check_readable(voice.path)
    hashes_before, size_before, modified_before = timed("hash_before", _file_state, source, progress)
    info = timed("probe", media.probe, source)

    # The content hash and Chromaprint decode the file themselves, so they run beside the main decode.
    with ThreadPoolExecutor(max_workers=1) as pool:
        prints_future = pool.submit(timed, "fingerprint", fingerprints, source, info)
        audio, info = timed("decode", media.decode_for_analysis, source, info, progress)
        prints = prints_future.result()
    for voice in options.voices:
        # A stretch that is not there fails now, not after the transcription it would wait for.
        diarize.check_stretch(voice, audio.duration_s)

    def integrity():
        hum = timed("hum_search", enf.hum_signal, audio)
        context = Context(
            media=info,
            claimed_date=options.provenance.claimed_date,
            modified_utc=modified_before,
            exemplar=exemplar,
            grid_csv=str(options.grid_csv) if options.grid_csv else None,
            hum=hum,
            source=source,
        )
        return hum, *timed("analyse", analysis.analyse, audio, context, progress)

    # The integrity tests run while Whisper transcribes: Whisper leaves part of the cores idle
    # (faster-whisper alone, batched, used 153% of two cores on a 10-minute meeting).
    analysing = Background(integrity) if options.analyse else None
    transcript = None
    if options.transcribe is not None:
        preparing = Background(lambda: diarize.prepare(options.speaker_encoder)) if options.diarize else None
        transcript = timed("transcribe", transcribe, audio, options.transcribe, progress)
        if preparing:
            preparing.result()
        # Without a number given, the people named as present (and the one recording) are the count.
        present = diarize.count_present(options.provenance.others_present) if options.speakers is None else None
        speakers, speakers_from = ((options.speakers, "given") if options.speakers is not None else
                                   (present, "others-present") if present else (None, None))
        transcript = timed("speakers", diarize.label_speakers, audio, transcript, options.diarize, speakers,
                           options.speaker_names, progress, speakers_from, list(options.voices),
                           options.speaker_encoder)
    if analysing:
        hum, findings, result = analysing.result()
    else:
        hum, findings, result = None, [], Analysis(tests=[], conclusion="The integrity analysis was not run.")
    figures, hum_track = [], None
    if options.analyse:
        findings, result = analysis.with_speech_context(findings, result, transcript)
        figures, hum_track = timed("excerpts", lambda: (excerpts(audio, findings), enf_track(hum, audio.duration_s)))

    hashes_after, size_after, modified_after = timed("hash_after", _file_state, source, progress)
    return Report(
        schema_version=SCHEMA_VERSION,
        tool=tool_info(),
        file=FileRecord(
            path=str(source),
            name=source.name,
            size_bytes=size_before,
            modified_utc=modified_before,
            hashes_before=hashes_before,
            hashes_after=hashes_after,
            size_bytes_after=size_after,
            modified_utc_after=modified_after,
        ),
        media=info,
        fingerprints=prints,
        findings=findings,
        analysis=result,
        transcript=transcript,
        provenance=options.provenance,
        parameters={
            "analysis_rate_hz": media.ANALYSIS_RATE_HZ,
            "truncation_tolerance_s": media.TRUNCATION_TOLERANCE_S,
            "detectors": analysis.parameters(),
            **({"transcript_marks": dict(marks.PARAMETERS)} if transcript is not None else {}),
        },
        excerpts=figures,
        enf_track=hum_track,
        custody_log=custody_log,
        reviewed_transcript=None,
        run=RunRecord(generated_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"), timings_s=timings),
        # The lines the bundle numbers: the automatic transcript, marked with the thresholds recorded above.
        announcement=announcement.find(marks.lines(transcript)) if transcript is not None else None,
    )


def check_unchanged(report: Report) -> None:
    """Fail loudly when the original changed during the examination."""
    f = report.file
    if not f.unchanged:
        raise IntegrityError(
            f"{f.path}: the file changed during the examination (SHA-256 before {f.hashes_before.sha256}, "
            f"after {f.hashes_after.sha256}); the results must not be relied on"
        )
