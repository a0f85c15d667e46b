"""Was the recording announced? Where the transcript has someone saying that the meeting is recorded,
asking permission to record it, giving or refusing that permission, and where a new voice first speaks
later on (someone joined, when guidance such as Hertfordshire's, 2.11, asks for permission again).

Phrases, not a model: each line's text is normalised (lower case, Whisper's punctuation and the
recogniser's [unclear: ...] marks removed, contractions spelled out) and matched against patterns built
from word groups, so that every match can be quoted and explained. docs/announcement.md gives the method,
its measured precision and recall, and what it cannot show.
"""

from __future__ import annotations

import re

from evidence.exports import transcript_lines
from evidence.report import Announcement, Join, Mention, MentionKind, Report, Verdict
from evidence.timecode import hms
from evidence.transcribe.marks import Line

PARAMETERS = {
    "discussion_min_words": 4,
    "before_discussion_lines": 3,
    "before_discussion_within_s": 60.0,
    "answer_lines": 2,
    "answer_within_s": 15.0,
    "joined_after_s": 60.0,
    "raised_around_join_s": [-20.0, 120.0],
}
"""A line of discussion has at least `discussion_min_words` words and is neither a greeting nor about the
recording. The recording was raised before the discussion began when fewer than `before_discussion_lines`
lines of discussion came before it and it began within `before_discussion_within_s` (chosen on the
development half of bench/announcement). An answer is looked for in the next `answer_lines` lines of
another speaker within `answer_within_s`. A voice whose first line starts after `joined_after_s` joined
later; the recording was raised again for it when a mention starts within `raised_around_join_s` of that
line (from 20 s before, as the greeting may come first, to 2 minutes after)."""


_CONTRACTIONS = [
    (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"\bwon't\b", "will not"), (r"\bshan't\b", "shall not"),
    (r"n't\b", " not"), (r"'re\b", " are"), (r"'ve\b", " have"), (r"'ll\b", " will"), (r"'d\b", " would"),
    (r"'m\b", " am"), (r"\b(it|that|what|there|here|he|she|who|everyone|everybody)'s\b", r"\1 is"),
    (r"\blet's\b", "let us"), (r"'s\b", ""),
    (r"\bo\.?k\.?\b", "okay"), (r"\balright\b", "all right"), (r"\bgonna\b", "going to"), (r"\bwanna\b", "want to"),
    (r"\bdont\b", "do not"), (r"\bim\b", "i am"),
]


def normalise(text: str) -> str:
    """Lower case, words separated by single spaces, with the marks, punctuation (Whisper's and
    hyphens: "re-cording") and contractions ("I'm", "don't") that vary between transcripts taken out."""
    t = re.sub(r"\[unclear: ([^\]]*?)\??\]", r"\1", text).lower().replace("\u2019", "'")
    t = re.sub(r"(?<=\w)-(?=\w)", "", t)
    for pattern, spelled in _CONTRACTIONS:
        t = re.sub(pattern, spelled, t)
    return " ".join(re.sub(r"[^a-z0-9']+", " ", t).replace("'", "").split())


_REC = r"(?:record|recording|recorded|tape|taping|taped)"
# What a meeting is recorded as: not "record that", "record the decision", "record your views".
_WHOLE = (r"(?:this|it|us|you|everyone|everybody|everything|today|our \w+|the (?:meeting|conversation|session|"
          r"discussion|call|visit|interview|whole \w+)|what (?:is|we|you)|all of (?:this|it|us))")
# "record" as a noun: "the records", "her school record", "for the record", "off the record".
_NOUN_BEFORE = {"the", "a", "an", "her", "his", "their", "its", "your", "my", "school", "medical", "criminal",
                "attendance", "police", "clean", "good", "bad", "health", "track", "court", "written", "phone"}
# Recorded in writing: "record it in the minutes", "recorded on file", "write it down".
_IN_WRITING = re.compile(r"^(?:\w+ ){0,4}(?:(?:in|on|into|onto|for) (?:the |my |your |our |his |her |a )?(?:\w+ )?"
                         r"(?:minutes|notes|note|file|plan|report|system|records|case|diary|log|book|form)|down)\b")

