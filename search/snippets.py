"""Snippets: the part of an abstract around the query's matches, with the matches located."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from papersift.index.lexical.tokenizer import Tokenizer

WINDOW_CHARS = 280


@dataclass(frozen=True, slots=True)
class Snippet:
    """`text` is a slice of the abstract; `highlights` are (start, end) offsets into `text`."""

    text: str
    highlights: tuple[tuple[int, int], ...]


def make_snippet(text: str, terms: Collection[str], tokenizer: Tokenizer) -> Snippet:
    """The window of about WINDOW_CHARS characters with the most matched words."""
    matches = [(start, end) for _, start, end in tokenizer.find(text, terms)]
    start = _best_window_start(text, matches)
    end = min(len(text), start + WINDOW_CHARS)
    if end < len(text):
        end = _word_boundary_before(text, end, start)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    body = text[start:end]
    highlights = tuple(
        (s - start + len(prefix), e - start + len(prefix))
        for s, e in matches
        if s >= start and e <= end
    )
    return Snippet(prefix + body + suffix, highlights)


def _best_window_start(text: str, matches: list[tuple[int, int]]) -> int:
    if not matches or len(text) <= WINDOW_CHARS:
        return 0
    best_start, best_count = 0, -1
    right = 0
    for left, (first_start, _) in enumerate(matches):
        while right < len(matches) and matches[right][1] <= first_start + WINDOW_CHARS:
            right += 1
        if right - left > best_count:
            best_start, best_count = first_start, right - left
    start = max(0, best_start - 60)  # a little context before the first match
    return 0 if start == 0 else _word_boundary_after(text, start)


def _word_boundary_after(text: str, position: int) -> int:
    space = text.find(" ", position)
    return position if space == -1 else space + 1


def _word_boundary_before(text: str, position: int, floor: int) -> int:
    space = text.rfind(" ", floor, position)
    return position if space <= floor else space
