import re

from evidence.exports import DRAFT_NOTICE, to_srt, to_txt, to_vtt


def test_txt_has_hash_notice_and_numbered_timed_lines(speech_report):
    text = to_txt(speech_report)
    assert speech_report.file.hashes_before.sha256 in text
    assert DRAFT_NOTICE in text
    assert re.search(r"^\s+1  \[00:00:0\d\]  \S", text, re.M)


def test_srt_and_vtt_cues_match_segments(speech_report):
    segments = [s for s in speech_report.transcript.segments if s.text]
    srt, vtt = to_srt(speech_report), to_vtt(speech_report)
    assert len(re.findall(r"^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$", srt, re.M)) == len(segments)
    assert vtt.startswith("WEBVTT\n\n")
    assert len(re.findall(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$", vtt, re.M)) == len(segments)
    for s in segments:
        assert s.text in srt and s.text in vtt
