"""The model's transformer exported to ONNX, once, into the cache folder, and checked there.

The export runs torch's exporter on the transformer and copies the tokenizer; then the exported
model must give sentence-transformers' own vectors (its `encode` on torch) on probe sentences,
short, padded, Unicode and past the token limit, or it is not used. The folder is named after
the model files it came from (names, sizes, times), so a changed model is exported anew. It is
written into a staging folder and renamed into place: a crash never leaves half an export.

The export runs in a child process (`python -m papersift.index.encoding.onnx_export`): torch and
transformers, several seconds to import and hundreds of MB, never enter a server's memory, and
a build can read and index its corpus on the other core meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from papersift.index.cache import cache_dir
from papersift.index.encoding.layout import ModelLayout, read_layout
from papersift.index.encoding.onnx_model import (
    LAYOUT_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxSentenceModel,
)
from papersift.index.errors import EncoderError

logger = logging.getLogger(__name__)

EXPORT_VERSION = 1  # part of the folder name: a change to how models are exported re-exports
TOLERANCE = 1e-4  # largest difference to sentence-transformers' normalised vectors
PROBES = (
    "sparse attention for long context",
    "  Graph Neural Networks: a survey of methods and applications  ",
    "Schrödinger équations, 3-D lattices & ΛCDM (z > 2)",
    "x",
    "long " * 400,  # past the token limit: truncated alike
)


def exported(model_folder: Path) -> Path | None:
    """The ONNX export of the model in `model_folder` (made now if missing), or None where the
    model is not a stack papersift runs itself."""
    layout = read_layout(model_folder)
    if layout is None:
        return None
    folder = cache_dir() / "models" / f"{model_folder.name}-onnx-{_fingerprint(model_folder)}"
    if (folder / LAYOUT_FILE).is_file():
        return folder
    logger.info("exporting %s to ONNX in %s", model_folder, folder)
    staging = folder.with_name(f".{folder.name}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _export_in_a_child(model_folder, staging)
        os.replace(staging, folder)  # atomic: a crash never leaves a half-exported model
    except OSError:
        if not (folder / LAYOUT_FILE).is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # another process finished first
    return folder


def _export_in_a_child(model_folder: Path, staging: Path) -> None:
    command = [sys.executable, "-m", __name__, str(model_folder), str(staging)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        raise EncoderError(f"cannot export {model_folder} to ONNX: {said[-1] if said else '?'}")


def export(model_folder: Path, staging: Path) -> None:
    """Export into `staging` (in this process: the child's work)."""
    layout = read_layout(model_folder)
    if layout is None:
        raise EncoderError(f"{model_folder} is not a model papersift runs itself")
    _export(model_folder, staging, layout)


def _export(model_folder: Path, staging: Path, layout: ModelLayout) -> None:
    """Export into `staging`; the layout file, which marks a finished export, comes last."""
    with _quiet():
        import torch
        from sentence_transformers import SentenceTransformer

        reference = SentenceTransformer(str(model_folder), device="cpu")
        first: Any = reference[0]  # its Transformer module (the stubs type modules loosely)
        transformer = first.auto_model.eval()
        features = reference.tokenize(["an example", "a second, longer example sentence"])
        names = ("input_ids", "attention_mask", "token_type_ids")
        axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "last_hidden_state")}
        with torch.no_grad():
            torch.onnx.export(
                _by_name(torch, transformer),
                tuple(features[name] for name in names),
                str(staging / MODEL_FILE),
                input_names=list(names),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,  # the TorchScript exporter: seconds, and no onnxscript needed
            )
        expected = reference.encode(list(PROBES), normalize_embeddings=True)
    shutil.copyfile(model_folder / TOKENIZER_FILE, staging / TOKENIZER_FILE)
    (staging / LAYOUT_FILE).write_text(json.dumps(layout.to_dict()), encoding="utf-8")
    _check(staging, np.asarray(expected, np.float32))


def _by_name(torch: Any, transformer: Any) -> Any:
    """The transformer as a module of exactly the three inputs, passed by name (its forward's
    positional order differs between transformers releases), giving its last hidden state."""

    class ByName(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    return ByName().eval()


def _check(staging: Path, expected: Any) -> None:
    """Refuse an export whose vectors differ from sentence-transformers' own."""
    difference = float(np.abs(OnnxSentenceModel(staging).encode(list(PROBES)) - expected).max())
    if difference > TOLERANCE:
        (staging / LAYOUT_FILE).unlink()
        raise EncoderError(
            f"the ONNX export differs from sentence-transformers by {difference:.2g} on probe "
            "sentences; use --runtime torch for this model"
        )
    logger.info("ONNX export checked: largest difference %.2g", difference)


def _fingerprint(model_folder: Path) -> str:
    """A short digest of the model's files (names, sizes, modification times)."""
    digest = hashlib.sha256(f"export {EXPORT_VERSION}".encode())
    for path in sorted(model_folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            relative = path.relative_to(model_folder)
            digest.update(f"{relative}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporter's and transformers' warnings are expected here: TorchScript tracing notes
    and the notice that a newer exporter exists (this one takes seconds, not minutes)."""
    previous = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS")
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    loggers = [logging.getLogger(name) for name in ("sentence_transformers", "transformers")]
    levels = [log.level for log in loggers]
    try:
        for log in loggers:
            log.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)
        if previous is None:
            os.environ.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)


if __name__ == "__main__":
    try:
        export(Path(sys.argv[1]), Path(sys.argv[2]))
    except EncoderError as error:
        sys.exit(str(error))
