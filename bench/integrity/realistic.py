"""Realistic recordings for the integrity benchmark: meetings recorded on a phone, then kept,
converted, or edited the way a person with an audio editor edits.

A `Setting` is the world of one meeting: the room, the people in it and how far each sits from the
phone, the phone itself (its rate, high-pass, automatic gain control, noise suppression and
encoder) and the mains. `record` renders a take of it: each talker's speech through their own room
response, the room's drifting background with its short events, and the hum, all through what the
phone does, then saved as the phone saves it (AAC-LC .m4a, or Opus). Material from "the same room
on another day" is another take of the same Setting (new background state, new events, hum from
another stretch of the grid record); "another room" is another Setting.

Edits are made on the decoded phone file, at its own rate, as an editor would, and saved again
(WAV, FLAC, AAC or MP3). A pause/resume join is made before encoding: the phone's encoder runs on
through it. Every edit point is in the saved file's time.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import signal

from bench.integrity import acoustics, voices

EDIT_KINDS = ["deletion", "insertion-same-room", "insertion-other-room", "replacement", "mute-zero", "mute-tone",
              "join", "duplicate"]
SAVE_FORMATS = ["wav", "flac", "m4a", "mp3"]
MICROPHONE_ROLL_OFF_HZ = 20.0
HUM_SNR_DB = (6.0, 40.0)
"""The strongest harmonic's power over the room's background in 1 Hz: from barely there to clear."""


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@dataclass(frozen=True)
class Phone:
    rate_hz: int
    high_pass_hz: float | None
    agc: dict | None
    suppression_db: float | None
    codec: str          # "aac" (.m4a), "opus" (.ogg) or "pcm" (.wav, as a voice recorder saves)
    bitrate_k: int

    @property
    def extension(self) -> str:
        return {"aac": "m4a", "opus": "ogg", "pcm": "wav"}[self.codec]

    @property
    def description(self) -> str:
        return "pcm 16-bit" if self.codec == "pcm" else f"{self.codec} {self.bitrate_k}k"


@dataclass(frozen=True)
class Room:
    rt60_s: float
    critical_distance_m: float
    noise_db: float
    drift_db: float
    rumble_db: float | None
    self_noise_db: float
    colour: float
    events_per_min: float


@dataclass(frozen=True)
class Setting:
    room: Room
    talkers: list[voices.Talker]
    distances_m: list[float]
    speech_peak_db: list[float]
    use_real_turns: bool
    phone: Phone
    hum_file: int | None
    hum_snr_db: dict[int, float] = field(default_factory=dict)
    """Each harmonic's power against the room background's power in 1 Hz at its frequency (before
    the phone's processing), so that "clear" and "barely there" mean the same in any room."""
    seed: int = 0

    def describe(self) -> dict:
        d = asdict(self)
        d["talkers"] = [f"{t.source}:{t.voice}" for t in self.talkers]
        d["hum_snr_db"] = {str(k): round(v, 1) for k, v in self.hum_snr_db.items()}
        return d


def draw_phone(rng: np.random.Generator, agc: bool, allow_opus: bool) -> Phone:
    control = None
    if agc:
        control = {"target_db": float(rng.uniform(-28, -16)), "range_db": 10.0,
                   "attack_s": float(rng.uniform(0.005, 0.02)), "release_s": float(rng.uniform(0.5, 3.0)),
                   "gate_db": float(rng.uniform(-50, -40)) if rng.random() < 0.5 else None}
    draw = rng.random()
    codec = "pcm" if draw < 0.15 else "opus" if allow_opus and draw > 0.8 else "aac"
    rate = 48_000 if codec == "opus" or rng.random() < 0.75 else 44_100
    bitrate = {"opus": int(rng.choice([24, 32])), "aac": int(rng.choice([48, 56, 64])), "pcm": 0}[codec]
    return Phone(rate_hz=rate, high_pass_hz=float(rng.uniform(80, 150)) if rng.random() < 0.4 else None,
                 agc=control, suppression_db=float(rng.uniform(10, 18)) if rng.random() < 0.25 else None,
                 codec=codec, bitrate_k=bitrate)


def draw_room(rng: np.random.Generator) -> Room:
    return Room(rt60_s=float(rng.uniform(0.25, 0.8)), critical_distance_m=float(rng.uniform(0.4, 0.9)),
                noise_db=float(rng.uniform(-62, -48)), drift_db=float(rng.uniform(0.5, 3.0)),
                rumble_db=float(rng.uniform(-66, -50)) if rng.random() < 0.6 else None,
                self_noise_db=float(rng.uniform(-86, -74)), colour=float(rng.uniform(0, 0.6)),
                events_per_min=float(rng.uniform(1, 6)))


def draw_setting(rng: np.random.Generator, with_hum: bool, agc: bool, hum_files: int, allow_opus: bool = True,
                 room: Room | None = None) -> Setting:
    count = int(rng.integers(2, 4))
    sources = ["flite"] * count
    if rng.random() < 0.2:
        sources[int(rng.integers(count))] = "espeak-ng"
    flite_voices = list(rng.permutation(voices.FLITE_VOICES))
    talkers = []
    for source in sources:
        if source == "flite":
            talkers.append(voices.flite_talker(rng, flite_voices.pop()))
        else:
            talkers.append(voices.Talker("espeak-ng", str(rng.choice(voices.ESPEAK_VOICES)), 0.0, 1.0))
    distances = [float(rng.uniform(0.4, 0.9))] + [float(rng.uniform(1.0, 3.0)) for _ in range(count - 1)]
    levels = {}
    if with_hum:
        strongest = float(rng.uniform(*HUM_SNR_DB))
        relative = {1: rng.uniform(-12, 0), 2: rng.uniform(-6, 0), 3: rng.uniform(-18, -4)}
        top = max(relative.values())
        levels = {k: strongest + float(v - top) for k, v in relative.items()}
    return Setting(room=room or draw_room(rng), talkers=talkers, distances_m=distances,
                   speech_peak_db=[float(rng.uniform(-10, -4)) for _ in talkers],
                   use_real_turns=bool(rng.random() < 0.3), phone=draw_phone(rng, agc, allow_opus),
                   hum_file=int(rng.integers(hum_files)) if with_hum else None, hum_snr_db=levels,
                   seed=int(rng.integers(2**31)))


@dataclass
class Take:
    """A rendered recording before the phone encodes it: samples in [-1, 1] at the phone's rate,
    where speech is ([start, end) seconds) and what events sound in it."""

    samples: np.ndarray
    rate_hz: int
    speech_s: list[tuple[float, float]]
    events: list[dict]
    hum: dict | None


def _speech(rng: np.random.Generator, setting: Setting, n: int, rate: int, responses: list[np.ndarray],
            real_turns: bool) -> tuple[np.ndarray, list[tuple[float, float]]]:
    out = np.zeros(n)
    spoken = []
    turns = list(voices.real_turns()) if setting.use_real_turns and real_turns else []
    order = rng.permutation(len(turns)).tolist()
    tracks = [np.zeros(n) for _ in setting.talkers]
    at = int(rng.uniform(0.3, 1.5) * rate)
    while at < n:
        who = int(rng.integers(len(setting.talkers)))
        real = turns and order and rng.random() < 0.25
        clip = turns[order.pop()] if real else setting.talkers[who].say(rng, str(rng.choice(voices.SENTENCES)))
        clip = voices._resample(clip, voices.SYNTH_RATE_HZ, rate)
        clip = clip * 10 ** ((setting.speech_peak_db[who] + rng.uniform(-3, 3)) / 20)
        clip = clip[: n - at]
        tracks[who][at : at + len(clip)] += clip
        spoken.append((at / rate, (at + len(clip)) / rate))
        pause_s = rng.uniform(0.25, 2.5) if rng.random() < 0.9 else rng.uniform(3, 8)
        if rng.random() < 0.08:
            pause_s = -rng.uniform(0.1, 0.6)  # an interruption: the next talker starts early
        at += max(int(0.05 * rate), len(clip) + int(pause_s * rate))
    for track, h in zip(tracks, responses):
        out += signal.oaconvolve(track, h)[:n]
    return out, spoken


def record(setting: Setting, seconds: float, hum_start_s: float | None, take_seed: int,
           speech: bool = True, real_turns: bool = True) -> Take:
    """One take of `setting`, `seconds` long; `take_seed` draws this take's own speech, background
    and events (the room responses come from the setting's seed, so they are the same every take).
    The real call's turns are used only where `real_turns`: a second take of a setting given them
    again would repeat a turn of the first, a genuine duplicate."""
    rate = setting.phone.rate_hz
    n = int(seconds * rate)
    room_rng = np.random.default_rng(setting.seed)
    responses = [acoustics.room_response(room_rng, rate, d, setting.room.rt60_s, setting.room.critical_distance_m)
                 for d in setting.distances_m]
    event_response = acoustics.room_response(room_rng, rate, 2.0, setting.room.rt60_s, setting.room.critical_distance_m)
    rng = np.random.default_rng(take_seed)
    r = setting.room
    x = acoustics.background(rng, n, rate, r.noise_db, r.drift_db, r.rumble_db, r.self_noise_db, r.colour)
    hum_levels_db = {k: acoustics.level_over_background_db(x, rate, k * 50.0, snr_db)
                     for k, snr_db in setting.hum_snr_db.items()}
    dry_events, listed = acoustics.events(rng, n, rate, r.events_per_min, (-30.0, -14.0))
    x += signal.oaconvolve(dry_events, event_response)[:n]
    spoken = []
    if speech:
        voiced, spoken = _speech(rng, setting, n, rate, responses, real_turns)
        x += voiced
    hum_info = None
    if setting.hum_file is not None and hum_start_s is not None:
        track = acoustics.grid_frequency(hum_paths()[setting.hum_file])
        x += acoustics.hum(rng, n, rate, track, hum_start_s, hum_levels_db)
        hum_info = {"file": hum_paths()[setting.hum_file].name, "start_s": round(hum_start_s, 1),
                    "levels_dbfs": {str(k): round(v, 1) for k, v in hum_levels_db.items()}}
    return Take(x, rate, spoken, listed, hum_info)


def through_phone(x: np.ndarray, phone: Phone) -> np.ndarray:
    """What the phone does to the sound before it encodes it, then a safety limit at 0.95. Every
    phone's microphone rolls off below a few tens of hertz (first order at `MICROPHONE_ROLL_OFF_HZ`);
    some phones also filter more steeply (`high_pass_hz`)."""
    x = signal.sosfilt(signal.butter(1, MICROPHONE_ROLL_OFF_HZ, "highpass", fs=phone.rate_hz, output="sos"), x)
    if phone.high_pass_hz:
        x = acoustics.high_pass(x, phone.rate_hz, phone.high_pass_hz)
    if phone.agc:
        x = acoustics.automatic_gain(x, phone.rate_hz, **phone.agc)
    if phone.suppression_db:
        x = acoustics.noise_suppression(x, phone.rate_hz, phone.suppression_db)
    peak = np.abs(x).max()
    return x * 0.95 / peak if peak > 0.95 else x


def hum_paths() -> list[Path]:
    from bench.integrity.generate import ENF_DIR

    return sorted(ENF_DIR.glob("*_ref.wav"))


def hum_start(rng: np.random.Generator, setting: Setting, seconds: float) -> float | None:
    if setting.hum_file is None:
        return None
    length = len(acoustics.grid_frequency(hum_paths()[setting.hum_file]))
    return float(rng.uniform(2, max(3, length - seconds - 2)))


def write_raw(path: Path, x: np.ndarray) -> Path:
    np.asarray(x, dtype="<f4").tofile(path)
    return path


def save(x: np.ndarray, rate: int, path: Path, codec_args: list[str]) -> Path:
    """Samples saved through ffmpeg with `codec_args` (mono, at `rate`)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = write_raw(Path(tmp) / "x.f32", np.clip(x, -1, 1))
        ffmpeg("-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", str(raw), *codec_args, str(path))
    return path


def phone_file(x: np.ndarray, phone: Phone, path: Path) -> Path:
    """Saved as the phone saves it."""
    if phone.codec == "aac":
        return save(x, phone.rate_hz, path, ["-c:a", "aac", "-b:a", f"{phone.bitrate_k}k"])
    if phone.codec == "opus":
        return save(x, phone.rate_hz, path, ["-c:a", "libopus", "-b:a", f"{phone.bitrate_k}k"])
    return save(x, phone.rate_hz, path, ["-c:a", "pcm_s16le"])


def decode(path: Path, rate: int) -> np.ndarray:
    """The file decoded as an editor would open it: float samples at `rate`, mono."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1",
                          "-ar", str(rate), "pipe:"], check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype="<f4").astype(np.float64)


