"""Papers on disk, read on demand: `papers.jsonl` plus the byte offset of every row.

Only the rows a query returns are parsed, so a 1M-paper index does not hold 1M paper objects in
memory. Years and categories, which filters need for every row, are kept as small arrays.
"""

from __future__ import annotations

import itertools
import json
import mmap
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.papers.dates import arxiv_month
from papersift.index.papers.paper import Paper

PAPERS_FILE = "papers.jsonl"
OFFSETS_FILE = "papers.offsets.npy"
YEARS_FILE = "papers.years.npy"
DATES_FILE = "papers.dates.npy"  # first published, as YYYYMMDD (day or month 00 where unknown)
CATEGORIES_FILE = "papers.categories.json"
CATEGORY_ROWS_FILE = "papers.categories.npz"
IDS_FILE = "papers.ids.json"
NO_YEAR = 0
NO_DATE = 0


class PaperTable:
    """Row -> `Paper`, doc_id -> row, and per-row years and categories for filtering.

    The built papers are read from disk on demand; papers added since are held in memory after
    them, and deleted rows leave `live` (their doc_id no longer finds a row).
    """

    def __init__(self, folder: Path) -> None:
        self.offsets = np.load(folder / OFFSETS_FILE, allow_pickle=False)
        self.years = np.load(folder / YEARS_FILE, allow_pickle=False)
        self.category_names: list[str] = json.loads(
            (folder / CATEGORIES_FILE).read_text(encoding="utf-8")
        )
        self.category_rows = sparse.load_npz(folder / CATEGORY_ROWS_FILE).tocsc()
        self._file = (folder / PAPERS_FILE).open("rb")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self.ids: list[str] = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
        self.rows_by_id = {doc_id: row for row, doc_id in enumerate(self.ids)}
        self.dates = _dates(folder, self.ids, self.years)
        self.built_rows = len(self.offsets) - 1
        self.added: tuple[Paper, ...] = ()
        self.added_rows_by_id: dict[str, int] = {}
        self.live: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        """Rows, deleted ones included."""
        return self.built_rows + len(self.added)

    @property
    def live_count(self) -> int:
        return len(self) if self.live is None else int(self.live.sum())

    def with_added(self, papers: Sequence[Paper]) -> PaperTable:
        """A new store with `papers` appended as rows `len(self)`, ... (ids must not be live)."""
        first = len(self)
        rows_by_id = dict(self.added_rows_by_id)
        rows_by_id.update((paper.id, first + i) for i, paper in enumerate(papers))
        new_years = np.array([paper.year or NO_YEAR for paper in papers], dtype=self.years.dtype)
        new_dates = np.array([date_key(paper) for paper in papers], dtype=np.int32)
        live = (
            None if self.live is None else np.concatenate([self.live, np.ones(len(papers), bool)])
        )
        years = np.concatenate([self.years, new_years])
        dates = np.concatenate([self.dates, new_dates])
        return self._derived(self.added + tuple(papers), rows_by_id, live, years, dates)

    def with_removed(self, rows: Sequence[int]) -> PaperTable:
        """A new store where `rows` are deleted."""
        live = np.ones(len(self), bool) if self.live is None else self.live.copy()
        live[np.asarray(rows, np.int64)] = False
        gone = {self.id_of(row) for row in rows}
        rows_by_id = {
            doc_id: row for doc_id, row in self.added_rows_by_id.items() if doc_id not in gone
        }
        return self._derived(self.added, rows_by_id, live, self.years, self.dates)

    def _derived(
        self,
        added: tuple[Paper, ...],
        added_rows_by_id: dict[str, int],
        live: npt.NDArray[np.bool_] | None,
        years: npt.NDArray[np.int16],
        dates: npt.NDArray[np.int32],
    ) -> PaperTable:
        store = object.__new__(PaperTable)
        store.__dict__.update(
            {name: value for name, value in self.__dict__.items() if name not in CACHED}
        )
        store.added, store.added_rows_by_id = added, added_rows_by_id
        store.live, store.years, store.dates = live, years, dates
        return store

    def _record(self, row: int) -> dict[str, object]:
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        record: dict[str, object] = json.loads(self._map[start:end])
        return record

    def get(self, row: int) -> Paper:
        if row >= self.built_rows:
            return self.added[row - self.built_rows]
        return Paper.from_stored(self._record(row))

    def id_of(self, row: int) -> str:
        if row >= self.built_rows:
            return self.added[row - self.built_rows].id
        return self.ids[row]

    def row_of(self, doc_id: str) -> int | None:
        """The live row of `doc_id`, or None."""
        row = self.added_rows_by_id.get(doc_id)
        if row is not None:
            return row
        row = self.rows_by_id.get(doc_id)
        if row is None or (self.live is not None and not self.live[row]):
            return None
        return row

    def rows_in_category(self, category: str) -> npt.NDArray[np.bool_]:
        """A mask of the rows tagged with `category` (all False for an unknown one)."""
        mask = np.zeros(len(self), dtype=bool)
        if category in self.category_names:
            column = self.category_names.index(category)
            start, end = self.category_rows.indptr[column], self.category_rows.indptr[column + 1]
            mask[self.category_rows.indices[start:end]] = True
        for offset, paper in enumerate(self.added):
            mask[self.built_rows + offset] = category in paper.categories
        return mask

    @cached_property
    def categories_by_frequency(self) -> list[str]:
        """Category names over live papers, most papers first (ties by first appearance)."""
        counts: Counter[str] = Counter()
        live = self.live
        for column, name in enumerate(self.category_names):
            rows = self.category_rows.indices[
                self.category_rows.indptr[column] : self.category_rows.indptr[column + 1]
            ]
            counts[name] = len(rows) if live is None else int(live[rows].sum())
        for offset, paper in enumerate(self.added):
            if live is None or live[self.built_rows + offset]:
                counts.update(dict.fromkeys(paper.categories, 1))
        first_seen = {name: position for position, name in enumerate(counts)}
        names = [name for name, count in counts.items() if count > 0]
        return sorted(names, key=lambda name: (-counts[name], first_seen[name]))

    def category_counts(self, rows: npt.NDArray[np.int64]) -> list[tuple[str, int]]:
        """How many of `rows` carry each category, most first (ties by name)."""
        counts: Counter[str] = Counter()
        built = rows[rows < self.built_rows]
        if len(built):
            sums = np.asarray(self._categories_by_row[built].sum(axis=0)).ravel()
            for column in np.flatnonzero(sums).tolist():
                counts[self.category_names[column]] = int(sums[column])
        for row in rows[rows >= self.built_rows].tolist():
            counts.update(dict.fromkeys(self.added[row - self.built_rows].categories, 1))
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @cached_property
    def _categories_by_row(self) -> sparse.csr_matrix:
        return self.category_rows.tocsr()

    @cached_property
    def newest_order(self) -> npt.NDArray[np.int64]:
        """Live rows, newest first by date (the later row first among equal dates)."""
        rows = np.arange(len(self), dtype=np.int64)
        if self.live is not None:
            rows = rows[self.live]
        order: npt.NDArray[np.int64] = rows[np.lexsort((-rows, -self.dates[rows]))]
        return order

    @cached_property
    def date_range(self) -> tuple[str | None, str | None]:
        """The oldest and newest known dates among live rows, as YYYY-MM-DD (00 where the day or
        month is unknown); None where no date is known."""
        dates = self.dates if self.live is None else self.dates[self.live]
        known = dates[dates > 0]
        if len(known) == 0:
            return None, None
        return _iso(int(known.min())), _iso(int(known.max()))

    def rows_with_author(self, text: str) -> npt.NDArray[np.bool_]:
        """A mask of the rows with an author whose name contains `text` (case-insensitive)."""
        needle = text.casefold().strip()
        added = ("\n".join(paper.authors).casefold() for paper in self.added)
        return np.fromiter(
            (needle in authors for authors in itertools.chain(self._author_lines, added)),
            dtype=bool,
            count=len(self),
        )

    @cached_property
    def _author_lines(self) -> list[str]:
        """Built rows' author names, casefolded and joined; read on the first author filter."""
        return ["\n".join(self.get(row).authors).casefold() for row in range(self.built_rows)]

    def close(self) -> None:
        self._map.close()
        self._file.close()


