"""What every page shares: the templates (StrictUndefined: a missing value is an error, not a
blank), their filters (readable LaTeX, highlighted snippets, category names, dates), numbered
paging, and errors as pages."""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined
from markupsafe import Markup, escape

from papersift.api.site.latex import readable, readable_snippet
from papersift.api.site.taxonomy import is_category, name_of
from papersift.search.snippets import Snippet

PAGE_SIZE = 10
MAX_PAGE = 1000  # the deepest page a URL may ask for (offset 9,990)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Paths that are not pages: their errors stay JSON.
NOT_PAGES = ("/api/", "/feeds/", "/healthz", "/readyz", "/openapi.json", "/static/", "/docs")


def highlight(snippet: Snippet | None) -> Markup:
    """Snippet text, its LaTeX made readable, with <mark> around matches; every piece of
    corpus text is escaped."""
    if snippet is None:
        return Markup("")
    snippet = readable_snippet(snippet)
    parts: list[str] = []
    cursor = 0
    for start, end in snippet.highlights:
        parts.append(str(escape(snippet.text[cursor:start])))
        parts.append(f"<mark>{escape(snippet.text[start:end])}</mark>")
        cursor = end
    parts.append(str(escape(snippet.text[cursor:])))
    return Markup("".join(parts))


def human_date(date: str | None) -> str:
    """2025-03-17 -> 17 Mar 2025; 2025-03 (or 2025-03-00) -> Mar 2025."""
    if not date:
        return ""
    parts = [int(part) for part in date.split("-") if part.isdigit()]
    if len(parts) < 2 or not 1 <= parts[1] <= 12:
        return str(parts[0]) if parts else date
    month = f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return f"{parts[2]} {month}" if len(parts) > 2 and parts[2] else month


def arxiv_categories(categories: tuple[str, ...]) -> list[str]:
    """The arXiv categories among a paper's (MSC and ACM classes left out)."""
    return [category for category in categories if is_category(category)]


TEMPLATES = Jinja2Templates(directory=str(resources.files("papersift.api") / "templates"))
TEMPLATES.env.undefined = StrictUndefined
TEMPLATES.env.filters.update(
    highlight=highlight,
    readable=readable,
    category_name=name_of,
    human_date=human_date,
    arxiv_categories=arxiv_categories,
)


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def base_context(**extra: Any) -> dict[str, Any]:
    """What base.html needs, with blanks: a page overrides what it shows."""
    form = {"q": "", "mode": "hybrid", "sort": "relevance", "category": "", "author": "",
            "year_from": "", "year_to": ""}  # fmt: skip
    context: dict[str, Any] = {"form": form, "categories": [], "error": None}
    context.update(extra)
    return context


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error on a page, as a page: what went wrong, in the site's layout."""
    context = base_context(status=status, message=message)
    context["form"]["q"] = request.query_params.get("q", "")[:200]
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and two either side of the current
    one, None where some are skipped."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def pager(path: str, params: dict[str, Any], current: int, total: int) -> dict[str, Any]:
    """Links for numbered paging of `total` results, PAGE_SIZE a page."""
    last = min(MAX_PAGE, max(1, -(-total // PAGE_SIZE)))
    kept = {key: value for key, value in params.items() if value not in (None, "", [])}

    def link(number: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': number}, doseq=True)}"

    return {
        "current": current,
        "last": last,
        "previous": link(current - 1) if current > 1 else None,
        "next": link(current + 1) if current < last else None,
        "numbers": [(n, link(n) if n else None) for n in page_numbers(current, last)],
    }
