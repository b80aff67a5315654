"""What a sentence-transformers model folder is made of, read from its own config files.

papersift runs a model itself (tokenizer, ONNX Runtime, pooling in numpy) when it is the usual
stack: a Transformer, then mean or CLS pooling, then optionally L2 normalisation. Any other stack
is run by sentence-transformers on torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"


@dataclass(frozen=True)
class ModelLayout:
    """How to turn the transformer's token states into a sentence embedding."""

    max_length: int  # tokens kept, [CLS] and [SEP] included
    lowercase: bool  # sentence-transformers' do_lower_case (the tokenizer may lowercase too)
    pooling: str  # "mean" or "cls"
    normalize: bool
    dimension: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelLayout:
        return cls(**data)


def read_layout(folder: Path) -> ModelLayout | None:
    """The layout of the model in `folder`, or None where papersift cannot run it itself."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        types = [module["type"] for module in modules]
        if types not in ([TRANSFORMER, POOLING], [TRANSFORMER, POOLING, NORMALIZE]):
            return None
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        transformer = json.loads((folder / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    mode = _pooling_mode(pooling)
    if mode is None or not (folder / "tokenizer.json").is_file():
        return None
    return ModelLayout(
        max_length=int(transformer.get("max_seq_length") or 512),
        lowercase=bool(transformer.get("do_lower_case", False)),
        pooling=mode,
        normalize=len(types) == 3,
        dimension=int(pooling["word_embedding_dimension"]),
    )


def _pooling_mode(config: dict[str, Any]) -> str | None:
    """ "mean" or "cls" when the pooling config asks for exactly that; None otherwise."""
    if "pooling_mode" in config:
        mode = config["pooling_mode"]
        return mode if mode in ("mean", "cls") else None
    modes = {key: bool(value) for key, value in config.items() if key.startswith("pooling_mode_")}
    chosen = [key for key, on in modes.items() if on]
    names = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
    return names.get(chosen[0]) if len(chosen) == 1 else None
