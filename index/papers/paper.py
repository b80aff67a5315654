"""The `Paper` record and how raw corpus records (JSON objects, CSV rows) become one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

NEW_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?$", re.IGNORECASE)
OLD_ARXIV_ID = re.compile(r"^[a-z\-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d+)?$", re.IGNORECASE)
YEAR_IN_TEXT = re.compile(r"\b(1[89]\d{2}|2[01]\d{2})\b")
WHITESPACE = re.compile(r"\s+")

ID_FIELDS = ("_id", "id", "doc_id", "paper_id")
ABSTRACT_FIELDS = ("abstract", "text", "summary")
MAX_ID_LENGTH = 500
URL_SCHEMES = ("http", "https")
# The API serves /api/papers/{id}/similar: an id ending so would be shadowed by that route.
RESERVED_ID_SUFFIXES = ("/similar",)


class RecordError(ValueError):
    """One record cannot become a paper; the build skips it and counts the reason."""


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as papersift stores and returns it."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    year: int | None = None
    url: str | None = None

    @property
    def text(self) -> str:
        """The text that is indexed: title and abstract."""
        return f"{self.title} {self.abstract}".strip()

    def to_record(self) -> dict[str, Any]:
        """A plain JSON-ready dict (the on-disk form in `papers.jsonl`)."""
        return {
            "id": self.id,
            "title": self.title,
            "abstract": self.abstract,
            "authors": list(self.authors),
            "categories": list(self.categories),
            "year": self.year,
            "url": self.url,
        }

    @classmethod
    def from_stored(cls, record: Mapping[str, Any]) -> Paper:
        """Inverse of `to_record`."""
        return cls(
            id=record["id"] if "id" in record else record["doc_id"],  # (older files)
            title=record["title"],
            abstract=record["abstract"],
            authors=tuple(record["authors"]),
            categories=tuple(record["categories"]),
            year=record["year"],
            url=safe_url(record["url"]),  # an index written before URLs were checked
        )


def paper_from_record(record: Mapping[str, Any]) -> Paper:
    """Turn a raw record (JSONL, BEIR, arXiv snapshot or CSV row) into a `Paper`.

    Raises `RecordError` naming what is missing.
    """
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
    return Paper(
        id=doc_id,
        title=title,
        abstract=abstract,
        authors=_split_authors(record.get("authors")),
        categories=_split_categories(record.get("categories")),
        year=_year(record, doc_id),
        url=safe_url(_clean(record.get("url"))) or _arxiv_url(doc_id),
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


def _year(record: Mapping[str, Any], doc_id: str) -> int | None:
    """Year from the record's own field, else its arXiv id, else its version or update date."""
    explicit = _year_from_text(record.get("year"))
    if explicit is not None:
        return explicit
    from_id = year_from_arxiv_id(doc_id)
    if from_id is not None:
        return from_id
    versions = record.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], Mapping):
        created = _year_from_text(versions[0].get("created"))
        if created is not None:
            return created
    return _year_from_text(record.get("update_date"))


def _year_from_text(value: Any) -> int | None:
    if value is None:
        return None
    match = YEAR_IN_TEXT.search(str(value))
    return int(match.group(1)) if match else None


def year_from_arxiv_id(doc_id: str) -> int | None:
    """`2503.11731` -> 2025; `hep-th/9901001` -> 1999; anything else -> None."""
    match = NEW_ARXIV_ID.match(doc_id) or OLD_ARXIV_ID.match(doc_id)
    if not match:
        return None
    yy, mm = int(match.group(1)), int(match.group(2))
    if not 1 <= mm <= 12:
        return None
    return 1900 + yy if yy >= 91 else 2000 + yy


def _arxiv_url(doc_id: str) -> str | None:
    if NEW_ARXIV_ID.match(doc_id) or OLD_ARXIV_ID.match(doc_id):
        return f"https://arxiv.org/abs/{doc_id.removeprefix('arXiv:').removeprefix('arxiv:')}"
    return None
