"""`papersift add`, `delete` and `compact`: change an index in place (registered in `main`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from papersift.api.demo import demo_corpus, demo_index_folder, ensure_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.errors import IndexLayerError
from papersift.index.papers.corpus import load_papers
from papersift.index.storage.live import ChangeReport, LiveIndex

UpdateIndexOption = Annotated[
    Path | None,
    typer.Option("--index", "-i", help="Index folder to change (default: the demo index)."),
]


class NotFoundError(IndexLayerError):
    """Some ids given to `delete` were not in the index."""


def add(
    corpus: Annotated[
        list[Path], typer.Argument(help="JSONL, JSONL.gz or CSV files, or BEIR folders.")
    ],
    index: UpdateIndexOption = None,
) -> None:
    """Add papers to an index, replacing those with the same id; only they are encoded."""
    live = _live(index)
    papers, report = load_papers(list(corpus))
    typer.echo(report.summary(), err=True)
    encoder = Encoder(live.index.manifest.model.name, backend=live.index.manifest.model.backend)
    change = live.upsert(papers, encoder, progress=True)
    typer.echo(
        f"added {len(change.upserted) - len(change.replaced)} papers, replaced "
        f"{len(change.replaced)}; {_state(live, change)}"
    )


def delete(
    ids: Annotated[list[str], typer.Argument(help="doc_ids of the papers to delete.")],
    index: UpdateIndexOption = None,
) -> None:
    """Delete papers by id; exits 1 if any id was not in the index (the others are deleted)."""
    live = _live(index)
    change = live.delete(ids)
    typer.echo(f"deleted {len(change.deleted)} papers; {_state(live, change)}")
    if change.missing:
        shown = ", ".join(change.missing[:5]) + (" ..." if len(change.missing) > 5 else "")
        raise NotFoundError(f"{len(change.missing)} ids not in the index: {shown}")


def compact(index: UpdateIndexOption = None) -> None:
    """Fold the update log into new index files (also done automatically as changes pile up)."""
    live = _live(index)
    pending = live.index.pending_changes
    live.compact()
    typer.echo(f"compacted {pending} changed rows; the index holds {live.index.size} papers")


def _live(index: Path | None) -> LiveIndex:
    if index is None:
        index = demo_index_folder()
        ensure_index(demo_corpus(), index)
    return LiveIndex(index)


def _state(live: LiveIndex, change: ChangeReport) -> str:
    folded = "compacted into new files" if change.compacted else "logged durably"
    return f"{folded}; the index holds {change.documents} papers ({live.folder})"
