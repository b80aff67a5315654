"""The local backend: an index folder (BM25 files, FAISS, papers), searched in this process and
changed through its update log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from papersift.index.build import BuildOptions, BuildReport, build_index
from papersift.index.errors import IndexNotFoundError
from papersift.index.storage.live import LiveIndex
from papersift.search.backends.interface import Backend, BackendConfig
from papersift.search.searcher import Searcher


def open_backend(config: BackendConfig) -> Backend:
    """The folder's live index, with a searcher over it (the model loads on first need)."""
    folder = _folder(config)
    live = LiveIndex(folder, compact_after=config.compact_after)
    searcher = Searcher(
        live, model=config.model, runtime=config.runtime, cue_threshold=config.cue_threshold
    )
    return Backend(reader=searcher, writer=live, state=folder)


def build(corpus: Sequence[Path], config: BackendConfig, options: BuildOptions) -> BuildReport:
    return build_index(corpus, _folder(config), options, progress=True)


def _folder(config: BackendConfig) -> Path:
    if config.index is None:
        raise IndexNotFoundError("the local backend needs an index folder (--index DIR)")
    return config.index
