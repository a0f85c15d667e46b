"""A corpus of malformed and edge-case recordings, made at test time (none is kept in the repository).

`make_case(name, folder)` writes one case (CASES lists their names) and returns its path. Each is something a user may
really hand the tool: WAV headers that lie, sample formats and rates far from a phone's, codecs and
containers other than the usual, broken MP4 indexes, huge tags, long silence, awkward file names,
and things that are not regular files at all. What the tool must do with each (docs/malformed-inputs.md):
exit 0 with sane outputs, or exit 1 with one line naming the file and the reason; never a traceback,
never a partial output, never a changed input.
"""

from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 16_000


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, capture_output=True)


def _tone(seconds: float = 2.0, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * np.random.default_rng(0).normal(size=len(t))
    return np.repeat(x[:, None], channels, axis=1)


def _wav_bytes(data: bytes, channels: int, rate: int, bits: int, fmt: int = 1, data_size: int | None = None) -> bytes:
    """A canonical 44-byte-header WAV; `data_size` lets the header claim another length."""
    block = channels * bits // 8
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, fmt, channels, rate,
                         rate * block, block, bits, b"data", len(data) if data_size is None else data_size)
    return header + data


def _pcm16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _from_samples(path: Path, x: np.ndarray, rate: int, *codec: str) -> Path:
    raw = path.with_name(path.name + ".f32")
    x.astype("<f4").tofile(raw)
    _ffmpeg("-f", "f32le", "-ar", str(rate), "-ac", str(x.shape[1]), "-i", str(raw), *codec, str(path))
    raw.unlink()
    return path


def _m4a(folder: Path) -> Path:
    path = folder / "base.m4a"
    if not path.exists():
        _from_samples(path, _tone(3.0), RATE, "-c:a", "aac", "-b:a", "32k")
    return path


