"""The `Paper` record: what papersift stores and returns for a paper, and the rules its own
fields follow (ids that can name a URL, links that are http or https)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_ID_LENGTH = 500
URL_SCHEMES = ("http", "https")
# The API serves /api/papers/{id}/similar: an id ending so would be shadowed by that route.
RESERVED_ID_SUFFIXES = ("/similar",)
# Fields that only some papers have: stored only where set.
OPTIONAL_FIELDS = ("published", "updated", "doi", "journal_ref", "comments", "license")


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as papersift stores and returns it. Dates are ISO 8601 text at the precision
    known (`2025-03-14`, or `2025-03` from an arXiv id)."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    year: int | None = None
    url: str | None = None
    published: str | None = None  # when its first version appeared
    updated: str | None = None  # when its latest version (or its metadata) changed
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None

    @property
    def text(self) -> str:
        """The text that is indexed: title and abstract."""
        return f"{self.title} {self.abstract}".strip()

    def to_record(self) -> dict[str, Any]:
        """A plain JSON-ready dict (the on-disk form in `papers.jsonl`)."""
        record: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "abstract": self.abstract,
            "authors": list(self.authors),
            "categories": list(self.categories),
            "year": self.year,
            "url": self.url,
        }
        for field in OPTIONAL_FIELDS:
            value = getattr(self, field)
            if value is not None:
                record[field] = value
        return record

    @classmethod
    def from_stored(cls, record: Mapping[str, Any]) -> Paper:
        """Inverse of `to_record` (also reading files written before some fields existed)."""
        return cls(
            id=record["id"] if "id" in record else record["doc_id"],
            title=record["title"],
            abstract=record["abstract"],
            authors=tuple(record["authors"]),
            categories=tuple(record["categories"]),
            year=record["year"],
            url=safe_url(record["url"]),  # an index written before URLs were checked
            **{field: record.get(field) for field in OPTIONAL_FIELDS},
        )


def id_problem(doc_id: str) -> str | None:
    """Why `doc_id` cannot name a paper (None when it can): empty, too long, surrounding
    whitespace or whitespace runs, control characters, dot or empty path segments, or a suffix
    that a route uses. Ids are refused, never rewritten, so that every id names one URL."""
    if not doc_id:
        return "it is empty"
    if len(doc_id) > MAX_ID_LENGTH:
        return f"it has {len(doc_id)} characters, at most {MAX_ID_LENGTH} are allowed"
    if doc_id != doc_id.strip():
        return "it starts or ends with whitespace"
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in doc_id):
        return "it contains control characters"
    if "  " in doc_id or any(c.isspace() and c != " " for c in doc_id):
        return "it has whitespace other than single spaces"
    if any(segment in ("", ".", "..") for segment in doc_id.split("/")):
        return "a '/'-separated part of it is empty, '.' or '..' (URLs cannot carry that)"
    if doc_id.endswith(RESERVED_ID_SUFFIXES):
        return f"it ends with {doc_id[doc_id.rindex('/') :]!r}, which the API's routes use"
    return None


def safe_url(url: Any) -> str | None:
    """`url` if it is an absolute http(s) URL; None for anything else (javascript:, data:...)."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc:
        return None
    return url.strip()
