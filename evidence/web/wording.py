"""Plain words for the page: what a parent reads in place of the report's technical names (test and
finding names, severities, container and codec names). The report keeps the technical names; the page
shows both, the plain words first."""

from __future__ import annotations

from evidence.analysis import indications, is_file_level, is_located
from evidence.report import Finding
from evidence.timecode import hms

TEST_TITLES = {
    "metadata": "File information and tags",
    "digital-silence": "Stretches of exact silence",
    "dropout": "Sound suddenly missing",
    "background": "Sudden changes in the background sound",
    "bandwidth": "High sounds suddenly missing",
    "dc-offset": "Jumps in the signal's baseline",
    "enf": "Mains hum",
    "enf-grid": "Mains hum against the electricity grid's record",
    "codec-grid": "The phone encoder's pattern",
    "duplicates": "Passages that occur twice",
    "splice": "Clicks where audio was joined",
    "speech-context": "Where people were speaking",
}
"""Test name (the report's) -> what the page calls it."""

FINDING_TITLES = {
    "metadata-software": "Editing or conversion software named in the file",
    "metadata-creation-time": "The file's recorded time",
    "metadata-duration": "The file's stated length",
    "metadata-structure": "The file's inner layout",
    "metadata-streams": "Extra streams in the file",
    "metadata-decoding": "Parts of the file could not be read cleanly",
    "digital-silence": "Exact silence",
    "dropout": "Sound missing",
    "dropout-below-floor": "Quieter than the room itself",
    "dropout-constant": "A constant signal in place of sound",
    "background-change": "The background sound changes suddenly",
    "bandwidth-change": "High sounds missing",
    "dc-offset-jump": "A jump in the signal's baseline",
    "enf-phase-jump": "A jump in the mains hum",
    "enf-frequency-jump": "A step in the mains hum's pitch",
    "enf-presence-change": "The mains hum appears or disappears",
    "enf-insufficient": "Not enough mains hum to test",
    "enf-grid-match": "The mains hum matches the grid record",
    "enf-grid-no-match": "The mains hum does not match the grid record",
    "enf-grid-claim-mismatch": "The mains hum matches another time than the one claimed",
    "enf-grid-insufficient": "Not enough mains hum to compare with the grid",
    "codec-grid-shift": "The phone encoder's pattern shifts",
    "codec-grid-foreign": "A stretch encoded differently",
    "codec-grid-absent": "No phone encoder pattern",
    "codec-grid-insufficient": "No phone encoder pattern to test",
    "duplicate-passage": "A passage that occurs twice",
}
"""Finding kind -> a plain heading; kinds not listed (and the exemplar comparison's) by their prefix."""

FINDING_PREFIXES = {"exemplar-": "Differs from the recording made on the same phone",
                    "metadata-": "About the file's information", "codec-grid-": "The phone encoder's pattern",
                    "enf-grid-": "Mains hum against the grid record", "enf-": "Mains hum"}

SEVERITY_WORDS = {
    "concern": "Strong trace: examine here",
    "notice": "Worth listening to",
    "info": "For information",
}
SEVERITY_HELP = ("“Strong trace” is what the tests find most rarely in unedited recordings; “worth "
                 "listening to” is weaker and often has an innocent cause; “for information” is not a sign of "
                 "editing. None of them proves editing, and finding nothing does not prove the recording is "
                 "authentic.")

CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": "MP4 / M4A file (as most phones save recordings)",
    "wav": "WAV file (uncompressed)",
    "mp3": "MP3 file",
    "flac": "FLAC file (compressed without loss)",
    "ogg": "Ogg file",
    "matroska,webm": "WebM / Matroska file",
    "amr": "AMR file (an older phone format)",
    "aac": "AAC file",
    "aiff": "AIFF file (uncompressed)",
}
CODECS = {
    "aac": "AAC (compressed, as phones record)",
    "mp3": "MP3 (compressed)",
    "opus": "Opus (compressed, as messaging apps send voice notes)",
    "vorbis": "Vorbis (compressed)",
    "flac": "FLAC (compressed without loss)",
    "amr_nb": "AMR (compressed, phone-call quality)",
    "amr_wb": "AMR-WB (compressed, phone-call quality)",
    "alac": "Apple Lossless (compressed without loss)",
}


def test_title(name: str) -> str:
    return TEST_TITLES.get(name, name)


def finding_title(kind: str) -> str:
    if kind in FINDING_TITLES:
        return FINDING_TITLES[kind]
    for prefix, title in FINDING_PREFIXES.items():
        if kind.startswith(prefix):
            return title
    return kind


def severity_words(severity: str) -> str:
    return SEVERITY_WORDS.get(severity, severity)


def container_words(format_name: str) -> str:
    return CONTAINERS.get(format_name, f"{format_name} file")


def codec_words(codec_name: str) -> str:
    if codec_name.startswith("pcm_"):
        return "uncompressed samples"
    return CODECS.get(codec_name, codec_name)


def _at(findings: list[Finding]) -> str:
    shown = "; ".join(f"{hms(f.start_s)} ({finding_title(f.kind).lower()})" for f in findings[:5])
    return shown + (f" and {len(findings) - 5} more" if len(findings) > 5 else "")


def in_short(findings: list[Finding]) -> str:
    """The report's conclusion in a sentence or two of plain words, for the top of the page (the
    conclusion itself, with the technical names, follows it)."""
    marked = [f for f in findings if f.severity in ("notice", "concern")]
    strong, weak = indications([f for f in marked if is_located(f)])
    about_file = [f for f in marked if is_file_level(f)]
    parts = []
    if strong:
        parts.append(f"{len(strong)} strong trace{'s' if len(strong) > 1 else ''} of possible editing, at {_at(strong)}: "
                     "listen there first")
    if weak:
        parts.append(f"{len(weak)} place{'s' if len(weak) > 1 else ''} worth listening to, at {_at(weak)}")
    if about_file:
        parts.append(f"{len(about_file)} thing{'s' if len(about_file) > 1 else ''} about the file as a whole to explain")
    if not parts:
        return ("In short: the tests that could run found no sign of editing. That does not prove the recording "
                "is complete or authentic.")
    return "In short: " + "; ".join(parts) + ". None of these proves editing on its own."
