"""What makes a recording sound like a phone on a meeting-room table, for the integrity benchmark.

Pure functions over numpy arrays (float64, mono, at `rate_hz`), each drawing what it varies from the
`rng` it is given, so a seed reproduces a session exactly:

- `room_response`: a talker's impulse response at a distance in a room (direct sound, early
  reflections, a late tail decaying at `rt60_s`, faster at high frequencies);
- `background`: room noise whose level drifts over minutes, traffic rumble below 120 Hz, and the
  microphone's own broadband noise;
- `events`: doors, paper, cups, chairs, coughs, keyboards: short sounds a few times a minute;
- `grid_frequency` and `hum`: mains hum whose frequency follows a real grid record second by second
  (ENF-WHU), built from the per-second frequency, never from the record's raw phase, whose recorder
  glitches would put jumps in the hum that are not edits;
- `high_pass`, `automatic_gain`, `noise_suppression`: what the phone does to the sound before it
  encodes it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from scipy import ndimage, signal

SPEED_OF_SOUND_M_S = 343.0


def _db(x_db: float | np.ndarray) -> float | np.ndarray:
    return 10 ** (np.asarray(x_db) / 20)


def room_response(rng: np.random.Generator, rate_hz: int, distance_m: float, rt60_s: float,
                  critical_distance_m: float) -> np.ndarray:
    """Impulse response from a talker `distance_m` from the microphone.

    The direct sound falls as 1/distance (1 at 1 m); the reverberant tail carries the energy a
    diffuse field has at `critical_distance_m` (where direct and reverberant energy are equal), the
    same at any distance, so far talkers sound more distant, not only quieter. The tail decays by
    60 dB in `rt60_s` in the middle band, 1.3x as long below 500 Hz and 0.6x above 4 kHz."""
    delay = int(distance_m / SPEED_OF_SOUND_M_S * rate_hz)
    length = delay + int(rt60_s * 1.2 * rate_hz)
    h = np.zeros(length)
    h[delay] = 1.0 / distance_m
    for _ in range(int(rng.integers(5, 11))):
        at = delay + int(rng.uniform(0.002, 0.025) * rate_hz)
        h[at] += rng.choice([-1, 1]) * rng.uniform(0.2, 0.6) / (distance_m + rng.uniform(0.5, 3.0))
    t = np.arange(length - delay) / rate_hz
    tail = np.zeros(length - delay)
    bands = [(None, 500.0, 1.3), (500.0, 4000.0, 1.0), (4000.0, None, 0.6)]
    for lo, hi, factor in bands:
        noise = rng.normal(0, 1, len(t))
        if lo is None:
            sos = signal.butter(2, hi, "lowpass", fs=rate_hz, output="sos")
        elif hi is None:
            sos = signal.butter(2, lo, "highpass", fs=rate_hz, output="sos")
        else:
            sos = signal.butter(2, [lo, hi], "bandpass", fs=rate_hz, output="sos")
        tail += signal.sosfilt(sos, noise) * np.exp(-6.91 * t / (rt60_s * factor))
    onset = np.clip(t / 0.005, 0, 1)  # the diffuse tail builds up over the first few milliseconds
    tail *= onset
    tail *= (1.0 / critical_distance_m) / np.sqrt(np.sum(tail**2))
    h[delay:] += tail
    return h


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-RMS pink noise (Kellet's filter)."""
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    x = signal.lfilter(b, a, rng.normal(0, 1, n))
    return x / x.std()


def slow_drift_db(rng: np.random.Generator, n: int, rate_hz: int, depth_db: float,
                  periods_s: tuple[float, float]) -> np.ndarray:
    """A smooth level wander of about ±`depth_db`: three sinusoids with periods in `periods_s`."""
    t = np.arange(n) / rate_hz
    out = np.zeros(n)
    for _ in range(3):
        period = rng.uniform(*periods_s)
        out += np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return out / 3 * depth_db * 1.5


