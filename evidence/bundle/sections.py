"""The bundle's sections, each a list of flowables built from the Report alone."""

from __future__ import annotations

import io
import json
from xml.sax.saxutils import escape

from reportlab.platypus import Image, KeepTogether, PageBreak, Spacer

from evidence import announcement
from evidence.analysis import is_located
from evidence.bundle.figures import enf_plot, grid_match_plot, spectrogram_png, timeline, waveform
from evidence.bundle.blocks import field_table, grid_table, mono, para
from evidence.bundle.layout import FRAME_WIDTH_PT, Heading, table_of_contents
from evidence.excerpts import CONTEXT_S
from evidence.exports import has_speakers, speakers_sentence, status_notice, transcript_lines
from evidence.report import Report
from evidence.timecode import hms, hms_ms
from evidence.transcribe import marks

CHROMAPRINT_SHOWN = 240

SCOPE_NOTE = (
    "This bundle is a technical integrity summary produced automatically by software. It is not an "
    "expert report. It states what the software's tests measured and what they cannot exclude."
)
ABSENCE_NOTE = (
    "The absence of findings does not prove that a recording is authentic, complete or unedited: "
    "an edit can leave no trace that these tests detect."
)


def _seconds(value: float | None) -> str:
    return f"{value:.3f} s ({hms(value)})" if value is not None else "unknown"


def cover(report: Report) -> list:
    prov = report.provenance
    rows = [
        ("Exhibit", prov.exhibit),
        ("Case reference", prov.case_ref),
        ("Recording", report.file.name),
        ("File SHA-256", mono(report.file.hashes_before.sha256)),
        ("Duration", _seconds(report.media.decoded_duration_s)),
        ("Prepared by", prov.prepared_by),
        ("Tool", f"{report.tool.name} {report.tool.version}"),
    ]
    return [
        Spacer(1, 40),
        para("Recording integrity bundle", "title"),
        para(escape(report.file.name), "subtitle"),
        Spacer(1, 24),
        field_table(rows),
        Spacer(1, 18),
        para(SCOPE_NOTE),
        para(ABSENCE_NOTE),
        PageBreak(),
        para("Index", "h1"),
        table_of_contents(),
        PageBreak(),
    ]


def identification(report: Report) -> list:
    f, fp = report.file, report.fingerprints
    unchanged = (
        "Yes: the file's SHA-256, size and modification time were the same before and after the examination."
        if f.unchanged else
        "<b>NO: the file changed while it was being examined. Its results must not be relied on.</b>"
    )
    chroma = fp.chromaprint
    rows = [
        ("File name", f.name),
        ("Path examined", f.path),
        ("Size", f"{f.size_bytes:,} bytes"),
        ("Last modified (UTC)", f.modified_utc),
        ("SHA-256 (before)", mono(f.hashes_before.sha256)),
        ("SHA-256 (after)", mono(f.hashes_after.sha256)),
        ("MD5", mono(f.hashes_before.md5)),
        ("Unchanged by examination", para(unchanged, "cell")),
        ("Audio content SHA-256", mono(fp.audio_content_sha256)),
        ("Audio content hashed as", fp.audio_content_format),
        ("Chromaprint", para(escape(chroma[:CHROMAPRINT_SHOWN] + ("…" if len(chroma) > CHROMAPRINT_SHOWN else "")),
                           "mono_wrap") if chroma else None),
        ("Chromaprint note", fp.chromaprint_note + (" (complete fingerprint in the attached report.json)"
                                                    if chroma and len(chroma) > CHROMAPRINT_SHOWN else "")),
    ]
    return [
        Heading("1. File identification", 0, "identification"),
        para("The hashes identify exactly which file was examined. The SHA-256 of the file's bytes changes if a "
           "single byte changes. The audio content hash is computed over the decoded audio, so it is the same "
           "for the same audio stored in a different container (for example WAV converted losslessly to FLAC). "
           "The Chromaprint is an acoustic fingerprint that survives re-encoding."),
        field_table(rows),
    ]


