"""The site's pages, rendered on the server (they work without JavaScript): the home page
(newest papers), results (sorting, category facets, numbered pages, the match cue) and a page
per paper. Every piece of corpus text is escaped by the templates.

No `from __future__ import annotations` here: the routes are closures whose annotations name
limits from the settings, which FastAPI must be able to evaluate.
"""

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from papersift.api.http.engine import Engine, NotReadyError
from papersift.api.http.page_kit import (
    MAX_PAGE,
    PAGE_SIZE,
    TEMPLATES,
    base_context,
    error_page,
    is_page,
    pager,
)
from papersift.api.settings import Settings
from papersift.api.site.links import arxiv_links, bibtex, doi_link
from papersift.api.site.taxonomy import is_category, name_of
from papersift.index.papers.paper import MAX_ID_LENGTH
from papersift.search.backends.interface import Reader
from papersift.search.errors import QueryError
from papersift.search.requests import Filters, Mode, SearchRequest, Sort

__all__ = ["build_pages", "error_page", "is_page"]
TOP_CATEGORIES = 40  # in the filter's list
CHIPS = 12  # categories offered on the home page
SIMILAR = 8


def build_pages(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    signup = {"open": settings.open_signups, "mail": bool(settings.smtp_host)}

    @router.get("/", response_class=HTMLResponse)
    def home_or_results(
        request: Request,
        q: Annotated[str, Query(max_length=settings.max_query_length)] = "",
        mode: Mode = Mode.hybrid,
        sort: Sort = Sort.relevance,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        year_from: Annotated[str, Query(max_length=10)] = "",  # the form sends "" when blank
        year_to: Annotated[str, Query(max_length=10)] = "",
        category: Annotated[str, Query(max_length=100)] = "",
        author: Annotated[str, Query(max_length=200)] = "",
    ) -> HTMLResponse:
        engine: Engine = request.app.state.engine
        form = {"q": q, "mode": mode, "sort": sort, "year_from": year_from, "year_to": year_to,
                "category": category, "author": author}  # fmt: skip
        context = base_context(form=form, signup=signup)
        try:
            reader = engine.reader
            context["categories"] = _category_choices(reader, category)
            filters = Filters(_year(year_from, "year_from"), _year(year_to, "year_to"),
                              (category,) if category else (), author.strip() or None)  # fmt: skip
            if q.strip():
                context.update(_results(reader, form, filters, page))
                return TEMPLATES.TemplateResponse(request, "search.html", context)
            context.update(_newest(reader, engine, form, filters, page))
        except QueryError as error:
            return error_page(request, 422, str(error))
        except NotReadyError as error:
            context["error"] = str(error)
            return TEMPLATES.TemplateResponse(request, "home.html", context, status_code=503)
        return TEMPLATES.TemplateResponse(request, "home.html", context)

    @router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
    def paper_page(request: Request, paper_id: str) -> HTMLResponse:
        engine: Engine = request.app.state.engine
        try:
            reader = engine.reader
        except NotReadyError as error:
            return error_page(request, 503, str(error))
        paper = reader.paper(paper_id) if len(paper_id) <= MAX_ID_LENGTH else None
        if paper is None:
            shown = paper_id if len(paper_id) <= 80 else f"{paper_id[:80]}…"
            return error_page(request, 404, f"There is no paper {shown!r} in this index.")
        context = base_context(
            paper=paper,
            links=arxiv_links(paper),
            doi=doi_link(paper),
            bibtex=bibtex(paper),
            categories_named=[(c, name_of(c)) for c in paper.categories if is_category(c)],
            other_classes=[c for c in paper.categories if not is_category(c)],
            similar=reader.similar(paper.id, SIMILAR),
            signup=signup,
            subscription={"papers": [paper.id]},
        )
        return TEMPLATES.TemplateResponse(request, "paper.html", context)

    @router.get("/similar/{paper_id:path}")
    def similar_page(paper_id: str) -> RedirectResponse:
        """The old similar page: similar papers are on the paper's page now."""
        return RedirectResponse(f"/papers/{quote(paper_id, safe='/')}#similar", status_code=301)

    return router


def _results(reader: Reader, form: dict[str, Any], filters: Filters, page: int) -> dict[str, Any]:
    request = SearchRequest(form["q"], form["mode"], limit=PAGE_SIZE,
                            offset=(page - 1) * PAGE_SIZE, filters=filters, sort=form["sort"],
                            facets=True)  # fmt: skip
    result = reader.search(request)
    others = {key: value for key, value in form.items() if key != "category" and value}
    facets = [(name, count, f"/?{urlencode({**others, 'category': name})}")
              for name, count in result.facets if is_category(name)]  # fmt: skip
    return {
        "result": result,
        "hits": result.hits,
        "facets": facets[:TOP_CATEGORIES],
        "all_categories": f"/?{urlencode(others)}",
        "pages": pager("/", form, page, result.total),
        "subscription": {**form, "category": [form["category"]]},
    }


def _newest(
    reader: Reader, engine: Engine, form: dict[str, Any], filters: Filters, page: int
) -> dict[str, Any]:
    listing = reader.newest(filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    chips = [(c, name_of(c)) for c in reader.categories() if is_category(c)][:CHIPS]
    return {
        "listing": listing,
        "chips": chips,
        "documents": reader.stats().documents,
        "sync": engine.last_sync(),
        "pages": pager("/", form, page, listing.total),
    }


def _category_choices(reader: Reader, selected: str) -> list[tuple[str, str]]:
    """The filter's categories: the most common arXiv ones by code, and the selected one."""
    codes = [c for c in reader.categories() if is_category(c)][:TOP_CATEGORIES]
    if selected and selected not in codes:
        codes.append(selected)
    return [(code, name_of(code)) for code in sorted(codes)]


def _year(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isascii() or not value.isdecimal() or not 0 < int(value) < 3000:
        raise QueryError(field, f"{value!r} is not a year")
    return int(value)