def background(rng: np.random.Generator, n: int, rate_hz: int, level_db: float, drift_db: float,
               rumble_db: float | None, self_noise_db: float, colour: float) -> np.ndarray:
    """Room noise at `level_db` (RMS, dBFS) with a slow drift of about ±`drift_db` over minutes;
    `colour` in [0, 1] mixes pink (0) towards brown (1); traffic rumble below 120 Hz at `rumble_db`
    whose level swells and fades by ±6 dB over 5-60 s (None: none); white microphone noise at
    `self_noise_db` across the whole band."""
    room = pink(rng, n)
    if colour > 0:
        brown = np.cumsum(rng.normal(0, 1, n))
        brown = signal.sosfilt(signal.butter(1, 20.0, "highpass", fs=rate_hz, output="sos"), brown)
        room = (1 - colour) * room + colour * brown / brown.std()
        room /= room.std()
    room *= _db(level_db + slow_drift_db(rng, n, rate_hz, drift_db, (60.0, 600.0)))
    out = room + rng.normal(0, 1, n) * _db(self_noise_db)
    if rumble_db is not None:
        low = signal.sosfilt(signal.butter(4, [25.0, 120.0], "bandpass", fs=rate_hz, output="sos"), rng.normal(0, 1, n))
        low /= low.std()
        out += low * _db(rumble_db + slow_drift_db(rng, n, rate_hz, 6.0, (5.0, 60.0)))
    return out


