"""Background discontinuity: the room tone's level or colour steps at a point and stays changed.

Between words a recording holds only its background: the room, the microphone's noise, the hum.
In one continuous recording that background changes slowly; where material recorded at another
time or place was joined in, it steps. The test keeps only the quiet frames (those near the
background's floor), and compares the median level of the quiet frames just before each point with
that of the quiet frames just after it: overall, and in four bands, so that a change of the
background's colour (a fan's drone against traffic's rumble) shows even where its overall level
stays the same.

Real recordings move too: a phone's gain control swells the background in every pause, a door's
echo lingers for a second, a room's noise drifts over minutes. So a step counts only where it
persists: the two windows beyond the nearest ones must show it as well, so that a short event on
one side cannot make it; and only where it stands out of the recording's own variation: the step
must reach `noise_factor` times the typical change between neighbouring windows of this recording.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from evidence.detectors import Context, info_when_frequent
from evidence.detectors.bands import agreeing, band_levels_db, regions, sliding_median
from evidence.media import Audio
from evidence.report import Finding

NAME = "background"
DESCRIPTION = ("Looks for abrupt, lasting changes in the level or spectrum of the background (room tone) between "
               "words, as where material recorded at another time or place was joined in.")
PARAMETERS = {
    "frame_s": 0.032,
    "band_hz": [200.0, 4000.0],
    "floor_window_s": 2.5,
    "long_floor_window_s": 20.0,
    "floor_percentile": 10.0,
    "quiet_margin_db": 4.0,
    "max_above_long_floor_db": 10.0,
    "loud_above_floor_db": 10.0,
    "after_loud_s": 0.3,
    "digital_silence_db": -150.0,
    "quiet_frames_each_side": 25,
    "max_span_s": 24.0,
    "change_db": 3.0,
    "noise_factor": 6.0,
    "steady_pauses_db": 2.0,
    "shape_bands_hz": [[200.0, 500.0], [500.0, 1000.0], [1000.0, 2000.0], [2000.0, 4000.0]],
    "shape_change_db": 6.0,
    "join_quiet_frames": 3,
    "busy_min_changes": 4,
    "busy_changes_per_min": 4.0,
}


def quiet_frames(levels_db: np.ndarray) -> np.ndarray:
    """Indices of frames near the background's floor, digital silence excluded.

    A frame is quiet within `quiet_margin_db` of the local floor (the `floor_percentile` of the
    levels over `floor_window_s`), which follows a step in the background at once; but never more
    than `max_above_long_floor_db` above the floor over `long_floor_window_s`, so that a stretch of
    speech with no pause in it does not become its own "floor"."""
    frame_s = PARAMETERS["frame_s"]
    short = max(1, int(round(PARAMETERS["floor_window_s"] / frame_s)))
    long = max(1, int(round(PARAMETERS["long_floor_window_s"] / frame_s)))
    live = levels_db > PARAMETERS["digital_silence_db"]
    measured = np.where(live, levels_db, np.nan)
    floor = ndimage.percentile_filter(np.where(live, levels_db, np.inf), PARAMETERS["floor_percentile"],
                                      size=short, mode="nearest")
    long_floor = ndimage.percentile_filter(np.where(live, levels_db, np.inf), PARAMETERS["floor_percentile"],
                                           size=long, mode="nearest")
    limit = np.minimum(floor + PARAMETERS["quiet_margin_db"],
                       long_floor + PARAMETERS["max_above_long_floor_db"] + PARAMETERS["quiet_margin_db"])
    # The echo of a word lingers after it, with the colour of the voice: frames just after a loud
    # one are not background yet (and a phone's gain control, pulled down by the word, is still
    # recovering there).
    loud = live & (measured > floor + PARAMETERS["loud_above_floor_db"])
    guard = max(1, int(round(PARAMETERS["after_loud_s"] / frame_s)))
    after_loud = ndimage.maximum_filter1d(loud.astype(np.int8), guard + 1, origin=guard // 2) > 0
    return np.flatnonzero(live & (measured <= limit) & ~after_loud)


class Steps(NamedTuple):
    """The background either side of each boundary between quiet frames (one row per boundary)."""

    positions: np.ndarray      # boundary before quiet frame index[position]
    before_db: np.ndarray      # (boundaries, bands): median of the nearest window before
    after_db: np.ndarray       # (boundaries, bands): median of the nearest window after
    lasting_db: np.ndarray     # (boundaries, bands): the overall step, then each band's step beyond it, that all
                               # three window pairs agree on (0 where they do not)
    threshold_db: float        # a lasting overall step this large is reported
    spread_db: float           # the recording's own typical change between neighbouring windows


def measure_steps(levels_db: np.ndarray, index: np.ndarray) -> Steps | None:
    """Compare windows of `quiet_frames_each_side` quiet frames around each boundary: the nearest pair
    (B1 | A1); B1 against a window (A2) that begins in the first pause after A1 ends, and A1 against
    one (B2) that ends in the last pause before B1 begins. A step lasts where all three agree: a
    background changed for good stays changed across speech, while a phone's gain control sets each
    pause's background by the word before it, and an echo or a door fades. None when there are too
    few quiet frames."""
    k = PARAMETERS["quiet_frames_each_side"]
    count = len(index)
    if count < 4 * k + 1:
        return None
    medians = sliding_median(levels_db[index], k)                     # (starts, bands)
    # Pauses: runs of quiet frames with at most `join_quiet_frames` other frames between them.
    pause = np.concatenate([[0], np.cumsum(np.diff(index) > PARAMETERS["join_quiet_frames"] + 1)])
    first_of_pause = np.searchsorted(pause, np.arange(pause[-1] + 2))            # first quiet frame of each pause
    positions = np.arange(k, count - k + 1)
    usable = (positions + 2 * k <= count) & (positions - 2 * k >= 0)
    near = np.where(usable, medians[positions, 0] - medians[positions - k, 0], 0.0)
    across = (index[positions] - index[positions - 1] > 1) & usable
    changes = np.abs(near[across if across.any() else slice(None)])
    # In a recording whose pauses all share one background, the next windows of quiet frames will
    # do (a muted or replaced pause is one pause); where pauses differ, the windows beyond speech.
    beyond_speech = bool(np.percentile(changes, 90) > PARAMETERS["steady_pauses_db"])
    lasting = np.concatenate([_lasting(medians, index, pause, first_of_pause, positions[i : i + BOUNDARIES_AT_A_TIME],
                                       beyond_speech)
                              for i in range(0, len(positions), BOUNDARIES_AT_A_TIME)])
    # The recording's own variation, measured across speech (where quiet frames either side are not
    # neighbours): a phone's gain control sets the background of each pause by the word before it.
    spread = float(1.4826 * np.median(changes))
    threshold = max(PARAMETERS["change_db"], PARAMETERS["noise_factor"] * spread)
    return Steps(positions, medians[positions - k], medians[positions], lasting, threshold, spread)


BOUNDARIES_AT_A_TIME = 32768
"""Boundaries compared at a time in measure_steps, so memory stays flat with length."""


def _lasting(medians: np.ndarray, index: np.ndarray, pause: np.ndarray, first_of_pause: np.ndarray,
             positions: np.ndarray, beyond_speech: bool) -> np.ndarray:
    """measure_steps' lasting steps (boundaries, bands) for some of its boundaries."""
    k = PARAMETERS["quiet_frames_each_side"]
    count = len(index)
    usable = (positions + 2 * k <= count) & (positions - 2 * k >= 0)
    b1, a1 = medians[positions - k], medians[positions]
    if beyond_speech:
        a2_start = first_of_pause[pause[positions + k - 1] + 1]                  # the pause after A1
        b2_end = first_of_pause[pause[positions - k]] - 1                        # the last frame of the pause before B1
        beyond = (a2_start + k <= count) & (b2_end - k + 1 >= 0)
        usable &= beyond
        a2_at, b2_at = np.where(beyond, a2_start, 0), np.where(beyond, b2_end - k + 1, 0)
    else:
        a2_at, b2_at = np.minimum(positions + k, count - k), np.maximum(positions - 2 * k, 0)
    a2, b2 = medians[np.minimum(a2_at, len(medians) - 1)], medians[b2_at]
    span_s = (index[np.minimum(a2_at + k - 1, count - 1)] - index[b2_at]) * PARAMETERS["frame_s"]
    usable &= span_s <= PARAMETERS["max_span_s"]
    pairs = [a1 - b1, a2 - b1, a1 - b2]
    # Overall, and each band's change beyond the overall one in the same pair of windows (its colour).
    lasting = np.concatenate([agreeing(*[d[:, :1] for d in pairs]),
                              agreeing(*[d[:, 1:] - d[:, :1] for d in pairs])], axis=1)
    return np.where(usable[:, None], lasting, 0.0)


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    frame_s = PARAMETERS["frame_s"]
    bands = [tuple(PARAMETERS["band_hz"])] + [tuple(b) for b in PARAMETERS["shape_bands_hz"]]
    # float32: the steps measured are whole dB, and ten hours of frames in float64 would be 45 MB a copy.
    levels = band_levels_db(audio, bands, frame_s).astype(np.float32)
    index = quiet_frames(levels[:, 0])
    steps = measure_steps(levels, index)
    if steps is None:
        return []
    change, shape = steps.lasting_db[:, 0], steps.lasting_db[:, 1:]
    stepped = (np.abs(change) >= steps.threshold_db) | (np.abs(shape).max(axis=1) >= PARAMETERS["shape_change_db"])
    findings = []
    # Noise can split one step's plateau by a frame or two; farther apart they are separate steps.
    k = PARAMETERS["quiet_frames_each_side"]
    for start, end in regions(stepped, join_gap=PARAMETERS["join_quiet_frames"]):
        # A step shows over a plateau of boundaries about `quiet_frames_each_side` wide. A level step
        # is placed at its middle; a change of colour alone at the peak of the windows' means'
        # difference, which is sharp where the windows meet at the step.
        if (np.abs(change[start:end]) >= steps.threshold_db).any():
            j = (start + end - 1) // 2
        else:
            here = steps.positions[start:end]
            quiet = levels[index]
            means = np.stack([quiet[p : p + k].mean(axis=0) - quiet[p - k : p].mean(axis=0) for p in here])
            j = start + int(np.argmax(np.abs(means[:, 1:] - means[:, [0]]).max(axis=1)))
        findings.append(_finding(steps, index, j, frame_s))
    return _busy_as_info(findings, audio.duration_s)


