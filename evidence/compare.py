"""Copy versus original: which stretches of the original a copy holds, at which offsets, what is
missing from it, what it adds, and whether the order is kept.

Both files are decoded (so re-encoding and container changes do not matter) to mono at RATE_HZ and
reduced to one 32-bit sub-fingerprint per HOP_S (evidence.subfingerprint): the signs of the energy
differences between adjacent bands and adjacent frames (Haitsma and Kalker's robust audio hash, which
survives lossy re-encoding).
Offsets where many sub-fingerprints of the copy also occur in the original (exactly, or with one bit
changed) are the candidate alignments. A Viterbi path then gives every frame of the copy the candidate
whose bits it matches best, or "not in the original", paying SWITCH_COST for every change, so that
boundaries fall where the evidence changes rather than on one noisy frame.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter1d

from evidence import __version__, media
from evidence.fingerprint import hash_file
from evidence.progress import ProgressCallback, no_progress
from evidence.subfingerprint import BAND_EDGES_HZ, FRAME_S, HOP_S, RATE_HZ, frame_time_s, subfingerprints
from evidence.switching import cheapest_path
from evidence.timecode import hms_ms

MAX_OCCURRENCES = 16
"""A sub-fingerprint found more often than this in the original (silence, steady tones) is not used
to propose alignments: it would vote for many offsets at once."""
MIN_VOTES = 8
"""Matching sub-fingerprints (within ±1 frame of an offset) needed to make it a candidate."""
MAX_CANDIDATES = 64
UNMATCHED_COST = 0.35
"""Bit error rate of a frame counted as "not in the original": a frame matching a candidate with
fewer wrong bits is taken as from the original (Haitsma and Kalker's threshold is 0.35)."""
SWITCH_COST = 3.0
"""Cost of changing offset, in wrong-bit fractions: about 10 frames (0.16 s) of clearly better
matching are needed before the path moves to another offset or to "not in the original"."""
MIN_STRETCH_S = 0.5
"""Missing or added stretches shorter than this are not reported."""

COMPLETE = "COMPLETE COPY"
"""One continuous piece: the whole original, nothing added."""
PARTIAL = "PARTIAL OR ALTERED COPY"
NOT_FROM_ORIGINAL = "NOT FROM THE ORIGINAL"
TOO_SHORT = "TOO SHORT TO COMPARE"
"""Either file is shorter than MIN_STRETCH_S: nothing that short is matched or reported."""


@dataclass(frozen=True)
class Side:
    path: str
    name: str
    sha256: str
    duration_s: float


@dataclass(frozen=True)
class Piece:
    """A stretch of the copy that is a stretch of the original."""

    copy_start_s: float
    copy_end_s: float
    original_start_s: float
    original_end_s: float
    bit_error_rate: float
    """Share of sub-fingerprint bits that differ over the piece: near 0 for the same audio, up to about
    0.2 after lossy re-encoding, about 0.5 for unrelated audio."""

    @property
    def offset_s(self) -> float:
        return self.original_start_s - self.copy_start_s


@dataclass(frozen=True)
class Stretch:
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Comparison:
    tool_version: str
    original: Side
    copy: Side
    pieces: list[Piece]
    missing: list[Stretch]
    """Stretches of the original found nowhere in the copy."""
    added: list[Stretch]
    """Stretches of the copy found nowhere in the original."""
    same_order: bool
    repeated: list[Stretch]
    """Stretches of the original that occur more than once in the copy."""
    replaced: list[Stretch]
    """Stretches, between two pieces at the same offset, where the copy holds other sound in place of the
    original's: missing from the copy and added in it at once, the same length (times in the original)."""
    verdict: str
    summary: str
    parameters: dict
    timings_s: dict[str, float]
    """Wall seconds per stage: the only field that differs between two runs."""


COMPARISON_SCHEMA = "1.1"


def to_json(c: Comparison) -> str:
    """compare.json: every field of the Comparison, each piece with its offset, timings last."""
    data = {"kind": "evidence-comparison", "schema_version": COMPARISON_SCHEMA, **dataclasses.asdict(c)}
    for piece, out in zip(c.pieces, data["pieces"]):
        out["offset_s"] = round(piece.offset_s, 3)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


PARAMETERS = {
    "rate_hz": RATE_HZ, "frame_s": FRAME_S, "hop_s": HOP_S,
    "band_edges_hz": [round(float(f), 1) for f in (BAND_EDGES_HZ[0], BAND_EDGES_HZ[-1])], "bands": 33,
    "max_occurrences": MAX_OCCURRENCES, "min_votes": MIN_VOTES, "max_candidates": MAX_CANDIDATES,
    "unmatched_bit_error_rate": UNMATCHED_COST, "switch_cost": SWITCH_COST, "min_stretch_s": MIN_STRETCH_S,
}


def candidate_offsets(original: np.ndarray, copy: np.ndarray) -> np.ndarray:
    """Frame offsets (original index minus copy index) at which the two sequences share many
    sub-fingerprints, strongest first."""
    if len(original) == 0 or len(copy) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(original, kind="stable")
    ordered = original[order]
    votes = np.zeros(len(original) + len(copy), dtype=np.int64)
    copy_index = np.arange(len(copy))
    for flip in [None, *range(32)]:
        query = copy if flip is None else copy ^ np.uint32(1 << flip)
        lo = np.searchsorted(ordered, query, "left")
        hi = np.searchsorted(ordered, query, "right")
        counts = hi - lo
        keep = (counts > 0) & (counts <= MAX_OCCURRENCES)
        if not keep.any():
            continue
        counts, lo = counts[keep], lo[keep]
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        orig_index = order[starts + np.arange(counts.sum())]
        offsets = orig_index - np.repeat(copy_index[keep], counts)
        votes += np.bincount(offsets + len(copy), minlength=len(votes))
    near = votes + np.roll(votes, 1) + np.roll(votes, -1)
    peaks = np.nonzero((near >= MIN_VOTES) & (near == maximum_filter1d(near, 5)))[0]
    peaks = peaks[np.argsort(-near[peaks], kind="stable")][:MAX_CANDIDATES]
    return peaks - len(copy)


def _bit_errors(original: np.ndarray, copy: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per copy frame and candidate offset, the share of differing bits. Where an offset runs outside
    the original the cost is that of "not in the original", so a piece can run on to the end of a copy
    that is a little longer than its source without a switch; its times are clipped to the original."""
    cost = np.full((len(copy), len(offsets)), UNMATCHED_COST, dtype=np.float32)
    frames = np.arange(len(copy))
    for k, offset in enumerate(offsets):
        inside = (frames + offset >= 0) & (frames + offset < len(original))
        cost[inside, k] = np.bitwise_count(copy[inside] ^ original[frames[inside] + offset]) / 32.0
    return cost


def best_path(cost: np.ndarray) -> np.ndarray:
    """Viterbi over the candidates plus one "not in the original" state (the last index), with
    SWITCH_COST for each change of state; returns the state of each frame."""
    unmatched = np.full((cost.shape[0], 1), UNMATCHED_COST, dtype=np.float32)
    return cheapest_path(np.hstack([cost, unmatched]), SWITCH_COST)


def _runs(path: np.ndarray) -> list[tuple[int, int, int]]:
    """(state, first frame, frame after the last) for each run of one state."""
    edges = np.nonzero(np.diff(path))[0] + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(path)]))
    return [(int(path[a]), int(a), int(b)) for a, b in zip(starts, ends)]


def _gaps(covered: list[tuple[float, float]], duration_s: float) -> list[Stretch]:
    gaps, at = [], 0.0
    for start, end in sorted(covered):
        if start - at >= MIN_STRETCH_S:
            gaps.append(Stretch(round(at, 3), round(start, 3)))
        at = max(at, end)
    if duration_s - at >= MIN_STRETCH_S:
        gaps.append(Stretch(round(at, 3), round(duration_s, 3)))
    return gaps


def _repeated(pieces: list[Piece]) -> list[Stretch]:
    spans = sorted((p.original_start_s, p.original_end_s) for p in pieces)
    out = []
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        if min(a1, b1) - b0 >= MIN_STRETCH_S:
            out.append(Stretch(round(b0, 3), round(min(a1, b1), 3)))
    return out


def _replaced(pieces: list[Piece]) -> list[Stretch]:
    """Gaps of MIN_STRETCH_S or more between consecutive pieces of the copy whose offsets agree to a frame:
    the copy's time there stands where the original's did, so something else took its place."""
    return [Stretch(a.original_end_s, b.original_start_s) for a, b in zip(pieces, pieces[1:])
            if abs(a.offset_s - b.offset_s) <= HOP_S and b.copy_start_s - a.copy_end_s >= MIN_STRETCH_S]


def align(original: np.ndarray, copy: np.ndarray, original_s: float, copy_s: float) -> tuple[list[Piece], list[Stretch], list[Stretch]]:
    """Pieces of the copy found in the original, stretches of the original missing from the copy,
    and stretches of the copy not in the original, from the two sub-fingerprint sequences."""
    offsets = candidate_offsets(original, copy)
    cost = _bit_errors(original, copy, offsets)
    path = best_path(cost)
    pieces = []
    for state, a, b in _runs(path) if len(path) else []:
        start_s = 0.0 if a == 0 else float(frame_time_s(a))
        end_s = copy_s if b == len(path) else float(frame_time_s(b))
        if state == len(offsets):
            continue
        shift_s = float(offsets[state]) * HOP_S
        start_s, end_s = max(start_s, -shift_s), min(end_s, original_s - shift_s)
        # A matched run shorter than MIN_STRETCH_S is too short to tell apart from chance: it counts as
        # unmatched, like anything under that length.
        if end_s - start_s < MIN_STRETCH_S:
            continue
        pieces.append(Piece(
            copy_start_s=round(start_s, 3),
            copy_end_s=round(end_s, 3),
            original_start_s=round(start_s + shift_s, 3),
            original_end_s=round(end_s + shift_s, 3),
            bit_error_rate=round(float(cost[a:b, state].mean()), 3),
        ))
    missing = _gaps([(p.original_start_s, p.original_end_s) for p in pieces], original_s)
    added = _gaps([(p.copy_start_s, p.copy_end_s) for p in pieces], copy_s)
    return pieces, missing, added


def _verdict(pieces: list[Piece], missing: list[Stretch], added: list[Stretch], shortest_s: float) -> str:
    if shortest_s < MIN_STRETCH_S:
        return TOO_SHORT
    if not pieces:
        return NOT_FROM_ORIGINAL
    if len(pieces) == 1 and not missing and not added:
        return COMPLETE
    return PARTIAL


def _list(stretches: list[Stretch], of: str) -> str:
    if not stretches:
        return "nothing"
    return ", ".join(f"{hms_ms(x.start_s)}–{hms_ms(x.end_s)} of the {of} ({x.end_s - x.start_s:.1f} s)" for x in stretches)


def _summary(pieces: list[Piece], missing: list[Stretch], added: list[Stretch], same_order: bool,
             repeated: list[Stretch], replaced: list[Stretch]) -> str:
    if not pieces:
        return ("No stretch of the copy was found in the original: it is a different recording, or it was "
                "altered beyond what this comparison can match (see the limitations).")
    plural = "es" if len(pieces) > 1 else ""
    order = "in the original's order" if same_order else "NOT in the original's order"
    parts = [
        f"The copy holds {len(pieces)} stretch{plural} of the original, {order}.",
        f"Missing from the copy: {_list(missing, 'original')}.",
        f"In the copy but not in the original: {_list(added, 'copy')}.",
    ]
    if replaced:
        parts.append(f"Replaced in the copy by other sound of the same length: {_list(replaced, 'original')}.")
    if repeated:
        parts.append(f"Repeated in the copy: {_list(repeated, 'original')}.")
    parts.append(f"Stretches shorter than {MIN_STRETCH_S} s are not reported; boundaries are accurate to about "
                 "a quarter of a second.")
    return " ".join(parts)


def _side(path: Path, role: str, progress: ProgressCallback, timings: dict[str, float]) -> tuple[Side, np.ndarray]:
    """One file, opened read-only: its SHA-256, and the sub-fingerprints of its decoded audio."""
    def tagged(stage: str, done: float, total: float) -> None:
        progress(f"{stage}:{role}", done, total)

    start = time.perf_counter()
    source = media.check_readable(path)
    sha256 = hash_file(source, tagged).sha256
    audio, _ = media.decode_for_analysis(source, media.probe(source), tagged, rate_hz=RATE_HZ)
    timings[f"decode_{role}"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    bits = subfingerprints(audio.samples[:])
    timings[f"fingerprint_{role}"] = round(time.perf_counter() - start, 3)
    side = Side(path=str(source), name=source.name, sha256=sha256, duration_s=round(audio.duration_s, 3))
    return side, bits


def compare(original: str | Path, copy: str | Path, progress: ProgressCallback = no_progress) -> Comparison:
    timings: dict[str, float] = {}
    orig_side, orig_bits = _side(Path(original), "original", progress, timings)
    copy_side, copy_bits = _side(Path(copy), "copy", progress, timings)
    start = time.perf_counter()
    progress("align", 0, 1)
    pieces, missing, added = align(orig_bits, copy_bits, orig_side.duration_s, copy_side.duration_s)
    progress("align", 1, 1)
    timings["align"] = round(time.perf_counter() - start, 3)
    same_order = all(b.original_start_s >= a.original_start_s for a, b in zip(pieces, pieces[1:]))
    verdict = _verdict(pieces, missing, added, min(orig_side.duration_s, copy_side.duration_s))
    repeated = _repeated(pieces)
    replaced = _replaced(pieces)
    return Comparison(
        tool_version=__version__,
        original=orig_side,
        copy=copy_side,
        pieces=pieces,
        missing=missing,
        added=added,
        same_order=same_order,
        repeated=repeated,
        replaced=replaced,
        verdict=verdict,
        summary=(f"One of the files lasts less than {MIN_STRETCH_S} s, the shortest stretch this comparison "
                 "can match." if verdict == TOO_SHORT else _summary(pieces, missing, added, same_order, repeated,
                                                                   replaced)),
        parameters=dict(PARAMETERS),
        timings_s=timings,
    )
