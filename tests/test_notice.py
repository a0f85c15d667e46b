"""`evidence notice`: the letter's words in both files, short notice, and every answer checked, through
click's CliRunner and once as a real subprocess."""

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cli.main import cli
from evidence import notice
from evidence.errors import InputError

ANSWERS = {
    "--parent": "Sam Smith", "--to": "Ms A Jones", "--role": "social worker",
    "--meeting": "Child protection review conference", "--date": "2026-03-09", "--time": "10:00",
    "--place": "Civic Centre, Room 2", "--sent": "2026-03-02",
}


def invoke(answers: dict, *extra, outdir: Path):
    args = [a for k, v in answers.items() if v is not None for a in (k, v)]
    return CliRunner().invoke(cli, ["notice", *args, *map(str, extra), "-o", str(outdir)])


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return " ".join(" ".join([p.text for p in d.paragraphs] + cells).split())


@pytest.fixture(scope="module")
def letter(tmp_path_factory):
    out = tmp_path_factory.mktemp("notice") / "letters"
    result = invoke(ANSWERS, "--reason", "verbatim", "--reason", "recall", "--reason", "minutes",
                    "--other-reason", "I am dyslexic\nand notes are hard for me.", "--child", "Amy", "--child", "Ben",
                    outdir=out)
    assert result.exit_code == 0, result.output
    return out, result


def test_both_files_are_written_and_nothing_else(letter):
    out, result = letter
    assert sorted(p.name for p in out.iterdir()) == ["notice.docx", "notice.pdf"]
    assert result.stdout.splitlines() == [f"Wrote {out / 'notice.pdf'}", f"Wrote {out / 'notice.docx'}"]
    assert "Warning" not in result.output
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.iterdir())


@pytest.mark.parametrize("read", [pdf_text, docx_text], ids=["pdf", "docx"])
def test_the_letter_says_everything_the_guidance_asks(letter, read):
    text = read(letter[0] / f"notice.{'pdf' if read is pdf_text else 'docx'}")
    for said in ("From: Sam Smith", "To: Ms A Jones, social worker", "Date: 2 March 2026", "Dear Ms A Jones,",
                 "Child protection review conference", "Monday 9 March 2026 at 10:00", "Civic Centre, Room 2",
                 "I intend to make an audio recording of this meeting",
                 *notice.REASONS.values(), "I am dyslexic and notes are hard for me.",
                 "I will not share, distribute or publish the recording",
                 "I will use it only in connection with children's services' involvement with Amy and Ben, or with "
                 "any court proceedings concerning Amy and Ben.",
                 "If the chair of the meeting asks for a copy of the recording, I will give them one.",
                 "Yours sincerely, Sam Smith",
                 "Notice sent 2 March 2026, 6 days and 10 hours (154 hours) before the meeting."):
        assert said in text, said
    assert "less than the 48 hours" not in text


def test_short_notice_is_warned_on_screen_and_said_in_the_letter(tmp_path):
    result = invoke({**ANSWERS, "--sent": "2026-03-08 09:30"}, "--reason", "minutes", outdir=tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: this notice is given 24 hours before the meeting, less than the 48 "
                                    "hours")
    record = ("Notice sent 8 March 2026, 24 hours before the meeting: less than the 48 hours that guidance on parents "
              "recording meetings asks for.")
    assert record in pdf_text(tmp_path / "out" / "notice.pdf")
    assert record in docx_text(tmp_path / "out" / "notice.docx")


def test_a_date_sent_alone_counts_as_the_end_of_that_day(tmp_path):
    result = invoke({**ANSWERS, "--sent": "2026-03-07"}, "--reason", "minutes", outdir=tmp_path / "out")
    assert result.exit_code == 0 and "34 hours before the meeting" in result.stderr


def test_the_date_sent_defaults_to_now(tmp_path):
    meeting = date.today() + timedelta(days=10)
    result = invoke({**ANSWERS, "--date": meeting.isoformat(), "--sent": None}, "--reason", "verbatim",
                    outdir=tmp_path / "out")
    assert result.exit_code == 0, result.output
    today = date.today()
    assert f"Date: {today.day} {today:%B %Y}" in pdf_text(tmp_path / "out" / "notice.pdf")


def test_the_same_answers_give_the_same_bytes(letter, tmp_path):
    result = invoke(ANSWERS, "--reason", "verbatim", "--reason", "recall", "--reason", "minutes", "--other-reason",
                    "I am dyslexic\nand notes are hard for me.", "--child", "Amy", "--child", "Ben", outdir=tmp_path)
    assert result.exit_code == 0
    for name in ("notice.pdf", "notice.docx"):
        assert (tmp_path / name).read_bytes() == (letter[0] / name).read_bytes()


