"""The callback types for long work (one examination, a batch of them), shared by the CLI's progress bars
and any other front end."""

from typing import Callable

# progress(stage, done, total): `stage` is a short name ("decode", "transcribe"); `done` and `total`
# are in the same unit (seconds of audio, bytes). `total` may be 0 when it is not known.
ProgressCallback = Callable[[str, float, float], None]


def no_progress(stage: str, done: float, total: float) -> None:
    """The default callback: report nothing."""


# batch_progress(finished, total, current): recordings finished (examined, skipped or failed) out of
# `total`, and the name of the one being examined ("" once none is left).
BatchProgress = Callable[[int, int, str], None]


def no_batch_progress(finished: int, total: int, current: str) -> None:
    """The default batch callback: report nothing."""
