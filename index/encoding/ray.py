"""Encoding through Ray Data: an actor pool of encoders (one model load each), local or a cluster.

`papersift build CORPUS --ray [ADDRESS]` encodes here; everything else about the build is the
same (the index is still written into a staging folder and swapped in only when complete).
Without ADDRESS a local Ray is started for the build (loopback only, no dashboard) and shut down
after it; with one, the build joins that cluster as a driver.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from papersift.index.encoding.encoder import Encoder, Vectors
from papersift.index.errors import EncoderError

logger = logging.getLogger(__name__)

LOCAL = "local"  # the --ray value that starts a local Ray instead of joining a cluster


@dataclass(frozen=True)
class RayEncoding:
    """How to encode with Ray: where (`address`), with how many actors and resources each."""

    address: str = LOCAL
    actors: int = 2
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    batch_size: int = 64


class EncodeBatch:
    """A Ray Data actor: loads the model once, then embeds each batch it is given."""

    def __init__(self, model: str, runtime: str, threads: int) -> None:
        self.encoder = Encoder(model, runtime=runtime, threads=threads)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        return {"row": batch["row"], "vector": self.encoder.encode_documents(texts)}


def encode_with_ray(
    texts: Sequence[str], model: str, runtime: str, settings: RayEncoding
) -> Vectors:
    """Embeddings of `texts` (rows in order), computed by `settings.actors` Ray actors."""
    ray = _import_ray()
    with _ray_session(ray, settings):
        dataset = ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(texts)])
        encoded = dataset.map_batches(
            EncodeBatch,
            fn_constructor_kwargs={"model": model, "runtime": runtime,
                                   "threads": max(1, int(settings.cpus_per_actor))},
            batch_size=settings.batch_size,
            compute=ray.data.ActorPoolStrategy(size=settings.actors),
            num_cpus=settings.cpus_per_actor,
            num_gpus=settings.gpus_per_actor or None,
        )  # fmt: skip
        vectors = np.zeros((len(texts), 0), dtype=np.float32)
        for batch in encoded.iter_batches(batch_size=None, batch_format="numpy"):
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(texts), batch["vector"].shape[1]), dtype=np.float32)
            vectors[batch["row"]] = batch["vector"]
    return vectors


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise EncoderError("--ray needs Ray Data: pip install 'ray[data]'") from error
    return ray


@contextlib.contextmanager
def _ray_session(ray: Any, settings: RayEncoding) -> Iterator[None]:
    """Join the cluster at `settings.address`, or run a local Ray for the duration."""
    if ray.is_initialized():  # the caller manages Ray (a notebook, a test): use it as it is
        yield
        return
    if settings.address == LOCAL:
        ray.init(num_cpus=os.cpu_count(), _node_ip_address="127.0.0.1", include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING)  # fmt: skip
    else:
        ray.init(address=settings.address, log_to_driver=False, logging_level=logging.WARNING)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()
