"""Codec grid: the frame grid that a lossy (AAC) encoder leaves in the samples, and where it breaks.

An AAC encoder (the usual format of phone recordings) works in frames of 1024 samples: each frame is a
modified discrete cosine transform (MDCT) of 2048 samples, windowed (Kaiser-Bessel-derived or sine),
one frame every 1024 samples. Quantisation sets many of each frame's 1024 coefficients to zero. Decoding
undoes the transform exactly, so when the decoded samples are transformed again at the encoder's own
frame positions, with its window, those coefficients come back (near) zero; one sample off, they do not.
The frames' position, in samples modulo 1024, is the grid's offset. It survives saving the decoded audio
as WAV or FLAC (16-bit rounding only raises the floor) and, more weakly, a later MP3 encoding at 128
kbit/s or more. After Yang, Qu and Huang ("Exposing MP3 audio forgeries using frame offsets", ACM TOMM
2012) and Korycki (Archives of Acoustics 2014), adapted to AAC and to streaming:

1. The file is decoded again at its own sample rate, mono, in blocks; the last `history_s` stay in memory.
2. A frame's level is the mean over its 1024 MDCT coefficients of log10(energy + floor), the floor being
   white noise at `floor_dbfs` (16-bit rounding). In each cell of `cell_s`, every `probe_every_frames`-th
   frame is measured at each followed grid's offset and at a reference offset (one of
   `reference_offsets_samples` in turn); a grid's strength in the cell is the median over the probes of
   how far (dB) its frame lies below the reference frame. `strong_db` or more is strong.
3. Where no followed grid is strong in `lost_cells` active cells in a row (active: the reference level at
   least `active_db` above the floor), every offset is tried with both windows on one frame, the best
   `search_candidates` per window are measured on the cell's probes, and the best, if at least
   `found_db`, is followed from then on and measured back over the cells in memory. Searches back off
   from `search_gap_min_s` to `search_gap_max_s` apart while they find nothing, and are rationed to
   `search_burst` at once plus one per `search_every_s`.
4. Cells are labelled with their strongest strong grid; runs of one grid shorter than `min_stretch_s`, with
   fewer than `min_strong_cells` strong cells or strong in less than `min_steady_fraction` of their active
   cells, are dropped. A change from one grid to another is a shift. It is placed by measuring every frame
   of both grids around it (references `dense_reference_samples` either side; frames whose two sides
   differ by more than `dense_edge_db`, or that are quiet, count for nothing): between the end of the last
   frame that shows the old grid and the start of the first that shows the new, widened by
   `cut_margin_samples` either side.
5. A grid seen only between two others (for at most `foreign_max_s`) is foreign material. A stretch of at
   least `absent_min_s` inside the grid's span with no grid, although as loud (and unclipped) as where the
   grid shows `absent_seen_fraction` of the time, is reported too (with the shift across it, as foreign).

Limits: a cut that removes or inserts a whole number of frames (N x 1024 samples) leaves the offset
unchanged and cannot be seen. A recording never encoded with AAC, resampled after it, or passed through a
strong later encoding (MP3 at 64 kbit/s, Opus) shows no usable grid, and then this test can say nothing
about cuts. A file that is itself AAC shows its own, unbroken grid, and an earlier grid under it is not
looked for: AAC, edited, then AAC again hides the edits from this test. Quiet passages show no grid: they
are unknown, never evidence. MP3's own 576-sample grid (an MP3 original) is not looked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft

from evidence.detectors import Context, whole_file_finding
from evidence.media import Audio, PcmDecoder
from evidence.report import Finding

NAME = "codec-grid"
DESCRIPTION = ("Looks for the frame grid that the phone's lossy (AAC) encoder leaves in the samples, and for "
               "places where that grid jumps or is missing: traces of cuts or inserted material made after "
               "the recording was first encoded.")
PARAMETERS = {
    "frame_samples": 1024,
    "windows": ["kbd-alpha-4", "sine"],
    "floor_dbfs": -101.0,
    "cell_s": 0.5,
    "probe_every_frames": 3,
    "reference_offsets_samples": [117, 459, 801],
    "dense_reference_samples": [331, 661],
    "dense_edge_db": 6.0,
    "cut_margin_samples": 512,
    "active_db": 10.0,
    "strong_db": 2.0,
    "found_db": 2.0,
    "search_frames": 1,
    "search_candidates": 8,
    "lost_cells": 2,
    "search_gap_min_s": 2.0,
    "search_gap_max_s": 64.0,
    "search_every_s": 60.0,
    "search_burst": 10,
    "history_s": 80.0,
    "max_grids": 6,
    "min_offset_apart_samples": 32,
    "near_offsets_below_hz": 32000,
    "min_stretch_s": 2.0,
    "min_strong_cells": 4,
    "min_steady_fraction": 0.5,
    "concern_side_s": 5.0,
    "concern_db": 3.0,
    "concern_steady_fraction": 0.6,
    "foreign_max_s": 120.0,
    "absent_min_s": 4.0,
    "absent_min_active_cells": 6,
    "absent_seen_fraction": 0.95,
    "clip_level": 0.999,
}

KIND_PREFIX = "codec-grid-"
FILE_LEVEL_KINDS = (KIND_PREFIX + "continuous", KIND_PREFIX + "summary")
"""Findings about the file as a whole (they span it from 0 to the end)."""


# --- the transform ------------------------------------------------------------------------------------

def kbd_window(length: int, alpha: float) -> np.ndarray:
    """Kaiser-Bessel-derived window of `length` samples (AAC's long window: alpha 4)."""
    half = length // 2
    kaiser = np.kaiser(half + 1, np.pi * alpha)
    rising = np.sqrt(np.cumsum(kaiser[:half]) / kaiser.sum())
    return np.concatenate([rising, rising[::-1]])


def sine_window(length: int) -> np.ndarray:
    return np.sin(np.pi * (np.arange(length) + 0.5) / length)


def codec_windows(frame: int) -> dict[str, np.ndarray]:
    return {"kbd-alpha-4": kbd_window(2 * frame, 4.0).astype(np.float32),
            "sine": sine_window(2 * frame).astype(np.float32)}


def floor_energy(frame: int, floor_dbfs: float) -> float:
    """Energy of one transform coefficient (scipy's unnormalised DCT-IV of a folded frame) for white
    noise at `floor_dbfs` RMS (full scale 1.0): 2 x frame x variance."""
    return float(2 * frame * 10 ** (floor_dbfs / 10))


def _levels(windows: np.ndarray, window: np.ndarray, floor: float) -> np.ndarray:
    """Mean log10(energy + floor) of the MDCT coefficients of each row of `windows` (rows of 2N samples)."""
    n = window.shape[0] // 2
    h = n // 2
    b = windows * window
    folded = np.empty((b.shape[0], n), dtype=np.float32)
    folded[:, :h] = -b[:, n + h - 1 : n - 1 : -1] - b[:, n + h :]
    folded[:, h:] = b[:, :h] - b[:, n - 1 : h - 1 : -1]
    coeffs = fft.dct(folded, type=4, axis=1, overwrite_x=True)
    energy = coeffs * coeffs
    energy += floor
    return np.log10(energy).mean(axis=1)


def offset_profile(x: np.ndarray, at: int, window: np.ndarray, floor: float, chunk: int = 256) -> np.ndarray:
    """Levels of the frames starting at at, at+1, ..., at+N-1 (every offset once), indexed by absolute
    offset (start modulo N)."""
    n = window.shape[0] // 2
    frames = sliding_window_view(x[at : at + n - 1 + 2 * n], 2 * n)
    out = np.concatenate([_levels(frames[i : i + chunk], window, floor) for i in range(0, n, chunk)])
    return np.roll(out, at % n)


# --- the tracker ---------------------------------------------------------------------------------------

@dataclass
class Grid:
    """One grid hypothesis: its window and its offset (frame starts modulo the frame size)."""

    window: str
    offset: int
    found_cell: int
    contrast: dict[int, float] = field(default_factory=dict)  # cell -> strength in dB
    strong_cells: int = 0
    last_strong_cell: int = -1
    active: bool = True


@dataclass
class Transition:
    """Two grids either side of a point, measured frame by frame around it."""

    before: int
    after: int
    last_cell_before: int
    first_cell_after: int
    cut_sample: int | None = None
    interval_samples: tuple[int, int] | None = None


class Tracker:
    """Follows the codec grid through a stream of mono samples given block by block (`feed`).

    The stream is cut into cells of `cell_s`; in each, every `probe_every_frames`-th frame is measured at
    each followed grid's offset and at one of the reference offsets in turn. The last `history_s` of
    samples stay in memory, so that a grid found late can be measured back over them and a change of grid
    placed frame by frame."""

    def __init__(self, rate_hz: int, params: dict = PARAMETERS):
        self.p = params
        self.rate = rate_hz
        self.n = params["frame_samples"]
        self.windows = codec_windows(self.n)
        self.floor = floor_energy(self.n, params["floor_dbfs"])
        self.log_floor = float(np.log10(self.floor))
        every = params["probe_every_frames"]
        self.cell_frames = max(every, int(round(params["cell_s"] * rate_hz / self.n)))
        self.cell = self.cell_frames * self.n
        self.hop = every * self.n
        self.probes = self.cell_frames // every
        self.keep = max(int(params["history_s"] * rate_hz) // self.cell, 2) * self.cell
        self.buf = np.zeros(2 * self.keep + 4 * self.n + (1 << 18), dtype=np.float32)
        self.frames = sliding_window_view(self.buf, 2 * self.n)   # every frame of the buffer, as a view
        self.buf_start = 0        # file sample index of buf[0]
        self.buf_len = 0
        self.total = 0            # samples received
        self.next_cell = 0
        self.grids: list[Grid] = []
        self.level_db: list[float] = []               # per cell: mean coefficient level above the floor
        self.clipped: list[bool] = []                  # per cell: whether a sample reaches full scale
        self.ref_levels: dict[int, np.ndarray] = {}   # per buffered cell: the reference level of each probe
        self.transitions: dict[tuple[int, int], Transition] = {}
        self.last_strong: tuple[int, int] | None = None   # (cell, grid index) of the last strong cell
        self.searches = 0
        self.search_best: list[tuple[float, str, int]] = []   # each search's best candidate: dB, window, offset
        self.last_search_cell = -(10 ** 9)
        self.lost_cells = 0                            # active cells in a row without a strong grid
        self.gap_cells = self._cells(params["search_gap_min_s"])
        self.tokens = float(params["search_burst"])
        self.token_per_cell = self.cell / rate_hz / params["search_every_s"]

    def _cells(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.rate / self.cell)))

    # samples ------------------------------------------------------------------------------------------
    def feed(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        while len(samples):
            if self.buf_len == len(self.buf):
                self._compact()
            take = samples[: len(self.buf) - self.buf_len]
            self.buf[self.buf_len : self.buf_len + len(take)] = take
            self.buf_len += len(take)
            self.total += len(take)
            samples = samples[len(take):]
            self._process()

    def finish(self) -> None:
        self._process()

    def _compact(self) -> None:
        """Keep only the last `keep` samples before the next cell (and what follows) in the buffer."""
        drop = max(0, self.next_cell * self.cell - self.keep) - self.buf_start
        if drop <= 0:
            raise RuntimeError("codec-grid: buffer too small")
        self.buf[: self.buf_len - drop] = self.buf[drop : self.buf_len]
        self.buf_len -= drop
        self.buf_start += drop
        for k in [k for k in self.ref_levels if k * self.cell < self.buf_start]:
            del self.ref_levels[k]

    def _has(self, start: int, end: int) -> bool:
        return start >= self.buf_start and end <= self.buf_start + self.buf_len

    def _process(self) -> None:
        # a cell's frames may start up to N-1 samples after its last probe and run 2N samples
        ready = (self.buf_start + self.buf_len - 3 * self.n) // self.cell - self.next_cell
        if ready <= 0:
            return
        cells = list(range(self.next_cell, self.next_cell + ready))
        starts = np.concatenate([self._reference_starts(k) for k in cells])
        refs = self._levels_at(starts, "kbd-alpha-4").reshape(ready, self.probes)
        for k, ref in zip(cells, refs):
            self.ref_levels[k] = ref
        self.level_db += (10 * (refs.mean(axis=1) - self.log_floor)).tolist()
        first = self.next_cell * self.cell - self.buf_start
        peaks = np.abs(self.buf[first : first + ready * self.cell]).reshape(ready, self.cell).max(axis=1)
        self.clipped += (peaks >= self.p["clip_level"]).tolist()
        for g in self.grids:
            if g.active:
                self._measure(cells, g)
        for k in cells:
            self._cell(k)
        self.next_cell += ready

    # measuring ----------------------------------------------------------------------------------------
    def _levels_at(self, starts: np.ndarray, window: str) -> np.ndarray:
        """Levels (log10 units) of the frames starting at file samples `starts` (all in the buffer)."""
        return _levels(self.frames[np.asarray(starts) - self.buf_start], self.windows[window], self.floor)

    def _probe_starts(self, cell: int, offset: int) -> np.ndarray:
        """File samples where the probe frames of `cell` at `offset` (mod N) start."""
        start = cell * self.cell
        return start + (offset - start) % self.n + self.hop * np.arange(self.probes)

    def _reference_starts(self, cell: int) -> np.ndarray:
        """One reference offset per probe, in turn: frames at positions no grid is expected to use."""
        refs = self.p["reference_offsets_samples"]
        start = cell * self.cell
        j = np.arange(self.probes)
        offsets = np.asarray(refs)[j % len(refs)]
        return start + (offsets - start) % self.n + self.hop * j

    def _measure(self, cells: list[int], grid: Grid) -> None:
        """The grid's strength in each of `cells`: the median over the probes of how far (dB) each lies below
        its reference. The median, because a transient in one probe (a clap, a door) can make a frame
        that starts before it look quieter than its reference, which starts later."""
        if not cells:
            return
        starts = np.concatenate([self._probe_starts(k, grid.offset) for k in cells])
        levels = self._levels_at(starts, grid.window).reshape(len(cells), self.probes)
        refs = np.stack([self.ref_levels[k] for k in cells])
        for k, c in zip(cells, (10 * np.median(refs - levels, axis=1)).tolist()):
            grid.contrast[k] = c

    def _cell(self, cell: int) -> None:
        """Decide about one measured cell: search when no grid is strong in it, and note a change of grid."""
        self.tokens = min(float(self.p["search_burst"]), self.tokens + self.token_per_cell)
        if self._dominant(cell) is not None:
            self.lost_cells = 0
            self.gap_cells = self._cells(self.p["search_gap_min_s"])
        elif self.level_db[cell] >= self.p["active_db"]:
            self.lost_cells += 1
            if self.lost_cells >= self.p["lost_cells"] and cell - self.last_search_cell >= self.gap_cells \
                    and self.tokens >= 1:
                if self._search(cell) is None:
                    self.gap_cells = min(self._cells(self.p["search_gap_max_s"]), 2 * self.gap_cells)
        self._note_strong(cell)

    def _dominant(self, cell: int) -> int | None:
        """The grid strongest in `cell`, if any is at least `strong_db` strong."""
        best, best_c = None, self.p["strong_db"]
        for i, g in enumerate(self.grids):
            c = g.contrast.get(cell)
            if c is not None and c >= best_c:
                best, best_c = i, c
        return best

    def _note_strong(self, cell: int) -> None:
        d = self._dominant(cell)
        if d is None:
            return
        g = self.grids[d]
        g.strong_cells += 1
        g.last_strong_cell = cell
        if self.last_strong is not None and self.last_strong[1] != d:
            self._transition(self.last_strong[0], self.last_strong[1], cell, d, gap_search=True)
        self.last_strong = (cell, d)
        horizon = cell - self.keep // self.cell
        for h in self.grids:
            if h.active and h.last_strong_cell < horizon and h.found_cell < horizon:
                h.active = False   # not strong for the whole history: no longer followed (a search can revive it)

    # searching ----------------------------------------------------------------------------------------
    def _search(self, cell: int) -> int | None:
        """Every offset with each window on `search_frames` frames of `cell`; the best candidates are then
        measured on the cell's probes. Returns the index of a grid new (or followed again), or None."""
        self.searches += 1
        self.tokens -= 1
        self.last_search_cell = cell
        x = self.buf[: self.buf_len]
        start = cell * self.cell - self.buf_start
        frames = self.p["search_frames"]
        # frames between the probes (every probe starts a multiple of 3 frames into the cell)
        positions = [start + self.n * (1 + self.p["probe_every_frames"] * i) for i in range(frames)]
        candidates = []
        for name, window in self.windows.items():
            profile = sum(offset_profile(x, at, window, self.floor) for at in positions)
            contrast = np.median(profile) - profile
            candidates += [(name, int(o)) for o in np.argsort(contrast)[::-1][: self.p["search_candidates"]]]
        starts = {name: np.concatenate([self._probe_starts(cell, o) for n_, o in candidates if n_ == name])
                  for name in self.windows}
        levels = {name: self._levels_at(starts[name], name).reshape(-1, self.probes) for name in self.windows}
        ref = self.ref_levels[cell]
        best, best_c = None, self.p["found_db"]
        counters = {name: 0 for name in self.windows}
        for name, offset in candidates:
            c = float(10 * np.median(ref - levels[name][counters[name]]))
            counters[name] += 1
            if c >= best_c:
                best, best_c = (name, offset), c
        self.search_best.append(max(
            (float(10 * np.median(ref - levels[name][i])), name, o) for name in self.windows
            for i, o in enumerate(o for n_, o in candidates if n_ == name)))
        if best is None:
            return None
        known = next((i for i, g in enumerate(self.grids) if g.offset == best[1]), None)
        if known is not None and self.grids[known].active:
            return None
        # At low sample rates an offset a few samples from a followed grid keeps part of its zeros: in
        # AAC at 16 kHz such near offsets looked like second encodings for a second or two in unedited
        # files, so there they are taken for the followed grid (a shift that small is not seen).
        apart = self.p["min_offset_apart_samples"] if self.rate < self.p["near_offsets_below_hz"] else -1
        if any(g.active and min((g.offset - best[1]) % self.n, (best[1] - g.offset) % self.n) <= apart
               for g in self.grids if g.offset != best[1]):
            return None
        if known is None:
            if sum(g.active for g in self.grids) >= self.p["max_grids"]:
                min((g for g in self.grids if g.active), key=lambda g: g.strong_cells).active = False
            self.grids.append(Grid(window=best[0], offset=best[1], found_cell=cell))
            known = len(self.grids) - 1
        grid = self.grids[known]
        grid.active, grid.found_cell = True, cell
        self._backfill(known, cell)
        return known

    def _backfill(self, index: int, cell: int) -> None:
        """Measure a grid found at `cell` over the cells up to it that are still in the buffer, and derive
        the strong cells and transitions there again."""
        grid = self.grids[index]
        cells = sorted(k for k in self.ref_levels if k not in grid.contrast
                       and self._has(k * self.cell, (k + 1) * self.cell + 3 * self.n))
        self._measure(cells, grid)
        cells = [k for k in cells if k < cell]
        if not cells:
            return
        for g in self.grids:
            g.strong_cells, g.last_strong_cell = 0, -1
        for k in range(cell):
            d = self._dominant(k)
            if d is not None:
                self.grids[d].strong_cells += 1
                self.grids[d].last_strong_cell = k
        self.last_strong = self._previous_strong(cells[0])
        for k in range(cells[0], cell):
            d = self._dominant(k)
            if d is None:
                continue
            if self.last_strong is not None and self.last_strong[1] != d:
                self._transition(self.last_strong[0], self.last_strong[1], k, d, gap_search=False)
            self.last_strong = (k, d)

    def _previous_strong(self, cell: int) -> tuple[int, int] | None:
        for k in range(cell - 1, -1, -1):
            d = self._dominant(k)
            if d is not None:
                return (k, d)
        return None

    # placing a change of grid ---------------------------------------------------------------------------
    def _dense(self, grid: Grid, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start, strength (dB) and whether it could show a grid at all (its level is at least
        `active_db` above the floor) of every frame of `grid` lying within file samples [lo, hi)."""
        n = self.n
        first = lo + (grid.offset - lo) % n
        count = max(0, (hi - 2 * n - first) // n + 1)
        starts = first + n * np.arange(count)
        if count == 0:
            return starts, np.zeros(0), np.zeros(0, dtype=bool)
        levels = self._levels_at(starts, grid.window)
        # references either side of each frame, so that a rise or fall of the level does not pass for a grid
        lo_b, hi_b = self.buf_start, self.buf_start + self.buf_len - 2 * n
        side = [np.mean([self._levels_at(np.clip(starts + sign * d, lo_b, hi_b), "kbd-alpha-4")
                         for d in self.p["dense_reference_samples"]], axis=0) for sign in (-1, 1)]
        ref = (side[0] + side[1]) / 2
        steady = 10 * np.abs(side[1] - side[0]) <= self.p["dense_edge_db"]
        return starts, 10 * (ref - levels), steady & (10 * (ref - self.log_floor) >= self.p["active_db"])

    def _transition(self, cell_a: int, a: int, cell_b: int, b: int, gap_search: bool) -> None:
        """Place the change from grid a (last strong in cell_a) to grid b (strong again in cell_b) frame
        by frame, when those samples are still in the buffer."""
        t = Transition(before=a, after=b, last_cell_before=cell_a, first_cell_after=cell_b)
        self.transitions[(cell_a, cell_b)] = t
        if gap_search and cell_b - cell_a - 1 >= self._cells(self.p["min_stretch_s"]) and self.tokens >= 1:
            # a long stretch without either grid may hold a third: search its most active cell once
            gap = [k for k in range(cell_a + 1, cell_b) if k in self.ref_levels]
            if gap:
                k = max(gap, key=lambda k: self.level_db[k])
                in_buffer = self._has(k * self.cell, (k + 1) * self.cell + 3 * self.n)
                if self.level_db[k] >= self.p["active_db"] and in_buffer:
                    if self._search(k) is not None:
                        return   # the backfill has derived the transitions again
        lo, hi = cell_a * self.cell, (cell_b + 1) * self.cell + 3 * self.n
        if not self._has(lo, hi):
            return
        starts_a, ca, seen_a = self._dense(self.grids[a], lo, hi)
        starts_b, cb, seen_b = self._dense(self.grids[b], lo, hi)
        if len(ca) == 0 or len(cb) == 0:
            return
        lo_s, hi_s = place_change(starts_a, np.where(seen_a, ca, np.nan), starts_b, np.where(seen_b, cb, np.nan),
                                  2 * self.n, self.p["strong_db"])
        # the window is close to zero over its last few hundred samples, so a frame still shows its grid
        # when the cut lies that far inside it: the interval is widened by that much either side
        margin = self.p["cut_margin_samples"]
        t.interval_samples = (lo_s - margin, hi_s + margin)
        t.cut_sample = (lo_s + hi_s) // 2


def supported(x: np.ndarray, tau: float) -> np.ndarray:
    """Whether each value exceeds `tau` and so does one of its neighbours: an isolated frame that shows a
    grid by chance is not taken for the grid, while the last frame of a run that shows it still counts."""
    above = np.nan_to_num(x, nan=-np.inf) > tau
    prev = np.concatenate([[False], above[:-1]])
    nxt = np.concatenate([above[1:], [False]])
    return above & (prev | nxt)


def place_change(starts_a: np.ndarray, strength_a: np.ndarray, starts_b: np.ndarray, strength_b: np.ndarray,
                 frame_length: int, strong_db: float) -> tuple[int, int]:
    """Where grid a gives way to grid b: the point c maximising the evidence of a's frames that end by c
    plus that of b's frames that start from c. A frame's evidence is its strength above half `strong_db`,
    capped at 3 x `strong_db`, and only where a neighbouring frame also shows the grid (a single frame can
    show it by chance). A frame without the grid counts for nothing rather than against, because the
    encoder's short blocks (at transients) and quiet frames (given as NaN) lack it too. Returns the
    interval of points that do so equally well, in samples: from the end of a's last frame that shows it
    to the start of b's first."""
    tau, cap = strong_db / 2, 3 * strong_db
    wa = np.where(supported(strength_a, tau), np.clip(strength_a - tau, 0.0, cap), 0.0)
    wb = np.where(supported(strength_b, tau), np.clip(strength_b - tau, 0.0, cap), 0.0)
    ends_a = starts_a + frame_length
    candidates = np.unique(np.concatenate([ends_a, starts_b]))
    sum_a = np.concatenate([[0.0], np.cumsum(wa)])
    sum_b = np.concatenate([np.cumsum(wb[::-1])[::-1], [0.0]])
    score = sum_a[np.searchsorted(ends_a, candidates, side="right")] + \
        sum_b[np.searchsorted(starts_b, candidates, side="left")]
    best = np.flatnonzero(score >= score.max() - 1e-6)
    return int(candidates[best[0]]), int(candidates[best[-1]])


# --- reading and interpreting ----------------------------------------------------------------------------

def skip_reason(ctx: Context) -> str:
    if ctx.source is None:
        return ("Not run: the recording file itself is needed (this test decodes it again at its own sample "
                "rate), and only resampled samples were given.")
    return ""


def note(ctx: Context) -> str:
    codec = ctx.media.audio_stream.codec_name if ctx.media is not None else None
    if codec == "aac":
        return ("The file is itself AAC: the grid this test sees is that of its own last encoding, so edits made "
                "before that encoding (AAC, edited, then saved as AAC again) cannot be seen by it.")
    return ("Only the AAC encoder's 1024-sample grid is looked for (not MP3's own); cuts of whole frames and cuts "
            "in silence cannot be seen.")


def track_file(ctx: Context) -> tuple[Tracker, int]:
    """Decode the source at its own rate, mono, in blocks, and follow the grid through it."""
    stream = ctx.media.audio_stream
    rate = stream.sample_rate_hz or 0
    tracker = Tracker(rate)
    decoder = PcmDecoder(ctx.source, ctx.media.audio_stream_index, "f32le", None, 1)
    pending = b""
    for block in decoder.blocks():
        block = pending + block
        usable = len(block) - len(block) % 4
        pending = block[usable:]
        tracker.feed(np.frombuffer(block[:usable], dtype=np.float32))
    tracker.finish()
    return tracker, rate


@dataclass
class Segment:
    """A stretch of cells dominated by one grid."""

    grid: int
    first_cell: int
    last_cell: int
    strong_cells: int
    contrast_db: float
    active_cells: int = 0

    @property
    def steady(self) -> float:
        """Fraction of the stretch's active cells in which its grid is strong."""
        return self.strong_cells / max(self.active_cells, 1)


def segments(tracker: Tracker) -> list[Segment]:
    """Stretches each dominated by one grid, after dropping stretches too short or weak to count (a
    dropped stretch between two of the same grid joins them)."""
    p = tracker.p
    cell_s = tracker.cell / tracker.rate
    segs: list[list] = []
    for k in range(len(tracker.level_db)):
        d = tracker._dominant(k)
        if d is None:
            continue
        c = tracker.grids[d].contrast[k]
        if segs and segs[-1][0] == d:
            segs[-1][2], segs[-1][3], segs[-1][4] = k, segs[-1][3] + 1, segs[-1][4] + c
        else:
            segs.append([d, k, k, 1, c])

    active = np.asarray(tracker.level_db) >= p["active_db"]
    active_before = np.concatenate([[0], np.cumsum(active)])

    def valid(s) -> bool:
        steady = s[3] / max(1, active_before[s[2] + 1] - active_before[s[1]])
        return (s[3] >= p["min_strong_cells"] and (s[2] - s[1] + 1) * cell_s >= p["min_stretch_s"]
                and steady >= p["min_steady_fraction"])

    while True:
        weak = [i for i, s in enumerate(segs) if not valid(s)]
        if not weak:
            break
        i = min(weak, key=lambda i: (segs[i][3], segs[i][4]))
        del segs[i]
        if 0 < i < len(segs) and segs[i - 1][0] == segs[i][0]:
            a, b = segs[i - 1], segs.pop(i)
            segs[i - 1] = [a[0], a[1], b[2], a[3] + b[3], a[4] + b[4]]
    return [Segment(s[0], s[1], s[2], s[3], s[4] / s[3], int(active[s[1] : s[2] + 1].sum())) for s in segs]


def detect(audio: Audio, ctx: Context) -> list[Finding]:
    if ctx.source is None:
        return []
    if not ctx.media.audio_stream.sample_rate_hz:
        return [whole_file_finding(
            KIND_PREFIX + "insufficient", "info", 0.0, audio.duration_s, {"grid_found": False},
            "The file does not state its sample rate, so its codec frame grid could not be examined. This says "
            "nothing either way about editing.")]
    tracker, _ = track_file(ctx)
    return interpret(tracker, audio.duration_s, ctx.media.audio_stream.codec_name or "")


def _s(tracker: Tracker, sample: int) -> float:
    return round(sample / tracker.rate, 3)


def _cell_s(tracker: Tracker) -> float:
    return tracker.cell / tracker.rate


def interpret(tracker: Tracker, duration_s: float, codec: str = "") -> list[Finding]:
    """Findings from a tracker that has seen the whole recording; `codec` is the file's own codec
    (ffprobe's name), which says whether the grid found can be the file's own encoding."""
    p = tracker.p
    n = tracker.n
    cell_s = _cell_s(tracker)
    levels = np.asarray(tracker.level_db)
    active = levels >= p["active_db"]
    frame_ms = n / tracker.rate * 1000 if tracker.rate else 0.0
    common = {"frame_samples": n, "sample_rate_hz": tracker.rate, "file_codec": codec,
              "active_s": round(float(active.sum() * cell_s), 1), "searches": tracker.searches}
    if not active.any():
        return [whole_file_finding(
            KIND_PREFIX + "insufficient", "info", 0.0, duration_s, {**common, "grid_found": False},
            "The recording is too short or too quiet for a codec frame grid to be examined, so this test could "
            "not look for cuts. This says nothing either way about editing.")]
    segs = segments(tracker)
    if not segs:
        why = ("This file is itself AAC, but its encoding left too few coefficients at zero for its frame grid to "
               "stand out (a high bit rate for the sound's bandwidth does this)." if codec == "aac" else
               "Either it never went through an AAC encoder (it was recorded uncompressed, or in another format such "
               "as MP3, Opus or AMR, whose grids this test does not look for), or it was later resampled or "
               "re-encoded in a way that erased the grid.")
        return [whole_file_finding(
            KIND_PREFIX + "insufficient", "info", 0.0, duration_s, {**common, "grid_found": False},
            f"No AAC frame grid was found in this recording. {why} Without the grid this test cannot see cuts; "
            "this says nothing either way about editing.")]
    findings = [_shift(tracker, segs[i], segs[i + 1], common) for i in range(len(segs) - 1)]
    findings = _foreign(tracker, segs, findings, common)
    findings = _merge_absent(findings, _absent(tracker, segs, common))
    main = max(segs, key=lambda s: s.strong_cells)
    g = tracker.grids[main.grid]
    seen_s = sum(s.strong_cells for s in segs) * cell_s
    strong = np.array([tracker._dominant(k) is not None for k in range(len(levels))])
    summary = {**common, "grid_found": True, "offset_samples": g.offset, "window": g.window,
               "grids": len({s.grid for s in segs}), "grid_seen_s": round(seen_s, 1),
               "grid_seen_fraction_of_active": round(float(strong[active].mean()), 3),
               "contrast_db": round(main.contrast_db, 1)}
    whole_frames = (f"It cannot show a cut that removed or inserted a whole number of frames ({n} samples, "
                    f"{frame_ms:.1f} ms, each), which leaves the grid in step, nor an edit inside a stretch where "
                    "the grid could not be seen (silence and very quiet passages).")
    if codec == "aac":
        origin = ("This file is itself AAC, so this is most probably the grid of its own (last) encoding, which is "
                  "unbroken by construction: an edited recording saved again as AAC gets a fresh, unbroken grid, and "
                  "the faint grid of any earlier encoding underneath is not looked for. So this shows only that the "
                  "file was not cut after its last encoding; it says nothing about editing before that. ")
        meaning = origin
    else:
        origin = ("The file itself is not AAC, so the grid is left from an earlier AAC encoding (such as the "
                  "phone's). ")
        meaning = origin + "No cut or insertion that shifts this grid was made after that encoding. "
    if len(segs) == 1:
        findings.insert(0, whole_file_finding(
            KIND_PREFIX + "continuous", "info", 0.0, duration_s, summary,
            f"An AAC frame grid was found (frames start at offset {g.offset} samples of every {n}) and it runs "
            f"unbroken wherever it could be seen ({seen_s:.0f} s of the recording; {main.contrast_db:.1f} dB "
            f"strong). {meaning}{whole_frames}"))
    else:
        findings.insert(0, whole_file_finding(
            KIND_PREFIX + "summary", "info", 0.0, duration_s, summary,
            f"More than one AAC frame grid was found: see the located findings. The main one starts its frames at "
            f"offset {g.offset} samples of every {n} ({seen_s:.0f} s seen in all). {origin}{whole_frames}"))
    return findings


def _cut(tracker: Tracker, a: Segment, b: Segment) -> tuple[int, tuple[int, int], bool]:
    """Estimated cut sample, the interval it lies in, and whether it was placed frame by frame."""
    t = tracker.transitions.get((a.last_cell, b.first_cell))
    if t is not None and t.cut_sample is not None:
        return t.cut_sample, t.interval_samples, True
    lo, hi = (a.last_cell + 1) * tracker.cell, b.first_cell * tracker.cell
    return (lo + hi) // 2, (lo, hi), False


def _side(tracker: Tracker, s: Segment) -> dict:
    cell_s = _cell_s(tracker)
    g = tracker.grids[s.grid]
    return {"offset_samples": g.offset, "window": g.window, "seen_s": round(s.strong_cells * cell_s, 1),
            "span_s": [round(s.first_cell * cell_s, 2), round((s.last_cell + 1) * cell_s, 2)],
            "contrast_db": round(s.contrast_db, 1), "steady_fraction": round(s.steady, 2)}


def _firm(tracker: Tracker, s: Segment) -> bool:
    """Strong and steady: seen for `concern_side_s`, at least `concern_db` strong, in most active cells."""
    p = tracker.p
    return (s.strong_cells * _cell_s(tracker) >= p["concern_side_s"] and s.contrast_db >= p["concern_db"]
            and s.steady >= p["concern_steady_fraction"])


def _where(tracker: Tracker, interval: tuple[int, int]) -> str:
    lo, hi = interval
    if hi - lo <= 6 * tracker.n:
        return f"at {_s(tracker, (lo + hi) // 2):.3f} s (give or take {1000 * (hi - lo) / 2 / tracker.rate:.0f} ms)"
    return (f"somewhere between {_s(tracker, lo):.3f} s and {_s(tracker, hi):.3f} s, where the grid could not "
            "be seen")


def _shift(tracker: Tracker, a: Segment, b: Segment, common: dict) -> Finding:
    ga, gb = tracker.grids[a.grid], tracker.grids[b.grid]
    n = tracker.n
    cell_s = _cell_s(tracker)
    cut, interval, placed = _cut(tracker, a, b)
    removed = (ga.offset - gb.offset) % n
    concern = _firm(tracker, a) and _firm(tracker, b)
    strength = ("strong and steady on both sides" if concern else
                "weaker or shorter-lived on at least one side, so this is less certain")
    return Finding(
        kind=KIND_PREFIX + "shift", start_s=_s(tracker, cut), end_s=_s(tracker, cut),
        severity="concern" if concern else "notice",
        score=round(min(1.0, min(a.contrast_db, b.contrast_db) / (2 * tracker.p["concern_db"])), 3),
        details={**common, "offset_before_samples": ga.offset, "offset_after_samples": gb.offset,
                 "removed_mod_frame_samples": removed, "inserted_mod_frame_samples": (n - removed) % n,
                 "before": _side(tracker, a), "after": _side(tracker, b),
                 "cut_interval_s": [_s(tracker, v) for v in interval], "placed_by_frames": placed},
        explanation=f"The frame grid left by an AAC encoder jumps {_where(tracker, interval)}. Before this point the "
                    f"encoder's frames start at offset {ga.offset} samples (seen over {a.strong_cells * cell_s:.0f} s, "
                    f"{a.contrast_db:.1f} dB strong); after it, at offset {gb.offset} (seen over "
                    f"{b.strong_cells * cell_s:.0f} s, {b.contrast_db:.1f} dB strong). The evidence is {strength}. "
                    "One continuous encoding keeps one grid from start to end, so the audio either side of this point "
                    "was probably not one continuous recording after it was encoded: consistent with a cut that removed "
                    f"{removed} samples plus some whole number of {n}-sample frames (or with {(n - removed) % n} samples "
                    "plus whole frames inserted), or with a join of two recordings. It cannot tell which, how much "
                    "audio is missing, or why.",
    )


def _foreign(tracker: Tracker, segs: list[Segment], shifts: list[Finding], common: dict) -> list[Finding]:
    """A grid seen only for a stretch between other grids: one finding for the stretch in place of the
    two shifts at its ends."""
    out, used = [], set()
    for i in range(1, len(segs) - 1):
        before, s, after = segs[i - 1], segs[i], segs[i + 1]
        start, start_iv, _ = _cut(tracker, before, s)
        end, end_iv, _ = _cut(tracker, s, after)
        span_s = (end - start) / tracker.rate
        if span_s > tracker.p["foreign_max_s"] or i - 1 in used:
            continue
        used.update({i - 1, i})
        g = tracker.grids[s.grid]
        concern = _firm(tracker, before) and _firm(tracker, after) and s.contrast_db >= tracker.p["concern_db"] \
            and s.steady >= tracker.p["concern_steady_fraction"]
        same = before.grid == after.grid
        around = (f"the audio either side (offset {tracker.grids[before.grid].offset})" if same else
                  f"the audio before it (offset {tracker.grids[before.grid].offset}) and after it (offset "
                  f"{tracker.grids[after.grid].offset})")
        out.append(Finding(
            kind=KIND_PREFIX + "foreign", start_s=_s(tracker, start), end_s=_s(tracker, end),
            severity="concern" if concern else "notice",
            score=round(min(1.0, s.contrast_db / (2 * tracker.p["concern_db"])), 3),
            details={**common, "offset_samples": g.offset, "window": g.window, "stretch": _side(tracker, s),
                     "before": _side(tracker, before), "after": _side(tracker, after),
                     "start_interval_s": [_s(tracker, v) for v in start_iv],
                     "end_interval_s": [_s(tracker, v) for v in end_iv]},
            explanation=f"For {span_s:.1f} s, starting {_where(tracker, start_iv)} and ending "
                        f"{_where(tracker, end_iv)}, the audio carries a different AAC frame grid (offset {g.offset} "
                        f"samples, {s.contrast_db:.1f} dB strong) from {around}. So this stretch was encoded "
                        "separately from its surroundings: consistent with material inserted from another recording "
                        "or another encoding. It cannot say where that material came from.",
        ))
    return [f for j, f in enumerate(shifts) if j not in used] + out


def _absent(tracker: Tracker, segs: list[Segment], common: dict) -> list[Finding]:
    """Stretches inside the grid's span where the audio is as loud as where the grid is usually seen,
    not clipped, and yet no grid shows: material that may not come from the same encoding."""
    p = tracker.p
    cell_s = _cell_s(tracker)
    levels = np.asarray(tracker.level_db)
    clipped = np.asarray(tracker.clipped, dtype=bool)
    clipped = clipped | np.concatenate([[False], clipped[:-1]]) | np.concatenate([clipped[1:], [False]])
    active = (levels >= p["active_db"]) & ~clipped
    strong = np.array([tracker._dominant(k) is not None for k in range(len(levels))])
    if not strong.any():
        return []
    typical_db = float(np.median(levels[strong]))
    out = []
    first, last = segs[0].first_cell, segs[-1].last_cell
    k = first
    while k <= last:
        if strong[k]:
            k += 1
            continue
        j = k
        while j <= last and not strong[j]:
            j += 1
        run = np.arange(k, j)
        loud = run[active[run]]
        k = j
        if (len(run) * cell_s < p["absent_min_s"] or len(loud) < p["absent_min_active_cells"]
                or np.median(levels[loud]) < typical_db):
            continue
        # how often the grid shows elsewhere, within its span, in audio at least as loud as it typically is
        elsewhere = np.ones(len(levels), dtype=bool)
        elsewhere[run] = False
        elsewhere &= active & (levels >= typical_db)
        elsewhere[: first] = elsewhere[last + 1 :] = False
        if elsewhere.sum() < 20:
            continue
        seen = float(strong[elsewhere].mean())
        if seen < p["absent_seen_fraction"]:
            continue
        start_s, end_s = round(run[0] * cell_s, 3), round((run[-1] + 1) * cell_s, 3)
        out.append(Finding(
            kind=KIND_PREFIX + "absent", start_s=start_s, end_s=end_s, severity="notice",
            score=round(min(1.0, len(loud) * cell_s / 20), 3),
            details={**common, "stretch_s": round(end_s - start_s, 2), "loud_cells": int(len(loud)),
                     "level_db": round(float(np.median(levels[loud])), 1), "typical_level_db": round(typical_db, 1),
                     "seen_elsewhere_fraction": round(seen, 3)},
            explanation=f"From {start_s:.1f} s to {end_s:.1f} s the AAC frame grid found in the rest of the recording "
                        f"cannot be seen, although the audio here is as loud as where the grid shows "
                        f"{100 * seen:.0f}% of the time elsewhere. This stretch may not come from the same encoding "
                        "(for example material inserted from an uncompressed or resampled source), but the grid can "
                        "also fade for other reasons, such as processing applied to this stretch alone.",
        ))
    return out


def _merge_absent(findings: list[Finding], absent: list[Finding]) -> list[Finding]:
    """A shift placed somewhere inside a stretch without any grid, where the audio is loud enough to show
    one, becomes one finding for that stretch: material without the grid (never encoded, or resampled)
    put between two pieces of the encoded recording."""
    out = list(findings)
    for gap in absent:
        inside = [f for f in out if f.kind == KIND_PREFIX + "shift"
                  and gap.start_s - 1.0 <= f.details["cut_interval_s"][0]
                  and f.details["cut_interval_s"][1] <= gap.end_s + 1.0]
        if len(inside) != 1:
            out.append(gap)
            continue
        shift = inside[0]
        out.remove(shift)
        d = shift.details
        # the shift's interval, placed frame by frame, runs from the old grid's last frame to the new one's first
        start_s, end_s = d["cut_interval_s"] if d["placed_by_frames"] else (gap.start_s, gap.end_s)
        out.append(Finding(
            kind=KIND_PREFIX + "foreign", start_s=start_s, end_s=end_s, severity=shift.severity,
            score=shift.score,
            details={**d, **gap.details, "offset_samples": None, "stretch": None},
            explanation=f"From {start_s:.2f} s to {end_s:.2f} s no AAC frame grid can be seen, although the "
                        "audio is as loud as where the grid shows almost everywhere else; before this stretch the "
                        f"frames start at offset {d['offset_before_samples']} samples (seen over "
                        f"{d['before']['seen_s']:.0f} s) and after it at offset {d['offset_after_samples']} (seen over "
                        f"{d['after']['seen_s']:.0f} s). So the audio either side was probably not one continuous "
                        "encoding, and the stretch between may not come from that encoding at all: consistent with "
                        "material inserted from an uncompressed or resampled source, or with a join hidden by "
                        "processing of this stretch. It cannot tell which, nor where the material came from.",
        ))
    return sorted(out, key=lambda f: f.start_s)
