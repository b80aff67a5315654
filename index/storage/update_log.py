"""The update log: every acknowledged change, appended and fsynced before it is acknowledged.

One change per line: `<crc32 as 8 hex digits> <JSON>\\n`, written with one `write` and fsynced
before the change is acknowledged. An upsert carries its papers and their embeddings (float32,
base64), so replaying it never runs the model.

What a crash can leave. Only the last line can be unfinished: a line is acknowledged only after
its fsync, and the writer never appends after a bad line. After a power loss an unfinished append
shows as a last line without its newline: a prefix of the line, possibly padded with zero bytes
where the file grew before its data reached the disk (ext4 with data=writeback, XFS). That is a
*torn* line: it was never acknowledged.

A complete last line (ending in a newline) whose checksum or fields are wrong is *damage*: no
crash writes that, so it was an acknowledged change that the disk or somebody altered. Neither is
ever discarded silently: before the next write, the writer moves the bad tail's bytes into a
quarantine file beside the log (`updates.log.damaged-*`), logs a warning, and, for damage, takes
its sequence number out of use with a `gap` line, so the number of a lost change is never
reused. A bad line followed by good ones is damage in the middle of history: loading refuses it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index.errors import IndexCorruptError, IndexWriteError
from papersift.index.papers.paper import Paper
from papersift.index.storage.generations import fsync_folder

logger = logging.getLogger(__name__)

LOG_FILE = "updates.log"
QUARANTINE_PREFIX = f"{LOG_FILE}.damaged-"
Vectors = npt.NDArray[np.float32]


class DamagedLineError(ValueError):
    """A log line that cannot be replayed: torn, altered, or not a change."""


@dataclass(frozen=True)
class Change:
    """One logged change: an upsert of papers (with their embeddings), a delete of ids, or a gap
    (a sequence number taken out of use because its line was damaged; `note` says where its
    bytes went)."""

    sequence: int
    papers: tuple[Paper, ...] = ()
    vectors: Vectors | None = None
    deleted: tuple[str, ...] = ()
    note: str = ""

    @property
    def kind(self) -> str:
        if self.papers:
            return "upsert"
        return "gap" if self.note else "delete"

    def to_line(self) -> bytes:
        body: dict[str, Any] = {"sequence": self.sequence, "kind": self.kind}
        if self.papers:
            vectors = np.ascontiguousarray(self.vectors, dtype="<f4")
            body["papers"] = [paper.to_record() for paper in self.papers]
            body["dimension"] = int(vectors.shape[1])
            body["vectors"] = base64.b64encode(vectors.tobytes()).decode("ascii")
        elif self.note:
            body["note"] = self.note
        else:
            body["deleted"] = list(self.deleted)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return b"%08x " % zlib.crc32(text) + text + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> Change:
        """The change on one line; `DamagedLineError` saying why it cannot be read."""
        if not line.endswith(b"\n"):
            raise DamagedLineError("unfinished (no newline): a torn write")
        checksum, _, text = line.rstrip(b"\n").partition(b" ")
        if checksum != b"%08x" % zlib.crc32(text):
            raise DamagedLineError("checksum mismatch")
        try:
            return cls._from_body(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
            reason = f"not a readable change ({type(error).__name__}: {error})"
            raise DamagedLineError(reason) from error

    @classmethod
    def _from_body(cls, body: dict[str, Any]) -> Change:
        sequence = int(body["sequence"])
        if body["kind"] == "delete":
            return cls(sequence, deleted=tuple(str(doc_id) for doc_id in body["deleted"]))
        if body["kind"] == "gap":
            return cls(sequence, note=str(body["note"]))
        if body["kind"] != "upsert":
            raise ValueError(f"unknown kind {body['kind']!r}")
        papers = tuple(Paper.from_stored(record) for record in body["papers"])
        raw = np.frombuffer(base64.b64decode(body["vectors"], validate=True), dtype="<f4")
        vectors = raw.reshape(len(papers), int(body["dimension"])).astype(np.float32)
        return cls(sequence, papers=papers, vectors=vectors)


@dataclass(frozen=True)
class BadTail:
    """The log's last line, which could not be replayed."""

    line: int
    data: bytes
    reason: str

    @property
    def torn(self) -> bool:
        """An unfinished append (never acknowledged), not damage to an acknowledged change."""
        return not self.data.endswith(b"\n")

    def sequence_after(self, last: int) -> int:
        """The sequence number this line held (at least `last` + 1), read where still possible."""
        _, _, text = self.data.partition(b" ")
        try:
            return max(last + 1, int(json.loads(text)["sequence"]))
        except (ValueError, KeyError, TypeError):
            return last + 1


