"""Robust audio sub-fingerprints (Haitsma and Kalker, "A highly robust audio fingerprinting system",
ISMIR 2002): one 32-bit value per hop of a mono signal, which survives lossy re-encoding.

The signal (mono, `rate_hz`) is cut into frames of `frame` samples, `hop` samples apart, each
Hann-windowed. Each frame's power spectrum is summed into the bands between `band_edges_hz` (33
log-spaced bands give 32 differences between adjacent bands). Bit m of sub-fingerprint n is set where
the energy difference between bands m and m+1 grew from frame n to frame n+1:

    E(n, m) - E(n, m+1) - (E(n-1, m) - E(n-1, m+1)) > 0,

taken between frames n+1 and n, so sub-fingerprint n spans two frames starting at n*hop and
(n+1)*hop. The same audio gives the same bits however it was stored; lossy coding flips some (the
share of differing bits, the bit error rate, is near 0 for the same audio, up to about 0.2 after
lossy re-encoding, about 0.5 for unrelated audio).

Pure functions over numpy arrays; evidence.compare and the duplicate-passage detector both use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

RATE_HZ = 8_000
"""Sample rate of the fingerprinted signal, in Hz."""
FRAME = 2048
"""Samples per analysis frame (0.256 s at RATE_HZ): long frames make the bits robust to coding noise."""
HOP = 128
"""Samples between frames (0.016 s at RATE_HZ): the time resolution of every boundary."""
FRAME_S = FRAME / RATE_HZ
HOP_S = HOP / RATE_HZ
BAND_EDGES_HZ = np.geomspace(300.0, 2000.0, 34)
"""Edges in Hz of 33 log-spaced bands between 300 and 2000 Hz: 32 band differences, one bit each."""
BLOCK_FRAMES = 4096
"""Frames whose spectra are taken at once: bounds the memory of the spectra, not the result."""
FAST_BLOCK_FRAMES = 512
"""The same for the scipy.fft path, small enough (4 MiB of frames) to stay in the processor's cache."""

_WEIGHTS = np.uint64(1) << np.arange(32, dtype=np.uint64)


def band_matrix(frame: int = FRAME, rate_hz: int = RATE_HZ, band_edges_hz: np.ndarray = BAND_EDGES_HZ) -> np.ndarray:
    """(frame // 2 + 1, bands) matrix of 0 and 1 that sums the bins of a `frame`-sample spectrum at
    `rate_hz` Hz into the bands between `band_edges_hz` (Hz); bins outside every band are dropped."""
    freqs_hz = np.fft.rfftfreq(frame, 1 / rate_hz)
    index = np.digitize(freqs_hz, band_edges_hz) - 1
    matrix = np.zeros((len(freqs_hz), len(band_edges_hz) - 1), dtype=np.float32)
    inside = (index >= 0) & (index < matrix.shape[1])
    matrix[np.nonzero(inside)[0], index[inside]] = 1.0
    return matrix


def frame_count(n_samples: int, frame: int = FRAME, hop: int = HOP) -> int:
    """Analysis frames in `n_samples` samples (each `frame` samples long, `hop` apart)."""
    return 0 if n_samples < frame else 1 + (n_samples - frame) // hop


def band_energies(samples: np.ndarray, rate_hz: int = RATE_HZ, frame: int = FRAME, hop: int = HOP,
                  band_edges_hz: np.ndarray = BAND_EDGES_HZ, fft_workers: int | None = None) -> np.ndarray:
    """(frames, bands) float32 energy of each Hann-windowed `frame`-sample frame of `samples` (mono,
    `rate_hz` Hz), frames `hop` samples apart, in the bands between `band_edges_hz` (Hz).

    `fft_workers` None takes the spectra with numpy.fft, the reference that evidence.compare has always
    used; a number takes them with scipy.fft on that many threads, about three times as fast, whose
    float rounding differs and so can flip a bit whose energy difference is within rounding of zero."""
    n = frame_count(len(samples), frame, hop)
    bands = band_matrix(frame, rate_hz, band_edges_hz)
    energy = np.empty((n, bands.shape[1]), dtype=np.float32)
    if n == 0:
        return energy
    frames = sliding_window_view(samples, frame)[::hop]
    window = np.hanning(frame).astype(np.float32)
    if fft_workers is None:
        for start in range(0, n, BLOCK_FRAMES):
            block = frames[start : start + BLOCK_FRAMES] * window
            spectrum = np.fft.rfft(block, axis=1)
            energy[start : start + len(block)] = (spectrum.real**2 + spectrum.imag**2).astype(np.float32) @ bands
        return energy
    # The fast path: blocks small enough to stay in the processor's cache, only the bins inside the
    # bands squared, and each band's bins summed (they are contiguous).
    index = np.argmax(bands, axis=1)
    used = np.flatnonzero(bands.any(axis=1))
    lo, hi = int(used[0]), int(used[-1]) + 1
    starts = np.flatnonzero(np.diff(np.r_[-1, index[lo:hi]])) if len(used) == hi - lo else None
    if starts is None or len(starts) != bands.shape[1]:
        starts = None  # a band with no bin: sum with the matrix
    buffer = np.empty((FAST_BLOCK_FRAMES, frame), dtype=np.float32)
    for start in range(0, n, FAST_BLOCK_FRAMES):
        count = min(FAST_BLOCK_FRAMES, n - start)
        block = np.multiply(frames[start : start + count], window, out=buffer[:count])
        spectrum = scipy.fft.rfft(block, axis=1, workers=fft_workers)[:, lo:hi]
        power = spectrum.real**2 + spectrum.imag**2
        energy[start : start + count] = (np.add.reduceat(power, starts, axis=1) if starts is not None
                                         else power @ bands[lo:hi])
    return energy


