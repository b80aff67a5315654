"""Where a Milvus collection lives, and pymilvus's failures as one readable error."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from papersift.search.errors import BackendUnavailableError


class MilvusError(BackendUnavailableError):
    """The Milvus server refused or failed a request."""


@dataclass(frozen=True)
class MilvusTarget:
    """Where the collection lives: a server URI (or a milvus-lite file), token, alias name."""

    uri: str
    token: str | None = None
    collection: str = "papersift"

    def connect(self) -> Any:
        from pymilvus import MilvusClient

        # milvus-lite's in-process server logs a traceback for each RPC it does not implement
        # (pymilvus probes some); they are harmless, and real errors reach us as exceptions.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        with milvus_errors(f"cannot connect to Milvus at {self.uri}"):
            return MilvusClient(uri=self.uri, token=self.token or "")


@contextlib.contextmanager
def milvus_errors(doing: str) -> Iterator[None]:
    """Turn pymilvus's exceptions into one readable `MilvusError`."""
    try:
        yield
    except MilvusError:
        raise
    except Exception as error:  # pymilvus raises MilvusException, grpc errors, ValueError...
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        raise MilvusError(f"{doing}: {message}") from error
