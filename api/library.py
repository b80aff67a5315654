"""papersift as a library: build or open an index, search it, and change it, in a few lines.

    from papersift import Index

    index = Index.build(["papers.jsonl"], "indexes/mine")  # or Index.open("indexes/mine")
    hits = index.search("sparse attention", limit=5)
    for hit in hits:  # a list of hits; `hits.weak` when none stands out (the match cue)
        print(hit.id, hit.title, hit.score)
    index.add([{"id": "p1", "title": "...", "abstract": "..."}])
    index.delete(["p1"])

The same engine as the CLI and the server (a local index folder); changes are durable when a
call returns, and another process serving the folder sees them when it next writes or restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from papersift.index.build import BuildOptions, build_index
from papersift.index.dense.dense_index import DenseKind, DenseSettings
from papersift.index.encoding.encoder import DEFAULT_MODEL
from papersift.index.papers.limits import within_limits
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import paper_from_record
from papersift.index.storage.live import ChangeReport, LiveIndex
from papersift.search.hits import Hit, SearchResult
from papersift.search.requests import Filters, Fusion, Mode, SearchRequest
from papersift.search.searcher import Searcher

__all__ = ["ChangeReport", "Hit", "Hits", "Index", "Paper"]


class Hits(list[Hit]):
    """A search's hits, best first: a list, which also says whether they are weak matches.

    `weak` is the match cue: no paper stands out of the corpus for this query (nonsense, or a
    topic the corpus lacks), so these are only the closest papers. `standout` is the best
    paper's cosine less the corpus's mean cosine with the query, and `threshold` the standout
    below which a search is weak (both None where there is no meaning leg: lexical mode).
    """

    def __init__(self, result: SearchResult) -> None:
        super().__init__(result.hits)
        self.weak = result.weak
        self.standout = result.standout
        self.threshold = None if result.standout is None else result.threshold


class Index:
    """A papersift index folder, opened for searching and changing."""

    def __init__(self, live: LiveIndex, model: str | None = None) -> None:
        """Use `Index.open` or `Index.build`."""
        self._live = live
        self._searcher = Searcher(live, model=model)

    @classmethod
    def open(cls, folder: str | Path, model: str | None = None) -> Index:
        """The index at `folder` (with every change logged since it was built)."""
        return cls(LiveIndex(folder), model)

    @classmethod
    def build(
        cls,
        corpus: str | Path | Iterable[str | Path],
        folder: str | Path,
        model: str = DEFAULT_MODEL,
        dense: DenseKind = DenseKind.auto,
        progress: bool = False,
    ) -> Index:
        """Index the corpus files (JSONL, JSONL.gz, CSV or BEIR folders) into `folder`,
        replacing any index there atomically, and open it."""
        paths = [corpus] if isinstance(corpus, str | Path) else list(corpus)
        options = BuildOptions(model=model, dense=DenseSettings(kind=dense))
        build_index([Path(path) for path in paths], folder, options, progress=progress)
        return cls.open(folder)

    def search(
        self,
        query: str,
        limit: int = 10,
        offset: int = 0,
        mode: Mode = Mode.hybrid,
        fusion: Fusion = Fusion.zscore,
        year_from: int | None = None,
        year_to: int | None = None,
        categories: Iterable[str] = (),
        author: str | None = None,
    ) -> Hits:
        """The best papers for `query`, best first: each hit has `id`, `title`, `score`, `rank`,
        its `paper` and a `snippet` of the abstract around the matches. The list also says
        `weak` when none of them stands out (the match cue)."""
        filters = Filters(year_from, year_to, tuple(categories), author)
        request = SearchRequest(query, mode, limit, offset, fusion, filters=filters)
        return Hits(self._searcher.search(request))

    def similar(self, paper_id: str, limit: int = 10) -> list[Hit]:
        """The papers nearest to `paper_id` by meaning, the paper itself left out."""
        return list(self._searcher.similar(paper_id, limit))

    def paper(self, paper_id: str) -> Paper | None:
        return self._searcher.paper(paper_id)

    def add(self, papers: Iterable[Mapping[str, Any] | Paper]) -> ChangeReport:
        """Add papers (dicts with at least an `id` and a `title` or `abstract`, as in a corpus
        file, or `Paper`s), replacing those whose id exists. Only these papers are encoded.
        Fields over their limits are cut or dropped, as in a build."""
        given = [
            within_limits(p).paper if isinstance(p, Paper) else paper_from_record(p) for p in papers
        ]
        return self._live.upsert(given, self._searcher.encoder)

    def delete(self, ids: Iterable[str]) -> ChangeReport:
        """Delete papers by id; ids not in the index are reported in `missing`."""
        return self._live.delete(list(ids))

    def __len__(self) -> int:
        return self._live.index.size

    def close(self) -> None:
        """Let go of the folder (its write lock, if this index wrote)."""
        self._live.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
