"""A sentence-transformers model run without sentence-transformers: its tokenizer (the Rust
`tokenizers`), its transformer exported to ONNX (ONNX Runtime), and pooling and normalisation in
numpy. Loading it takes half a second, not the ten that importing torch and sentence-transformers
takes, and one query skips the library's batching layer. `export` checks, once, that it gives the
library's own vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index.encoding.layout import ModelLayout

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LAYOUT_FILE = "papersift-layout.json"
Vectors = npt.NDArray[np.float32]


class OnnxSentenceModel:
    """Normalised sentence embeddings from an exported model folder."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        """`threads` caps ONNX Runtime's threads (None: every core)."""
        import onnxruntime
        from tokenizers import Tokenizer

        self.layout = ModelLayout.from_dict(json.loads((folder / LAYOUT_FILE).read_text()))
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.layout.max_length)
        self.session = onnxruntime.InferenceSession(
            str(folder / MODEL_FILE), _session_options(threads), providers=["CPUExecutionProvider"]
        )
        self._inputs = [node.name for node in self.session.get_inputs()]
        outputs = [node.name for node in self.session.get_outputs()]
        self._hidden = "last_hidden_state" if "last_hidden_state" in outputs else outputs[0]

    @property
    def dimension(self) -> int:
        return self.layout.dimension

    def encode(self, texts: list[str]) -> Vectors:
        """Embeddings of `texts` as one batch, padded to its longest text."""
        features = self._features(texts)
        feeds = {name: features[name] for name in self._inputs}
        tokens = self.session.run([self._hidden], feeds)[0]  # (texts, tokens, dimension)
        return self._pooled(tokens, features["attention_mask"])

    def _features(self, texts: list[str]) -> dict[str, npt.NDArray[np.int64]]:
        cleaned = [text.strip() for text in texts]
        if self.layout.lowercase:
            cleaned = [text.lower() for text in cleaned]
        encodings = self.tokenizer.encode_batch(cleaned)
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(texts), width), np.int64)
        types = np.zeros((len(texts), width), np.int64)
        mask = np.zeros((len(texts), width), np.int64)
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            ids[row, :length] = encoding.ids
            types[row, :length] = encoding.type_ids
            mask[row, :length] = 1
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}

    def _pooled(self, tokens: npt.NDArray[Any], mask: npt.NDArray[np.int64]) -> Vectors:
        if self.layout.pooling == "cls":
            pooled = tokens[:, 0, :].astype(np.float32)
        else:
            weights = mask[:, :, None].astype(np.float32)
            counts = np.maximum(weights.sum(axis=1), 1e-9)
            pooled = (tokens * weights).sum(axis=1) / counts
        if self.layout.normalize:
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.maximum(norms, 1e-12)
        vectors: Vectors = np.ascontiguousarray(pooled, dtype=np.float32)
        return vectors


def _session_options(threads: int | None) -> Any:
    """At most `threads` threads, and no spinning. By default ONNX Runtime's threads spin for a
    while after each run, waiting for the next; a query's own Python work (the BM25 leg, fusion,
    snippets) then fights them for the cores: at 130K papers hybrid p50 was 55 ms with spinning
    and 28 ms without, while encoding alone got 3 ms slower (bench/latency.py)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options
