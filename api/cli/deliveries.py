"""Deliveries from commands that write (add, sync, subscribe, digest): the index's
subscriptions listen to the write, and one pass over the outbox follows it."""

from __future__ import annotations

from papersift.api.cli.output import to_stderr
from papersift.api.delivery.config import DeliveryConfig
from papersift.api.delivery.courier import Courier, Round
from papersift.api.settings import Settings, delivery_config
from papersift.search.backends.interface import Backend
from papersift.search.subscriptions.service import Subscriptions, attach


def listening(opened: Backend) -> Subscriptions | None:
    """The index's subscriptions (if it has any), matching what a command writes."""
    return attach(opened)


def deliver_after(subscriptions: Subscriptions | None) -> None:
    """After a command's writes: one pass over the outbox (what fails waits for a server or
    the next command)."""
    if subscriptions is not None:
        done = deliver(subscriptions, delivery_config(Settings()))
        if done.delivered or done.failed:
            to_stderr(f"deliveries: {done.delivered} sent, {done.failed} failed (retried later)")


def deliver(subscriptions: Subscriptions, config: DeliveryConfig) -> Round:
    courier = Courier(subscriptions, config)
    try:
        return courier.deliver_due()
    finally:
        courier.close()
