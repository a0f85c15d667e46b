"""End to end in a real headless Chromium (Debian's, driven by Playwright): upload, form, progress,
result page, player seeking, PDF download.

Set EVIDENCE_SCREENSHOTS=docs/screenshots to refresh the screenshots in the documentation."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

CHROMIUM = os.environ.get("EVIDENCE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def page():
    if CHROMIUM is None:
        pytest.fail("Chromium is needed for the browser test: run scripts/install.sh --test (Debian package chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        yield context.new_page()
        browser.close()


def shot(page, name):
    folder = os.environ.get("EVIDENCE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=name != "result")


def test_examine_a_recording_in_the_browser(page, server, fx, tmp_path):
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
    page.click("#start")
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
    shot(page, "result-top")
    links = page.locator("a.seek")
    target = float(links.last.get_attribute("data-seek"))
    assert target > 30, "the last line is the speech after the 60 s silence"
    links.last.click()
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {target}) < 0.5")
    expect(page.locator("tr.line.playing").last).to_be_visible()
    shot(page, "result")

    with page.expect_download() as download:
        page.click("text=bundle.pdf (automatic)")
    pdf = tmp_path / "bundle.pdf"
    download.value.save_as(pdf)
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert recording.name in text and sha256sum.stdout.split()[0] in text and "AB/1" in text

    # Deleting goes through a confirmation page; its form carries the page token.
    job_url = page.url.split("#")[0]
    page.click("#delete-job")
    page.click("text=Yes, delete it")
    page.wait_for_url(server + "/")
    assert job_url.rsplit("/", 1)[1] not in page.content()
    assert not violations, violations


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
