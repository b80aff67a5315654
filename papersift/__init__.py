"""papersift: hybrid (BM25 + dense) search over scientific paper abstracts.

The folders `index/`, `search/` and `api/` of the repository are this package's `papersift.index`,
`papersift.search` and `papersift.api` (linked here). The Python API is `Index`.
"""

from papersift.index import __version__

__all__ = ["__version__"]
