"""A redacted copy of a recording for sharing: chosen stretches replaced by a tone, the transcript masked
to match, and a record of what was replaced (times, lengths, the reason given; never the content).

The stretches come from the report's transcript (words from a list, with MARGIN_S either side, since
automatic word times are approximate; or whole numbered lines) or are given as times. The original is
only read: its SHA-256, size and modification time are taken before and after, and the command fails if
they differ. It is decoded by ffmpeg at its own sample rate and channel count to 16-bit PCM, the chosen
samples are replaced by a TONE_HZ tone at TONE_DBFS, and the result is written as a 16-bit PCM WAV file
(lossless: every other sample is the original's as ffmpeg decodes it to 16 bits). The copy has its own
hashes; the PDF and JSON record name the original by SHA-256.

Limits: a word the automatic transcript missed or misheard is not found by `words` (the command then
fails, naming it, so that it can be given as a time); the margin may not cover a word whose automatic
times are off by more than MARGIN_S; the copy is held in memory while it is made (about 345 MB an hour
at 48 kHz mono).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from pypdf import PdfWriter
from reportlab.platypus import Spacer

from evidence import __version__, media
from evidence.bundle import layout
from evidence.bundle.blocks import field_table, grid_table, mono, para
from evidence.bundle.layout import FRAME_WIDTH_PT, Heading
from evidence.errors import InputError, IntegrityError
from evidence.exports import transcript_lines, txt_line
from evidence.fingerprint import FileHashes, hash_file
from evidence.report import Report, Segment, Transcript, Word, load
from evidence.timecode import hms, hms_ms, seconds
from evidence.transcribe.marks import Line, lines as transcript_marks

MARGIN_S = 0.15
"""Added before and after each word or line taken from the transcript's times."""
MIN_LENGTH_S = 1.2
"""Shorter stretches are widened to this, about their middle, so that `evidence compare` finds each one:
it found 20 of 20 replaced stretches of 1.2 s in a real call, 13 of 20 of 0.8 s (docs/redact.md)."""
TONE_HZ = 1000.0
TONE_DBFS = -30.0
"""Quiet, but plainly not speech: a listener hears where something was replaced."""
RAMP_S = 0.01
"""The tone fades in and out over this, inside the stretch, so that it does not click."""
MASK = "[redacted]"
COPY_NAME = "redacted.wav"
RECORD_SCHEMA = "1.0"


@dataclass(frozen=True)
class Stretch:
    """One replaced stretch of the recording, and what chose it (not what was said in it)."""

    start_s: float
    end_s: float
    chosen_by: str
    """e.g. "word list line 2", "transcript line 12", "--span 1"."""

    @property
    def length_s(self) -> float:
        return round(self.end_s - self.start_s, 3)


@dataclass(frozen=True)
class FileSide:
    name: str
    sha256: str
    md5: str
    size_bytes: int
    duration_s: float


@dataclass(frozen=True)
class Redaction:
    tool_version: str
    original: FileSide
    original_sha256_after: str
    """Taken again once the copy was made; with the size and modification time, the same as before."""
    copy: FileSide
    copy_format: str
    reason: str
    stretches: list[Stretch]
    """Merged where they overlap, in time order."""
    parameters: dict


def _text_key(text: str) -> str:
    """A word as compared with the word list: lower case, letters and digits only ("Smith," = "smith")."""
    return re.sub(r"[\W_]+", "", text.lower())


def _words(report: Report) -> list[Word]:
    return [w for s in report.transcript.segments for w in s.words] if report.transcript else []


def word_stretches(report: Report, phrases: list[str], source: str, margin_s: float) -> list[Stretch]:
    """Every occurrence in the transcript of each word or phrase (one a line of the list `source`), with
    `margin_s` either side. A phrase not found is an error: it would otherwise stay audible."""
    words = _words(report)
    keys = [_text_key(w.text) for w in words]
    out = []
    for number, phrase in enumerate(phrases, 1):
        wanted = [k for k in (_text_key(t) for t in phrase.split()) if k]
        if not wanted:
            continue
        found = [i for i in range(len(keys) - len(wanted) + 1) if keys[i:i + len(wanted)] == wanted]
        if not found:
            raise InputError(f"{source} line {number} ({phrase.strip()!r}): not found in the transcript's words; if "
                             "it is said, give where with --span")
        out += [Stretch(words[i].start_s - margin_s, words[i + len(wanted) - 1].end_s + margin_s,
                        f"word list line {number}") for i in found]
    return out


def parse_lines(text: str, count: int) -> list[int]:
    """Line numbers as "12,14" or "12-14,20", each between 1 and `count`."""
    numbers = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise InputError(f"--lines {text!r}: give line numbers as in the transcript, e.g. 12,14 or 12-14")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= first <= last <= count:
            raise InputError(f"--lines {text!r}: the transcript has lines 1 to {count}")
        numbers += range(first, last + 1)
    return numbers


