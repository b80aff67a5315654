"""Dates of papers as ISO 8601 text at the precision known: `2025-03-14`, or `2025-03` where only
the month is (a new-style arXiv id says the month a paper was first submitted)."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from typing import Any

NEW_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?$", re.IGNORECASE)
OLD_ARXIV_ID = re.compile(r"^[a-z\-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d+)?$", re.IGNORECASE)
ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?$")
YEAR_IN_TEXT = re.compile(r"\b(1[89]\d{2}|2[01]\d{2})\b")


def iso_date(value: Any) -> str | None:
    """`value` as an ISO date (`YYYY-MM-DD`, `YYYY-MM` or `YYYY`): from ISO text, an ISO
    timestamp, or an e-mail style date (`Mon, 2 Apr 2007 19:18:42 GMT`, as arXiv's versions
    have). None when it is none of those."""
    if value is None:
        return None
    text = str(value).strip()
    match = ISO_DATE.match(text)
    if match:
        year, month, day = match.groups()
        if month and not 1 <= int(month) <= 12:
            return None
        return "-".join(part for part in (year, month, day) if part)
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def arxiv_month(doc_id: str) -> str | None:
    """The month an arXiv id was issued: `2503.11731` -> `2025-03`; `hep-th/9901001` ->
    `1999-01`; anything else -> None."""
    match = NEW_ARXIV_ID.match(doc_id) or OLD_ARXIV_ID.match(doc_id)
    if not match:
        return None
    yy, mm = int(match.group(1)), int(match.group(2))
    if not 1 <= mm <= 12:
        return None
    return f"{1900 + yy if yy >= 91 else 2000 + yy}-{mm:02d}"


def year_from_arxiv_id(doc_id: str) -> int | None:
    """`2503.11731` -> 2025; `hep-th/9901001` -> 1999; anything else -> None."""
    month = arxiv_month(doc_id)
    return int(month[:4]) if month else None


def published(record: Mapping[str, Any], doc_id: str) -> str | None:
    """When the paper first appeared: its own field (`published`, `created`), else its first
    version's date, else the month of its arXiv id."""
    for field in ("published", "created", "date"):
        found = iso_date(record.get(field))
        if found:
            return found
    versions = record.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], Mapping):
        found = iso_date(versions[0].get("created"))
        if found:
            return found
    return arxiv_month(doc_id)


def updated(record: Mapping[str, Any]) -> str | None:
    """When the paper last changed: its own field (`updated`, `update_date`), else its latest
    version's date."""
    for field in ("updated", "update_date"):
        found = iso_date(record.get(field))
        if found:
            return found
    versions = record.get("versions")
    if isinstance(versions, list) and len(versions) > 1 and isinstance(versions[-1], Mapping):
        return iso_date(versions[-1].get("created"))
    return None


def year(record: Mapping[str, Any], first_published: str | None) -> int | None:
    """The record's own year, else the year it was first published, else its update date's."""
    explicit = _year_in(record.get("year"))
    if explicit is not None:
        return explicit
    if first_published:
        return int(first_published[:4])
    return _year_in(record.get("update_date"))


def _year_in(value: Any) -> int | None:
    if value is None:
        return None
    match = YEAR_IN_TEXT.search(str(value))
    return int(match.group(1)) if match else None
