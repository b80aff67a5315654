"""`papersift subscribe`, `papersift subscriptions list|delete` and `papersift digest`: the
subscriptions of an index, from the command line (the same rules as the API's)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from papersift.api.cli.deliveries import deliver
from papersift.api.cli.indexing import NotFoundError
from papersift.api.cli.options import IndexOption, JsonOption, config_of
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
from papersift.search.requests import Mode
from papersift.search.subscriptions.model import Digest, Subscription
from papersift.search.subscriptions.service import Subscriptions, attach

subscriptions_app = typer.Typer(
    help="List and delete the subscriptions of an index.", no_args_is_help=True
)


def subscribe(
    query: Annotated[str | None, typer.Argument(help="The query of a saved search.")] = None,
    paper: Annotated[
        list[str] | None, typer.Option("--paper", help="A paper to find more like (repeatable).")
    ] = None,
    not_paper: Annotated[
        list[str] | None, typer.Option("--not-paper", help="A paper not to be like (repeatable).")
    ] = None,
    mode: Annotated[Mode, typer.Option(help="Search mode of a saved search.")] = Mode.hybrid,
    category: Annotated[
        list[str] | None, typer.Option(help="Only papers in this category (repeatable).")
    ] = None,
    year_from: Annotated[int | None, typer.Option(help="Only papers from this year on.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Only papers up to this year.")] = None,
    author: Annotated[str | None, typer.Option(help="Only papers by this author.")] = None,
    top: Annotated[int, typer.Option(help="Match papers a fresh search ranks in this top N.")] = 10,
    name: Annotated[str, typer.Option(help="A name for it (in feeds and mails).")] = "",
    webhook: Annotated[str | None, typer.Option(help="POST new matches to this URL.")] = None,
    email: Annotated[str | None, typer.Option(help="Mail digests here (once confirmed).")] = None,
    digest: Annotated[Digest | None, typer.Option(help="daily (default) or weekly.")] = None,
    index: IndexOption = None,
    json_output: JsonOption = False,
) -> None:
    """Subscribe to a saved search (QUERY) or a paper list (--paper ...): new papers that a
    fresh search would rank in its top N are delivered to its feed, webhook and e-mail."""
    fields = {"q": query, "papers": paper or [], "negative_papers": not_paper or [],
              "mode": mode, "category": category or [], "year_from": year_from,
              "year_to": year_to, "author": author, "top": top, "name": name,
              "webhook_url": webhook, "email": email, "digest": digest}  # fmt: skip
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


@subscriptions_app.command("list")
def list_subscriptions(index: IndexOption = None, json_output: JsonOption = False) -> None:
    """Every subscription: id, what it asks for, where it goes, matches so far."""
    subscriptions = _subscriptions(index)
    config = delivery_config(Settings())
    stored = subscriptions.store.all()
    found = [_out(subscriptions, subscription, config) for subscription in stored]
    if json_output:
        typer.echo(SubscriptionList(subscriptions=found).model_dump_json(indent=2))
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


@subscriptions_app.command("delete")
def delete_subscriptions(
    ids: Annotated[list[str], typer.Argument(help="Ids of the subscriptions to delete.")],
    index: IndexOption = None,
) -> None:
    """Delete subscriptions (their matches, feeds and pending deliveries go with them)."""
    store = _subscriptions(index).store
    missing = [subscription_id for subscription_id in ids if not store.delete(subscription_id)]
    typer.echo(f"deleted {len(ids) - len(missing)} subscriptions")
    if missing:
        raise NotFoundError(f"no such subscription: {', '.join(missing[:5])}")


def digest(
    send: Annotated[
        bool, typer.Option("--send", help="Mail the due digests (default: only list them).")
    ] = False,
    index: IndexOption = None,
) -> None:
    """The e-mail digests that are due; with --send, mail them (for cron, when no server runs)
    and deliver anything else waiting."""
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
