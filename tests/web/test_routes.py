"""The web application's routes through Starlette's TestClient; examinations run in real worker processes."""

import hashlib
import json

import pytest
from fastapi.testclient import TestClient

from evidence.web.app import create_app
from evidence.web.store import JobStore
from tests.web.conftest import wait_done


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tmp_path_factory.mktemp("routes")


@pytest.fixture(scope="module")
def client(data):
    return TestClient(create_app(data))


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


def test_the_upload_is_stored_read_only_with_its_hash(data, done_job):
    job_id, sha256 = done_job
    stored = data / "jobs" / job_id / "original" / "call.wav"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha256
    assert stored.stat().st_mode & 0o777 == 0o400


def test_audio_is_served_with_ranges(client, done_job):
    response = client.get(f"/jobs/{done_job[0]}/audio", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.content) == 100


def test_downloads(client, done_job):
    job_id, sha256 = done_job
    report = client.get(f"/jobs/{job_id}/files/out/report.json").json()
    assert report["file"]["hashes_before"]["sha256"] == sha256
    assert report["provenance"]["exhibit"] == "AB/1"
    assert client.get(f"/jobs/{job_id}/files/out/bundle.pdf").content.startswith(b"%PDF")
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


def test_bad_requests_are_clear(client):
    assert client.get("/jobs/000000000000").status_code == 404
    assert client.get("/jobs/../etc").status_code == 404
    response = client.post("/jobs", files={"recording": ("a.m4a", b"x")}, data={"claimed_date": "last Tuesday"})
    assert response.status_code == 400 and "claimed date" in response.json()["error"]
    response = client.post("/jobs", files={"recording": ("a.m4a", b"")})
    assert response.status_code == 400 and "empty" in response.json()["error"]


def test_a_bad_recording_fails_with_its_reason(client):
    response = client.post("/jobs", files={"recording": ("notes.m4a", b"this is not audio")}, follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    status = wait_done(client, job_id, timeout_s=60)
    assert status["state"] == "failed" and "notes.m4a" in status["error"]
    assert "The examination failed" in client.get(f"/jobs/{job_id}").text


def test_upload_limit(tmp_path):
    small = TestClient(create_app(tmp_path, max_upload_bytes=1000))
    response = small.post("/jobs", files={"recording": ("big.wav", b"0" * 5000)})
    assert response.status_code == 413  # the copy into the job folder counts the bytes
    refused = small.post("/jobs", files={"recording": ("huge.wav", b"0" * (2 * 1024**2))})
    assert refused.status_code == 413 and "limit" in refused.json()["error"]  # refused before reading
    assert not any((tmp_path / "jobs").iterdir()) and not any((tmp_path / "tmp").iterdir())


def test_jobs_survive_a_restart_and_dead_workers_are_marked(data, done_job):
    store = JobStore(data / "jobs.sqlite")
    lost = store.create("lost.wav", "0" * 64, 1, {})
    store.update(lost.id, state="running", pid=2**22 + 12345)
    again = TestClient(create_app(data))
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
