"""Nothing leaves the machine, and outputs are private to their owner."""

import socket
import stat

import pytest

from evidence import pipeline
from evidence.outputs import artifacts, write_file, write_folder


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection or resolve a name fails loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_whole_pipeline_runs_with_the_network_blocked(no_network, fx, tmp_path):
    report = pipeline.run(fx["speech"])
    assert report.transcript.segments
    write_folder(tmp_path / "out", artifacts(report))
    assert (tmp_path / "out" / "bundle.pdf").stat().st_size > 0


def test_outputs_are_private(fx, tmp_path):
    report = pipeline.run(fx["speech"], pipeline.RunOptions(transcribe=None))
    for path in write_folder(tmp_path / "out", artifacts(report)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    single = write_file(tmp_path / "one.json", b"{}")
    assert stat.S_IMODE(single.stat().st_mode) == 0o600


def test_command_runs_in_a_namespace_without_network(fx, tmp_path):
    """The real command, ffmpeg and fpcalc included, inside a network namespace with no interfaces up."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs unshare and the right to use it)")
    exe = Path(sys.executable).with_name("evidence")
    proc = subprocess.run([unshare, "-n", str(exe), "run", str(fx["speech"]), "-o", str(tmp_path / "out"), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "transcript.txt").read_text().count("court") >= 1