_REFERENCES = {
    "being recorded": re.compile(rf"\b(?:being|be|get|getting|been) (?:\w+ )?(?:recorded|taped)\b"),
    "meeting is recorded": re.compile(r"\b(?:this|meeting|conversation|call|session|discussion) (?:\w+ ){0,2}"
                                      r"(?:is|are|will be) (?:recorded|taped)\b"),
    "record the meeting": re.compile(rf"\b{_REC} {_WHOLE}\b"),
    "a recording of the meeting": re.compile(rf"\brecording (?:of|on) {_WHOLE}\b"),
    "I am recording": re.compile(r"\b(?:i|we) (?:am|are|will be|have been|was|were|will|would|want to|am going to|"
                                 r"are going to|will be going to) (?:\w+ )?(?:recording|taping)\b"),
    "the phone is recording": re.compile(r"\b(?:phone|dictaphone|recorder|device|app|mobile|tablet|ipad) "
                                         r"(?:\w+ ){0,3}recording\b"),
    "start recording": re.compile(r"\b(?:start|started|starting|press|pressed|hit|turn on|turned on|switch on|"
                                  r"switched on|put on|keep|kept|stop|stopped|carry on) (?:\w+ ){0,2}"
                                  r"(?:recording|recorder|record button)\b"),
    "making a recording": re.compile(r"\b(?:make|making|made|do|doing|take|taking) (?:a|an) (?:\w+ )?recording\b"),
    "the recorder is on": re.compile(r"\b(?:recorder|recording) (?:is |will be |has been |was )?(?:on|running|"
                                     r"going|started)\b"),
    "permission to record": re.compile(rf"\b(?:permission|consent|agree|agreement|okay|all right|fine|happy|mind|"
                                       rf"object|objection) (?:\w+ ){{0,4}}{_REC}\b"),
}
# What the words before a "being recorded" say is recorded, when it is a thing written down, not the meeting.
_WRITTEN_THINGS = {"views", "objection", "objections", "concern", "concerns", "decision", "comments", "wishes",
                   "complaint", "point", "answer", "outcome", "disagreement", "details"}

_REFUSAL = re.compile(r"\b(?:do not want|would rather (?:you|we|not)|rather you did not|please do not|"
                      r"(?:you|we) (?:can not|are not allowed to|may not|must not|should not)|not allowed|"
                      r"do not consent|does not consent|i object|not (?:happy|comfortable|okay|all right) (?:with|about|"
                      r"being|for)|refuse|(?:turn|switch) (?:it|that|this|the \w+) off|stop recording)\b")
_ASKING = re.compile(r"\b(?:is it|is that|would it be|will it be|are you|is everyone|is everybody|would you|do you|"
                     r"does anyone|does anybody|can i|could i|may i|can we|could we|may we|mind if|mind me|mind being|"
                     r"okay if|okay with|all right if|all right with|fine if|fine with|happy for|happy with|happy if|"
                     r"permission|consent|agree|any objection|object)\b")
_GIVEN_FIRST = re.compile(r"\b(?:no problem|not at all|do not mind|no objection|no worries|of course|that is fine|"
                          r"go ahead|fine (?:with|by) me|i am (?:fine|happy|okay)|happy with that|(?<!not )sure|certainly|"
                          r"absolutely|that is okay|that is all right)\b")
_REFUSED = re.compile(r"\b(?:no|rather you did not|rather not|do not want|not comfortable|not happy|"
                      r"please do not|i object|not okay)\b")
_GIVEN = re.compile(r"\b(?:yes|yeah|yep|okay|all right|fine|go on)\b")
_GREETING = re.compile(r"^(?:right |okay |so |well )*(?:hello|hi|good (?:morning|afternoon|evening)|thank you|thanks|"
                       r"shall we (?:start|begin)|let us (?:start|begin)|welcome|nice to meet)")


