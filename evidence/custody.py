"""Case folder and chain of custody: a content-addressed, read-only store of received recordings and
an append-only, hash-chained log of everything done with them.

    DIR/case.json        the case reference and when the folder was made
    DIR/store/<sha256><.ext>   each recording as received, named by its SHA-256, read-only
    DIR/custody.jsonl    one JSON object per line; each holds the SHA-256 of the line before it

Changing, deleting, reordering or inserting a log line breaks the chain at that line; changing a
stored file breaks its name. `verify_case` finds both. An IRO can receive and log a recording this
way without playing it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evidence import __version__, media
from evidence.errors import InputError
from evidence.fingerprint import hash_file

LOG_NAME = "custody.jsonl"
CASE_NAME = "case.json"
STORE_NAME = "store"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Problem:
    """Something `verify_case` found wrong: where (log line number or file) and what."""

    where: str
    what: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def require_case(folder: Path) -> Path:
    """The folder, if it is a case folder; otherwise InputError."""
    if not (folder / CASE_NAME).is_file() or not (folder / LOG_NAME).is_file():
        raise InputError(f"{folder}: not a case folder (run `evidence case init` first)")
    return folder


def _last_line(log: Path) -> tuple[int, str]:
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return len(lines), (lines[-1] if lines else "")


def append(folder: str | os.PathLike, actor: str | None, action: str, file_sha256: str | None,
           details: dict[str, Any]) -> dict[str, Any]:
    """Append one entry to the case's log, chained to the entry before it, written in one call and fsynced."""
    log = require_case(Path(folder)) / LOG_NAME
    count, last = _last_line(log)
    entry = {
        "seq": count + 1,
        "utc": _now(),
        "actor": actor or getpass.getuser(),
        "action": action,
        "file_sha256": file_sha256,
        "details": details,
        "tool": f"evidence {__version__}",
        "prev_sha256": _line_hash(last) if last else GENESIS,
    }
    line = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def init_case(folder: str | os.PathLike, case_ref: str, actor: str | None = None) -> Path:
    target = Path(folder)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target}: already exists and is not an empty folder")
    target.mkdir(parents=True, exist_ok=True)
    (target / STORE_NAME).mkdir()
    (target / CASE_NAME).write_text(json.dumps({"case_ref": case_ref, "created_utc": _now()}, indent=2) + "\n")
    (target / LOG_NAME).touch()
    append(target, actor, "case-init", None, {"case_ref": case_ref})
    return target


def add_recording(folder: str | os.PathLike, recording: str | os.PathLike, received_from: str | None,
                  received_by: str | None, method: str | None, actor: str | None = None) -> Path:
    """Copy a recording into the store under its SHA-256, read-only, and log its receipt."""
    case = require_case(Path(folder))
    source = media.check_readable(recording)
    digest = hash_file(source).sha256
    stored = case / STORE_NAME / f"{digest}{source.suffix.lower()}"
    already = stored.exists()
    if not already:
        fd, tmp = tempfile.mkstemp(dir=case / STORE_NAME, prefix=".incoming.")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            if hash_file(Path(tmp)).sha256 != digest:
                raise InputError(f"{source}: the file changed while it was being copied; nothing was stored")
            os.chmod(tmp, 0o444)
            os.replace(tmp, stored)
        finally:
            Path(tmp).unlink(missing_ok=True)
    append(case, actor, "add", digest, {
        "original_name": source.name, "size_bytes": source.stat().st_size, "stored_as": stored.name,
        "received_from": received_from, "received_by": received_by, "method": method,
        "already_in_store": already,
    })
    return stored


def log_run(folder: str | os.PathLike, actor: str | None, action: str, file_sha256: str,
            parameters: dict[str, Any], outputs: list[Path]) -> dict[str, Any]:
    """Log a command run on a case's recording, with every output's SHA-256 so later changes show."""
    hashes = {str(p.absolute()): hash_file(p).sha256 for p in outputs}
    return append(folder, actor, action, file_sha256, {"parameters": parameters, "outputs": hashes})


def log_lines(folder: str | os.PathLike) -> list[str]:
    """The custody log's lines exactly as stored, so that a copy (in a bundle) can be checked too."""
    return (require_case(Path(folder)) / LOG_NAME).read_text(encoding="utf-8").splitlines()


def verify_case(folder: str | os.PathLike) -> list[Problem]:
    """Every break in the log's chain, every stored file whose content no longer matches its name,
    and every logged file that is missing. An empty list means all checks passed."""
    case = require_case(Path(folder))
    problems: list[Problem] = []
    previous = GENESIS
    logged_files: dict[str, int] = {}
    lines = (case / LOG_NAME).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        where = f"{LOG_NAME} line {number}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            problems.append(Problem(where, "not a valid log entry (edited or damaged)"))
            previous = _line_hash(line)
            continue
        if entry.get("prev_sha256") != previous:
            problems.append(Problem(where, "does not follow the entry before it: an entry before or at this line "
                                           "was edited, deleted, reordered or inserted"))
        if entry.get("seq") != number:
            problems.append(Problem(where, f"is numbered {entry.get('seq')} but stands at position {number}"))
        details = entry.get("details") or {}
        if details.get("stored_as"):
            logged_files.setdefault(details["stored_as"], number)
        for output, expected in (details.get("outputs") or {}).items():
            output_path = Path(output)
            if not output_path.is_file():
                problems.append(Problem(output, f"written at line {number} but no longer there"))
            elif hash_file(output_path).sha256 != expected:
                problems.append(Problem(output, f"changed since it was written (line {number})"))
        previous = _line_hash(line)
    store = case / STORE_NAME
    for path in sorted(store.iterdir()):
        if path.name.startswith("."):
            continue
        actual = hash_file(path).sha256
        if not path.name.startswith(actual):
            problems.append(Problem(f"{STORE_NAME}/{path.name}", f"content has SHA-256 {actual}: the file was changed"))
        if path.name not in logged_files:
            problems.append(Problem(f"{STORE_NAME}/{path.name}", "is in the store but its receipt is not in the log"))
    for name, number in logged_files.items():
        if not (store / name).exists():
            problems.append(Problem(f"{STORE_NAME}/{name}", f"logged at line {number} but missing from the store"))
    return problems
