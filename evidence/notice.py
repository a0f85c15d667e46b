"""A parent's notice that they intend to record a meeting, as a letter to the social worker or the
meeting's organiser (PDF and Word), following what guidance on parents recording meetings asks of
such a notice (Hertfordshire County Council, 2023): the meeting, given as soon as it is known or at
least 48 hours before (2.5), why the parent wants to record it (2.5), the undertaking not to distribute
the recording (1.3), and a copy for the chair on request (3.3b).

The letter is only written: nothing here sends it. The parent sends it and keeps a copy. Every answer
is checked before anything is written; a notice given less than NOTICE_H before the meeting is still
written, with a warning in it and on screen, as late notice is better than none.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape

from docx import Document
from docx.shared import Pt
from reportlab.platypus import Spacer

from evidence import __version__
from evidence.bundle import layout
from evidence.bundle.blocks import field_table, para
from evidence.errors import InputError
from evidence.exports import _without_zip_times

NOTICE_H = 48
"""The guidance's shortest notice, in hours before the meeting."""
LONGEST_AHEAD_D = 366
"""A meeting further than this after the letter is almost certainly a mistyped year."""
MAX_NAME_CHARS = 100
MAX_LINE_CHARS = 200
MAX_REASON_CHARS = 1000
MAX_CHILDREN = 20

REASONS = {
    "verbatim": "So that I have an accurate, word-for-word record of what was said, which I can refer back to.",
    "recall": "Because I find it hard to follow everything that is said in meetings like this, or to remember "
              "it accurately afterwards.",
    "minutes": "Because I am worried that the minutes may not record fully or accurately what was said.",
}
"""The reasons the guidance recognises, by the key the command line and the form use, as the letter puts them."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Notice:
    """The letter's answers, checked on creation (InputError naming the answer, in one line)."""

    parent_name: str
    recipient_name: str
    recipient_role: str
    """e.g. "social worker", "chair of the child protection conference"."""
    meeting: str
    """What the meeting is, e.g. "Child protection review conference"."""
    meeting_start: datetime
    """Local time, as the invitation gives it."""
    place: str
    reasons: tuple[str, ...]
    """Keys of REASONS, in REASONS' order."""
    other_reason: str | None
    sent: datetime
    """When the letter is sent; a date given alone counts as the end of that day (see parse_sent)."""
    children: tuple[str, ...] = ()

    def __post_init__(self):
        for label, value, limit in (("Your name", self.parent_name, MAX_NAME_CHARS),
                                    ("Recipient's name", self.recipient_name, MAX_NAME_CHARS),
                                    ("Recipient's role", self.recipient_role, MAX_NAME_CHARS),
                                    ("Meeting", self.meeting, MAX_LINE_CHARS),
                                    ("Place", self.place, MAX_LINE_CHARS)):
            _check_line(label, value, limit)
        for name in self.children:
            _check_line("Child's name", name, MAX_NAME_CHARS)
        if len(self.children) > MAX_CHILDREN:
            raise InputError(f"Children: give at most {MAX_CHILDREN} names")
        unknown = [r for r in self.reasons if r not in REASONS]
        if unknown:
            raise InputError(f"Reason {unknown[0]!r}: choose from {', '.join(REASONS)}")
        if self.other_reason is not None:
            _check_line("Other reason", self.other_reason, MAX_REASON_CHARS)
        if not self.reasons and self.other_reason is None:
            raise InputError("Reasons: give at least one reason for recording, from the list or in your own words")
        if self.meeting_start < self.sent:
            raise InputError(f"Meeting date: the meeting ({_when(self.meeting_start)}) is before the notice is "
                             f"sent ({_day(self.sent)})")
        if self.meeting_start - self.sent > timedelta(days=LONGEST_AHEAD_D):
            raise InputError(f"Meeting date: {self.meeting_start.date().isoformat()} is more than a year after the "
                             "notice is sent; check the year")

    @property
    def notice_h(self) -> float:
        """Hours from sending to the start of the meeting."""
        return (self.meeting_start - self.sent).total_seconds() / 3600

    @property
    def short(self) -> str | None:
        """How this notice falls short of the guidance, in the letter's words, or None."""
        if self.notice_h >= NOTICE_H:
            return None
        return f"less than the {NOTICE_H} hours that guidance on parents recording meetings asks for"

    @property
    def warning(self) -> str | None:
        """What the person making the letter is told when the notice is short, or None."""
        if self.short is None:
            return None
        return (f"this notice is given {_hours(self.notice_h)} before the meeting, {self.short}. Send it as soon "
                "as you can; the letter says that the notice is short.")


