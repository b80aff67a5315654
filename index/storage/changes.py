"""Changes to a loaded index as pure functions: each returns a new `Snapshot`, never mutates.

A searcher holding the old one keeps a consistent view; the new one shares every unchanged part
(the built postings, FAISS index and paper file) and adds a small overlay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from papersift.index.papers.paper import Paper
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change

Vectors = npt.NDArray[np.float32]


def apply_changes(index: Snapshot, changes: Sequence[Change]) -> Snapshot:
    """The net effect of `changes` in one step: one logged change, or a whole log on replay
    (applying those one at a time would rebuild the overlay once per change). Per doc_id the last
    change wins, as it would in order: deletes first, then every paper whose last change is an
    upsert."""
    last: dict[str, tuple[Paper, Vectors] | None] = {}
    for change in changes:
        for doc_id in change.deleted:
            last[doc_id] = None
        vectors = change.vectors if change.vectors is not None else np.empty((0, 0), np.float32)
        for paper, vector in zip(change.papers, vectors, strict=True):
            last.pop(paper.id, None)  # keep the order of the latest version
            last[paper.id] = (paper, vector)
    deleted = [doc_id for doc_id, upsert in last.items() if upsert is None]
    upserts = [upsert for upsert in last.values() if upsert is not None]
    index = with_deleted(index, deleted)
    if not upserts:
        return index
    vectors = np.stack([vector for _, vector in upserts]).astype(np.float32)
    return with_upserted(index, [paper for paper, _ in upserts], vectors)


def with_upserted(index: Snapshot, papers: Sequence[Paper], vectors: Vectors) -> Snapshot:
    """`index` with `papers` added, replacing any live paper with the same doc_id."""
    if vectors.shape != (len(papers), index.dense.dimension):
        raise ValueError(
            f"{len(papers)} papers need a {len(papers)} x {index.dense.dimension} matrix of "
            f"embeddings, got {vectors.shape}"
        )
    papers, vectors = last_of_each_id(papers, vectors)
    replaced = [row for paper in papers if (row := index.papers.row_of(paper.id)) is not None]
    index = _without_rows(index, replaced)
    tokens = [index.tokenizer.paper_terms(paper) for paper in papers]
    return dataclasses.replace(
        index,
        lexical=index.lexical.with_added(tokens),
        dense=index.dense.with_added(vectors),
        papers=index.papers.with_added(papers),
    )


def with_deleted(index: Snapshot, doc_ids: Sequence[str]) -> Snapshot:
    """`index` without the live papers in `doc_ids` (unknown ids are ignored)."""
    rows = {row for doc_id in doc_ids if (row := index.papers.row_of(doc_id)) is not None}
    return _without_rows(index, sorted(rows))


def _without_rows(index: Snapshot, rows: Sequence[int]) -> Snapshot:
    if not rows:
        return index
    # The same tokenizer that indexed these papers gives back the terms whose counts drop.
    tokens = [index.tokenizer.paper_terms(index.papers.get(row)) for row in rows]
    return dataclasses.replace(
        index,
        lexical=index.lexical.with_removed(rows, tokens),
        dense=index.dense.with_removed(rows),
        papers=index.papers.with_removed(rows),
    )


def last_of_each_id(papers: Sequence[Paper], vectors: Vectors) -> tuple[list[Paper], Vectors]:
    """Within one batch, the last paper given for a doc_id wins (as in a corpus file)."""
    last = {paper.id: position for position, paper in enumerate(papers)}
    keep = sorted(last.values())
    return [papers[position] for position in keep], vectors[keep]


def live_papers(index: Snapshot) -> Iterator[Paper]:
    """The live papers in row order (what a compaction writes), read one at a time."""
    live = index.papers.live
    rows = range(len(index.papers)) if live is None else np.flatnonzero(live).tolist()
    return (index.papers.get(row) for row in rows)
