"""Errors raised at query time."""


class SearchLayerError(Exception):
    """Base class for errors of the search layer."""


class QueryError(SearchLayerError):
    """The request cannot be answered as asked (empty query, bad paging, bad filter)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PaperNotFoundError(SearchLayerError):
    """No paper with that id in the index."""

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"no paper with id {doc_id!r}")
        self.paper_id = doc_id


class BackendUnavailableError(SearchLayerError):
    """The backend holding the index (a Milvus server) refused or failed a request; trying again
    later may work."""


class StoreUnavailableError(SearchLayerError):
    """The subscriptions' database failed (a full disk, a damaged or removed file, another
    process holding it too long); trying again later may work."""


class LimitReachedError(SearchLayerError):
    """A limit on what strangers may create was reached."""
