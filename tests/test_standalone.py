"""The suite's own guard: a test that reads beside the repository is caught."""

from pathlib import Path

from tests.conftest import ROOT, is_outside_repository


def test_a_sibling_folder_counts_as_outside():
    # A fixed root: a clone inside the temporary folder (as .ci/run makes) has its siblings allowed.
    root = Path("/srv/work/evidence")
    assert is_outside_repository(root.parent / "shared" / "data" / "real-speech" / "sample.wav", root=root)
    assert is_outside_repository(root.parent / "other-checkout", root=root)


def test_the_repository_and_temporary_files_do_not(tmp_path):
    assert not is_outside_repository(ROOT / "tests" / "data" / "real-speech" / "sample.wav")
    assert not is_outside_repository(tmp_path / "x.wav")
    assert not is_outside_repository(Path("/usr/share/fonts"))


def test_a_repository_at_the_filesystem_root_is_not_checked():
    assert not is_outside_repository("/usr/bin/ffmpeg", root=Path("/evidence"))
