"""`papersift serve`."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import SecretStr

from papersift.api.cli.options import (
    BackendOption,
    IndexOption,
    MilvusCollectionOption,
    MilvusTokenOption,
    MilvusUriOption,
)
from papersift.api.settings import Settings


def serve(
    index: IndexOption = None,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on (default: 8000).")
    ] = None,
    backend: BackendOption = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
    sync: Annotated[
        list[str] | None,
        typer.Option(
            help="Keep the index current from this source: arxiv or arxiv:SET (e.g. "
            "arxiv:cs); repeatable."
        ),
    ] = None,
    sync_every: Annotated[
        str | None, typer.Option(help="How often to sync: 30m, 6h, 1d (default: 6h).")
    ] = None,
) -> None:
    """Serve the search page and JSON API (settings also from PAPERSIFT_* variables)."""
    from papersift.api.http.server import run_server  # (uvicorn and FastAPI load only here)

    given = {"index": index, "host": host, "port": port, "milvus_uri": milvus_uri,
             "backend": backend, "milvus_collection": milvus_collection,
             "milvus_token": SecretStr(milvus_token) if milvus_token else None,
             "sync": sync, "sync_every": sync_every}  # fmt: skip
    flags = {name: value for name, value in given.items() if value is not None}
    settings = Settings.model_validate({**Settings().model_dump(), **flags})
    run_server(settings, say=lambda line: typer.echo(f"papersift: {line}"))
