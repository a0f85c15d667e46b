"""One examination for the web application, in its own process (`python -m evidence.web.worker DATA_DIR
JOB_ID`), so that the server stays responsive and the job goes on if the page or the server closes."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

from evidence import pipeline
from evidence.errors import EvidenceError
from evidence.outputs import artifacts, write_folder
from evidence.report import Provenance
from evidence.transcribe import TranscribeOptions
from evidence.web.store import JobStore
from evidence.web.workers import job_dir

UPLOADED = "(uploaded to the evidence web page, which examined its own copy)"
# Share of the whole run each library stage usually takes (transcription dominates), for one progress
# bar and a time estimate; the names are what the page shows.
STAGES = [("hash", "fingerprint", 0.03), ("decode", "decode", 0.05), ("analyse", "analysis", 0.07),
          ("transcribe", "transcription", 0.70), ("speakers", "speakers", 0.10), ("bundle", "bundle", 0.05)]


def overall(stage: str, done: float, total: float) -> tuple[str, float]:
    """(name shown, share of the whole run done) for a library progress report."""
    before = 0.0
    for key, name, weight in STAGES:
        if key == stage:
            return name, before + weight * (min(done / total, 1.0) if total else 0.0)
        before += weight
    return stage, before


def run_options(folder: Path, options: dict) -> pipeline.RunOptions:
    provenance = Provenance(**{k: options.get(k) or None for k in (
        "case_ref", "exhibit", "recorded_by", "device", "claimed_date", "claimed_place", "transferred",
        "others_present", "prepared_by", "notes")})
    speakers = options.get("speakers")
    return pipeline.RunOptions(
        transcribe=TranscribeOptions(),
        provenance=provenance,
        exemplar=folder / options["exemplar"] if options.get("exemplar") else None,
        grid_csv=folder / options["grid_csv"] if options.get("grid_csv") else None,
        speakers=int(speakers) if speakers else None,
    )


def plain_reason(message: str, folder: Path, options: dict) -> str:
    """A failure as the person knows the files, by the names they uploaded: where this server keeps them
    means nothing to them, and the page is no place for it."""
    folder = folder.absolute()
    for field in ("exemplar", "grid_csv"):
        if options.get(field):
            message = message.replace(str(folder / options[field]), options[field].removeprefix(f"{field}-"))
    return message.replace(f"{folder / 'original'}/", "").replace(f"{folder}/", "")


def run_job(data_dir: Path, job_id: str) -> None:
    store = JobStore(Path(data_dir) / "jobs.sqlite")
    job = store.get(job_id)
    folder = job_dir(data_dir, job_id)
    started = time.time()
    store.update(job_id, state="running", started=started, moved=started, pid=os.getpid(), stage="fingerprint",
                 fraction=0.0)
    last, shown = 0.0, 0.0

    def progress(stage: str, done: float, total: float) -> None:
        nonlocal last, shown
        now = time.monotonic()
        name, fraction = overall(stage, done, total)
        # Never backwards: the file is hashed again at the end, to show it is unchanged, and that is part
        # of finishing, not a return to the first stage.
        if now - last < 0.5 or round(fraction, 4) <= round(shown, 4):
            return
        store.update(job_id, stage=name, fraction=round(fraction, 4), moved=time.time())
        last, shown = now, fraction

    try:
        report = pipeline.run(folder / "original" / job.recording, run_options(folder, job.options), progress)
        # Where this server keeps its copy means nothing to the bundle's reader: the file as they named it.
        report = dataclasses.replace(report, file=dataclasses.replace(report.file, path=f"{job.recording} {UPLOADED}"))
        store.update(job_id, stage="bundle", fraction=0.95)
        write_folder(folder / "out", artifacts(report))
        pipeline.check_unchanged(report)
    except EvidenceError as e:
        store.update(job_id, state="failed", error=plain_reason(str(e), folder, job.options))
        return
    except Exception as e:  # a worker must always leave its job in a final state
        store.update(job_id, state="failed",
                     error=plain_reason(f"unexpected error ({type(e).__name__}: {e})", folder, job.options))
        raise
    store.update(job_id, state="done", stage="done", fraction=1.0)


if __name__ == "__main__":
    run_job(Path(sys.argv[1]), sys.argv[2])