def technical(report: Report) -> list:
    m = report.media
    a = m.audio_stream
    rows = [
        ("Container", f"{m.format_long_name or m.format_name} ({m.format_name})"),
        ("Container duration", _seconds(m.container_duration_s)),
        ("Decoded duration", _seconds(m.decoded_duration_s)),
        ("Overall bit rate", f"{m.bit_rate:,} bit/s" if m.bit_rate else None),
        ("Audio stream analysed", f"stream {a.index}: {a.codec_long_name or a.codec_name}"
         + (f", profile {a.profile}" if a.profile else "")),
        ("Sample rate", f"{a.sample_rate_hz} Hz" if a.sample_rate_hz else None),
        ("Channels", f"{a.channels} ({a.channel_layout})" if a.channel_layout else a.channels),
        ("Sample format", a.sample_format + (f", {a.bits_per_sample} bit" if a.bits_per_sample else "")
         if a.sample_format else None),
        ("Stream bit rate", f"{a.bit_rate:,} bit/s" if a.bit_rate else None),
        ("Decoded with", f"ffmpeg {m.ffmpeg_version}"),
    ]
    story = [Heading("2. Technical metadata", 0, "technical"), field_table(rows)]
    if m.tags:
        story += [Heading("Container tags", 1, "technical-tags"),
                  field_table(sorted(m.tags.items()))]
    for s in m.streams:
        if s.tags:
            story += [Heading(f"Stream {s.index} tags ({s.codec_type})", 1, f"technical-stream-{s.index}"),
                      field_table(sorted(s.tags.items()))]
    others = [s for s in m.streams if s.index != m.audio_stream_index]
    if others:
        story += [Heading("Other streams (not analysed)", 1, "technical-other"),
                  field_table([(f"Stream {s.index}", f"{s.codec_type}: {s.codec_long_name or s.codec_name}")
                                for s in others])]
    if m.decode_messages:
        story += [Heading("Decoder messages", 1, "technical-decoder"),
                  para("ffmpeg reported the following while decoding; they can indicate damaged or unusual data."),
                  *[para(escape(line), "mono") for line in m.decode_messages]]
    return story


