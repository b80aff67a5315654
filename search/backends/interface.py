"""What every backend offers: one interface for reading and one for writing, and how a backend
is named and configured. The registry (`registry`) opens the right one."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper
from papersift.index.storage.live import COMPACT_AFTER, ChangeReport
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change
from papersift.search.hits import Hit, Listing, SearchResult
from papersift.search.requests import Filters, SearchRequest

Vector = npt.NDArray[np.float32]
Vectors = npt.NDArray[np.float32]
Listener = Callable[[Change, Snapshot | None], None]


class BackendName(StrEnum):
    """Where an index lives: a local folder (FAISS + BM25 files) or a Milvus collection."""

    local = "local"
    milvus = "milvus"


@dataclass(frozen=True)
class BackendConfig:
    """Everything needed to open (or build) an index on a backend."""

    name: BackendName = BackendName.local
    index: Path | None = None  # local: the index folder
    uri: str | None = None  # a server's address (milvus: http://host:19530, or a milvus-lite file)
    token: str | None = None
    collection: str = "papersift"  # the name (alias) the index is served under on a server
    model: str | None = None  # the query model: the index's own when None
    runtime: str = "auto"  # the encoder runtime
    compact_after: int = COMPACT_AFTER  # local: rows changed before the log is folded into files
    cue_threshold: float | None = None  # fixes the match cue's threshold (None: the index's own)
    state: Path | None = None  # remote: where papersift keeps its own state (sync, subscriptions)


@dataclass(frozen=True)
class IndexStats:
    """What is being served (`GET /api/stats`)."""

    backend: BackendName
    documents: int
    pending_changes: int  # rows changed since the files were last written
    model: str
    dimension: int
    dense_index: str
    format_version: int
    package_version: str
    built_at: str
    index_folder: str  # where it lives: a folder, or a server and collection
    index_bytes: dict[str, int]
    log_damage: tuple[str, ...] = ()  # bad update-log lines found or set aside
    cue_threshold: float | None = None  # the match cue's threshold in force (None: no cue)


class Reader(Protocol):
    """Searches and lookups."""

    @property
    def encoder(self) -> Encoder:
        """The query encoder (loaded on first use)."""
        ...

    def search(self, request: SearchRequest) -> SearchResult: ...

    def similar(self, doc_id: str, limit: int = 10) -> tuple[Hit, ...]: ...

    def nearest(
        self, vector: Vector, limit: int, filters: Filters, exclude: Collection[str] = ()
    ) -> tuple[Hit, ...]:
        """The papers nearest to `vector` by cosine (those in `exclude` left out)."""
        ...

    def vectors(self, doc_ids: Sequence[str]) -> Vectors:
        """The stored embeddings of these papers, in order."""
        ...

    def query_terms(self, query: str) -> dict[str, int]:
        """The query's terms as the lexical leg sees them, with their repeats (empty where the
        backend tokenizes queries itself)."""
        ...

    def newest(self, filters: Filters, limit: int, offset: int = 0) -> Listing:
        """The papers passing `filters`, newest first (by first-version date)."""
        ...

    def paper(self, doc_id: str) -> Paper | None: ...

    def categories(self) -> list[str]:
        """Category names, most papers first (for the page's filter)."""
        ...

    def stats(self) -> IndexStats: ...


class Writer(Protocol):
    """Changes: durable when a call returns."""

    @property
    def sequence(self) -> int:
        """The number of the last committed change (0 where changes are not numbered)."""
        ...

    def upsert(self, papers: Sequence[Paper], encoder: Encoder) -> ChangeReport:
        """Add `papers`, replacing those whose id exists."""
        ...

    def delete(self, doc_ids: Sequence[str]) -> ChangeReport:
        """Delete the papers among `doc_ids`; the others are reported missing."""
        ...

    def close(self) -> None:
        """Let go of the index (a local folder's write lock)."""
        ...

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(change, snapshot)` after each committed change, before the change can be
        compacted away; `snapshot` is the index as of the change (None for a remote backend)."""
        ...

    def replay(self, after: int) -> int:
        """Tell the listeners again of the logged changes after sequence `after` (a crash kept
        them from hearing of those); how many there were (0 where nothing is logged)."""
        ...


@dataclass(frozen=True)
class Backend:
    """An opened index: its reader, its writer (None where it is read-only), and the folder for
    papersift's own state beside it (the index folder itself, for the local backend; None where
    none was given)."""

    reader: Reader
    writer: Writer | None
    state: Path | None = None
