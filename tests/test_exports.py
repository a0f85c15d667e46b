import re

from evidence.exports import DRAFT_NOTICE, to_srt, to_txt, to_vtt, transcript_lines


def test_txt_has_hash_notice_and_numbered_timed_lines(speech_report):
    text = to_txt(speech_report)
    assert speech_report.file.hashes_before.sha256 in text
    assert DRAFT_NOTICE in text
    assert re.search(r"^\s+1  \[00:00:0\d\]  \S", text, re.M)


def test_srt_and_vtt_cues_match_lines(speech_report):
    cues = [line for line in transcript_lines(speech_report) if line.kind != "pause"]
    assert cues
    srt, vtt = to_srt(speech_report), to_vtt(speech_report)
    assert len(re.findall(r"^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$", srt, re.M)) == len(cues)
    assert vtt.startswith("WEBVTT\n\n")
    assert len(re.findall(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$", vtt, re.M)) == len(cues)
    for cue in cues:
        assert cue.text in srt and cue.text in vtt
