"""One query through an ONNX sentence-transformers model without the library's batching layer.

`SentenceTransformer.encode` is built for batches: for a single short query its bookkeeping (length
sorting, torch tensors around the ONNX session, pooling and normalising in torch) costs about
3 ms on top of the model's 10 ms here. For the usual stack (Transformer, mean Pooling, optional
Normalize) the same vector comes straight from the tokenizer, the ONNX Runtime session and two
numpy lines. The lean path is only used when it gives sentence-transformers' own vectors on
probe sentences; any other model keeps the library's path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
QueryEncoder = Callable[[str], Vector]

PROBES = (
    "sparse attention for long context",
    "  Graph Neural Networks: a survey of methods and applications  ",
    "Schrödinger équations, 3-D lattices & ΛCDM (z > 2)",
    "x",
)


def lean_query_encoder(model: Any) -> QueryEncoder | None:
    """A normalised single-query encoder for `model`, or None where it would not give the very
    vectors that `model.encode(..., normalize_embeddings=True)` gives."""
    parts = _mean_pooled_onnx_parts(model)
    if parts is None:
        return None
    encode = _encoder_of(*parts)
    expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    for probe, vector in zip(PROBES, expected, strict=True):
        if not np.allclose(encode(probe), vector, atol=1e-5):
            logger.info("the lean query path differs from sentence-transformers; not used")
            return None
    return encode


def _mean_pooled_onnx_parts(model: Any) -> tuple[Any, Any, int, bool] | None:
    """(tokenizer, ONNX session, max length, lowercase) when `model` is Transformer + mean
    Pooling (+ Normalize) on ONNX Runtime; None otherwise."""
    modules = list(model)
    names = [type(module).__name__ for module in modules]
    if names[:2] != ["Transformer", "Pooling"] or any(n != "Normalize" for n in names[2:]):
        return None
    if not _is_mean_pooling(modules[1].get_config_dict()):
        return None
    transformer = modules[0]
    session = getattr(getattr(transformer, "auto_model", None), "model", None)
    if session is None or not hasattr(session, "run") or not hasattr(session, "get_inputs"):
        return None  # a torch model: its encode is the path to use
    lowercase = bool(getattr(transformer, "do_lower_case", False))
    return transformer.tokenizer, session, int(transformer.max_seq_length), lowercase


def _is_mean_pooling(config: dict[str, Any]) -> bool:
    if "pooling_mode" in config:
        return bool(config["pooling_mode"] == "mean")
    modes = {key: value for key, value in config.items() if key.startswith("pooling_mode_")}
    return bool(modes.get("pooling_mode_mean_tokens")) and sum(map(bool, modes.values())) == 1


def _encoder_of(tokenizer: Any, session: Any, max_length: int, lowercase: bool) -> QueryEncoder:
    inputs = [node.name for node in session.get_inputs()]
    outputs = [node.name for node in session.get_outputs()]
    hidden = "last_hidden_state" if "last_hidden_state" in outputs else outputs[0]

    def encode(text: str) -> Vector:
        text = text.strip().lower() if lowercase else text.strip()
        features = tokenizer([text], truncation=True, max_length=max_length, return_tensors="np")
        mask = features["attention_mask"].astype(np.int64)
        feeds = {
            name: features[name].astype(np.int64)
            if name in features
            else np.zeros_like(mask)  # token_type_ids where the tokenizer gives none
            for name in inputs
        }
        tokens = session.run([hidden], feeds)[0][0]  # (tokens, dimension)
        weights = mask[0, :, None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=0) / max(float(weights.sum()), 1e-9)
        vector: Vector = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        return vector

    return encode