def _reference(text: str) -> str | None:
    """The name of the first pattern that finds the recording of the meeting in `text` (normalised)."""
    for name, pattern in _REFERENCES.items():
        for m in pattern.finditer(text):
            before, matched = text[: m.start()].split(), m.group(0).split()
            after = text[m.end():].strip()
            # Every pattern holds a record- or tap- word; the word just before it tells a noun from a verb.
            at = len(before) + next(i for i, w in enumerate(matched) if w.startswith(("record", "tap")))
            word_before = (before + matched)[at - 1] if at else ""
            if name in ("record the meeting", "permission to record") and word_before in _NOUN_BEFORE:
                continue
            if name == "being recorded" and _WRITTEN_THINGS & set(before[-4:]):
                continue
            if _IN_WRITING.match(after):
                continue
            return name
    return None


def _answer(text: str) -> MentionKind | None:
    if _GIVEN_FIRST.search(text):
        return "permission-given"
    if _REFUSED.search(text):
        return "permission-refused"
    if _GIVEN.search(text):
        return "permission-given"
    return None


def find(lines: list[Line]) -> Announcement:
    """Where the recording is raised in these numbered lines (numbered from 1, pauses included, as the
    bundle shows them), and when each voice first speaks."""
    p = PARAMETERS
    mentions: dict[int, Mention] = {}
    for n, line in enumerate(lines, 1):
        if line.kind != "speech":
            continue
        text = normalise(line.text)
        cue = _reference(text)
        if cue is None:
            continue
        kind: MentionKind = ("permission-refused" if _REFUSAL.search(text)
                      else "permission-asked" if _ASKING.search(text) else "announcement")
        mentions[n] = Mention(n, line.start_s, line.end_s, line.speaker, kind, line.text, cue)
    for n, asked in sorted(mentions.items()):
        if asked.kind == "permission-asked":
            _look_for_answer(lines, asked, mentions)
    found = sorted(mentions.values(), key=lambda m: m.line)
    joins = _joins(lines, found)
    if not found:
        return Announcement("not-found", [], joins, _not_found(lines) + _joins_sentence(joins), dict(PARAMETERS))
    # Answers only follow a request, so the first mention is always the recording being raised.
    first = found[0]
    before = _discussion_lines_before(lines, first.line, set(mentions))
    verdict: Verdict = ("announced-before-discussion"
                        if before < p["before_discussion_lines"] and first.start_s <= p["before_discussion_within_s"]
                        else "announced-later")
    return Announcement(verdict, found, joins, _found(verdict, first, before, found) + _joins_sentence(joins),
                        dict(PARAMETERS))


def _look_for_answer(lines: list[Line], asked: Mention, mentions: dict[int, Mention]) -> None:
    p = PARAMETERS
    seen = 0
    for n in range(asked.line + 1, len(lines) + 1):
        line = lines[n - 1]
        if line.start_s - asked.end_s > p["answer_within_s"] or seen >= p["answer_lines"]:
            return
        if line.kind != "speech" or (line.speaker is not None and line.speaker == asked.speaker):
            continue
        seen += 1
        if n in mentions:
            if mentions[n].kind == "permission-refused":
                return
            continue
        kind = _answer(normalise(line.text))
        if kind is not None:
            mentions[n] = Mention(n, line.start_s, line.end_s, line.speaker, kind, line.text,
                                  f"answer to line {asked.line}")
            return


def _discussion_lines_before(lines: list[Line], number: int, about_recording: set[int]) -> int:
    count = 0
    for n, line in enumerate(lines[: number - 1], 1):
        text = normalise(line.text)
        if (line.kind == "speech" and n not in about_recording
                and len(text.split()) >= PARAMETERS["discussion_min_words"] and not _GREETING.match(text)):
            count += 1
    return count


