"""Speech for the integrity benchmark: synthetic talkers (flite's voices, built from recordings of
real speakers; espeak-ng's formant voices) and the real two-speaker call in tests/data.

People never say anything twice sample for sample, but a synthesiser given the same text and
settings does: a recording built from such repeats holds genuine duplicated passages. So every
flite utterance gets its own speaking rate and pitch, and a real turn is used at most once in a
session.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parents[2]
REAL_SPEECH = ROOT / "tests" / "data" / "real-speech"
SYNTH_RATE_HZ = 16_000

SENTENCES = [
    "Thank you for coming in today.", "Can we talk about the contact arrangements?",
    "I have read the report, and I do not agree with paragraph twelve.", "The children were happy at the weekend.",
    "We will need to see the school attendance records.", "That is not what I said at the last meeting.",
    "Could you write that down, please?", "I think we should take a short break.",
    "The next review is in six weeks.", "Nobody told me about the change of social worker.",
    "Let me just check my notes.", "Yes, that is right.", "No, I do not think so.",
    "She has been much more settled since March.", "I would like my solicitor to see this.",
    "We are worried about the missed appointments.", "He goes to bed at about eight o'clock.",
    "The health visitor came round on Tuesday.", "I was not given a copy of the plan.",
    "Can you explain what the assessment found?", "My mother helps with the school run.",
    "We have to think about what is best for the children.", "I have been going to the parenting course.",
    "The house has been cleaned and the repairs are done.", "Who else will read these notes?",
    "I am sorry, could you say that again?", "The contact centre has a waiting list.",
    "There was an argument, but nobody was hurt.", "I did ring the office three times.",
    "That is a fair point, and I will look into it.", "We can arrange a visit for next Thursday.",
    "I need to know what happens if I do not agree.", "The school says his reading has improved.",
    "I was there for the whole of the meeting.", "Please make sure my views are recorded.",
    "The foster carer reported no concerns this month.", "We talked about this in January.",
    "I can bring the letters next time.", "The doctor said the medication is working.",
    "I would rather we met at the family centre.", "Is there anything you want to add?",
    "I do not remember saying that.", "We will put that in the minutes.",
    "The independent reviewing officer will chair the review.", "Can we go back to the first point?",
    "I have moved to a bigger flat closer to the school.", "We agreed that contact would be supervised.",
    "She told her teacher she was frightened.", "I am not happy with how this has been handled.",
    "Let us move on to the next item.", "The guardian will file her report next week.",
    "I understand, but that is not the whole story.", "The weekend visits went well.",
    "Can I have a moment, please?", "He has been seeing the counsellor every fortnight.",
    "That was before the police were involved.", "I want the children to stay together.",
    "We need a decision by the end of the month.", "My partner has left and will not be coming back.",
    "I have kept a diary of everything that happened.", "Thank you, that is really helpful.",
    "Right, shall we start?", "I think that covers everything.", "Okay, so what happens now?",
]

FLITE_VOICES = ["slt", "rms", "awb", "kal16"]
ESPEAK_VOICES = ["en-gb", "en-us", "en-gb+f3", "en-us+m3", "en-gb-x-rp+f2"]
FLITE_MEAN_PITCH_HZ = {"slt": 170.0, "rms": 100.0, "awb": 105.0, "kal16": 100.0}


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768, rate


def _resample(x: np.ndarray, rate_hz: int, to_hz: int) -> np.ndarray:
    if rate_hz == to_hz:
        return x
    g = np.gcd(rate_hz, to_hz)
    return signal.resample_poly(x, to_hz // g, rate_hz // g)


@functools.cache
def _synthesise(command: tuple[str, ...]) -> np.ndarray:
    """Run `command`, in which "{out}" stands for the WAV file it writes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        subprocess.run([str(out) if part == "{out}" else part for part in command], check=True, capture_output=True)
        x, rate = _read_wav(out)
    x = _resample(x, rate, SYNTH_RATE_HZ)
    return _acoustic(x)


def _acoustic(x: np.ndarray) -> np.ndarray:
    """Peak 1, with the constant offset and anything below 50 Hz removed: a synthesiser's output can
    carry a DC offset (flite's rms voice about 1% of its peak), which sound in air cannot."""
    x = signal.sosfiltfilt(signal.butter(2, 50.0, "highpass", fs=SYNTH_RATE_HZ, output="sos"), x)
    return x / (np.abs(x).max() + 1e-9)


def flite(text: str, voice: str, stretch: float, pitch_hz: float) -> np.ndarray:
    """`text` in flite's `voice`, at `stretch` times its usual duration and mean pitch `pitch_hz`;
    16 kHz, peak 1."""
    return _synthesise(("flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}",
                        "--setf", f"int_f0_target_mean={pitch_hz:.1f}", "-t", text, "-o", "{out}"))


def espeak(text: str, voice: str, words_per_min: int, pitch: int) -> np.ndarray:
    """`text` in espeak-ng's `voice` at `words_per_min` and `pitch` (0-99); 16 kHz, peak 1."""
    return _synthesise(("espeak-ng", "-v", voice, "-s", str(words_per_min), "-p", str(pitch), "-w", "{out}", text))


@dataclass(frozen=True)
class Talker:
    """One person in the meeting: how their speech is made, and their own manner."""

    source: str            # "flite", "espeak-ng" or "real"
    voice: str
    pitch_hz: float        # flite: this talker's mean pitch
    rate: float            # flite: this talker's usual duration stretch

    def say(self, rng: np.random.Generator, text: str) -> np.ndarray:
        if self.source == "espeak-ng":
            return espeak(text, self.voice, int(rng.integers(130, 181)), int(rng.integers(30, 71)))
        return flite(text, self.voice, self.rate * rng.uniform(0.9, 1.12), self.pitch_hz * rng.uniform(0.9, 1.1))


def flite_talker(rng: np.random.Generator, voice: str) -> Talker:
    return Talker("flite", voice, FLITE_MEAN_PITCH_HZ[voice] * rng.uniform(0.85, 1.2), rng.uniform(0.9, 1.15))


@functools.cache
def real_turns() -> tuple[np.ndarray, ...]:
    """The real call's speaker turns (sample.rttm), as 16 kHz clips with 50 ms fades, peak 1. Turns
    overlap in the call (people talk over each other), so each is cut to the part no other turn
    shares: used in one session, two overlapping turns would put the same audio in it twice."""
    x, rate = _read_wav(REAL_SPEECH / "sample.wav")
    spans = sorted((float(line.split()[3]), float(line.split()[3]) + float(line.split()[4]))
                   for line in (REAL_SPEECH / "sample.rttm").read_text().splitlines())
    turns = []
    for i, (start_s, end_s) in enumerate(spans):
        start_s = max([start_s] + [e for j, (_, e) in enumerate(spans) if j < i])
        end_s = min([end_s] + [b for j, (b, _) in enumerate(spans) if j > i])
        if end_s - start_s < 0.8:
            continue
        clip = x[int(start_s * rate) : int(end_s * rate)].copy()
        fade = min(len(clip) // 2, int(0.05 * rate))
        ramp = np.linspace(0, 1, fade)
        clip[:fade] *= ramp
        clip[-fade:] *= ramp[::-1]
        turns.append(_acoustic(_resample(clip, rate, SYNTH_RATE_HZ)))
    return tuple(turns)