def test_markup_in_an_answer_is_printed_as_typed(tmp_path):
    result = invoke({**ANSWERS, "--parent": "Sam <b>Smith</b> & Co"}, "--reason", "recall", outdir=tmp_path)
    assert result.exit_code == 0, result.output
    assert "From: Sam <b>Smith</b> & Co" in pdf_text(tmp_path / "notice.pdf")


TOO_LONG = "x" * 101
R = ("--reason", "recall")

BAD_ANSWERS = [
    ({"--parent": " "}, R, "Your name: it is empty; fill it in"),
    ({"--to": ""}, R, "Recipient's name: it is empty; fill it in"),
    ({"--role": ""}, R, "Recipient's role: it is empty; fill it in"),
    ({"--meeting": ""}, R, "Meeting: it is empty; fill it in"),
    ({"--place": ""}, R, "Place: it is empty; fill it in"),
    ({"--place": "Civic Centre\nRoom 2"}, R, "Place: write it on one line, as plain text"),
    ({"--parent": TOO_LONG}, R, "Your name: keep it to 100 characters"),
    ({"--meeting": "m" * 201}, R, "Meeting: keep it to 200 characters"),
    ({"--date": "9 March 2026"}, R, "Meeting date: '9 March 2026' is not a date; write it as YYYY-MM-DD"),
    ({"--date": "2026-02-30"}, R, "Meeting date: '2026-02-30' is not a real date"),
    ({"--time": "10am"}, R, "Meeting time: '10am' is not a time; write it as HH:MM"),
    ({"--time": "24:00"}, R, "Meeting time: '24:00' is not a time of day"),
    ({"--sent": "yesterday"}, R, "Date sent: 'yesterday' is not a date"),
    ({"--sent": "2026-03-02 9.30"}, R, "Date sent: '9.30' is not a time"),
    ({"--sent": "2026-03-10"}, R, "Meeting date: the meeting (Monday 9 March 2026 at 10:00) is before the notice "
                                   "is sent (10 March 2026)"),
    ({"--date": "2027-03-09"}, R, "Meeting date: 2027-03-09 is more than a year after the notice is sent; check "
                                   "the year"),
    ({}, ("--reason", "because"), "Reason 'because': choose from verbatim, recall, minutes"),
    ({}, (), "Reasons: give at least one reason for recording"),
    ({}, ("--other-reason", "   "), "Reasons: give at least one reason for recording"),
    ({}, ("--reason", "recall", "--other-reason", "r" * 1001), "Other reason: keep it to 1000 characters"),
    ({}, ("--reason", "recall", "--child", " "), "Child's name: it is empty; fill it in"),
    ({}, ("--reason", "recall", "--child", TOO_LONG), "Child's name: keep it to 100 characters"),
    ({}, ("--reason", "recall", *[a for n in range(21) for a in ("--child", f"Child {n}")]),
     "Children: give at most 20 names"),
]


@pytest.mark.parametrize("changed, extra, message", BAD_ANSWERS, ids=[m.split(":")[0] + f"-{n}" for n, (_, _, m)
                                                                      in enumerate(BAD_ANSWERS)])
def test_every_bad_answer_is_one_line_and_writes_nothing(tmp_path, changed, extra, message):
    result = invoke({**ANSWERS, **changed}, *extra, outdir=tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {message}") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_missing_answer_is_a_usage_error(tmp_path):
    result = invoke({**ANSWERS, "--place": None}, "--reason", "recall", outdir=tmp_path / "out")
    assert result.exit_code == 2 and "Missing option '--place'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    result = invoke(ANSWERS, "--reason", "recall", outdir=tmp_path / "out")
    assert result.exit_code == 1 and "exists and is not a folder" in result.output


def test_the_dataclass_checks_itself():
    good = notice.from_answers(parent_name="Sam", recipient_name="Ms A", recipient_role="social worker",
                               meeting="Review", meeting_date="2026-03-09", meeting_time="10:00", place="Office",
                               reasons=["minutes", "verbatim", "minutes"], other_reason=None, sent="2026-03-01",
                               children=[], now=datetime(2026, 1, 1))
    assert good.reasons == ("verbatim", "minutes") and good.warning is None
    with pytest.raises(InputError, match="Other reason: write it on one line"):
        notice.Notice(**{**vars(good), "other_reason": "two\nlines"})
    assert notice.split_names("Amy, Ben\r\nCara\n\n") == ("Amy", "Ben", "Cara")


def test_notice_as_a_real_command(tmp_path):
    exe = Path(sys.executable).with_name("evidence")
    args = [a for k, v in ANSWERS.items() for a in (k, v)]
    proc = subprocess.run([str(exe), "notice", *args, "--reason", "verbatim", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Yours sincerely, Sam Smith" in pdf_text(tmp_path / "out" / "notice.pdf")
    assert notice.REASONS["verbatim"] in docx_text(tmp_path / "out" / "notice.docx")
