"""The HTML page, parsed: escaping of corpus text, the no-JavaScript form, paging, errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.helpers.data import HOSTILE_PAPERS


class PageParser(HTMLParser):
    """Collects tags with their attributes and the visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def test_home_page_has_a_focused_get_form(client: TestClient) -> None:
    page = parse(client.get("/").text)
    forms = [attrs for tag, attrs in page.tags if tag == "form"]
    assert forms == [{"class": "search", "action": "/", "method": "get", "role": "search"}]
    search_box = next(
        attrs for tag, attrs in page.tags if tag == "input" and attrs.get("name") == "q"
    )
    assert "autofocus" in search_box
    modes = {
        attrs["value"] for tag, attrs in page.tags if tag == "input" and attrs.get("name") == "mode"
    }
    assert modes == {"hybrid", "lexical", "dense"}


def test_results_are_rendered_with_marks_and_paging(client: TestClient) -> None:
    response = client.get("/", params={"q": "neural network", "mode": "lexical"})
    assert response.status_code == 200
    page = parse(response.text)
    assert sum(1 for tag, attrs in page.tags if tag == "article") == 10
    assert any(tag == "mark" for tag, _ in page.tags)
    next_links = [
        attrs["href"] for tag, attrs in page.tags if tag == "a" and attrs.get("rel") == "next"
    ]
    assert next_links and "page=2" in next_links[0] and "mode=lexical" in next_links[0]
    numbered = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "a" and "page=3" in attrs.get("href", "")
    ]
    assert numbered  # numbered pages, not only next and previous
    cards = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "a" and attrs.get("href", "").startswith("/papers/")
    ]
    assert len(cards) >= 10  # each title leads to the paper's page
    text = "".join(page.text)
    assert "papers match; showing 1\u201310" in text and "candidates" not in text
    facets = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "a" and "category=" in attrs.get("href", "") and "q=neural" in attrs["href"]
    ]
    assert facets, "category facets of the results, each a link"


def test_facets_count_the_results_and_narrow_them(client: TestClient) -> None:
    params = {"q": "neural network", "mode": "lexical"}
    facets = client.get("/api/search", params={**params, "facets": "true", "limit": 1}).json()[
        "facets"
    ]
    top = facets[0]
    html = client.get("/", params=params).text
    assert f'<span>{top["category"]}</span> <span class="count">{top["count"]:,}</span>' in html
    narrowed = client.get("/", params={**params, "category": top["category"]})
    found = int(re.findall(r'<p class="summary">([\d,]+) paper', narrowed.text)[0].replace(",", ""))
    assert found >= top["count"] and 'aria-current="true"' in narrowed.text


def test_sort_by_newest_on_the_page(client: TestClient) -> None:
    html = client.get("/", params={"q": "neural network", "sort": "newest"}).text
    assert "newest first" in html and '<option value="newest" selected>' in html


def test_home_shows_the_newest_papers(client: TestClient) -> None:
    response = client.get("/")
    newest = client.get("/api/papers", params={"limit": 10}).json()
    page = parse(response.text)
    titles = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "a"
        and attrs.get("href", "").startswith("/papers/")
        and not attrs["href"].endswith("#similar")
    ]
    assert titles == [f"/papers/{paper['id']}" for paper in newest["papers"]]
    text = " ".join(page.text)
    assert "Newest papers" in text and f"{newest['total']:,} papers from" in text
    assert "Computer Vision and Pattern Recognition" in text  # category chips by name
    assert any(tag == "nav" and attrs.get("aria-label") == "Pages" for tag, attrs in page.tags)


def test_home_by_category(client: TestClient) -> None:
    html = client.get("/", params={"category": "cs.CV"}).text
    assert "Newest papers in Computer Vision and Pattern Recognition (cs.CV)" in html
    newest = client.get("/api/papers", params={"category": "cs.CV", "limit": 1}).json()
    assert f"/papers/{newest['papers'][0]['id']}" in html


def test_paper_page(client: TestClient) -> None:
    paper = client.get("/api/papers", params={"category": "cs.CV", "limit": 1}).json()["papers"][0]
    response = client.get(f"/papers/{paper['id']}")
    assert response.status_code == 200
    page = parse(response.text)
    links = [attrs.get("href", "") for tag, attrs in page.tags if tag == "a"]
    text = "".join(page.text)
    assert (
        f"https://arxiv.org/abs/{paper['id']}" in links
        and f"https://arxiv.org/pdf/{paper['id']}" in links
    )
    for author in paper["authors"]:
        assert f"/?author={quote(author)}" in links
    assert "Computer Vision and Pattern Recognition" in text
    assert "@misc{" in text and f"eprint = {{{paper['id']}}}" in text  # BibTeX to copy
    similar = [
        link for link in links if link.startswith("/papers/") and not link.endswith("#similar")
    ]
    assert len(set(similar)) >= 8 and f"/papers/{paper['id']}" not in similar
    assert 'name="papers" value="' + paper["id"] in response.text  # subscribe to papers like this


