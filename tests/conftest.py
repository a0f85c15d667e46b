"""Shared test fixtures: recordings generated once per session by fixtures/generate.py, the real
two-speaker call from ../shared/data, and one full pipeline run reused by the read-only tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.generate import make_all  # noqa: E402

SHARED_DATA = Path(os.environ.get("EVIDENCE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fx(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def real_speech() -> Path:
    folder = SHARED_DATA / "real-speech"
    if not (folder / "sample.wav").is_file():
        pytest.fail(f"real speech data not found at {folder}; set EVIDENCE_SHARED_DATA to the shared/data folder")
    return folder


@pytest.fixture(scope="session")
def speech_report(fx):
    """One full run (analysis and transcription) of the generated spoken sentence."""
    from evidence import pipeline

    return pipeline.run(fx["speech"])
