"""Options several commands share, declared once, and the backend they name (flags over the
`PAPERSIFT_*` settings)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from papersift.api.settings import Settings, backend_config
from papersift.search.backends.interface import BackendConfig, BackendName

IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index", "-i", help="Index folder (default: the demo index, built on first use)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BackendOption = Annotated[
    BackendName | None,
    typer.Option(help="local: an index folder; milvus: a Milvus collection (default: local)."),
]
MilvusUriOption = Annotated[
    str | None, typer.Option(help="Milvus URI for --backend milvus (or PAPERSIFT_MILVUS_URI).")
]
MilvusTokenOption = Annotated[
    str | None, typer.Option(help="Milvus token (or PAPERSIFT_MILVUS_TOKEN).")
]
MilvusCollectionOption = Annotated[
    str | None, typer.Option(help="Milvus collection alias (default: papersift).")
]


def config_of(
    index: Path | None = None,
    backend: BackendName | None = None,
    milvus_uri: str | None = None,
    milvus_token: str | None = None,
    milvus_collection: str | None = None,
    model: str | None = None,
) -> BackendConfig:
    """The backend the command's flags name, each flag overriding its `PAPERSIFT_*` setting."""
    flags = {"name": backend, "index": index, "uri": milvus_uri, "token": milvus_token,
             "collection": milvus_collection, "model": model}  # fmt: skip
    given = {field: value for field, value in flags.items() if value is not None}
    return dataclasses.replace(backend_config(Settings()), **given)  # type: ignore[arg-type]
