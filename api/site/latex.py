"""LaTeX in titles and abstracts made readable: converted to Unicode text by pylatexenc
(`$\\alpha$` -> the Greek letter, `\\emph{x}` -> x, `\\rightarrow` -> an arrow). Only what
is shown is converted; the indexed text is the source text, so ranking is unchanged.

Abstracts are not always valid LaTeX: a bare `%` would start a comment and drop the rest of the
line, an odd `$` would open math that never closes, and a malformed macro can make the converter
fail. So `%` and an unpaired `$` are escaped first, and on any failure the source text is shown.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

from papersift.search.snippets import Snippet

# Malformed LaTeX is common in abstracts; the fallback below handles it, so the converter's own
# warnings would only fill the server's log.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)

LATEX_HINTS = re.compile(r"[\\$^_{}~]")
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


@lru_cache(maxsize=4096)  # titles and snippet pieces of the pages being read
def readable(text: str) -> str:
    """`text` with its LaTeX converted to Unicode and its whitespace made single spaces."""
    if not LATEX_HINTS.search(text):
        return SPACES.sub(" ", text).strip()
    source = LINKS.sub(lambda link: link.group(1) or link.group(2) or "", text)
    source = UNESCAPED_PERCENT.sub(r"\\%", source)
    source = UNESCAPED_AMPERSAND.sub(r"\\&", source)  # R&D, not a table's column break
    source = UNESCAPED_TILDE.sub(r"\\textasciitilde{}", source)
    if len(UNESCAPED_DOLLAR.findall(source)) % 2:
        source = UNESCAPED_DOLLAR.sub(r"\\$", source)
    source = MATH.sub(lambda math: f"${SCRIPT.sub(_script, math.group(1))}$", source)
    try:
        converted = CONVERTER.latex_to_text(source)
    except Exception:  # the converter's errors are many and undocumented: show the source
        converted = text
    if "%s" in converted and "%s" not in text:  # a macro short of its arguments (`\frac{`)
        converted = text
    return SPACES.sub(" ", converted).strip()


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
