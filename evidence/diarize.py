"""Who spoke when: speaker labels for the transcript's words, offline.

The speaker encoder is Resemblyzer's (a 3-layer LSTM over 40 mel bands giving 256-d voice
embeddings; its checkpoint `pretrained.pt` ships inside the `resemblyzer` wheel). Only the checkpoint
is used: the package's own code imports webrtcvad, which needs setuptools' removed pkg_resources, so
the same small network is defined here and the weights loaded into it. It needs torch and librosa,
installed by the `diarize` extra (scripts/install.sh installs it).

Method: the transcript's words are grouped into chunks (split at pauses of PAUSE_S or after CHUNK_S);
each chunk's voice is the mean embedding of WINDOW_S windows every HOP_S across it. The recording's
mean embedding is subtracted from every chunk's (what all chunks share, the phone and the line, would
otherwise dominate: on the real call same-speaker chunks have cosine similarity 0.79 and
different-speaker ones 0.73 before, 0.10 and -0.20 after). The chunks are then clustered by
average-linkage agglomeration on cosine distance, cut at DISTANCE_THRESHOLD, or into exactly N
clusters with --speakers N (beyond MAX_CLUSTERED chunks, an evenly spaced sample is clustered and every
chunk joins the nearest cluster). Speakers are numbered in order of first speech. Voice samples
(--voice) are embedded the same way and matched one-to-one to the clusters (match_voices).

The automatic number of speakers is not reliable (docs/transcript.md): give --speakers N when the number
of people who spoke is known.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evidence.errors import EvidenceError, InputError
from evidence.media import Audio
from evidence.progress import ProgressCallback, no_progress
from evidence.report import Diarization, SpeakerTurn, Transcript, VoiceMatch
from evidence.timecode import hms, hms_ms, seconds

METHOD = "resemblyzer speaker encoder (pretrained.pt) + agglomerative clustering of word chunks"
RATE_HZ = 16_000
MEL_BANDS = 40
MEL_WINDOW_S = 0.025
MEL_HOP_S = 0.010
WINDOW_S = 1.6
"""Length of audio behind one embedding (Resemblyzer's partial utterance)."""
HOP_S = 0.4
PAUSE_S = 0.3
"""A gap between words at least this long starts a new chunk."""
CHUNK_S = 1.5
"""Chunks longer than this are split, so that a turn change without a pause costs at most this."""
DISTANCE_THRESHOLD = 1.15
"""Cosine distance (of the centred embeddings) at which clusters stop merging when the number of
speakers is automatic. Set on the real call and six synthetic recordings (docs/transcript.md); there
was no separate data to test it on."""
MAX_SPEAKERS = 8
TARGET_DBFS = -30.0
BATCH = 64
MEL_BLOCK_FRAMES = 30_000

VOICE_MIN_SIMILARITY = 0.3
"""A voice sample names the speaker it is matched to only when their centred voices are at least this
similar. Set on the real call (docs/transcript.md), with no separate data to test it on: its six
turns of 1.6 s or more, each given as a sample, gave 0.35 to 0.72 with their own speaker and -0.40 to
-0.69 with the other; two flite voices from other files gave at most 0.06 and 0.14."""
MIN_VOICE_S = WINDOW_S

MAX_CLUSTERED = 3000
"""Chunks clustered directly at most. Agglomeration holds a distance for every pair of chunks (36 MB
for 3,000; 1.6 GB for the 20,000 of ten hours of talk), so beyond this an evenly spaced sample is
clustered and every chunk joins the cluster whose mean voice is nearest."""


PARAMETERS = {
    "window_s": WINDOW_S, "hop_s": HOP_S, "pause_s": PAUSE_S, "chunk_s": CHUNK_S,
    "distance_threshold": DISTANCE_THRESHOLD, "linkage": "average", "metric": "cosine", "centred": True,
    "mel_bands": MEL_BANDS, "mel_window_s": MEL_WINDOW_S, "mel_hop_s": MEL_HOP_S,
    "target_dbfs": TARGET_DBFS, "max_speakers": MAX_SPEAKERS, "max_clustered": MAX_CLUSTERED,
    "voice_min_similarity": VOICE_MIN_SIMILARITY,
}
MISSING_EXTRA = ("speaker labels need the diarize extra (torch, librosa and resemblyzer's checkpoint): "
                 "run scripts/install.sh, or pip install 'recording-evidence[diarize]'")


class DiarizeUnavailable(EvidenceError):
    """The optional diarisation dependencies are not installed."""


def checkpoint_path() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise DiarizeUnavailable(MISSING_EXTRA)
    path = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    if not path.is_file():
        raise DiarizeUnavailable(f"{path}: the speaker encoder checkpoint is missing; {MISSING_EXTRA}")
    return path


def available() -> bool:
    try:
        checkpoint_path()
    except DiarizeUnavailable:
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "librosa"))