CACHED = ("categories_by_frequency", "newest_order", "date_range")  # recomputed after changes


def write_papers(folder: Path, papers: Iterable[Paper]) -> list[str]:
    """Write the paper files for `papers` (row i = the i-th paper), in one pass; returns names."""
    offsets = [0]
    ids: list[str] = []
    years: list[int] = []
    dates: list[int] = []
    categories: list[tuple[str, ...]] = []
    with (folder / PAPERS_FILE).open("wb") as handle:
        for paper in papers:
            line = json.dumps(paper.to_record(), ensure_ascii=False).encode("utf-8") + b"\n"
            handle.write(line)
            offsets.append(offsets[-1] + len(line))
            ids.append(paper.id)
            years.append(paper.year or NO_YEAR)
            dates.append(date_key(paper))
            categories.append(paper.categories)
    np.save(folder / OFFSETS_FILE, np.asarray(offsets, dtype=np.int64))
    (folder / IDS_FILE).write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    np.save(folder / YEARS_FILE, np.asarray(years, dtype=np.int16))
    np.save(folder / DATES_FILE, np.asarray(dates, dtype=np.int32))
    names, matrix = _category_matrix(categories)
    (folder / CATEGORIES_FILE).write_text(json.dumps(names), encoding="utf-8")
    sparse.save_npz(folder / CATEGORY_ROWS_FILE, matrix, compressed=False)
    return [
        PAPERS_FILE,
        OFFSETS_FILE,
        IDS_FILE,
        YEARS_FILE,
        DATES_FILE,
        CATEGORIES_FILE,
        CATEGORY_ROWS_FILE,
    ]


