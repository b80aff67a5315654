"""The Milvus backend: a collection on a Milvus cluster (or milvus-lite), through pymilvus.

connection: where the collection is, errors; collection: its schema and building it; entities:
papers as rows; expressions: filters; reader: searches; writer: upserts and deletes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from papersift.index.build import BuildOptions, BuildReport, encode
from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.corpus import load_papers
from papersift.search.backends.interface import Backend, BackendConfig
from papersift.search.backends.milvus.collection import build_collection
from papersift.search.backends.milvus.connection import MilvusError, MilvusTarget
from papersift.search.backends.milvus.reader import MilvusReader
from papersift.search.backends.milvus.writer import MilvusWriter

__all__ = ["MilvusError", "MilvusReader", "MilvusTarget", "MilvusWriter", "build", "open_backend"]


def target_of(config: BackendConfig) -> MilvusTarget:
    if not config.uri:
        raise MilvusError("the milvus backend needs a server: --milvus-uri or PAPERSIFT_MILVUS_URI")
    return MilvusTarget(config.uri, config.token, config.collection)


def open_backend(config: BackendConfig) -> Backend:
    """The collection `config` names, for reading and writing."""
    target = target_of(config)
    client = target.connect()
    reader = MilvusReader(target, client, config.model, config.runtime)
    return Backend(reader=reader, writer=MilvusWriter(target, client), state=config.state)


def build(corpus: Sequence[Path], config: BackendConfig, options: BuildOptions) -> BuildReport:
    """Read, encode and load `corpus` into a new collection behind the configured alias."""
    target = target_of(config)
    started = time.perf_counter()
    papers, report = load_papers(list(corpus))
    encoder = Encoder(options.model, options.precision, options.batch_size, options.runtime)
    encode_started = time.perf_counter()
    vectors = encode(encoder, [paper.text for paper in papers], options, progress=True)
    encode_seconds = time.perf_counter() - encode_started
    name = build_collection(target, papers, vectors, encoder.name)
    where = f"Milvus collection {name} (alias {target.collection}) at {target.uri}"
    return BuildReport(len(papers), report, time.perf_counter() - started, encode_seconds, where)
