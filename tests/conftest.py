"""Shared test fixtures: recordings generated once per session by fixtures/generate.py, the real
two-speaker call in tests/data, and one full pipeline run reused by the read-only tests.

Everything a test reads must be in the repository or made by the tests: someone who clones it has
nothing beside it. An audit hook records every file or folder a test opens in the repository's
parent folder outside the repository itself, and such a test fails."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.generate import make_all  # noqa: E402

REAL_SPEECH = ROOT / "tests" / "data" / "real-speech"
ALLOWED_BESIDE = [Path(tempfile.gettempdir()).resolve(), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]


def is_outside_repository(path: str | os.PathLike, root: Path = ROOT) -> bool:
    """Whether `path` lies beside the repository `root` (in its parent folder, not inside it), where a
    fresh clone has nothing. The temporary folder and Python's own installation are allowed."""
    p = Path(os.path.abspath(os.fsdecode(path)))
    parent = root.parent
    if parent == Path(p.anchor) or not p.is_relative_to(parent) or p.is_relative_to(root):
        return False
    return not any(p.is_relative_to(allowed) for allowed in ALLOWED_BESIDE)


_outside_reads: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        if is_outside_repository(args[0]):
            _outside_reads.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def reads_only_the_repository():
    first = len(_outside_reads)
    yield
    if len(_outside_reads) > first:
        pytest.fail(f"read outside the repository: {sorted(set(_outside_reads[first:]))[:5]}")


@pytest.fixture(scope="session")
def fx(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def real_speech() -> Path:
    return REAL_SPEECH


@pytest.fixture(scope="session")
def speech_report(fx):
    """One full run (analysis and transcription) of the generated spoken sentence."""
    from evidence import pipeline

    return pipeline.run(fx["speech"])
