"""The embedded demo corpus (8,000 real arXiv papers, shipped with their embeddings) and where
its index and the other caches live."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from papersift.index.build import BuildOptions, BuildReport, build_index
from papersift.index.cache import cache_dir
from papersift.index.cue.threshold import CueThreshold
from papersift.index.encoding.precomputed import Precomputed
from papersift.index.errors import IndexLayerError
from papersift.index.storage.snapshot import Snapshot
from papersift.search.backends.interface import BackendConfig, BackendName

logger = logging.getLogger(__name__)


def demo_corpus() -> Path:
    return _data("demo.jsonl.gz")


def demo_embeddings() -> Precomputed:
    """The demo papers' embeddings by the bundled model (int8 codes), row for row, and the
    match cue's threshold calibrated on them."""
    about = json.loads(_data("demo.vectors.json").read_text(encoding="utf-8"))
    vectors = np.load(_data("demo.vectors.npy"), allow_pickle=False)
    cue = CueThreshold.from_dict(about["cue"]) if "cue" in about else None
    return Precomputed(vectors, str(about["model"]), cue)


def _data(name: str) -> Path:
    return Path(str(resources.files("papersift.api") / "data" / name))


def demo_index_folder() -> Path:
    return cache_dir() / "demo-index"


def ensure_index(
    corpus: Path,
    folder: Path,
    options: BuildOptions | None = None,
    progress: bool = True,
    on_build: Callable[[str], None] = logger.info,
    precomputed: Precomputed | None = None,
) -> BuildReport | None:
    """Build `corpus` into `folder` unless a valid index is already there; None when reused.
    `on_build` hears, before a build starts, that one does."""
    try:
        Snapshot.load(folder).close()
        return None
    except IndexLayerError as error:
        logger.info("building %s (%s)", folder, error)
    on_build(f"building the index of {corpus.name} into {folder} (first start only)")
    return build_index([corpus], folder, options, progress=progress, precomputed=precomputed)


def with_demo(config: BackendConfig, say: Callable[[str], None] = logger.info) -> BackendConfig:
    """`config`, or, for a local backend without an index folder, the demo index."""
    if config.name != BackendName.local or config.index is not None:
        return config
    return dataclasses.replace(config, index=demo_index(say))


def demo_index(say: Callable[[str], None] = logger.info) -> Path:
    """The demo index's folder, built into the cache on first use (`say` hears that it is)."""
    folder = demo_index_folder()
    built = ensure_index(demo_corpus(), folder, on_build=say, precomputed=demo_embeddings())
    if built is not None:
        say(f"built the demo index in {built.seconds:.0f} s: {folder}")
    return folder


def cached_index_folder(corpus: Path, options: BuildOptions) -> Path:
    """A cache folder keyed by the corpus file (path, size, mtime) and the build options."""
    stat = corpus.stat()
    key = f"{corpus.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{options!r}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir() / "indexes" / f"{corpus.parent.name or 'corpus'}-{digest}"
