"""A subscription's Atom feed: its matches, newest first, each linking to the paper with its
title, authors, date and the opening of its abstract."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from feedgen.feed import FeedGenerator

from papersift.api.delivery.letters import describe, paper_link
from papersift.index import __version__
from papersift.index.papers.paper import Paper
from papersift.search.subscriptions.model import Match, Subscription

FEED_ENTRIES = 50
SUMMARY_CHARACTERS = 400
# Characters XML 1.0 cannot carry at all (lxml refuses them): corpus text may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def atom(
    subscription: Subscription,
    matches: Sequence[tuple[Match, Paper]],
    feed_url: str,
    base_url: str,
) -> bytes:
    """The feed document (UTF-8 Atom XML)."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(_clean(f"papersift: {describe(subscription.spec)}"))
    feed.link(href=feed_url, rel="self")
    feed.link(href=base_url + "/", rel="alternate")
    feed.generator("papersift", version=__version__)
    feed.updated(_time(matches[0][0].matched_at if matches else subscription.created_at))
    for match, paper in reversed(matches):  # feedgen puts the last added first
        entry = feed.add_entry()
        link = paper_link(paper, base_url)
        entry.id(link)
        entry.title(_clean(paper.title) or paper.id)
        entry.link(href=link)
        for author in paper.authors[:20]:
            entry.author(name=_clean(author))
        entry.updated(_time(match.matched_at))
        if paper.published and len(paper.published) == 10:
            entry.published(_time(paper.published + "T00:00:00+00:00"))
        entry.summary(_clean(_opening(paper.abstract)))
        for category in paper.categories:
            entry.category(term=_clean(category))
    xml: bytes = feed.atom_str(pretty=True)
    return xml


def _opening(text: str) -> str:
    """The abstract's first SUMMARY_CHARACTERS, cut at a word."""
    if len(text) <= SUMMARY_CHARACTERS:
        return text
    cut = text.rfind(" ", 0, SUMMARY_CHARACTERS)
    return text[: cut if cut > 0 else SUMMARY_CHARACTERS].rstrip(" ,.;:") + " …"


def _clean(text: str) -> str:
    return NOT_XML.sub("", text)


def _time(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