def _finding(steps: Steps, index: np.ndarray, j: int, frame_s: float) -> Finding:
    position = steps.positions[j]
    # The step lies between the last quiet frame before it and the first quiet frame after it.
    start_s = round((index[position - 1] + 1) * frame_s, 3)
    end_s = round(index[position] * frame_s, 3)
    before, after = steps.before_db[j], steps.after_db[j]
    step_db = float(steps.lasting_db[j, 0])
    shape = steps.lasting_db[j, 1:]
    band = int(np.argmax(np.abs(shape)))
    colour_db = float(shape[band])
    lo_hz, hi_hz = PARAMETERS["shape_bands_hz"][band]
    where = (f"at {start_s:.1f} s" if end_s - start_s < 0.5 else
             f"somewhere between {start_s:.1f} s and {end_s:.1f} s (speech hides the background in between)")
    if abs(step_db) >= steps.threshold_db:
        seen = (f"The background between words {'rises' if step_db > 0 else 'falls'} by {abs(step_db):.1f} dB "
                f"{where} ({before[0]:.0f} dB before, {after[0]:.0f} dB after) and stays so; this recording's "
                f"background otherwise changes by about {steps.spread_db:.1f} dB from moment to moment "
                f"(threshold {steps.threshold_db:.1f} dB).")
    else:
        seen = f"The background between words changes its sound {where}, at much the same overall level."
    if abs(colour_db) >= PARAMETERS["shape_change_db"]:
        seen += (f" Its spectrum changes: the {lo_hz:g}-{hi_hz:g} Hz band {'rises' if colour_db > 0 else 'falls'} "
                 f"by {abs(colour_db):.0f} dB more than the background as a whole.")
    return Finding(
        kind="background-change", start_s=start_s, end_s=end_s,
        # Never a concern on its own: rooms change, and a phone call steps at every change of speaker.
        severity="notice",
        score=round(min(1.0, max(abs(step_db) / 12, abs(colour_db) / 24)), 3),
        details={"before_db": round(float(before[0]), 1), "after_db": round(float(after[0]), 1),
                 "change_db": round(step_db, 1), "threshold_db": round(steps.threshold_db, 1),
                 "typical_change_db": round(steps.spread_db, 2), "band_hz": PARAMETERS["band_hz"],
                 "band_changes_db": {f"{lo:g}-{hi:g}": round(float(d), 1)
                                     for (lo, hi), d in zip(PARAMETERS["shape_bands_hz"], steps.after_db[j, 1:] - before[1:])},
                 "shape_change_db": round(colour_db, 1), "shape_threshold_db": PARAMETERS["shape_change_db"]},
        explanation=seen + " In one continuous recording the room's background changes gradually; a lasting step "
                    "suggests material recorded at another time or place joined in. A door closing, a fan or "
                    "heater switching, a phone moved into a pocket, or in a phone call the other side starting "
                    "to speak (each side's line has its own noise) can also change it.",
    )


def _busy_as_info(findings: list[Finding], duration_s: float) -> list[Finding]:
    """Many steps in a short time are the recording's own pattern, not edits: a phone call whose two
    sides carry different line noise steps at every change of speaker. They are kept, as info."""
    return info_when_frequent(
        findings, duration_s, PARAMETERS["busy_min_changes"], PARAMETERS["busy_changes_per_min"], "changes_per_min",
        lambda count, per_min: (
            f" The background steps {count} times in {duration_s:.0f} s ({per_min:.0f} per minute), as in a phone "
            "call where each side's line carries its own noise, or a device being moved; so frequent a pattern "
            "belongs to the recording, and no single step here is evidence of editing."))
