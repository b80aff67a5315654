"""The subscriptions database's tables (versioned with `PRAGMA user_version`): the first
version's schema, then one script per later version, applied in order, each in the transaction
that sets its version."""

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    webhook_url TEXT,
    webhook_secret TEXT,
    email TEXT,
    email_confirmed INTEGER NOT NULL DEFAULT 0,
    email_token TEXT UNIQUE,
    digest TEXT,
    feed_token TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_digest_at TEXT,
    profile BLOB,
    terms TEXT NOT NULL DEFAULT '{}',
    spread TEXT NOT NULL DEFAULT '[]',
    top TEXT NOT NULL DEFAULT '[]',
    refreshed_at TEXT
);
CREATE INDEX subscriptions_by_email ON subscriptions(email);
CREATE TABLE matches (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    score REAL NOT NULL,
    first_issue INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, paper_id)
);
CREATE INDEX matches_newest ON matches(subscription_id, matched_at DESC);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    gave_up_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(delivered_at, gave_up_at, next_attempt_at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Version 2: a delivery is claimed (until a time) by the process sending it, so that two
# processes on one index never send it both; addresses are counted case-blind.
MIGRATIONS = {
    2: """
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
CREATE INDEX subscriptions_by_address ON subscriptions(lower(email));
""",
}
