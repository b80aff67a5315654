"""arXiv's category names (`cs.CL` = Computation and Language), shipped as data: arXiv's own
taxonomy (arXiv/arxiv-base, MIT licence), 184 categories."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def category_names() -> dict[str, str]:
    """Every arXiv category code, old and new, with its full name."""
    source = resources.files("papersift.api") / "data" / "arxiv-taxonomy.tsv"
    with source.open(encoding="utf-8") as lines:
        rows = list(csv.DictReader(lines, delimiter="\t"))
    return {row["category"]: row["name"] for row in rows}


def is_category(code: str) -> bool:
    """An arXiv category (not an MSC or ACM class that some records list among theirs)."""
    return code in category_names()


def name_of(code: str) -> str:
    return category_names().get(code, code)