def save_as(x: np.ndarray, rate: int, stem: Path, fmt: str, rng: np.random.Generator) -> tuple[Path, str]:
    """Saved by the editor in `fmt`; returns the path and a description of the encoding."""
    if fmt == "wav":
        return save(x, rate, stem.with_suffix(".wav"), ["-c:a", "pcm_s16le"]), "wav 16-bit"
    if fmt == "flac":
        return save(x, rate, stem.with_suffix(".flac"), ["-c:a", "flac", "-sample_fmt", "s16"]), "flac 16-bit"
    if fmt == "m4a":
        k = int(rng.choice([96, 128, 160]))
        return save(x, rate, stem.with_suffix(".m4a"), ["-c:a", "aac", "-b:a", f"{k}k"]), f"aac {k}k"
    k = int(rng.choice([64, 128, 192]))
    return save(x, rate, stem.with_suffix(".mp3"), ["-c:a", "libmp3lame", "-b:a", f"{k}k"]), f"mp3 {k}k"


def pauses(take: Take, min_s: float = 0.6) -> list[tuple[float, float]]:
    """Stretches with no speech (reverberation tails allowed for), at least `min_s` long."""
    tail_s = 0.15
    out, last = [], 0.0
    for start, end in sorted(take.speech_s):
        if start - last >= min_s:
            out.append((last + tail_s, start))
        last = max(last, end + tail_s)
    duration = len(take.samples) / take.rate_hz
    if duration - last >= min_s:
        out.append((last, duration))
    return out


