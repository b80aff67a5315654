"""What delivery needs to know, taken from the settings once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "starttls", "tls" or "none"
    user: str | None
    password: str | None
    sender: str
    timeout: float = 30.0


@dataclass(frozen=True)
class DeliveryConfig:
    public_url: str  # links in mails and feeds start with it (no trailing slash)
    smtp: SmtpConfig | None  # None: no e-mail
    webhook_public_only: bool = False
    retry_for: float = 86_400.0  # seconds a failing delivery is retried
    retry_base: float = 30.0  # seconds before the first retry; then twice as long each time
    poll: float = 5.0  # seconds between looks at the outbox when nothing wakes the worker
    webhook_deadline: float = 10.0  # seconds for all of one webhook POST
    concurrency: int = 8  # deliveries sent at once