@functools.cache
def _encoder(path: Path):
    import torch
    from torch import nn

    class VoiceEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(MEL_BANDS, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, 256)
            self.relu = nn.ReLU()

        def forward(self, mels):
            _, (hidden, _) = self.lstm(mels)
            raw = self.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True)

    model = VoiceEncoder()
    state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity_")})
    return model.eval()


def prepare() -> None:
    """Import torch and librosa and load the encoder now (seconds of start-up), so that a caller can do
    it while other work runs; does nothing when the diarize extra is missing."""
    if available():
        import librosa.feature  # noqa: F401  (its import is most of that start-up)

        _encoder(checkpoint_path())


def _mel(samples: np.ndarray, gain: float, first: int, stop: int) -> np.ndarray:
    """(stop - first, 40) mel power of `samples * gain` for frames first..stop-1, as Resemblyzer
    computed it for training (librosa, centred frames with zero padding), MEL_BLOCK_FRAMES at a time.
    Only the frames asked for are read and transformed: a whole recording's would grow with its length
    (576 MB for ten hours)."""
    import librosa

    n_fft, hop = int(RATE_HZ * MEL_WINDOW_S), int(RATE_HZ * MEL_HOP_S)
    out = np.empty((stop - first, MEL_BANDS), dtype=np.float32)
    for f0 in range(first, stop, MEL_BLOCK_FRAMES):
        f1 = min(stop, f0 + MEL_BLOCK_FRAMES)
        lo, hi = f0 * hop - n_fft // 2, (f1 - 1) * hop + n_fft - n_fft // 2
        block = samples[max(lo, 0) : max(0, min(hi, len(samples)))].astype(np.float32) * gain
        block = np.pad(block, (max(0, -lo), hi - lo - max(0, -lo) - len(block)))
        mel = librosa.feature.melspectrogram(y=block, sr=RATE_HZ, n_fft=n_fft, hop_length=hop,
                                             n_mels=MEL_BANDS, center=False)
        out[f0 - first : f1 - first] = mel.T
    return out


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


def _window_starts(c: Chunk, frames: int, mel_frames: int) -> np.ndarray:
    """First mel frame of each WINDOW_S window every HOP_S across the chunk, kept inside the recording."""
    centre_s = np.arange(c.start_s, max(c.end_s, c.start_s + 1e-3), HOP_S) + HOP_S / 2
    centre_s = np.clip(centre_s, c.start_s, c.end_s)
    first = np.round(centre_s / MEL_HOP_S).astype(int) - frames // 2
    return np.minimum(np.maximum(first, 0), max(mel_frames - frames, 0))


def _gain(audio: Audio) -> float:
    """The factor that brings the recording's level to TARGET_DBFS (one read of the whole recording)."""
    return 10 ** ((TARGET_DBFS - 20 * np.log10(_rms(audio.samples) or 1e-9)) / 20)


def _embed_chunks(audio: Audio, spans: list[Chunk], progress: ProgressCallback, gain: float | None = None) -> np.ndarray:
    """Each chunk's voice: the normalised mean embedding of its windows, the audio scaled by `gain`
    (default: _gain(audio)). The windows' mel frames are computed chunk by chunk and embedded BATCH at
    a time, so memory stays flat with length."""
    import torch

    gain = _gain(audio) if gain is None else gain
    frames = int(round(WINDOW_S / MEL_HOP_S))
    mel_frames = 1 + len(audio.samples) // int(RATE_HZ * MEL_HOP_S)
    starts = [_window_starts(c, frames, mel_frames) for c in spans]
    total = sum(len(s) for s in starts)
    model = _encoder(checkpoint_path())
    sums = np.zeros((len(spans), 256), dtype=np.float64)
    counts = np.array([len(s) for s in starts])

    def windows():
        for n, first in enumerate(starts):
            lo, hi = int(first.min()), min(int(first.max()) + frames, mel_frames)
            mel = _mel(audio.samples, gain, lo, hi)
            for f in first.tolist():
                piece = mel[f - lo : f - lo + frames]
                yield n, piece if len(piece) == frames else np.pad(piece, ((0, frames - len(piece)), (0, 0)))

    done, batch = 0, []
    with torch.inference_mode():
        for item in itertools.chain(windows(), [None]):
            if item is not None:
                batch.append(item)
            if batch and (len(batch) == BATCH or item is None):
                embeds = model(torch.from_numpy(np.stack([piece for _, piece in batch]))).numpy()
                np.add.at(sums, [n for n, _ in batch], embeds)
                done += len(batch)
                batch = []
                progress("speakers", done, total)
    means = (sums / counts[:, None]).astype(np.float32)
    return means / np.linalg.norm(means, axis=1, keepdims=True)


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


def _voice(audio: Audio, sample: VoiceSample, gain: float) -> np.ndarray:
    """The sample's voice embedding, made as a chunk's is (windows across it, mean, normalised): a
    stretch of the recording at the recording's `gain`, another file at its own level."""
    from evidence import media

    if sample.path is not None:
        other, _ = media.decode_for_analysis(sample.path, media.probe(sample.path))
        _too_short(sample, other.duration_s)
        return _embed_chunks(other, [Chunk(0.0, other.duration_s)], no_progress)[0]
    check_stretch(sample, audio.duration_s)
    return _embed_chunks(audio, [Chunk(sample.start_s, sample.end_s)], no_progress, gain)[0]


