"""The HTML page, parsed: escaping of corpus text, the no-JavaScript form, paging, errors."""

from __future__ import annotations

from html.parser import HTMLParser

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
    assert any(
        attrs.get("href", "").startswith("/similar/") for tag, attrs in page.tags if tag == "a"
    )


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


def test_similar_page_and_unknown_paper(client: TestClient) -> None:
    page = parse(client.get("/similar/xss-1").text)
    assert sum(1 for tag, _ in page.tags if tag == "article") == 10
    assert client.get("/similar/nope").status_code == 404


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
    assert client.get("/", params={"q": "x", "year_from": 2020, "year_to": 2000}).status_code == 200


def test_blank_and_bad_years_from_the_form(client: TestClient) -> None:
    blank = client.get("/", params={"q": "graph", "year_from": "", "year_to": "", "category": ""})
    assert blank.status_code == 200 and "<article" in blank.text
    bad = client.get("/", params={"q": "graph", "year_from": "soon"})
    assert bad.status_code == 200 and "year_from: &#39;soon&#39; is not a year" in bad.text
