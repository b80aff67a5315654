"""Papers on disk, read on demand: `papers.jsonl` plus the byte offset of every row.

Only the rows a query returns are parsed, so a 1M-paper index does not hold 1M paper objects in
memory. Years and categories, which filters need for every row, are kept as small arrays.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from index.papers import Paper

PAPERS_FILE = "papers.jsonl"
OFFSETS_FILE = "papers.offsets.npy"
YEARS_FILE = "papers.years.npy"
CATEGORIES_FILE = "papers.categories.json"
CATEGORY_ROWS_FILE = "papers.categories.npz"
DOC_IDS_FILE = "papers.ids.json"
NO_YEAR = 0


class PaperStore:
    """Row -> `Paper`, doc_id -> row, and per-row years and categories for filtering."""

    def __init__(self, folder: Path) -> None:
        self.offsets = np.load(folder / OFFSETS_FILE, allow_pickle=False)
        self.years = np.load(folder / YEARS_FILE, allow_pickle=False)
        self.category_names: list[str] = json.loads(
            (folder / CATEGORIES_FILE).read_text(encoding="utf-8")
        )
        self.category_rows = sparse.load_npz(folder / CATEGORY_ROWS_FILE).tocsc()
        self._file = (folder / PAPERS_FILE).open("rb")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self.doc_ids: list[str] = json.loads((folder / DOC_IDS_FILE).read_text(encoding="utf-8"))
        self.rows_by_id = {doc_id: row for row, doc_id in enumerate(self.doc_ids)}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _record(self, row: int) -> dict[str, object]:
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        record: dict[str, object] = json.loads(self._map[start:end])
        return record

    def get(self, row: int) -> Paper:
        return Paper.from_stored(self._record(row))

    def doc_id(self, row: int) -> str:
        return self.doc_ids[row]

    def row_of(self, doc_id: str) -> int | None:
        return self.rows_by_id.get(doc_id)

    def rows_in_category(self, category: str) -> npt.NDArray[np.bool_]:
        """A mask of the rows tagged with `category` (all False for an unknown one)."""
        mask = np.zeros(len(self), dtype=bool)
        try:
            column = self.category_names.index(category)
        except ValueError:
            return mask
        start, end = self.category_rows.indptr[column], self.category_rows.indptr[column + 1]
        mask[self.category_rows.indices[start:end]] = True
        return mask

    @cached_property
    def categories_by_frequency(self) -> list[str]:
        """Category names, most papers first (ties by first appearance)."""
        counts = self.category_rows.getnnz(axis=0)
        order = sorted(range(len(counts)), key=lambda column: (-counts[column], column))
        return [self.category_names[column] for column in order]

    def rows_with_author(self, text: str) -> npt.NDArray[np.bool_]:
        """A mask of the rows with an author whose name contains `text` (case-insensitive)."""
        needle = text.casefold().strip()
        return np.fromiter(
            (needle in authors for authors in self._author_lines),
            dtype=bool,
            count=len(self),
        )

    @cached_property
    def _author_lines(self) -> list[str]:
        """Every row's author names, casefolded and joined; read on the first author filter."""
        return ["\n".join(self.get(row).authors).casefold() for row in range(len(self))]

    def close(self) -> None:
        self._map.close()
        self._file.close()


def write_papers(folder: Path, papers: Sequence[Paper]) -> list[str]:
    """Write the paper files for `papers` (row i = papers[i]); returns their names."""
    offsets = np.zeros(len(papers) + 1, dtype=np.int64)
    with (folder / PAPERS_FILE).open("wb") as handle:
        for row, paper in enumerate(papers):
            line = json.dumps(paper.to_record(), ensure_ascii=False).encode("utf-8") + b"\n"
            handle.write(line)
            offsets[row + 1] = offsets[row] + len(line)
    np.save(folder / OFFSETS_FILE, offsets)
    ids = [paper.doc_id for paper in papers]
    (folder / DOC_IDS_FILE).write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    years = np.array([paper.year or NO_YEAR for paper in papers], dtype=np.int16)
    np.save(folder / YEARS_FILE, years)
    names, matrix = _category_matrix(papers)
    (folder / CATEGORIES_FILE).write_text(json.dumps(names), encoding="utf-8")
    sparse.save_npz(folder / CATEGORY_ROWS_FILE, matrix, compressed=False)
    return [
        PAPERS_FILE,
        OFFSETS_FILE,
        DOC_IDS_FILE,
        YEARS_FILE,
        CATEGORIES_FILE,
        CATEGORY_ROWS_FILE,
    ]


def _category_matrix(papers: Sequence[Paper]) -> tuple[list[str], sparse.csc_matrix]:
    ids: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, paper in enumerate(papers):
        for category in dict.fromkeys(paper.categories):
            rows.append(row)
            columns.append(ids.setdefault(category, len(ids)))
    data = np.ones(len(rows), dtype=np.int8)
    matrix = sparse.csc_matrix((data, (rows, columns)), shape=(len(papers), len(ids)))
    return list(ids), matrix
