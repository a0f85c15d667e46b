"""Was the recording announced: the phrases on hand-written transcripts, and one real meeting spoken by
flite, transcribed by the bundled Whisper model and rendered into the bundle."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from evidence import announcement, pipeline, report as report_io
from evidence.announcement import find, normalise
from evidence.bundle import render
from evidence.outputs import artifacts, write_folder
from evidence.timecode import hms
from evidence.transcribe.marks import Line
from evidence.web.app import create_app
from evidence.web.store import JobStore
from evidence.web.workers import job_dir


def meeting(*said: tuple[float, str, str], kind: str = "speech") -> list[Line]:
    """Lines of (start_s, speaker, text), each lasting until 0.2 s before the next."""
    return [Line(t, (said[i + 1][0] - 0.2) if i + 1 < len(said) else t + 3, text, kind, who)
            for i, (t, who, text) in enumerate(said)]


OPENING = [(0.5, "Speaker 2", "Right, shall we start?")]
DISCUSSION = [(4.0 + 3 * i, "Speaker 2" if i % 2 else "Speaker 1", text) for i, text in enumerate([
    "Can we talk about the contact arrangements?", "The children were happy at the weekend.",
    "I was not given a copy of the plan.", "We are worried about the missed appointments.",
    "The school says his reading has improved.", "I have moved to a bigger flat closer to the school."])]


def test_announced_before_discussion():
    a = find(meeting(*OPENING, (2.0, "Speaker 1", "Just so you know, I'm going to record this meeting."), *DISCUSSION))
    assert a.verdict == "announced-before-discussion"
    assert [(m.line, m.kind, m.speaker) for m in a.mentions] == [(2, "announcement", "Speaker 1")]
    assert "before the discussion began" in a.explanation and "cannot show" in a.explanation


def test_announced_later_says_when():
    said = [*OPENING, *DISCUSSION, (23.0, "Speaker 1", "By the way, this meeting is being recorded.")]
    a = find(meeting(*said))
    assert a.verdict == "announced-later"
    assert a.mentions[0].line == 8 and a.mentions[0].start_s == 23.0
    assert "00:00:23" in a.explanation and "before the recording started" in a.explanation


def test_not_found_says_it_is_not_proof_and_why():
    a = find(meeting(*OPENING, *DISCUSSION))
    assert a.verdict == "not-found" and not a.mentions
    assert "not proof" in a.explanation and "before the recording started" in a.explanation
    assert "No speech" in find([]).explanation


def test_permission_asked_and_given_in_the_next_line_of_another_speaker():
    a = find(meeting((1.0, "Speaker 1", "Is it OK if I record this?"), (3.5, "Speaker 1", "It's just for my notes."),
                     (5.0, "Speaker 2", "Yes, that's fine."), *DISCUSSION[2:]))
    assert [(m.line, m.kind) for m in a.mentions] == [(1, "permission-asked"), (3, "permission-given")]
    assert a.mentions[1].cue == "answer to line 1"
    assert a.verdict == "announced-before-discussion"


@pytest.mark.parametrize("reply", ["No, I'd rather you didn't.", "No, I don't want to be recorded.",
                                   "I'm not comfortable with that."])
def test_permission_refused(reply):
    a = find(meeting((1.0, "Speaker 1", "Do you mind if I record our conversation?"), (4.0, "Speaker 2", reply)))
    assert [m.kind for m in a.mentions] == ["permission-asked", "permission-refused"]


def test_no_i_dont_mind_is_consent():
    a = find(meeting((1.0, "Speaker 1", "Do you mind if I record our conversation?"),
                     (4.0, "Speaker 2", "No, I don't mind.")))
    assert a.mentions[1].kind == "permission-given"


def test_an_unsure_reply_is_not_consent():
    a = find(meeting((1.0, "Speaker 1", "Can I record this, please?"), (4.0, "Speaker 2", "I'm not sure.")))
    assert [m.kind for m in a.mentions] == ["permission-asked"]


def test_refusal_on_its_own():
    a = find(meeting(*OPENING, (2.0, "Speaker 2", "Please don't record this meeting.")))
    assert [m.kind for m in a.mentions] == ["permission-refused"]
    assert a.verdict == "announced-before-discussion"


@pytest.mark.parametrize("text", [
    "I'll be recording this meeting on my phone.", "I have started recording this conversation.",
    "My phone is recording.", "I'm taping this, by the way.", "Can I re-cord this, please?",
    "Would you mind being recorded today?", "Is everyone all right with me recording this?",
    "I'm [unclear: recording?] today's meeting.", "We are making an audio recording of the meeting.",
])
def test_ways_of_saying_it(text):
    assert find(meeting((1.0, "Speaker 1", text))).verdict != "not-found", normalise(text)


@pytest.mark.parametrize("text", [
    "The records show that she missed three appointments.", "For the record, I did ring the office.",
    "Her school record has improved this term.", "We will record your views in the minutes.",
    "Please make sure my views are recorded.", "I want my objection to be recorded in the minutes.",
    "Can you record that in the plan?", "Off the record, things have been difficult.",
    "Did you record the decision?", "I have kept a record of every phone call.",
    "It was recorded as a missed visit.", "The medical records are with the doctor.",
])
def test_decoys_are_not_matched(text):
    assert find(meeting((1.0, "Speaker 1", text))).verdict == "not-found"


def test_a_voice_joining_later_and_whether_the_recording_was_raised_again():
    said = [(1.0, "Speaker 1", "I am recording this meeting."), *DISCUSSION,
            *[(30.0 + 5 * i, "Speaker 1" if i % 2 else "Speaker 2", "We talked about this in January.")
              for i in range(8)]]
    joined = [(70.0, "Speaker 3", "Sorry I'm late, the traffic was terrible.")]
    again = [(72.0, "Speaker 1", "Just to let you know, this meeting is being recorded."),
             (75.0, "Speaker 3", "That's fine.")]
    a = find(meeting(*said, *joined, *again))
    (j,) = a.joins
    assert (j.speaker, j.line, j.first_speech_s, j.raised_after) == ("Speaker 3", 16, 70.0, True)
    assert a.verdict == "announced-before-discussion"
    assert [m.line for m in a.mentions] == [1, 17]
    (j,) = find(meeting(*said, *joined, (74.0, "Speaker 1", "The next review is in six weeks."))).joins
    assert not j.raised_after
    assert "was not raised again" in find(meeting(*said, *joined)).explanation


def test_inaudible_and_pause_lines_are_counted_not_read():
    lines = [Line(0.0, 2.0, "[inaudible 00:00:00]", "inaudible", "Speaker 1"),
             Line(2.0, 9.0, "[pause 7 s]", "pause"), Line(9.0, 11.0, "Is it okay if I record this?", "speech", "Speaker 1")]
    assert find(lines).mentions[0].line == 3
    explanation = find(lines[:2] + [Line(9, 11, "Hello.", "speech")]).explanation
    assert "in a passage marked inaudible (1 in this transcript)" in explanation
    assert "the first words transcribed begin at 00:00:09" in explanation


def _flite(path, voice: str, text: str):
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is installed by scripts/install.sh --test")
def test_real_meeting_is_found_and_quoted_in_the_bundle_and_on_the_web_page(tmp_path):
    from fixtures.generate import read_wav_with_rate, write_wav

    said = [("slt", "Is it okay if I record this meeting?"), ("rms", "Yes, that's fine."),
            ("slt", "Can we talk about the contact arrangements?"), ("rms", "The next review is in six weeks."),
            ("slt", "The children were happy at the weekend.")]
    pieces = []
    for n, (voice, text) in enumerate(said):
        _flite(tmp_path / f"{n}.wav", voice, text)
        x, rate = read_wav_with_rate(tmp_path / f"{n}.wav")
        assert rate == 16_000
        pieces += [np.zeros(8000, np.float32), x / np.abs(x).max() * 0.5]
    rng = np.random.default_rng(0)
    audio = np.concatenate(pieces + [np.zeros(8000, np.float32)])
    wav = write_wav(tmp_path / "meeting.wav", audio + rng.normal(0, 0.002, len(audio)))

    report = pipeline.run(wav, pipeline.RunOptions(analyse=False, speakers=2))
    a = report.announcement
    assert a == announcement.of_report(report_io.from_json(report_io.to_json(report)))
    assert a.verdict == "announced-before-discussion", [line.text for line in announcement.transcript_lines(report)]
    assert a.mentions[0].kind == "permission-asked" and a.mentions[0].line == 1
    assert [m.kind for m in a.mentions] == ["permission-asked", "permission-given"]
    older = report_io.to_dict(report)
    del older["announcement"]
    older["schema_version"] = "2.3"
    assert report_io.from_dict(older).announcement is None
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(render(report))).pages).split())
    assert "Was the recording announced?" in text
    assert "The recording was raised before the discussion began (line 1, 00:00:00)" in text
    assert " ".join(a.mentions[0].text.split()) in text

    # The web page: the verdict, and links that seek the player to each line quoted.
    data = tmp_path / "web"
    data.mkdir()
    store = JobStore(data / "jobs.sqlite")
    job = store.create("meeting.wav", report.file.hashes_before.sha256, report.file.size_bytes, {})
    store.update(job.id, state="done")
    write_folder(job_dir(data, job.id) / "out", artifacts(report))
    page = TestClient(create_app(data, allowed_hosts=("testserver",))).get(f"/jobs/{job.id}").text
    assert "The recording was raised before the discussion began (line 1, 00:00:00)." in page
    for m in a.mentions:
        assert f'<a href="#line-{m.line}" data-seek="{m.start_s}">line {m.line}, {hms(m.start_s)}</a>' in page