def parse_span(text: str, number: int, duration_s: float) -> Stretch:
    """A stretch given as START-END, each hh:mm:ss[.mmm], mm:ss or seconds, inside the recording."""
    start, sep, end = text.partition("-")
    try:
        start_s, end_s = seconds(start), seconds(end) if sep else None
    except ValueError:
        start_s = end_s = None
    if start_s is None or end_s is None:
        raise InputError(f"--span {text!r}: write it as START-END, e.g. 00:01:02-00:01:05.5")
    if end_s <= start_s:
        raise InputError(f"--span {text!r}: the end is not after the start")
    if end_s > duration_s + 0.001:
        raise InputError(f"--span {text!r}: the recording lasts {hms_ms(duration_s)}")
    return Stretch(start_s, end_s, f"--span {number}")


def _widened(s: Stretch, min_length_s: float, duration_s: float) -> tuple[float, float]:
    """At least `min_length_s` long (or the whole recording), about its middle, inside the recording."""
    extra_s = max(0.0, min_length_s - (s.end_s - s.start_s)) / 2
    start_s, end_s = s.start_s - extra_s, s.end_s + extra_s
    # Widened past one end, it takes the rest from the other.
    start_s, end_s = start_s - max(0.0, end_s - duration_s), end_s + max(0.0, -start_s)
    return max(0.0, start_s), min(duration_s, end_s)


def merged(stretches: list[Stretch], duration_s: float, min_length_s: float = MIN_LENGTH_S) -> list[Stretch]:
    """Widened to `min_length_s`, clipped to the recording, and joined where less than `min_length_s` of the
    original would be left between them (too little for compare to find, or for a listener to follow)."""
    out: list[Stretch] = []
    for s in sorted(stretches, key=lambda s: s.start_s):
        start_s, end_s = _widened(s, min_length_s, duration_s)
        if out and start_s - out[-1].end_s <= min_length_s:
            last = out[-1]
            out[-1] = Stretch(last.start_s, max(last.end_s, end_s), f"{last.chosen_by}; {s.chosen_by}")
        else:
            out.append(Stretch(start_s, end_s, s.chosen_by))
    return [Stretch(round(s.start_s, 3), round(s.end_s, 3), s.chosen_by) for s in out]


def _covered(start_s: float, end_s: float, stretches: list[Stretch]) -> bool:
    """Whether at least half of [start_s, end_s] was replaced."""
    inside = sum(max(0.0, min(end_s, s.end_s) - max(start_s, s.start_s)) for s in stretches)
    return inside >= max(end_s - start_s, 1e-3) / 2


def _masked_segment(segment: Segment, stretches: list[Stretch]) -> Segment:
    if not segment.words:
        text = f" {MASK}" if _covered(segment.start_s, segment.end_s, stretches) else segment.text
        return dataclasses.replace(segment, text=text)
    words: list[Word] = []
    for w in segment.words:
        if not _covered(w.start_s, w.end_s, stretches):
            words.append(w)
        elif words and words[-1].text == f" {MASK}":
            # Neighbouring masked words become one mark: the number of words replaced is content too.
            words[-1] = dataclasses.replace(words[-1], end_s=w.end_s)
        else:
            words.append(Word(w.start_s, w.end_s, f" {MASK}", 1.0))
    return dataclasses.replace(segment, words=words, text="".join(w.text for w in words))


def masked_lines(report: Report, stretches: list[Stretch]) -> list[Line]:
    """The transcript's numbered lines with what lies in the replaced stretches masked: word by word in
    the automatic transcript; in a person's reviewed one, which has no word times, every line that a
    stretch touches at all, since the words replaced could be anywhere in it."""
    if report.reviewed_transcript is not None:
        return [Line(x.start_s, x.end_s, MASK, x.kind, x.speaker)
                if any(s.start_s < x.end_s and x.start_s < s.end_s for s in stretches) else x
                for x in transcript_lines(report)]
    t: Transcript = report.transcript
    masked = dataclasses.replace(t, segments=[_masked_segment(s, stretches) for s in t.segments])
    return transcript_marks(masked, report.parameters.get("transcript_marks"))


def _file_state(path: Path) -> tuple[FileHashes, int, int]:
    st = os.stat(path)
    return hash_file(path), st.st_size, st.st_mtime_ns