def integrity(report: Report) -> list:
    duration_s = report.media.decoded_duration_s or 0.0
    located = [f for f in report.findings if is_located(f)]
    story = [
        Heading("3. Integrity findings", 0, "integrity"),
        Heading("Conclusion", 1, "integrity-conclusion"),
        para(escape(report.analysis.conclusion)),
        para(ABSENCE_NOTE),
        para("Overview: the whole recording, with every finding that concerns a point or stretch of it marked "
           "(findings about the file as a whole are in the table only).", "small"),
        timeline(located, duration_s, FRAME_WIDTH_PT),
        Heading("Tests", 1, "integrity-tests"),
    ]
    if report.analysis.tests:
        rows = [["Test", "Ran", "What it looks for / why it did not run"]]
        rows += [[escape(t.name), "yes" if t.ran else "no", escape(t.description + (f" {t.note}" if t.note else ""))]
                 for t in report.analysis.tests]
        story.append(grid_table(rows, [110, 35, FRAME_WIDTH_PT - 145], header=True))
    else:
        story.append(para("No integrity tests ran."))
    story.append(Heading("Findings", 1, "integrity-findings"))
    if report.findings:
        rows = [["Where", "Finding", "Strength", "What was seen"]]
        for f in report.findings:
            rows.append([
                f"{hms_ms(f.start_s)}–<br/>{hms_ms(f.end_s)}",
                escape(f.kind),
                f"{escape(f.severity)}<br/>score {f.score:.2f}",
                escape(f.explanation),
            ])
        story.append(grid_table(rows, [92, 118, 62, FRAME_WIDTH_PT - 272], header=True))
    else:
        story.append(para("No findings."))
    if report.enf_track is not None:
        story += [Heading("Mains hum (ENF) over the recording", 1, "integrity-enf"),
                  para("The hum's frequency once a second; gaps are seconds where it could not be followed. Lines "
                     "mark the located findings.", "small"),
                  enf_plot(report.enf_track, located, FRAME_WIDTH_PT)]
    for f in report.findings:
        if f.kind == "enf-grid-match" and "figure" in f.details:
            d = f.details
            story += [Heading("Time of recording: the hum against the grid record", 1, "integrity-grid"),
                      para(f"Matched start {escape(d['matched_start_utc'])} (offset {d['offset_s']} s into the record, "
                           f"searched: {escape(d['searched'])}); correlation {d['correlation']:.3f} over {d['overlap_s']} s; "
                           f"{d['z_score']:.1f} standard deviations above the best correlations elsewhere; higher "
                           f"elsewhere in {d['higher_elsewhere']} of {d['stretches_elsewhere']} stretches of the record; "
                           f"estimated chance of a match this strong by chance: {d['chance_of_wrong_match']:.2g}; "
                           f"recorder clock error that fits best {d['clock_error'] * 100:+.3f}%.", "small"),
                      grid_match_plot(d["figure"], FRAME_WIDTH_PT)]
    if report.excerpts:
        story.append(Heading("The recording around each finding", 1, "integrity-excerpts"))
        for ex in report.excerpts:
            f = report.findings[ex.finding_index]
            story.append(KeepTogether([
                para(f"<b>{hms_ms(f.start_s)}</b>: {escape(f.kind)} ({escape(f.severity)}). Waveform, then "
                   "spectrogram (0 to "
                   f"{ex.max_hz / 1000:g} kHz, dark = loud), {2 * CONTEXT_S:g} s around the finding; the red line "
                   "marks it.", "small"),
                waveform(ex, f.start_s, FRAME_WIDTH_PT),
                Spacer(1, 3),
                Image(io.BytesIO(spectrogram_png(ex, f.start_s)), width=FRAME_WIDTH_PT, height=70),
                Spacer(1, 10),
            ]))
    return story


def transcript(report: Report) -> list:
    t = report.transcript
    story = [Heading("4. Transcript", 0, "transcript"), para(f"<b>{escape(status_notice(report))}</b>")]
    if t is None:
        return story + [para("No transcript was produced for this bundle.")]
    story.append(para(
        f"Engine {escape(t.engine)} ({escape(t.engine_version)}), model {escape(t.model.name)} "
        f"(SHA-256 {escape(t.model.sha256)}), language {escape(t.language)}. Times are from the start of "
        "the recording (hours:minutes:seconds).", "small"))
    body = transcript_lines(report)
    if not body:
        return story + [para("No speech was transcribed.")]
    story.append(para("[unclear: word?] marks a word the recogniser was unsure of; [inaudible hh:mm:ss] a passage it "
                    "could not transcribe reliably (its raw attempt is in the attached report.json); [pause N s] a "
                    "silence of N seconds.", "small"))
    story.append(para(escape(speakers_sentence(t)), "small"))
    if has_speakers(report):
        rows = [["Line", "Time", "Speaker", "Text"]]
        rows += [[str(n), hms(line.start_s), escape(line.speaker or ""), escape(line.text)]
                 for n, line in enumerate(body, 1)]
        widths = [36, 62, 90, FRAME_WIDTH_PT - 188]
    else:
        rows = [["Line", "Time", "Text"]]
        rows += [[str(n), hms(line.start_s), escape(line.text)] for n, line in enumerate(body, 1)]
        widths = [36, 62, FRAME_WIDTH_PT - 98]
    story.append(grid_table(rows, widths, header=True))
    story += lines_to_listen(body)
    story += recording_announced(report)
    story += corrections(report)
    story += [Spacer(1, 16), KeepTogether([
        Heading("Reviewer's certification", 1, "transcript-certification"),
        para("I have listened to the recording and checked this transcript against it. Corrections are marked."),
        para("Name: ______________________________  Role: ______________________________"),
        para("Signature: __________________________  Date: ______________________________"),
    ])]
    return story


