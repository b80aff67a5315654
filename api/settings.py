"""Every setting of the server, declared once with its default and help text.

Each can be set by an environment variable `PAPERSIFT_<NAME>` (e.g. `PAPERSIFT_PORT=9000`) or by
the matching `papersift serve` flag; flags win.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.live import COMPACT_AFTER
from search.milvus import MilvusError, MilvusTarget


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERSIFT_", frozen=True)

    index: Path | None = Field(
        default=None,
        description="Index folder to serve. Unset: the embedded demo corpus, built on first start.",
    )
    model: str | None = Field(
        default=None,
        description="Query embedding model; must be the index's (unset: the manifest's model).",
    )
    runtime: str = Field(
        default="auto",
        pattern="^(auto|torch|onnx)$",
        description="Query encoder runtime: onnx, torch, or auto (ONNX where installed).",
    )
    backend: str = Field(
        default="local",
        pattern="^(local|milvus)$",
        description="Where the index lives: local (FAISS + BM25 files) or milvus (a collection).",
    )
    milvus_uri: str | None = Field(
        default=None, description="Milvus server URI (backend milvus), e.g. http://host:19530."
    )
    milvus_token: SecretStr | None = Field(
        default=None, description="Milvus token (user:password or API key), if it needs one."
    )
    milvus_collection: str = Field(
        default="papersift", description="Milvus collection (or alias) holding the papers."
    )
    host: str = Field(default="127.0.0.1", description="Interface the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins allowed to call the API from a browser (JSON list, e.g. ["*"]).',
    )
    max_limit: int = Field(
        default=100, ge=1, le=1000, description="Largest `limit` a request may ask."
    )
    max_query_length: int = Field(
        default=1000, ge=1, description="Longest query accepted, in characters."
    )
    max_batch: int = Field(default=100, ge=1, description="Most queries in one batch request.")
    write_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the write endpoints (PUT/POST/DELETE /api/papers). "
        "Unset: writes are disabled (403).",
    )
    max_upsert: int = Field(
        default=1000, ge=1, le=100_000, description="Most papers in one POST /api/papers."
    )
    compact_after: int = Field(
        default=COMPACT_AFTER,
        ge=1,
        description="Rows added or deleted before the update log is folded into the index files.",
    )


def milvus_target(settings: Settings) -> MilvusTarget | None:
    """The Milvus collection to serve, or None for the local backend."""
    if settings.backend != "milvus":
        return None
    if not settings.milvus_uri:
        raise MilvusError("backend milvus needs a Milvus URI: --milvus-uri or PAPERSIFT_MILVUS_URI")
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else None
    return MilvusTarget(settings.milvus_uri, token, settings.milvus_collection)