def _decoded(path: Path, info: media.MediaInfo) -> tuple[np.ndarray, int, int]:
    """The analysed stream as 16-bit samples (frames × channels) at its own rate, and the rate and channels."""
    stream = info.audio_stream
    rate_hz, channels = stream.sample_rate_hz or 48_000, stream.channels or 1
    decoder = media.PcmDecoder(path, stream.index, "s16le", rate_hz, channels)
    data = b"".join(decoder.blocks())
    samples = np.frombuffer(data[:len(data) - len(data) % (2 * channels)], dtype="<i2").reshape(-1, channels)
    if len(samples) == 0:
        raise InputError(f"{path}: the audio stream decodes to no samples")
    return samples, rate_hz, channels


def toned(samples: np.ndarray, rate_hz: int, stretches: list[Stretch]) -> np.ndarray:
    """`samples` with each stretch replaced by the tone (the same in every channel)."""
    out = samples.copy()
    amplitude = 32767 * 10 ** (TONE_DBFS / 20)
    for s in stretches:
        a, b = round(s.start_s * rate_hz), min(round(s.end_s * rate_hz), len(out))
        n = np.arange(b - a)
        ramp = np.minimum(1.0, np.minimum(n + 1, b - a - n) / (RAMP_S * rate_hz))
        tone = np.round(amplitude * ramp * np.sin(2 * np.pi * TONE_HZ * n / rate_hz)).astype("<i2")
        out[a:b] = tone[:, None]
    return out