def _burst(rng: np.random.Generator, rate_hz: int, seconds: float, band_hz: tuple[float, float],
           attack_s: float, decay_s: float) -> np.ndarray:
    n = int(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    sos = signal.butter(2, band_hz, "bandpass", fs=rate_hz, output="sos")
    noise = signal.sosfilt(sos, rng.normal(0, 1, n))
    return noise / (noise.std() + 1e-12) * np.minimum(t / attack_s, 1) * np.exp(-t / decay_s)


def _event(kind: str, rng: np.random.Generator, rate_hz: int) -> np.ndarray:
    """One short sound, peak about 1."""
    if kind == "door":
        thump = _burst(rng, rate_hz, 0.6, (40.0, 300.0), 0.003, 0.08)
        latch = _burst(rng, rate_hz, 0.6, (800.0, 6000.0), 0.001, 0.03) * 0.5
        x = thump + latch
    elif kind == "paper":
        seconds = rng.uniform(0.5, 2.0)
        n = int(seconds * rate_hz)
        crackle = ndimage.uniform_filter1d((rng.random(n) < 0.002).astype(float) * rng.uniform(0.3, 1, n),
                                           int(0.004 * rate_hz))
        envelope = ndimage.uniform_filter1d(crackle, int(0.03 * rate_hz)) * 30 + crackle * 0.5
        x = _burst(rng, rate_hz, seconds, (1000.0, 9000.0), 0.05, 10.0) * envelope
    elif kind == "cup":
        n = int(0.4 * rate_hz)
        t = np.arange(n) / rate_hz
        x = sum(np.sin(2 * np.pi * rng.uniform(2000, 6000) * t) * np.exp(-t / rng.uniform(0.03, 0.12)) for _ in range(3))
    elif kind == "chair":
        seconds = rng.uniform(0.4, 1.2)
        x = _burst(rng, rate_hz, seconds, (200.0, 2500.0), 0.05, seconds / 2)
        t = np.arange(len(x)) / rate_hz
        x *= 1 + 0.8 * np.sin(2 * np.pi * rng.uniform(15, 40) * t)
    elif kind == "cough":
        x = _burst(rng, rate_hz, 0.5, (300.0, 4000.0), 0.01, 0.12)
        x += _burst(rng, rate_hz, 0.5, (300.0, 4000.0), 0.01, 0.08) * 0.6
    elif kind == "keys":
        seconds = rng.uniform(1.0, 3.0)
        x = np.zeros(int(seconds * rate_hz))
        for at in np.sort(rng.uniform(0, seconds - 0.05, int(seconds * rng.uniform(4, 8)))):
            click = _burst(rng, rate_hz, 0.04, (1500.0, 8000.0), 0.0005, 0.006)
            x[int(at * rate_hz) : int(at * rate_hz) + len(click)] += click
    else:
        raise ValueError(kind)
    return x / (np.abs(x).max() + 1e-12)


EVENT_KINDS = ["door", "paper", "cup", "chair", "cough", "keys"]


def events(rng: np.random.Generator, n: int, rate_hz: int, per_min: float,
           level_db: tuple[float, float]) -> tuple[np.ndarray, list[dict]]:
    """Short sounds at random times, about `per_min` a minute, peaks in `level_db` (dBFS); the dry
    track (to be put through a room response) and a list of {kind, at_s}."""
    out = np.zeros(n)
    listed = []
    count = int(rng.poisson(per_min * n / rate_hz / 60))
    for at in np.sort(rng.uniform(0, n / rate_hz, count)):
        kind = EVENT_KINDS[int(rng.integers(len(EVENT_KINDS)))]
        x = _event(kind, rng, rate_hz) * _db(rng.uniform(*level_db))
        start = int(at * rate_hz)
        x = x[: n - start]
        out[start : start + len(x)] += x
        listed.append({"kind": kind, "at_s": round(float(at), 2)})
    return out, listed


@functools.cache
def grid_frequency(path: Path) -> np.ndarray:
    """Mains frequency (Hz) per second of an ENF-WHU reference recording (400 Hz sampling), from its
    zero crossings. Seconds more than 10 mHz from the median of the 5 around them are recorder
    glitches (a dip of the signal adds or loses a crossing) and take that median instead; the first
    and last 3 seconds, disturbed by the band-pass filter's edges, are dropped."""
    import wave

    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    band = signal.sosfiltfilt(signal.butter(4, [45.0, 55.0], "bandpass", fs=rate, output="sos"), x)
    up = np.flatnonzero((band[:-1] < 0) & (band[1:] >= 0))
    crossings_s = (up + band[up] / (band[up] - band[up + 1])) / rate
    seconds = int(len(x) / rate)
    per_second = np.full(seconds, np.nan)
    which = np.floor(crossings_s).astype(int)
    for s in range(seconds):
        inside = crossings_s[which == s]
        if len(inside) >= 2:
            per_second[s] = (len(inside) - 1) / (inside[-1] - inside[0])
    per_second = per_second[3:-3]
    finite = np.where(np.isfinite(per_second), per_second, np.nanmedian(per_second))
    median = ndimage.median_filter(finite, 5, mode="nearest")
    return np.where(np.abs(finite - median) > 0.01, median, finite)


def hum(rng: np.random.Generator, n: int, rate_hz: int, frequency_per_s: np.ndarray, start_s: float,
        levels_db: dict[int, float], clock_error: float = 0.0) -> np.ndarray:
    """Hum whose fundamental follows `frequency_per_s` (Hz, one value a second, as a grid record)
    from second `start_s`: the frequency is interpolated between the seconds' middles and integrated
    into a phase, so the phase is continuous wherever the record is. Harmonic k at `levels_db[k]`
    (dBFS, amplitude), each with a random phase; `clock_error` (e.g. 1e-4) makes the recorder's clock
    run fast, as a phone's does by tens of parts per million; the level wanders by about ±1 dB."""
    work_hz = 1000
    duration_s = n / rate_hz
    t_work = np.arange(int(duration_s * work_hz) + 2) / work_hz
    t_grid = start_s + t_work * (1 + clock_error)
    centres = np.arange(len(frequency_per_s)) + 0.5
    f = np.interp(t_grid, centres, frequency_per_s)
    phase_work = 2 * np.pi * np.cumsum(f) / work_hz * (1 + clock_error)
    phase = np.interp(np.arange(n) / rate_hz, t_work, phase_work)
    wander = _db(slow_drift_db(rng, n, rate_hz, 1.0, (20.0, 200.0)))
    out = np.zeros(n)
    for k, level_db in levels_db.items():
        out += _db(level_db) * np.cos(k * phase + rng.uniform(0, 2 * np.pi))
    return out * wander


def level_over_background_db(background: np.ndarray, rate_hz: int, frequency_hz: float, snr_db: float) -> float:
    """The amplitude (dBFS) a tone at `frequency_hz` needs to stand `snr_db` above `background`'s
    power in 1 Hz around it (Welch, 4 s segments)."""
    freqs, psd = signal.welch(background[: 120 * rate_hz], fs=rate_hz, nperseg=4 * rate_hz)
    density = float(np.mean(psd[np.abs(freqs - frequency_hz) <= 1.0]))  # power per hertz
    power = density * 10 ** (snr_db / 10)
    return float(10 * np.log10(2 * power))  # a cosine of amplitude A has power A^2 / 2


def high_pass(x: np.ndarray, rate_hz: int, cutoff_hz: float) -> np.ndarray:
    """The phone's microphone high-pass (2nd order): it takes much of the 50 Hz hum with the rumble."""
    return signal.sosfilt(signal.butter(2, cutoff_hz, "highpass", fs=rate_hz, output="sos"), x)


def automatic_gain(x: np.ndarray, rate_hz: int, target_db: float, range_db: float, attack_s: float,
                   release_s: float, gate_db: float | None) -> np.ndarray:
    """A phone's automatic gain control: the level of 10 ms frames is brought towards `target_db`
    (dBFS RMS), within ±`range_db`, the gain falling within `attack_s` when the sound gets loud and
    rising over `release_s` when it gets quiet. Below `gate_db` (a pause) the gain holds; with
    `gate_db` None it keeps rising through pauses, so the background swells after each sentence."""
    frame = int(0.01 * rate_hz)
    frames = len(x) // frame
    level_db = 10 * np.log10(np.mean(x[: frames * frame].reshape(frames, frame) ** 2, axis=1) + 1e-12)
    wanted = np.clip(target_db - level_db, -range_db, range_db)
    attack, release = 1 - np.exp(-0.01 / attack_s), 1 - np.exp(-0.01 / release_s)
    gain_db = np.empty(frames)
    g = 0.0
    for i in range(frames):
        if gate_db is not None and level_db[i] < gate_db:
            pass
        elif wanted[i] < g:
            g += (wanted[i] - g) * attack
        else:
            g += (wanted[i] - g) * release
        gain_db[i] = g
    t_frames = (np.arange(frames) + 0.5) * frame
    gain = _db(np.interp(np.arange(len(x)), t_frames, gain_db))
    return x * gain


def noise_suppression(x: np.ndarray, rate_hz: int, depth_db: float) -> np.ndarray:
    """A phone's noise suppression: short-time spectra (20 ms, half overlap), the noise in each band
    estimated as the minimum of the smoothed power over 1.5 s, and bands near it turned down by up
    to `depth_db` (a Wiener-like gain, smoothed over time). Steady sounds, hum included, fade."""
    nperseg = int(0.02 * rate_hz)
    _, _, spec = signal.stft(x, fs=rate_hz, nperseg=nperseg, noverlap=nperseg // 2)
    power = np.abs(spec) ** 2
    smooth = ndimage.uniform_filter1d(power, 5, axis=1)
    noise = ndimage.minimum_filter1d(smooth, int(1.5 * rate_hz / (nperseg // 2)), axis=1) * 1.5
    floor = _db(-depth_db)
    gain = np.maximum(1 - noise / np.maximum(smooth, 1e-20), floor)
    gain = ndimage.uniform_filter1d(gain, 3, axis=1)
    _, y = signal.istft(spec * gain, fs=rate_hz, nperseg=nperseg, noverlap=nperseg // 2)
    return y[: len(x)] if len(y) >= len(x) else np.pad(y, (0, len(x) - len(y)))
