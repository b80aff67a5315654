"""How sources of papers and their schedule are written in settings and flags."""

from __future__ import annotations

import re

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds_of(duration: str) -> float:
    """`90`, `90s`, `15m`, `6h`, `1d` in seconds (a ValueError for anything else)."""
    match = DURATION.match(duration)
    if not match:
        raise ValueError(f"{duration!r} is not a duration like 30m, 6h or 1d")
    return float(match.group(1)) * SECONDS[match.group(2)]


def sets_of(sources: list[str]) -> tuple[str | None, ...]:
    """`arxiv`, `arxiv:cs`, `arxiv:physics:astro-ph` -> the arXiv sets (None: everything)."""
    sets: list[str | None] = []
    for source in sources:
        name, _, set_spec = source.partition(":")
        if name != "arxiv":
            raise ValueError(f"{source!r}: the one source is arxiv (arxiv or arxiv:SET)")
        sets.append(set_spec or None)
    return tuple(sets)
