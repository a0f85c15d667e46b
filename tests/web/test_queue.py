"""The web app's queue and worker processes, its uploads, and its plain words, through Starlette's
TestClient with real worker processes."""

import os
import re
import secrets
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from evidence.analysis import CONTEXT_NAME, DETECTORS, NOT_YET_IMPLEMENTED
from evidence.web import wording, workers
from evidence.web.app import create_app
from evidence.web.store import JobStore
from tests.web.conftest import wait_done
from tests.web.test_routes import local_client, page_token


def _post(client, recording: Path, name: str, **fields):
    with open(recording, "rb") as f:
        response = client.post("/jobs", files={"recording": (name, f)}, data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def test_beyond_the_workers_jobs_wait_in_order_and_start_by_themselves(tmp_path, fx):
    app = create_app(tmp_path, allowed_hosts=("testserver",), max_workers=1)
    with TestClient(app) as client:  # as `evidence serve` runs it: the queue moves with no request made
        client.headers["X-CSRF-Token"] = page_token(client)
        first = _post(client, fx["speech"], "first.wav", speakers="1")
        second = _post(client, fx["speech"], "second.wav", speakers="1")
        third = _post(client, fx["speech"], "third.wav", speakers="1")
        assert client.get(f"/jobs/{first}/status").json()["state"] in ("queued", "running")
        assert [client.get(f"/jobs/{j}/status").json()["queue_position"] for j in (second, third)] == [1, 2]
        page = client.get(f"/jobs/{third}").text
        assert "Waiting for its turn" in page and 'id="position">2<' in page
        assert "waiting (1 in the queue)" in client.get("/").text

        # A waiting examination can be deleted; the one behind it moves up.
        assert client.post(f"/jobs/{second}/delete", follow_redirects=False).status_code == 303
        assert not (tmp_path / "jobs" / second).exists()
        assert client.get(f"/jobs/{third}/status").json()["queue_position"] == 1

        assert wait_done(client, first)["state"] == "done"
        assert wait_done(client, third)["state"] == "done"
        store = JobStore(tmp_path / "jobs.sqlite")
        assert store.get(third).started >= store.get(first).updated - 1, "the third ran after the first ended"


def test_the_default_number_of_workers_follows_memory_and_processors():
    assert 1 <= workers.default_workers() <= (os.cpu_count() or 1)


def test_a_pid_that_now_belongs_to_another_process_is_not_taken_for_the_worker(tmp_path):
    # This test's own process stands for a process that got the dead worker's pid (after a reboot, say).
    assert not workers.ended(os.getpid(), workers.identity(os.getpid()))
    assert workers.ended(os.getpid(), "an-earlier-boot/12345")
    client = local_client(tmp_path)
    store = JobStore(tmp_path / "jobs.sqlite")
    lost = store.create("lost.wav", "0" * 64, 1, {})
    store.update(lost.id, state="running", pid=os.getpid(), worker="an-earlier-boot/12345")
    assert client.get(f"/jobs/{lost.id}/status").json()["state"] == "failed"


def test_the_server_keeps_no_handle_on_a_workers_log(tmp_path, fx):
    client = local_client(tmp_path)
    job_id = _post(client, fx["speech"], "speech.wav", speakers="1")
    log = str(tmp_path / "jobs" / job_id / "worker.log")
    open_here = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                 if os.path.exists(f"/proc/self/fd/{fd}")]
    assert log not in open_here
    assert wait_done(client, job_id)["state"] == "done"


def _multipart(boundary: str, fields: dict[str, str], name: str, chunks, check):
    """A form as a browser sends it, the file in pieces; `check` runs after each piece has been handed
    to the server, so that what the server has written by then can be looked at."""
    for key, value in fields.items():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}\r\n").encode()
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"recording\"; filename=\"{name}\"\r\n"
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    for n, chunk in enumerate(chunks):
        yield chunk
        check(n)
    yield f"\r\n--{boundary}--\r\n".encode()


def _grown_to(folder: Path, size_bytes: int, timeout_s: float = 10.0) -> Path:
    deadline = time.time() + timeout_s
    while True:
        incoming = list(folder.glob("*/incoming-recording"))
        if incoming and incoming[0].stat().st_size >= size_bytes:
            return incoming[0]
        assert time.time() < deadline, (size_bytes, list(folder.rglob("*")))
        time.sleep(0.02)


