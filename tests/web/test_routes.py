"""The web application's routes through Starlette's TestClient; examinations run in real worker processes."""

import hashlib
import io
import json
import os
import signal
import sqlite3
import stat
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from evidence.web.app import create_app
from evidence.web.store import JobStore
from tests.web.conftest import wait_done


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tmp_path_factory.mktemp("routes")


def local_client(data_dir, token=True, **kwargs):
    """The app through Starlette's TestClient, which names itself `testserver`: allowed here on purpose.
    With `token`, it has opened a page first and sends the page's token with every request, as app.js does."""
    client = TestClient(create_app(data_dir, allowed_hosts=("testserver",), **kwargs))
    if token:
        client.headers["X-CSRF-Token"] = page_token(client)
    return client


def page_token(client):
    """The token a page gives, as its forms carry it (the cookie is set on the same response)."""
    page = client.get("/").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="module")
def client(data):
    return local_client(data)


@pytest.fixture(scope="module")
def done_job(client, real_speech):
    path = real_speech / "sample.wav"
    with open(path, "rb") as f:
        response = client.post("/jobs", files={"recording": ("call.wav", f, "audio/wav")},
                               data={"exhibit": "AB/1", "speakers": "2", "claimed_date": "2025-05-01"},
                               follow_redirects=False)
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    status = wait_done(client, job_id)
    assert status["state"] == "done", status
    return job_id, hashlib.sha256(path.read_bytes()).hexdigest()


def test_index_lists_jobs_and_the_form(client, done_job):
    page = client.get("/").text
    assert 'name="recording"' in page and "call.wav" in page and done_job[1][:16] in page


def test_result_page(client, done_job):
    job_id, sha256 = done_job
    page = client.get(f"/jobs/{job_id}").text
    assert sha256 in page and 'id="player"' in page and "Speaker 2" in page
    assert "data-seek" in page and "bundle.pdf" in page


def test_result_page_lists_the_lines_to_listen_to(client, data, done_job):
    from evidence.exports import transcript_lines
    from evidence.report import load
    from evidence.transcribe.marks import to_listen

    page = client.get(f"/jobs/{done_job[0]}").text
    listen = to_listen(transcript_lines(load(data / "jobs" / done_job[0] / "out" / "report.json")))
    assert listen, "the real call has unsure words at the default threshold"
    section = page[page.index("Lines to listen to"):page.index('id="corrections"')]
    for x in listen:
        assert f'href="#line-{x.number}" data-seek="{x.line.start_s}"' in section and x.why in section


def test_the_upload_is_stored_read_only_with_its_hash(data, done_job):
    job_id, sha256 = done_job
    stored = data / "jobs" / job_id / "original" / "call.wav"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha256
    assert stored.stat().st_mode & 0o777 == 0o400


def test_audio_is_served_with_ranges(client, done_job):
    response = client.get(f"/jobs/{done_job[0]}/audio", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.content) == 100


def test_audio_is_served_as_audio_only(client, done_job):
    response = client.get(f"/jobs/{done_job[0]}/audio")
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_page_uploaded_as_the_recording_is_refused(client, data):
    jobs_before = len(JobStore(data / "jobs.sqlite").all())
    html = b"<!doctype html><title>x</title><script>document.title = 'ran'</script><p>hello</p>"
    response = client.post("/jobs", files={"recording": ("page.html", html, "text/html")},
                           headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "page.html was not accepted" in response.text and 'name="recording"' in response.text  # the form
    assert str(data) not in response.text
    assert len(JobStore(data / "jobs.sqlite").all()) == jobs_before
    assert not any((data / "tmp").iterdir())


def test_a_video_without_sound_is_refused(client, fx):
    with open(fx["video_no_audio"], "rb") as f:
        response = client.post("/jobs", files={"recording": ("clip.mp4", f)}, follow_redirects=False)
    assert response.status_code == 400 and "no sound in it (no audio track)" in response.json()["error"]


def test_a_job_from_before_media_types_serves_its_audio_as_bytes(tmp_path, real_speech):
    (tmp_path / "jobs").mkdir()
    with sqlite3.connect(tmp_path / "jobs.sqlite") as db:  # the job list as the previous version wrote it
        db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL, "
                   "state TEXT NOT NULL, stage TEXT NOT NULL DEFAULT '', fraction REAL NOT NULL DEFAULT 0, "
                   "started REAL, pid INTEGER, error TEXT, recording TEXT NOT NULL, sha256 TEXT NOT NULL, "
                   "size_bytes INTEGER NOT NULL, options TEXT NOT NULL)")
        db.execute("INSERT INTO jobs VALUES ('0123456789ab', 0, 0, 'done', 'done', 1, 0, NULL, NULL, 'old.html', "
                   "'0', 3, '{}')")
    (tmp_path / "jobs" / "0123456789ab" / "original").mkdir(parents=True)
    (tmp_path / "jobs" / "0123456789ab" / "original" / "old.html").write_bytes(b"<p>")
    response = local_client(tmp_path).get("/jobs/0123456789ab/audio")
    assert response.headers["content-type"] == "application/octet-stream"


