"""How raw corpus records (JSON objects, CSV rows, the arXiv snapshot's lines) become papers.

A record that cannot become a paper raises `RecordError` with the reason; a build skips it and
counts the reason. Fields over their limits (`limits.py`) are cut or dropped, and `read_paper`
says which."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from papersift.index.papers import dates
from papersift.index.papers.limits import Limited, within_limits
from papersift.index.papers.paper import Paper, id_problem, safe_url

WHITESPACE = re.compile(r"\s+")
ID_FIELDS = ("_id", "id", "doc_id", "paper_id")
ABSTRACT_FIELDS = ("abstract", "text", "summary")


class RecordError(ValueError):
    """One record cannot become a paper; the build skips it and counts the reason."""


def paper_from_record(record: Mapping[str, Any]) -> Paper:
    """Turn a raw record (JSONL, BEIR, arXiv snapshot or CSV row) into a `Paper` within the
    field limits. Raises `RecordError` naming what is missing."""
    return read_paper(record).paper


def read_paper(record: Mapping[str, Any]) -> Limited:
    """The record as a paper within the field limits, and what was cut or dropped to fit."""
    return within_limits(_paper(record))


def _paper(record: Mapping[str, Any]) -> Paper:
    doc_id = _clean(_first(record, ID_FIELDS))
    if not doc_id:
        raise RecordError("no id")
    problem = id_problem(doc_id)
    if problem is not None:
        raise RecordError(f"bad id: {problem}")
    title = _clean(record.get("title"))
    abstract = _clean(_first(record, ABSTRACT_FIELDS))
    if not title and not abstract:
        raise RecordError("no title or abstract text")
    first = dates.published(record, doc_id)
    return Paper(
        id=doc_id,
        title=title,
        abstract=abstract,
        authors=_split_authors(record.get("authors")),
        categories=_split_categories(record.get("categories")),
        year=dates.year(record, first),
        url=safe_url(_clean(record.get("url"))) or arxiv_url(doc_id),
        published=first,
        updated=dates.updated(record),
        doi=_optional(record, "doi"),
        journal_ref=_optional(record, "journal_ref", "journal-ref"),
        comments=_optional(record, "comments"),
        license=_optional(record, "license"),
    )


def dropped_fields(record: Mapping[str, Any]) -> list[str]:
    """Fields of `record` that a paper does not keep because they are unsafe (a non-http URL)."""
    url = _clean(record.get("url"))
    return ["url (not http or https)"] if url and safe_url(url) is None else []


def _first(record: Mapping[str, Any], fields: tuple[str, ...]) -> Any:
    for field in fields:
        value = record.get(field)
        if value not in (None, ""):
            return value
    return None


def _clean(value: Any) -> str:
    """Collapse whitespace (arXiv abstracts keep hard line breaks)."""
    if value is None:
        return ""
    return WHITESPACE.sub(" ", str(value)).strip()


def _split_authors(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(_clean(name) for name in value if _clean(name))
    text = _clean(value)
    if not text:
        return ()
    parts = re.split(r",|;|\band\b", text)
    return tuple(part.strip() for part in parts if part.strip())


def _split_categories(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(_clean(item) for item in value if _clean(item))
    return tuple(_clean(value).replace(",", " ").split())


def _optional(record: Mapping[str, Any], *fields: str) -> str | None:
    """The first of `fields` that the record fills, whitespace collapsed; None when none is."""
    for field in fields:
        value = _clean(record.get(field))
        if value:
            return value
    return None


def arxiv_url(doc_id: str) -> str | None:
    if dates.arxiv_month(doc_id) is not None:
        return f"https://arxiv.org/abs/{doc_id.removeprefix('arXiv:').removeprefix('arxiv:')}"
    return None