def date_key(paper: Paper) -> int:
    """The paper's first publication date as a sortable YYYYMMDD number (00 for an unknown day
    or month; 0 when nothing is known but maybe a year, then YYYY0000)."""
    if paper.published:
        parts = [int(part) for part in paper.published.split("-")[:3]]
        year, month, day = (*parts, 0, 0)[:3]
        return year * 10000 + month * 100 + day
    return (paper.year or 0) * 10000


def _dates(folder: Path, ids: Sequence[str], years: npt.NDArray[np.int16]) -> npt.NDArray[np.int32]:
    """The saved dates; for an index written before they were, the month of each arXiv id,
    else the year."""
    path = folder / DATES_FILE
    if path.is_file():
        saved: npt.NDArray[np.int32] = np.load(path, allow_pickle=False)
        return saved
    months = (arxiv_month(doc_id) for doc_id in ids)
    keys = [
        int(month.replace("-", "")) * 100 if month else int(year) * 10000
        for month, year in zip(months, years.tolist(), strict=True)
    ]
    return np.asarray(keys, dtype=np.int32)


def _iso(key: int) -> str:
    return f"{key // 10000:04d}-{key // 100 % 100:02d}-{key % 100:02d}"


def _category_matrix(
    categories: Sequence[tuple[str, ...]],
) -> tuple[list[str], sparse.csc_matrix]:
    ids: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, names in enumerate(categories):
        for category in dict.fromkeys(names):
            rows.append(row)
            columns.append(ids.setdefault(category, len(ids)))
    data = np.ones(len(rows), dtype=np.int8)
    matrix = sparse.csc_matrix((data, (rows, columns)), shape=(len(categories), len(ids)))
    return list(ids), matrix
