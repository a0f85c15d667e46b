"""Phone-like recordings for the grid benchmark, made at 4 kHz (the hum test works below 200 Hz and
decimates to 1 kHz first, so a higher rate would only cost time over hundreds of trials): flite voices
(female and male, pitch 85-200 Hz) in a reverberant room with a drifting background, events and rumble,
the phone's high-pass and, on half, its automatic gain control and noise suppression as in the
realistic integrity benchmark (bench/integrity/realistic.py); hum following a real grid frequency
track, at 6-40 dB over the background. Recordings without hum can carry music: bass notes and chords
whose fundamentals fall near 50, 100 and 150 Hz (G1, G2, D3 and their neighbours, on instruments tuned
A = 435-445 Hz), the sound a hum detector is known to take for hum.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

from bench.integrity import acoustics, voices
from bench.integrity.realistic import HUM_SNR_DB, Phone, through_phone

RATE_HZ = 4000
CLIPS_PER_VOICE = 16
MUSIC_NOTES_HZ = [49.0, 51.9, 98.0, 103.8, 146.8, 155.6, 55.0, 110.0, 73.4]
"""G1, G#1, G2, G#2, D3, D#3, A1, A2, D2 at A = 440 Hz: each is tuned up or down by up to 1% per piece."""


@functools.cache
def speech_clips(voice: str) -> tuple[np.ndarray, ...]:
    """Sentences in one flite voice at 4 kHz, each at its own pitch and pace (made once: flite is the
    slow part)."""
    rng = np.random.default_rng(abs(hash(voice)) % 2**32)
    base = voices.FLITE_MEAN_PITCH_HZ[voice]
    clips = []
    for n in range(CLIPS_PER_VOICE):
        text = voices.SENTENCES[(n * 7 + len(voice)) % len(voices.SENTENCES)]
        x = voices.flite(text, voice, float(rng.uniform(0.9, 1.15)), float(base * rng.uniform(0.85, 1.2)))
        clips.append(voices._resample(x, voices.SYNTH_RATE_HZ, RATE_HZ))
    return tuple(clips)


def speech(rng: np.random.Generator, n: int, talkers: list[str], responses: list[np.ndarray]) -> np.ndarray:
    out = np.zeros(n)
    tracks = [np.zeros(n) for _ in talkers]
    at = int(rng.uniform(0.3, 1.5) * RATE_HZ)
    levels = [float(rng.uniform(-10, -4)) for _ in talkers]
    while at < n:
        who = int(rng.integers(len(talkers)))
        clips = speech_clips(talkers[who])
        clip = clips[int(rng.integers(len(clips)))] * 10 ** ((levels[who] + rng.uniform(-3, 3)) / 20)
        clip = clip[: n - at]
        tracks[who][at : at + len(clip)] += clip
        pause_s = rng.uniform(0.25, 2.5) if rng.random() < 0.9 else rng.uniform(3, 8)
        at += max(int(0.05 * RATE_HZ), len(clip) + int(pause_s * RATE_HZ))
    for track, h in zip(tracks, responses):
        out += signal.oaconvolve(track, h)[:n]
    return out


def music(rng: np.random.Generator, n: int, level_db: float) -> np.ndarray:
    """Bass notes and two-note chords, 0.3-3 s each with a few harmonics, vibrato and a decay, one
    after another with short gaps, from one tuning for the piece."""
    tuning = float(rng.uniform(0.99, 1.01))
    out = np.zeros(n)
    at = 0
    while at < n:
        length = int(rng.uniform(0.3, 3.0) * RATE_HZ)
        t = np.arange(min(length, n - at)) / RATE_HZ
        envelope = np.exp(-t / rng.uniform(0.5, 3.0)) * np.minimum(1.0, t / 0.01)
        for _ in range(int(rng.integers(1, 3))):
            f0 = float(rng.choice(MUSIC_NOTES_HZ)) * tuning
            vibrato = 1 + 0.003 * np.sin(2 * np.pi * rng.uniform(4, 6) * t) * (rng.random() < 0.5)
            phase = 2 * np.pi * np.cumsum(f0 * vibrato) / RATE_HZ
            for k in range(1, 5):
                out[at : at + len(t)] += envelope * np.cos(k * phase) * 0.6 ** (k - 1)
        at += len(t) + int(rng.uniform(0.0, 0.4) * RATE_HZ)
    return out / (np.abs(out).max() + 1e-12) * 10 ** (level_db / 20)


