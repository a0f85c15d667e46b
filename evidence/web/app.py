"""The local web application: `evidence serve` runs it on 127.0.0.1. Server-rendered pages (Jinja2) over
the library; examinations run in worker processes (evidence.web.worker); job state in SQLite.

Nothing leaves the machine: no external fonts or scripts, requests from other sites refused (Origin,
Sec-Fetch-Site and Host checks), the recording served back only to this page, and only as audio.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fastapi import Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from evidence import __version__, media
from evidence.analysis import is_located
from evidence.corrections import apply_corrections, renamed
from evidence.errors import EvidenceError, InputError
from evidence.exports import automatic_lines, speakers_sentence, status_notice, transcript_lines, txt_line
from evidence.outputs import artifacts, write_file, write_folder
from evidence.report import load
from evidence.timecode import hms, parse_claimed
from evidence.verify import verify
from evidence.web.store import Job, JobStore
from evidence.web.worker import job_dir

HERE = Path(__file__).parent
DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024**3
"""8 GiB: ten hours of 16-bit 48 kHz stereo WAV is 6.9 GB (ten hours of a phone's 64 kbit/s AAC is
about 290 MB)."""
CHUNK = 1 << 20
PROVENANCE_FIELDS = ["case_ref", "exhibit", "recorded_by", "device", "claimed_date", "claimed_place",
                     "transferred", "others_present", "prepared_by", "notes"]
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The only names the server answers to: a page on another name that resolves here (DNS rebinding) is refused."""
MAX_SPEAKERS = 20
"""More voices than any recording this is for; a larger number only makes the speaker step run long or fail."""
CONTAINER_MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
                         "aac": "audio/aac", "amr": "audio/amr", "aiff": "audio/aiff",
                         "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4", "matroska,webm": "audio/webm"}
"""ffprobe's container name -> the type the recording is served with (others: application/octet-stream)."""
SECURITY_HEADERS = {
    # Only this server's own script, styles, media and forms; no inline script, no framing by other pages.
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # The browser keeps to the type given: an upload is never taken for a page or a script.
    "X-Content-Type-Options": "nosniff",
}
TOKEN_COOKIE = "evidence_token"
TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "X-CSRF-Token"
TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")
"""A random value per browser session, in a cookie other sites cannot read or send (SameSite=Strict) and
in every form of the page: a request that does not carry both changes nothing. Origin checks alone let
through what a browser sends as `Origin: null` (sandboxed frames, some redirects)."""
STOPPED = "The examination stopped unexpectedly (its process ended without finishing). Start it again."
TOKEN_REFUSED = ("Nothing was changed: this page was out of date or came from somewhere else. Go back to the "
                 "examinations, reload the page and try again.")


def _safe_name(name: str | None, fallback: str) -> str:
    cleaned = SAFE_NAME.sub("_", Path(name or "").name).strip(" .")
    return cleaned[:120] or fallback


async def _save_upload(upload: UploadFile, target: Path, max_bytes: int) -> tuple[str, int]:
    """Copy an upload to `target` in 1 MiB blocks, hashing as it goes; refuse it past `max_bytes`."""
    digest, size = hashlib.sha256(), 0
    with open(target, "xb") as out:
        while block := await upload.read(CHUNK):
            size += len(block)
            if size > max_bytes:
                out.close()
                target.unlink()
                raise HTTPException(413, f"{upload.filename}: larger than the upload limit "
                                         f"({max_bytes / 1024**3:.1f} GiB)")
            digest.update(block)
            out.write(block)
    if size == 0:
        target.unlink()
        raise HTTPException(400, f"{upload.filename or 'the file'}: empty file")
    os.chmod(target, 0o400)
    return digest.hexdigest(), size


def _audio_media_type(path: Path, name: str) -> str:
    """The type the recording is served with, from the container ffprobe finds; a file in which it finds no
    audio is refused here, before a job exists, so that nothing else is ever served from this origin."""
    try:
        info = media.probe(path)
    except InputError as e:
        where = str(path.absolute())
        reason = str(e).removeprefix(f"{where}: ").replace(where, name)
        raise HTTPException(400, f"{name} was not accepted: {reason}. Choose the recording itself: an audio or "
                                 "video file such as m4a, mp3, wav or amr.") from None
    return CONTAINER_MEDIA_TYPES.get(info.format_name, "application/octet-stream")


def _too_large(max_bytes: int) -> str:
    return f"the upload is larger than the limit ({max_bytes / 1024**3:.1f} GiB; evidence serve --max-upload-gb sets it)"


