"""Search filters as Milvus filter expressions."""

from __future__ import annotations

import json

from papersift.search.requests import Filters


def filter_expression(filters: Filters) -> str:
    """The Milvus filter expression for `filters` ("" when none is set)."""
    parts = []
    if filters.year_from is not None:
        parts.append(f"year >= {int(filters.year_from)}")
    if filters.year_to is not None:
        parts.append(f"year <= {int(filters.year_to)}")
    if filters.year_from is not None or filters.year_to is not None:
        parts.append("year > 0")
    if filters.categories:
        names = ", ".join(quoted(category) for category in filters.categories)
        parts.append(f"ARRAY_CONTAINS_ANY(categories, [{names}])")
    if filters.author:
        needle = filters.author.casefold().strip().replace("%", "\\%").replace("_", "\\_")
        parts.append(f"authors_folded like {quoted('%' + needle + '%')}")
    return " and ".join(parts)


def quoted(text: str) -> str:
    return json.dumps(text)  # a double-quoted string with backslashes and quotes escaped
