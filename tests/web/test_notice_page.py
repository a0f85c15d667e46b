"""The notice-of-recording page: its form carries the page's token, a letter comes back as a download, every
bad answer is shown on the form, and nothing is kept or accepted as a file."""

import io
from datetime import date, timedelta

import docx
import pytest
from pypdf import PdfReader

from tests.web.test_routes import local_client, page_token

ANSWERS = {"parent_name": "Sam Smith", "recipient_name": "Ms A Jones", "recipient_role": "social worker",
           "meeting": "Child protection review conference", "meeting_date": "2026-03-09", "meeting_time": "10:00",
           "place": "Civic Centre, Room 2", "children": "Amy, Ben", "other_reason": "", "sent": "2026-03-02",
           "reason": ["verbatim", "minutes"]}


def notice_token(client):
    page = client.get("/notice").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def client(tmp_path):
    # As a browser with this app's page open: the token is sent in the form, as the page's form sends it.
    c = local_client(tmp_path, token=False)
    c.form_token = notice_token(c)
    return c


def post(client, **changes):
    return client.post("/notice", data={**ANSWERS, "csrf_token": client.form_token, **changes},
                       headers={"Accept": "text/html"})


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_page_header_links_to_the_form(client):
    assert '<a href="/notice">' in client.get("/").text


def test_the_form_carries_the_page_token(client):
    page = client.get("/notice").text
    assert f'<input type="hidden" name="csrf_token" value="{client.form_token}">' in page
    assert client.form_token == page_token(client) == client.cookies["evidence_token"]
    assert 'enctype="multipart/form-data"' not in page and 'type="file"' not in page
    assert f'name="sent" value="{date.today().isoformat()}"' in page


def test_a_pdf_letter_comes_back_as_a_download_and_nothing_is_kept(client, tmp_path):
    before = files_under(tmp_path)
    response = post(client, format="pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="notice.pdf"'
    assert response.headers["cache-control"] == "no-store"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    for said in ("From: Sam Smith", "Monday 9 March 2026 at 10:00", "with Amy and Ben", "Yours sincerely, Sam Smith"):
        assert said in text
    assert files_under(tmp_path) == before


def test_a_word_letter(client):
    response = post(client, format="docx")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="notice.docx"'
    paragraphs = [p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs]
    assert "Dear Ms A Jones," in paragraphs


@pytest.mark.parametrize("changes, message", [
    ({"parent_name": ""}, "Your name: it is empty; fill it in"),
    ({"meeting_date": "09/03/2026"}, "Meeting date: &#39;09/03/2026&#39; is not a date"),
    ({"meeting_time": "25:00"}, "Meeting time: &#39;25:00&#39; is not a time of day"),
    ({"reason": []}, "Reasons: give at least one reason"),
    ({"reason": ["verbatim", "gossip"]}, "Reason &#39;gossip&#39;: choose from verbatim, recall, minutes"),
    ({"sent": "2026-03-10"}, "Meeting date: the meeting (Monday 9 March 2026 at 10:00) is before"),
    ({"format": "odt"}, "Choose a PDF or a Word letter."),
])
def test_a_bad_answer_is_shown_on_the_form_with_what_was_typed(client, changes, message):
    response = post(client, **{"format": "pdf", **changes})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert 'value="Civic Centre, Room 2"' in response.text


def test_short_notice_is_warned_first_then_made(client):
    response = post(client, sent="2026-03-08", format="pdf")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "Warning: this notice is given 10 hours before the meeting" in response.text
    assert 'name="short_ok" value="yes"' in response.text and 'value="minutes" checked' in response.text
    response = post(client, sent="2026-03-08", format="pdf", short_ok="yes")
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "10 hours before the meeting: less than the 48 hours" in text


def test_the_date_sent_defaults_to_today(client):
    meeting = date.today() + timedelta(days=10)
    response = post(client, meeting_date=meeting.isoformat(), sent="", format="pdf")
    assert response.headers["content-type"] == "application/pdf"


def test_without_the_token_nothing_is_made(client):
    response = client.post("/notice", data={**ANSWERS, "format": "pdf"})
    assert response.status_code == 403 and "application/pdf" not in response.headers["content-type"]


def test_a_file_is_not_accepted(client, tmp_path):
    before = files_under(tmp_path)
    response = client.post("/notice", data={**ANSWERS, "csrf_token": client.form_token, "format": "pdf"},
                           files={"letter": ("a.pdf", b"%PDF-1.4 " * 1000, "application/pdf")})
    assert response.status_code == 415 and "typed answers only" in response.json()["error"]
    assert files_under(tmp_path) == before
