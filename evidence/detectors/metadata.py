"""Metadata and container audit: what the file's own headers say about how it was made.

Looks for the names of conversion or editing software in the tags, a creation time that disagrees
with the claimed date or the file's modification time, declared durations and structures that do
not match the data, extra streams, and, given an exemplar recorded on the same device and app,
every difference in codec parameters, tag set and container layout.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from evidence.detectors import Context, whole_file_finding
from evidence.media import Audio, MediaInfo
from evidence.report import Finding
from evidence.timecode import agrees_with_claim

NAME = "metadata"
KIND_PREFIXES = ("metadata-", "exemplar-")
"""Every finding of this test starts so; they concern the whole file, not a point in the recording."""
DESCRIPTION = ("Checks encoder and handler tags for conversion or editing software, creation time against the "
               "claimed date and the file's modification time, declared against decoded duration, the container "
               "structure, extra streams, and (with --exemplar) differences from an exemplar recording.")
PARAMETERS = {
    "duration_tolerance_s": 0.5,
    "duration_tolerance_fraction": 0.02,
    "claimed_time_tolerance_naive_h": 2.0,
    "claimed_time_tolerance_zoned_h": 0.25,
    "bit_rate_tolerance_fraction": 0.25,
}

# (pattern, software as a reader would name it). Matched against every tag value, case-insensitively.
SOFTWARE = [
    (r"\blav[fc]\d|\bffmpeg\b|^soundhandler$", "FFmpeg (libavformat/libavcodec), or a program built on it"),
    (r"audacity", "Audacity"),
    (r"adobe|audition|premiere", "Adobe audio or video software"),
    (r"garageband", "GarageBand"),
    (r"logic pro", "Logic Pro"),
    (r"sound ?forge", "Sound Forge"),
    (r"wavepad", "WavePad"),
    (r"reaper", "REAPER"),
    (r"ocenaudio", "ocenaudio"),
    (r"\bsox\b", "SoX"),
    (r"\blame\d|\blame\b", "the LAME MP3 encoder"),
]

NO_TIME = ("1904-01-01", "1970-01-01")


def _tags(media: MediaInfo) -> list[tuple[str, str, str]]:
    """(where, key, value) for the container's and every stream's tags."""
    found = [("container", k, v) for k, v in media.tags.items()]
    for s in media.streams:
        found += [(f"stream {s.index}", k, v) for k, v in s.tags.items()]
    return found


def software(media: MediaInfo, end_s: float) -> list[Finding]:
    hits = []
    for where, key, value in _tags(media):
        for pattern, name in SOFTWARE:
            if re.search(pattern, value.strip(), re.IGNORECASE):
                hits.append({"where": where, "tag": key, "value": value, "software": name})
                break
    if not hits:
        return []
    names = sorted({h["software"] for h in hits})
    tags = "; ".join(f"{h['where']} tag '{h['tag']}' = '{h['value']}'" for h in hits)
    return [whole_file_finding(
        "metadata-software", "notice", 0.5, end_s, {"tags": hits},
        f"The file's metadata names {', '.join(names)} ({tags}). Such software writes a file when a recording "
        "is converted, re-saved or edited; phone recorder apps do not normally write these tags. This shows "
        "that the file as it is now was written by that software, not what, if anything, was changed.",
    )]


def _creation_time(media: MediaInfo) -> tuple[str, datetime] | None:
    for where, key, value in _tags(media):
        if key.lower() == "creation_time" and not value.startswith(NO_TIME):
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return where, when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def creation_time(media: MediaInfo, ctx: Context, end_s: float) -> list[Finding]:
    found = _creation_time(media)
    if found is None:
        return [whole_file_finding("metadata-creation-time", "info", 0.0, end_s, {},
                         "The file records no creation time, so it cannot be compared with the claimed date.")]
    where, created = found
    findings = []
    if ctx.claimed_date:
        agrees, tolerance = agrees_with_claim(created, ctx.claimed_date, PARAMETERS["claimed_time_tolerance_naive_h"],
                                              PARAMETERS["claimed_time_tolerance_zoned_h"], slack_s=end_s)
        if not agrees:
            findings.append(whole_file_finding(
                "metadata-creation-time", "notice", 0.5, end_s,
                {"creation_time": created.isoformat(), "tag_in": where, "claimed": ctx.claimed_date,
                 "tolerance": tolerance},
                f"The file's creation time ({created.isoformat()}, {where}) does not agree with the claimed date "
                f"({ctx.claimed_date}; tolerance: {tolerance}). Device clocks can be wrong and some apps write the "
                "time a file was exported rather than recorded, so this needs an explanation, not a conclusion.",
            ))
    if ctx.modified_utc:
        modified = datetime.fromisoformat(ctx.modified_utc)
        if modified < created - timedelta(minutes=1):
            findings.append(whole_file_finding(
                "metadata-creation-time", "notice", 0.5, end_s,
                {"creation_time": created.isoformat(), "file_modified_utc": ctx.modified_utc},
                f"The file was last modified ({ctx.modified_utc}) before the creation time written inside it "
                f"({created.isoformat()}). One of the two clocks was wrong or the file's times were changed.",
            ))
    return findings


def durations(media: MediaInfo, end_s: float) -> list[Finding]:
    declared = media.audio_stream.duration_s or media.container_duration_s
    decoded = media.decoded_duration_s
    if declared is None or decoded is None:
        return []
    tolerance_s = max(PARAMETERS["duration_tolerance_s"], PARAMETERS["duration_tolerance_fraction"] * declared)
    if abs(declared - decoded) <= tolerance_s:
        return []
    return [whole_file_finding(
        "metadata-duration", "notice", 0.5, end_s,
        {"declared_s": declared, "decoded_s": decoded, "tolerance_s": round(tolerance_s, 3)},
        f"The file's headers declare {declared:.2f} s of audio but {decoded:.2f} s was decoded. A header "
        "left over from a longer or shorter version of the file gives this; so can some recorders' bugs.",
    )]


def decoding(media: MediaInfo, end_s: float) -> list[Finding]:
    """What the decoder reported while decoding: damaged frames lose or replace audio at places the
    decoder does not name."""
    if not media.decode_messages:
        return []
    shown = "; ".join(media.decode_messages[:3])
    return [whole_file_finding(
        "metadata-decoding", "notice", 0.5, end_s, {"messages": media.decode_messages},
        f"Decoding the file gave {len(media.decode_messages)} error message(s) (first: {shown}). Where data is "
        "damaged the decoder drops or replaces that audio, so some of the recording may be missing or altered "
        "there, at places it does not say. A failing memory card, an interrupted copy or a program writing a "
        "broken file can cause this; it is not in itself a sign of editing.",
    )]


def structure(media: MediaInfo, end_s: float) -> list[Finding]:
    if not media.layout:
        return []
    findings = []
    last = max(media.layout, key=lambda b: b.offset + b.size)
    declared_end = last.offset + last.size
    layout = [f"{b.id}@{b.offset}+{b.size}" for b in media.layout]
    if declared_end > media.size_bytes:
        missing = declared_end - media.size_bytes
        findings.append(whole_file_finding(
            "metadata-structure", "concern", 1.0, end_s,
            {"layout": layout, "file_size": media.size_bytes, "declared_end": declared_end, "missing_bytes": missing},
            f"The '{last.id}' section declares {missing:,} more bytes than the file holds: the file is truncated, "
            "so the end of the recording is missing.",
        ))
    elif declared_end < media.size_bytes:
        extra = media.size_bytes - declared_end
        findings.append(whole_file_finding(
            "metadata-structure", "notice", 0.5, end_s,
            {"layout": layout, "file_size": media.size_bytes, "declared_end": declared_end, "extra_bytes": extra},
            f"The file has {extra:,} bytes after the end of its declared structure. Players ignore them; they may "
            "be padding, or data appended by other software.",
        ))
    return findings


def streams(media: MediaInfo, end_s: float) -> list[Finding]:
    audio = [s for s in media.streams if s.codec_type == "audio"]
    others = [s for s in media.streams if s.codec_type not in ("audio", "video")]
    if len(audio) < 2 and not others:
        return []
    listed = ", ".join(f"stream {s.index}: {s.codec_type} {s.codec_name}" for s in media.streams)
    return [whole_file_finding(
        "metadata-streams", "info", 0.0, end_s, {"streams": listed},
        f"The file holds {len(media.streams)} streams ({listed}); only stream {media.audio_stream_index} was "
        "analysed. Other audio streams could hold different material.",
    )]


def _profile(media: MediaInfo) -> dict[str, object]:
    a = media.audio_stream
    return {
        "container": media.format_name,
        "codec": a.codec_name,
        "codec profile": a.profile,
        "sample rate (Hz)": a.sample_rate_hz,
        "channels": a.channels,
        "sample format": a.sample_format,
        "container tags": sorted(media.tags),
        "audio stream tags": sorted(a.tags),
        "stream types": [s.codec_type for s in media.streams],
        "layout": [b.id for b in media.layout],
    }


def exemplar(media: MediaInfo, reference: MediaInfo, end_s: float) -> list[Finding]:
    ours, theirs = _profile(media), _profile(reference)
    differences = {k: {"recording": ours[k], "exemplar": theirs[k]} for k in ours if ours[k] != theirs[k]}
    a, b = media.audio_stream.bit_rate, reference.audio_stream.bit_rate
    if a and b and abs(a - b) > PARAMETERS["bit_rate_tolerance_fraction"] * b:
        differences["bit rate (bit/s)"] = {"recording": a, "exemplar": b}
    if not differences:
        return []
    listed = "; ".join(f"{k}: {v['recording']} (exemplar: {v['exemplar']})" for k, v in differences.items())
    return [whole_file_finding(
        "exemplar-difference", "notice", min(1.0, 0.2 * len(differences)), end_s, {"differences": differences},
        f"The recording differs from the exemplar made on the claimed device and app in: {listed}. A file "
        "straight from the same app and settings would normally match; differences suggest another app, other "
        "settings, or later conversion.",
    )]


def note(ctx: Context) -> str:
    parts = []
    if not ctx.claimed_date:
        parts.append("no claimed date was given, so the creation time was not compared with one")
    if ctx.exemplar is None:
        parts.append("no exemplar was given (--exemplar), so no comparison with the claimed device was made")
    return ("; ".join(parts).capitalize() + ".") if parts else ""


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    media = ctx.media
    end_s = audio.duration_s
    findings = software(media, end_s) + creation_time(media, ctx, end_s) + durations(media, end_s)
    findings += decoding(media, end_s) + structure(media, end_s) + streams(media, end_s)
    if ctx.exemplar is not None:
        findings += exemplar(media, ctx.exemplar, end_s)
    return findings
