import hashlib

from evidence import media
from evidence.fingerprint import audio_content_hash, chromaprint, fingerprints, hash_file


def test_file_hashes_equal_hashlib(fx):
    data = fx["speech_m4a"].read_bytes()
    hashes = hash_file(fx["speech_m4a"])
    assert hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert hashes.md5 == hashlib.md5(data).hexdigest()


def test_audio_content_hash_survives_lossless_remux(fx):
    wav, flac = fx["speech"], fx["speech_flac"]
    assert hash_file(wav).sha256 != hash_file(flac).sha256
    assert audio_content_hash(wav, media.probe(wav))[0] == audio_content_hash(flac, media.probe(flac))[0]


def test_audio_content_hash_differs_for_different_audio(fx):
    a, b = fx["speech"], fx["speech_silence"]
    assert audio_content_hash(a, media.probe(a))[0] != audio_content_hash(b, media.probe(b))[0]


def test_chromaprint_of_the_whole_file(fx):
    fingerprint, duration_s, note = chromaprint(fx["speech"])
    assert fingerprint and len(fingerprint) > 20
    assert abs(duration_s - media.probe(fx["speech"]).container_duration_s) < 0.1
    assert "whole file" in note


def test_chromaprint_of_undecodable_file_is_noted_not_fatal(fx):
    fingerprint, duration_s, note = chromaprint(fx["random"])
    assert fingerprint is None and duration_s is None
    assert note.startswith("not computed")


def test_fingerprints_record_the_pcm_format(fx):
    prints = fingerprints(fx["speech"], media.probe(fx["speech"]))
    assert prints.audio_content_format.startswith("s32le, 16000 Hz, 1 channel")
    assert len(prints.audio_content_sha256) == 64
