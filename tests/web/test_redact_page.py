"""Making a redacted copy from the result page: the same evidence.redact as the command, on the uploaded
copy; real pipeline, real ffmpeg."""

import hashlib
import io

from pypdf import PdfReader

from tests.web.conftest import wait_done
from tests.web.test_queue import _post
from tests.web.test_routes import local_client


def test_a_redacted_copy_is_made_from_the_page_and_offered_for_download(tmp_path, fx):
    client = local_client(tmp_path)
    job_id = _post(client, fx["speech"], "meeting.wav", speakers="1")
    assert wait_done(client, job_id)["state"] == "done"
    page = client.get(f"/jobs/{job_id}").text
    assert 'action="/jobs/' + job_id + '/redact"' in page

    response = client.post(f"/jobs/{job_id}/redact", data={"spans": "00:00:01-00:00:02", "reason": "a child's name"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("#redacted")
    page = client.get(f"/jobs/{job_id}").text
    assert f"/jobs/{job_id}/files/redacted-1/redaction.pdf" in page
    copy = client.get(f"/jobs/{job_id}/files/redacted-1/redacted.wav")
    assert copy.status_code == 200 and copy.headers["content-disposition"].startswith("attachment;")
    original = fx["speech"].read_bytes()
    assert copy.content[:4] == b"RIFF" and copy.content != original
    pdf = client.get(f"/jobs/{job_id}/files/redacted-1/redaction.pdf").content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert hashlib.sha256(original).hexdigest() in text and "a child's name" in text
    # The uploaded copy of the recording is untouched.
    assert (tmp_path / "jobs" / job_id / "original" / "meeting.wav").read_bytes() == original


def test_a_redaction_that_cannot_be_made_says_why_on_a_page(tmp_path, fx):
    client = local_client(tmp_path)
    job_id = _post(client, fx["speech"], "meeting.wav", speakers="1")
    assert wait_done(client, job_id)["state"] == "done"
    for form, reason in ((({"spans": "00:00:01-00:00:02", "reason": ""}), "Why: say in one line"),
                         ({"words": "Zebedee", "reason": "a name"}, "Zebedee"),
                         ({"reason": "a name"}, "nothing to redact")):
        response = client.post(f"/jobs/{job_id}/redact", data=form, headers={"Accept": "text/html"})
        assert response.status_code == 400 and "No redacted copy was made" in response.text, form
        assert reason in response.text and str(tmp_path) not in response.text
    assert not list((tmp_path / "jobs" / job_id).glob("redacted-*"))
