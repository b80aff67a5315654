"""The update log: every acknowledged change, appended and fsynced before it is acknowledged.

One change per line: `<crc32 as 8 hex digits> <JSON>`. An upsert carries its papers and their
embeddings (float32, base64), so replaying it never runs the model. A crash can only tear the
last line, which was never acknowledged: reading stops there and the writer cuts it off. A bad
line followed by good ones is damage, not a crash, and loading refuses it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import IndexCorruptError, IndexWriteError
from index.papers import Paper
from index.store import fsync_folder

logger = logging.getLogger(__name__)

LOG_FILE = "updates.log"
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Change:
    """One logged change: an upsert of papers (with their embeddings) or a delete of ids."""

    sequence: int
    papers: tuple[Paper, ...] = ()
    vectors: Vectors | None = None
    deleted: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "upsert" if self.papers else "delete"

    def to_line(self) -> bytes:
        body: dict[str, Any] = {"sequence": self.sequence, "kind": self.kind}
        if self.papers:
            vectors = np.ascontiguousarray(self.vectors, dtype="<f4")
            body["papers"] = [paper.to_record() for paper in self.papers]
            body["dimension"] = int(vectors.shape[1])
            body["vectors"] = base64.b64encode(vectors.tobytes()).decode("ascii")
        else:
            body["deleted"] = list(self.deleted)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return b"%08x " % zlib.crc32(text) + text + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> Change | None:
        """The change on a complete, intact line; None for a torn or altered one."""
        checksum, _, text = line.rstrip(b"\n").partition(b" ")
        if not line.endswith(b"\n") or checksum != b"%08x" % zlib.crc32(text):
            return None
        body = json.loads(text)
        if body["kind"] == "delete":
            return cls(int(body["sequence"]), deleted=tuple(body["deleted"]))
        papers = tuple(Paper.from_stored(record) for record in body["papers"])
        raw = np.frombuffer(base64.b64decode(body["vectors"]), dtype="<f4")
        vectors = raw.reshape(len(papers), int(body["dimension"])).astype(np.float32)
        return cls(int(body["sequence"]), papers=papers, vectors=vectors)


class UpdateLog:
    """Append-only, fsynced change log at `path` (created on the first append)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.valid_bytes = 0  # length of the intact prefix, as of the last read
        self.seen_bytes = 0  # length of the file at the last read (a torn tail included)
        self._descriptor: int | None = None
        self._broken: str | None = None

    def read(self) -> list[Change]:
        """Every intact change, in order; stops at a torn last line."""
        if not self.path.is_file():
            self.valid_bytes = self.seen_bytes = 0
            return []
        changes: list[Change] = []
        offset = 0
        with self.path.open("rb") as handle:
            lines = handle.readlines()
        self.seen_bytes = sum(len(line) for line in lines)
        for number, line in enumerate(lines, start=1):
            change = Change.from_line(line)
            if change is None:
                if number < len(lines):
                    raise IndexCorruptError(
                        f"{self.path}: line {number} of {len(lines)} is damaged (checksum "
                        "mismatch); the log cannot be replayed safely"
                    )
                logger.warning("%s: ignoring a torn last line (never acknowledged)", self.path)
                break
            changes.append(change)
            offset += len(line)
        self.valid_bytes = offset
        return changes

    def append(self, change: Change) -> None:
        """Write `change` and fsync it; on any failure the log is cut back and nothing changed."""
        if self._broken is not None:
            raise IndexWriteError(f"{self.path}: writes are stopped after an earlier failure "
                                  f"({self._broken}); restart the server to recover")  # fmt: skip
        line = change.to_line()
        try:
            descriptor = self._open()
            written = 0
            while written < len(line):  # os.write may write less than asked
                written += os.write(descriptor, line[written:])
            os.fsync(descriptor)
        except OSError as error:
            self._cut_back()
            raise IndexWriteError(
                f"cannot write {self.path}: {error}; nothing was changed"
            ) from error
        self.valid_bytes += len(line)
        self.seen_bytes = self.valid_bytes

    def reset(self) -> None:
        """Atomically replace the log with an empty one (after its changes were compacted)."""
        self.close()
        empty = self.path.with_name(self.path.name + ".tmp")
        with empty.open("wb") as handle:
            os.fsync(handle.fileno())
        os.replace(empty, self.path)
        fsync_folder(self.path.parent)
        self.valid_bytes = self.seen_bytes = 0

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def _open(self) -> int:
        """The log's file descriptor, unbuffered: nothing of a failed write lingers in a buffer."""
        if self._descriptor is None:
            created = not self.path.exists()
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            os.ftruncate(descriptor, self.valid_bytes)  # drop a torn last line, append after it
            os.lseek(descriptor, self.valid_bytes, os.SEEK_SET)
            if created:
                fsync_folder(self.path.parent)
            self._descriptor = descriptor
        return self._descriptor

    def _cut_back(self) -> None:
        """Undo a partial append; if even that fails, refuse every later write."""
        if self._descriptor is None:
            return
        try:
            os.ftruncate(self._descriptor, self.valid_bytes)
            os.lseek(self._descriptor, self.valid_bytes, os.SEEK_SET)
            os.fsync(self._descriptor)
        except OSError as error:
            self._broken = str(error)
            logger.error("%s: cannot undo a failed append: %s", self.path, error)