def point_in_pause(rng: np.random.Generator, take: Take, lo_s: float, hi_s: float, in_pause: bool) -> float:
    """A cut point between `lo_s` and `hi_s`: inside a pause when `in_pause` (and one exists there),
    else anywhere."""
    if in_pause:
        inside = [(max(a, lo_s), min(b, hi_s)) for a, b in pauses(take) if min(b, hi_s) - max(a, lo_s) > 0.2]
        if inside:
            a, b = inside[int(rng.integers(len(inside)))]
            return float(rng.uniform(a + 0.1, b - 0.1))
    return float(rng.uniform(lo_s, hi_s))


def stretch(rng: np.random.Generator, take: Take, min_s: float, max_s: float, in_pause: bool,
            lo_s: float = 0.0, hi_s: float | None = None) -> tuple[float, float]:
    """A stretch of `min_s`..`max_s` seconds, from pause to pause when `in_pause` allows."""
    hi_s = hi_s if hi_s is not None else len(take.samples) / take.rate_hz
    for _ in range(50):
        start = point_in_pause(rng, take, lo_s, hi_s - max_s, in_pause)
        end = point_in_pause(rng, take, start + min_s, start + max_s, in_pause)
        if min_s <= end - start <= max_s:
            return start, end
    start = float(rng.uniform(lo_s, hi_s - max_s))
    return start, start + float(rng.uniform(min_s, max_s))


