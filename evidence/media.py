"""Ingest: check the input, probe it with ffprobe, and decode it with ffmpeg in blocks.

The original is only ever read: by `open(path, "rb")` here and by ffmpeg/ffprobe, which open their
inputs read-only. Paths are handed to ffmpeg with the `file:` protocol so that a name such as
`concat:a|b` or `http://...` can never make ffmpeg read anything but this one local file.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

import ffmpeg
import numpy as np

from evidence.errors import InputError, ToolMissingError
from evidence.progress import ProgressCallback, no_progress

ANALYSIS_RATE_HZ = 16_000
"""Sample rate of the mono signal given to the detectors and to Whisper (Whisper's own rate)."""

BLOCK_BYTES = 1 << 20
"""Bytes read from ffmpeg per block: small enough to keep memory flat, large enough to be fast."""

TRUNCATION_TOLERANCE_S = 0.5
"""Decoded audio may fall this much short of the declared duration before a damaged file is refused."""


@dataclass(frozen=True)
class StreamInfo:
    index: int
    codec_type: str
    codec_name: str | None = None
    codec_long_name: str | None = None
    profile: str | None = None
    sample_rate_hz: int | None = None
    channels: int | None = None
    channel_layout: str | None = None
    sample_format: str | None = None
    bits_per_sample: int | None = None
    bit_rate: int | None = None
    duration_s: float | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Box:
    """A top-level MP4 box or RIFF chunk: its four-character id, where it starts, its declared size."""

    id: str
    offset: int
    size: int


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says of the container and its streams, and what decoding the audio found."""

    format_name: str
    format_long_name: str | None
    container_duration_s: float | None
    bit_rate: int | None
    tags: dict[str, str]
    streams: list[StreamInfo]
    audio_stream_index: int
    ffmpeg_version: str
    size_bytes: int = 0
    layout: list[Box] = field(default_factory=list)
    decoded_duration_s: float | None = None
    decode_messages: list[str] = field(default_factory=list)

    @property
    def audio_stream(self) -> StreamInfo:
        return next(s for s in self.streams if s.index == self.audio_stream_index)


class SampleFile:
    """Decoded samples kept in an unnamed temporary file (float32, native order) and read a slice at a
    time, so that a recording of any length never sits in memory whole (ten hours at 16 kHz would be
    2.3 GB). Indexing and slicing behave as on a one-dimensional float32 array and return arrays; a
    slice is read from the file each time it is asked for. Nothing converts the whole of it to an array
    implicitly: a caller that needs every sample at once asks for `[:]`.

    The file has no name in any folder (it is gone when this object is, or the process ends), lives in
    the temporary folder (TMPDIR), and is readable only by this user."""

    dtype = np.dtype(np.float32)

    def __init__(self, file, count: int):
        self._file = file
        self._count = count

    @classmethod
    def written(cls, blocks: Iterable[np.ndarray]) -> SampleFile:
        """A new SampleFile holding `blocks` one after another (each converted to float32)."""
        out = tempfile.TemporaryFile(prefix="evidence-samples-")
        count = 0
        for block in blocks:
            out.write(np.asarray(block, dtype=np.float32).tobytes())
            count += len(block)
        out.flush()
        return cls(out, count)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self._count)
            if step != 1:
                raise IndexError("a SampleFile is read in contiguous slices (step 1)")
            return self._read(start, max(start, stop))
        index = int(key)
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"sample {key} is outside 0..{self._count - 1}")
        return self._read(index, index + 1)[0]

    def __array__(self, *args, **kwargs):
        raise TypeError("the decoded samples are read in slices (samples[a:b]), not as one array")

    def _read(self, start: int, stop: int) -> np.ndarray:
        out = np.empty(stop - start, dtype=self.dtype)
        view = memoryview(out).cast("B")
        fd, offset, done = self._file.fileno(), start * self.dtype.itemsize, 0
        while done < len(view):  # pread is positionless, so threads may read at once
            got = os.preadv(fd, [view[done:]], offset + done)
            if got == 0:
                raise OSError(f"the decoded audio's temporary file ended at byte {offset + done}")
            done += got
        return out


@dataclass(frozen=True)
class Audio:
    """The analysed audio stream as mono float32 samples in [-1, 1] at `sample_rate_hz`: an array, or
    (from `decode_for_analysis`) a SampleFile read in slices."""

    samples: np.ndarray | SampleFile
    sample_rate_hz: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz


def _require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise ToolMissingError(
            f"{program} is not installed; run scripts/install.sh (or apt-get install ffmpeg)"
        )
    return found


@functools.cache
def ffmpeg_version() -> str:
    out = subprocess.run(
        [_require("ffmpeg"), "-version"], capture_output=True, text=True, check=False
    ).stdout
    first = out.splitlines()[0] if out else ""
    match = re.match(r"ffmpeg version (\S+)", first)
    return match.group(1) if match else first


def check_readable(path: str | os.PathLike) -> Path:
    """Return the absolute path of a regular, non-empty, readable file, or raise InputError."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as e:
        raise InputError(f"{p}: cannot be opened ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{p}: is a directory, not a recording")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{p}: is not a regular file")
    if st.st_size == 0:
        raise InputError(f"{p}: is empty (0 bytes)")
    try:
        with open(p, "rb") as f:
            f.read(1)
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror})") from None
    return p.absolute()


