"""Writing results so that a failure never leaves a partial file: temporary file, then rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from evidence.errors import InputError


PRIVATE_FILE_MODE = 0o600
"""Outputs describe sensitive recordings: readable by their owner only."""


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, PRIVATE_FILE_MODE)


def _prepare_parent(target: Path) -> Path:
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{parent}: cannot create output folder ({e.strerror})") from None
    return parent


def write_file(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically: a temporary file in the same folder, renamed over it."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target}: is a directory; give a file name for the output")
    parent = _prepare_parent(target)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        _write_synced(Path(tmp), data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_folder(outdir: str | os.PathLike, files: dict[str, bytes]) -> list[Path]:
    """Write several files into `outdir`, all prepared in a hidden staging folder beside it first."""
    target = Path(outdir)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a folder")
    parent = _prepare_parent(target)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        for name, data in files.items():
            _write_synced(staging / name, data)
        target.mkdir(mode=0o700, exist_ok=True)
        written = []
        for name in files:
            os.replace(staging / name, target / name)
            written.append(target / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def artifacts(report, bundle: bool = True, signer=None) -> dict[str, bytes]:
    """Every output of a run, rendered from the report: report.json, bundle.pdf (signed when a `signer`
    from evidence.signing.load_signer is given), transcript.txt, .json, .srt, .vtt and .docx."""
    from evidence import bundle as pdf_bundle
    from evidence.exports import EXPORTS
    from evidence.report import to_json
    from evidence.signing import sign_pdf

    files = {"report.json": to_json(report).encode("utf-8")}
    if bundle:
        pdf = pdf_bundle.render(report)
        files["bundle.pdf"] = sign_pdf(pdf, signer) if signer else pdf
    if report.transcript is not None:
        files.update({f"transcript.{ext}": render(report) for ext, render in EXPORTS.items()})
    return files
