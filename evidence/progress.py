"""One callback type for long work, shared by the CLI's progress bars and any other front end."""

from typing import Callable

# progress(stage, done, total): `stage` is a short name ("decode", "transcribe"); `done` and `total`
# are in the same unit (seconds of audio, bytes). `total` may be 0 when it is not known.
ProgressCallback = Callable[[str, float, float], None]


def no_progress(stage: str, done: float, total: float) -> None:
    """The default callback: report nothing."""