def _ffmpeg_url(path: Path) -> str:
    return "file:" + str(path.absolute())


HINTS = {
    "moov atom not found": "the MP4/M4A index is missing: the file is truncated, or the recording was never finished",
    "partial file": "the file ends before the data its container describes",
}


def _ffmpeg_reason(stderr: str, path: Path) -> str:
    """The useful part of ffmpeg's complaint: one line, without addresses or the path itself."""
    reasons = []
    for line in stderr.splitlines():
        line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line.strip())
        for prefix in (_ffmpeg_url(path) + ":", str(path) + ":"):
            line = line.removeprefix(prefix).strip()
        if line and line not in reasons:
            reasons.append(line)
    hints = [hint for key, hint in HINTS.items() if any(key in r for r in reasons)]
    return "; ".join(hints + reasons[-3:]) or "unknown ffmpeg error"


def _number(value, kind=float):
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _stream_info(raw: dict) -> StreamInfo:
    return StreamInfo(
        index=int(raw["index"]),
        codec_type=raw.get("codec_type", "unknown"),
        codec_name=raw.get("codec_name"),
        codec_long_name=raw.get("codec_long_name"),
        profile=raw.get("profile"),
        sample_rate_hz=_number(raw.get("sample_rate"), int),
        channels=_number(raw.get("channels"), int),
        channel_layout=raw.get("channel_layout"),
        sample_format=raw.get("sample_fmt"),
        bits_per_sample=_number(raw.get("bits_per_raw_sample") or raw.get("bits_per_sample"), int)
        or None,
        bit_rate=_number(raw.get("bit_rate"), int),
        duration_s=_number(raw.get("duration")),
        tags={str(k): str(v) for k, v in raw.get("tags", {}).items()},
    )


MP4_TOP_LEVEL = {"ftyp", "moov", "mdat", "free", "skip", "wide", "udta", "uuid", "meta", "pdin", "moof",
                 "mfra", "styp", "sidx", "ssix", "emsg", "prft", "junk", "pnot", "PICT", "beam", "bxml"}
"""Top-level MP4/QuickTime box types. Anything else ends the walk: it is not part of the structure."""

MAX_BOXES = 200
"""Top-level boxes listed at most: real recordings have a handful; a damaged file could claim millions."""


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1") if all(32 <= b < 127 for b in raw) else raw.hex()


def container_layout(path: Path) -> list[Box]:
    """The top-level structure of an MP4-family (ftyp, moov, mdat, ...) or RIFF/WAVE (fmt, data, ...)
    file, as declared by its headers, read without decoding. Other formats give an empty list.
    A box whose declared end lies past the end of the file is kept: it is a trace of truncation.
    Bytes that do not form a known MP4 box end the walk, so they show up as bytes after the structure."""
    size = path.stat().st_size
    boxes: list[Box] = []
    with open(path, "rb") as f:
        head = f.read(12)
        if head[4:8] == b"ftyp":
            offset = 0
            while offset + 8 <= size and len(boxes) < MAX_BOXES:
                f.seek(offset)
                header = f.read(16)
                box_size, box_id = int.from_bytes(header[:4], "big"), _fourcc(header[4:8])
                if box_size == 1 and len(header) >= 16:
                    box_size = int.from_bytes(header[8:16], "big")
                elif box_size == 0:
                    box_size = size - offset
                if box_size < 8 or box_id not in MP4_TOP_LEVEL:
                    break
                boxes.append(Box(box_id, offset, box_size))
                offset += box_size
        elif head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
            offset = 12
            while offset + 8 <= size and len(boxes) < MAX_BOXES:
                f.seek(offset)
                header = f.read(8)
                chunk_id, chunk_size = _fourcc(header[:4]), int.from_bytes(header[4:8], "little")
                if chunk_size == 0xFFFFFFFF:
                    # Recorders that stream to disk may leave the size unset: the chunk runs to the end.
                    chunk_size = size - offset - 8
                boxes.append(Box(chunk_id, offset, chunk_size + 8))
                offset += 8 + chunk_size + (chunk_size % 2)
    return boxes


