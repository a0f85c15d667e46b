"""Times as people read them in transcripts and subtitles."""

import re
from datetime import date, datetime, time, timedelta, timezone


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


def seconds(text: str) -> float:
    """hh:mm:ss[.mmm], mm:ss or seconds as seconds; ValueError otherwise."""
    match = re.fullmatch(r"(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d+)?)", text.strip())
    if not match:
        raise ValueError(text)
    hours, minutes, secs = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs)


def parse_claimed(text: str) -> tuple[datetime, bool]:
    """A claimed date or time as written on the command line: (start, date_only).

    Accepts ISO 8601: 2025-05-01, 2025-05-01T14:30, 2025-05-01 14:30:00+01:00. A time without a
    zone is kept naive (local time, unknown offset). Raises ValueError with a plain message."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time()), True
        return datetime.fromisoformat(value), False
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM, optionally with a zone such as +01:00"
        ) from None


def agrees_with_claim(when: datetime, claimed_text: str, naive_h: float, zoned_h: float,
                      slack_s: float = 0.0) -> tuple[bool, str]:
    """Does the time `when` (zone-aware) fit a claimed date or time? (agrees, the tolerance in words).

    A claimed day allows one day either side, for the UTC conversion; a claimed time allows `zoned_h`
    hours when a zone was given and `naive_h` hours when not (UK clocks are UTC or UTC+1), plus
    `slack_s` seconds (a recording's length, where `when` may fall at either end of it)."""
    claimed, date_only = parse_claimed(claimed_text)
    if date_only:
        return (abs((when.date() - claimed.date()).days) <= 1,
                "the claimed day, allowing one day either side for time zones")
    zoned = claimed.tzinfo is not None
    hours = zoned_h if zoned else naive_h
    claimed_utc = claimed if zoned else claimed.replace(tzinfo=timezone.utc)
    agrees = abs(when - claimed_utc) <= timedelta(hours=hours, seconds=slack_s)
    words = f"{hours:g} h" + (" plus the recording's length" if slack_s else "")
    return agrees, words + ("" if zoned else " (no time zone was given)")
