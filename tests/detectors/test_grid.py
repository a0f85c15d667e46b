"""ENF time check against a grid record generated here, with a recording whose hum follows it."""

from datetime import datetime, timedelta

import numpy as np
import pytest
from scipy import signal

from evidence import enf_match
from evidence.detectors import Context
from evidence.detectors.grid import PARAMETERS, detect, read_grid_csv
from evidence.errors import InputError
from evidence.media import Audio

RATE = 16000
GRID_START = datetime(2025, 5, 1, 9, 0, 0)


def grid_frequency(seconds, seed=0):
    """A grid-like frequency: excursions of about ±0.02 Hz that last a minute or so (a first-order
    autoregressive process, as the grid's balancing leaves them), a slower wander, and the few-mHz
    second-to-second fluctuation real records show."""
    rng = np.random.default_rng(seed)
    minutes = signal.lfilter([1.0], [1.0, -np.exp(-1 / 60)], rng.normal(0, 0.02 * np.sqrt(1 - np.exp(-2 / 60)), seconds))
    walk = np.convolve(np.cumsum(rng.normal(0, 0.004, seconds)), np.ones(20) / 20, mode="same")
    fast = np.convolve(rng.normal(0, 0.004, seconds), np.ones(3) / 3, mode="same")
    return 50 + minutes + 0.05 * walk / (np.abs(walk).max() + 1e-9) + fast