def match_voices(audio: Audio, samples: list[VoiceSample], embeddings: np.ndarray, labels: np.ndarray,
                 label_names: dict[int, str], gain: float) -> list[VoiceMatch]:
    """Each sample matched one-to-one to a speaker by the similarity of its voice to the speaker's mean
    voice, both centred on the recording's mean voice (as the clustering is); a match below
    VOICE_MIN_SIMILARITY names no one."""
    from scipy.optimize import linear_sum_assignment

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)

    mean = embeddings.mean(axis=0)
    keys = sorted(label_names, key=label_names.get)
    speakers = unit(np.stack([unit(embeddings[labels == k] - mean).mean(axis=0) for k in keys]))
    voices = unit(np.stack([_voice(audio, v, gain) for v in samples]) - mean)
    similarity = voices @ speakers.T
    matched = dict(zip(*linear_sum_assignment(-similarity)))
    out = []
    for i, sample in enumerate(samples):
        closest = int(np.argmax(similarity[i]))
        j = matched.get(i, closest)
        found = i in matched and similarity[i, j] >= VOICE_MIN_SIMILARITY
        out.append(VoiceMatch(name=sample.name, source=sample.source,
                              speaker=label_names[keys[j]] if found else None,
                              similarity=round(float(similarity[i, j]), 3), closest=label_names[keys[j]]))
    return out


def cluster(embeddings: np.ndarray, speakers: int | None) -> np.ndarray:
    """A cluster number per embedding: N clusters if `speakers` is given, else cut at the threshold."""
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
        labels = fcluster(tree, t=DISTANCE_THRESHOLD, criterion="distance") - 1
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
            voices: list[VoiceSample] | None = None) -> Diarization:
    """Speaker turns for the transcript's words; `speakers` fixes their number, and `speakers_from`
    says where that number came from ("given", "others-present"), for the report. Each of `voices` is
    matched to a speaker (Diarization.voices)."""
    if speakers is not None and speakers < 1:
        raise InputError("--speakers must be 1 or more")
    path = checkpoint_path()
    spans = chunks(transcript)
    gain = _gain(audio) if spans and (speakers != 1 or voices) else None
    embeddings = _embed_chunks(audio, spans, progress, gain) if gain is not None else None
    if not spans:
        labels = np.zeros(0, dtype=int)
    elif speakers == 1:
        labels = np.zeros(len(spans), dtype=int)
    else:
        labels = cluster(embeddings, speakers)
    order = {label: n for n, label in enumerate(dict.fromkeys(labels.tolist()))}
    matches = []
    if voices and embeddings is not None:
        matches = match_voices(audio, voices, embeddings, labels, {k: f"Speaker {n + 1}" for k, n in order.items()},
                               gain)
    elif voices:
        matches = [VoiceMatch(v.name, v.source, None, 0.0) for v in voices]
    return Diarization(
        method=METHOD,
        model_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        parameters={**PARAMETERS, "speakers_requested": speakers,
                    **({"speakers_from": speakers_from} if speakers is not None and speakers_from else {})},
        speakers=[f"Speaker {n + 1}" for n in range(len(order))],
        turns=turns(spans, labels),
        voices=matches,
    )


def label_speakers(audio: Audio, transcript: Transcript, enabled: bool = True, speakers: int | None = None,
                   names: dict[str, str] | None = None, progress: ProgressCallback = no_progress,
                   speakers_from: str | None = None, voices: list[VoiceSample] | None = None) -> Transcript:
    """The transcript with speaker turns and names, or with a note saying why it has none. Asking for
    a number of speakers, for names or for voices without the diarize extra is an error; the default
    (automatic) only notes its absence, so that a transcript is still produced. A name given with
    --speaker-names wins over a voice sample's for the same speaker."""
    names = names or {}
    if not enabled:
        if names or voices:
            flag = "--speaker-names" if names else "--voice"
            raise InputError(f"{flag} needs speaker labelling, which --speakers off turned off")
        return dataclasses.replace(transcript, speakers_note="speaker labelling was turned off (--speakers off)")
    if not available():
        if speakers or names or voices:
            raise DiarizeUnavailable(MISSING_EXTRA)
        return dataclasses.replace(transcript, speakers_note=MISSING_EXTRA)
    result = diarize(audio, transcript, speakers, progress, speakers_from, voices)
    unknown = sorted(set(names) - set(result.speakers))
    if unknown:
        raise InputError(f"--speaker-names: {', '.join(unknown)} not found; this transcript has "
                         f"{', '.join(result.speakers) or 'no speakers'}")
    found = {v.speaker: v.name for v in result.voices if v.speaker}
    return dataclasses.replace(transcript, diarization=result, speaker_names={**found, **names})
