"""Subscriptions, their matches and their outbox, in SQLite beside the index (`subscriptions.db`
in the index folder, not in a generation: they outlive rebuilds and compactions).

WAL journal, `synchronous=FULL`: a transaction is on disk when it commits. Matches and the
deliveries they cause are written in one transaction, so a crash between a match and its
delivery loses neither: the outbox is read again at start. The schema is versioned with
`PRAGMA user_version`. Every failure of the database (a full disk, a damaged file, a lock held
too long by another process, the file removed while open) is a `StoreUnavailableError`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from papersift.search.errors import LimitReachedError, StoreUnavailableError
from papersift.search.subscriptions import rows
from papersift.search.subscriptions.model import (
    Channel,
    DeliveryStatus,
    Limits,
    Match,
    Outgoing,
    Profile,
    Secrets,
    Subscription,
)
from papersift.search.subscriptions.schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION

DATABASE_FILE = "subscriptions.db"
VERSION = "subscriptions_version"  # meta: bumped by every change to the subscriptions' rows


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SubscriptionStore:
    """One SQLite database; one connection, used by one thread at a time."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / DATABASE_FILE
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
                self._db.execute(f"PRAGMA {pragma}")
            self._migrate()
        except sqlite3.Error as error:
            raise StoreUnavailableError(f"cannot open {self.path}: {error}") from error
        self._identity = _identity(self.path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """The connection, for one thread at a time; what fails in the database is said as a
        StoreUnavailableError."""
        with self._lock:
            if _identity(self.path) != self._identity:  # writes would go to a deleted file
                raise StoreUnavailableError(
                    f"{self.path} was removed or replaced while open; restart to open it again"
                )
            try:
                yield self._db
            except sqlite3.Error as error:
                raise StoreUnavailableError(
                    f"the subscriptions database failed: {error}"
                ) from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable change."""
        with self._using() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _rows(self, query: str, *values: object) -> list[sqlite3.Row]:
        with self._using() as db:
            return db.execute(query, values).fetchall()

    def _row(self, query: str, *values: object) -> sqlite3.Row | None:
        with self._using() as db:
            found: sqlite3.Row | None = db.execute(query, values).fetchone()
            return found

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer papersift (schema {version})")
        steps = {1: SCHEMA, **MIGRATIONS}
        with self._lock:  # one script, one transaction: each step and its version together
            for step in range(version + 1, SCHEMA_VERSION + 1):
                self._db.executescript(
                    f"BEGIN IMMEDIATE;{steps[step]}PRAGMA user_version = {step};COMMIT;"
                )

    def add(
        self,
        subscription: Subscription,
        secrets: Secrets,
        profile: Profile,
        matches: Sequence[Match],
        limits: Limits | None = None,
    ) -> None:
        """Store a new subscription with its first issue (its current top N); with `limits`,
        only while they hold, checked in the same transaction (parallel sign-ups cannot all
        pass the check before any is stored)."""
        spec = json.dumps(rows.spec_to_dict(subscription.spec))
        delivery = subscription.delivery
        with self.transaction() as db:
            if limits is not None:
                _check_limits(db, limits, delivery.email)
            db.execute(
                "INSERT INTO subscriptions (id, spec, webhook_url, webhook_secret, email, "
                "email_confirmed, email_token, digest, feed_token, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    subscription.id,
                    spec,
                    delivery.webhook_url,
                    secrets.webhook_secret,
                    delivery.email,
                    int(subscription.email_confirmed),
                    secrets.email_token,
                    delivery.digest,
                    subscription.feed_token,
                    subscription.created_at,
                    subscription.created_by,
                ),
            )
            self._save_profile(db, subscription.id, profile)
            self._add_matches(db, matches)
            _bump(db)

    def version(self) -> int:
        """Changes with every change to the subscriptions themselves (not to their matches or
        deliveries): what a copy of the profiles is checked against."""
        row = self._row("SELECT value FROM meta WHERE key = ?", VERSION)
        return 0 if row is None else int(row[0])

    def profiles(self) -> list[tuple[Subscription, Profile]]:
        """Every subscription with what matching needs of it."""
        found = self._rows("SELECT * FROM subscriptions ORDER BY created_at")
        return [(rows.subscription(row), rows.profile(row)) for row in found]

    def get(self, subscription_id: str) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE id = ?", subscription_id)

    def by_feed(self, feed_token: str) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE feed_token = ?", feed_token)

    def by_email_token(self, email_token: str) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE email_token = ?", email_token)

    def webhook_secret(self, subscription_id: str) -> str | None:
        row = self._row("SELECT webhook_secret FROM subscriptions WHERE id = ?", subscription_id)
        return None if row is None else row[0]

    def email_token(self, subscription_id: str) -> str | None:
        row = self._row("SELECT email_token FROM subscriptions WHERE id = ?", subscription_id)
        return None if row is None else row[0]

    def all(self, limit: int = -1, offset: int = 0) -> list[Subscription]:
        """Oldest first; a page of them with `limit` (-1: every one)."""
        found = self._rows(
            "SELECT * FROM subscriptions ORDER BY created_at, id LIMIT ? OFFSET ?", limit, offset
        )
        return [rows.subscription(row) for row in found]

    def total(self) -> int:
        row = self._row("SELECT COUNT(*) FROM subscriptions")
        return 0 if row is None else int(row[0])

    def delete(self, subscription_id: str) -> bool:
        with self.transaction() as db:
            gone = db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
            _bump(db)
        return gone.rowcount > 0

    def confirm(self, email_token: str) -> Subscription | None:
        with self.transaction() as db:
            db.execute(
                "UPDATE subscriptions SET email_confirmed = 1 WHERE email_token = ?",
                (email_token,),
            )
            _bump(db)
        return self.by_email_token(email_token)

    def drop_email(self, subscription_id: str) -> None:
        """Stop mailing: the address, its token and its digest are forgotten."""
        with self.transaction() as db:
            db.execute(
                "UPDATE subscriptions SET email = NULL, email_confirmed = 0, email_token = NULL, "
                "digest = NULL WHERE id = ?",
                (subscription_id,),
            )
            _bump(db)

    def save_matches(
        self,
        matches: Sequence[Match],
        profiles: dict[str, Profile],
        outgoing: Sequence[tuple[str, Channel, str, str]],
        meta: dict[str, str],
    ) -> None:
        """One durable step: the matches, the subscriptions' new top scores, the deliveries they
        cause (subscription id, channel, key, payload) and bookkeeping."""
        with self.transaction() as db:
            self._add_matches(db, matches)
            for subscription_id, profile in profiles.items():
                self._save_profile(db, subscription_id, profile)
            for subscription_id, channel, key, payload in outgoing:
                self._queue(db, subscription_id, channel, key, payload)
            for key, value in meta.items():
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def queue(self, subscription_id: str, channel: Channel, key: str, payload: str) -> None:
        with self.transaction() as db:
            self._queue(db, subscription_id, channel, key, payload)

    def matches(self, subscription_id: str, limit: int, offset: int = 0) -> list[Match]:
        """Newest first."""
        found = self._rows(
            "SELECT * FROM matches WHERE subscription_id = ? ORDER BY matched_at DESC, "
            "score DESC LIMIT ? OFFSET ?",
            subscription_id,
            limit,
            offset,
        )
        return [rows.match(row) for row in found]

    def matches_since(self, subscription_id: str, since: str | None) -> list[Match]:
        found = self._rows(
            "SELECT * FROM matches WHERE subscription_id = ? AND matched_at > ? "
            "ORDER BY matched_at DESC, score DESC",
            subscription_id,
            since or "",
        )
        return [rows.match(row) for row in found]

    def match_count(self, subscription_id: str) -> int:
        row = self._row("SELECT COUNT(*) FROM matches WHERE subscription_id = ?", subscription_id)
        return 0 if row is None else int(row[0])

    def digests_due(self, daily_before: str, weekly_before: str) -> list[Subscription]:
        """Confirmed e-mail subscriptions whose last digest is older than their period."""
        found = self._rows(
            "SELECT * FROM subscriptions WHERE email IS NOT NULL AND email_confirmed = 1 "
            "AND ((digest = 'daily' AND COALESCE(last_digest_at, '') < ?) OR "
            "(digest = 'weekly' AND COALESCE(last_digest_at, '') < ?))",
            daily_before,
            weekly_before,
        )
        return [rows.subscription(row) for row in found]

    def queue_digest(self, subscription_id: str, key: str, payload: str, at: str) -> None:
        """Queue a digest and mark the subscription's digest as sent at `at`, in one step."""
        with self.transaction() as db:
            self._queue(db, subscription_id, Channel.digest, key, payload)
            db.execute(
                "UPDATE subscriptions SET last_digest_at = ? WHERE id = ?", (at, subscription_id)
            )

    def claim(
        self, now: str, until: str, channels: Sequence[Channel], limit: int = 50
    ) -> list[Outgoing]:
        """Deliveries by `channels` whose next attempt is due and that no process is sending,
        oldest first, claimed for this one until `until` (after a crash, another process takes
        them then)."""
        marks = ", ".join("?" * len(channels))
        with self.transaction() as db:
            found = db.execute(
                "SELECT * FROM outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL AND "
                f"next_attempt_at <= ? AND COALESCE(claimed_until, '') <= ? AND channel IN "
                f"({marks}) ORDER BY id LIMIT ?",
                (now, now, *channels, limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET claimed_until = ? WHERE id = ?",
                [(until, row["id"]) for row in found],
            )
        return [rows.outgoing(row) for row in found]

    def delivered(self, outgoing_id: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, "
                "claimed_until = NULL WHERE id = ?",
                (now_iso(), outgoing_id),
            )

    def failed(self, outgoing_id: int, error: str, next_attempt_at: str | None) -> None:
        """Count a failed attempt; None: stop trying."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = "
                "COALESCE(?, next_attempt_at), gave_up_at = CASE WHEN ? IS NULL THEN ? END, "
                "claimed_until = NULL WHERE id = ?",
                (error[:500], next_attempt_at, next_attempt_at, now_iso(), outgoing_id),
            )

    def delivery_status(self, subscription_id: str) -> DeliveryStatus:
        """The last attempt and the failures of a subscription's deliveries."""
        row = self._row(
            "SELECT COUNT(*) AS total, SUM(delivered_at IS NOT NULL) AS delivered, "
            "SUM(delivered_at IS NULL AND gave_up_at IS NULL) AS pending, "
            "SUM(gave_up_at IS NOT NULL) AS given_up, MAX(COALESCE(delivered_at, "
            "gave_up_at)) AS last_attempt_at FROM outbox WHERE subscription_id = ?",
            subscription_id,
        )
        error = self._row(
            "SELECT last_error FROM outbox WHERE subscription_id = ? AND last_error IS NOT "
            "NULL ORDER BY id DESC LIMIT 1",
            subscription_id,
        )
        assert row is not None  # an aggregate always has its row
        return DeliveryStatus(
            total=row["total"] or 0,
            delivered=row["delivered"] or 0,
            pending=row["pending"] or 0,
            given_up=row["given_up"] or 0,
            last_attempt_at=row["last_attempt_at"],
            last_error=error[0] if error else None,
        )

    def stale(self, before: str) -> list[str]:
        """Subscriptions whose profile was last refreshed before `before`, oldest first."""
        found = self._rows(
            "SELECT id FROM subscriptions WHERE COALESCE(refreshed_at, '') < ? "
            "ORDER BY refreshed_at",
            before,
        )
        return [row[0] for row in found]

    def refresh(self, subscription_id: str, profile: Profile) -> None:
        """Replace a subscription's profile with one from a fresh search."""
        with self.transaction() as db:
            self._save_profile(db, subscription_id, profile)
            db.execute(
                "UPDATE subscriptions SET refreshed_at = ? WHERE id = ?",
                (now_iso(), subscription_id),
            )
            _bump(db)

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        row = self._row("SELECT value FROM meta WHERE key = ?", key)
        return None if row is None else str(row[0])

    def _one(self, query: str, value: str) -> Subscription | None:
        row = self._row(query, value)
        return None if row is None else rows.subscription(row)

    @staticmethod
    def _save_profile(db: sqlite3.Connection, subscription_id: str, profile: Profile) -> None:
        db.execute(
            "UPDATE subscriptions SET profile = ?, terms = ?, spread = ?, top = ?, "
            "refreshed_at = COALESCE(refreshed_at, ?) WHERE id = ?",
            (
                np.asarray(profile.vector, "<f4").tobytes(),
                json.dumps(profile.terms),
                json.dumps(list(profile.spread)),
                json.dumps([list(entry) for entry in profile.top]),
                now_iso(),
                subscription_id,
            ),
        )

    @staticmethod
    def _add_matches(db: sqlite3.Connection, matches: Sequence[Match]) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO matches VALUES (?, ?, ?, ?, ?)",
            [
                (m.subscription_id, m.paper_id, m.matched_at, m.score, int(m.first_issue))
                for m in matches
            ],
        )

    @staticmethod
    def _queue(
        db: sqlite3.Connection, subscription_id: str, channel: Channel, key: str, payload: str
    ) -> None:
        created = now_iso()
        db.execute(
            "INSERT OR IGNORE INTO outbox (subscription_id, channel, key, payload, created_at, "
            "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
            (subscription_id, channel, key, payload, created, created),
        )


def _check_limits(db: sqlite3.Connection, limits: Limits, email: str | None) -> None:
    made = db.execute("SELECT COUNT(*) FROM subscriptions WHERE created_by = 'page'").fetchone()
    if made[0] >= limits.total:
        raise LimitReachedError("This server takes no more sign-ups for now.")
    if email is None:
        return
    held = db.execute(
        "SELECT COUNT(*) FROM subscriptions WHERE lower(email) = lower(?)", (email,)
    ).fetchone()
    if held[0] >= limits.per_address:
        raise LimitReachedError(
            f"That address already has {limits.per_address} subscriptions here."
        )


def _bump(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET "
        "value = CAST(value AS INTEGER) + 1",
        (VERSION,),
    )


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file `path` names now (None: none)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino
