"""Hostile LaTeX: the converter's work is bounded, and past the bounds the text is shown as it is.

`\\frac{x ` x22 (176 characters) once kept a paper's page and the home page from ever answering:
each open level doubled pylatexenc's work. No test here times anything; each checks the bound
itself: what is not converted at all, and how much work the converter does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.api.site import latex
from papersift.api.site.latex import CONVERTER, BoundedWalker, budget, readable, within_bounds
from tests.helpers.apps import AUTH, writable_app
from tests.helpers.data import SAMPLE_STEP, demo_records

PAST_THE_BOUNDS = {
    "frac x22": "\\frac{x " * 22,
    "open braces": "{" * 5000,
    "sqrt x50": "\\sqrt{" * 50,
    "superscripts x100": "^{" * 100,
    "math and frac x20": "$\\frac{x $ " * 20,
    "100 KB": ("$\\alpha_{i}^{2}$ \\emph{word} and \\frac{a}{b} text " * 2200)[:100_000],
    "long and plain-looking": "x_1 " * 2000,
}
# Under the length and depth bounds, but each level still doubles the parser's work, or its
# tokens are long: the work budget stops these.
STOPPED_BY_THE_BUDGET = {
    "frac x8": "\\frac{x " * 8,
    "math and frac x8": "$\\frac{x $ " * 8,
    "optional arguments x14": "\\sqrt[x " * 14,
    "frac x8 then words": "\\frac{x " * 8 + " word" * 900,
    "frac x8 and long spaces": ("\\frac{x" + " " * 500) * 8,
    "frac x8 and long macro names": ("\\frac{\\" + "a" * 500 + " ") * 8,
    "frac x8 and trailing spaces": "\\frac{x " * 8 + " " * 4900,
}
MORE_SHAPES = {
    "left x200": "\\left(" * 200,
    "left in math": "$" + "\\left(" * 200 + "$",
    "environments x200": "\\begin{x}" * 200,
    "stray closing braces": "\\frac{a}}" * 12,
    "inline and display math": "\\(\\frac{x \\[" * 6,
    "frac closed x8": "{\\frac{" * 8 + "x" + "}}" * 8,
    "escapes": "\\{\\frac{x " * 30,
    "math-heavy": "\\frac{x}{\\sqrt{y}} $a^2$ \\textbf{b} " * 150,
}
HOSTILE = PAST_THE_BOUNDS | STOPPED_BY_THE_BUDGET | MORE_SHAPES


Walkers = list[BoundedWalker]  # every walker the converter made, for counting its work


@pytest.fixture
def walkers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Walkers]:
    made: Walkers = []

    class Counted(BoundedWalker):
        def __init__(self, source: str, budget: int) -> None:
            super().__init__(source, budget)
            made.append(self)

    monkeypatch.setattr(latex, "BoundedWalker", Counted)
    readable.cache_clear()  # a cached answer would make no walker
    yield made
    readable.cache_clear()


def as_is(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("text", PAST_THE_BOUNDS.values(), ids=PAST_THE_BOUNDS.keys())
def test_text_past_the_bounds_is_shown_as_it_is_unconverted(text: str, walkers: Walkers) -> None:
    assert not within_bounds(text)
    assert readable(text) == as_is(text)
    assert walkers == []  # the converter never saw it


@pytest.mark.parametrize("text", STOPPED_BY_THE_BUDGET.values(), ids=STOPPED_BY_THE_BUDGET.keys())
def test_the_budget_stops_the_converter_and_the_text_is_shown_as_it_is(
    text: str, walkers: Walkers
) -> None:
    assert within_bounds(text)
    assert readable(text) == as_is(text)
    [walker] = walkers
    assert walker.work >= walker.budget  # it stopped at its budget, not at the end


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_hostile_shape_is_converted_or_shown_as_it_is(text: str, walkers: Walkers) -> None:
    shown = readable(text)
    assert isinstance(shown, str) and "%s" not in shown
    assert len(walkers) <= 1
    for walker in walkers:
        assert walker.budget == budget(walker.s) <= latex.WORK_PER_CHARACTER * latex.MAX_LENGTH
        assert walker.work < walker.budget + len(walker.s)  # the last call read at most the text


def test_the_bounds_are_inclusive_and_count_only_real_braces() -> None:
    assert within_bounds("{" * latex.MAX_DEPTH)
    assert not within_bounds("{" * (latex.MAX_DEPTH + 1))
    assert within_bounds("{}" * 1000 + "{" * latex.MAX_DEPTH)  # closed groups give depth back
    assert within_bounds("\\{" * 100)  # literal braces open nothing
    assert within_bounds("}" * 100 + "{" * latex.MAX_DEPTH)  # a stray `}` closes nothing
    assert within_bounds("x" * latex.MAX_LENGTH)
    assert not within_bounds("x" * (latex.MAX_LENGTH + 1))


def test_real_papers_convert_within_the_budget_as_without_it(walkers: Walkers) -> None:
    """Congruence with pylatexenc unbounded, on the demo corpus's titles and abstracts."""
    texts = [
        text
        for record in demo_records()[::SAMPLE_STEP]
        for text in (str(record["title"]), str(record["abstract"]))
        if latex.LATEX_HINTS.search(text)
    ]
    assert len(texts) > 20
    for text in texts:
        source = latex._prepared(text)
        bounded = latex._converted(source)
        assert bounded == CONVERTER.latex_to_text(source), text
        assert walkers[-1].work < walkers[-1].budget


def test_a_hostile_title_does_not_stop_its_page_or_the_home_page(folder: Path) -> None:
    title = "\\frac{x " * 22
    paper = {
        "title": title,
        "abstract": "Hostile math: " + "$\\frac{x $ " * 20,  # 557 s before the bound
        "authors": ["Mallory"],
        "categories": "cs.CV",
        "year": 2026,
    }
    with writable_app(folder) as client:
        put = client.put("/api/papers/2612.99999", json=paper, headers=AUTH)
        assert put.status_code == 200, put.text
        page = client.get("/papers/2612.99999")
        home = client.get("/")
    assert page.status_code == 200 and as_is(title) in page.text
    assert home.status_code == 200 and as_is(title) in home.text


def test_text_that_converts_to_nothing_is_shown_as_it_is() -> None:
    """A title of environments and nothing else would read as a blank line."""
    source = "\\begin{x}" * 20
    assert readable(source) == source