def test_an_upload_is_written_once_where_it_is_kept_while_it_arrives(server, web_data, fx):
    # Over a real socket (the TestClient reads a whole body before the app sees any of it).
    client = httpx.Client(base_url=server, timeout=60)
    token = client.get("/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    body = fx["speech_gap_speech"].read_bytes()
    chunk_bytes = 256 * 1024
    chunks = [body[i:i + chunk_bytes] for i in range(0, len(body), chunk_bytes)]
    assert len(chunks) >= 4
    seen = []

    def check(n):
        # While the rest is still to come, the pieces before the one just sent are in the file where it
        # will be kept (that one may still be on its way, or in the writer's buffer).
        if n < len(chunks) - 1:
            seen.append(_grown_to(web_data / "tmp", max(1, n * chunk_bytes)).stat().st_ino)

    boundary = secrets.token_hex(8)
    response = client.post("/jobs", content=_multipart(boundary, {"csrf_token": token, "speakers": "1"},
                                                       "long.wav", chunks, check),
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    kept = web_data / "jobs" / job_id / "original" / "long.wav"
    assert kept.read_bytes() == body
    assert len(seen) == len(chunks) - 1 and set(seen) == {kept.stat().st_ino}, "moved into place, not copied"
    assert not any((web_data / "tmp").iterdir())
    assert wait_done(client, job_id)["state"] == "done"


def test_no_file_is_written_before_the_page_token_is_seen(server, web_data):
    client = httpx.Client(base_url=server, timeout=60)
    client.get("/")  # has the cookie, but sends no token before the file

    def nothing_written(n):
        time.sleep(0.1)
        assert not list((web_data / "tmp").rglob("incoming-*"))

    boundary = secrets.token_hex(8)
    body = _multipart(boundary, {"speakers": "1"}, "x.wav", [b"RIFF" + b"\0" * 100_000] * 3, nothing_written)
    try:
        response = client.post("/jobs", content=body, follow_redirects=False,
                               headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "text/html"})
    except httpx.HTTPError:
        return  # refused and the connection closed while the rest was being sent: nothing was written either
    assert response.status_code == 403 and "Nothing was changed" in response.text
    assert not any((web_data / "tmp").iterdir())


def test_a_form_error_keeps_what_was_typed(tmp_path):
    client = local_client(tmp_path)
    response = client.post("/jobs", files={"recording": ("a.m4a", b"x")},
                           data={"case_ref": "ZW24C00123", "notes": "Given to me by the mother", "claimed_date": "May"},
                           headers={"Accept": "text/html"})
    assert response.status_code == 400 and "Claimed date" in response.text
    assert 'value="ZW24C00123"' in response.text and ">Given to me by the mother</textarea>" in response.text
    assert 'value="May"' in response.text and "choose the file again" in response.text


def test_a_too_large_upload_is_refused_in_plain_words_on_a_page(tmp_path):
    client = local_client(tmp_path, max_upload_bytes=1024)
    response = client.post("/jobs", content=b"x" * 10, headers={"Content-Length": str(50 * 1024**2),
                                                                "Accept": "text/html",
                                                                "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and response.headers["content-type"].startswith("text/html")
    assert "larger than" in response.text and '{"error"' not in response.text


def test_a_request_the_page_would_not_send_is_answered_in_plain_words(tmp_path):
    client = local_client(tmp_path)
    for response in (client.post("/jobs", data={"speakers": "1"}, headers={"Accept": "text/html"}),
                     client.post("/jobs", files={"exemplar": ("e.m4a", b"x")}, headers={"Accept": "text/html"})):
        assert response.status_code == 400 and "<html" in response.text and "Traceback" not in response.text
        assert "field required" not in response.text.lower()


def test_the_two_bundles_download_under_different_names(tmp_path, fx):
    client = local_client(tmp_path)
    job_id = _post(client, fx["speech"], "speech.wav", speakers="1")
    assert wait_done(client, job_id)["state"] == "done"
    client.post(f"/jobs/{job_id}/corrections", data={"reviewed_by": "A. Solicitor"})
    names = {folder: client.get(f"/jobs/{job_id}/files/{folder}/bundle.pdf").headers["content-disposition"]
             for folder in ("out", "reviewed")}
    assert 'filename="speech-bundle-automatic.pdf"' in names["out"]
    assert 'filename="speech-bundle-reviewed.pdf"' in names["reviewed"]

    page = client.get(f"/jobs/{job_id}").text
    # The transcript is text to read, with each line's editor behind an explicit action.
    assert '<p class="text">' in page and "<summary>Correct this line</summary>" in page
    assert "agglomerative" not in page and "mov,mp4,m4a" not in page.split("technical names")[0]
    assert 'id="tests"' in page  # the conclusion's "tests table" is on the page
    assert "In short: the tests that could run found no sign of editing" in page
    assert ">WAV file (uncompressed); sound: uncompressed samples" in page


def test_every_test_and_its_findings_have_plain_names():
    for name in [d.NAME for d in DETECTORS] + [CONTEXT_NAME] + [n for n, _ in NOT_YET_IMPLEMENTED]:
        assert wording.test_title(name) != name, name
    detectors = Path(__file__).resolve().parents[2] / "evidence" / "detectors"
    kinds = set()
    for source in detectors.glob("*.py"):
        text = source.read_text()
        kinds |= set(re.findall(r'kind="([a-z-]+)"', text)) - {"stable"}
        kinds |= set(re.findall(r'"((?:metadata|dropout|enf-grid)-[a-z-]+)"', text))
        kinds |= {"codec-grid-" + k for k in re.findall(r'KIND_PREFIX \+ "([a-z]+)"', text)}
    assert len(kinds) >= 20, sorted(kinds)
    for kind in kinds:
        assert wording.finding_title(kind) != kind, kind


def test_the_favicon(tmp_path):
    response = local_client(tmp_path).get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")


def test_a_correction_of_an_unfinished_examination_is_refused_plainly(tmp_path):
    client = local_client(tmp_path)
    waiting = JobStore(tmp_path / "jobs.sqlite").create("w.wav", "0" * 64, 1, {})
    response = client.post(f"/jobs/{waiting.id}/corrections", headers={"Accept": "text/html"})
    assert response.status_code == 409 and "has not finished" in response.text


def test_a_stalled_stage_says_so_instead_of_a_growing_estimate(tmp_path):
    client = local_client(tmp_path)
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.create("slow.wav", "0" * 64, 1, {})
    now = time.time()
    store.update(job.id, state="running", pid=os.getpid(), worker=workers.identity(os.getpid()), started=now - 100,
                 moved=now - 40, fraction=0.44, stage="transcription")
    status = client.get(f"/jobs/{job.id}/status").json()
    assert status["eta_s"] is None and status["quiet_s"] >= 40
    store.update(job.id, moved=time.time())
    assert client.get(f"/jobs/{job.id}/status").json()["eta_s"] > 0


def test_in_short_tells_strong_traces_from_places_to_listen_to():
    from evidence.report import Finding

    repeat = Finding("duplicate-passage", 63.3, 66.2, "concern", 1.0, {}, "")
    step = Finding("background-change", 10.0, 10.0, "notice", 1.0, {}, "")
    text = wording.in_short([repeat, step])
    assert text.startswith("In short: 1 strong trace of possible editing, at 00:01:03 (a passage that occurs twice)")
    assert "1 place worth listening to, at 00:00:10 (the background sound changes suddenly)" in text
    assert "None of these proves editing" in text


def test_a_long_speaker_name_is_refused_plainly_and_changes_nothing(tmp_path, fx):
    client = local_client(tmp_path)
    job_id = _post(client, fx["speech"], "speech.wav", speakers="1")
    assert wait_done(client, job_id)["state"] == "done"
    before = (tmp_path / "jobs" / job_id / "out" / "report.json").read_bytes()
    response = client.post(f"/jobs/{job_id}/speakers", data={"name:Speaker 1": "N" * 150_000},
                           headers={"Accept": "text/html"})
    assert response.status_code == 400 and "at most 100 characters" in response.text
    response = client.post(f"/jobs/{job_id}/corrections", data={"speaker:1": "N" * 3000},
                           headers={"Accept": "text/html"})
    assert response.status_code == 400 and "too long to keep" in response.text
    assert (tmp_path / "jobs" / job_id / "out" / "report.json").read_bytes() == before
    assert not (tmp_path / "jobs" / job_id / "reviewed").exists()


def test_files_sent_to_a_form_without_files_are_refused_before_they_are_read(tmp_path):
    client = local_client(tmp_path)
    response = client.post("/jobs/aaaaaaaaaaaa/redact", files={"x": ("big.bin", b"x" * 2_000_000)},
                           headers={"Accept": "text/html"})
    assert response.status_code == 415 and "typed answers only" in response.text
    assert not any((tmp_path / "tmp").iterdir())


def test_malformed_requests_get_pages_not_errors(tmp_path):
    client = local_client(tmp_path)
    long_boundary = client.post("/jobs", content=b"--x\r\n", headers={
        "Content-Type": "multipart/form-data; boundary=" + "b" * 5000, "Accept": "text/html"})
    assert long_boundary.status_code == 400 and "<html" in long_boundary.text
    missing = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "<html" in missing.text and '{"detail"' not in missing.text
    with open(tmp_path / "r.json", "w") as f:
        f.write("[" * 200_000)
    sample = Path(__file__).resolve().parents[1] / "data" / "real-speech" / "sample.wav"
    with open(sample, "rb") as rec, open(tmp_path / "r.json", "rb") as ref:
        response = client.post("/verify", files={"recording": ("a.wav", rec), "reference": ("r.json", ref)},
                               headers={"Accept": "text/html"})
    assert response.status_code == 400 and "is not a report or bundle made by evidence" in response.text


def test_the_queue_position_of_many_waiting_jobs_is_counted_once(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    made = [store.create(f"w{n}.wav", "0" * 64, 1, {}) for n in range(300)]
    positions = workers.queue_positions(store.all())
    assert [positions[j.id] for j in made[:3]] == [1, 2, 3] and positions[made[-1].id] == 300
    started = time.time()
    assert "waiting (300 in the queue)" in local_client(tmp_path).get("/").text
    assert time.time() - started < 2.0