class _BodyLimit:
    """Counts a request's body as it arrives and stops reading past the limit: a chunked upload says
    nothing of its size beforehand, and the form parser would otherwise spool all of it to disk first."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised where the route reads the body, so that the app's own error pages answer.
                raise HTTPException(413, _too_large(self.max_bytes - 1024**2))
            return message

        await self.app(scope, counted, send)


def _host_and_port(header: str) -> tuple[str, int | None] | None:
    """The name and port of a Host header ("localhost:8765", "[::1]:8765"); None when it is not one."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::([0-9]{1,5}))?", header)
    if match is None:
        return None
    return match.group(1).strip("[]").lower(), int(match.group(2)) if match.group(2) else None


def create_app(data_dir: str | Path, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
               allowed_hosts: tuple[str, ...] = LOCAL_HOSTS) -> FastAPI:
    data = Path(data_dir)
    # Recordings of children and families: the folders are their owner's alone, including ones an older
    # version made more open.
    for folder in (data, data / "jobs", data / "tmp"):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    store = JobStore(data / "jobs.sqlite")

    async def token_checked(request: Request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        sent = request.headers.get(TOKEN_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
                ("multipart/form-data", "application/x-www-form-urlencoded")):
            sent = str((await request.form()).get(TOKEN_FIELD, ""))
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        if not (TOKEN_FORM.fullmatch(cookie) and sent and hmac.compare_digest(sent, cookie)):
            raise HTTPException(403, TOKEN_REFUSED)

    # On the app, so that every route that changes anything, including any added later, checks the token.
    app = FastAPI(title="evidence", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(token_checked)])
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(hms=hms, version=__version__, is_located=is_located)
    # Innermost (added before the others): its refusal is raised inside the routes' error handling.
    # The allowance over the limit is for the form's other fields.
    app.add_middleware(_BodyLimit, max_bytes=max_upload_bytes + 1024**2)

    @app.middleware("http")
    async def same_origin_only(request: Request, call_next):
        host = _host_and_port(request.headers.get("host", ""))
        served_port = (request.scope.get("server") or (None, None))[1]
        if host is None or host[0] not in allowed_hosts or host[1] not in (None, served_port):
            return Response("Refused: this server answers only on this machine's own address.", 403)
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host')}"
        cross_site = request.headers.get("sec-fetch-site") == "cross-site"
        if cross_site or (request.method not in ("GET", "HEAD") and origin not in (None, "null", own)):
            return Response("Refused: requests from other sites are not accepted.", 403)
        # Checked before the body is read: FastAPI spools a form's files before any route runs.
        if int(request.headers.get("content-length") or 0) > max_upload_bytes + 1024**2:
            return JSONResponse({"error": _too_large(max_upload_bytes)}, status_code=413)
        token = request.cookies.get(TOKEN_COOKIE, "")
        fresh = not TOKEN_FORM.fullmatch(token)
        request.state.token = secrets.token_urlsafe(32) if fresh else token
        response = await call_next(request)
        if fresh:
            response.set_cookie(TOKEN_COOKIE, request.state.token, path="/", httponly=True, samesite="strict")
        return response

    # Added last, so it wraps the checks above and their refusals carry the headers too.
    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def job_or_404(job_id: str):
        job = store.get(job_id) if re.fullmatch(r"[0-9a-f]{12}", job_id) else None
        if job is None:
            raise HTTPException(404, "no such job")
        return _checked(store, job)

    def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"token": getattr(request.state, "token", ""), **context},
                                          status_code=status_code)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        return page(request, "index.html", jobs=[_checked(store, job) for job in store.all()],
                    max_gb=max_upload_bytes / 1024**3, data_dir=data.absolute())

    @app.post("/jobs")
    async def start_job(request: Request, recording: UploadFile, exemplar: UploadFile | None = None,
                        grid_csv: UploadFile | None = None, case_ref: str = Form(""), exhibit: str = Form(""),
                        recorded_by: str = Form(""), device: str = Form(""), claimed_date: str = Form(""),
                        claimed_place: str = Form(""), transferred: str = Form(""), others_present: str = Form(""),
                        prepared_by: str = Form(""), notes: str = Form(""), speakers: str = Form("")):
        if claimed_date:
            try:
                parse_claimed(claimed_date)
            except ValueError as e:
                raise HTTPException(400, f"claimed date: {e}") from None
        speakers = speakers.strip()
        if speakers and not (re.fullmatch(r"[0-9]{1,2}", speakers) and 1 <= int(speakers) <= MAX_SPEAKERS):
            raise HTTPException(400, f"number of speakers: give a whole number from 1 to {MAX_SPEAKERS}, "
                                     "or leave it empty")
        staging = Path(tempfile.mkdtemp(dir=data / "tmp"))
        try:
            (staging / "original").mkdir(mode=0o700)
            name = _safe_name(recording.filename, "recording")
            sha256, size = await _save_upload(recording, staging / "original" / name, max_upload_bytes)
            media_type = await run_in_threadpool(_audio_media_type, staging / "original" / name, name)
            options = {k: v for k, v in dict(case_ref=case_ref, exhibit=exhibit, recorded_by=recorded_by,
                                             device=device, claimed_date=claimed_date, claimed_place=claimed_place,
                                             transferred=transferred, others_present=others_present,
                                             prepared_by=prepared_by, notes=notes, speakers=speakers).items() if v}
            for field, upload in (("exemplar", exemplar), ("grid_csv", grid_csv)):
                if upload is not None and upload.filename:
                    saved = f"{field}-{_safe_name(upload.filename, field)}"
                    await _save_upload(upload, staging / saved, max_upload_bytes)
                    options[field] = saved
            job = store.create(name, sha256, size, options, media_type)
            os.replace(staging, job_dir(data, job.id))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        store.update(job.id, pid=_start_worker(data, job.id))
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @app.post("/jobs/{job_id}/again")
    def start_again(job_id: str):
        job_or_404(job_id)
        # Queued in the same step as the state is checked: a second click, or a second tab, starts no second worker.
        if not store.update_if(job_id, ("failed",), state="queued", stage="", fraction=0.0, started=None, pid=None,
                               error=None):
            raise HTTPException(409, "This examination has not failed, so it was not started again.")
        store.update(job_id, pid=_start_worker(data, job_id))
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.get("/jobs/{job_id}/status")
    def status(job_id: str):
        job = job_or_404(job_id)
        return {"state": job.state, "stage": job.stage, "fraction": job.fraction, "eta_s": job.eta_s,
                "error": job.error}

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str):
        job = job_or_404(job_id)
        if job.state != "done":
            return page(request, "progress.html", job=job)
        folder = job_dir(data, job_id)
        report = load(_current(folder) / "report.json")
        duration_s = report.media.decoded_duration_s or 1.0
        return page(request, "result.html", job=job, report=report, duration_s=duration_s,
                    lines=transcript_lines(report), status=status_notice(report),
                    speakers=speakers_sentence(report.transcript) if report.transcript else "",
                    labels=report.transcript.diarization.speakers if report.transcript and
                    report.transcript.diarization else [],
                    downloads=_downloads(folder))

    @app.get("/jobs/{job_id}/audio")
    def audio(job_id: str):
        job = job_or_404(job_id)
        # Never the type the upload's name suggests: a "recording" called page.html would be a page of
        # this origin. Jobs from before the type was recorded get the type that is never rendered.
        return FileResponse(job_dir(data, job_id) / "original" / job.recording,
                            media_type=job.media_type or "application/octet-stream")

    @app.get("/jobs/{job_id}/files/{folder}/{name}")
    def download(job_id: str, folder: str, name: str):
        job_or_404(job_id)
        if folder not in ("out", "reviewed") or not re.fullmatch(r"(report\.json|bundle\.pdf|transcript\.\w+)", name):
            raise HTTPException(404, "no such file")
        path = job_dir(data, job_id) / folder / name
        if not path.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(path, filename=name)

    @app.post("/jobs/{job_id}/speakers")
    async def rename_speakers(request: Request, job_id: str):
        job_or_404(job_id)
        folder = job_dir(data, job_id)
        form = await request.form()
        names = {k[len("name:"):]: str(v).strip() for k, v in form.items() if k.startswith("name:") and str(v).strip()}
        # Names apply to the run's outputs and, when there is one, to the reviewed version.
        for sub in ("out", "reviewed"):
            if (folder / sub / "report.json").is_file():
                try:
                    report = renamed(load(folder / sub / "report.json"), names)
                except EvidenceError as e:
                    raise HTTPException(400, str(e)) from None
                write_folder(folder / sub, artifacts(report))
        return RedirectResponse(f"/jobs/{job_id}#transcript", status_code=303)

    @app.post("/jobs/{job_id}/corrections")
    async def corrections(request: Request, job_id: str):
        job_or_404(job_id)
        folder = job_dir(data, job_id)
        form = await request.form()
        report = load(folder / "out" / "report.json")
        automatic = automatic_lines(report)
        rows = []
        for n, line in enumerate(automatic, 1):
            text = " ".join(str(form.get(f"text:{n}", line.text)).split())
            speaker = str(form.get(f"speaker:{n}", line.speaker or "")).strip()
            rows.append(txt_line(n, line.start_s, (f"{speaker}: " if speaker else "") + text))
        corrected = folder / f"corrections-{len(list(folder.glob('corrections-*.txt'))) + 1}.txt"
        write_file(corrected, ("\n".join(rows) + "\n").encode("utf-8"))
        try:
            reviewed = apply_corrections(report, corrected, str(form.get("reviewed_by", "")).strip() or None)
        except EvidenceError as e:
            raise HTTPException(400, str(e)) from None
        write_folder(folder / "reviewed", artifacts(reviewed))
        return RedirectResponse(f"/jobs/{job_id}#transcript", status_code=303)

    @app.get("/jobs/{job_id}/delete", response_class=HTMLResponse)
    def confirm_delete(request: Request, job_id: str):
        return page(request, "delete.html", job=job_or_404(job_id))

    @app.post("/jobs/{job_id}/delete")
    def delete_job(job_id: str):
        job = job_or_404(job_id)
        # A worker still writing into the folder would fail, or leave half a folder behind: it is left to finish.
        if job.state == "queued" or (job.state == "running" and job.pid and _alive(job.pid)):
            raise HTTPException(409, "This examination is still running, so it was not deleted. Wait until it "
                                     "has finished (or failed), then delete it.")
        shutil.rmtree(job_dir(data, job_id), ignore_errors=True)
        store.delete(job_id)
        return RedirectResponse("/", status_code=303)

    @app.get("/verify", response_class=HTMLResponse)
    def verify_form(request: Request):
        return page(request, "verify.html", result=None)

    @app.post("/verify", response_class=HTMLResponse)
    async def verify_files(request: Request, recording: UploadFile, reference: UploadFile):
        with tempfile.TemporaryDirectory(dir=data / "tmp") as tmp:
            rec = Path(tmp) / _safe_name(recording.filename, "recording")
            ref = Path(tmp) / _safe_name(reference.filename, "reference")
            await _save_upload(recording, rec, max_upload_bytes)
            await _save_upload(reference, ref, max_upload_bytes)
            try:
                result = verify(rec, ref)
            except EvidenceError as e:
                return page(request, "verify.html", result=None, error=str(e))
        return page(request, "verify.html", result=result)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        if request.method == "POST" and request.url.path == "/jobs":
            # Shown on the form itself, where the file or the field can be changed and sent again.
            return page(request, "index.html", exc.status_code, jobs=store.all(),
                        max_gb=max_upload_bytes / 1024**3, error=exc.detail)
        return page(request, "error.html", exc.status_code, message=exc.detail)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        # Starlette sends this outside every middleware, so the headers are set here; the traceback goes
        # to the server's log, not to the page.
        message = ("something went wrong on this computer's evidence server. Try again; if it happens again, "
                   "stop the server and start it again.")
        if "text/html" in request.headers.get("accept", ""):
            response = page(request, "error.html", 500, message=message)
        else:
            response = JSONResponse({"error": message}, status_code=500)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