def test_paper_page_reads_latex_as_text(client: TestClient) -> None:
    html = client.get("/papers/2509.03469").text
    assert "Bi₄I₄" in html and "Bi$_4$I$_4$" not in html


def test_unknown_paper_and_the_old_similar_page(client: TestClient) -> None:
    missing = client.get("/papers/nope")
    assert missing.status_code == 404 and "There is no paper &#39;nope&#39;" in missing.text
    long = client.get("/papers/" + "x" * 60_000)
    assert long.status_code == 404 and len(long.text) < 20_000  # the id is not echoed whole
    moved = client.get("/similar/xss-1", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/papers/xss-1#similar"


def summary_of(html: str) -> tuple[str, str]:
    """The class and the text of the line above the hits."""
    match = re.search(r'<p class="(summary[^"]*)"[^>]*>(.*?)</p>', html, re.DOTALL)
    assert match, "no summary line"
    return match.group(1), match.group(2)


def test_weak_matches_are_said_without_a_count_of_matches(client: TestClient) -> None:
    """Where the cue says nothing stands out, the count beside it does not say they match."""
    kind, line = summary_of(client.get("/", params={"q": "zxqv blorf"}).text)
    assert kind == "summary cue"
    assert line.startswith("No strong matches; the closest 10 papers \u00b7 ")
    assert "papers match" not in line and "showing" not in line
    _, later = summary_of(client.get("/", params={"q": "zxqv blorf", "page": 2}).text)
    assert later.startswith("No strong matches; the closest papers, 11\u201320 \u00b7 ")
    kind, line = summary_of(client.get("/", params={"q": "graph neural networks"}).text)
    assert kind == "summary" and "papers match; showing 1\u201310" in line
    assert "No strong matches" not in client.get("/", params={"q": "graph neural networks"}).text


def test_api_docs_work_offline(client: TestClient) -> None:
    page = parse(client.get("/docs").text)
    sources = [
        attrs.get("src") or attrs.get("href")
        for tag, attrs in page.tags
        if tag in ("script", "link")
    ]
    assert all(source and source.startswith("/static/") for source in sources), sources
    for source in sources:
        assert client.get(str(source)).status_code == 200
    assert client.get("/favicon.ico").status_code == 200


def test_corpus_text_is_escaped(client: TestClient) -> None:
    response = client.get("/", params={"q": "quokka"})
    html = response.text
    page = parse(html)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"src": "/static/page.js", "defer": None}]
    assert not any(tag == "img" for tag, _ in page.tags)
    assert not any(any(name.startswith("on") for name in attrs) for _, attrs in page.tags)
    text = "".join(page.text)
    assert "<script>window.pwned = 1</script> Robust quokka detection" in text
    assert "<b>Mallory</b>" in text
    assert str(HOSTILE_PAPERS[1]["title"]) in text


def test_empty_results_help(client: TestClient) -> None:
    html = client.get("/", params={"q": "zzqxj", "mode": "lexical"}).text
    assert "No papers match" in html and "mode=dense" in html


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"page": 0, "q": "x"}, "page: Input should be greater than or equal to 1"),
        ({"q": "x" * 2000}, "q: String should have at most 1000 characters"),
        ({"q": "x", "mode": "banana"}, "mode: Input should be"),
    ],
)
def test_bad_page_urls_get_an_html_page_saying_why(
    client: TestClient, params: dict[str, object], said: str
) -> None:
    response = client.get("/", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert said in "".join(page.text)
    assert any(tag == "form" for tag, _ in page.tags)  # the search box, to try again


def test_unknown_pages_are_html_404s(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "There is no page at this address." in response.text
    api = client.get("/api/no/such/route")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"


def test_year_order_is_explained_on_the_page(client: TestClient) -> None:
    response = client.get("/", params={"q": "x", "year_from": 2020, "year_to": 2000})
    assert response.status_code == 422 and "year_from" in response.text


def test_blank_and_bad_years_from_the_form(client: TestClient) -> None:
    blank = client.get("/", params={"q": "graph", "year_from": "", "year_to": "", "category": ""})
    assert blank.status_code == 200 and "<article" in blank.text
    superscript = client.get("/", params={"q": "graph", "year_from": "²"})
    assert superscript.status_code == 422 and "is not a year" in superscript.text
    bad = client.get("/", params={"q": "graph", "year_from": "soon"})
    assert bad.status_code == 422 and "year_from: &#39;soon&#39; is not a year" in bad.text
