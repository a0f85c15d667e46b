"""The local web application: `evidence serve` runs it on 127.0.0.1. Server-rendered pages (Jinja2) over
the library; examinations run in worker processes (evidence.web.worker); job state in SQLite.

Nothing leaves the machine: no external fonts or scripts, requests from other sites refused (Origin,
Sec-Fetch-Site and Host checks), the recording served back only to this page, and only as audio.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import os
import re
import secrets
import shutil
import tempfile
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from evidence import __version__, announcement, media, notice as notices, redact as redacting
from evidence import align as aligning
from evidence.analysis import is_located
from evidence.bundle.alignment import render_alignment
from evidence.corrections import apply_corrections, renamed
from evidence.errors import EvidenceError, InputError
from evidence.exports import automatic_lines, speakers_sentence, status_notice, transcript_lines, txt_line
from evidence.outputs import artifacts, write_file, write_folder
from evidence.report import load
from evidence.timecode import hms, parse_claimed
from evidence.transcribe import marks
from evidence.verify import verify
from evidence.web import wording, workers
from evidence.web.store import JobStore
from evidence.web.uploads import ReceivedFile, receive_form
from evidence.web.workers import job_dir

HERE = Path(__file__).parent
DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024**3
"""8 GiB: ten hours of 16-bit 48 kHz stereo WAV is 6.9 GB (ten hours of a phone's 64 kbit/s AAC is
about 290 MB)."""
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
ACCESS_COOKIE = "evidence_access"
ACCESS_PARAM = "key"
NO_ACCESS = ("Open this page at the address `evidence serve` printed when it started (it ends in ?key=…): that "
             "address, not this computer's other accounts, is what gives access to the examinations.")
"""With an access key (as `evidence serve` always has), every request must carry it: other accounts on the
same computer can reach 127.0.0.1 too, and the page token stops other web sites, not them. The key is in
the address printed to the person who started the server, once; the page then keeps it in a cookie."""
TOKEN_COOKIE = "evidence_token"
TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "X-CSRF-Token"
TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")
"""A random value per browser session, in a cookie other sites cannot read or send (SameSite=Strict) and
in every form of the page: a request that does not carry both changes nothing. Origin checks alone let
through what a browser sends as `Origin: null` (sandboxed frames, some redirects)."""
STREAMED_FORMS = ("/jobs", "/verify", "/align")
"""Forms with files, read by evidence.web.uploads as they arrive; it checks their token itself, before it
writes any file."""
TYPED_FORMS = ("/notice",)
"""Forms of typed answers only: a request to them that could carry a file is refused before it is read."""
NOTICE_FIELDS = ("parent_name", "recipient_name", "recipient_role", "meeting", "meeting_date", "meeting_time",
                 "place", "other_reason", "sent", "children")
NOTICE_TYPES = {"pdf": "application/pdf",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_NAME_CHARS = 100
MAX_LINE_CHARS = 5000
"""Longer than any speaker's name or transcript line; a longer one cannot be laid out in the bundle."""
REDACTED_FILES = ("redaction.pdf", "redacted.wav", "transcript.txt", "redaction.json")
"""What evidence.redact writes, in the order the page lists it."""
PROVENANCE_LABELS = {"case_ref": "Case reference", "exhibit": "Exhibit", "recorded_by": "Who recorded it",
                     "device": "Device and app", "claimed_date": "Claimed date", "claimed_place": "Claimed place",
                     "transferred": "How it was received", "others_present": "Others present",
                     "prepared_by": "Prepared by", "notes": "Notes"}
log = logging.getLogger("evidence.web")
TOKEN_REFUSED = ("Nothing was changed: this page was out of date or came from somewhere else. Go back to the "
                 "examinations, reload the page and try again.")


def _safe_name(name: str | None, fallback: str) -> str:
    cleaned = SAFE_NAME.sub("_", Path(name or "").name).strip(" .")
    return cleaned[:120] or fallback


