"""How long a paper's fields may be: declared once, applied the same way wherever a paper comes
in (a corpus at `build` and `add`, an arXiv harvest, the HTTP API, the Python library).

Every search that returns a paper carries its text, so one oversized field slows every such
search (a 10 MB abstract took each one from 2 ms to 700 ms). The bounds are well above the
largest real values: in the 129,735 arXiv papers of ../shared/data the longest title has 239
characters (SciFact's: 300), the longest abstract 4,031 (SciFact's: 10,000), the longest author
list 3,303 names (the largest collaborations reach about 5,200), the longest author name 155
characters (a 512-character one is 40 names run together, and is cut), the most categories 32.

What does not fit is cut, not refused, so the paper stays findable by what it starts with:
text at a word boundary, lists after their first entries. A DOI, URL or licence cut short would
point somewhere else, so one that is too long is dropped, as an unsafe URL is. A category name
too long to be one is dropped too. The HTTP API refuses instead (422 naming the field), since a
client there can be told and send it again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from papersift.index.papers.paper import Paper


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `most` `unit` in `field` (`label`: what a summary calls it, if not the field)."""

    field: str
    most: int
    unit: str = "characters"
    label: str = ""

    def __str__(self) -> str:
        """How reports name a cut or drop: `abstract (over 20,000 characters)`."""
        return f"{self.label or self.field} (over {self.most:,} {self.unit})"

    @property
    def rule(self) -> str:
        """The limit as an error message says it: `at most 300 characters per author name`."""
        return f"at most {self.most:,} {self.unit}{f' per {self.label}' if self.label else ''}"


TITLE = Limit("title", 1_000)
ABSTRACT = Limit("abstract", 20_000)
AUTHORS = Limit("authors", 10_000, "names")
AUTHOR = Limit("authors", 300, label="author name")
CATEGORIES = Limit("categories", 100, "entries")
CATEGORY = Limit("categories", 100, label="category")
COMMENTS = Limit("comments", 2_000)
JOURNAL_REF = Limit("journal_ref", 1_000)
DOI = Limit("doi", 300)
URL = Limit("url", 2_000)
LICENSE = Limit("license", 300)

CUT_TEXT = (TITLE, ABSTRACT, COMMENTS, JOURNAL_REF)
DROPPED_WHOLE = (DOI, URL, LICENSE)


@dataclass(frozen=True, slots=True)
class Limited:
    """A paper within the limits, and the limits it had to be cut or dropped to fit."""

    paper: Paper
    cut: tuple[Limit, ...] = ()
    dropped: tuple[Limit, ...] = ()


def within_limits(paper: Paper) -> Limited:
    """`paper` with every field over its limit cut or dropped, saying which."""
    changes: dict[str, Any] = {}
    cut: list[Limit] = []
    dropped: list[Limit] = []
    for limit in CUT_TEXT:
        value = getattr(paper, limit.field)
        if value is not None and len(value) > limit.most:
            changes[limit.field] = cut_text(value, limit.most)
            cut.append(limit)
    for limit in DROPPED_WHOLE:
        value = getattr(paper, limit.field)
        if value is not None and len(value) > limit.most:
            changes[limit.field] = None
            dropped.append(limit)
    authors = _names(paper.authors, cut)
    categories = _categories(paper.categories, cut, dropped)
    if authors != paper.authors:
        changes["authors"] = authors
    if categories != paper.categories:
        changes["categories"] = categories
    if not changes:
        return Limited(paper)
    return Limited(dataclasses.replace(paper, **changes), tuple(cut), tuple(dropped))


def cut_text(text: str, most: int) -> str:
    """`text` cut to at most `most` characters, at the last space when one is near the end (a
    word cut in half reads, and tokenizes, as another word)."""
    if len(text) <= most:
        return text
    head = text[: most + 1]
    space = head.rfind(" ")
    if space >= most * 0.9:
        return head[:space].rstrip()
    return text[:most].rstrip()


def _names(authors: tuple[str, ...], cut: list[Limit]) -> tuple[str, ...]:
    if len(authors) > AUTHORS.most:
        authors = authors[: AUTHORS.most]
        cut.append(AUTHORS)
    if any(len(name) > AUTHOR.most for name in authors):
        authors = tuple(cut_text(name, AUTHOR.most) for name in authors)
        cut.append(AUTHOR)
    return authors


def _categories(
    categories: tuple[str, ...], cut: list[Limit], dropped: list[Limit]
) -> tuple[str, ...]:
    if any(len(name) > CATEGORY.most for name in categories):
        categories = tuple(name for name in categories if len(name) <= CATEGORY.most)
        dropped.append(CATEGORY)
    if len(categories) > CATEGORIES.most:
        categories = categories[: CATEGORIES.most]
        cut.append(CATEGORIES)
    return categories