class UpdateLog:
    """Append-only, fsynced change log at `path` (created on the first append)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.valid_bytes = 0  # length of the intact prefix, as of the last read
        self.seen_bytes = 0  # length of the file at the last read (a bad tail included)
        self.tail: BadTail | None = None  # the bad last line found by the last read
        self._descriptor: int | None = None
        self._broken: str | None = None

    def read(self) -> list[Change]:
        """Every intact change, in order; a bad last line is kept aside in `tail`."""
        self.tail = None
        if not self.path.is_file():
            self.valid_bytes = self.seen_bytes = 0
            return []
        with self.path.open("rb") as handle:
            lines = handle.readlines()
        self.seen_bytes = sum(len(line) for line in lines)
        changes: list[Change] = []
        offset = 0
        for number, line in enumerate(lines, start=1):
            try:
                change = Change.from_line(line)
            except DamagedLineError as error:
                if number < len(lines):
                    raise IndexCorruptError(
                        f"{self.path}: line {number} of {len(lines)} is damaged ({error}); "
                        "the log cannot be replayed safely"
                    ) from error
                self.tail = BadTail(number, line, str(error))
                logger.warning("%s", self.tail_warning())
                break
            changes.append(change)
            offset += len(line)
        self.valid_bytes = offset
        return changes

    def tail_warning(self) -> str:
        tail = self.tail
        if tail is None:
            return ""
        what = "an unfinished write (never acknowledged)" if tail.torn else "a DAMAGED change"
        return (
            f"{self.path}: the last line ({tail.line}, {len(tail.data)} bytes) is {what}: "
            f"{tail.reason}; it is not replayed, and the next write sets its bytes aside in "
            f"{QUARANTINE_PREFIX}*"
        )

    def set_aside_tail(self, last_sequence: int) -> int:
        """Move a bad last line into a quarantine file and cut it off the log; for damage, log a
        gap in its place. Returns the last sequence number now in use."""
        tail = self.tail
        if tail is None:
            return last_sequence
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        quarantine = self.path.with_name(f"{QUARANTINE_PREFIX}{stamp}-line{tail.line}")
        try:
            with quarantine.open("xb") as handle:
                handle.write(tail.data)
                handle.flush()
                os.fsync(handle.fileno())
            fsync_folder(self.path.parent)
        except OSError as error:
            raise IndexWriteError(
                f"cannot set aside the bad last line of {self.path} in {quarantine}: {error}; "
                "nothing was changed"
            ) from error
        logger.warning("%s: moved its bad last line (%s) to %s", self.path, tail.reason,
                       quarantine.name)  # fmt: skip
        self.tail = None
        self._cut_to_valid()
        if tail.torn:
            return last_sequence
        gap = Change(tail.sequence_after(last_sequence), note=f"damaged; see {quarantine.name}")
        self.append(gap)
        return gap.sequence

    def quarantined(self) -> list[str]:
        """Names of the bad tails set aside beside the log, for someone to inspect."""
        return sorted(p.name for p in self.path.parent.glob(f"{QUARANTINE_PREFIX}*"))

    def append(self, change: Change) -> None:
        """Write `change` and fsync it; on any failure the log is cut back and nothing changed."""
        if self._broken is not None:
            raise IndexWriteError(f"{self.path}: writes are stopped after an earlier failure "
                                  f"({self._broken}); restart the server to recover")  # fmt: skip
        if self.tail is not None:
            raise IndexWriteError(f"{self.path}: set its bad last line aside first")
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
            if os.fstat(descriptor).st_size != self.valid_bytes:  # changed since it was read
                os.close(descriptor)
                raise IndexWriteError(f"{self.path} changed since it was read; reload first")
            os.lseek(descriptor, self.valid_bytes, os.SEEK_SET)
            if created:
                fsync_folder(self.path.parent)
            self._descriptor = descriptor
        return self._descriptor

    def _cut_to_valid(self) -> None:
        """Cut the file back to its intact prefix (after its bad tail was set aside)."""
        with self.path.open("r+b") as handle:
            handle.truncate(self.valid_bytes)
            os.fsync(handle.fileno())
        self.seen_bytes = self.valid_bytes

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
