"""The searcher behind the app, loaded (or, for the demo, built) in the background.

The app answers `/healthz` at once; search endpoints answer 503 until the index is ready.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from papersift.api.demo import demo_corpus, demo_index_folder, ensure_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.errors import IndexLayerError
from papersift.index.storage.live import COMPACT_AFTER, LiveIndex
from papersift.search.backends.interface import PaperWriter, SearchService
from papersift.search.backends.milvus.reader import MilvusSearcher, MilvusTarget
from papersift.search.errors import SearchLayerError
from papersift.search.searcher import Searcher

logger = logging.getLogger(__name__)


class NotReadyError(Exception):
    """The index is still loading, or failed to load."""


class Engine:
    """Holds the `Searcher` once it exists, and why it does not yet."""

    def __init__(
        self,
        index: Path | None,
        model: str | None = None,
        runtime: str = "auto",
        compact_after: int = COMPACT_AFTER,
        milvus: MilvusTarget | None = None,
        say: Callable[[str], None] = logger.info,
    ) -> None:
        """`say` hears what loading is doing (building the demo index on its first start)."""
        self.index_folder = index
        self.say = say
        self.model = model
        self.runtime = runtime
        self.compact_after = compact_after
        self.milvus_target = milvus
        self._searcher: SearchService | None = None
        self._document_encoder: Encoder | None = None
        self._document_encoder_lock = threading.Lock()
        self._failure: str | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def of(cls, searcher: Searcher) -> Engine:
        """An engine around an already loaded searcher (tests, embedding)."""
        engine = cls(searcher.index.folder)
        engine._searcher = searcher
        engine._ready.set()
        return engine

    @property
    def searcher(self) -> SearchService:
        if self._searcher is not None:
            return self._searcher
        if self._failure is not None:
            raise NotReadyError(f"the index failed to load: {self._failure}")
        raise NotReadyError("the index is still loading; try again in a moment")

    @property
    def live(self) -> LiveIndex | None:
        """The writable local index, or None (a fixed, read-only index, or the milvus backend)."""
        source = getattr(self.searcher, "source", None)
        return source if isinstance(source, LiveIndex) else None

    @property
    def writer(self) -> PaperWriter | None:
        """Where writes go: the live local index or the Milvus collection (None: read-only)."""
        searcher = self.searcher
        return searcher if isinstance(searcher, MilvusSearcher) else self.live

    @property
    def document_encoder(self) -> Encoder:
        """The encoder for added papers: its own model instance on half the cores, so queries
        neither queue behind a batch of abstracts nor lose every core to it."""
        with self._document_encoder_lock:
            if self._document_encoder is None:
                query_encoder = self.searcher.encoder
                threads = max(1, (os.cpu_count() or 2) // 2)
                self._document_encoder = Encoder(
                    query_encoder.name, backend=query_encoder.backend, threads=threads
                )
            return self._document_encoder

    @property
    def ready(self) -> bool:
        return self._searcher is not None

    def describe(self) -> str:
        """What is served, in one line."""
        stats = self.searcher.stats()
        return f"{stats['documents']:,} papers from {stats['index_folder']}"

    @property
    def failure(self) -> str | None:
        return self._failure

    def start(self) -> None:
        """Load in a background thread (idempotent)."""
        if self._thread is None and self._searcher is None:
            self._thread = threading.Thread(target=self.load, name="index-loader", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def load(self) -> None:
        """Open the index, recording (not raising) a failure: for the background thread."""
        try:
            self.open()
        except (IndexLayerError, SearchLayerError, OSError) as error:
            self._failure = str(error)
            logger.error("cannot serve: %s", error)
        finally:
            self._ready.set()

    def open(self) -> None:
        """Open the index (building the demo one if needed) and the query encoder; raises."""
        if self.milvus_target is not None:
            encoder = Encoder(self.model, backend=self.runtime) if self.model else None
            self._searcher = MilvusSearcher(self.milvus_target, encoder)
            self._ready.set()
            return
        folder = self.index_folder
        if folder is None:
            folder = demo_index_folder()
            built = ensure_index(demo_corpus(), folder, on_build=self.say)
            if built is not None:
                self.say(f"built the demo index in {built.seconds:.0f} s: {folder}")
        live = LiveIndex(folder, compact_after=self.compact_after)
        index = live.index
        if self.model is not None:
            index.check_model_name(self.model)
        encoder = Encoder(self.model or index.manifest.model.name, backend=self.runtime)
        self._searcher = Searcher(live, encoder)
        self._ready.set()
        logger.info("index ready: %d papers from %s", index.size, index.generation)
