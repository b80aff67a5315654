"""The mails papersift sends: a confirmation before anything else, then digests. Each has a
plain-text and an HTML part, rendered from templates/mail (every piece of corpus text escaped).

The confirmation goes to an address a stranger typed, so it carries none of the stranger's words
(the subscription's name and query are shown on the confirmation page, on this site). A
subject is one line of bounded length, whatever a subscription's name holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from papersift.index.papers.paper import Paper
from papersift.search.subscriptions.model import Kind, Spec, Subscription

MAIL_TEMPLATES = Environment(
    loader=FileSystemLoader(str(resources.files("papersift.api") / "templates" / "mail")),
    autoescape=select_autoescape(["html"], default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


LONGEST_SUBJECT = 120


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None


def describe(spec: Spec) -> str:
    """A subscription in a few words: its name, or what it asks for."""
    if spec.name:
        return spec.name
    if spec.kind == Kind.papers:
        more = len(spec.positives) - 1
        return f"papers like {spec.positives[0]}" + (f" and {more} more" if more else "")
    return f"“{spec.query}”"


def one_line(text: str, limit: int = LONGEST_SUBJECT) -> str:
    """`text` as one line of at most `limit` characters: every kind of line break (\\n, \\r,
    U+2028, U+0085, ...) and run of spaces becomes one space."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def paper_link(paper: Paper, base_url: str) -> str:
    return f"{base_url}/papers/{quote(paper.id, safe='')}"


def confirmation(subscription: Subscription, token: str, base_url: str) -> Letter:
    """Asks the address's owner to confirm before anything else is mailed to it."""
    assert subscription.delivery.email is not None
    context = {
        "site": base_url,
        "confirm_url": f"{base_url}/subscriptions/confirm/{token}",
        "digest": subscription.delivery.digest or "daily",
    }
    return Letter(
        to=subscription.delivery.email,
        subject="Confirm your papersift subscription",
        text=MAIL_TEMPLATES.get_template("confirm.txt").render(context),
        html=MAIL_TEMPLATES.get_template("confirm.html").render(context),
    )


def digest(
    subscription: Subscription, token: str, papers: Sequence[Paper], base_url: str
) -> Letter:
    """New papers for a subscription, one line each, with a working unsubscribe link."""
    assert subscription.delivery.email is not None
    unsubscribe = f"{base_url}/subscriptions/unsubscribe/{token}"
    context = {
        "about": describe(subscription.spec),
        "papers": [(paper, paper_link(paper, base_url)) for paper in papers],
        "unsubscribe_url": unsubscribe,
        "feed_url": f"{base_url}/feeds/{subscription.feed_token}.atom",
    }
    count = len(papers)
    return Letter(
        to=subscription.delivery.email,
        subject=one_line(f"{count} new paper{'s' if count != 1 else ''}: {context['about']}"),
        text=MAIL_TEMPLATES.get_template("digest.txt").render(context),
        html=MAIL_TEMPLATES.get_template("digest.html").render(context),
        unsubscribe_url=unsubscribe,
    )
