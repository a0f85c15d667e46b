"""CTranslate2 Whisper model -> openai-whisper checkpoint, losslessly (the same fp16 weights).

A CTranslate2 `model.bin` (binary version 6) is a list of named arrays; Whisper's self-attention
query/key/value are fused in one matrix and the decoder's cross-attention key/value in another. They
are split back into openai-whisper's names; the key projections have no bias in openai-whisper (the
fused bias holds zeros there). The result loads with `whisper.load_model(path)`.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np

from evidence.errors import InputError

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
SUPPORTED_BINARY_VERSION = 6


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """The named arrays of a CTranslate2 model.bin (aliases resolved)."""
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        n = take("H")
        text = data[pos : pos + n - 1].decode("utf-8")
        pos += n
        return text

    try:
        version = take("I")
        if version != SUPPORTED_BINARY_VERSION:
            raise InputError(f"{path}: CTranslate2 binary version {version} is not supported "
                             f"(this tool reads version {SUPPORTED_BINARY_VERSION})")
        spec = string()
        if spec != "WhisperSpec":
            raise InputError(f"{path}: a {spec} model, not a Whisper model")
        take("I")
        arrays: dict[str, np.ndarray] = {}
        for _ in range(take("I")):
            name = string()
            shape = [take("I") for _ in range(take("B"))]
            dtype = DTYPES.get(take("B"))
            size = take("I")
            if dtype is None:
                raise InputError(f"{path}: {name} has a data type this converter does not read")
            arrays[name] = np.frombuffer(data, dtype=dtype, count=size // np.dtype(dtype).itemsize,
                                         offset=pos).reshape(shape)
            pos += size
        for _ in range(take("I")):
            alias, target = string(), string()
            arrays[alias] = arrays[target]
    except struct.error:
        raise InputError(f"{path}: truncated or not a CTranslate2 model.bin") from None
    return arrays


def _layers(arrays: dict, side: str) -> int:
    return len({k.split("/")[1] for k in arrays if re.match(rf"{side}/layer_\d+/", k)})


def state_dict(arrays: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """openai-whisper's ModelDimensions (as a dict) and state dict (numpy arrays) from CT2 arrays."""
    if any(a.dtype == np.int8 and a.ndim == 2 for a in arrays.values()):
        raise InputError("this CTranslate2 model is int8-quantised; convert a float16 or float32 model")
    n_state = arrays["encoder/conv1/weight"].shape[0]
    text_state = arrays["decoder/embeddings/weight"].shape[1]
    dims = {
        "n_mels": int(arrays["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(arrays["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(n_state),
        "n_audio_head": int(arrays["encoder/num_heads"]),
        "n_audio_layer": _layers(arrays, "encoder"),
        "n_vocab": int(arrays["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(arrays["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(text_state),
        "n_text_head": int(arrays["decoder/num_heads"]),
        "n_text_layer": _layers(arrays, "decoder"),
    }
    sd: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = arrays[f"{src}/weight"]
        sd[f"{dst}.bias"] = arrays[f"{src}/bias"]

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = arrays[f"{src}/gamma"]
        sd[f"{dst}.bias"] = arrays[f"{src}/beta"]

    def split(dst: str, names: list[str], src: str, width: int) -> None:
        weight, bias = arrays[f"{src}/weight"], arrays[f"{src}/bias"]
        for n, name in enumerate(names):
            sd[f"{dst}.{name}.weight"] = weight[n * width : (n + 1) * width]
            if name != "key":
                sd[f"{dst}.{name}.bias"] = bias[n * width : (n + 1) * width]

    def block(dst: str, src: str, width: int, cross: bool) -> None:
        split(f"{dst}.attn", ["query", "key", "value"], f"{src}/self_attention/linear_0", width)
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
            split(f"{dst}.cross_attn", ["key", "value"], f"{src}/attention/linear_1", width)
            linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    sd["encoder.positional_embedding"] = arrays["encoder/position_encodings/encodings"]
    for i in range(dims["n_audio_layer"]):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", n_state, cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    sd["decoder.token_embedding.weight"] = arrays["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = arrays["decoder/position_encodings/encodings"]
    for i in range(dims["n_text_layer"]):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", text_state, cross=True)
    norm("decoder.ln", "decoder/layer_norm")
    return dims, sd


def alignment_heads(model_dir: Path) -> list[list[int]]:
    """The cross-attention heads used for word timestamps, from the CT2 model's config.json."""
    config = model_dir / "config.json"
    if not config.is_file():
        return []
    return json.loads(config.read_text()).get("alignment_heads", [])


def checkpoint(model_dir: str | Path) -> dict:
    """An openai-whisper checkpoint dict (torch tensors) from a CTranslate2 Whisper model folder."""
    import torch

    model_dir = Path(model_dir)
    weights = model_dir / "model.bin"
    if not weights.is_file():
        raise InputError(f"{model_dir}: not a CTranslate2 Whisper model directory (no model.bin)")
    dims, sd = state_dict(read_ct2(weights))
    return {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(np.array(v)) for k, v in sd.items()},
        "alignment_heads": alignment_heads(model_dir),
    }