def _cases() -> dict[str, Callable[[Path], Path]]:
    tone = _tone()
    pcm = _pcm16(tone[:, 0])
    nan_inf = tone[:, 0].copy()
    nan_inf[100:200], nan_inf[300], nan_inf[400] = np.nan, np.inf, -np.inf
    return {
        "wav-data-size-past-end": lambda d: _write(d / "past-end.wav", _wav_bytes(pcm, 1, RATE, 16, data_size=10 * len(pcm))),
        "wav-zero-channels": lambda d: _write(d / "zero-channels.wav", _wav_bytes(pcm, 0, RATE, 16)),
        "wav-zero-hz": lambda d: _write(d / "zero-hz.wav", _wav_bytes(pcm, 1, 0, 16)),
        "wav-header-only": lambda d: _write(d / "header-only.wav", _wav_bytes(b"", 1, RATE, 16)),
        "wav-odd-data-length": lambda d: _write(d / "odd-length.wav", _wav_bytes(pcm[:-1], 1, RATE, 16)),
        "wav-riff-size-wrong": lambda d: _write(d / "riff-size.wav", b"RIFF" + struct.pack("<I", 7) + _wav_bytes(pcm, 1, RATE, 16)[8:]),
        "wav-unknown-format-tag": lambda d: _write(d / "format-tag.wav", _wav_bytes(pcm, 1, RATE, 16, fmt=0x1234)),
        "wav-8-bit": lambda d: _from_samples(d / "u8.wav", tone, RATE, "-c:a", "pcm_u8"),
        "wav-24-bit": lambda d: _from_samples(d / "s24.wav", tone, RATE, "-c:a", "pcm_s24le"),
        "wav-32-bit": lambda d: _from_samples(d / "s32.wav", tone, RATE, "-c:a", "pcm_s32le"),
        "wav-float32-nan-inf": lambda d: _write(d / "f32-nan.wav", _wav_bytes(nan_inf.astype("<f4").tobytes(), 1, RATE, 32, fmt=3)),
        "wav-float64-nan-inf": lambda d: _write(d / "f64-nan.wav", _wav_bytes(nan_inf.astype("<f8").tobytes(), 1, RATE, 64, fmt=3)),
        "wav-8-khz": lambda d: _from_samples(d / "8k.wav", _tone(rate=8000), 8000, "-c:a", "pcm_s16le"),
        "wav-384-khz": lambda d: _from_samples(d / "384k.wav", _tone(rate=384_000), 384_000, "-c:a", "pcm_s16le"),
        "wav-8-channels": lambda d: _from_samples(d / "8ch.wav", _tone(channels=8), RATE, "-c:a", "pcm_s16le"),
        "wav-10-ms": lambda d: _write(d / "10ms.wav", _wav_bytes(pcm[: RATE // 100 * 2], 1, RATE, 16)),
        "wav-one-sample": lambda d: _write(d / "one-sample.wav", _wav_bytes(pcm[:2], 1, RATE, 16)),
        "wav-clipped-square": lambda d: _write(d / "square.wav", _wav_bytes(_pcm16(np.sign(tone[:, 0]) * 1.0), 1, RATE, 16)),
        "opus-ogg": lambda d: _from_samples(d / "voice.ogg", _tone(rate=48_000), 48_000, "-c:a", "libopus", "-b:a", "24k"),
        "opus-webm": lambda d: _from_samples(d / "voice.webm", _tone(rate=48_000), 48_000, "-c:a", "libopus", "-b:a", "24k"),
        "vorbis-ogg": lambda d: _from_samples(d / "vorbis.ogg", _tone(), RATE, "-c:a", "libvorbis"),
        "flac-corrupt-middle": lambda d: _corrupt(_from_samples(d / "corrupt.flac", _tone(4.0), RATE, "-c:a", "flac")),
        "mp3-huge-id3": lambda d: _huge_id3(d),
        "mp3-truncated-mid-frame": lambda d: _truncate(_from_samples(d / "cut.mp3", tone, RATE, "-c:a", "libmp3lame"), 0.55),
        "m4a-truncated": lambda d: _truncate(_copy(_m4a(d), d / "truncated.m4a"), 0.6),
        "m4a-moov-missing": lambda d: _without_moov(_m4a(d), d / "no-moov.m4a"),
        "mp4-video-no-audio": lambda d: _video_only(d / "video-only.mp4"),
        "mka-two-audio-streams": lambda d: _two_streams(d / "two-streams.mka"),
        "random-bytes": lambda d: _write(d / "random.m4a", np.random.default_rng(1).bytes(50_000)),
        "text-named-wav": lambda d: _write(d / "notes.wav", b"Meeting notes, not audio.\n" * 100),
        "three-hours-of-silence": lambda d: _silence(d / "silence-3h.flac", 3 * 3600),
        "name-with-spaces": lambda d: _copy(_m4a(d), d / "meeting on 3 May.m4a"),
        "name-unicode": lambda d: _copy(_m4a(d), d / "réunion – Zoë ✓.m4a"),
        "name-with-newline": lambda d: _copy(_m4a(d), d / "two\nlines.m4a"),
        "name-leading-dash": lambda d: _copy(_m4a(d), d / "-rf.m4a"),
        "symlink": lambda d: _symlink(_m4a(d), d / "link.m4a"),
        "dangling-symlink": lambda d: _symlink(d / "nowhere.m4a", d / "dangling.m4a"),
        "fifo": lambda d: _fifo(d / "pipe.wav"),
    }


def _silence(path: Path, seconds: int) -> Path:
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(seconds), "-c:a", "flac", str(path))
    return path


def _copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def _corrupt(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(2).bytes(2000)
    path.write_bytes(bytes(data))
    return path


def _truncate(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _huge_id3(folder: Path) -> Path:
    path = _from_samples(folder / "tagged-plain.mp3", _tone(), RATE, "-c:a", "libmp3lame")
    cover = folder / "cover.jpg"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=1600x1600:rate=1", "-frames:v", "1", "-q:v", "1", str(cover))
    out = folder / "huge-id3.mp3"
    _ffmpeg("-i", str(path), "-i", str(cover), "-map", "0:a", "-map", "1:v", "-c", "copy", "-id3v2_version", "3",
            "-metadata", "comment=" + "x" * 60_000, "-metadata:s:v", "title=Cover", str(out))
    path.unlink()
    cover.unlink()
    return out


def _without_moov(src: Path, dst: Path) -> Path:
    """The file with its 'moov' box (the index) overwritten by a 'free' box, as a recording never finished."""
    data = bytearray(src.read_bytes())
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"moov":
            data[at + 4 : at + 8] = b"free"
            break
        at += max(size, 8)
    dst.write_bytes(bytes(data))
    return dst


def _video_only(path: Path) -> Path:
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2", "-c:v", "libx264", "-an", str(path))
    return path


def _two_streams(path: Path) -> Path:
    a = _from_samples(path.with_name("a.wav"), _tone(), RATE, "-c:a", "pcm_s16le")
    b = _from_samples(path.with_name("b.wav"), _tone() * 0.5, RATE, "-c:a", "pcm_s16le")
    _ffmpeg("-i", str(a), "-i", str(b), "-map", "0:a", "-map", "1:a", "-c:a", "flac", str(path))
    a.unlink()
    b.unlink()
    return path


def _symlink(target: Path, link: Path) -> Path:
    link.symlink_to(target)
    return link


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


CASES = sorted(_cases())


def make_case(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return _cases()[name](folder)