def draw(rng: np.random.Generator) -> dict:
    """One recording's conditions: talkers, room, phone, and the hum's level per harmonic."""
    count = int(rng.integers(2, 4))
    talkers = list(rng.permutation(voices.FLITE_VOICES))[:count]
    agc = None
    if rng.random() < 0.5:
        agc = {"target_db": float(rng.uniform(-28, -16)), "range_db": 10.0, "attack_s": float(rng.uniform(0.005, 0.02)),
               "release_s": float(rng.uniform(0.5, 3.0)), "gate_db": float(rng.uniform(-50, -40)) if rng.random() < 0.5 else None}
    phone = Phone(rate_hz=RATE_HZ, high_pass_hz=float(rng.uniform(80, 150)) if rng.random() < 0.4 else None, agc=agc,
                  suppression_db=float(rng.uniform(10, 18)) if rng.random() < 0.25 else None, codec="pcm", bitrate_k=0)
    strongest = float(rng.uniform(*HUM_SNR_DB))
    relative = {1: rng.uniform(-12, 0), 2: rng.uniform(-6, 0), 3: rng.uniform(-18, -4)}
    top = max(relative.values())
    return {"talkers": [str(t) for t in talkers], "distances_m": [float(rng.uniform(0.4, 3.0)) for _ in talkers],
            "rt60_s": float(rng.uniform(0.25, 0.8)), "noise_db": float(rng.uniform(-62, -48)),
            "rumble_db": float(rng.uniform(-66, -50)) if rng.random() < 0.6 else None, "phone": phone,
            "hum_snr_db": {k: strongest + float(v - top) for k, v in relative.items()},
            "clock_error": float(rng.uniform(-2e-4, 2e-4))}


def take(rng: np.random.Generator, conditions: dict, seconds: float, frequency_per_s: np.ndarray | None,
         start_s: float = 0.0, with_music: bool = False) -> np.ndarray:
    """The recording as the phone saved it (4 kHz): hum following `frequency_per_s` from second
    `start_s` (none when None), with its conditions' speech, room and phone."""
    n = int(seconds * RATE_HZ)
    # The room's responses are made at 16 kHz, where their octave bands are defined, then brought down.
    responses = [signal.resample_poly(acoustics.room_response(rng, 16_000, d, conditions["rt60_s"], 0.6), 1, 4)
                 for d in conditions["distances_m"]]
    x = acoustics.background(rng, n, RATE_HZ, conditions["noise_db"], 2.0, conditions["rumble_db"], -80.0, 0.3)
    levels_db = {k: acoustics.level_over_background_db(x, RATE_HZ, 50.0 * k, snr_db)
                 for k, snr_db in conditions["hum_snr_db"].items()}
    dry, _ = acoustics.events(rng, 6 * n, 24_000, 3.0, (-30.0, -14.0))  # their bands reach 9 kHz
    x += signal.oaconvolve(signal.resample_poly(dry, 1, 6)[:n], responses[-1])[:n]
    x += speech(rng, n, conditions["talkers"], responses)
    if with_music:
        x += music(rng, n, float(rng.uniform(-26, -14)))
    if frequency_per_s is not None:
        x += acoustics.hum(rng, n, RATE_HZ, frequency_per_s, start_s, levels_db, conditions["clock_error"])
    return through_phone(x, conditions["phone"])