def bits_of(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From (frames, 33) band energies: one uint32 per pair of consecutive frames (len(energy) - 1
    values) and, per value and bit, the size of the energy-difference change that set or cleared the
    bit (float32, in the energies' units): a bit with a small margin is the one coding noise flips."""
    diff = energy[:, :-1] - energy[:, 1:]
    change = diff[1:] - diff[:-1]
    if change.shape[1] != 32:
        raise ValueError(f"{change.shape[1] + 1} bands give {change.shape[1]} bits, not 32")
    # Bit m is band difference m: packed little-endian, four bytes a value.
    values = np.packbits(change > 0, axis=1, bitorder="little").view("<u4")[:, 0].astype(np.uint32)
    return values, np.abs(change, out=change)


def subfingerprints(samples: np.ndarray, rate_hz: int = RATE_HZ, frame: int = FRAME, hop: int = HOP,
                    band_edges_hz: np.ndarray = BAND_EDGES_HZ, fft_workers: int | None = None) -> np.ndarray:
    """One uint32 per `hop` samples of `samples` (mono, `rate_hz` Hz; frames of `frame` samples, bands
    between `band_edges_hz` Hz, which must be 34 edges): bit m is set where the energy difference
    between bands m and m+1 grew from the previous frame. Fewer than frame + hop samples give none."""
    if len(samples) < frame + hop:
        return np.zeros(0, dtype=np.uint32)
    energy = band_energies(samples, rate_hz, frame, hop, band_edges_hz, fft_workers)
    diff = energy[:, :-1] - energy[:, 1:]
    bits = (diff[1:] - diff[:-1]) > 0
    return (bits.astype(np.uint64) @ _WEIGHTS).astype(np.uint32)


def frame_time_s(index: np.ndarray | int, rate_hz: int = RATE_HZ, frame: int = FRAME,
                 hop: int = HOP) -> np.ndarray | float:
    """The time in seconds of the boundary before sub-fingerprint `index`: it spans two analysis frames
    starting at index*hop and (index+1)*hop, so consecutive values' centres are `hop` apart and their
    midpoint is here."""
    return index * (hop / rate_hz) + (frame / rate_hz) / 2


def stream(blocks: Iterable[np.ndarray], rate_hz: int = RATE_HZ, frame: int = FRAME, hop: int = HOP,
           band_edges_hz: np.ndarray = BAND_EDGES_HZ, fft_workers: int | None = None
           ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Sub-fingerprints of a long signal given as consecutive blocks of samples (mono, `rate_hz` Hz),
    with memory bounded by the block size: yields (values, margins) as bits_of does, which joined end
    to end are those of the whole signal (equal to subfingerprints' up to float rounding)."""
    carry = np.zeros(0, dtype=np.float32)
    for block in blocks:
        buffer = np.concatenate((carry, np.asarray(block, dtype=np.float32)))
        n = frame_count(len(buffer), frame, hop)
        if n < 2:
            carry = buffer
            continue
        values, margins = bits_of(band_energies(buffer, rate_hz, frame, hop, band_edges_hz, fft_workers))
        # The next buffer starts at the last frame used, which pairs with the next one.
        carry = buffer[(n - 1) * hop :].copy()
        yield values, margins