def _check_line(label: str, value: str, limit: int) -> None:
    if not value.strip():
        raise InputError(f"{label}: it is empty; fill it in")
    if _CONTROL.search(value):
        raise InputError(f"{label}: write it on one line, as plain text")
    if len(value) > limit:
        raise InputError(f"{label}: keep it to {limit} characters")


def parse_date(label: str, text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise InputError(f"{label}: {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-09")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{label}: {text!r} is not a real date") from None


def parse_time(label: str, text: str) -> time:
    if not re.fullmatch(r"\d{1,2}:\d{2}", text.strip()):
        raise InputError(f"{label}: {text!r} is not a time; write it as HH:MM (24-hour clock), e.g. 14:30")
    hours, minutes = (int(x) for x in text.strip().split(":"))
    if hours > 23 or minutes > 59:
        raise InputError(f"{label}: {text!r} is not a time of day")
    return time(hours, minutes)


def parse_sent(text: str | None, now: datetime) -> datetime:
    """When the letter is sent: `now` (to the minute) when not given; YYYY-MM-DD HH:MM; or a date alone,
    counted as 23:59 that day so that the notice is never thought longer than it may be."""
    if text is None or not text.strip():
        return now.replace(second=0, microsecond=0)
    day, _, clock = text.strip().replace("T", " ").partition(" ")
    return datetime.combine(parse_date("Date sent", day), parse_time("Date sent", clock) if clock else time(23, 59))


def split_names(text: str) -> tuple[str, ...]:
    """Children's names as typed in one box: one a line, or separated by commas."""
    return tuple(name.strip() for name in re.split(r"[,\n]", text) if name.strip())


def from_answers(*, parent_name: str, recipient_name: str, recipient_role: str, meeting: str, meeting_date: str,
                 meeting_time: str, place: str, reasons: list[str] | tuple[str, ...], other_reason: str | None,
                 sent: str | None, children: list[str] | tuple[str, ...], now: datetime) -> Notice:
    """A Notice from the answers as typed (the command's options, the page's form), checked."""
    given = set(reasons)
    return Notice(
        parent_name=parent_name.strip(),
        recipient_name=recipient_name.strip(),
        recipient_role=recipient_role.strip(),
        meeting=meeting.strip(),
        meeting_start=datetime.combine(parse_date("Meeting date", meeting_date),
                                       parse_time("Meeting time", meeting_time)),
        place=place.strip(),
        reasons=tuple(r for r in REASONS if r in given) + tuple(sorted(given - set(REASONS))),
        # A reason typed over several lines in the page's box becomes one paragraph of the letter.
        other_reason=" ".join(other_reason.split()) if other_reason and other_reason.strip() else None,
        sent=parse_sent(sent, now),
        children=tuple(c.strip() for c in children),
    )


def _day(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def _when(when: datetime) -> str:
    return f"{when:%A} {_day(when)} at {when:%H:%M}"


def _hours(hours: float) -> str:
    whole = int(hours)
    days, rest = divmod(whole, 24)
    if days < 2:
        return f"{whole} hour{'s' if whole != 1 else ''}"
    return f"{days} days and {rest} hour{'s' if rest != 1 else ''} ({whole} hours)"


def _reasons(n: Notice) -> list[str]:
    return [REASONS[r] for r in n.reasons] + ([n.other_reason] if n.other_reason else [])


def _children(n: Notice) -> str:
    if not n.children:
        return "my children"
    names = list(n.children)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def letter(n: Notice) -> dict:
    """The letter's words, shared by the PDF and the Word file, so the two say the same."""
    children = _children(n)
    return {
        "subject": f"Notice that I intend to record the meeting on {_day(n.meeting_start)}",
        "opening": "I am writing to let you know that I intend to make an audio recording of this meeting, "
                   "so that you can tell the chair and the other people attending before it takes place.",
        "meeting": [("Meeting", n.meeting), ("Date and time", _when(n.meeting_start)), ("Place", n.place)]
                   + ([("Children", ", ".join(n.children))] if n.children else []),
        "reasons": _reasons(n),
        "undertakings": [
            "I will not share, distribute or publish the recording, or any part of it, in any form, including on "
            "social media.",
            f"I will use it only in connection with children's services' involvement with {children}, or with any "
            f"court proceedings concerning {children}.",
            "If the chair of the meeting asks for a copy of the recording, I will give them one.",
        ],
        "closing": "If you think there is a reason the meeting should not be recorded, please tell me before the "
                   "meeting, so that we can discuss it.",
        "record": f"Notice sent {_day(n.sent)}, {_hours(n.notice_h)} before the meeting"
                  + (f": {n.short}." if n.short else "."),
    }


def to_pdf(n: Notice) -> bytes:
    words = letter(n)
    story = [
        para(f"From: {escape(n.parent_name)}"),
        para(f"To: {escape(n.recipient_name)}, {escape(n.recipient_role)}"),
        para(f"Date: {_day(n.sent)}"),
        Spacer(1, 8),
        para(escape(words["subject"]), "h1"),
        para(f"Dear {escape(n.recipient_name)},"),
        para(escape(words["opening"])),
        field_table(words["meeting"]),
        Spacer(1, 8),
        para("Why I want to record it", "h2"),
        *[para(f"• {escape(r)}") for r in words["reasons"]],
        para("What I will do with the recording", "h2"),
        *[para(f"• {escape(u)}") for u in words["undertakings"]],
        para(escape(words["closing"])),
        Spacer(1, 6),
        para("Yours sincerely,"),
        Spacer(1, 18),
        para(escape(n.parent_name)),
        Spacer(1, 12),
        para(escape(words["record"]), "small"),
    ]
    pdf = io.BytesIO()
    layout.build(pdf, story, title=words["subject"], subject=f"From {n.parent_name} to {n.recipient_name}",
                 footer=f"Notice of intent to record · sent {_day(n.sent)} · made with evidence {__version__}",
                 header=f"{n.parent_name} to {n.recipient_name}: notice of intent to record")
    return pdf.getvalue()


def to_docx(n: Notice) -> bytes:
    words = letter(n)
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.core_properties.title = words["subject"]
    doc.core_properties.author = n.parent_name
    for line in (f"From: {n.parent_name}", f"To: {n.recipient_name}, {n.recipient_role}", f"Date: {_day(n.sent)}"):
        doc.add_paragraph(line)
    doc.add_heading(words["subject"], level=1)
    doc.add_paragraph(f"Dear {n.recipient_name},")
    doc.add_paragraph(words["opening"])
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in words["meeting"]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.add_heading("Why I want to record it", level=2)
    for reason in words["reasons"]:
        doc.add_paragraph(reason, style="List Bullet")
    doc.add_heading("What I will do with the recording", level=2)
    for undertaking in words["undertakings"]:
        doc.add_paragraph(undertaking, style="List Bullet")
    doc.add_paragraph(words["closing"])
    doc.add_paragraph("Yours sincerely,")
    doc.add_paragraph(n.parent_name)
    doc.add_paragraph(words["record"]).runs[0].font.size = Pt(9)
    out = io.BytesIO()
    doc.save(out)
    return _without_zip_times(out.getvalue())


def files(n: Notice) -> dict[str, bytes]:
    """notice.pdf and notice.docx, the same letter."""
    return {"notice.pdf": to_pdf(n), "notice.docx": to_docx(n)}
