"""Progress bars on stderr for the library's progress callback."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from evidence.progress import BatchProgress, ProgressCallback, no_batch_progress, no_progress

LABELS = {
    "hash": "Hashing file",
    "decode": "Decoding audio",
    "analyse": "Integrity analysis",
    "transcribe": "Transcribing",
    "speakers": "Labelling speakers",
    "hash:original": "Hashing original",
    "decode:original": "Decoding original",
    "hash:copy": "Hashing copy",
    "decode:copy": "Decoding copy",
    "align": "Aligning",
}


@contextmanager
def _bars(*columns) -> Iterator[Progress]:
    with Progress(*columns, console=Console(stderr=True)) as bars:
        try:
            yield bars
        except BaseException:
            # On failure the one-line error is all the user should see: drop the bars.
            for task_id in list(bars.task_ids):
                bars.remove_task(task_id)
            bars.live.transient = True
            raise


@contextmanager
def progress_bars(quiet: bool) -> Iterator[ProgressCallback]:
    if quiet:
        yield no_progress
        return
    columns = (TextColumn("{task.description:<20}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with _bars(*columns) as bars:
        tasks: dict[str, int] = {}

        def update(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(LABELS.get(stage, stage), total=total or None)
            bars.update(tasks[stage], completed=done, total=total or None)

        yield update


@contextmanager
def batch_bar(quiet: bool) -> Iterator[BatchProgress]:
    """One bar over the whole batch, in recordings, with the name of the one being examined."""
    if quiet:
        yield no_batch_progress
        return
    columns = (TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[current]}"))
    with _bars(*columns) as bars:
        task = bars.add_task("Batch", total=None, current="")

        def update(finished: int, total: int, current: str) -> None:
            bars.update(task, completed=finished, total=total, current=current)

        yield update
