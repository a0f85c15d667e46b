"""The few exception types a user can see. The CLI prints their message on one line and exits 1."""


class EvidenceError(Exception):
    """Base class: the message is complete, plain English, and names the file concerned."""


class InputError(EvidenceError):
    """The recording, report or other input cannot be used (missing, empty, not audio, damaged)."""


class IntegrityError(EvidenceError):
    """The original recording changed while it was being examined."""


class ToolMissingError(EvidenceError):
    """A required external program (ffmpeg, ffprobe) is not installed."""
