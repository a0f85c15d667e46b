"""Job state in a small SQLite file in the data directory, so that jobs survive a server restart and
the worker processes can report progress to any server that is running."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

STALL_S = 15.0
"""No time left is estimated while the share done has not moved for this long."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL,          -- waiting, queued, running, done, failed (evidence.web.workers)
    stage TEXT NOT NULL DEFAULT '',
    fraction REAL NOT NULL DEFAULT 0,
    started REAL,
    pid INTEGER,
    error TEXT,
    recording TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    options TEXT NOT NULL,
    media_type TEXT,              -- what the recording is served as, from what ffprobe found in it
    worker TEXT,                  -- the worker process's boot and start time, to know its pid again
    moved REAL                    -- when the share done last changed
)
"""
ADDED_COLUMNS = {"media_type": "TEXT", "worker": "TEXT", "moved": "REAL"}
"""Columns added since the first version: a job list made by an older version gets them."""


@dataclass(frozen=True)
class Job:
    id: str
    created: float
    updated: float
    state: str
    stage: str
    fraction: float
    started: float | None
    pid: int | None
    error: str | None
    recording: str
    sha256: str
    size_bytes: int
    options: dict
    media_type: str | None = None
    worker: str | None = None
    moved: float | None = None

    @property
    def eta_s(self) -> float | None:
        """Seconds left, from the time taken so far and the share done (None until there is a share)."""
        if self.state != "running" or not self.started or self.fraction <= 0.02 or self.quiet_s > STALL_S:
            return None
        elapsed = time.time() - self.started
        return max(0.0, elapsed / self.fraction - elapsed)

    @property
    def quiet_s(self) -> float:
        """Seconds since the share done last moved: a stage that reports no progress for a while (a
        long stretch of speech being decoded) would otherwise make the estimate grow without end."""
        if self.state != "running":
            return 0.0
        return time.time() - (self.moved or self.started or self.updated)


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        # The job list names recordings and cases: its owner's alone, and SQLite gives its journal the
        # same mode. chmod as well, for a list made before this was so.
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        with self._connect() as db:
            db.execute(SCHEMA)
            present = {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}
            for name, kind in ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def create(self, recording: str, sha256: str, size_bytes: int, options: dict, media_type: str | None = None) -> Job:
        job_id = uuid.uuid4().hex[:12]
        now = time.time()
        with self._connect() as db:
            db.execute("INSERT INTO jobs (id, created, updated, state, recording, sha256, size_bytes, options, "
                       "media_type) VALUES (?, ?, ?, 'waiting', ?, ?, ?, ?, ?)",
                       (job_id, now, now, recording, sha256, size_bytes, json.dumps(options), media_type))
        return self.get(job_id)

    def get(self, job_id: str) -> Job | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._job(row) if row else None

    def all(self) -> list[Job]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created DESC").fetchall()
        return [self._job(r) for r in rows]

    def update(self, job_id: str, **fields) -> None:
        fields["updated"] = time.time()
        names = ", ".join(f"{k} = ?" for k in fields)
        with self._connect() as db:
            db.execute(f"UPDATE jobs SET {names} WHERE id = ?", (*fields.values(), job_id))

    def update_if(self, job_id: str, states: tuple[str, ...], **fields) -> bool:
        """`update`, only while the job is in one of `states`; whether it was. The check and the change are
        one statement, so that two requests (or a request and a worker) cannot both act on one state."""
        fields["updated"] = time.time()
        names = ", ".join(f"{k} = ?" for k in fields)
        marks = ", ".join("?" for _ in states)
        with self._connect() as db:
            changed = db.execute(f"UPDATE jobs SET {names} WHERE id = ? AND state IN ({marks})",
                                 (*fields.values(), job_id, *states)).rowcount
        return changed == 1

    def delete_if(self, job_id: str, states: tuple[str, ...]) -> bool:
        """Delete the job's row only while it is in one of `states`; whether it was (one statement, as
        `update_if`: a waiting job that a worker is starting for is not deleted)."""
        marks = ", ".join("?" for _ in states)
        with self._connect() as db:
            return db.execute(f"DELETE FROM jobs WHERE id = ? AND state IN ({marks})", (job_id, *states)).rowcount == 1

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        data = dict(row)
        data["options"] = json.loads(data["options"])
        return Job(**data)
