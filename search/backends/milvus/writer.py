"""Writes on a Milvus collection: upsert and delete, durable in Milvus's own log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper
from papersift.index.storage.live import ChangeReport
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change
from papersift.search.backends.milvus.connection import MilvusTarget, milvus_errors
from papersift.search.backends.milvus.entities import entity_of


class MilvusWriter:
    """Adds, replaces and deletes papers. `sequence` is 0: Milvus keeps its own log."""

    def __init__(self, target: MilvusTarget, client: Any) -> None:
        self.target = target
        self.client = client
        self._listeners: list[Callable[[Change, Snapshot | None], None]] = []

    def add_listener(self, listener: Callable[[Change, Snapshot | None], None]) -> None:
        """Call `listener(change, None)` after each upsert (Milvus has no sequence numbers: a
        crash between an upsert and its listener is not caught up)."""
        self._listeners.append(listener)

    @property
    def sequence(self) -> int:
        return 0  # Milvus numbers no changes papersift can see

    def replay(self, after: int) -> int:
        """Nothing to replay: Milvus keeps no log papersift can read back."""
        return 0

    def upsert(self, papers: Sequence[Paper], encoder: Encoder) -> ChangeReport:
        """Insert or replace `papers` (Milvus upsert)."""
        vectors = encoder.encode_documents([paper.text for paper in papers])
        rows = [entity_of(paper, vector) for paper, vector in zip(papers, vectors, strict=True)]
        ids = list(dict.fromkeys(paper.id for paper in papers))
        replaced = self._existing(ids)
        with milvus_errors("Milvus upsert failed"):
            self.client.upsert(self.target.collection, rows)
        for listener in self._listeners:
            listener(Change(0, papers=tuple(papers), vectors=vectors), None)
        return ChangeReport(0, tuple(ids), tuple(replaced), documents=self._size())

    def delete(self, doc_ids: Sequence[str]) -> ChangeReport:
        """Delete the papers among `doc_ids`; the others are reported missing."""
        found = self._existing(doc_ids)
        if found:
            with milvus_errors("Milvus delete failed"):
                self.client.delete(self.target.collection, ids=found)
        missing = tuple(doc_id for doc_id in dict.fromkeys(doc_ids) if doc_id not in found)
        return ChangeReport(0, deleted=tuple(found), missing=missing, documents=self._size())

    def close(self) -> None:
        """Nothing to let go: the client is the reader's too, and Milvus holds no lock for us."""

    def _existing(self, doc_ids: Sequence[str]) -> list[str]:
        with milvus_errors("Milvus lookup failed"):
            rows = self.client.get(self.target.collection, ids=list(doc_ids), output_fields=["id"])
        present = {str(row["id"]) for row in rows}
        return [doc_id for doc_id in dict.fromkeys(doc_ids) if doc_id in present]

    def _size(self) -> int:
        with milvus_errors("cannot count the Milvus collection"):
            stats = self.client.get_collection_stats(self.target.collection)
        return int(stats["row_count"])
