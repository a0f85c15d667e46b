"""The server's side of the examinations' worker processes: how many run at once, which waiting job goes
next, and whether a job's worker is still there, also after the server or the machine was restarted.

A job's states: waiting (in the queue, no worker yet), queued (its worker started, not yet reported in),
running, done, failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from evidence.web.store import Job, JobStore

WORKER_MEMORY_BYTES = 1024**3
"""Memory allowed per examination: one used about 620 MB at its peak (12 run at once, issue 15); the
rest is margin for longer recordings and for the server itself."""
STOPPED = "The examination stopped unexpectedly (its process ended without finishing). Start it again."
NOT_STARTED = "The examination could not be started on this computer"
UNCLAIMED_S = 60.0
"""A job marked as starting whose worker's pid was never recorded (the server stopped in between) is
failed after this long, so that it cannot hold its place for ever."""

_dispatching = threading.Lock()


def job_dir(data_dir: Path, job_id: str) -> Path:
    return Path(data_dir) / "jobs" / job_id


def default_workers() -> int:
    """Examinations run at once: as many as the memory free now holds at WORKER_MEMORY_BYTES each, and
    no more than the processor count (more would only share the same cores); at least one."""
    available = _available_memory_bytes()
    by_memory = int(available // WORKER_MEMORY_BYTES) if available else 1
    return max(1, min(os.cpu_count() or 1, by_memory))


def _available_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def identity(pid: int) -> str | None:
    """This boot's id and the process's start time: a pid alone may belong to another process after the
    old one ended or the machine restarted. None when there is no such process (or no /proc)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: the start time is the 20th field after it.
    return f"{boot}/{stat.rsplit(')', 1)[1].split()[19]}"


def start_worker(data: Path, job_id: str) -> tuple[int, str | None]:
    """Start `python -m evidence.web.worker` for a job; its pid and identity."""
    # The log can quote the recording's name and the reasons an examination failed: its owner's alone.
    fd = os.open(job_dir(data, job_id) / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "evidence.web.worker", str(data), job_id], stdout=log,
                                   stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    return process.pid, identity(process.pid)


def checked(store: JobStore, job: Job) -> Job:
    """The job, marked failed when its worker has ended without finishing (killed, out of memory, a reboot):
    otherwise it would show as running, with the time left growing, for ever."""
    if job.state not in ("queued", "running"):
        return job
    if job.pid:
        gone = ended(job.pid, job.worker)
    else:
        gone = job.state == "queued" and time.time() - job.updated > UNCLAIMED_S
    if not gone:
        return job
    # Only if it is still unfinished: a worker writes its final state before it exits, so a job that has
    # just finished is left as it is.
    store.update_if(job.id, ("queued", "running"), state="failed", error=STOPPED)
    return store.get(job.id) or job


def ended(pid: int, recorded_identity: str | None) -> bool:
    # A worker this server started stays a zombie, which signals still reach, until it is reaped here.
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # started by an earlier server, or already reaped
        now = identity(pid)
        if now is None:
            return not _alive(pid)
        return recorded_identity is not None and now != recorded_identity
    return reaped == pid


def is_running(job: Job) -> bool:
    """Whether a worker may be writing into the job's folder now."""
    return job.state in ("queued", "running") and not (job.pid and ended(job.pid, job.worker))


def dispatch(store: JobStore, data: Path, max_workers: int) -> None:
    """Mark dead workers' jobs failed, then start workers for waiting jobs, oldest first, while fewer than
    `max_workers` run."""
    with _dispatching:
        jobs = [checked(store, job) for job in store.all()]
        active = sum(job.state in ("queued", "running") for job in jobs)
        for job in sorted((j for j in jobs if j.state == "waiting"), key=lambda j: j.created):
            if active >= max_workers:
                break
            # Claimed in one statement: a job deleted meanwhile, or claimed by another server, is left alone.
            if not store.update_if(job.id, ("waiting",), state="queued", pid=None, worker=None):
                continue
            try:
                pid, worker = start_worker(data, job.id)
            except OSError as e:  # its folder gone (deleted by hand), or no process can be started now
                store.update(job.id, state="failed", error=f"{NOT_STARTED} ({e.strerror or e})")
                continue
            store.update(job.id, pid=pid, worker=worker)
            active += 1


def queue_position(store: JobStore, job: Job) -> int | None:
    """1 for the next job to start, 2 for the one after it …; None for a job that is not waiting."""
    return queue_positions(store.all()).get(job.id) if job.state == "waiting" else None


def queue_positions(jobs: list[Job]) -> dict[str, int]:
    """Every waiting job's place in the queue, from one list of the jobs."""
    waiting = sorted((j for j in jobs if j.state == "waiting"), key=lambda j: j.created)
    return {job.id: n for n, job in enumerate(waiting, 1)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
