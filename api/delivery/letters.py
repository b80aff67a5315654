"""The mails papersift sends: a confirmation before anything else, then digests. Each has a
plain-text and an HTML part, rendered from templates/mail (every piece of corpus text escaped)."""

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


def paper_link(paper: Paper, base_url: str) -> str:
    return f"{base_url}/papers/{quote(paper.id, safe='')}"


def confirmation(subscription: Subscription, token: str, base_url: str) -> Letter:
    """Asks the address's owner to confirm before anything else is mailed to it."""
    assert subscription.delivery.email is not None
    context = {
        "about": describe(subscription.spec),
        "confirm_url": f"{base_url}/subscriptions/confirm/{token}",
        "digest": subscription.delivery.digest or "daily",
    }
    return Letter(
        to=subscription.delivery.email,
        subject=f"Confirm your papersift subscription: {context['about']}",
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
        subject=f"{count} new paper{'s' if count != 1 else ''}: {context['about']}",
        text=MAIL_TEMPLATES.get_template("digest.txt").render(context),
        html=MAIL_TEMPLATES.get_template("digest.html").render(context),
        unsubscribe_url=unsubscribe,
    )