def _take_through_phone(setting: Setting, seconds: float, rng: np.random.Generator, speech: bool = True
                        ) -> tuple[Take, np.ndarray]:
    take = record(setting, seconds, hum_start(rng, setting, seconds), int(rng.integers(2**31)), speech)
    return take, through_phone(take.samples, setting.phone)


def _phone_then_decoded(x: np.ndarray, phone: Phone, path: Path) -> np.ndarray:
    phone_file(x, phone, path)
    y = decode(path, phone.rate_hz)
    return np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]


def _samples(t_s: float, rate: int) -> int:
    return int(round(t_s * rate))


def edit(kind: str, rng: np.random.Generator, setting: Setting, seconds: float, work: Path
         ) -> tuple[np.ndarray, list[float], dict]:
    """One edited recording of `kind` made from a new take of `setting`: the decoded result at the
    phone's rate, its edit points (seconds) and what was done. A join is made before the phone
    encodes (the recorder paused and resumed); every other edit on the decoded phone file."""
    rate = setting.phone.rate_hz
    in_pause = bool(rng.random() < 0.7)
    take = record(setting, seconds, hum_start(rng, setting, seconds), int(rng.integers(2**31)))
    duration = len(take.samples) / rate
    if kind == "join":
        later = record(setting, seconds, hum_start(rng, setting, seconds), int(rng.integers(2**31)), real_turns=False)
        at = point_in_pause(rng, take, 0.3 * duration, 0.7 * duration, in_pause)
        resume = point_in_pause(rng, later, 0.5, 0.3 * duration, in_pause)
        raw = np.concatenate([take.samples[: _samples(at, rate)], later.samples[_samples(resume, rate) :]])
        y = _phone_then_decoded(through_phone(raw, setting.phone), setting.phone, work / f"phone.{setting.phone.extension}")
        return y, [at], {"in_pause": in_pause, "resumed_from_s": round(resume, 3)}
    y = _phone_then_decoded(through_phone(take.samples, setting.phone), setting.phone,
                            work / f"phone.{setting.phone.extension}")
    donor_setting = setting
    if kind == "insertion-other-room":
        donor_setting = draw_setting(rng, with_hum=bool(rng.random() < 0.5), agc=setting.phone.agc is not None,
                                     hum_files=len(hum_paths()))
        donor_setting = replace(donor_setting, phone=setting.phone)
    donor_take, donor = None, None
    if kind in ("insertion-same-room", "insertion-other-room", "replacement", "mute-tone"):
        donor_take = record(donor_setting, seconds, hum_start(rng, donor_setting, seconds), int(rng.integers(2**31)),
                            speech=kind != "mute-tone", real_turns=False)
        donor = _phone_then_decoded(through_phone(donor_take.samples, setting.phone), setting.phone,
                                    work / f"donor.{setting.phone.extension}")
    lo, hi = 0.25 * duration, 0.65 * duration
    if kind == "deletion":
        a, b = stretch(rng, take, 0.5, 10.0, in_pause, lo, hi + 10)
        z = np.concatenate([y[: _samples(a, rate)], y[_samples(b, rate) :]])
        return z, [a], {"in_pause": in_pause, "removed_s": round(b - a, 3)}
    if kind in ("insertion-same-room", "insertion-other-room"):
        at = point_in_pause(rng, take, lo, hi, in_pause)
        s0, s1 = stretch(rng, donor_take, 3.0, 10.0, in_pause)
        piece = donor[_samples(s0, rate) : _samples(s1, rate)]
        z = np.concatenate([y[: _samples(at, rate)], piece, y[_samples(at, rate) :]])
        return z, [at, at + len(piece) / rate], {"in_pause": in_pause, "inserted_s": round(len(piece) / rate, 3)}
    if kind == "replacement":
        a, b = stretch(rng, take, 2.0, 8.0, in_pause, lo, hi + 8)
        s0, s1 = stretch(rng, donor_take, 2.0, 8.0, in_pause)
        piece = donor[_samples(s0, rate) : _samples(s1, rate)]
        z = np.concatenate([y[: _samples(a, rate)], piece, y[_samples(b, rate) :]])
        return z, [a, a + len(piece) / rate], {"in_pause": in_pause, "replaced_s": round(b - a, 3),
                                               "inserted_s": round(len(piece) / rate, 3)}
    if kind in ("mute-zero", "mute-tone"):
        at = float(rng.uniform(lo, hi))
        d = _samples(rng.uniform(1.0, 5.0), rate)
        z = y.copy()
        start = _samples(at, rate)
        if kind == "mute-zero":
            z[start : start + d] = 0.0
            return z, [at, at + d / rate], {"muted_s": round(d / rate, 3)}
        # From anywhere in the other day's tone, as an editor would take it: taken from the same
        # position, it would keep the phone's codec frame grid in step, which a real paste rarely does.
        source = int(rng.integers(0, len(donor) - d))
        z[start : start + d] = donor[source : source + d]
        return z, [at, at + d / rate], {"muted_s": round(d / rate, 3), "tone_from_s": round(source / rate, 3)}
    if kind == "duplicate":
        s0, s1 = stretch(rng, take, 1.0, 8.0, in_pause, 0.05 * duration, 0.5 * duration)
        at = point_in_pause(rng, take, s1 + 5.0, 0.95 * duration, in_pause)
        piece = y[_samples(s0, rate) : _samples(s1, rate)]
        overwrite = bool(rng.random() < 0.5)
        start = _samples(at, rate)
        if overwrite:
            z = y.copy()
            end = min(len(z), start + len(piece))
            z[start:end] = piece[: end - start]
        else:
            z = np.concatenate([y[:start], piece, y[start:]])
        return z, [at, at + len(piece) / rate], {"in_pause": in_pause, "copied_from_s": [round(s0, 3), round(s1, 3)],
                                                 "overwrite": overwrite}
    raise ValueError(kind)


