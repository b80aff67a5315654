"""LaTeX in titles and abstracts made readable: converted to Unicode text by pylatexenc
(`$\\alpha$` -> the Greek letter, `\\emph{x}` -> x, `\\rightarrow` -> an arrow). Only what
is shown is converted; the indexed text is the source text, so ranking is unchanged.

Abstracts are not always valid LaTeX: a bare `%` would start a comment and drop the rest of the
line, an odd `$` would open math that never closes, and a malformed macro can make the converter
fail. So `%` and an unpaired `$` are escaped first, and on any failure the source text is shown.

Paper text comes from anyone who can write a paper or an arXiv title, so the converter's work
is bounded. When a macro's arguments fail to parse (`\\frac{x ` never closes), pylatexenc's
tolerant parser parses all that follows the macro again as if it had none, so each open level
doubles its work: `\\frac{x ` x22, 176 characters, takes minutes. Text longer than MAX_LENGTH,
or with braces open deeper than MAX_DEPTH, is shown as it is without being converted; under
those bounds the parser stops once it has read WORK_PER_CHARACTER characters for each one of
the text (BoundedWalker), and the source is shown.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalker

from papersift.search.snippets import Snippet

# Malformed LaTeX is common in abstracts; the fallback below handles it, so the converter's own
# warnings would only fill the server's log.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)

# The bounds, each about twice what real papers need. Of the 259,470 titles and abstracts of the
# 129,735 arXiv papers in the test data the longest has 4,031 characters (arXiv takes 1,920), the
# deepest braces are 4 levels, and none makes the parser read more than 1.12 characters for each
# of its own. Within them a conversion reads at most 10,000 characters: 0.3 s for the slowest
# shape found, on a slow machine where a real 1,250-character abstract with 14 formulas takes
# 0.02 s and a 5,000-character run of formulas 0.1 s.
MAX_LENGTH = 5_000
MAX_DEPTH = 8
WORK_PER_CHARACTER = 2
WORK_AT_LEAST = 100  # a short title's budget (`$x$` needs 3)
LATEX_HINTS = re.compile(r"[\\$^_{}~]")
BRACES = re.compile(r"\\.|[{}]", re.DOTALL)  # `\{` is a brace character, not a group
UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
UNESCAPED_AMPERSAND = re.compile(r"(?<!\\)&")
UNESCAPED_TILDE = re.compile(r"(?<!\S)~")  # ~10x; `Fig.~3` and `0.5~pc` are ties (spaces)
UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
SPACES = re.compile(r"\s+")
LINKS = re.compile(r"\\href\s*\{[^{}]*\}\s*\{([^{}]*)\}|\\url\s*\{([^{}]*)\}")
CONVERTER = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
MATH = re.compile(r"(?<!\\)\$([^$]+)(?<!\\)\$")
MACRO = re.compile(r"\\[A-Za-z]+\s*\{[^{}$]*\}")  # \emph{...}: converted as a whole
SCRIPT = re.compile(r"([_^])(?:\{\s*([^{}]*?)\s*\}|([0-9A-Za-z]))")
# Unicode's sub- and superscript characters: `Bi$_4$` reads Bi₄, `$x^2$` x².
SUBSCRIPTS = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
SUPERSCRIPTS = dict(
    zip("0123456789+-=()abcdefghijklmnoprstuvwxyz",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ", strict=True)
)  # fmt: skip


class TooMuchWork(Exception):
    """The converter did more work than its budget allows (not a pylatexenc error, which its
    tolerant parser would catch and recover from)."""


class BoundedWalker(LatexWalker):  # type: ignore[misc]  # pylatexenc has no type hints
    """pylatexenc's parser, stopped by TooMuchWork once its work passes `budget`. All of its
    reading, the reparsing included, goes through get_token; a call's work is the characters
    it read (the spaces before a token, a long macro name), at least 1."""

    def __init__(self, source: str, budget: int) -> None:
        super().__init__(source)
        self.budget = budget
        self.work = 0

    def get_token(self, pos: int, *args: Any, **kwargs: Any) -> Any:
        if self.work >= self.budget:
            raise TooMuchWork(f"over {self.budget}")
        try:  # LatexWalker.get_token rather than super(): this runs once a character
            token = LatexWalker.get_token(self, pos, *args, **kwargs)
        except Exception:  # the end of the text, found after reading its last spaces
            self.work += len(self.s) - pos or 1
            raise
        self.work += token.pos + token.len - pos or 1
        return token


@lru_cache(maxsize=4096)  # titles and snippet pieces of the pages being read
def readable(text: str) -> str:
    """`text` with its LaTeX converted to Unicode and its whitespace made single spaces."""
    if not LATEX_HINTS.search(text) or not within_bounds(text):
        return SPACES.sub(" ", text).strip()
    source = _prepared(text)
    converted = _converted(source)
    if converted is None or not converted.strip() or ("%s" in converted and "%s" not in text):
        converted = text  # failed, too much work, nothing left, or a macro short of its
        # arguments (`\frac{`)
    return SPACES.sub(" ", converted).strip()


def within_bounds(text: str) -> bool:
    """Whether `text` is short enough, and its braces shallow enough, to convert."""
    if len(text) > MAX_LENGTH:
        return False
    depth = 0
    for match in BRACES.finditer(text):
        if match.group() == "{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif match.group() == "}":
            depth = max(depth - 1, 0)  # a stray `}` closes nothing, in pylatexenc too
    return True


def budget(source: str) -> int:
    """The most work the converter may do for `source` (see BoundedWalker)."""
    return max(WORK_PER_CHARACTER * len(source), WORK_AT_LEAST)


def _prepared(text: str) -> str:
    """`text` made valid for the converter: links to their text, `%`, `&`, a spaced `~` and an
    unpaired `$` escaped, and the sub- and superscripts of its math as Unicode."""
    source = LINKS.sub(lambda link: link.group(1) or link.group(2) or "", text)
    source = UNESCAPED_PERCENT.sub(r"\\%", source)
    source = UNESCAPED_AMPERSAND.sub(r"\\&", source)  # R&D, not a table's column break
    source = UNESCAPED_TILDE.sub(r"\\textasciitilde{}", source)
    if len(UNESCAPED_DOLLAR.findall(source)) % 2:
        source = UNESCAPED_DOLLAR.sub(r"\\$", source)
    return MATH.sub(lambda math: f"${SCRIPT.sub(_script, math.group(1))}$", source)


def _converted(source: str) -> str | None:
    """`source` as Unicode text, or None where the converter failed or ran past its budget."""
    walker = BoundedWalker(source, budget(source))
    try:
        converted: str = CONVERTER.nodelist_to_text(walker.get_latex_nodes()[0])
    except Exception:  # the converter's errors are many and undocumented, and TooMuchWork
        return None
    return converted


def _script(match: re.Match[str]) -> str:
    """A sub- or superscript as Unicode characters where each has one; else unchanged."""
    table = SUBSCRIPTS if match.group(1) == "_" else SUPERSCRIPTS
    body = (match.group(2) if match.group(2) is not None else match.group(3)).replace(" ", "")
    if body in ("\\prime", "\\prime\\prime"):
        return "\u2032" * body.count("prime")  # the prime sign
    if body and all(character in table for character in body):
        return "".join(table[character] for character in body)
    return match.group(0)


def readable_snippet(snippet: Snippet) -> Snippet:
    """The snippet converted piece by piece between its highlights, so that the highlights
    still cover the matched words of the converted text."""
    pieces: list[str] = []
    highlights: list[tuple[int, int]] = []
    cursor = 0
    length = 0
    for start, end in _widened(snippet.text, snippet.highlights):
        before = _piece(snippet.text[cursor:start])
        pieces.append(before)
        length += len(before)
        marked = _piece(snippet.text[start:end]).strip()
        pieces.append(marked)
        highlights.append((length, length + len(marked)))
        length += len(marked)
        cursor = end
    pieces.append(_piece(snippet.text[cursor:]))
    return Snippet("".join(pieces), tuple(highlights))


def _widened(text: str, highlights: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """The highlights, each grown to the whole math span or macro it falls in (`gamma` in
    `$\\gamma$-ray` marks the whole `$\\gamma$`, in `\\emph{gamma}` the whole macro), so that
    every piece converts on its own."""
    spans = [match.span() for pattern in (MATH, MACRO) for match in pattern.finditer(text)]
    grown: list[tuple[int, int]] = []
    for start, end in highlights:
        for left, right in spans:
            if left < end and start < right:
                start, end = min(start, left), max(end, right)
        if start > 0 and text[start - 1] == "\\":
            start -= 1
        if grown and start <= grown[-1][1]:
            start, end = grown[-1][0], max(end, grown.pop()[1])
        grown.append((start, end))
    return grown


def _piece(text: str) -> str:
    """A piece of a snippet, converted, keeping its edge spaces (they separate the pieces)."""
    if not text.strip():
        return " " if text else ""
    core = readable(text)
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    return f"{lead}{core}{trail}"
