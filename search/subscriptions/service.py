"""The subscriptions of one index: created from a spec (their first issue is their current top N),
matched as papers arrive, through a listener on the index's write path, in the same step as the
change, before the change can be compacted away."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from papersift.index.papers.paper import Paper
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change
from papersift.search.backends.interface import Backend, BackendName
from papersift.search.errors import QueryError
from papersift.search.hits import Hit
from papersift.search.requests import Mode
from papersift.search.subscriptions.model import (
    MOST_TOP,
    Channel,
    Delivery,
    Kind,
    Limits,
    Match,
    Secrets,
    Spec,
    Subscription,
)
from papersift.search.subscriptions.percolator import Arrivals, percolate
from papersift.search.subscriptions.profiles import profile_of
from papersift.search.subscriptions.roster import Roster
from papersift.search.subscriptions.store import (
    DATABASE_FILE,
    SubscriptionStore,
    now_iso,
)

logger = logging.getLogger(__name__)

MATCHED_SEQUENCE = "matched_sequence"  # meta: every logged change up to this one is matched
# Changes whose matching failed (the store was locked or full), kept to be matched again before
# any later one. Past this many, the oldest are let go: the update log still holds them, and the
# restart's catch-up starts from the last change matched before them.
MOST_UNMATCHED = 1000


@dataclass(frozen=True)
class Created:
    """A new subscription, the secrets shown once, and its first issue."""

    subscription: Subscription
    secrets: Secrets
    first_issue: tuple[Hit, ...]


class Subscriptions:
    """Create, read and delete subscriptions; match arrivals against them."""

    def __init__(self, store: SubscriptionStore, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self._roster = Roster([])
        self._roster_version = -1  # the store's version the roster is of
        self._unmatched: list[tuple[Change, Snapshot | None]] = []
        self._matching = threading.Lock()  # the write path's listener and the delivery thread
        self._let_go = False  # some changes were let go: the matched sequence stays put

    def create(
        self, spec: Spec, delivery: Delivery, created_by: str, limits: Limits | None = None
    ) -> Created:
        """Validate, profile (a fresh search), store with its first issue (within `limits`,
        where given), and queue its first deliveries: the first issue to a webhook, a
        confirmation to an e-mail address."""
        self._check(spec)
        profile, hits = profile_of(spec, self.backend.reader)
        subscription = Subscription(
            id=secrets.token_urlsafe(9),
            spec=spec,
            delivery=delivery,
            feed_token=secrets.token_urlsafe(24),
            email_confirmed=False,
            created_at=now_iso(),
            created_by=created_by,
        )
        hidden = Secrets(
            webhook_secret=secrets.token_urlsafe(32) if delivery.webhook_url else None,
            email_token=secrets.token_urlsafe(24) if delivery.email else None,
        )
        first = [
            Match(subscription.id, hit.id, subscription.created_at, hit.score, True) for hit in hits
        ]
        self.store.add(subscription, hidden, profile, first, limits)
        if delivery.webhook_url and hits:
            papers = [(hit.paper, hit.score) for hit in hits]
            self.store.queue(subscription.id, Channel.webhook, *payload(subscription, papers, True))
        if delivery.email:
            self.store.queue(subscription.id, Channel.confirm, str(uuid.uuid4()), "{}")
        return Created(subscription, hidden, hits)

    def on_change(self, change: Change, snapshot: Snapshot | None) -> None:
        """Match a committed change's papers (the index's listener). Changes are matched in
        order: one whose matching fails waits, with every later one, for the next change (or
        `retry`), and the matched sequence never moves past it."""
        with self._matching:
            self._unmatched.append((change, snapshot))
            if len(self._unmatched) > MOST_UNMATCHED:
                del self._unmatched[0]
                self._let_go = True
                logger.error("more than %d changes are not matched; the oldest wait for a "
                             "restart", MOST_UNMATCHED)  # fmt: skip
        self.retry()

    def retry(self) -> None:
        """Match the changes whose matching failed, oldest first; what fails (the store's
        StoreUnavailableError, say) leaves it and every later change waiting."""
        with self._matching:
            while self._unmatched:
                change, snapshot = self._unmatched[0]
                self._match_change(change, snapshot)
                self._unmatched.pop(0)

    @property
    def unmatched(self) -> int:
        """How many committed changes wait to be matched (the store failed)."""
        return len(self._unmatched)

    def _match_change(self, change: Change, snapshot: Snapshot | None) -> None:
        upserted = [
            (paper, vector)
            for paper, vector in zip(
                change.papers, change.vectors if change.vectors is not None else [], strict=True
            )
        ]
        done = change.sequence and not self._let_go
        meta = {MATCHED_SEQUENCE: str(change.sequence)} if done else {}
        if not upserted:
            self.store.save_matches([], {}, [], meta)
            return
        self.match([paper for paper, _ in upserted], change, snapshot, meta)

    def match(
        self,
        papers: Sequence[Paper],
        change: Change,
        snapshot: Snapshot | None,
        meta: dict[str, str],
    ) -> None:
        assert change.vectors is not None
        arrivals = Arrivals(papers, change.vectors, snapshot)
        roster = self.roster()
        outcome = percolate(arrivals, roster, now_iso())
        by_id = {subscription.id: subscription for subscription, _ in roster.entries}
        papers_by_id = {paper.id: paper for paper in papers}
        outgoing = []
        for subscription_id, matched in _grouped(outcome.matches).items():
            subscription = by_id[subscription_id]
            if subscription.delivery.webhook_url:
                found = [(papers_by_id[m.paper_id], m.score) for m in matched]
                outgoing.append(
                    (subscription_id, Channel.webhook, *payload(subscription, found, False))
                )
        self.store.save_matches(outcome.matches, outcome.profiles, outgoing, meta)
        roster.replace(outcome.profiles)
        if outcome.matches:
            logger.info(
                "%d new matches for %d subscriptions", len(outcome.matches), len(outcome.profiles)
            )

    def roster(self) -> Roster:
        """Every subscription with its profile, laid out for matching: kept in memory and read
        again only when the subscriptions changed (in this process or another), so that a write
        does not read every profile while it holds the index's write lock."""
        version = self.store.version()
        if version != self._roster_version:
            self._roster = Roster(self.store.profiles())
            self._roster_version = version
        return self._roster

    def catch_up(self) -> int:
        """Match the changes committed but not matched (a crash between the two); how many."""
        writer = self.backend.writer
        done = int(self.store.meta(MATCHED_SEQUENCE) or 0)
        return writer.replay(done) if writer is not None else 0

    def refresh(self, older_than: timedelta) -> int:
        """Profile again, from fresh searches, the subscriptions last profiled before
        `older_than` ago (corpus statistics drift as papers arrive)."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="microseconds")
        refreshed = 0
        for subscription_id in self.store.stale(cutoff):
            subscription = self.store.get(subscription_id)
            if subscription is None:
                continue
            try:
                profile, _ = profile_of(subscription.spec, self.backend.reader)
            except QueryError as error:  # e.g. every paper of its list was deleted
                logger.warning("subscription %s keeps its profile: %s", subscription_id, error)
                continue
            self.store.refresh(subscription_id, profile)
            refreshed += 1
        return refreshed

    def pending_digests(self, now: datetime) -> list[tuple[Subscription, list[Match]]]:
        """E-mail subscriptions whose digest is due and has papers in it, with those matches."""
        daily = (now - timedelta(days=1)).isoformat(timespec="microseconds")
        weekly = (now - timedelta(days=7)).isoformat(timespec="microseconds")
        pending = []
        for subscription in self.store.digests_due(daily, weekly):
            matches = self.store.matches_since(subscription.id, subscription.last_digest_at)
            if matches:
                pending.append((subscription, matches))
        return pending

    def queue_digests(self, now: datetime) -> int:
        """Queue every due digest (a digest covers the matches since the previous one)."""
        at = now.isoformat(timespec="microseconds")
        pending = self.pending_digests(now)
        for subscription, _ in pending:
            window = json.dumps({"since": subscription.last_digest_at, "until": at})
            self.store.queue_digest(subscription.id, str(uuid.uuid4()), window, at)
        return len(pending)

    def _check(self, spec: Spec) -> None:
        if not 1 <= spec.top <= MOST_TOP:
            raise QueryError("top", f"must be between 1 and {MOST_TOP}")
        if spec.kind == Kind.search and not spec.query.strip():
            raise QueryError("q", "the query is empty")
        remote = self.backend.reader.stats().backend != BackendName.local
        if spec.kind == Kind.search and spec.mode != Mode.dense and remote:
            raise QueryError(
                "mode",
                "on this backend only dense searches and paper lists can "
                "be subscribed to (lexical scores need the local index)",
            )
        unknown = [
            i for i in (*spec.positives, *spec.negatives) if not self.backend.reader.paper(i)
        ]
        if unknown:
            raise QueryError("papers", f"not in the index: {', '.join(unknown[:5])}")


def payload(
    subscription: Subscription, papers: Sequence[tuple[Paper, float]], first_issue: bool
) -> tuple[str, str]:
    """A webhook delivery: its idempotency key and its JSON body."""
    key = str(uuid.uuid4())
    body: dict[str, Any] = {
        "event": "papers.matched",
        "delivery": key,
        "subscription": {"id": subscription.id, "name": subscription.spec.name},
        "first_issue": first_issue,
        "created_at": now_iso(),
        "papers": [
            {
                "id": paper.id,
                "title": paper.title,
                "authors": list(paper.authors),
                "published": paper.published,
                "categories": list(paper.categories),
                "url": paper.url,
                "score": round(score, 6),
            }
            for paper, score in papers
        ],
    }
    return key, json.dumps(body, ensure_ascii=False)


def _grouped(matches: Sequence[Match]) -> dict[str, list[Match]]:
    grouped: dict[str, list[Match]] = {}
    for match in matches:
        grouped.setdefault(match.subscription_id, []).append(match)
    return grouped


def attach(backend: Backend, create: bool = False) -> Subscriptions | None:
    """The index's subscriptions, listening to its writes (None where it has none and `create`
    is false, or where the backend has no state folder)."""
    if backend.state is None or backend.writer is None:
        return None
    if not create and not (backend.state / DATABASE_FILE).is_file():
        return None
    new = not (backend.state / DATABASE_FILE).is_file()
    subscriptions = Subscriptions(SubscriptionStore(backend.state), backend)
    if new:  # the changes so far are in every first issue: none is to be caught up on
        subscriptions.store.set_meta(MATCHED_SEQUENCE, str(backend.writer.sequence))
    backend.writer.add_listener(subscriptions.on_change)
    return subscriptions
