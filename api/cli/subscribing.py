"""`papersift subscribe`, `papersift subscriptions list|delete` and `papersift digest`: the
subscriptions of an index, from the command line (the same rules as the API's).

Their work is in `subscription_work`, imported when one of them runs: its HTTP schemas, settings
and mail modules would cost every other `papersift` call half a second (bench/cli.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from papersift.api.cli.options import IndexOption, JsonOption
from papersift.search.requests import Mode
from papersift.search.subscriptions.model import Digest

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
    from papersift.api.cli import subscription_work

    fields = {"q": query, "papers": paper or [], "negative_papers": not_paper or [],
              "mode": mode, "category": category or [], "year_from": year_from,
              "year_to": year_to, "author": author, "top": top, "name": name,
              "webhook_url": webhook, "email": email, "digest": digest}  # fmt: skip
    subscription_work.subscribe(fields, email, index, json_output)


@subscriptions_app.command("list")
def list_subscriptions(index: IndexOption = None, json_output: JsonOption = False) -> None:
    """Every subscription: id, what it asks for, where it goes, matches so far."""
    from papersift.api.cli import subscription_work

    subscription_work.list_subscriptions(index, json_output)


@subscriptions_app.command("delete")
def delete_subscriptions(
    ids: Annotated[list[str], typer.Argument(help="Ids of the subscriptions to delete.")],
    index: IndexOption = None,
) -> None:
    """Delete subscriptions (their matches, feeds and pending deliveries go with them)."""
    from papersift.api.cli import subscription_work

    subscription_work.delete_subscriptions(ids, index)


def digest(
    send: Annotated[
        bool, typer.Option("--send", help="Mail the due digests (default: only list them).")
    ] = False,
    index: IndexOption = None,
) -> None:
    """The e-mail digests that are due; with --send, mail them (for cron, when no server runs)
    and deliver anything else waiting."""
    from papersift.api.cli import subscription_work

    subscription_work.digest(send, index)
