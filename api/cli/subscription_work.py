"""The work of `papersift subscribe`, `subscriptions list|delete` and `digest` (their options
are in `subscribing`, which imports this module only when one of them runs)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from papersift.api.cli.deliveries import deliver
from papersift.api.cli.indexing import NotFoundError
from papersift.api.cli.options import config_of
from papersift.api.cli.output import format_hit, to_stderr
from papersift.api.delivery.config import DeliveryConfig
from papersift.api.delivery.letters import describe
from papersift.api.demo import with_demo
from papersift.api.http.errors import describe as describe_errors
from papersift.api.http.schemas import HitOut
from papersift.api.http.subscription_schemas import (
    CreatedOut,
    SubscriptionBody,
    SubscriptionList,
    SubscriptionOut,
)
from papersift.api.http.subscriptions import check_body
from papersift.api.settings import Settings, delivery_config
from papersift.search.backends import registry
from papersift.search.errors import QueryError
from papersift.search.subscriptions.model import Subscription
from papersift.search.subscriptions.service import Subscriptions, attach


def subscribe(
    fields: dict[str, Any], email: str | None, index: Path | None, json_output: bool
) -> None:
    body = _body(fields)
    settings = Settings()
    check_body(settings, body)
    subscriptions = _subscriptions(index, create=True)
    created = subscriptions.create(body.spec(), body.delivery(), "token")
    config = delivery_config(settings)
    deliver(subscriptions, config)
    out = _out(subscriptions, created.subscription, config)
    if json_output:
        full = CreatedOut(**out.model_dump(), secret=created.secrets.webhook_secret,
                          first_issue=[HitOut.of(hit) for hit in created.first_issue])  # fmt: skip
        typer.echo(full.model_dump_json(indent=2))
        return
    typer.echo(f"subscribed {created.subscription.id}: {describe(created.subscription.spec)}")
    typer.echo(f"feed: {out.feed_url}")
    if created.secrets.webhook_secret:
        typer.echo(f"webhook secret (shown once): {created.secrets.webhook_secret}")
    if email:
        typer.echo(f"a confirmation link goes to {email} first")
    typer.echo(f"first issue: {len(created.first_issue)} papers")
    for hit in created.first_issue:
        typer.echo(format_hit(hit))


def list_subscriptions(index: Path | None, json_output: bool) -> None:
    subscriptions = _subscriptions(index)
    config = delivery_config(Settings())
    stored = subscriptions.store.all()
    found = [_out(subscriptions, subscription, config) for subscription in stored]
    if json_output:
        listing = SubscriptionList(
            total=len(found), limit=len(found), offset=0, subscriptions=found
        )
        typer.echo(listing.model_dump_json(indent=2))
        return
    if not found:
        typer.echo("no subscriptions")
    for out, subscription in zip(found, stored, strict=True):
        typer.echo(_line(out, subscription))


def _line(out: SubscriptionOut, subscription: Subscription) -> str:
    channels = ["feed"] + ["webhook"] * bool(out.webhook_url) + ["e-mail"] * bool(out.email)
    line = (
        f"{out.id}  {describe(subscription.spec)}  top {out.top}  {out.matches} matches  "
        f"{', '.join(channels)}"
    )
    if out.deliveries.given_up:
        line += f"  ({out.deliveries.given_up} deliveries failed: {out.deliveries.last_error})"
    return line


def delete_subscriptions(ids: list[str], index: Path | None) -> None:
    store = _subscriptions(index).store
    missing = [subscription_id for subscription_id in ids if not store.delete(subscription_id)]
    typer.echo(f"deleted {len(ids) - len(missing)} subscriptions")
    if missing:
        raise NotFoundError(f"no such subscription: {', '.join(missing[:5])}")


def digest(send: bool, index: Path | None) -> None:
    subscriptions = _subscriptions(index)
    now = datetime.now(UTC)
    if not send:
        pending = subscriptions.pending_digests(now)
        for subscription, matches in pending:
            about = f"{describe(subscription.spec)} ({subscription.delivery.digest})"
            typer.echo(f"{subscription.delivery.email}: {len(matches)} papers for {about}")
        typer.echo(f"{len(pending)} digests due; --send mails them")
        return
    config = delivery_config(Settings())
    if config.smtp is None:
        raise QueryError("smtp_host", "set PAPERSIFT_SMTP_HOST (and the other smtp_ settings)")
    queued = subscriptions.queue_digests(now)
    done = deliver(subscriptions, config)
    typer.echo(f"{queued} digests due; delivered {done.delivered} messages, "
               f"{done.failed} failed (retried next time)")  # fmt: skip
    if done.failed:
        raise SystemExit(1)


def _subscriptions(index: Path | None, create: bool = False) -> Subscriptions:
    opened = registry.open_backend(with_demo(config_of(index), to_stderr))
    subscriptions = attach(opened, create=create)
    if subscriptions is None:
        where = opened.reader.stats().index_folder
        problem = "cannot have subscriptions (read-only, or no state folder)"
        raise NotFoundError(f"{where} {problem if create else 'has no subscriptions'}")
    return subscriptions


def _body(fields: dict[str, Any]) -> SubscriptionBody:
    try:
        return SubscriptionBody.model_validate(fields)
    except ValidationError as error:
        field, message = describe_errors(error.errors())
        raise QueryError(field or "subscription", message) from error


def _out(
    subscriptions: Subscriptions, subscription: Subscription, config: DeliveryConfig
) -> SubscriptionOut:
    store = subscriptions.store
    return SubscriptionOut.of(
        subscription,
        f"{config.public_url}/feeds/{subscription.feed_token}.atom",
        store.match_count(subscription.id),
        store.delivery_status(subscription.id),
    )
