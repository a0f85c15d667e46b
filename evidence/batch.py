"""Many recordings as independent jobs: find them (files, folders, a manifest CSV), name one output
folder for each, skip those already done, examine the rest in this process, in local worker processes
or on a Dask cluster (the same job function everywhere), and summarise the batch in index.csv and
index.pdf.

    OUTROOT/<exhibit or file name>-<first 12 hex digits of the SHA-256>/
        report.json, bundle.pdf, transcript.*   as `evidence run` writes them
        batch.json                              the resume key and the index row's summary
    OUTROOT/index.csv, OUTROOT/index.pdf        one row per recording, in the order given

A recording is not examined again when its folder's batch.json holds the same key (the recording's
SHA-256, a hash of every option that shapes the outputs, and the tool's version) and every output it
lists is still there with the SHA-256 it had. A recording that cannot be examined becomes a "failed"
row with its one-line reason; the others go on.

On a cluster, workers open recordings by path and write outputs under OUTROOT by path, so both must be
the same path on every machine (a shared folder); with `send_back` the workers return the outputs'
bytes and this process writes them (docs/scale-out.md).
"""

from __future__ import annotations

import csv
import ctypes
import dataclasses
import functools
import hashlib
import io
import json
import multiprocessing
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from threadpoolctl import threadpool_info, threadpool_limits

from evidence import __version__, custody, pipeline
from evidence.errors import EvidenceError, InputError, IntegrityError, ToolMissingError
from evidence.fingerprint import hash_file
from evidence.media import check_readable
from evidence.outputs import artifacts, write_file, write_folder
from evidence.progress import BatchProgress, no_batch_progress
from evidence.report import Provenance, Report
from evidence.timecode import parse_claimed

AUDIO_SUFFIXES = frozenset({
    ".wav", ".m4a", ".aac", ".mp3", ".amr", ".3gp", ".3g2", ".ogg", ".oga", ".opus", ".flac", ".webm",
    ".mp4", ".mov", ".m4b", ".caf", ".aif", ".aiff", ".wma", ".mka", ".mkv",
})
"""What a folder is searched for; a file named on its own is examined whatever its name."""
MANIFEST_SUFFIX = ".csv"
PATH_COLUMN = "path"
PROVENANCE_COLUMNS = tuple(f.name for f in dataclasses.fields(Provenance))
STATE_FILE = "batch.json"
INDEX_CSV = "index.csv"
INDEX_PDF = "index.pdf"
SHORT_SHA_CHARS = 12
NAME_CHARS = 60
DASK_CONNECT_S = 10

State = Literal["done", "skipped", "failed"]
INDEX_COLUMNS = ("recording", "file", "sha256", "duration_s", "state", "conclusion", "findings", "concerns",
                 "notices", "bundle", "reason")


@dataclass(frozen=True)
class Input:
    """A recording as named (on its own, found in a folder or in a manifest row), and the provenance
    fields its manifest row gives, which take the place of the batch's own."""

    path: Path
    provenance: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Summary:
    """What the index says about an examined recording; kept in batch.json for a later, resumed run."""

    file: str
    sha256: str
    duration_s: float | None
    conclusion: str
    findings: int
    concerns: int
    notices: int


@dataclass(frozen=True)
class Job:
    """One recording to examine. `recording` is what is opened: the file given, or its copy in the
    case's store; `key` is the resume key, which the worker writes into batch.json."""

    source: Path
    recording: Path
    sha256: str
    outdir: Path
    options: pipeline.RunOptions
    key: dict[str, str]
    send_back: bool = False
    blas_threads: int = 1
    """The BLAS thread count of the process that planned the batch, which the job runs with (see run_job)."""


