import json

import pytest

from evidence.errors import InputError
from evidence.report import SCHEMA_VERSION, from_json, load, to_json


def test_json_round_trip_is_lossless(speech_report):
    again = from_json(to_json(speech_report))
    assert again == speech_report
    assert to_json(again) == to_json(speech_report)


def test_top_level_contract(speech_report):
    data = json.loads(to_json(speech_report))
    for key in ("schema_version", "tool", "file", "media", "findings", "transcript", "provenance", "run"):
        assert key in data
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["tool"]["name"] == "evidence"
    assert data["file"]["hashes_before"] == data["file"]["hashes_after"]
    assert data["file"]["unchanged"] is True
    assert {"start_s", "end_s", "text", "words"} <= set(data["transcript"]["segments"][0])
    assert {"decode", "transcribe", "fingerprint"} <= set(data["run"]["timings_s"])
    assert list(data)[-1] == "run"


def test_unsupported_schema_version_is_refused(speech_report):
    data = json.loads(to_json(speech_report))
    data["schema_version"] = "99.0"
    with pytest.raises(InputError, match="schema version 99.0 is not supported"):
        from_json(json.dumps(data))


@pytest.mark.parametrize("text, reason", [("{not json", "not a JSON report"), ("[1, 2]", "not a JSON report"),
                                          ('{"schema_version": "2.0"}', "not a valid evidence report")])
def test_bad_reports_are_refused(text, reason):
    with pytest.raises(InputError, match=reason):
        from_json(text)


def test_load_missing_report(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "report.json")