def lines_to_listen(body: list) -> list:
    """The marked lines again, with their times, so that a reviewer can step through them."""
    listen = marks.to_listen(body)
    story = [Heading("Lines to listen to", 1, "transcript-listen")]
    if not listen:
        return story + [para("No line has an [unclear] or [inaudible] mark. Every line still needs checking "
                             "against the recording: unmarked words can be wrong too.", "small")]
    story.append(para(f"{len(listen)} of {len(body)} lines have a mark. {marks.MARK_RELIABILITY} Unmarked words "
                      "can be wrong too: the whole transcript needs checking against the recording.", "small"))
    rows = [["Line", "Time", "Why"]] + [[str(x.number), hms(x.line.start_s), escape(x.why)] for x in listen]
    return story + [grid_table(rows, [36, 62, FRAME_WIDTH_PT - 98], header=True)]


def recording_announced(report: Report) -> list:
    """Whether the recording was announced, quoting the lines that raise it; recomputed from the transcript
    shown above, so that a reviewed transcript is quoted as reviewed."""
    a = announcement.of_report(report)
    story = [Heading("Was the recording announced?", 1, "transcript-announcement"),
             para(f"<b>{escape(announcement.headline(a))}</b>"), para(escape(a.explanation), "small")]
    if a.mentions:
        rows = [["Line", "Time", "Speaker", "What", "Text"]]
        rows += [[str(m.line), hms(m.start_s), escape(m.speaker or ""), announcement.KIND_TITLES[m.kind],
                  escape(m.text)] for m in a.mentions]
        story.append(grid_table(rows, [36, 62, 80, 80, FRAME_WIDTH_PT - 258], header=True))
    return story


def corrections(report: Report) -> list:
    """What the reviewer changed: counts, then every changed line, automatic beside reviewed."""
    r = report.reviewed_transcript
    if r is None:
        return []
    s = r.summary
    story = [
        Heading("Corrections", 1, "transcript-corrections"),
        para(f"Corrected from <i>{escape(r.source_name)}</i> (SHA-256 {r.source_sha256}) by "
             f"{escape(r.reviewed_by or 'a reviewer whose name was not given')}: {s['lines_changed']} of "
             f"{s['lines']} lines changed, {s['speakers_changed']} speaker labels changed; words: "
             f"{s['words_replaced']} replaced, {s['words_inserted']} inserted, {s['words_deleted']} deleted "
             f"({s['words_automatic']} in the automatic transcript, {s['words_reviewed']} after review).", "small"),
    ]
    changed = [line for line in r.lines if line.changed]
    if changed:
        rows = [["Line", "Time", "Automatic", "Reviewed"]]
        rows += [[str(line.number), hms(line.start_s),
                  escape((f"{line.automatic_speaker}: " if line.automatic_speaker else "") + line.automatic_text),
                  escape((f"{line.speaker}: " if line.speaker else "") + (line.text or "(removed)"))]
                 for line in changed]
        half = (FRAME_WIDTH_PT - 98) / 2
        story.append(grid_table(rows, [36, 62, half, half], header=True))
    return story


