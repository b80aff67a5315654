"""What the API needs from a search backend: local (`Searcher`) and milvus (`MilvusSearcher`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper
from papersift.index.storage.live import ChangeReport
from papersift.search.hits import Hit, SearchRequest, SearchResult


class SearchService(Protocol):
    @property
    def encoder(self) -> Encoder: ...

    def search(self, request: SearchRequest) -> SearchResult: ...

    def similar(self, doc_id: str, limit: int = 10) -> tuple[Hit, ...]: ...

    def paper(self, doc_id: str) -> Paper | None: ...

    def categories(self) -> list[str]:
        """Category names, most papers first (for the page's filter)."""
        ...

    def stats(self) -> dict[str, Any]:
        """The fields of `GET /api/stats`."""
        ...


class PaperWriter(Protocol):
    """What the write endpoints need: `LiveIndex` (local) and `MilvusSearcher` (milvus)."""

    def upsert(self, papers: Sequence[Paper], encoder: Encoder) -> ChangeReport:
        """Add `papers`, replacing those whose doc_id exists; durable when it returns."""
        ...

    def delete(self, doc_ids: Sequence[str]) -> ChangeReport:
        """Delete the papers among `doc_ids`; the others are reported missing."""
        ...
