"""Times as people read them in transcripts and subtitles."""


def _split(seconds: float) -> tuple[int, int, int, int]:
    ms_total = max(0, round(seconds * 1000))
    hours, rest = divmod(ms_total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return hours, minutes, secs, ms


def hms(seconds: float) -> str:
    """00:14:32: whole seconds, as in a court transcript."""
    hours, minutes, secs, _ = _split(float(int(seconds)))
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def hms_ms(seconds: float, separator: str = ".") -> str:
    """00:14:32.250 (WebVTT) or, with separator ",", 00:14:32,250 (SubRip)."""
    hours, minutes, secs, ms = _split(seconds)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"