def _wav(samples: np.ndarray, rate_hz: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def redact(report_path: str | os.PathLike, *, reason: str, words_file: Path | None = None, lines: str | None = None,
           spans: tuple[str, ...] = (), margin_s: float = MARGIN_S, min_length_s: float = MIN_LENGTH_S,
           recording: Path | None = None) -> tuple[Redaction, dict[str, bytes]]:
    """The redacted copy of the recording `report_path` describes (or `recording`, which must be that
    file), and every output: redacted.wav, transcript.txt (masked), redaction.json, redaction.pdf."""
    report = load(report_path)
    if not reason.strip() or "\n" in reason or len(reason) > 500:
        raise InputError("--reason: say in one line (at most 500 characters) why these stretches are removed")
    if not (words_file or lines or spans):
        raise InputError("nothing to redact: give --words FILE, --lines N,M or --span START-END")
    if (words_file or lines) and report.transcript is None:
        raise InputError(f"{report_path}: the report has no transcript, so --words and --lines cannot be used; "
                         "give --span")
    if not 0 <= margin_s <= 2:
        raise InputError("--margin-s: give 0 to 2 seconds")
    if not 0 <= min_length_s <= 10:
        raise InputError("--min-length-s: give 0 to 10 seconds")
    source = media.check_readable(recording or report.file.path)
    expected = report.file.hashes_before.sha256
    before = _file_state(source)
    if before[0].sha256 != expected:
        raise InputError(f"{source}: not the recording {report_path} describes (SHA-256 {before[0].sha256}, the "
                         f"report's {expected})")
    duration_s = report.media.decoded_duration_s or 0.0

    chosen = [parse_span(text, n, duration_s) for n, text in enumerate(spans, 1)]
    if words_file:
        try:
            phrases = Path(words_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{words_file}: cannot be read as a text file ({e})") from None
        if not any(p.strip() for p in phrases):
            raise InputError(f"{words_file}: holds no words (one word or phrase a line)")
        chosen += word_stretches(report, phrases, str(words_file), margin_s)
    if lines:
        numbered = transcript_lines(report)
        chosen += [Stretch(numbered[n - 1].start_s - margin_s, numbered[n - 1].end_s + margin_s, f"transcript line {n}")
                   for n in parse_lines(lines, len(numbered))]
    stretches = merged(chosen, duration_s, min_length_s)

    info = media.probe(source)
    samples, rate_hz, channels = _decoded(source, info)
    copy = _wav(toned(samples, rate_hz, stretches), rate_hz)
    after = _file_state(source)
    if after != before:
        raise IntegrityError(f"{source}: the file changed while the redacted copy was made (SHA-256 before "
                             f"{before[0].sha256}, after {after[0].sha256}); nothing was written")

    result = Redaction(
        tool_version=__version__,
        original=FileSide(source.name, before[0].sha256, before[0].md5, before[1], round(len(samples) / rate_hz, 3)),
        original_sha256_after=after[0].sha256,
        copy=FileSide(COPY_NAME, hashlib.sha256(copy).hexdigest(), hashlib.md5(copy).hexdigest(), len(copy),
                      round(len(samples) / rate_hz, 3)),
        copy_format=f"WAV, 16-bit PCM, {rate_hz} Hz, {channels} channel{'s' if channels > 1 else ''}",
        reason=reason.strip(),
        stretches=stretches,
        parameters={"margin_s": margin_s, "min_length_s": min_length_s, "tone_hz": TONE_HZ, "tone_dbfs": TONE_DBFS,
                    "ramp_s": RAMP_S, "mask": MASK},
    )
    files = {COPY_NAME: copy, "redaction.json": to_json(result).encode("utf-8"), "redaction.pdf": to_pdf(result)}
    if report.transcript is not None:
        files["transcript.txt"] = masked_txt(result, masked_lines(report, stretches)).encode("utf-8")
    return result, files


def to_json(r: Redaction) -> str:
    data = {"kind": "evidence-redaction", "schema_version": RECORD_SCHEMA, **dataclasses.asdict(r)}
    for stretch, out in zip(r.stretches, data["stretches"]):
        out["length_s"] = stretch.length_s
    data["replaced_s"] = round(sum(s.length_s for s in r.stretches), 3)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _notice(r: Redaction) -> str:
    total_s = sum(s.length_s for s in r.stretches)
    return (f"This is a redacted copy of {r.original.name} (SHA-256 {r.original.sha256}), not the original. "
            f"{len(r.stretches)} stretch{'es' if len(r.stretches) != 1 else ''} ({total_s:.1f} s in all) "
            f"{'were' if len(r.stretches) != 1 else 'was'} replaced by a {TONE_HZ:.0f} Hz tone; the rest is the "
            "original's audio.")


def masked_txt(r: Redaction, body: list[Line]) -> str:
    out = [f"Transcript of {r.copy.name}, redacted", _notice(r), f"Copy SHA-256: {r.copy.sha256}",
           f"Reason given: {r.reason}", f"Automatic transcript of the original, with what was said in the replaced "
           f"stretches shown as {MASK}; it has not been verified by a person.", ""]
    out += [txt_line(n, line.start_s, line.labelled) for n, line in enumerate(body, 1)]
    return "\n".join(out) + "\n"


def to_pdf(r: Redaction) -> bytes:
    rows = [["#", "From", "To", "Length (s)", "Chosen by"]]
    rows += [[str(n), hms_ms(s.start_s), hms_ms(s.end_s), f"{s.length_s:.3f}", escape(s.chosen_by)]
             for n, s in enumerate(r.stretches, 1)]
    story = [
        para("Redacted copy", "title"),
        para(f"<b>{escape(_notice(r))}</b>"),
        para(f"Reason given: {escape(r.reason)}"),
        Heading("1. The original", 0, "original"),
        field_table([("File name", r.original.name), ("SHA-256", mono(r.original.sha256)),
                     ("MD5", mono(r.original.md5)), ("Size", f"{r.original.size_bytes} bytes"),
                     ("Duration", f"{r.original.duration_s:.3f} s ({hms(r.original.duration_s)})"),
                     ("Unchanged", "yes: only read; SHA-256, size and modification time the same before and after")]),
        Heading("2. The redacted copy", 0, "copy"),
        field_table([("File name", r.copy.name), ("SHA-256", mono(r.copy.sha256)), ("MD5", mono(r.copy.md5)),
                     ("Size", f"{r.copy.size_bytes} bytes"), ("Format", r.copy_format),
                     ("Duration", f"{r.copy.duration_s:.3f} s (the same as the original)")]),
        Heading("3. What was replaced", 0, "stretches"),
        grid_table(rows, [22, 90, 90, 70, FRAME_WIDTH_PT - 272], header=True),
        Spacer(1, 8),
        para("Only the times and lengths are recorded here, not what was said."),
        Heading("4. Method and limits", 0, "method"),
        para(f"The original was decoded by ffmpeg {escape(media.ffmpeg_version())} to 16-bit PCM at its own sample "
             f"rate and channels. Inside each stretch every sample was replaced by a {TONE_HZ:.0f} Hz tone at "
             f"{TONE_DBFS:.0f} dBFS (fading in and out over {RAMP_S * 1000:.0f} ms); every other sample is the "
             "original's, and the copy is as long as the original. Stretches chosen by word or line run from the "
             f"automatic transcript's times with {r.parameters['margin_s']} s added either side; those times are "
             "approximate, so a person should listen to the copy before it is shared. A stretch shorter than "
             f"{r.parameters['min_length_s']} s was widened to that length about its middle, so that `evidence "
             "compare ORIGINAL COPY` reports each one as replaced (docs/redact.md)."),
        para(f"evidence {escape(r.tool_version)}.", "small"),
    ]
    pdf = io.BytesIO()
    layout.build(pdf, story, title=f"Redacted copy of {r.original.name}",
                 subject=f"Copy SHA-256 {r.copy.sha256}; original SHA-256 {r.original.sha256}",
                 footer=f"Copy SHA-256 {r.copy.sha256}", header=f"{r.copy.name}: redacted copy of {r.original.name}")
    writer = PdfWriter(clone_from=io.BytesIO(pdf.getvalue()))
    writer.add_attachment("redaction.json", to_json(r).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
