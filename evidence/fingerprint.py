"""Fingerprints: hashes of the file's bytes, a hash of its decoded audio, and a Chromaprint.

The file hashes say "this exact file"; the audio content hash says "this exact audio", equal for
the same samples in another container (WAV remuxed to FLAC); the Chromaprint is an acoustic
fingerprint that survives re-encoding and lets a copy be looked up against the original.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from evidence.media import MediaInfo, PcmDecoder
from evidence.progress import ProgressCallback, no_progress

READ_BYTES = 1 << 20

CONTENT_SAMPLE_FORMAT = "s32le"
"""Decoded PCM that is hashed: 32-bit integers hold 16- and 24-bit sources without loss."""


@dataclass(frozen=True)
class FileHashes:
    sha256: str
    md5: str


@dataclass(frozen=True)
class Fingerprints:
    audio_content_sha256: str
    audio_content_format: str
    chromaprint: str | None
    chromaprint_duration_s: float | None
    chromaprint_note: str


def hash_file(path: Path, progress: ProgressCallback = no_progress) -> FileHashes:
    """SHA-256 and MD5 of the file's bytes, read once in blocks."""
    sha256, md5 = hashlib.sha256(), hashlib.md5()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as f:
        while block := f.read(READ_BYTES):
            sha256.update(block)
            md5.update(block)
            done += len(block)
            progress("hash", done, total)
    return FileHashes(sha256=sha256.hexdigest(), md5=md5.hexdigest())


def audio_content_hash(path: Path, info: MediaInfo) -> tuple[str, str]:
    """SHA-256 of the analysed stream decoded at its own rate and channels, and that PCM's format."""
    stream = info.audio_stream
    decoder = PcmDecoder(path, stream.index, CONTENT_SAMPLE_FORMAT)
    digest = hashlib.sha256()
    for block in decoder.blocks():
        digest.update(block)
    pcm_format = (
        f"{CONTENT_SAMPLE_FORMAT}, {stream.sample_rate_hz} Hz, {stream.channels} channel(s), "
        f"stream {stream.index}, decoded by ffmpeg {info.ffmpeg_version}"
    )
    return digest.hexdigest(), pcm_format


def chromaprint(path: Path) -> tuple[str | None, float | None, str]:
    """Chromaprint of the whole file from `fpcalc -length 0`: (fingerprint, duration_s, note).

    fpcalc exits with status 3 on many good files after printing a valid fingerprint, so its
    output, not its status, decides. A missing fpcalc or an unusable answer is noted, not fatal.
    """
    fpcalc = shutil.which("fpcalc")
    if fpcalc is None:
        return None, None, "not computed: fpcalc (Chromaprint) is not installed"
    proc = subprocess.run(
        [fpcalc, "-json", "-length", "0", str(path)],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )
    try:
        result = json.loads(proc.stdout)
        fingerprint, duration_s = result["fingerprint"], float(result["duration"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit status {proc.returncode}"
        return None, None, f"not computed: fpcalc failed ({reason})"
    return fingerprint, duration_s, "fpcalc (Chromaprint) over the whole file"


def fingerprints(path: Path, info: MediaInfo) -> Fingerprints:
    content_sha256, content_format = audio_content_hash(path, info)
    print_, print_duration_s, note = chromaprint(path)
    return Fingerprints(
        audio_content_sha256=content_sha256,
        audio_content_format=content_format,
        chromaprint=print_,
        chromaprint_duration_s=print_duration_s,
        chromaprint_note=note,
    )
