"""A month of grid frequency, second by second, from a model fitted to real mains recordings.

Real grid data here covers only 7.4 hours (the 40 ENF-WHU reference recordings, 8-16 minutes each), so
the 30-day records the benchmark searches are made by an autoregressive model fitted to their
per-second frequency: its spectrum up to periods of a few minutes and the size of its excursions are the
real ones; wander slower than the recordings are long is not in the data and not in the model (a real
month has larger slow swings, which make chance matches of short recordings likelier, not less).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

ORDER = 30
"""AR order: 30 s of memory, enough for the spectrum's shape within a recording's length."""


def fit(tracks: list[np.ndarray], order: int = ORDER) -> tuple[np.ndarray, float, float]:
    """(AR coefficients a[1..order], innovation standard deviation, mean frequency) by least squares
    over every file's per-second frequency, each file about its own mean."""
    rows, targets = [], []
    for track in tracks:
        x = track - track.mean()
        lagged = np.lib.stride_tricks.sliding_window_view(x, order + 1)
        rows.append(lagged[:, :-1][:, ::-1])
        targets.append(lagged[:, -1])
    design, target = np.concatenate(rows), np.concatenate(targets)
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coefficients
    return coefficients, float(residual.std()), float(np.mean([t.mean() for t in tracks]))


def simulate(rng: np.random.Generator, seconds: int, coefficients: np.ndarray, innovation_std: float,
             mean_hz: float) -> np.ndarray:
    """`seconds` of the fitted process (Hz), after a burn-in so that it starts in its steady state."""
    burn = 10 * len(coefficients)
    noise = rng.normal(0, innovation_std, seconds + burn)
    x = signal.lfilter([1.0], np.concatenate([[1.0], -coefficients]), noise)
    return mean_hz + x[burn:]
