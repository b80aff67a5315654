"""Deliveries from commands that write (add, sync, subscribe, digest): the index's
subscriptions listen to the write, and one pass over the outbox follows it.

The courier and the settings are imported when there is something to deliver: every other
`papersift` call would pay for their mail and settings modules (bench/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from papersift.api.cli.output import to_stderr
from papersift.search.backends.interface import Backend
from papersift.search.errors import StoreUnavailableError
from papersift.search.subscriptions.service import Subscriptions, attach

if TYPE_CHECKING:
    from papersift.api.delivery.config import DeliveryConfig
    from papersift.api.delivery.courier import Round


def listening(opened: Backend) -> Subscriptions | None:
    """The index's subscriptions (if it has any), matching what a command writes."""
    return attach(opened)


def deliver_after(subscriptions: Subscriptions | None) -> None:
    """After a command's writes: one pass over the outbox (what fails waits for a server or
    the next command)."""
    if subscriptions is not None:
        from papersift.api.settings import Settings, delivery_config

        try:
            done = deliver(subscriptions, delivery_config(Settings()))
        except StoreUnavailableError as error:  # the command's own work is done and kept
            to_stderr(f"deliveries: none sent now ({error}); a server or a later command will")
            return
        if done.delivered or done.failed:
            to_stderr(f"deliveries: {done.delivered} sent, {done.failed} failed (retried later)")


def deliver(subscriptions: Subscriptions, config: DeliveryConfig) -> Round:
    from papersift.api.delivery.courier import Courier

    return Courier(subscriptions, config).deliver_due()