def edited_job(job: dict) -> list[dict]:
    """Build one edited session in every save format; its rows for truth.json."""
    rng = np.random.default_rng(job["seed"])
    setting = draw_setting(rng, job["hum"], job["agc"], len(hum_paths()), allow_opus=False)
    seconds = float(rng.uniform(60, 100))
    outdir = Path(job["outdir"])
    with tempfile.TemporaryDirectory() as tmp:
        z, points, done = edit(job["kind"], rng, setting, seconds, Path(tmp))
    rows = []
    for fmt in SAVE_FORMATS:
        path, encoding = save_as(z, setting.phone.rate_hz, outdir / f"{job['name']}-{fmt}", fmt, rng)
        rows.append(_row(job, path, points, len(z) / setting.phone.rate_hz, setting, "edited", encoding, done))
    return rows


def unedited_job(job: dict) -> list[dict]:
    """Build one unedited session: the phone's own file, and copies converted to MP3, AAC (as a messaging
    app re-encodes what it sends) and WAV."""
    rng = np.random.default_rng(job["seed"])
    setting = draw_setting(rng, job["hum"], job["agc"], len(hum_paths()), allow_opus=True)
    seconds = float(rng.uniform(180, 300))
    outdir = Path(job["outdir"])
    take, x = _take_through_phone(setting, seconds, rng)
    original = phone_file(x, setting.phone, outdir / f"{job['name']}-kept.{setting.phone.extension}")
    duration = len(x) / setting.phone.rate_hz
    rows = [_row(job, original, [], duration, setting, "kept", setting.phone.description,
                 {"events": take.events, "hum": take.hum})]
    y = decode(original, setting.phone.rate_hz)
    for fmt, args, encoding in (("mp3", ["-c:a", "libmp3lame", "-b:a", "128k"], "mp3 128k"),
                                ("m4a", ["-c:a", "aac", "-b:a", "128k"], "aac 128k"),
                                ("wav", ["-c:a", "pcm_s16le"], "wav 16-bit")):
        path = save(y, setting.phone.rate_hz, outdir / f"{job['name']}-converted.{fmt}", args)
        rows.append(_row(job, path, [], len(y) / setting.phone.rate_hz, setting, "converted", encoding, {}))
    return rows