def write_csv(path, freq, zero_at=(), skip=()):
    lines = ["dtm,f"]
    for i, f in enumerate(freq):
        if i in skip:
            continue
        lines.append(f"{GRID_START + timedelta(seconds=i):%Y-%m-%d %H:%M:%S},{0.0 if i in zero_at else f:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def hum_following(freq_per_s, level_db=-40, seed=1):
    """Hum whose frequency follows `freq_per_s` (one value per second), plus noise."""
    f = np.repeat(freq_per_s, RATE)
    phase = 2 * np.pi * np.cumsum(f) / RATE
    hum = 10 ** (level_db / 20) * (np.cos(phase) + 0.6 * np.cos(2 * phase))
    return (hum + np.random.default_rng(seed).normal(0, 10 ** (-62 / 20), len(f))).astype(np.float32)


@pytest.fixture(scope="module")
def grid_csv(tmp_path_factory):
    freq = grid_frequency(3 * 3600)
    path = write_csv(tmp_path_factory.mktemp("grid") / "grid.csv", freq, zero_at=set(range(500, 520)),
                     skip=set(range(900, 960)))
    return path, freq


def test_csv_gaps_and_zeros_are_masked(grid_csv):
    path, freq = grid_csv
    start, track = read_grid_csv(path)
    assert start.isoformat() == "2025-05-01T09:00:00+00:00"
    assert len(track) == len(freq)
    assert np.isnan(track[500:520]).all() and np.isnan(track[900:960]).all()
    assert np.allclose(track[:500], np.round(freq[:500], 3))


def test_recording_is_dated_to_the_second(grid_csv):
    path, freq = grid_csv
    offset_s = 4321
    audio = Audio(hum_following(freq[offset_s : offset_s + 600]), RATE)
    (match,) = detect(audio, Context(media=None, grid_csv=str(path)))
    assert match.kind == "enf-grid-match"
    matched = datetime.fromisoformat(match.details["matched_start_utc"]).replace(tzinfo=None)
    assert abs((matched - (GRID_START + timedelta(seconds=offset_s))).total_seconds()) <= 1
    assert match.details["correlation"] >= 0.95
    assert match.details["chance_of_wrong_match"] <= PARAMETERS["max_chance"]
    assert match.details["higher_elsewhere"] == 0 and match.details["stretches_elsewhere"] >= 8
    figure = match.details["figure"]
    assert len(figure["recording_hz"]) == len(figure["grid_hz"]) > 100
    mine, theirs = np.array(figure["recording_hz"], dtype=float), np.array(figure["grid_hz"], dtype=float)
    both = np.isfinite(mine) & np.isfinite(theirs)
    assert np.corrcoef(mine[both], theirs[both])[0, 1] >= 0.95


def test_claimed_date_that_disagrees_is_a_concern(grid_csv):
    path, freq = grid_csv
    audio = Audio(hum_following(freq[2000:2300]), RATE)
    found = detect(audio, Context(media=None, grid_csv=str(path), claimed_date="2025-05-01T15:00+00:00"))
    assert [f.kind for f in found] == ["enf-grid-match", "enf-grid-claim-mismatch"]
    assert found[1].severity == "concern"
    agreeing = detect(audio, Context(media=None, grid_csv=str(path), claimed_date="2025-05-01"))
    assert [f.kind for f in agreeing] == ["enf-grid-match"]


def test_short_recording_is_insufficient(grid_csv):
    path, freq = grid_csv
    (finding,) = detect(Audio(hum_following(freq[100:160]), RATE), Context(media=None, grid_csv=str(path)))
    assert finding.kind == "enf-grid-insufficient" and finding.severity == "info"


def test_hum_from_another_time_does_not_match(grid_csv):
    path, _ = grid_csv
    other = grid_frequency(400, seed=9)
    (finding,) = detect(Audio(hum_following(other[:300]), RATE), Context(media=None, grid_csv=str(path)))
    assert finding.kind == "enf-grid-no-match"


def test_correlations_on_known_series():
    rng = np.random.default_rng(3)
    grid = rng.normal(0, 1, 1000)
    recording = grid[400:500].copy()
    recording[10:20] = np.nan
    r, count = enf_match.correlations(recording, enf_match.Record(grid, window_s=1), 50)
    assert (int(np.argmax(r)), int(count[400])) == (400, 90) and r[400] == pytest.approx(1.0)


def test_correlations_ignore_offsets_with_little_overlap():
    """Beside a long gap in the record only a few seconds overlap, and a few seconds can correlate
    perfectly by chance; such offsets must not win or count as the next best."""
    rng = np.random.default_rng(4)
    grid = np.full(2000, np.nan)
    grid[:1000] = rng.normal(0, 1, 1000)
    recording = rng.normal(0, 1, 200)
    recording[:197] = np.nan  # 3 valid seconds at the end
    grid[1500:1503] = recording[197:] * 2 + 1  # ...which correlate perfectly at one offset
    record = enf_match.Record(grid, window_s=1)
    assert enf_match.correlations(recording, record, 2)[0].max() == pytest.approx(1.0)
    assert enf_match.correlations(recording, record, 180)[0].max() == -1.0


def test_a_folder_of_monthly_files_is_one_record(grid_csv, tmp_path):
    """NESO's files as downloaded: one per month, a gap between them, one in another timestamp form."""
    _, freq = grid_csv
    first = tmp_path / "f-2025-05.csv"
    write_csv(first, freq[:4000])
    lines = ["dtm,f"] + [f"{(GRID_START + timedelta(seconds=i)).isoformat()}+00:00,{freq[i]:.3f}"
                         for i in range(4100, len(freq))]
    (tmp_path / "f-2025-06.csv").write_text("\n".join(lines) + "\n")
    start, track = read_grid_csv(tmp_path)
    assert start.isoformat() == "2025-05-01T09:00:00+00:00" and len(track) == len(freq)
    assert np.isnan(track[4000:4100]).all()
    assert np.allclose(track[:4000], np.round(freq[:4000], 3)) and np.allclose(track[4100:], np.round(freq[4100:], 3))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no .csv"):
        read_grid_csv(empty)


def test_the_claimed_time_is_searched_first(grid_csv):
    path, freq = grid_csv
    audio = Audio(hum_following(freq[6000:6300]), RATE)
    claimed = (GRID_START + timedelta(seconds=6000, minutes=5)).strftime("%Y-%m-%dT%H:%M+00:00")
    (match,) = detect(audio, Context(media=None, grid_csv=str(path), claimed_date=claimed))
    assert match.kind == "enf-grid-match" and match.details["searched"].startswith("0.25 h either side")
    # Searching a window rather than the whole record makes a chance match rarer.
    (whole,) = detect(audio, Context(media=None, grid_csv=str(path)))
    assert match.details["chance_of_wrong_match"] < whole.details["chance_of_wrong_match"]


def test_notes_near_the_hum_frequencies_are_not_taken_for_hum(grid_csv):
    """Music without hum: notes that come and go at 49.5, 99 and 148.5 Hz, inside the bands searched."""
    path, _ = grid_csv
    rng = np.random.default_rng(7)
    out = np.zeros(300 * RATE)
    at = 0
    while at < len(out):
        length = min(int(rng.uniform(0.4, 2.5) * RATE), len(out) - at)
        t = np.arange(length) / RATE
        f0 = rng.choice([49.5, 49.7, 49.9, 50.3]) * rng.choice([1, 2, 3])
        out[at : at + length] = 0.05 * np.exp(-t / 1.5) * np.sin(2 * np.pi * f0 * t)
        at += length + int(rng.uniform(0, 0.3) * RATE)
    noisy = out + rng.normal(0, 10 ** (-62 / 20), len(out))
    (finding,) = detect(Audio(noisy.astype(np.float32), RATE), Context(media=None, grid_csv=str(path)))
    assert finding.kind == "enf-grid-insufficient", finding.details


@pytest.mark.parametrize("text, reason", [("time,freq\n", "expected the header"),
                                          ("dtm,f\nyesterday,50\n", "line 2"), ("dtm,f\n", "no rows")])
def test_bad_csv_is_refused(tmp_path, text, reason):
    path = tmp_path / "g.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=reason):
        read_grid_csv(path)


def test_record_too_short_for_the_recording_says_so(grid_csv, tmp_path):
    _, freq = grid_csv
    short = write_csv(tmp_path / "short.csv", freq[:120])
    (finding,) = detect(Audio(hum_following(freq[:300]), RATE), Context(media=None, grid_csv=str(short)))
    assert finding.kind == "enf-grid-no-match" and "too short, or has too many gaps" in finding.explanation
