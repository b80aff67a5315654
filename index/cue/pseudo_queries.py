"""Questions a corpus asks of itself: its own papers' titles (or, without one, an abstract's
first sentence), drawn evenly over its rows, so the same corpus always gives the same ones."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from papersift.index.papers.paper import Paper

MAX_WORDS = 32  # a longer title or sentence is cut: queries are short
SENTENCE_END = re.compile(r"(?<=[.!?])\s")
MIN_WORDS = 2  # a one-word title says little about how a question reads


@dataclass(frozen=True, slots=True)
class PseudoQuery:
    row: int  # the paper it came from, left out when it is searched
    text: str


def pseudo_queries(
    paper_of: Callable[[int], Paper], rows: Sequence[int], limit: int
) -> list[PseudoQuery]:
    """Up to `limit` pseudo-queries from papers spread evenly over `rows`, one per paper."""
    found: list[PseudoQuery] = []
    seen: set[str] = set()
    step = max(1, len(rows) // limit)
    for start in range(step):  # a second pass fills in where papers had no usable text
        for row in rows[start::step]:
            text = query_text(paper_of(row))
            if text is not None and text.lower() not in seen:
                seen.add(text.lower())
                found.append(PseudoQuery(row, text))
                if len(found) == limit:
                    return found
    return found


def query_text(paper: Paper) -> str | None:
    """The paper's title, else its abstract's first sentence; None when neither has words."""
    for text in (paper.title, SENTENCE_END.split(paper.abstract.strip(), maxsplit=1)[0]):
        words = text.split()
        if len(words) >= MIN_WORDS:
            return " ".join(words[:MAX_WORDS])
    return None
