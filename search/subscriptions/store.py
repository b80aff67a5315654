"""Subscriptions, their matches and their outbox, in SQLite beside the index (`subscriptions.db`
in the index folder, not in a generation: they outlive rebuilds and compactions).

WAL journal, `synchronous=FULL`: a transaction is on disk when it commits. Matches and the
deliveries they cause are written in one transaction, so a crash between a match and its
delivery loses neither: the outbox is read again at start. The schema is versioned with
`PRAGMA user_version`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from papersift.search.subscriptions import rows
from papersift.search.subscriptions.model import (
    Channel,
    DeliveryStatus,
    Match,
    Outgoing,
    Profile,
    Secrets,
    Subscription,
)
from papersift.search.subscriptions.schema import SCHEMA, SCHEMA_VERSION

DATABASE_FILE = "subscriptions.db"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SubscriptionStore:
    """One SQLite database; one connection, used by one thread at a time."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / DATABASE_FILE
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self._db.execute(f"PRAGMA {pragma}")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable change."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer papersift (schema {version})")
        if version == 0:  # one script, one transaction: the schema and its version together
            with self._lock:
                self._db.executescript(
                    f"BEGIN IMMEDIATE;{SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;"
                )

    def add(
        self,
        subscription: Subscription,
        secrets: Secrets,
        profile: Profile,
        matches: Sequence[Match],
    ) -> None:
        """Store a new subscription with its first issue (its current top N)."""
        spec = json.dumps(rows.spec_to_dict(subscription.spec))
        delivery = subscription.delivery
        with self.transaction() as db:
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

    def profiles(self) -> list[tuple[Subscription, Profile]]:
        """Every subscription with what matching needs of it."""
        with self._lock:
            found = self._db.execute("SELECT * FROM subscriptions ORDER BY created_at").fetchall()
        return [(rows.subscription(row), rows.profile(row)) for row in found]

    def get(self, subscription_id: str) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE id = ?", subscription_id)

    def by_feed(self, feed_token: str) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE feed_token = ?", feed_token)

    def by_email_token(self, email_token: str) -> Subscription | None:
        return self._one("SELECT * FROM subscriptions WHERE email_token = ?", email_token)

    def webhook_secret(self, subscription_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT webhook_secret FROM subscriptions WHERE id = ?", (subscription_id,)
            ).fetchone()
        return None if row is None else row[0]

    def email_token(self, subscription_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT email_token FROM subscriptions WHERE id = ?", (subscription_id,)
            ).fetchone()
        return None if row is None else row[0]

    def all(self) -> list[Subscription]:
        with self._lock:
            found = self._db.execute("SELECT * FROM subscriptions ORDER BY created_at").fetchall()
        return [rows.subscription(row) for row in found]

    def count(self, email: str | None = None, created_by: str | None = None) -> int:
        clauses = [
            (column, value)
            for column, value in (("email", email), ("created_by", created_by))
            if value is not None
        ]
        where = " AND ".join(f"{column} = ?" for column, _ in clauses) or "1"
        with self._lock:
            row = self._db.execute(
                f"SELECT COUNT(*) FROM subscriptions WHERE {where}",
                tuple(value for _, value in clauses),
            ).fetchone()
        return int(row[0])

    def delete(self, subscription_id: str) -> bool:
        with self.transaction() as db:
            gone = db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
        return gone.rowcount > 0

    def confirm(self, email_token: str) -> Subscription | None:
        with self.transaction() as db:
            db.execute(
                "UPDATE subscriptions SET email_confirmed = 1 WHERE email_token = ?",
                (email_token,),
            )
        return self.by_email_token(email_token)

    def drop_email(self, subscription_id: str) -> None:
        """Stop mailing: the address, its token and its digest are forgotten."""
        with self.transaction() as db:
            db.execute(
                "UPDATE subscriptions SET email = NULL, email_confirmed = 0, email_token = NULL, "
                "digest = NULL WHERE id = ?",
                (subscription_id,),
            )

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
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM matches WHERE subscription_id = ? ORDER BY matched_at DESC, "
                "score DESC LIMIT ? OFFSET ?",
                (subscription_id, limit, offset),
            ).fetchall()
        return [rows.match(row) for row in found]

    def matches_since(self, subscription_id: str, since: str | None) -> list[Match]:
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM matches WHERE subscription_id = ? AND matched_at > ? "
                "ORDER BY matched_at DESC, score DESC",
                (subscription_id, since or ""),
            ).fetchall()
        return [rows.match(row) for row in found]

    def match_count(self, subscription_id: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM matches WHERE subscription_id = ?", (subscription_id,)
            ).fetchone()
        return int(row[0])

    def digests_due(self, daily_before: str, weekly_before: str) -> list[Subscription]:
        """Confirmed e-mail subscriptions whose last digest is older than their period."""
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM subscriptions WHERE email IS NOT NULL AND email_confirmed = 1 "
                "AND ((digest = 'daily' AND COALESCE(last_digest_at, '') < ?) OR "
                "(digest = 'weekly' AND COALESCE(last_digest_at, '') < ?))",
                (daily_before, weekly_before),
            ).fetchall()
        return [rows.subscription(row) for row in found]

    def queue_digest(self, subscription_id: str, key: str, payload: str, at: str) -> None:
        """Queue a digest and mark the subscription's digest as sent at `at`, in one step."""
        with self.transaction() as db:
            self._queue(db, subscription_id, Channel.digest, key, payload)
            db.execute(
                "UPDATE subscriptions SET last_digest_at = ? WHERE id = ?", (at, subscription_id)
            )

    def due(self, now: str, limit: int = 50) -> list[Outgoing]:
        """Deliveries waiting whose next attempt is due, oldest first."""
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL AND "
                "next_attempt_at <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        return [rows.outgoing(row) for row in found]

    def delivered(self, outgoing_id: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?",
                (now_iso(), outgoing_id),
            )

    def failed(self, outgoing_id: int, error: str, next_attempt_at: str | None) -> None:
        """Count a failed attempt; None: stop trying."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = "
                "COALESCE(?, next_attempt_at), gave_up_at = CASE WHEN ? IS NULL THEN ? END "
                "WHERE id = ?",
                (error[:500], next_attempt_at, next_attempt_at, now_iso(), outgoing_id),
            )

    def delivery_status(self, subscription_id: str) -> DeliveryStatus:
        """The last attempt and the failures of a subscription's deliveries."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) AS total, SUM(delivered_at IS NOT NULL) AS delivered, "
                "SUM(delivered_at IS NULL AND gave_up_at IS NULL) AS pending, "
                "SUM(gave_up_at IS NOT NULL) AS given_up, MAX(COALESCE(delivered_at, "
                "gave_up_at)) AS last_attempt_at FROM outbox WHERE subscription_id = ?",
                (subscription_id,),
            ).fetchone()
            error = self._db.execute(
                "SELECT last_error FROM outbox WHERE subscription_id = ? AND last_error IS NOT "
                "NULL ORDER BY id DESC LIMIT 1",
                (subscription_id,),
            ).fetchone()
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
        with self._lock:
            found = self._db.execute(
                "SELECT id FROM subscriptions WHERE COALESCE(refreshed_at, '') < ? "
                "ORDER BY refreshed_at",
                (before,),
            ).fetchall()
        return [row[0] for row in found]

    def refresh(self, subscription_id: str, profile: Profile) -> None:
        """Replace a subscription's profile with one from a fresh search."""
        with self.transaction() as db:
            self._save_profile(db, subscription_id, profile)
            db.execute(
                "UPDATE subscriptions SET refreshed_at = ? WHERE id = ?",
                (now_iso(), subscription_id),
            )

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _one(self, query: str, value: str) -> Subscription | None:
        with self._lock:
            row = self._db.execute(query, (value,)).fetchone()
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
