"""An index folder that takes changes while it is searched.

A change is applied to a copy of the in-memory index (`index.changes`), written to the update log
and fsynced, and only then published by swapping one reference: a query sees the index before or
after a change, never between, and an acknowledged change survives a crash. Loading replays the
log over the files. Compaction folds the log into a new generation (written like a build, then
`CURRENT` swapped) and empties the log; the generation records the last sequence it holds, so a
crash between the two never applies a change twice. It also calibrates the match cue's threshold
again on the corpus as it now is, with the encoder of the last upsert (or the one given to
`compact`); without one it keeps the threshold it had.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from papersift.index.cue.calibration import calibrate
from papersift.index.cue.threshold import CueThreshold
from papersift.index.encoding.encoder import Encoder, Vectors
from papersift.index.errors import IndexBusyError, IndexWriteError
from papersift.index.papers.paper import Paper
from papersift.index.papers.table import write_papers
from papersift.index.storage.changes import apply_changes, live_papers
from papersift.index.storage.generations import current_generation, now_iso, write_generation
from papersift.index.storage.manifest import Manifest
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import LOG_FILE, Change, UpdateLog

logger = logging.getLogger(__name__)

LOCK_FILE = "LOCK"
# Rows added or deleted before the log is folded into new files. The overlay is scanned exactly
# at query time, so it is kept small; compaction rewrites every file (seconds at 130K papers).
COMPACT_AFTER = 10_000
Listener = Callable[[Change, Snapshot], None]
# After a failed compaction (a full disk, say) the next automatic try waits this long, doubling
# up to the maximum: each try rewrites every file, which must not happen on every write.
COMPACTION_RETRY_FIRST = 60.0
COMPACTION_RETRY_MAX = 3600.0


@dataclass(frozen=True)
class ChangeReport:
    """What one change did, for the API and the CLI."""

    sequence: int
    upserted: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    documents: int = 0
    compacted: bool = False


class LiveIndex:
    """The current `Snapshot` of a folder, plus the write path that changes it."""

    def __init__(self, folder: Path | str, compact_after: int = COMPACT_AFTER) -> None:
        self.folder = Path(folder)
        self.compact_after = compact_after
        self._log = UpdateLog(self.folder / LOG_FILE)
        self._write_lock = threading.Lock()
        self._folder_lock: TextIO | None = None
        self._compaction_retry_at = 0.0  # time.monotonic() before which none is tried
        self._compaction_backoff = COMPACTION_RETRY_FIRST
        self._listeners: list[Listener] = []
        self._encoder: Encoder | None = None  # the last upsert's: compaction calibrates with it
        self._index, self._sequence = self._load()

    @property
    def index(self) -> Snapshot:
        """The index as of the last acknowledged change (one reference: read it once per query)."""
        return self._index

    @property
    def sequence(self) -> int:
        """The number of the last committed change."""
        return self._sequence

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(change, index)` after each committed change (index: as of the change),
        before the change can be compacted away. A listener's failure is logged, never undoes or
        fails the change."""
        self._listeners.append(listener)

    def replay(self, after: int) -> int:
        """Tell the listeners again of the logged changes after sequence `after` (those a crash
        kept them from hearing of); how many there were."""
        missed = [c for c in UpdateLog(self._log.path).read() if c.sequence > after]
        for change in missed:
            self._tell(change, self._index)
        return len(missed)

    @property
    def log_damage(self) -> list[str]:
        """What is wrong with the update log, for people: a bad last line not yet set aside, and
        the quarantine files of bad lines set aside before (until someone removes them)."""
        found = [self._log.tail_warning()] if self._log.tail is not None else []
        return found + [
            f"{self.folder / name}: a bad update-log line set aside; inspect it, then delete it"
            for name in self._log.quarantined()
        ]

    def upsert(
        self, papers: Sequence[Paper], encoder: Encoder, progress: bool = False
    ) -> ChangeReport:
        """Add papers, replacing those whose doc_id exists; only these papers are encoded."""
        self._index.check_encoder(encoder)
        vectors = encoder.encode_documents([paper.text for paper in papers], progress=progress)
        self._encoder = encoder
        return self.upsert_encoded(papers, vectors)

    def upsert_encoded(self, papers: Sequence[Paper], vectors: Vectors) -> ChangeReport:
        """`upsert` with the papers' embeddings already computed (same model as the index)."""
        if not papers:
            return ChangeReport(self._sequence, documents=self._index.size)
        with self._write_lock:
            self._prepare_to_write()
            change = Change(self._sequence + 1, papers=tuple(papers), vectors=vectors)
            existing = self._index.papers
            replaced = tuple(p.id for p in papers if existing.row_of(p.id) is not None)
            compacted = self._commit(change)
            upserted = tuple(dict.fromkeys(paper.id for paper in papers))
            return ChangeReport(change.sequence, upserted, tuple(dict.fromkeys(replaced)),
                                documents=self._index.size, compacted=compacted)  # fmt: skip

    def delete(self, doc_ids: Sequence[str]) -> ChangeReport:
        """Delete the live papers among `doc_ids`; the others are reported missing."""
        with self._write_lock:
            self._prepare_to_write()
            wanted = list(dict.fromkeys(doc_ids))
            found = tuple(i for i in wanted if self._index.papers.row_of(i) is not None)
            missing = tuple(i for i in wanted if i not in found)
            compacted = False
            if found:
                compacted = self._commit(Change(self._sequence + 1, deleted=found))
            return ChangeReport(self._sequence, deleted=found, missing=missing,
                                documents=self._index.size, compacted=compacted)  # fmt: skip

    def compact(self, encoder: Encoder | None = None) -> None:
        """Fold every logged change into a new generation of files and empty the log; with an
        `encoder` (the index's model), the match cue's threshold is calibrated again."""
        with self._write_lock:
            if encoder is not None:
                self._index.check_encoder(encoder)
                self._encoder = encoder
            self._prepare_to_write()
            self._compact()

    def close(self) -> None:
        self._log.close()
        if self._folder_lock is not None:
            self._folder_lock.close()  # releases the flock
            self._folder_lock = None

    def _load(self) -> tuple[Snapshot, int]:
        index = Snapshot.load(self.folder)
        sequence = index.manifest.log_sequence
        changes = [c for c in self._log.read() if c.sequence > sequence]  # older: in the files
        if changes:
            index, sequence = apply_changes(index, changes), changes[-1].sequence
        if index.pending_changes:
            logger.info("replayed the update log: %d rows changed", index.pending_changes)
        return index, sequence

    def _commit(self, change: Change) -> bool:
        """Apply, log durably, publish; then compact if the overlay is large. True if compacted."""
        updated = apply_changes(self._index, [change])  # a bad change fails here, before the log
        self._log.append(change)
        self._index, self._sequence = updated, change.sequence
        self._tell(change, updated)
        if updated.pending_changes < self.compact_after:
            return False
        if time.monotonic() < self._compaction_retry_at:
            return False
        try:
            self._compact()
        except (IndexWriteError, OSError) as error:  # the change itself is safe in the log
            self._compaction_retry_at = time.monotonic() + self._compaction_backoff
            logger.error("compaction failed (the change is safe in the log); next try in %.0f s: "
                         "%s", self._compaction_backoff, error)  # fmt: skip
            self._compaction_backoff = min(2 * self._compaction_backoff, COMPACTION_RETRY_MAX)
            return False
        self._compaction_backoff = COMPACTION_RETRY_FIRST
        return True

    def _tell(self, change: Change, index: Snapshot) -> None:
        for listener in self._listeners:
            try:
                listener(change, index)
            except Exception:  # the change is committed; a listener catches up on restart
                logger.exception("a listener failed on change %d", change.sequence)

    def _compact(self) -> None:
        index, sequence = self._index, self._sequence
        if index.pending_changes == 0:  # the files already hold everything the log has
            if self._log.valid_bytes and sequence == index.manifest.log_sequence:
                self._log.reset()  # (a log holding a gap is kept: the files do not know it)
            if index.manifest.cue is None and self._encoder is not None:  # an older release's
                self._write(index, index.manifest.log_sequence)  # the same files, calibrated
            return
        self._write(index, sequence)
        self._log.reset()
        logger.info("compacted %s: %d papers", self.folder, self._index.size)

    def _write(self, index: Snapshot, sequence: int) -> None:
        """Write `index` as a new generation holding the log up to `sequence`, and load it."""
        cue = self._calibrated(index)
        try:
            write_generation(
                self.folder, lambda staging: _write_files(staging, index, sequence, cue)
            )
        except OSError as error:
            raise IndexWriteError(
                f"cannot compact {self.folder}: {error}; nothing was changed"
            ) from error
        self._index = Snapshot.load(self.folder, verify=False)

    def _calibrated(self, index: Snapshot) -> CueThreshold | None:
        """The match cue's threshold for the corpus as it now is (the one it had, without an
        encoder to calibrate with)."""
        if self._encoder is None:
            logger.info("compaction keeps the match cue's threshold: no encoder was given")
            return index.manifest.cue
        live = index.papers.live
        rows = range(len(index.papers)) if live is None else np.flatnonzero(live).tolist()
        return calibrate(index.dense, index.papers.get, rows, self._encoder, now_iso())

    def _prepare_to_write(self) -> None:
        """Take the folder's write lock on the first write, reloading if another process wrote."""
        if self._folder_lock is not None:
            return
        try:
            handle = (self.folder / LOCK_FILE).open("a")
        except OSError as error:
            raise IndexWriteError(
                f"cannot write to {self.folder}: {error}; nothing was changed"
            ) from error
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.close()
            raise IndexBusyError(
                f"another papersift process is writing to {self.folder}; send changes to it "
                "(its API) or wait until it exits"
            ) from error
        self._folder_lock = handle
        if self._changed_on_disk():
            self._index, self._sequence = self._load()
        self._sequence = self._log.set_aside_tail(self._sequence)

    def _changed_on_disk(self) -> bool:
        log = self._log.path
        log_bytes = log.stat().st_size if log.exists() else 0
        generation = current_generation(self.folder)
        return generation != self._index.generation or log_bytes != self._log.seen_bytes


def _write_files(
    staging: Path, index: Snapshot, sequence: int, cue: CueThreshold | None
) -> Manifest:
    write_papers(staging, live_papers(index))
    index.lexical.save(staging)
    index.dense.save(staging)
    return dataclasses.replace(
        index.manifest,
        documents=index.size,
        files={},
        created_at=now_iso(),
        log_sequence=sequence,
        build={**index.manifest.build, "compacted_at": now_iso()},
        cue=cue,
    )
