"""papersift: hybrid (BM25 + dense) search over scientific paper abstracts.

As a library:

    from papersift import Index

    index = Index.build(["papers.jsonl"], "indexes/mine")  # or Index.open("indexes/mine")
    for hit in index.search("sparse attention", limit=5):
        print(hit.id, hit.title, hit.score)

The repository's `index/`, `search/` and `api/` folders are this package's `papersift.index`,
`papersift.search` and `papersift.api` (linked here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from papersift.index import __version__

if TYPE_CHECKING:
    from papersift.api.library import ChangeReport, Hit, Hits, Index, Paper

__all__ = ["ChangeReport", "Hit", "Hits", "Index", "Paper", "__version__"]


def __getattr__(name: str) -> Any:
    """The library's names, imported on first use: `import papersift` alone stays light."""
    if name in ("ChangeReport", "Hit", "Hits", "Index", "Paper"):
        from papersift.api import library

        return getattr(library, name)
    raise AttributeError(f"module 'papersift' has no attribute {name!r}")
