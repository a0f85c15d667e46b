"""The page for two recordings of one meeting: a form carrying the page's token, the result on the page or as
the PDF, a clear message when a file is missing or unreadable, and nothing kept afterwards."""

import io

import numpy as np
import pytest
from pypdf import PdfReader
from scipy import signal

from fixtures.generate import write_wav
from tests.test_align import RATE_HZ, babble, room
from tests.web.test_routes import local_client, page_token


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """A and B of one 60 s meeting: B from further away in the telephone band, starting 4 s later."""
    folder = tmp_path_factory.mktemp("align-page")
    rng = np.random.default_rng(3)
    dry = babble(rng, 60.0)
    a = room(rng, dry, 0.3, -60)
    b = signal.sosfilt(signal.butter(4, [300, 3400], "bandpass", fs=RATE_HZ, output="sos"), room(rng, dry, 0.5, -50))
    return {"a": write_wav(folder / "a.wav", a).read_bytes(),
            "b": write_wav(folder / "b.wav", b[4 * RATE_HZ :] * 0.3).read_bytes()}


@pytest.fixture
def client(tmp_path):
    return local_client(tmp_path)


def test_the_form_carries_the_token_first_and_the_nav_links_it(tmp_path):
    c = local_client(tmp_path, token=False)
    page = c.get("/align").text
    token = page_token(c)
    form = page.split('<form action="/align"', 1)[1]
    assert form.split("<input", 2)[1].startswith(f' type="hidden" name="csrf_token" value="{token}"')
    assert 'name="a"' in form and 'name="b"' in form and "<script>" not in page and "style=" not in page
    assert '<a href="/align">' in c.get("/").text


def test_the_result_page(client, recordings, tmp_path):
    response = client.post("/align", files={"a": ("phone.wav", recordings["a"]), "b": ("council.wav", recordings["b"])})
    assert response.status_code == 200, response.text
    page = response.text
    assert 'id="verdict"' in page and ">ALIGNED<" in page
    offset_s = float(page.split("<th>Offset</th><td>", 1)[1].split(" s", 1)[0])
    assert offset_s == pytest.approx(-4.0, abs=0.05)
    assert "phone.wav" in page and "council.wav" in page and "cannot tell which" in page
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_pdf_comes_back_as_a_download(client, recordings):
    response = client.post("/align", files={"a": ("a.wav", recordings["a"]), "b": ("a.wav", recordings["b"])},
                           data={"format": "pdf"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert "align.json" in reader.attachments and "Two recordings of one meeting" in reader.pages[0].extract_text()


def test_a_missing_or_unreadable_file_is_said_on_the_page(client, recordings, tmp_path):
    one = client.post("/align", files={"a": ("a.wav", recordings["a"])}, headers={"Accept": "text/html"})
    assert one.status_code == 400 and "Choose both recordings" in one.text
    bad = client.post("/align", files={"a": ("a.wav", recordings["a"]), "b": ("notes.txt", b"not audio")},
                      headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "notes.txt" in bad.text and str(tmp_path) not in bad.text
    assert "Traceback" not in bad.text


def test_without_the_page_token_it_is_refused(tmp_path, recordings):
    c = local_client(tmp_path, token=False)
    page_token(c)
    response = c.post("/align", files={"a": ("a.wav", recordings["a"]), "b": ("b.wav", recordings["b"])},
                      headers={"Origin": "null", "Accept": "text/html"})
    assert response.status_code == 403 and "Nothing was changed" in response.text
    assert list((tmp_path / "tmp").iterdir()) == []
