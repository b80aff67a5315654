"""Every setting of the server, declared once with its default and help text.

Each can be set by an environment variable `PAPERSIFT_<NAME>` (e.g. `PAPERSIFT_PORT=9000`) or by
the matching `papersift serve` flag; flags win.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from papersift.api.delivery.config import DeliveryConfig, SmtpConfig
from papersift.api.http.guard import GuardSettings
from papersift.api.sources import seconds_of, sets_of
from papersift.index.storage.live import COMPACT_AFTER
from papersift.search.backends.interface import BackendConfig, BackendName
from papersift.search.sync import ARXIV_ENDPOINT, SyncRequest

SHORT_TOKEN = 16  # characters; a shorter write token is warned about at start


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
    backend: BackendName = Field(
        default=BackendName.local,
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
        "Unset or blank: writes are disabled (403).",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="Largest request body, in bytes (a batch upsert may have 16 KiB per paper "
        "of max_upsert if that is more); larger ones get 413 as they stream in.",
    )
    body_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a request body may take to arrive once its headers have; then 408.",
    )
    max_upsert: int = Field(
        default=1000, ge=1, le=100_000, description="Most papers in one POST /api/papers."
    )
    compact_after: int = Field(
        default=COMPACT_AFTER,
        ge=1,
        description="Rows added or deleted before the update log is folded into the index files.",
    )
    cue_threshold: float | None = Field(
        default=None,
        ge=0,
        le=2,
        description="Fixes the match cue's threshold for every index: a search whose best paper "
        "stands less than this above the corpus's mean cosine is weak (unset: each index's own, "
        "calibrated at build).",
    )

    state_folder: Path | None = Field(
        default=None,
        description="Where papersift keeps its own state for a Milvus collection (sync progress, "
        "subscriptions); the local backend keeps it in the index folder.",
    )
    sync: list[str] = Field(
        default_factory=list,
        description='Sources `serve` keeps the index current from, e.g. ["arxiv:cs"] (arxiv, or '
        "arxiv:SET); none: no syncing.",
    )
    sync_every: str = Field(
        default="6h", description="How often `serve` syncs: 30m, 6h, 1d (it also syncs at start)."
    )
    sync_endpoint: str = Field(
        default=ARXIV_ENDPOINT, description="The OAI-PMH base URL to sync from."
    )
    sync_delay: float = Field(
        default=3.0, ge=0, description="Seconds between OAI-PMH requests (arXiv asks for 3)."
    )

    public_url: str | None = Field(
        default=None,
        description="The server's address as readers reach it, for links in mails and feeds "
        "(unset: http://HOST:PORT).",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for e-mail digests (unset: no e-mail)."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_security: str = Field(
        default="starttls",
        pattern="^(starttls|tls|none)$",
        description="starttls (port 587), tls (implicit, port 465) or none (a local relay).",
    )
    smtp_user: str | None = Field(default=None, description="SMTP user name, if it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="papersift <papersift@localhost>", description="The From: address of mails."
    )
    open_signups: bool = Field(
        default=False,
        description="Let people without the write token subscribe from the page (feed and "
        "e-mail; never webhooks).",
    )
    signups_per_address: int = Field(
        default=5, ge=1, description="Most page sign-ups for one e-mail address."
    )
    signups_total: int = Field(
        default=1000, ge=1, description="Most subscriptions created from the page, in all."
    )
    webhook_public_only: bool = Field(
        default=False,
        description="Refuse webhook URLs that resolve to private, loopback or link-local "
        "addresses (SSRF protection).",
    )
    webhook_deadline: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds one webhook POST may take in all (connecting, sending, the answer).",
    )
    delivery_concurrency: int = Field(
        default=8, ge=1, le=64, description="Deliveries (webhooks and mails) sent at once."
    )
    retry_for: str = Field(
        default="1d", description="How long a failing delivery is retried (30m, 6h, 1d)."
    )
    retry_base: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Seconds before the first retry of a delivery; each retry waits twice as long.",
    )

    @field_validator("sync", mode="after")
    @classmethod
    def _known_sources(cls, sources: list[str]) -> list[str]:
        sets_of(sources)  # a ValueError names the bad one
        return sources

    @field_validator("sync_every", "retry_for", mode="after")
    @classmethod
    def _a_duration(cls, every: str) -> str:
        seconds_of(every)
        return every

    @field_validator("write_token", mode="after")
    @classmethod
    def _blank_token_disables_writes(cls, token: SecretStr | None) -> SecretStr | None:
        if token is None:
            return None
        stripped = token.get_secret_value().strip()
        return SecretStr(stripped) if stripped else None

    @property
    def token(self) -> str | None:
        """The write token, or None when writes are disabled."""
        return self.write_token.get_secret_value() if self.write_token else None

    def guard(self) -> GuardSettings:
        return GuardSettings(self.token, self.max_body_bytes, self.max_upsert, self.body_timeout)


def startup_warnings(settings: Settings) -> list[str]:
    """What `serve` says before it starts: settings that are probably not what was meant."""
    warnings = []
    if settings.token is None and os.environ.get("PAPERSIFT_WRITE_TOKEN") is not None:
        warnings.append("PAPERSIFT_WRITE_TOKEN is set but blank: writes stay disabled")
    elif settings.token is not None and len(settings.token) < SHORT_TOKEN:
        warnings.append(
            f"the write token has {len(settings.token)} characters; use {SHORT_TOKEN} or more "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    return warnings


def backend_config(settings: Settings) -> BackendConfig:
    """The backend these settings name, as the search layer opens it."""
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else None
    return BackendConfig(
        name=settings.backend,
        index=settings.index,
        uri=settings.milvus_uri,
        token=token,
        collection=settings.milvus_collection,
        model=settings.model,
        runtime=settings.runtime,
        compact_after=settings.compact_after,
        cue_threshold=settings.cue_threshold,
        state=settings.state_folder,
    )


def delivery_config(settings: Settings) -> DeliveryConfig:
    """Where links in mails and feeds point, and how mail and webhooks are sent."""
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    smtp = None
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        smtp = SmtpConfig(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_user,
            password,
            settings.smtp_from,
        )
    return DeliveryConfig(
        public_url=public_url.rstrip("/"),
        smtp=smtp,
        webhook_public_only=settings.webhook_public_only,
        retry_for=seconds_of(settings.retry_for),
        retry_base=settings.retry_base,
        webhook_deadline=settings.webhook_deadline,
        concurrency=settings.delivery_concurrency,
    )


def sync_request(settings: Settings) -> SyncRequest | None:
    """What `serve` syncs (None: nothing)."""
    if not settings.sync:
        return None
    return SyncRequest(
        sets_of(settings.sync), None, None, settings.sync_endpoint, settings.sync_delay
    )