def spool_uploads_in(data_dir: str | Path) -> None:
    """Make this process spool uploads being received in the private data folder, not in /tmp
    (Starlette writes a form's files to temporary files before a route sees them)."""
    tempfile.tempdir = str(Path(data_dir) / "tmp")


def _current(folder: Path) -> Path:
    """The reviewed outputs when a person has corrected the transcript, else the run's."""
    return folder / "reviewed" if (folder / "reviewed" / "report.json").is_file() else folder / "out"


def _downloads(folder: Path) -> list[tuple[str, str]]:
    out = []
    for sub, label in (("out", "automatic"), ("reviewed", "reviewed")):
        for path in sorted((folder / sub).glob("*")) if (folder / sub).is_dir() else []:
            out.append((f"{sub}/{path.name}", f"{path.name} ({label})"))
    return out


def _start_worker(data: Path, job_id: str) -> int:
    # The log can quote the recording's name and the reasons an examination failed: its owner's alone.
    fd = os.open(job_dir(data, job_id) / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    log = os.fdopen(fd, "ab")
    # The pid is recorded now, not only when the worker reports in: one that dies before then is noticed too.
    return subprocess.Popen([sys.executable, "-m", "evidence.web.worker", str(data), job_id], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True).pid


def _checked(store: JobStore, job: Job) -> Job:
    """The job, marked failed when its worker has ended without finishing (killed, out of memory, a reboot):
    otherwise it would show as running, with the time left growing, for ever."""
    if job.state not in ("queued", "running") or not job.pid or not _ended(job.pid):
        return job
    # Only if it is still unfinished: a worker writes its final state before it exits, so a job that has
    # just finished is left as it is.
    store.update_if(job.id, ("queued", "running"), state="failed", error=STOPPED)
    return store.get(job.id) or job


def _ended(pid: int) -> bool:
    # A worker this server started stays a zombie, which signals still reach, until it is reaped here.
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # started by an earlier server, or already reaped
        return not _alive(pid)
    return reaped == pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
