"""Matching that survives a failing store, and a copy of the profiles that follows the store.

A change whose matching fails (another process holds the store's write lock past its busy
timeout) is matched once the store answers again, before any later change, and the matched
sequence never moves past it: neither the next write nor a restart loses its matches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper
from papersift.index.storage.live import LiveIndex
from papersift.search.subscriptions.model import Delivery, Kind, Spec, Subscription
from papersift.search.subscriptions.service import MATCHED_SEQUENCE, Subscriptions
from papersift.search.subscriptions.store import DATABASE_FILE, SubscriptionStore
from tests.search.test_subscriptions import index, opened  # noqa: F401 (the fixture)

ON_TOPIC = Paper(
    id="new-gnn",
    title="Graph neural networks with message passing on molecular graphs",
    abstract="We train graph neural networks whose message passing layers aggregate neighbour "
    "features on graphs; the graph neural network beats earlier graph networks.",
)
ALSO_ON_TOPIC = Paper(
    id="newer-gnn",
    title="Message passing graph neural networks for molecules",
    abstract="Graph neural networks pass messages between atoms of molecular graphs; our graph "
    "network aggregates neighbour features better than earlier graph neural networks.",
)
SPEC = Spec(Kind.search, "graph neural networks message passing", top=5)


@contextmanager
def store_locked(folder: Path) -> Iterator[None]:
    """Another process's write transaction on the subscriptions' store, held."""
    other = sqlite3.connect(folder / DATABASE_FILE, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def matched(subscriptions: Subscriptions, subscription_id: str) -> set[str]:
    return {m.paper_id for m in subscriptions.store.matches(subscription_id, 100)}


def subscribed(folder: Path, encoder: Encoder) -> tuple[Subscriptions, LiveIndex, Subscription]:
    """The index's subscriptions, its writer, and one subscription that ON_TOPIC matches."""
    backend, subscriptions = opened(folder, encoder)
    made = subscriptions.create(SPEC, Delivery(), "token").subscription
    assert isinstance(backend.writer, LiveIndex)
    return subscriptions, backend.writer, made


def test_a_change_whose_matching_failed_is_matched_before_the_next_one(
    index: Path,  # noqa: F811
    encoder: Encoder,
) -> None:
    subscriptions, writer, made = subscribed(index, encoder)
    with store_locked(index):
        failed = writer.upsert([ON_TOPIC], encoder)  # committed; its matching waits
    assert "new-gnn" not in matched(subscriptions, made.id)
    later = writer.upsert([ALSO_ON_TOPIC], encoder)
    assert {"new-gnn", "newer-gnn"} <= matched(subscriptions, made.id)
    assert subscriptions.unmatched == 0
    assert subscriptions.store.meta(MATCHED_SEQUENCE) == str(later.sequence)
    assert failed.sequence < later.sequence


def test_a_restart_matches_a_change_whose_matching_failed(
    index: Path,  # noqa: F811
    encoder: Encoder,
) -> None:
    subscriptions, writer, made = subscribed(index, encoder)
    before = subscriptions.store.meta(MATCHED_SEQUENCE)
    with store_locked(index):
        writer.upsert([ON_TOPIC], encoder)
    assert subscriptions.store.meta(MATCHED_SEQUENCE) == before  # never past the failed one
    writer.close()
    subscriptions.store.close()
    _, reopened = opened(index, encoder)
    assert reopened.catch_up() >= 1
    assert "new-gnn" in matched(reopened, made.id)


def test_the_profiles_are_read_again_only_when_the_subscriptions_change(
    index: Path,  # noqa: F811
    encoder: Encoder,
) -> None:
    """A copy kept in memory, so a write does not read every profile; a subscription made or
    deleted by another process (another connection to the store) is seen at the next change."""
    backend, subscriptions = opened(index, encoder)
    reads = 0
    read_profiles = subscriptions.store.profiles

    def counted() -> list:  # type: ignore[type-arg]
        nonlocal reads
        reads += 1
        return read_profiles()

    subscriptions.store.profiles = counted  # type: ignore[method-assign]
    writer = backend.writer
    assert writer is not None
    writer.upsert([Paper(id="p1", title="Spin chains", abstract="Spin chains at zero field.")],
                  encoder)  # fmt: skip
    writer.upsert([Paper(id="p2", title="Spin glass", abstract="A spin glass in a field.")],
                  encoder)  # fmt: skip
    assert reads == 1
    elsewhere = Subscriptions(SubscriptionStore(index), backend)  # as `papersift subscribe` does
    made = elsewhere.create(SPEC, Delivery(), "token").subscription
    writer.upsert([ON_TOPIC], encoder)
    assert reads == 2
    assert "new-gnn" in matched(subscriptions, made.id)
    elsewhere.store.delete(made.id)
    writer.upsert([ALSO_ON_TOPIC], encoder)
    assert reads == 3
    assert subscriptions.store.get(made.id) is None
