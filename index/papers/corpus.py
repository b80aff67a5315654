"""Read corpora of abstracts: JSONL (optionally gzipped), CSV, BEIR folders, the arXiv snapshot.

A bad record never aborts a load: it is skipped, counted by reason, and the first few are kept
with their file and line number for the build report.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from papersift.index.errors import CorpusError
from papersift.index.papers.limits import Limited
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import (
    ABSTRACT_FIELDS,
    ID_FIELDS,
    RecordError,
    dropped_fields,
    read_paper,
)

logger = logging.getLogger(__name__)

EXAMPLES_KEPT = 5


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """Where a skipped record was and why."""

    source: str
    line: int
    reason: str


@dataclass
class LoadReport:
    """What a corpus load read, kept, and skipped."""

    read: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # fields removed from kept papers
    cut: Counter[str] = field(default_factory=Counter)  # fields cut to their limits
    examples: list[SkippedRecord] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, source: str, line: int, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(SkippedRecord(source, line, reason))

    def limited(self, limited: Limited) -> None:
        """Count what a kept paper lost to the field limits."""
        self.cut.update(str(limit) for limit in limited.cut)
        self.dropped.update(str(limit) for limit in limited.dropped)

    def summary(self) -> str:
        """A readable paragraph for the CLI: counts, then the first few skipped records."""
        lines = [self.counts()]
        lines += [f"  {ex.source}:{ex.line}: {ex.reason}" for ex in self.examples]
        return "\n".join(lines)

    def counts(self) -> str:
        """One line: records read, skipped by reason, duplicates."""
        parts = [f"read {self.read} records"]
        if self.skipped_total:
            reasons = ", ".join(f"{count} {reason}" for reason, count in self.skipped.most_common())
            parts.append(f"skipped {self.skipped_total} ({reasons})")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate ids (the last one kept)")
        for name, count in self.cut.most_common():
            parts.append(f"cut {count} {name}")
        for name, count in self.dropped.most_common():
            parts.append(f"dropped {count} {name}")
        return "; ".join(parts)


def load_papers(paths: Sequence[Path | str]) -> tuple[list[Paper], LoadReport]:
    """Read every corpus path; duplicate ids keep the last record, in the first one's position."""
    report = LoadReport()
    by_id: dict[str, Paper] = {}
    for path in paths:
        for paper in iter_papers(Path(path), report):
            if paper.id in by_id:
                report.duplicates += 1
            by_id[paper.id] = paper
    if not by_id:
        first = (
            f"; first at {report.examples[0].source}:{report.examples[0].line}"
            if report.examples
            else ""
        )
        raise CorpusError(
            f"no usable papers in {', '.join(map(str, paths))}: {report.counts()}{first}"
        )
    return list(by_id.values()), report


def iter_papers(path: Path, report: LoadReport) -> Iterator[Paper]:
    """Papers of one corpus path, in file order; bad records go to `report`."""
    source = resolve_corpus_file(path)
    for line, record in _records(source, report):
        report.read += 1
        try:
            limited = read_paper(record)
        except RecordError as error:
            report.skip(source.name, line, str(error))
            continue
        report.dropped.update(dropped_fields(record))
        report.limited(limited)
        yield limited.paper


def resolve_corpus_file(path: Path) -> Path:
    """A file as given, or the `corpus.jsonl` inside a BEIR folder."""
    if path.is_dir():
        for name in ("corpus.jsonl", "corpus.jsonl.gz"):
            if (path / name).is_file():
                return path / name
        raise CorpusError(f"{path} is a folder without corpus.jsonl (expected a BEIR folder)")
    if not path.exists():
        raise CorpusError(f"corpus file not found: {path}")
    if path.stat().st_size == 0:
        raise CorpusError(f"corpus file is empty: {path}")
    return path


def _records(path: Path, report: LoadReport) -> Iterator[tuple[int, Mapping[str, Any]]]:
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return _csv_records(path)
    if name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson")):
        return _jsonl_records(path, report)
    raise CorpusError(
        f"{path}: unknown corpus format (expected .jsonl, .jsonl.gz, .csv or a folder)"
    )


def _open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace", newline="")


def _jsonl_records(path: Path, report: LoadReport) -> Iterator[tuple[int, Mapping[str, Any]]]:
    with _open_text(path) as lines:
        for number, line in enumerate(_gzip_safe(lines, path), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                report.read += 1
                report.skip(path.name, number, "unparsable JSON")
                continue
            if not isinstance(record, dict):
                report.read += 1
                report.skip(path.name, number, "not a JSON object")
                continue
            yield number, record


def _gzip_safe(lines: Iterable[str], path: Path) -> Iterator[str]:
    """Lines of a file; a truncated gzip stream ends the file with a warning instead of a crash."""
    try:
        yield from lines
    except (EOFError, OSError) as error:
        logger.warning("%s: stopped reading early: %s", path, error)


def _csv_records(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        columns = {column.strip().lower() for column in reader.fieldnames or []}
        if not columns & set(ID_FIELDS):
            raise CorpusError(f"{path}: CSV has no id column (one of {', '.join(ID_FIELDS)})")
        if not columns & set(ABSTRACT_FIELDS):
            wanted = ", ".join(ABSTRACT_FIELDS)
            raise CorpusError(f"{path}: CSV has no abstract column (one of {wanted})")
        for row in reader:
            normalised = {(key or "").strip().lower(): value for key, value in row.items()}
            yield reader.line_num, normalised