def test_downloads(client, data, done_job):
    job_id, sha256 = done_job
    report = client.get(f"/jobs/{job_id}/files/out/report.json").json()
    assert report["file"]["hashes_before"]["sha256"] == sha256
    assert report["provenance"]["exhibit"] == "AB/1"
    assert report["file"]["path"].startswith("call.wav (uploaded")  # not where the server keeps its copy
    pdf = client.get(f"/jobs/{job_id}/files/out/bundle.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "call.wav (uploaded" in text and str(data) not in text.replace("\n", "")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/jobs/{job_id}/files/out/..%2Fworker.log").status_code == 404
    assert client.get(f"/jobs/{job_id}/files/original/call.wav").status_code == 404


def test_rename_speakers_and_correct_a_line(client, data, done_job):
    job_id, _ = done_job
    response = client.post(f"/jobs/{job_id}/speakers", data={"name:Speaker 1": "Diane"}, follow_redirects=False)
    assert response.status_code == 303
    assert "Diane" in client.get(f"/jobs/{job_id}/files/out/transcript.txt").text
    lines = json.loads(client.get(f"/jobs/{job_id}/files/out/transcript.json").text)["lines"]
    first_speech = next(line for line in lines if line["kind"] == "speech")
    form = {f"text:{n}": line["text"] for n, line in enumerate(lines, 1)}
    form[f"text:{first_speech['number']}"] = "Hello, is anyone there?"
    form["reviewed_by"] = "A. Solicitor"
    response = client.post(f"/jobs/{job_id}/corrections", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    reviewed = client.get(f"/jobs/{job_id}/files/reviewed/report.json").json()
    assert reviewed["reviewed_transcript"]["summary"]["lines_changed"] == 1
    assert reviewed["reviewed_transcript"]["reviewed_by"] == "A. Solicitor"
    automatic = client.get(f"/jobs/{job_id}/files/out/report.json").json()
    assert automatic["reviewed_transcript"] is None  # the automatic version is kept as it was
    assert "Hello, is anyone there?" in client.get(f"/jobs/{job_id}").text
    assert (data / "jobs" / job_id / "corrections-1.txt").is_file()

    # Renaming after a review renames in both versions, without touching the reviewed text.
    client.post(f"/jobs/{job_id}/speakers", data={"name:Speaker 1": "Ms D"}, follow_redirects=False)
    for folder in ("out", "reviewed"):
        txt = client.get(f"/jobs/{job_id}/files/{folder}/transcript.txt").text
        assert "Ms D:" in txt and "Diane:" not in txt, folder
    again = client.get(f"/jobs/{job_id}/files/reviewed/report.json").json()["reviewed_transcript"]
    assert again["summary"]["lines_changed"] == 1 and "Hello, is anyone there?" in [x["text"] for x in again["lines"]]


def test_naming_a_voice_from_one_of_its_lines(client, done_job):
    job_id, _ = done_job
    page = client.get(f"/jobs/{job_id}").text
    per_line = page.count('<input form="this-is" name="name:Speaker 2"')
    assert per_line >= 2 and 'id="this-is"' in page
    # What the browser sends: that voice's field on every line, only the one typed in filled.
    fields = [""] * per_line
    fields[1] = "Mr F (IRO)"
    response = client.post(f"/jobs/{job_id}/speakers", data={"name:Speaker 2": fields}, follow_redirects=False)
    assert response.status_code == 303
    txt = client.get(f"/jobs/{job_id}/files/out/transcript.txt").text
    assert "Mr F (IRO):" in txt and "Speaker 2:" not in txt
    assert 'name="name:Speaker 2"' in client.get(f"/jobs/{job_id}").text  # the label stays behind the name


def test_verify_page(client, done_job, real_speech):
    job_id, _ = done_job
    bundle = client.get(f"/jobs/{job_id}/files/out/bundle.pdf").content
    with open(real_speech / "sample.wav", "rb") as f:
        page = client.post("/verify", files={"recording": ("call.wav", f), "reference": ("bundle.pdf", bundle)}).text
    assert ">MATCH<" in page


def test_cross_origin_and_foreign_hosts_are_refused(client, done_job):
    assert client.post("/jobs", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 403
    assert client.get(f"/jobs/{done_job[0]}/audio", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403


def test_only_this_machines_names_are_allowed_by_default(tmp_path, server):
    assert TestClient(create_app(tmp_path)).get("/").status_code == 403  # Host: testserver
    port = int(server.rsplit(":", 1)[1])
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost"):
        assert httpx.get(server + "/", headers={"Host": host}).status_code == 200, host
    for host in (f"127.0.0.1:{port + 1}", f"evil.example:{port}", "testserver", "[::1", "127.0.0.1:x", ""):
        assert httpx.get(server + "/", headers={"Host": host}).status_code in (400, 403), host


def test_security_headers_on_every_response(client, done_job):
    responses = [client.get("/"), client.get(f"/jobs/{done_job[0]}"), client.get("/static/app.js"),
                 client.get("/jobs/000000000000"), client.get("/", headers={"Host": "evil.example"}),
                 client.get(f"/jobs/{done_job[0]}/audio")]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_an_unexpected_error_is_plain_and_has_the_headers(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    damaged = store.create("damaged.wav", "0" * 64, 1, {})
    store.update(damaged.id, state="done")
    (tmp_path / "jobs" / damaged.id / "out").mkdir(parents=True)
    (tmp_path / "jobs" / damaged.id / "out" / "report.json").write_text("{")  # a report damaged on disk
    client = TestClient(create_app(tmp_path, allowed_hosts=("testserver",)), raise_server_exceptions=False)
    response = client.get(f"/jobs/{damaged.id}", headers={"Accept": "text/html"})
    assert response.status_code == 500 and "something went wrong" in response.text
    assert "Traceback" not in response.text and str(tmp_path) not in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_pages_have_no_inline_script_or_style(client, done_job):
    page = client.get(f"/jobs/{done_job[0]}").text
    for text in (page, client.get("/").text, client.get("/verify").text):
        assert "<script>" not in text and "style=" not in text and " onclick=" not in text


def test_everything_the_app_writes_is_private(client, data, done_job):
    job_id, _ = done_job
    client.post(f"/jobs/{job_id}/corrections", data={"reviewed_by": "A. Solicitor"}, follow_redirects=False)
    assert (data / "jobs" / job_id / "worker.log").is_file() and (data / "jobs" / job_id / "corrections-1.txt").exists()
    found = []
    for root, folders, files in os.walk(data):
        found += [(os.path.join(root, f), 0o700) for f in folders]
        found += [(os.path.join(root, f), 0o600) for f in files]
    found.append((str(data), 0o700))
    assert str(data / "jobs.sqlite") in dict(found) and str(data / "tmp") in dict(found)
    wrong = [(path, oct(stat.S_IMODE(os.stat(path).st_mode))) for path, mode in found
             if stat.S_IMODE(os.stat(path).st_mode) & ~mode]
    assert not wrong


def test_bad_requests_are_clear(client):
    assert client.get("/jobs/000000000000").status_code == 404
    assert client.get("/jobs/../etc").status_code == 404
    response = client.post("/jobs", files={"recording": ("a.m4a", b"x")}, data={"claimed_date": "last Tuesday"})
    assert response.status_code == 400 and "Claimed date" in response.json()["error"]
    response = client.post("/jobs", files={"recording": ("a.m4a", b"")})
    assert response.status_code == 400 and "empty" in response.json()["error"]


@pytest.mark.parametrize("speakers", ["999999999999", "0", "21", "-1", "2.5", "two", "\u00b2"])
def test_the_number_of_speakers_is_bounded(client, data, speakers):
    response = client.post("/jobs", files={"recording": ("a.wav", b"x")}, data={"speakers": speakers})
    assert response.status_code == 400
    assert response.json()["error"] == ("Number of speakers: give a whole number from 1 to 20, or leave it empty to "
                                        "have it estimated.")
    assert not any((data / "tmp").iterdir())


def test_a_failed_examination_gives_its_reason_without_server_paths(client, data, fx):
    with open(fx["speech"], "rb") as f:
        response = client.post("/jobs", files={"recording": ("call.wav", f), "grid_csv": ("grid.csv", b"a,b\n1,2\n")},
                               follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    status = wait_done(client, job_id, timeout_s=60)
    assert status["state"] == "failed" and status["error"].startswith("grid.csv: not a grid frequency CSV"), status
    assert str(data) not in status["error"]
    assert "The examination failed" in client.get(f"/jobs/{job_id}").text


def test_upload_limit(tmp_path):
    small = local_client(tmp_path, max_upload_bytes=1000)
    response = small.post("/jobs", files={"recording": ("big.wav", b"0" * 5000)})
    assert response.status_code == 413  # the copy into the job folder counts the bytes
    refused = small.post("/jobs", files={"recording": ("huge.wav", b"0" * (2 * 1024**2))})
    assert refused.status_code == 413 and "limit" in refused.json()["error"]  # refused before reading
    assert not any((tmp_path / "jobs").iterdir()) and not any((tmp_path / "tmp").iterdir())


def test_jobs_survive_a_restart_and_dead_workers_are_marked(data, done_job):
    store = JobStore(data / "jobs.sqlite")
    lost = store.create("lost.wav", "0" * 64, 1, {})
    store.update(lost.id, state="running", pid=2**22 + 12345)
    again = local_client(data)
    assert done_job[0] in again.get("/").text
    assert again.get(f"/jobs/{lost.id}/status").json()["state"] == "failed"


def test_serve_refuses_a_port_in_use(tmp_path):
    import socket

    from click.testing import CliRunner

    from cli.main import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and f"port {port} on 127.0.0.1 is in use" in result.stderr


def test_the_page_token_cookie_is_strict_and_unreadable_by_scripts(tmp_path):
    cookie = local_client(tmp_path, token=False).get("/").headers["set-cookie"]
    assert cookie.startswith("evidence_token=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Max-Age" not in cookie and "expires" not in cookie.lower()  # the session only


@pytest.mark.parametrize("route", ["/jobs", "/verify", "/jobs/{id}/speakers", "/jobs/{id}/corrections",
                                   "/jobs/{id}/delete", "/jobs/{id}/again"])
def test_a_change_without_the_page_token_is_refused(data, done_job, route):
    job_id = done_job[0]
    url = route.format(id=job_id)
    reviewed = data / "jobs" / job_id / "reviewed" / "report.json"
    before = reviewed.read_bytes() if reviewed.exists() else None
    corrections = len(list((data / "jobs" / job_id).glob("corrections-*.txt")))
    form = {"text:1": "forged", "name:Speaker 1": "forged", "reviewed_by": "forged"}
    # The request the issue describes: Origin null, no Sec-Fetch-Site, the browser's cookie sent along.
    with_cookie = local_client(data, token=False)
    page_token(with_cookie)
    attempts = [(with_cookie, {}, form), (local_client(data, token=False), {}, form),
                (with_cookie, {"X-CSRF-Token": "x" * 43}, form),
                (with_cookie, {}, {**form, "csrf_token": "x" * 43})]
    for client, headers, body in attempts:
        response = client.post(url, data=body, headers={"Origin": "null", "Accept": "text/html", **headers},
                               follow_redirects=False)
        assert response.status_code == 403 and "Nothing was changed" in response.text, (url, headers, body)
        assert "Traceback" not in response.text and str(data) not in response.text
    assert (reviewed.read_bytes() if reviewed.exists() else None) == before
    assert len(list((data / "jobs" / job_id).glob("corrections-*.txt"))) == corrections
    assert local_client(data).get(f"/jobs/{job_id}").status_code == 200  # not deleted


def test_the_token_in_a_form_field_is_accepted(tmp_path, done_job, data):
    client = local_client(data, token=False)
    token = page_token(client)
    response = client.post(f"/jobs/{done_job[0]}/speakers", data={"csrf_token": token, "name:Speaker 2": "Bob"},
                           headers={"Origin": "null"}, follow_redirects=False)
    assert response.status_code == 303
    assert "Bob" in client.get(f"/jobs/{done_job[0]}/files/out/transcript.txt").text


def test_every_form_carries_the_page_token(client, done_job):
    token = client.headers["X-CSRF-Token"]
    job_id = done_job[0]
    for url in ("/", "/verify", f"/jobs/{job_id}", f"/jobs/{job_id}/delete"):
        page = client.get(url).text
        assert page.count("<form") == page.count(f'name="csrf_token" value="{token}"') >= 1, url
        assert f'<meta name="csrf-token" content="{token}">' in page


def test_a_chunked_upload_is_stopped_at_the_limit_while_it_arrives(tmp_path):
    """No Content-Length to refuse it by: the body is counted as it is read, and reading stops at the limit."""
    import asyncio

    limit, chunk, chunks = 64 * 1024, 64 * 1024, 400  # 25 MiB sent against a 64 KiB limit
    app = create_app(tmp_path, max_upload_bytes=limit, allowed_hosts=("testserver",))
    browser = TestClient(app)
    token = page_token(browser)
    head = (b"--b\r\nContent-Disposition: form-data; name=\"recording\"; filename=\"big.wav\"\r\n"
            b"Content-Type: audio/wav\r\n\r\n")
    sent, answer = [], []

    async def receive():
        if len(sent) < chunks:
            sent.append(chunk)
            return {"type": "http.request", "body": head if len(sent) == 1 else b"0" * chunk, "more_body": True}
        return {"type": "http.request", "body": b"\r\n--b--\r\n", "more_body": False}

    async def send(message):
        answer.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/jobs", "raw_path": b"/jobs", "query_string": b"", "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"),
                         (b"content-type", b"multipart/form-data; boundary=b"), (b"x-csrf-token", token.encode()),
                         (b"cookie", f"evidence_token={token}".encode())]}
    asyncio.run(app(scope, receive, send))
    assert answer[0]["type"] == "http.response.start" and answer[0]["status"] == 413
    assert b"larger than the limit" in b"".join(m.get("body", b"") for m in answer[1:])
    assert len(sent) * chunk <= limit + 1024**2 + 2 * chunk  # the limit and the form's allowance, no more
    assert not any((tmp_path / "tmp").iterdir()) and not any((tmp_path / "jobs").iterdir())


def test_an_examination_can_be_deleted_after_confirming(tmp_path, fx):
    client = local_client(tmp_path)
    with open(fx["speech"], "rb") as f:  # a bad grid record: a real examination that ends quickly (failed)
        response = client.post("/jobs", files={"recording": ("to-delete.wav", f), "grid_csv": ("grid.csv", b"a\n")},
                               follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    assert wait_done(client, job_id, timeout_s=60)["state"] == "failed"
    assert f'href="/jobs/{job_id}/delete"' in client.get(f"/jobs/{job_id}").text
    confirm = client.get(f"/jobs/{job_id}/delete").text
    assert "cannot be undone" in confirm and f'action="/jobs/{job_id}/delete"' in confirm
    assert (tmp_path / "jobs" / job_id / "original" / "to-delete.wav").is_file()
    response = client.post(f"/jobs/{job_id}/delete", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert not (tmp_path / "jobs" / job_id).exists() and JobStore(tmp_path / "jobs.sqlite").get(job_id) is None
    assert "to-delete.wav" not in client.get("/").text
    assert client.get(f"/jobs/{job_id}").status_code == 404


def test_the_result_page_offers_deletion(client, done_job):
    assert f'href="/jobs/{done_job[0]}/delete"' in client.get(f"/jobs/{done_job[0]}").text


@pytest.mark.parametrize("state", ["queued", "running"])
def test_a_running_examination_is_not_deleted(tmp_path, state):
    client = local_client(tmp_path)
    job = JobStore(tmp_path / "jobs.sqlite").create("busy.wav", "0" * 64, 1, {})
    JobStore(tmp_path / "jobs.sqlite").update(job.id, state=state, pid=os.getpid() if state == "running" else None)
    (tmp_path / "jobs" / job.id).mkdir()
    response = client.post(f"/jobs/{job.id}/delete", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 409 and "still running, so it was not deleted" in response.text
    assert str(tmp_path) not in response.text
    assert (tmp_path / "jobs" / job.id).is_dir() and JobStore(tmp_path / "jobs.sqlite").get(job.id) is not None


def test_the_index_says_where_the_data_is_kept(tmp_path):
    assert str(tmp_path.absolute()) in local_client(tmp_path).get("/").text


def test_a_killed_worker_is_marked_failed_within_seconds_and_can_be_started_again(tmp_path, real_speech):
    client = local_client(tmp_path)
    with open(real_speech / "sample.wav", "rb") as f:
        response = client.post("/jobs", files={"recording": ("call.wav", f, "audio/wav")},
                               data={"exhibit": "AB/1", "speakers": "2"}, follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    store = JobStore(tmp_path / "jobs.sqlite")
    deadline = time.time() + 30
    while store.get(job_id).state != "running":
        assert time.time() < deadline, store.get(job_id)
        time.sleep(0.05)
    # This test's process started the worker, as the server does: killed, it stays a zombie until reaped.
    os.kill(store.get(job_id).pid, signal.SIGKILL)
    deadline = time.time() + 5
    while (status := client.get(f"/jobs/{job_id}/status").json())["state"] != "failed":
        assert time.time() < deadline, status
        time.sleep(0.2)
    assert status["error"] == ("The examination stopped unexpectedly (its process ended without finishing). "
                               "Start it again.")
    assert "failed" in client.get("/").text
    page = client.get(f"/jobs/{job_id}").text
    assert "stopped unexpectedly" in page and 'id="start-again"' in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    again = client.post(f"/jobs/{job_id}/again", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/jobs/{job_id}"
    assert client.get(f"/jobs/{job_id}/status").json()["state"] in ("queued", "running")
    assert client.post(f"/jobs/{job_id}/again").status_code == 409  # a second click starts no second worker
    assert wait_done(client, job_id)["state"] == "done"
    assert store.get(job_id).options == {"exhibit": "AB/1", "speakers": "2"}
    assert "Speaker 2" in client.get(f"/jobs/{job_id}").text


def test_a_dead_worker_is_found_on_the_job_list(tmp_path):
    client = local_client(tmp_path)
    store = JobStore(tmp_path / "jobs.sqlite")
    lost = store.create("lost.wav", "0" * 64, 1, {})
    store.update(lost.id, state="running", pid=2**22 + 12345)
    assert '<td data-label="State">failed</td>' in client.get("/").text
    assert store.get(lost.id).error.startswith("The examination stopped unexpectedly")


def test_serve_starts_again_at_once_on_the_port_it_just_left(tmp_path):
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port),
               "--data-dir", str(tmp_path)]
    root = Path(__file__).resolve().parents[2]
    for attempt in ("first", "again"):
        server = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            # The address it prints carries this start's access key; without it the page is refused.
            address = server.stdout.readline().split()[3]
            assert address.startswith(f"http://127.0.0.1:{port}/?key="), address
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as browser:
                while True:
                    assert server.poll() is None, (attempt, server.communicate())
                    assert time.time() < deadline, attempt
                    try:
                        assert browser.get("/").status_code == 403
                        assert browser.get(address).status_code == 200
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                # Stopped with the page's connection still open, as a browser keeps it: the server closes
                # it, which leaves the port in TIME_WAIT.
                server.send_signal(signal.SIGINT)
                server.wait(timeout=30)
        finally:
            server.kill()
            server.communicate()


def test_with_an_access_key_only_requests_that_carry_it_are_answered(tmp_path):
    key = "k" * 32
    client = TestClient(create_app(tmp_path, allowed_hosts=("testserver",), access_key=key))
    for refused in (client.get("/"), client.get("/?key=wrong"), client.get("/static/app.css"),
                    client.post("/jobs", data={"csrf_token": "x"})):
        assert refused.status_code == 403 and "printed when it started" in refused.text
    entered = client.get(f"/jobs?key={key}", follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/jobs"  # the key out of the address
    cookie = entered.headers["set-cookie"]
    assert cookie.startswith(f"evidence_access={key}") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/").status_code == 200 and "csrf_token" in client.get("/").text
    # A page opened with the key sends it with every request from then on, as a browser keeps the cookie.
    client.cookies.clear()
    assert client.get("/").status_code == 403
