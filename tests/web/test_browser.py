"""End to end in a real headless Chromium (Debian's, driven by Playwright), on a desktop window and on a
390×844 phone screen: upload with its progress, form, progress, result page, player seeking, PDF
download, deletion; the attacks and failures a parent's page must survive.

Set EVIDENCE_SCREENSHOTS=docs/screenshots to refresh the screenshots in the documentation."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from evidence.web.store import JobStore
from tests.web.conftest import wait_done

CHROMIUM = os.environ.get("EVIDENCE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is needed for the browser test: run scripts/install.sh --test (Debian package chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page(browser):
    return browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True).new_page()


@pytest.fixture(scope="module")
def phone(browser):
    return browser.new_context(**PHONE).new_page()


@pytest.fixture(scope="module")
def examined(server, fx):
    """An examination of speech, 60 s of silence and the same speech again (a repeated passage: a mark
    on the timeline), made without the browser; its page's URL."""
    client = httpx.Client(base_url=server, timeout=60)
    token = client.get("/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    with open(fx["speech_gap_speech"], "rb") as f:
        response = client.post("/jobs", files={"recording": ("meeting.wav", f)},
                               data={"csrf_token": token, "case_ref": "ZW24C00123", "exhibit": "AB/2",
                                     "recorded_by": "the mother", "speakers": "1"}, follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    assert wait_done(client, job_id)["state"] == "done"
    return f"{server}/jobs/{job_id}"


def shot(page, name, full_page=True):
    folder = os.environ.get("EVIDENCE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def no_sideways_scroll(page):
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (page.url, widths)


def test_examine_a_recording_in_the_browser(page, server, web_data, fx, tmp_path):
    recording = fx["speech_gap_speech"]  # speech, 60 s of silence, speech: two lines far apart
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(server + "/")
    page.set_input_files("#recording", str(recording))
    page.fill("input[name=exhibit]", "AB/1")
    page.fill("input[name=recorded_by]", "the mother")
    page.fill("input[name=claimed_date]", "2025-05-01")
    page.fill("input[name=speakers]", "1")
    shot(page, "form")
    # Sent by the page's script, which shows how much of the file has gone.
    with page.expect_request(lambda r: r.url == server + "/jobs" and r.method == "POST") as sent:
        page.click("#start")
    assert sent.value.resource_type == "xhr"
    page.wait_for_url("**/jobs/*")
    if page.locator("#progress").count():
        shot(page, "progress")
    page.wait_for_selector("#player", timeout=240_000)

    sha256sum = subprocess.run(["sha256sum", str(recording)], capture_output=True, text=True, check=True)
    assert page.inner_text("#sha256").strip() == sha256sum.stdout.split()[0]

    page.wait_for_function("document.getElementById('player').readyState >= 1")
    # The repeated sentence is a located finding: its mark is placed on the timeline by app.js.
    marks = page.eval_on_selector_all(".timeline .mark", "ms => ms.map(m => [m.dataset.at, m.style.left])")
    assert marks and all(left == f"{at}%" for at, left in marks), marks
    shot(page, "result-top", full_page=False)
    links = page.locator("a.seek")
    target = float(links.last.get_attribute("data-seek"))
    assert target > 30, "the last line is the speech after the 60 s silence"
    links.last.click()
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {target}) < 0.5")
    expect(page.locator("li.line.playing").last).to_be_visible()
    page.locator("#transcript").scroll_into_view_if_needed()
    shot(page, "result", full_page=False)

    with page.expect_download() as download:
        page.click("text=bundle.pdf (automatic)")
    assert download.value.suggested_filename == "speech-gap-speech-bundle-automatic.pdf"
    pdf = tmp_path / "bundle.pdf"
    download.value.save_as(pdf)
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert recording.name in text and sha256sum.stdout.split()[0] in text and "AB/1" in text

    # Deleting goes through a confirmation page; its form carries the page token. Every file goes.
    job_id = page.url.split("#")[0].rsplit("/", 1)[1]
    assert (web_data / "jobs" / job_id / "original" / recording.name).is_file()
    page.click("#delete-job")
    page.click("text=Yes, delete it")
    page.wait_for_url(server + "/")
    assert job_id not in page.content()
    assert not (web_data / "jobs" / job_id).exists() and JobStore(web_data / "jobs.sqlite").get(job_id) is None
    assert not violations, violations


def test_a_phone_shows_every_page_without_sideways_scrolling(phone, server, examined):
    phone.goto(server + "/")
    no_sideways_scroll(phone)
    shot(phone, "phone-form")
    phone.goto(examined)
    no_sideways_scroll(phone)
    # The transcript is text to read on a phone, not a one-row box.
    text = phone.locator("li.line p.text").first
    expect(text).to_be_visible()
    assert text.bounding_box()["width"] > 300 and len(text.inner_text()) > 20
    expect(phone.locator("li.line details.edit textarea").first).to_be_hidden()
    phone.locator("li.line details.edit summary").first.click()
    expect(phone.locator("li.line details.edit textarea").first).to_be_visible()
    no_sideways_scroll(phone)
    # A mark on the timeline is large enough to tap.
    mark = phone.locator(".timeline .mark").first.bounding_box()
    assert mark["width"] >= 24 and mark["height"] >= 24, mark
    # The player stays at the top of the screen, and a section jumped to starts below it.
    phone.click("nav.sections >> text=Transcript")
    phone.wait_for_timeout(300)
    player = phone.locator("#player").bounding_box()
    heading = phone.locator("#transcript h2").bounding_box()
    assert heading["y"] >= player["y"] + player["height"] - 1, (player, heading)
    shot(phone, "phone-result", full_page=False)
    for path in ("/verify", "/notice", "/align", examined.removeprefix(server) + "/delete", "/jobs/000000000000"):
        phone.goto(server + path)
        no_sideways_scroll(phone)


def test_a_web_page_uploaded_as_the_recording_is_refused_on_the_form(page, server, web_data, tmp_path):
    jobs_before = len(JobStore(web_data / "jobs.sqlite").all())
    html = tmp_path / "page.html"
    html.write_text("<!doctype html><script>document.title = 'ran'</script><p>hello</p>")
    page.goto(server + "/")
    page.set_input_files("#recording", str(html))
    page.fill("input[name=case_ref]", "ZW24C00123")
    page.click("#start")
    expect(page.locator("#form-error")).to_contain_text("page.html was not accepted")
    assert page.url == server + "/" and page.input_value("input[name=case_ref]") == "ZW24C00123"
    assert len(JobStore(web_data / "jobs.sqlite").all()) == jobs_before


def test_a_change_without_the_page_token_is_refused(page, server, examined):
    page.goto(examined)
    # What another script on this origin or an old browser could send: the cookie goes, the token does not.
    status = page.evaluate("""url => fetch(url + '/speakers', {method: 'POST',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'},
        body: 'name:Speaker%201=Someone'}).then(r => r.status)""", examined)
    assert status == 403
    page.reload()
    assert "Someone" not in page.content()


def test_a_file_dropped_anywhere_is_taken_and_does_not_leave_the_page(page, server):
    page.goto(server + "/")
    prevented = page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['RIFF'], 'dropped.wav', {type: 'audio/wav'}));
        const where = document.querySelector('h2');
        const over = new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true});
        const drop = new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true});
        where.dispatchEvent(over);
        where.dispatchEvent(drop);
        return [over.defaultPrevented, drop.defaultPrevented, document.getElementById('recording').files[0].name];
    }""")
    assert prevented == [True, True, "dropped.wav"]


def test_a_killed_worker_shows_as_failed_in_the_browser(page, phone, server, web_data, fx):
    page.goto(server + "/")
    page.set_input_files("#recording", str(fx["speech_gap_speech"]))
    page.click("#start")
    page.wait_for_url("**/jobs/*")
    job_id = page.url.rsplit("/", 1)[1]
    store = JobStore(web_data / "jobs.sqlite")
    deadline = time.time() + 60
    while store.get(job_id).state != "running":
        assert time.time() < deadline, store.get(job_id)
        time.sleep(0.05)
    os.kill(store.get(job_id).pid, signal.SIGKILL)
    expect(page.locator("#progress .error")).to_contain_text("stopped unexpectedly", timeout=10_000)
    expect(page.locator("#start-again")).to_be_visible()
    no_sideways_scroll(page)
    phone.goto(page.url)  # the progress page, in its failed state, on a phone
    expect(phone.locator("#start-again")).to_be_visible()
    no_sideways_scroll(phone)


def test_verify_in_the_browser(page, server, fx, tmp_path):
    from evidence import pipeline
    from evidence.bundle import render

    bundle = tmp_path / "bundle.pdf"
    bundle.write_bytes(render(pipeline.run(fx["speech"], pipeline.RunOptions(transcribe=None))))
    page.goto(server + "/verify")
    page.set_input_files("input[name=recording]", str(fx["speech"]))
    page.set_input_files("input[name=reference]", str(bundle))
    page.click("button[type=submit]")
    expect(page.locator("#verdict")).to_have_text("MATCH")
    shot(page, "verify")
