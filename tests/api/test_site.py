"""The site's pieces: readable LaTeX, paper links and BibTeX, category names, numbered paging."""

from __future__ import annotations

import pytest

from papersift.api.http.page_kit import highlight, human_date, page_numbers, pager
from papersift.api.site.latex import readable, readable_snippet
from papersift.api.site.links import arxiv_links, bibtex, doi_link
from papersift.api.site.taxonomy import is_category, name_of
from papersift.index.papers.paper import Paper
from papersift.search.snippets import Snippet


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (r"$\alpha$-divergences", "α-divergences"),
        (r"\emph{i.e.} \textbf{R}einforcement", "i.e. Reinforcement"),
        (r"A $\rightarrow$ B", "A → B"),
        ("Bi$_4$I$_4$ at $T^2$", "Bi₄I₄ at T²"),
        (r"$\mathcal{O}(n \log n)$ time", "𝒪(n log n) time"),
        (r"$x^{\prime}$ and $a_{ij}$", "x′ and aᵢⱼ"),
        ("a 50% gain, costs $5", "a 50% gain, costs $5"),  # a bare % and an odd $ stay text
        (r"R&D at ~10x, $x$", "R&D at ~10x, x"),  # not a column break, not a tie
        (r"Fig.~3 at 0.5~pc, $x$", "Fig. 3 at 0.5 pc, x"),  # ties
        (
            r"see \href{https://x.org}{our code} or \url{https://y.org}",
            "see our code or https://y.org",
        ),
        ("plain   text\nwith lines", "plain text with lines"),
        (r"\unknownmacro{x} \frac{", r"\unknownmacro{x} \frac{"),  # unconvertible: the source
    ],
)
def test_latex_reads_as_text(source: str, shown: str) -> None:
    assert readable(source) == shown


def test_snippet_highlights_stay_on_the_converted_words() -> None:
    text = r"We bound $\alpha$ for sparse attention with $\mathcal{O}(n)$ memory"
    start = text.index("sparse")
    snippet = readable_snippet(Snippet(text, ((start, start + 6), (start + 7, start + 16))))
    marked = [snippet.text[a:b] for a, b in snippet.highlights]
    assert marked == ["sparse", "attention"]
    assert snippet.text == "We bound α for sparse attention with 𝒪(n) memory"
    assert str(highlight(Snippet("<b> & x", ((6, 7),)))) == "&lt;b&gt; &amp; <mark>x</mark>"


def test_a_match_inside_math_or_a_macro_marks_what_it_becomes() -> None:
    text = r"Bright $\gamma$-ray bursts seen with \emph{gamma} rays"
    found = tuple((i, i + 5) for i in range(len(text)) if text.startswith("gamma", i))
    snippet = readable_snippet(Snippet(text, found))
    assert snippet.text == "Bright γ-ray bursts seen with gamma rays"
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["γ", "gamma"]


def test_arxiv_papers_get_links_and_bibtex() -> None:
    title = r"Fast {Sparse} \emph{Attention}"
    paper = Paper("2503.11935", title, "...", ("Jun Yu", "Lei Wang"), ("cs.CL", "68T50"), 2025,
                  doi="10.1/x<y>", journal_ref="JMLR 1 (2025)")  # fmt: skip
    assert arxiv_links(paper) == ("https://arxiv.org/abs/2503.11935",
                                  "https://arxiv.org/pdf/2503.11935")  # fmt: skip
    assert doi_link(paper) == "https://doi.org/10.1/x%3Cy%3E"
    entry = bibtex(paper)
    assert entry.startswith("@article{yu2025fast,\n")
    assert (
        "  title = {{Fast Sparse Attention}}" in entry and "author = {Jun Yu and Lei Wang}" in entry
    )
    assert "eprint = {2503.11935}" in entry and "primaryClass = {cs.CL}" in entry
    several = Paper("x", "t", "a", doi="https://doi.org/10.1/a 10.2/b")
    assert doi_link(several) == "https://doi.org/10.1/a"
    classed = Paper("2503.00001", "t", "a", (" ",), ("68T05", "cs.LG"))  # a blank author too
    assert "primaryClass = {cs.LG}" in bibtex(classed)
    other = Paper("doc-7", "T}itle\\", "...", ())
    assert arxiv_links(other) is None and bibtex(other).startswith("@misc{paper")
    assert "{{Title}}" in bibtex(other)  # braces and backslashes cannot break out of a field


def test_categories_have_arxiv_names_and_classes_do_not() -> None:
    assert name_of("cs.CL") == "Computation and Language"
    assert name_of("hep-th") == "High Energy Physics - Theory"
    assert is_category("math.AG") and not is_category("68T45") and not is_category("I.2.10;")
    assert name_of("68T45") == "68T45"


def test_dates_and_page_numbers() -> None:
    assert human_date("2025-03-17") == "17 Mar 2025"
    assert human_date("2025-03") == human_date("2025-03-00") == "Mar 2025"
    assert human_date("2025") == "2025" and human_date(None) == ""
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 9) == [1, 2, 3, None, 9]
    assert page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    pages = pager("/", {"q": "a b", "mode": "dense", "category": ""}, 2, 25)
    assert pages["last"] == 3 and pages["previous"] == "/?q=a+b&mode=dense&page=1"
    assert pages["next"] == "/?q=a+b&mode=dense&page=3"
