"""Delivering the outbox: each due delivery is tried once; a failure is retried later with
exponential backoff (retry_base, then twice as long each time, at most an hour apart) until
`retry_for` has passed since it was queued. At least once: a delivery is marked delivered only
after the receiver took it, so a crash in between sends it again (webhook receivers drop
repeats by the X-Papersift-Delivery key, mail readers by the Message-ID).

A round claims the deliveries it sends (another process on the same index skips them), and
sends them concurrently, a few at a time: a slow receiver holds only its own delivery, for at
most its deadline. Whatever goes wrong with one delivery is that delivery's failure, counted
and retried, never the round's."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from papersift.api.delivery import letters, mail, webhooks
from papersift.api.delivery.config import DeliveryConfig
from papersift.index.papers.paper import Paper
from papersift.search.errors import StoreUnavailableError
from papersift.search.subscriptions.model import Channel, Outgoing
from papersift.search.subscriptions.service import Subscriptions

logger = logging.getLogger(__name__)

LONGEST_WAIT = 3600.0  # seconds between two retries, at most
ROUND_SIZE = 50  # deliveries tried by one round
CLAIM_MARGIN = 10.0  # seconds a claim outlasts the longest a delivery may take


@dataclass(frozen=True)
class Round:
    """What one pass over the outbox did."""

    delivered: int = 0
    failed: int = 0


class Courier:
    def __init__(self, subscriptions: Subscriptions, config: DeliveryConfig) -> None:
        self.subscriptions = subscriptions
        self.store = subscriptions.store
        self.config = config

    def deliver_due(self) -> Round:
        """Try the deliveries that are due now and that no other process is sending (at most
        ROUND_SIZE: the rest wait for the next round)."""
        return asyncio.run(self._round())

    async def _round(self) -> Round:
        tally: Counter[bool] = Counter()
        async with webhooks.client(self.config.webhook_deadline) as http:
            senders = (self._sender(http, tally) for _ in range(self.config.concurrency))
            await asyncio.gather(*senders)
        return Round(delivered=tally[True], failed=tally[False])

    async def _sender(self, http: httpx.AsyncClient, tally: Counter[bool]) -> None:
        """One of the round's senders: it claims a delivery, sends it, and takes the next, so a
        slow receiver holds up one sender only."""
        while tally.total() < ROUND_SIZE:
            claimed = self._claim()
            if claimed is None:
                return
            tally[await self._attempt(claimed, http)] += 1

    def _claim(self) -> Outgoing | None:
        """The oldest due delivery, claimed for as long as sending it may take (if this process
        dies meanwhile, another sends it after that)."""
        smtp = self.config.smtp
        channels = tuple(Channel) if smtp else (Channel.webhook,)
        longest = max(self.config.webhook_deadline, smtp.timeout if smtp else 0.0)
        now = _now()
        until = now + timedelta(seconds=longest + CLAIM_MARGIN)
        found = self.store.claim(_iso(now), _iso(until), channels, limit=1)
        return found[0] if found else None

    async def _attempt(self, outgoing: Outgoing, http: httpx.AsyncClient) -> bool:
        """Send one delivery and record how it went; True if it went."""
        try:
            await self._deliver(outgoing, http)
        except Exception as error:  # every failure is this delivery's own, never the round's
            reason = str(error) if isinstance(error, webhooks.DeliveryError) else (
                f"{type(error).__name__}: {error}")  # fmt: skip
            logger.warning("%s delivery %s failed: %s", outgoing.channel, outgoing.key, reason)
            retry_at = self._retry_at(outgoing)
            self._record(lambda: self.store.failed(outgoing.id, reason, retry_at))
            return False
        self._record(lambda: self.store.delivered(outgoing.id))
        return True

    @staticmethod
    def _record(write: Callable[[], None]) -> None:
        """Record an attempt; if the store fails, the claim runs out and it is sent again."""
        try:
            write()
        except StoreUnavailableError as error:
            logger.error("cannot record a delivery attempt: %s", error)

    def _retry_at(self, outgoing: Outgoing) -> str | None:
        """When to try again (None: it has been tried for long enough)."""
        now = _now()
        if now - datetime.fromisoformat(outgoing.created_at) > timedelta(
            seconds=self.config.retry_for
        ):
            return None
        wait = min(self.config.retry_base * 2**outgoing.attempts, LONGEST_WAIT)
        return _iso(now + timedelta(seconds=wait))

    async def _deliver(self, outgoing: Outgoing, http: httpx.AsyncClient) -> None:
        subscription = self.store.get(outgoing.subscription_id)
        if subscription is None:
            return  # deleted meanwhile: nothing to deliver
        if outgoing.channel == Channel.webhook:
            url = subscription.delivery.webhook_url
            secret = self.store.webhook_secret(subscription.id)
            if url and secret:
                await webhooks.post(http, url, secret, outgoing.key, outgoing.payload,
                                    self.config.webhook_public_only,
                                    self.config.webhook_deadline)  # fmt: skip
            return
        token = self.store.email_token(subscription.id)
        if token is None or subscription.delivery.email is None:
            return  # unsubscribed meanwhile
        base = self.config.public_url
        if outgoing.channel == Channel.confirm:
            if not subscription.email_confirmed:
                await self._mail(letters.confirmation(subscription, token, base), outgoing.key)
            return
        if subscription.email_confirmed:
            papers = self._digest_papers(outgoing)
            if papers:
                await self._mail(letters.digest(subscription, token, papers, base), outgoing.key)

    def _digest_papers(self, outgoing: Outgoing) -> list[Paper]:
        """The papers matched in the digest's window, newest match first (still in the index)."""
        window = json.loads(outgoing.payload)
        matches = self.store.matches_since(outgoing.subscription_id, window["since"])
        reader = self.subscriptions.backend.reader
        papers = [reader.paper(m.paper_id) for m in matches if m.matched_at <= window["until"]]
        return [paper for paper in papers if paper is not None]

    async def _mail(self, letter: letters.Letter, key: str) -> None:
        smtp = self.config.smtp
        assert smtp is not None
        letter_out = mail.message(letter, smtp.sender, key)
        try:
            async with asyncio.timeout(smtp.timeout):  # each SMTP step has it too; all of them
                await asyncio.to_thread(mail.send, smtp, letter_out)
        except TimeoutError as error:
            raise webhooks.DeliveryError(f"SMTP: no answer within {smtp.timeout:g} s") from error


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")