def probe(path: str | os.PathLike) -> MediaInfo:
    """Container and stream metadata from ffprobe; the first audio stream is the one analysed."""
    p = check_readable(path)
    try:
        raw = ffmpeg.probe(_ffmpeg_url(p), cmd=_require("ffprobe"), v="error")
    except ffmpeg.Error as e:
        reason = _ffmpeg_reason(e.stderr.decode("utf-8", "replace"), p)
        raise InputError(f"{p}: not a readable audio or video file ({reason})") from None
    streams = [_stream_info(s) for s in raw.get("streams", [])]
    audio = [s for s in streams if s.codec_type == "audio"]
    if not audio:
        found = ", ".join(f"{s.codec_type} ({s.codec_name})" for s in streams) or "none"
        raise InputError(f"{p}: has no audio stream (streams found: {found})")
    fmt = raw.get("format", {})
    return MediaInfo(
        format_name=fmt.get("format_name", "unknown"),
        format_long_name=fmt.get("format_long_name"),
        container_duration_s=_number(fmt.get("duration")),
        bit_rate=_number(fmt.get("bit_rate"), int),
        tags={str(k): str(v) for k, v in fmt.get("tags", {}).items()},
        streams=streams,
        audio_stream_index=audio[0].index,
        ffmpeg_version=ffmpeg_version(),
        size_bytes=p.stat().st_size,
        layout=container_layout(p),
    )


class PcmDecoder:
    """ffmpeg decoding one audio stream of a file to raw PCM on a pipe, read block by block.

    `messages` holds what ffmpeg reported while decoding (damaged frames and the like) once
    `blocks()` is exhausted. A failing ffmpeg raises InputError naming the file.
    """

    def __init__(
        self,
        path: Path,
        stream_index: int,
        sample_format: str,
        sample_rate_hz: int | None = None,
        channels: int | None = None,
    ):
        self.path = path
        self.messages: list[str] = []
        output_args = {"map": f"0:{stream_index}", "format": sample_format, "acodec": f"pcm_{sample_format}"}
        if sample_rate_hz:
            output_args["ar"] = sample_rate_hz
        if channels:
            output_args["ac"] = channels
        self.command = (
            ffmpeg.input(_ffmpeg_url(path))
            .output("pipe:", **output_args)
            .global_args("-nostdin", "-v", "error")
            .compile(cmd=_require("ffmpeg"))
        )

    def blocks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
        # stderr goes to a file, not a pipe: a flood of decoder errors cannot then block ffmpeg.
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
            try:
                while block := proc.stdout.read(block_bytes):
                    yield block
            finally:
                proc.stdout.close()
                returncode = proc.wait()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        if returncode != 0:
            raise InputError(f"{self.path}: ffmpeg could not decode it ({_ffmpeg_reason(stderr, self.path)})")
        self.messages = [line for line in stderr.splitlines() if line.strip()]


def decode_for_analysis(
    path: Path, info: MediaInfo, progress: ProgressCallback = no_progress, rate_hz: int = ANALYSIS_RATE_HZ
) -> tuple[Audio, MediaInfo]:
    """Decode the analysed stream to mono float32 at `rate_hz` (default ANALYSIS_RATE_HZ) into a
    temporary file, a block at a time: memory stays flat however long the recording is.

    Returns the audio (a SampleFile) and `info` completed with the decoded duration and ffmpeg's
    messages. A file whose decoding stops short of its declared duration with decoder errors is
    refused as damaged.
    """
    decoder = PcmDecoder(path, info.audio_stream_index, "f32le", rate_hz, 1)
    expected_s = info.audio_stream.duration_s or info.container_duration_s or 0.0
    out = tempfile.TemporaryFile(prefix="evidence-decoded-")
    filled = non_finite = 0
    pending = b""
    try:
        for block in decoder.blocks():
            block = pending + block
            usable = len(block) - len(block) % 4
            chunk = np.frombuffer(block[:usable], dtype="<f4")
            pending = block[usable:]
            bad = ~np.isfinite(chunk)
            if bad.any():
                # A float file can hold NaN or infinity, which no microphone records and every measure would carry.
                chunk = np.where(bad, np.float32(0), chunk)
                non_finite += int(bad.sum())
            out.write(chunk.astype(np.float32, copy=False).tobytes())
            filled += len(chunk)
            progress("decode", filled / rate_hz, expected_s)
        out.flush()
    except OSError as e:
        out.close()
        raise InputError(f"{path}: the decoded audio could not be written to the temporary folder "
                         f"{tempfile.gettempdir()} ({e.strerror or e}); set TMPDIR to a folder with room") from None
    except BaseException:
        out.close()
        raise
    if filled == 0:
        out.close()
        raise InputError(f"{path}: the audio stream decodes to no samples")
    messages = list(decoder.messages)
    if non_finite:
        messages.append(f"{non_finite} decoded samples were not finite numbers (NaN or infinity) and "
                        "were analysed as 0")
    audio = Audio(samples=SampleFile(out, filled), sample_rate_hz=rate_hz)
    decoded_s = audio.duration_s
    if decoder.messages and expected_s and decoded_s < expected_s - TRUNCATION_TOLERANCE_S:
        out.close()
        raise InputError(
            f"{path}: truncated or damaged: the container declares {expected_s:.1f} s of audio but only "
            f"{decoded_s:.1f} s could be decoded ({_ffmpeg_reason(chr(10).join(decoder.messages), path)})"
        )
    return audio, replace(info, decoded_duration_s=decoded_s, decode_messages=messages[:50])
