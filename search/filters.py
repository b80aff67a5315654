"""Filters as row masks, applied inside each leg so ranking is cut off only after filtering."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from papersift.index.papers.table import NO_YEAR, PaperTable
from papersift.search.requests import Filters


def allowed_rows(papers: PaperTable, filters: Filters) -> npt.NDArray[np.bool_] | None:
    """The rows that pass `filters`, or None when no filter is set (everything passes)."""
    if not filters.active:
        return None
    mask = np.ones(len(papers), dtype=bool)
    if filters.year_from is not None or filters.year_to is not None:
        years = papers.years
        mask &= years != NO_YEAR
        if filters.year_from is not None:
            mask &= years >= filters.year_from
        if filters.year_to is not None:
            mask &= years <= filters.year_to
    if filters.categories:
        in_any = np.zeros(len(papers), dtype=bool)
        for category in filters.categories:
            in_any |= papers.rows_in_category(category)
        mask &= in_any
    if filters.author:
        mask &= papers.rows_with_author(filters.author)
    return mask
