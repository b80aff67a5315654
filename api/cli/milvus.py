"""The milvus backend from the command line: where the collection is, and building it."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from papersift.api.settings import Settings
from papersift.index.build import BuildOptions, encode
from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.corpus import load_papers
from papersift.search.backends.milvus.reader import MilvusError, MilvusTarget, build_collection


def milvus_target(uri: str | None, token: str | None, collection: str | None) -> MilvusTarget:
    settings = Settings()
    secret = settings.milvus_token.get_secret_value() if settings.milvus_token else None
    uri = uri or settings.milvus_uri
    if not uri:
        raise MilvusError("--backend milvus needs --milvus-uri (or PAPERSIFT_MILVUS_URI)")
    return MilvusTarget(uri, token or secret, collection or settings.milvus_collection)


def build_milvus(corpus: list[Path], target: MilvusTarget, options: BuildOptions) -> str:
    """Read, encode and load `corpus` into a new Milvus collection behind `target`'s alias."""
    started = time.perf_counter()
    papers, report = load_papers(corpus)
    typer.echo(report.summary(), err=True)
    encoder = Encoder(options.model, options.precision, options.batch_size, options.backend)
    vectors = encode(encoder, [paper.text for paper in papers], options, progress=True)
    name = build_collection(target, papers, vectors, encoder.name)
    seconds = time.perf_counter() - started
    return (f"indexed {len(papers)} papers into Milvus collection {name} (alias "
            f"{target.collection}) at {target.uri} in {seconds:.1f} s")  # fmt: skip