def _joins(lines: list[Line], mentions: list[Mention]) -> list[Join]:
    low_s, high_s = PARAMETERS["raised_around_join_s"]
    first: dict[str, tuple[int, Line]] = {}
    for n, line in enumerate(lines, 1):
        if line.kind == "speech" and line.speaker is not None and line.speaker not in first:
            first[line.speaker] = (n, line)
    return [Join(who, n, line.start_s,
                 any(m.kind in ("announcement", "permission-asked") and low_s <= m.start_s - line.start_s <= high_s
                     for m in mentions))
            for who, (n, line) in first.items() if line.start_s > PARAMETERS["joined_after_s"]]


_LIMITS = ("Found by matching phrases in the automatic transcript: a wording these phrases do not cover, or one the "
           "recogniser misheard, is missed, and a match can come from a misheard word; check the lines quoted against "
           "the recording. It cannot show whether everyone heard or understood what was said.")


def _where(m: Mention) -> str:
    return f"line {m.line} ({hms(m.start_s)}{', ' + m.speaker if m.speaker else ''})"


_KIND_WORDS = {"announcement": "the recording announced", "permission-asked": "permission to record asked",
               "permission-given": "permission given", "permission-refused": "the recording refused or objected to"}


def _found(verdict: Verdict, first: Mention, before: int, found: list[Mention]) -> str:
    p = PARAMETERS
    if verdict == "announced-before-discussion":
        when = (f"before the discussion began (fewer than {p['before_discussion_lines']} lines of discussion "
                f"before it, within the first {p['before_discussion_within_s']:.0f} s)")
    else:
        when = (f"at {hms(first.start_s)}, after {before} lines of discussion; nothing earlier in the transcript "
                "raises it, though it may have been raised in a passage that was not transcribed, or before the "
                "recording started")
    rest = "; ".join(f"{_KIND_WORDS[m.kind]} at {_where(m)}" for m in found)
    return f"First raised {when}. In the transcript: {rest}. {_LIMITS}"


def _not_found(lines: list[Line]) -> str:
    speech = [line for line in lines if line.kind == "speech"]
    if not speech:
        return ("No speech was transcribed, so nothing can be said about whether the recording was announced. "
                "This is not proof that it was not.")
    inaudible = sum(line.kind == "inaudible" for line in lines)
    return (f"No announcement of the recording, request for permission or answer was found in the transcript. This "
            f"is not proof that the recording was made covertly: it may have been announced before the recording "
            f"started (the first words transcribed begin at {hms(speech[0].start_s)}), "
            + (f"in a passage marked inaudible ({inaudible} in this transcript), " if inaudible else "")
            + "in words the recogniser misheard, or in a way these phrases do not cover. " + _LIMITS)


def _joins_sentence(joins: list[Join]) -> str:
    if not joins:
        return ""
    said = "; ".join(f"{j.speaker} first speaks at {hms(j.first_speech_s)} (line {j.line}), and the recording "
                     + ("was raised again around then" if j.raised_after else "was not raised again around then")
                     for j in joins)
    return (f" Voices first heard after the first {PARAMETERS['joined_after_s']:.0f} s: {said}. A voice first heard "
            "late may have been there from the start without speaking, and speaker labels are automatic and can be "
            "wrong.")


def of_report(report: Report) -> Announcement | None:
    """The announcement check over the transcript as the bundle shows it (a person's corrections, when
    there are any); None without a transcript. Pure, so `evidence bundle report.json` gives the same."""
    return find(transcript_lines(report)) if report.transcript is not None else None


KIND_TITLES = {"announcement": "announced", "permission-asked": "permission asked",
               "permission-given": "permission given", "permission-refused": "refused or objected"}


def headline(a: Announcement) -> str:
    """The verdict in a sentence, for the bundle and the web page."""
    if a.verdict == "not-found":
        return "No announcement of the recording was found in the transcript (this does not prove it was covert)."
    first = a.mentions[0]
    where = f"line {first.line}, {hms(first.start_s)}"
    if a.verdict == "announced-before-discussion":
        return f"The recording was raised before the discussion began ({where})."
    return f"The recording was first raised later, at {hms(first.start_s)} (line {first.line})."