def _keep(received: ReceivedFile, target: Path, read_only: bool = False) -> None:
    """Move a received file to where the job keeps it: on the same disk, so nothing is copied."""
    if received.size_bytes == 0:
        raise HTTPException(400, f"{received.name or 'the file'}: the file is empty. Choose the recording itself.")
    os.replace(received.path, target)
    if read_only:
        os.chmod(target, 0o400)


def _audio_media_type(path: Path, name: str) -> str:
    """The type the recording is served with, from the container ffprobe finds; a file in which it finds no
    audio is refused here, before a job exists, so that nothing else is ever served from this origin."""
    try:
        info = media.probe(path)
    except InputError as e:
        # ffprobe's own words ("Invalid data found when processing input") are left to the server's log.
        log.info("upload refused: %s", e)
        reason = ("it has no sound in it (no audio track)" if "no audio stream" in str(e) else
                  "it is not an audio or video file that can be read")
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
               allowed_hosts: tuple[str, ...] = LOCAL_HOSTS, max_workers: int | None = None,
               access_key: str | None = None) -> FastAPI:
    """The app over the data folder `data_dir`; `max_workers` examinations run at once (default: what the
    machine's free memory holds, evidence.web.workers.default_workers), the rest wait in a queue; with
    `access_key`, only requests that carry it (ACCESS_COOKIE, set from `?key=` once) are answered."""
    data = Path(data_dir)
    # Recordings of children and families: the folders are their owner's alone, including ones an older
    # version made more open.
    for folder in (data, data / "jobs", data / "tmp"):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    store = JobStore(data / "jobs.sqlite")
    max_workers = max_workers or workers.default_workers()

    def dispatch() -> None:
        workers.dispatch(store, data, max_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Starts the next waiting examination when one ends, and finds dead workers, with no page open.
        async def keep_dispatching():
            while True:
                try:
                    await run_in_threadpool(dispatch)
                except Exception:  # a locked or damaged job list must not stop the queue for good
                    log.exception("starting waiting examinations failed")
                await asyncio.sleep(1.0)

        task = asyncio.create_task(keep_dispatching())
        try:
            yield
        finally:
            task.cancel()

    async def token_checked(request: Request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        sent = request.headers.get(TOKEN_HEADER)
        content_type = request.headers.get("content-type", "")
        if request.url.path in TYPED_FORMS and not content_type.startswith("application/x-www-form-urlencoded"):
            raise HTTPException(415, "This form takes typed answers only, not files. Go back, reload the page and "
                                     "try again.")
        if content_type.startswith("multipart/form-data"):
            if request.url.path not in STREAMED_FORMS:
                # Only the forms with files send files: anything else would be spooled to disk before its
                # token could be read.
                raise HTTPException(415, "This form takes typed answers only, not files. Go back, reload the page "
                                         "and try again.")
            if sent is None:
                return
        if sent is None and content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            sent = str((await request.form()).get(TOKEN_FIELD, ""))
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        if not (TOKEN_FORM.fullmatch(cookie) and sent and hmac.compare_digest(sent, cookie)):
            raise HTTPException(403, TOKEN_REFUSED)

    # On the app, so that every route that changes anything, including any added later, checks the token.
    app = FastAPI(title="evidence", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(token_checked)], lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(hms=hms, version=__version__, is_located=is_located, words=wording,
                                 provenance_labels=PROVENANCE_LABELS, local_time=_local_time)
    # Innermost (added before the others): its refusal is raised inside the routes' error handling.
    # The allowance over the limit is for the form's other fields.
    app.add_middleware(_BodyLimit, max_bytes=max_upload_bytes + 1024**2)

    @app.middleware("http")
    async def same_origin_only(request: Request, call_next):
        host = _host_and_port(request.headers.get("host", ""))
        served_port = (request.scope.get("server") or (None, None))[1]
        if host is None or host[0] not in allowed_hosts or host[1] not in (None, served_port):
            return Response("Refused: this server answers only on this machine's own address.", 403)
        if access_key is not None:
            given = request.query_params.get(ACCESS_PARAM)
            if request.method == "GET" and given is not None and _same(given, access_key):
                # Into a cookie, and out of the address bar and the browser's history.
                response = RedirectResponse(request.url.path, status_code=303)
                response.set_cookie(ACCESS_COOKIE, access_key, path="/", httponly=True, samesite="strict")
                response.headers.update(SECURITY_HEADERS)
                return response
            if not _same(request.cookies.get(ACCESS_COOKIE, ""), access_key):
                return Response(NO_ACCESS, 403, media_type="text/plain; charset=utf-8")
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host')}"
        cross_site = request.headers.get("sec-fetch-site") == "cross-site"
        if cross_site or (request.method not in ("GET", "HEAD") and origin not in (None, "null", own)):
            return Response("Refused: requests from other sites are not accepted.", 403)
        token = request.cookies.get(TOKEN_COOKIE, "")
        fresh = not TOKEN_FORM.fullmatch(token)
        request.state.token = secrets.token_urlsafe(32) if fresh else token
        # Checked before the body is read: the whole upload would otherwise arrive first.
        if int(request.headers.get("content-length") or 0) > max_upload_bytes + 1024**2:
            response = error_response(request, 413, _too_large(max_upload_bytes))
        else:
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
            raise HTTPException(404, "There is no such examination on this computer (it may have been deleted).")
        return workers.checked(store, job)

    def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"token": getattr(request.state, "token", ""), **context},
                                          status_code=status_code)

    def index_page(request: Request, status_code: int = 200, error: str | None = None,
                   values: dict[str, str] | None = None) -> HTMLResponse:
        jobs = [workers.checked(store, job) for job in store.all()]
        return page(request, "index.html", status_code, jobs=jobs, max_gb=max_upload_bytes / 1024**3,
                    data_dir=None if error else data.absolute(), positions=workers.queue_positions(jobs),
                    error=error, values=values or {})

    def error_response(request: Request, status_code: int, message: str) -> Response:
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"error": message}, status_code=status_code)
        if request.method == "POST" and request.url.path == "/jobs":
            # Shown on the form itself, with what was typed, where the file or the field can be changed.
            return index_page(request, status_code, error=message,
                              values=getattr(request.state, "form_values", {}))
        return page(request, "error.html", status_code, message=message)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        return index_page(request)

    @app.get("/favicon.ico")
    def favicon():
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.post("/jobs")
    async def start_job(request: Request):
        staging = Path(tempfile.mkdtemp(dir=data / "tmp"))
        try:
            form = await receive_form(request, staging, ("recording", "exemplar", "grid_csv"), max_upload_bytes,
                                      request.state.token, TOKEN_FIELD, TOKEN_REFUSED, _too_large(max_upload_bytes))
            request.state.form_values = form.fields
            options = _job_options(form.fields)
            recording = form.files.get("recording")
            if recording is None:
                raise HTTPException(400, "Choose the recording to examine.")
            name = _safe_name(recording.name, "recording")
            (staging / "original").mkdir(mode=0o700)
            _keep(recording, staging / "original" / name, read_only=True)
            media_type = await run_in_threadpool(_audio_media_type, staging / "original" / name, name)
            for field in ("exemplar", "grid_csv"):
                if field in form.files:
                    options[field] = f"{field}-{_safe_name(form.files[field].name, field)}"
                    _keep(form.files[field], staging / options[field])
            job = store.create(name, recording.sha256, recording.size_bytes, options, media_type)
            os.replace(staging, job_dir(data, job.id))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        await run_in_threadpool(dispatch)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @app.post("/jobs/{job_id}/again")
    def start_again(job_id: str):
        job_or_404(job_id)
        # Back in the queue in the same step as the state is checked: a second click, or a second tab,
        # queues it once.
        if not store.update_if(job_id, ("failed",), state="waiting", stage="", fraction=0.0, started=None, pid=None,
                               worker=None, moved=None, error=None):
            raise HTTPException(409, "This examination has not failed, so it was not started again.")
        dispatch()
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.get("/jobs/{job_id}/status")
    def status(job_id: str):
        job = job_or_404(job_id)
        return {"state": job.state, "stage": job.stage, "fraction": job.fraction, "eta_s": job.eta_s,
                "quiet_s": round(job.quiet_s, 1), "queue_position": workers.queue_position(store, job),
                "error": job.error}

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str):
        job = job_or_404(job_id)
        if job.state != "done":
            return page(request, "progress.html", job=job, position=workers.queue_position(store, job),
                        max_workers=max_workers)
        folder = job_dir(data, job_id)
        report = load(_current(folder) / "report.json")
        duration_s = report.media.decoded_duration_s or 1.0
        lines = transcript_lines(report)
        t = report.transcript
        labels = t.diarization.speakers if t and t.diarization else []
        # A line shows its speaker's name; naming from a line needs the label behind it.
        label_of = {t.speaker_names.get(label, label): label for label in labels}
        return page(request, "result.html", job=job, report=report, duration_s=duration_s, label_of=label_of,
                    lines=lines, listen=marks.to_listen(lines), reliability=marks.MARK_RELIABILITY,
                    status=status_notice(report),
                    announced=announcement.of_report(report), announcement=announcement,
                    speakers=speakers_sentence(report.transcript, with_method=False) if report.transcript else "",
                    labels=labels,
                    provenance={k: v for k, v in vars(report.provenance).items() if v},
                    downloads=_downloads(folder), redacted=_redacted(folder))

    @app.get("/jobs/{job_id}/audio")
    def audio(job_id: str):
        job = job_or_404(job_id)
        # Never the type the upload's name suggests: a "recording" called page.html would be a page of
        # this origin. Jobs from before the type was recorded get the type that is never rendered.
        return FileResponse(job_dir(data, job_id) / "original" / job.recording,
                            media_type=job.media_type or "application/octet-stream")

    @app.get("/jobs/{job_id}/files/{folder}/{name}")
    def download(job_id: str, folder: str, name: str):
        job = job_or_404(job_id)
        if not (folder in ("out", "reviewed") and re.fullmatch(r"(report\.json|bundle\.pdf|transcript\.\w+)", name)
                or re.fullmatch(r"redacted-[0-9]{1,4}", folder) and name in REDACTED_FILES):
            raise HTTPException(404, "There is no such file in this examination.")
        path = job_dir(data, job_id) / folder / name
        if not path.is_file():
            raise HTTPException(404, "There is no such file in this examination.")
        return FileResponse(path, filename=_download_name(job.recording, folder, name))

    @app.post("/jobs/{job_id}/speakers")
    async def rename_speakers(request: Request, job_id: str):
        job_or_404(job_id)
        folder = job_dir(data, job_id)
        form = await request.form()
        # Every filled field counts, the last for a label winning: a line's "this is ..." field shares its
        # label's name with every other line of that voice, most of them left empty.
        names = {k[len("name:"):]: " ".join(str(v).split()) for k, v in form.multi_items()
                 if k.startswith("name:") and str(v).strip()}
        if any(len(name) > MAX_NAME_CHARS for name in names.values()):
            raise HTTPException(400, f"A speaker's name can be at most {MAX_NAME_CHARS} characters long.")

        def rename() -> None:
            # Names apply to the run's outputs and, when there is one, to the reviewed version.
            for sub in ("out", "reviewed"):
                if (folder / sub / "report.json").is_file():
                    try:
                        report = renamed(load(folder / sub / "report.json"), names)
                    except EvidenceError as e:
                        raise HTTPException(400, str(e)) from None
                    write_folder(folder / sub, artifacts(report))

        # Drawing the bundle takes seconds: off the event loop, so that other requests are answered meanwhile.
        await run_in_threadpool(rename)
        return RedirectResponse(f"/jobs/{job_id}#transcript", status_code=303)

    @app.post("/jobs/{job_id}/corrections")
    async def corrections(request: Request, job_id: str):
        job = job_or_404(job_id)
        if job.state != "done":
            raise HTTPException(409, "This examination has no transcript to correct (it has not finished).")
        folder = job_dir(data, job_id)
        form = await request.form()
        report = load(folder / "out" / "report.json")
        automatic = automatic_lines(report)
        rows = []
        for n, line in enumerate(automatic, 1):
            text = " ".join(str(form.get(f"text:{n}", line.text)).split())
            speaker = " ".join(str(form.get(f"speaker:{n}", line.speaker or "")).split())
            if len(speaker) > MAX_NAME_CHARS or len(text) > MAX_LINE_CHARS:
                raise HTTPException(400, f"Line {n} is too long to keep: a speaker's name can be at most "
                                         f"{MAX_NAME_CHARS} characters and a line {MAX_LINE_CHARS}.")
            rows.append(txt_line(n, line.start_s, (f"{speaker}: " if speaker else "") + text))
        reviewed_by = " ".join(str(form.get("reviewed_by", "")).split())[:MAX_NAME_CHARS] or None

        def review() -> None:
            corrected = folder / f"corrections-{len(list(folder.glob('corrections-*.txt'))) + 1}.txt"
            write_file(corrected, ("\n".join(rows) + "\n").encode("utf-8"))
            try:
                reviewed = apply_corrections(report, corrected, reviewed_by)
            except EvidenceError as e:
                raise HTTPException(400, str(e)) from None
            write_folder(folder / "reviewed", artifacts(reviewed))

        await run_in_threadpool(review)
        return RedirectResponse(f"/jobs/{job_id}#transcript", status_code=303)

    @app.post("/jobs/{job_id}/redact")
    async def redact(request: Request, job_id: str):
        job = job_or_404(job_id)
        if job.state != "done":
            raise HTTPException(409, "This examination has not finished, so there is nothing to redact yet.")
        folder = job_dir(data, job_id)
        form = await request.form()
        words = str(form.get("words", "")).strip()
        spans = tuple(str(form.get("spans", "")).replace(",", " ").split())
        with tempfile.TemporaryDirectory(dir=data / "tmp") as tmp:
            words_file = None
            if words:
                words_file = Path(tmp) / "words.txt"
                words_file.write_text(words + "\n", encoding="utf-8")
            try:
                _, files = await run_in_threadpool(
                    functools.partial(redacting.redact, _current(folder) / "report.json",
                                      reason=" ".join(str(form.get("reason", "")).split()), words_file=words_file,
                                      lines=str(form.get("lines", "")).strip() or None, spans=spans,
                                      recording=folder / "original" / job.recording))
            except EvidenceError as e:
                # The command's option names mean nothing on the page: the fields' own names instead.
                reason = str(e).replace(f"{words_file} ", "the words to remove, ").replace("--reason", "Why")
                reason = reason.replace("--words", "words").replace("--lines", "lines").replace("--span", "a stretch")
                raise HTTPException(400, f"No redacted copy was made: {reason}") from None
        number = 1 + max([int(p.name.split("-")[1]) for p in folder.glob("redacted-*")], default=0)
        write_folder(folder / f"redacted-{number}", files)
        return RedirectResponse(f"/jobs/{job_id}#redacted", status_code=303)

    @app.get("/jobs/{job_id}/delete", response_class=HTMLResponse)
    def confirm_delete(request: Request, job_id: str):
        return page(request, "delete.html", job=job_or_404(job_id))

    @app.post("/jobs/{job_id}/delete")
    def delete_job(job_id: str):
        job = job_or_404(job_id)
        # A worker still writing into the folder would fail, or leave half a folder behind: it is left to
        # finish. A waiting job is deleted only if no worker is being started for it in the same moment.
        finished = ("waiting", "done", "failed", *(() if workers.is_running(job) else ("queued", "running")))
        if not store.delete_if(job_id, finished):
            raise HTTPException(409, "This examination is still running, so it was not deleted. Wait until it "
                                     "has finished (or failed), then delete it.")
        shutil.rmtree(job_dir(data, job_id), ignore_errors=True)
        return RedirectResponse("/", status_code=303)

    @app.get("/verify", response_class=HTMLResponse)
    def verify_form(request: Request):
        return page(request, "verify.html", result=None)

    @app.post("/verify", response_class=HTMLResponse)
    async def verify_files(request: Request):
        with tempfile.TemporaryDirectory(dir=data / "tmp") as tmp:
            form = await receive_form(request, Path(tmp), ("recording", "reference"), max_upload_bytes,
                                      request.state.token, TOKEN_FIELD, TOKEN_REFUSED, _too_large(max_upload_bytes))
            if set(form.files) != {"recording", "reference"}:
                return page(request, "verify.html", 400, result=None,
                            error="Choose both files: the recording, and the bundle (PDF) or report (JSON).")
            rec = Path(tmp) / _safe_name(form.files["recording"].name, "recording")
            ref = Path(tmp) / _safe_name(form.files["reference"].name, "reference")
            if rec == ref:
                ref = ref.with_name(f"reference-{ref.name}")
            _keep(form.files["recording"], rec)
            _keep(form.files["reference"], ref)
            try:
                result = await run_in_threadpool(verify, rec, ref)
            except (ValueError, RecursionError):  # a JSON file no report of this tool's could be
                return page(request, "verify.html", 400, result=None,
                            error=f"{ref.name} is not a report or bundle made by evidence.")
            except EvidenceError as e:
                message = str(e).replace(f"{tmp}/", "")
                return page(request, "verify.html", 400, result=None, error=message)
        return page(request, "verify.html", result=result)

    @app.get("/align", response_class=HTMLResponse)
    def align_form(request: Request):
        return page(request, "align.html", result=None)

    @app.post("/align")
    async def align_files(request: Request):
        with tempfile.TemporaryDirectory(dir=data / "tmp") as tmp:
            form = await receive_form(request, Path(tmp), ("a", "b"), max_upload_bytes, request.state.token,
                                      TOKEN_FIELD, TOKEN_REFUSED, _too_large(max_upload_bytes))
            if set(form.files) != {"a", "b"}:
                return page(request, "align.html", 400, result=None,
                            error="Choose both recordings of the meeting: A and B.")
            paths = {}
            for role in ("a", "b"):
                # Each in its own folder, so that two uploads of the same name stay apart.
                (Path(tmp) / role).mkdir()
                paths[role] = Path(tmp) / role / _safe_name(form.files[role].name, f"recording-{role}")
                _keep(form.files[role], paths[role], read_only=True)
            try:
                result = await run_in_threadpool(aligning.align, paths["a"], paths["b"])
            except EvidenceError as e:
                message = str(e).replace(f"{tmp}/a/", "").replace(f"{tmp}/b/", "")
                return page(request, "align.html", 400, result=None, error=message)
        if form.fields.get("format") == "pdf":
            pdf = await run_in_threadpool(render_alignment, result)
            return Response(pdf, media_type="application/pdf",
                            headers={"Content-Disposition": 'attachment; filename="align.pdf"',
                                     "Cache-Control": "no-store"})
        return page(request, "align.html", result=result)

    def notice_page(request: Request, status_code: int = 200, **context) -> HTMLResponse:
        context = {"error": None, "warning": None, "values": {}, "chosen": [], **context}
        return page(request, "notice.html", status_code, reasons=notices.REASONS,
                    today=datetime.now().date().isoformat(), **context)

    @app.get("/notice", response_class=HTMLResponse)
    def notice_form(request: Request):
        return notice_page(request)

    @app.post("/notice")
    async def notice_letter(request: Request):
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in NOTICE_FIELDS}
        chosen = [str(r) for r in form.getlist("reason")]
        try:
            letter = notices.from_answers(**{k: v for k, v in values.items() if k != "children"}, reasons=chosen,
                                          children=notices.split_names(values["children"]), now=datetime.now())
        except InputError as e:
            return notice_page(request, 400, error=str(e), values=values, chosen=chosen)
        kind = str(form.get("format", ""))
        if kind not in NOTICE_TYPES:
            return notice_page(request, 400, error="Choose a PDF or a Word letter.", values=values, chosen=chosen)
        # Short notice is shown before the letter is made, so that it is read; the letter says so too.
        if letter.warning and form.get("short_ok") != "yes":
            return notice_page(request, warning=letter.warning, values=values, chosen=chosen)
        data = notices.to_pdf(letter) if kind == "pdf" else notices.to_docx(letter)
        return Response(data, media_type=NOTICE_TYPES[kind],
                        headers={"Content-Disposition": f'attachment; filename="notice.{kind}"',
                                 "Cache-Control": "no-store"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error_response(request, exc.status_code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def malformed_request(request: Request, exc: RequestValidationError):
        log.info("malformed request to %s: %s", request.url.path, exc.errors())
        return error_response(request, 400, "The request was not one this page sends. Go back, reload the page and "
                                            "try again.")

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


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _job_options(fields: dict[str, str]) -> dict[str, str]:
    """The examination's options from the form's fields, checked; only those given."""
    options = {k: fields.get(k, "").strip() for k in (*PROVENANCE_FIELDS, "speakers")}
    if options["claimed_date"]:
        try:
            parse_claimed(options["claimed_date"])
        except ValueError as e:
            raise HTTPException(400, f"Claimed date: {e}") from None
    speakers = options["speakers"]
    if speakers and not (re.fullmatch(r"[0-9]{1,2}", speakers) and 1 <= int(speakers) <= MAX_SPEAKERS):
        raise HTTPException(400, f"Number of speakers: give a whole number from 1 to {MAX_SPEAKERS}, or leave it "
                                 "empty to have it estimated.")
    return {k: v for k, v in options.items() if v}


def spool_uploads_in(data_dir: str | Path) -> None:
    """Make this process spool uploads being received in the private data folder, not in /tmp
    (Starlette writes a form's files to temporary files before a route sees them)."""
    tempfile.tempdir = str(Path(data_dir) / "tmp")


def _current(folder: Path) -> Path:
    """The reviewed outputs when a person has corrected the transcript, else the run's."""
    return folder / "reviewed" if (folder / "reviewed" / "report.json").is_file() else folder / "out"


def _redacted(folder: Path) -> list[tuple[str, list[str]]]:
    """Each redacted copy made from the page: its folder and the files in it."""
    copies = sorted(folder.glob("redacted-*"), key=lambda p: int(p.name.split("-")[1]))
    return [(p.name, [f for f in REDACTED_FILES if (p / f).is_file()]) for p in copies]


def _downloads(folder: Path) -> list[tuple[str, str]]:
    out = []
    for sub, label in (("out", "automatic"), ("reviewed", "reviewed")):
        for path in sorted((folder / sub).glob("*")) if (folder / sub).is_dir() else []:
            out.append((f"{sub}/{path.name}", f"{path.name} ({label})"))
    return out


def _download_name(recording: str, folder: str, name: str) -> str:
    """The name a download is saved under: the recording's, the output's, and whether it is the automatic
    or the reviewed version, so that the two bundles do not overwrite each other in a downloads folder."""
    stem, _, suffix = name.partition(".")
    label = "reviewed" if folder == "reviewed" else "automatic" if folder == "out" else folder
    return f"{Path(recording).stem}-{stem}-{label}.{suffix}"


def _local_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s).strftime("%Y-%m-%d %H:%M")