def provenance(report: Report) -> list:
    p = report.provenance
    rows = [
        ("Case reference", p.case_ref),
        ("Exhibit", p.exhibit),
        ("Recorded by", p.recorded_by),
        ("Device and app", p.device),
        ("Claimed date of recording", p.claimed_date),
        ("Claimed place of recording", p.claimed_place),
        ("How it was transferred", p.transferred),
        ("Others present", p.others_present),
        ("Prepared by", p.prepared_by),
    ]
    story = [
        Heading("5. Provenance notes", 0, "provenance"),
        para("What the person submitting the recording declared. The software records these statements; it "
           "does not verify them."),
        field_table(rows),
    ]
    if p.notes:
        story += [Heading("Notes", 1, "provenance-notes")]
        story += [para(escape(par).replace("\n", "<br/>")) for par in p.notes.split("\n\n") if par.strip()]
    if report.custody_log:
        story += [Heading("Chain of custody", 1, "provenance-custody"),
                  para("The case folder's custody log at the time of this run (each entry holds the SHA-256 of the "
                     "one before it; `evidence case verify` checks the chain). It is also attached to this PDF as "
                     "custody.jsonl.", "small")]
        rows = [["#", "Time (UTC)", "Who", "What"]]
        for line in report.custody_log:
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                e = {"action": "(unreadable line)"}
            d = e.get("details") or {}
            what = e.get("action", "")
            extra = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in d.items()
                              if k in ("original_name", "received_from", "received_by", "method", "case_ref") and v)
            sha = e.get("file_sha256")
            rows.append([str(e.get("seq", "")), escape(str(e.get("utc", ""))), escape(str(e.get("actor", ""))),
                         escape(what + (f" ({extra})" if extra else "") + (f"; file SHA-256 {sha}" if sha else ""))])
        story.append(grid_table(rows, [22, 110, 70, FRAME_WIDTH_PT - 202], header=True))
    return story


def methods(report: Report) -> list:
    t = report.transcript
    params = report.parameters
    story = [
        Heading("6. Methods and limitations", 0, "methods"),
        para("<b>Handling of the original.</b> The recording was opened read-only. Its SHA-256 was computed "
           "before and after the examination and both values are shown in section 1."),
        para("<b>Decoding.</b> The first audio stream was decoded with ffmpeg. The integrity tests and the "
           f"transcription use a mono copy at {params.get('analysis_rate_hz', '?')} Hz; the audio content hash "
           "uses the stream at its own sample rate and channel count."),
        para("<b>Integrity tests.</b> Each test that ran is listed in section 3 with what it looks for. "
           + ABSENCE_NOTE),
    ]
    if t is not None:
        opts = ", ".join(f"{escape(str(k))}={escape(str(v))}" for k, v in sorted(t.options.items()))
        story += [
            para("<b>Transcription.</b> The transcript was produced automatically by the Whisper speech "
               "recogniser. It is a draft that has not been verified by a person. Automatic transcripts can "
               "mishear words, miss quiet or overlapping speech, give words to the wrong speaker, and on rare "
               "occasions produce words that were not spoken. It must be checked against the recording "
               "before it is relied on."),
            para("<b>Marks.</b> A word is marked [unclear] when the recogniser's own probability for it is "
                 f"below {escape(str(params.get('transcript_marks', marks.PARAMETERS)['unclear_below_probability']))}. "
                 f"{marks.MARK_RELIABILITY} Marking whole phrases was measured too and put far more correct "
                 "words under a mark (see docs/transcript.md)."),
            para(f"Decoding options: {opts}.", "small"),
        ]
    story += [
        para("<b>Machine-readable report.</b> The complete JSON report from which this PDF was rendered is "
           "attached to this PDF as the file <i>report.json</i>. <i>evidence verify RECORDING bundle.pdf</i> "
           "checks a file against it."),
        para(f"Report schema version {escape(report.schema_version)}; {escape(report.tool.name)} "
           f"{escape(report.tool.version)}; ffmpeg {escape(report.tool.ffmpeg_version)}; "
           f"Python {escape(report.tool.python_version)} on {escape(report.tool.platform)}.", "small"),
    ]
    return story


def run_record(report: Report) -> list:
    run = report.run
    rows = [["Stage", "Wall time (s)"]] + [[escape(stage), f"{seconds:.3f}"] for stage, seconds in run.timings_s.items()]
    return [
        Heading("7. Run record", 0, "run"),
        para("The only part of this bundle that differs from one run to the next: when the report was made and "
           "how long each stage took. Everything before this section, and every field of the attached "
           "report.json outside its <i>run</i> block, is the same for the same recording, declarations, "
           "options and tool version."),
        field_table([("Report made (UTC)", run.generated_utc)]),
        Spacer(1, 8),
        grid_table(rows, [200, 100], header=True),
    ]


SECTIONS = [cover, identification, technical, integrity, transcript, provenance, methods, run_record]
