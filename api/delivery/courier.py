"""Delivering the outbox: each due delivery is tried once; a failure is retried later with
exponential backoff (retry_base, then twice as long each time, at most an hour apart) until
`retry_for` has passed since it was queued. At least once: a delivery is marked delivered only
after the receiver took it, so a crash in between sends it again (webhook receivers drop
repeats by the X-Papersift-Delivery key)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from papersift.api.delivery import letters, mail, webhooks
from papersift.api.delivery.config import DeliveryConfig
from papersift.api.delivery.webhooks import DeliveryError
from papersift.index.papers.paper import Paper
from papersift.search.subscriptions.model import Channel, Outgoing
from papersift.search.subscriptions.service import Subscriptions

logger = logging.getLogger(__name__)

LONGEST_WAIT = 3600.0  # seconds between two retries, at most


@dataclass(frozen=True)
class Round:
    """What one pass over the outbox did."""

    delivered: int = 0
    failed: int = 0
    waiting: int = 0  # mails held back because no SMTP server is configured


class Courier:
    def __init__(self, subscriptions: Subscriptions, config: DeliveryConfig) -> None:
        self.subscriptions = subscriptions
        self.store = subscriptions.store
        self.config = config
        self.http = webhooks.client()

    def close(self) -> None:
        self.http.close()

    def deliver_due(self) -> Round:
        """Try every delivery that is due now."""
        delivered = failed = waiting = 0
        for outgoing in self.store.due(_now().isoformat(timespec="microseconds")):
            if outgoing.channel != Channel.webhook and self.config.smtp is None:
                waiting += 1
                continue
            try:
                self._deliver(outgoing)
            except DeliveryError as error:
                failed += 1
                self.store.failed(outgoing.id, str(error), self._retry_at(outgoing))
                logger.warning("%s delivery %s failed: %s", outgoing.channel, outgoing.key, error)
                continue
            delivered += 1
            self.store.delivered(outgoing.id)
        return Round(delivered, failed, waiting)

    def _retry_at(self, outgoing: Outgoing) -> str | None:
        """When to try again (None: it has been tried for long enough)."""
        now = _now()
        if now - datetime.fromisoformat(outgoing.created_at) > timedelta(
            seconds=self.config.retry_for
        ):
            return None
        wait = min(self.config.retry_base * 2**outgoing.attempts, LONGEST_WAIT)
        return (now + timedelta(seconds=wait)).isoformat(timespec="microseconds")

    def _deliver(self, outgoing: Outgoing) -> None:
        subscription = self.store.get(outgoing.subscription_id)
        if subscription is None:
            return  # deleted meanwhile: nothing to deliver
        if outgoing.channel == Channel.webhook:
            url = subscription.delivery.webhook_url
            secret = self.store.webhook_secret(subscription.id)
            if url and secret:
                public_only = self.config.webhook_public_only
                webhooks.post(self.http, url, secret, outgoing.key, outgoing.payload, public_only)
            return
        token = self.store.email_token(subscription.id)
        if token is None or subscription.delivery.email is None:
            return  # unsubscribed meanwhile
        base = self.config.public_url
        if outgoing.channel == Channel.confirm:
            if not subscription.email_confirmed:
                self._mail(letters.confirmation(subscription, token, base))
            return
        if subscription.email_confirmed:
            papers = self._digest_papers(outgoing)
            if papers:
                self._mail(letters.digest(subscription, token, papers, base))

    def _digest_papers(self, outgoing: Outgoing) -> list[Paper]:
        """The papers matched in the digest's window, newest match first (still in the index)."""
        window = json.loads(outgoing.payload)
        matches = self.store.matches_since(outgoing.subscription_id, window["since"])
        reader = self.subscriptions.backend.reader
        papers = [reader.paper(m.paper_id) for m in matches if m.matched_at <= window["until"]]
        return [paper for paper in papers if paper is not None]

    def _mail(self, letter: letters.Letter) -> None:
        assert self.config.smtp is not None
        mail.send(self.config.smtp, mail.message(letter, self.config.smtp.sender))


def _now() -> datetime:
    return datetime.now(UTC)