@dataclass(frozen=True)
class Outcome:
    """One index row: what became of a recording ("skipped" is a recording named twice), and the files
    written for it (to log in a case). `resumed`: done by an earlier run, whose outputs were kept; the
    index does not tell it apart, so that a resumed batch writes the same index again."""

    source: Path
    state: State
    reason: str = ""
    outdir: Path | None = None
    summary: Summary | None = None
    written: tuple[Path, ...] = ()
    resumed: bool = False


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _failed(source: Path, reason: str) -> Outcome:
    return Outcome(source, "failed", _one_line(reason))


# -- finding the recordings ---------------------------------------------------------------------------

def _column(name: str) -> str:
    """A manifest header as a field name: "Claimed date" and "claimed-date" are `claimed_date`."""
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def read_manifest(manifest: Path) -> list[Input]:
    """The rows of a manifest CSV: a `path` column (relative to the manifest's folder, or absolute) and
    any of the provenance fields `evidence run` takes (case_ref, exhibit, ..., notes as text); an empty
    cell leaves the batch's own value."""
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{manifest}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{manifest}: cannot be read as a CSV manifest ({e})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [_column(name) for name in reader.fieldnames or []]
    if PATH_COLUMN not in header:
        raise InputError(f"{manifest}: no {PATH_COLUMN!r} column (the first line must name the columns, "
                         f"e.g. path,exhibit,claimed_date)")
    unknown = [name for name in header if name not in (PATH_COLUMN, *PROVENANCE_COLUMNS)]
    if unknown:
        raise InputError(f"{manifest}: unknown column {unknown[0]!r} (known: "
                         f"{', '.join((PATH_COLUMN, *PROVENANCE_COLUMNS))})")
    inputs = []
    for row in reader:
        line = reader.line_num
        cells = {_column(k): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        if not cells.get(PATH_COLUMN):
            raise InputError(f"{manifest}: line {line}: no path")
        if cells.get("claimed_date"):
            try:
                parse_claimed(cells["claimed_date"])
            except ValueError as e:
                raise InputError(f"{manifest}: line {line}: claimed_date: {e}") from None
        given = {k: v for k, v in cells.items() if k != PATH_COLUMN and v}
        inputs.append(Input(manifest.parent / cells[PATH_COLUMN], tuple(sorted(given.items()))))
    return inputs


def _in_folder(folder: Path) -> list[Input]:
    found = (p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    # Hidden files and folders are skipped: staging folders of outputs being written, system files.
    return [Input(p) for p in sorted(found) if not any(part.startswith(".") for part in p.relative_to(folder).parts)]


def discover(paths: Sequence[Path]) -> list[Input]:
    """Every recording named: files as given (a missing one becomes a failed row), the audio files in
    folders (recursively, sorted), and the rows of manifests (.csv). The same file with the same
    provenance is listed once."""
    if not paths:
        raise InputError("no recordings given: name files, folders or a manifest CSV")
    inputs: list[Input] = []
    for path in paths:
        if path.suffix.lower() == MANIFEST_SUFFIX and not path.is_dir():
            inputs += read_manifest(path)
        elif path.is_dir():
            inputs += _in_folder(path)
        else:
            inputs.append(Input(path))
    unique = list(dict.fromkeys(dataclasses.replace(i, path=i.path.absolute()) for i in inputs))
    if not unique:
        raise InputError(f"no recordings found in {', '.join(map(str, paths))} (a folder is searched for "
                         f"{', '.join(sorted(AUDIO_SUFFIXES))})")
    return unique


# -- naming, keys, planning ---------------------------------------------------------------------------

def folder_name(source: Path, sha256: str, exhibit: str | None) -> str:
    """`<exhibit or file name>-<short SHA-256>`, in characters safe on every file system."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", exhibit or source.stem).strip("._")[:NAME_CHARS] or "recording"
    return f"{name}-{sha256[:SHORT_SHA_CHARS]}"


@functools.lru_cache(maxsize=64)
def _content_sha256(path: Path, size_bytes: int, mtime_ns: int) -> str:
    return hash_file(path).sha256


def _canonical(value: Any) -> Any:
    """Options as JSON values; an input file (exemplar, grid record) as its path and content hash, so
    that a changed file makes its recordings run again. Each file is hashed once per batch, not per job."""
    if isinstance(value, Path):
        path = value.absolute()
        st = path.stat() if path.is_file() else None
        return {"path": str(path), "sha256": _content_sha256(path, st.st_size, st.st_mtime_ns) if st else None}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def options_sha256(options: pipeline.RunOptions) -> str:
    """A hash of every option that shapes a recording's outputs, its provenance included."""
    return hashlib.sha256(json.dumps(_canonical(dataclasses.asdict(options)), sort_keys=True).encode()).hexdigest()


def resume_key(sha256: str, options: pipeline.RunOptions) -> dict[str, str]:
    return {"recording_sha256": sha256, "options_sha256": options_sha256(options), "version": __version__}


def _read_state(outdir: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((outdir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return state if isinstance(state, dict) else None


def _already_done(outdir: Path, key: dict[str, str]) -> Summary | None:
    """The summary kept by an earlier run with this key, if every output it wrote is still as written."""
    state = _read_state(outdir)
    if not state or state.get("key") != key:
        return None
    for name, sha256 in (state.get("outputs") or {}).items():
        path = outdir / name
        if not path.is_file() or hash_file(path).sha256 != sha256:
            return None
    try:
        return Summary(**state["summary"])
    except (KeyError, TypeError):
        return None


def blas_threads() -> int:
    """The threads numpy's BLAS (OpenBLAS) uses in this process: by default one per core."""
    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


def plan(inputs: Sequence[Input], outroot: Path, options: pipeline.RunOptions,
         send_back: bool = False) -> list[Job | Outcome]:
    """A job for each recording still to examine; an outcome for each that is already done (by an
    earlier run with the same key), named twice (skipped) or cannot be read (failed). With
    `options.case_dir`, each recording to examine is first added to the case's store and logged, and its
    stored copy is examined."""
    if outroot.exists() and not outroot.is_dir():
        raise InputError(f"{outroot}: exists and is not a folder")
    outroot.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A worker elsewhere opens every path from another working folder: they must all be absolute.
    outroot = outroot.absolute()
    given = {name: getattr(options, name) for name in ("exemplar", "grid_csv", "case_dir")}
    options = dataclasses.replace(options, **{name: path.absolute() for name, path in given.items() if path})
    planned: list[Job | Outcome] = []
    taken: dict[Path, Path] = {}
    blas = blas_threads()
    for item in inputs:
        try:
            source = check_readable(item.path)
            sha256 = hash_file(source).sha256
        except EvidenceError as e:
            planned.append(_failed(item.path, str(e)))
            continue
        job_options = dataclasses.replace(options, provenance=dataclasses.replace(options.provenance,
                                                                                  **dict(item.provenance)))
        outdir = outroot / folder_name(source, sha256, job_options.provenance.exhibit)
        if outdir in taken:
            planned.append(Outcome(source, "skipped", f"the same recording as {taken[outdir]}, under the same name",
                                   outdir))
            continue
        taken[outdir] = source
        key = resume_key(sha256, job_options)
        done = _already_done(outdir, key)
        if done:
            planned.append(Outcome(source, "done", outdir=outdir, summary=done, resumed=True))
            continue
        recording = source
        if options.case_dir:
            try:
                recording = custody.add_recording(options.case_dir, source, None, None, None)
            except EvidenceError as e:
                planned.append(_failed(source, str(e)))
                continue
        planned.append(Job(source, recording, sha256, outdir, job_options, key, send_back, blas))
    return planned


# -- one job, wherever it runs ------------------------------------------------------------------------

def _first_sentence(conclusion: str) -> str:
    return _one_line(conclusion).split(". ", 1)[0].rstrip(".") + "."


def summarise(source: Path, report: Report) -> Summary:
    severities = [f.severity for f in report.findings]
    return Summary(
        file=source.name,
        sha256=report.file.hashes_before.sha256,
        duration_s=report.media.decoded_duration_s,
        conclusion=_first_sentence(report.analysis.conclusion),
        findings=len(severities),
        concerns=severities.count("concern"),
        notices=severities.count("notice"),
    )


def write_outputs(outdir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write a job's outputs (batch.json last, so that it is only in place once the rest is), then remove
    what an earlier run with other options wrote there and this one did not (transcripts, say)."""
    earlier = (_read_state(outdir) or {}).get("outputs") or {}
    written = write_folder(outdir, files)
    for name in earlier:
        # Only plain names in this folder: batch.json is read back, and must not make us delete elsewhere.
        if name not in files and Path(name).name == name and not name.startswith("."):
            (outdir / name).unlink(missing_ok=True)
    return written


def run_job(job: Job) -> tuple[Outcome, dict[str, bytes]]:
    """Examine one recording and write its outputs into `job.outdir`, or with `job.send_back` return
    them (the second item) for the caller to write. Never raises for a recording that cannot be
    examined: the outcome says why, so that the batch goes on."""
    try:
        if job.key["version"] != __version__:
            raise InputError(f"{job.source}: this worker has evidence {__version__} but the batch was started with "
                             f"{job.key['version']}; install the same version everywhere")
        # The transcript's probabilities and word times change with the BLAS thread count, and Dask's
        # workers start with it set to 1: run with the count of the process the batch began in.
        with threadpool_limits(job.blas_threads, user_api="blas"):
            report = pipeline.run(job.recording, job.options)
        pipeline.check_unchanged(report)
        if report.file.hashes_before.sha256 != job.sha256:
            raise IntegrityError(f"{job.source}: its SHA-256 is now {report.file.hashes_before.sha256}, not "
                                 f"{job.sha256} as when the batch began; it was not examined")
        summary = summarise(job.source, report)
        files = artifacts(report)
        state = {"key": job.key, "summary": dataclasses.asdict(summary),
                 "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
        files[STATE_FILE] = (json.dumps(state, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if job.send_back:
            return Outcome(job.source, "done", outdir=job.outdir, summary=summary), files
        written = write_outputs(job.outdir, files)
        return Outcome(job.source, "done", outdir=job.outdir, summary=summary, written=tuple(written)), {}
    except EvidenceError as e:
        return _failed(job.source, str(e)), {}
    except Exception as e:  # one recording's unexpected failure must not stop the others
        return _failed(job.source, f"unexpected error ({type(e).__name__}: {e})"), {}
    finally:
        _return_freed_memory()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, found among the symbols this process has loaded; None where there is none."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):
        return None


def _return_freed_memory() -> None:
    """Give the memory one recording freed back to the system before the next begins. glibc keeps freed
    blocks in its arenas, and a worker that examines one recording after another grew: 1,193 MB resident
    after eight 2-minute recordings, 886 MB with this (docs/performance.md). Nothing to do elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _finish(job: Job, outcome: Outcome, files: dict[str, bytes]) -> Outcome:
    """Write what a worker sent back."""
    if not files:
        return outcome
    try:
        written = write_outputs(job.outdir, files)
    except EvidenceError as e:
        return _failed(job.source, str(e))
    return dataclasses.replace(outcome, written=tuple(written))


# -- running the jobs ---------------------------------------------------------------------------------

@contextmanager
def executor(workers: int = 1, scheduler: str | None = None,
             recordings_per_process: int | None = None) -> Iterator[Executor | None]:
    """Where the jobs run: this process (None, for one worker), `workers` local processes, or the Dask
    cluster whose scheduler is at `scheduler` (tcp://HOST:8786). With `recordings_per_process` N, local
    worker processes (one at least) are replaced after N recordings each: a worker's peak memory stays
    that of its first N recordings, at the cost of loading the models again each time."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ToolMissingError("--scheduler needs Dask (the dask and distributed packages): install evidence "
                                   "with its `scale` extra, e.g. `.venv/bin/pip install -e '.[scale]'`") from None
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_S)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError(f"{scheduler}: cannot reach a Dask scheduler there ({_one_line(e)})") from None
        try:
            # Not pure: a job asked for again (a rerun after a failure) runs again, never comes from memory.
            yield client.get_executor(pure=False)
        finally:
            client.close()
    elif workers > 1 or recordings_per_process:
        # Spawned, not forked: this process already runs threads (progress bars), which fork copies badly.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   max_tasks_per_child=recordings_per_process)
        try:
            yield pool
        finally:
            # After Ctrl+C, the recordings not yet started are dropped rather than waited for.
            pool.shutdown(cancel_futures=True)
    else:
        yield None


def run_batch(planned: Sequence[Job | Outcome], pool: Executor | None = None,
              progress: BatchProgress = no_batch_progress,
              on_outcome: Callable[[Outcome], None] = lambda outcome: None) -> list[Outcome]:
    """Run the planned jobs in `pool` (None: here, one after another) and return every outcome in the
    planned order; `on_outcome` is called for each as soon as it is known."""
    outcomes: dict[int, Outcome] = {n: p for n, p in enumerate(planned) if isinstance(p, Outcome)}
    jobs = {n: p for n, p in enumerate(planned) if isinstance(p, Job)}
    total = len(planned)
    for outcome in outcomes.values():
        on_outcome(outcome)

    def finished(n: int, outcome: Outcome) -> None:
        outcomes[n] = outcome
        on_outcome(outcome)

    def current() -> str:
        # Queues start jobs in the order given, so the first unfinished one is running.
        waiting = [jobs[n].source.name for n in sorted(jobs) if n not in outcomes]
        return waiting[0] if waiting else ""

    progress(len(outcomes), total, current())
    if pool is None:
        for n, job in jobs.items():
            finished(n, _finish(job, *run_job(job)))
            progress(len(outcomes), total, current())
        return [outcomes[n] for n in range(total)]
    futures = {pool.submit(run_job, job): n for n, job in jobs.items()}
    for future in as_completed(futures):
        n = futures[future]
        try:
            outcome = _finish(jobs[n], *future.result())
        except Exception as e:  # the worker died (killed, out of memory) or the cluster went away
            outcome = _failed(jobs[n].source,
                              f"{jobs[n].source}: the worker running it failed ({type(e).__name__}: {e})")
        finished(n, outcome)
        progress(len(outcomes), total, current())
    return [outcomes[n] for n in range(total)]


# -- the index ----------------------------------------------------------------------------------------

def index_rows(outroot: Path, outcomes: Sequence[Outcome]) -> list[dict[str, str]]:
    """One row per recording, as in index.csv; the bundle's path is relative to OUTROOT."""
    rows = []
    outroot = outroot.absolute()
    for o in outcomes:
        s = o.summary
        bundle = o.outdir / "bundle.pdf" if s and o.outdir else None
        rows.append({
            "recording": str(o.source),
            "file": o.source.name,
            "sha256": s.sha256 if s else "",
            "duration_s": f"{s.duration_s:.3f}" if s and s.duration_s is not None else "",
            "state": o.state,
            "conclusion": s.conclusion if s else "",
            "findings": str(s.findings) if s else "",
            "concerns": str(s.concerns) if s else "",
            "notices": str(s.notices) if s else "",
            "bundle": str(bundle.relative_to(outroot)) if bundle else "",
            "reason": o.reason,
        })
    return rows


def write_index(outroot: Path, outcomes: Sequence[Outcome]) -> list[Path]:
    """index.csv and index.pdf (which carries index.csv attached) in OUTROOT."""
    from evidence.bundle.batch_index import render_index

    rows = index_rows(outroot, outcomes)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    table = buffer.getvalue().encode("utf-8")
    return [write_file(outroot / INDEX_CSV, table), write_file(outroot / INDEX_PDF, render_index(rows, table))]
