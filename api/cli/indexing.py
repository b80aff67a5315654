"""`papersift build`, `add`, `delete` and `compact`: make an index, and change it in place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from papersift.api.cli.deliveries import deliver_after, listening
from papersift.api.cli.options import (
    BackendOption,
    MilvusCollectionOption,
    MilvusTokenOption,
    MilvusUriOption,
    config_of,
)
from papersift.api.cli.output import describe_cue, print_build, to_stderr
from papersift.api.demo import demo_index, with_demo
from papersift.index.build import BuildOptions
from papersift.index.dense.dense_index import DenseKind, DenseSettings
from papersift.index.encoding.encoder import Encoder, Runtime
from papersift.index.encoding.ray import RayEncoding
from papersift.index.errors import IndexLayerError
from papersift.index.papers.corpus import load_papers
from papersift.index.storage.live import ChangeReport, LiveIndex
from papersift.search.backends import registry
from papersift.search.backends.interface import Backend, BackendConfig, BackendName, Writer

CorpusArgument = Annotated[
    list[Path], typer.Argument(help="JSONL, JSONL.gz or CSV files, or BEIR folders.")
]
ChangedIndexOption = Annotated[
    Path | None,
    typer.Option("--index", "-i", help="Index folder to change (default: the demo index)."),
]


class NotFoundError(IndexLayerError):
    """Some ids given to `delete` were not in the index."""


def build(
    corpus: CorpusArgument,
    index: Annotated[
        Path | None, typer.Option("--index", "-i", help="Index folder to write (local backend).")
    ] = None,
    model: Annotated[str, typer.Option(help="Sentence-transformers model name or folder.")] = (
        BuildOptions.model
    ),
    dense: Annotated[
        DenseKind,
        typer.Option(
            help="FAISS index: auto (flat below 50,000 documents, else hnsw), exact float32, "
            "exact over fp16/8-bit vectors, or HNSW."
        ),
    ] = DenseKind.auto,
    batch_size: Annotated[int, typer.Option(min=1, help="Encoding batch size.")] = 32,
    runtime: Annotated[
        Runtime, typer.Option(help="Encoder runtime (auto: ONNX where installed).")
    ] = Runtime.auto,
    backend: BackendOption = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="[ADDRESS]",
            help="Encode with Ray Data: alone, a local Ray; with ADDRESS (auto, host:port, "
            "ray://host:port), that cluster.",
        ),
    ] = None,
    ray_actors: Annotated[int, typer.Option(min=1, help="Encoder actors for --ray.")] = 2,
    ray_gpus: Annotated[
        float, typer.Option(min=0, help="GPUs per encoder actor for --ray (0: CPU).")
    ] = 0.0,
) -> None:
    """Build an index from corpus files (replaces any index in the folder atomically)."""
    options = BuildOptions(
        model=model,
        batch_size=batch_size,
        runtime=runtime,
        dense=DenseSettings(kind=dense),
        ray=RayEncoding(ray, ray_actors, gpus_per_actor=ray_gpus) if ray is not None else None,
    )
    config = config_of(index, backend, milvus_uri, milvus_token, milvus_collection)
    if config.name == BackendName.local and index is None:
        raise typer.BadParameter("--index is required for the local backend", param_hint="--index")
    print_build(registry.build(corpus, config, options))


def add(
    corpus: CorpusArgument,
    index: ChangedIndexOption = None,
    backend: BackendOption = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
) -> None:
    """Add papers to an index, replacing those with the same id; only they are encoded."""
    config = config_of(index, backend, milvus_uri, milvus_token, milvus_collection)
    with writable(config) as opened:
        subscriptions = listening(opened)
        papers, report = load_papers(list(corpus))
        typer.echo(report.summary(), err=True)
        change = _writer(opened).upsert(papers, opened.reader.encoder)
        typer.echo(
            f"added {len(change.upserted) - len(change.replaced)} papers, replaced "
            f"{len(change.replaced)}; {_state(change, opened)}"
        )
        deliver_after(subscriptions)


def delete(
    ids: Annotated[list[str], typer.Argument(help="Ids of the papers to delete.")],
    index: ChangedIndexOption = None,
    backend: BackendOption = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
) -> None:
    """Delete papers by id; exits 1 if any id was not in the index (the others are deleted)."""
    config = config_of(index, backend, milvus_uri, milvus_token, milvus_collection)
    with writable(config) as opened:
        change = _writer(opened).delete(ids)
        typer.echo(f"deleted {len(change.deleted)} papers; {_state(change, opened)}")
    if change.missing:
        shown = ", ".join(change.missing[:5]) + (" ..." if len(change.missing) > 5 else "")
        raise NotFoundError(f"{len(change.missing)} ids not in the index: {shown}")


def compact(index: ChangedIndexOption = None) -> None:
    """Fold the update log into new index files (also done automatically as changes pile up)
    and calibrate the match cue's threshold again."""
    live = LiveIndex(index or demo_index(to_stderr))
    try:
        pending = live.index.pending_changes
        live.compact(Encoder(live.index.manifest.model.name))  # to calibrate the match cue
        typer.echo(f"compacted {pending} changed rows; the index holds {live.index.size} papers")
        cue = live.index.manifest.cue
        if cue is not None:
            typer.echo(describe_cue(cue))
    finally:
        live.close()


@contextlib.contextmanager
def writable(config: BackendConfig) -> Iterator[Backend]:
    """The backend, let go of when the command is done: a local index's write lock belongs to
    an open file, and a command run in-process (tests, scripts) must not keep it."""
    opened = registry.open_backend(with_demo(config, to_stderr))
    try:
        yield opened
    finally:
        if opened.writer is not None:
            opened.writer.close()


def _writer(opened: Backend) -> Writer:
    if opened.writer is None:
        raise NotFoundError("this index cannot be changed")
    return opened.writer


def _state(change: ChangeReport, opened: Backend) -> str:
    folded = "compacted into new files" if change.compacted else "logged durably"
    where = opened.reader.stats().index_folder
    return f"{folded}; the index holds {change.documents} papers ({where})"