def _row(job: dict, path: Path, points: list[float], duration_s: float, setting: Setting, chain: str,
         encoding: str, done: dict) -> dict:
    phone = setting.phone
    return {
        "file": path.name, "session": job["name"], "kind": job["kind"], "points_s": [round(p, 3) for p in points],
        "duration_s": round(duration_s, 3), "hum": job["hum"], "codec": path.suffix[1:], "chain": chain,
        "encoding": encoding,
        "conditions": {"agc": phone.agc is not None, "hum": job["hum"],
                       "hum_snr_db": round(max(setting.hum_snr_db.values()), 1) if setting.hum_snr_db else None,
                       "suppression": phone.suppression_db is not None, "high_pass": phone.high_pass_hz is not None,
                       "original": f"{phone.description} {phone.rate_hz} Hz", "lossy_original": phone.codec != "pcm",
                       "rt60_s": round(setting.room.rt60_s, 2), "events_per_min": round(setting.room.events_per_min, 1),
                       "real_speech": setting.use_real_turns},
        "setting": setting.describe(), "edit": done,
    }


def jobs(outdir: Path, seed: int, per_kind: int, unedited: int) -> list[dict]:
    """Every session of a set: `per_kind` edited sessions per edit kind and hum condition and
    `unedited` unedited ones per hum condition, gain control on every other one."""
    rng = np.random.default_rng(seed)
    out = []
    for with_hum in (True, False):
        for kind in EDIT_KINDS:
            for i in range(per_kind):
                out.append({"kind": kind, "hum": with_hum, "agc": i % 2 == 1,
                            "name": f"{kind}-{'hum' if with_hum else 'nohum'}-{i:02d}"})
        for i in range(unedited):
            out.append({"kind": "unedited", "hum": with_hum, "agc": i % 2 == 1,
                        "name": f"unedited-{'hum' if with_hum else 'nohum'}-{i:02d}"})
    for job in out:
        job.update(seed=int(rng.integers(2**63)), outdir=str(outdir))
    return out


def build(job: dict) -> list[dict]:
    return unedited_job(job) if job["kind"] == "unedited" else edited_job(job)
