"""Case folder and chain of custody: a content-addressed, read-only store of received recordings and
an append-only, hash-chained log of everything done with them.

    DIR/case.json        the case reference and when the folder was made
    DIR/store/<sha256><.ext>   each recording as received, named by its SHA-256, read-only
    DIR/custody.jsonl    one JSON object per line; each holds the SHA-256 of the line before it
                         (`prev_sha256`) and of its own content (`entry_sha256`)

Changing, deleting, reordering or inserting a log line breaks the chain at that line, and changing
a line breaks its own hash, the newest line's included; changing a stored file breaks its name.
`verify_case` finds all of these. An IRO can receive and log a recording this way without playing it.

The log alone cannot show that its newest lines were removed, or that someone rewrote it and
recomputed every hash: the head (the SHA-256 of the newest line, with the number of entries) is
written down elsewhere for that, by a person (`evidence case head`) or in each report and bundle
(their copy of the log), and `check_head` / `check_copy` compare the log with it.
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


@dataclass(frozen=True)
class Head:
    """The log's newest line as a hash: every earlier line is held in it through the chain."""

    sha256: str
    """SHA-256 of the newest line's UTF-8 bytes (without its newline): the next entry's `prev_sha256`."""
    entries: int


@dataclass(frozen=True)
class CaseCheck:
    """What `verify_case` found: `problems` (empty when every check passed), and `notes` on what the
    checks could not cover."""

    problems: list[Problem]
    notes: list[str]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def _canonical(entry: dict[str, Any]) -> str:
    """An entry as it is stored on its line: sorted keys, UTF-8 as is."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)


def _own_hash(entry: dict[str, Any]) -> str:
    """`entry_sha256`: the SHA-256 of the entry's canonical JSON without that field."""
    return _line_hash(_canonical({k: v for k, v in entry.items() if k != "entry_sha256"}))


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
    # Hashed as it will read back from the line (paths as strings), so that a verifier can recompute it.
    entry = json.loads(_canonical(entry))
    entry["entry_sha256"] = _own_hash(entry)
    line = _canonical(entry) + "\n"
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


def head_of(lines: list[str]) -> Head:
    return Head(_line_hash(lines[-1]) if lines else GENESIS, len(lines))


def head(folder: str | os.PathLike) -> Head:
    """The case's log head now: short enough to write in an email or a file note, and check later."""
    return head_of(log_lines(folder))


def _line(number: int) -> str:
    return f"{LOG_NAME} line {number}"


def check_head(lines: list[str], sha256: str, entries: int | None = None) -> list[Problem]:
    """Whether the log still holds a head taken earlier: `sha256` is its hash or a prefix of it (12 hex
    characters or more), `entries` the entry count written down with it, if known. Finds the log
    truncated (the head's line gone) or rewritten (the head's line no longer what it was)."""
    given = sha256.lower()
    hashes = {n: _line_hash(line) for n, line in enumerate(lines, 1)}
    found = [n for n, h in hashes.items() if h.startswith(given)]
    # The same line twice is a duplicate, which the chain shows; two different lines are a short prefix.
    if len({hashes[n] for n in found}) > 1:
        raise InputError(f"head {given}: more than one entry's hash starts with it (lines {found[0]} and "
                         f"{found[-1]}); give more of its characters")
    short = f"the head given ({given[:12]}…{f', entry {entries}' if entries else ''})"
    if found and (entries is None or entries in found):
        return []
    if found:
        moved = "deleted" if found[0] < entries else "inserted"
        return [Problem(_line(found[0]), f"is {short}: it has moved, so entries before it were {moved}")]
    if entries is None:
        return [Problem(LOG_NAME, f"none of its {len(lines)} entries is {short}: the log was truncated "
                                  "or rewritten since that head was taken")]
    if len(lines) < entries:
        return [Problem(_line(len(lines) + 1), f"missing: the log now ends at entry {len(lines)}, but {short} is "
                                               "later: the log was truncated (or rewritten)")]
    return [Problem(_line(entries), f"is not {short}: the log was rewritten at or before this line")]


def check_copy(lines: list[str], copy: list[str], source: str) -> list[Problem]:
    """Whether the log still begins with a copy of it held elsewhere (a report's `custody_log`), whose
    newest line is the head when the copy was made; `source` names where the copy is."""
    made = f"the copy in {source} (made when the log's head was entry {len(copy)}, {head_of(copy).sha256[:12]}…)"
    for number, (now, then) in enumerate(zip(lines, copy), 1):
        if now != then:
            return [Problem(_line(number), f"differs from {made}: the log was changed at this line since")]
    if len(lines) < len(copy):
        return [Problem(_line(len(lines) + 1), f"missing, but it is in {made}: the log was truncated since")]
    return []


def logged_outputs(lines: list[str]) -> list[tuple[int, Path, str]]:
    """(line number, path, SHA-256 when logged) of every output the log lists, in order."""
    outputs = []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        details = entry.get("details") if isinstance(entry, dict) else None
        for path, sha256 in ((details or {}).get("outputs") or {}).items():
            outputs.append((number, Path(path), sha256))
    return outputs


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 7 → "1-3, 7"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def verify_case(folder: str | os.PathLike) -> CaseCheck:
    """Every break in the log's chain, every entry whose content no longer matches its own hash, every
    stored file whose content no longer matches its name, and every logged output that is missing or
    changed. Entries written before `entry_sha256` existed are checked by the chain alone, and noted."""
    case = require_case(Path(folder))
    problems: list[Problem] = []
    previous = GENESIS
    logged_files: dict[str, int] = {}
    unhashed: list[int] = []
    lines = log_lines(case)
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            entry = None
        if not isinstance(entry, dict):
            problems.append(Problem(_line(number), "not a valid log entry (edited or damaged)"))
            previous = _line_hash(line)
            continue
        if "entry_sha256" not in entry:
            unhashed.append(number)
        elif entry["entry_sha256"] != _own_hash(entry):
            problems.append(Problem(_line(number), "its content does not match its own hash (edited)"))
        if entry.get("prev_sha256") != previous:
            problems.append(Problem(_line(number), "does not follow the entry before it: an entry before or at "
                                                   "this line was edited, deleted, reordered or inserted"))
        if entry.get("seq") != number:
            problems.append(Problem(_line(number), f"is numbered {entry.get('seq')} but stands at position {number}"))
        stored_as = (entry.get("details") or {}).get("stored_as")
        if stored_as:
            logged_files.setdefault(stored_as, number)
        previous = _line_hash(line)
    for number, output, expected in logged_outputs(lines):
        if not output.is_file():
            problems.append(Problem(str(output), f"written at line {number} but no longer there"))
        elif hash_file(output).sha256 != expected:
            problems.append(Problem(str(output), f"changed since it was written (line {number})"))
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
    notes = []
    if unhashed:
        plural = "s" if len(unhashed) > 1 else ""
        covered = (f"an edit of line {len(lines)}, the newest, cannot be detected from the log alone"
                   if unhashed[-1] == len(lines) else "the chain still covers them, as a later entry holds their hash")
        notes.append(f"{LOG_NAME}: no entry_sha256 on line{plural} {_ranges(unhashed)} (written by an earlier "
                     f"version of evidence): {covered}")
    return CaseCheck(problems, notes)
