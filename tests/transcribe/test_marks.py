"""Marks on a transcript whose probabilities and segment statistics are known."""

from evidence.report import ModelInfo, Segment, Transcript, Word
from evidence.transcribe.marks import PARAMETERS, lines


def segment(start, end, words, avg_logprob=-0.2, no_speech=0.05, ratio=1.2):
    text = "".join(w for w, _ in words).strip()
    timed = [Word(start + i * 0.3, start + i * 0.3 + 0.25, w, p) for i, (w, p) in enumerate(words)]
    return Segment(start, end, text, avg_logprob, no_speech, ratio, timed)


def transcript(*segments):
    return Transcript("faster-whisper", "x", ModelInfo("tiny.en", "/m", "0" * 64), "en", {}, list(segments))


def test_unsure_word_is_marked_and_the_rest_kept():
    (line,) = lines(transcript(segment(0.0, 2.0, [(" I", 0.9), (" refused", 0.3), (" it.", 0.8)])))
    assert line.text == "I [unclear: refused?] it." and line.kind == "speech"


def test_failing_segments_become_inaudible_with_their_time():
    t = transcript(
        segment(0.0, 2.0, [(" fine", 0.9)]),
        segment(62.0, 64.0, [(" la la la la", 0.9)], ratio=3.1),
        segment(70.0, 71.0, [(" mumble", 0.9)], avg_logprob=-1.4),
        segment(75.0, 76.0, [(" thanks", 0.9)], no_speech=0.8),
    )
    kinds = [(line.kind, line.text) for line in lines(t)]
    assert kinds == [("speech", "fine"), ("pause", "[pause 60 s]"), ("inaudible", "[inaudible 00:01:02]"),
                     ("pause", "[pause 6 s]"), ("inaudible", "[inaudible 00:01:10]"), ("inaudible", "[inaudible 00:01:15]")]


def test_thresholds_come_from_the_report_when_given():
    t = transcript(segment(0.0, 1.0, [(" maybe", 0.6)]))
    assert lines(t)[0].text == "maybe"
    assert lines(t, {**PARAMETERS, "unclear_below_probability": 0.7})[0].text == "[unclear: maybe?]"


def test_pause_in_a_real_transcription(fx):
    from evidence import media
    from evidence.transcribe import transcribe

    path = fx["speech_gap_speech"]
    audio, _ = media.decode_for_analysis(path, media.probe(path))
    pauses = [line for line in lines(transcribe(audio)) if line.kind == "pause"]
    assert len(pauses) == 1 and 58 <= int(pauses[0].text.split()[1]) <= 63


def test_lines_to_listen_to_are_the_marked_ones_with_their_numbers():
    from evidence.transcribe.marks import to_listen

    t = transcript(
        segment(0.0, 2.0, [(" fine", 0.9)]),
        segment(3.0, 5.0, [(" I", 0.9), (" refused", 0.3), (" it", 0.2)]),
        segment(62.0, 64.0, [(" la la la la", 0.9)], ratio=3.1),
        segment(66.0, 67.0, [(" thanks", 0.9)]),
    )
    numbered = lines(t)
    listen = to_listen(numbered)
    assert [(x.number, x.why) for x in listen] == [(2, "2 unsure words"), (4, "not transcribed reliably")]
    assert [numbered[x.number - 1] for x in listen] == [x.line for x in listen]
    assert to_listen(lines(transcript(segment(0.0, 1.0, [(" fine", 0.9)])))) == []
