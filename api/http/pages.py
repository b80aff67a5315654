"""The search page: a plain GET form rendered on the server (works without JavaScript)."""

from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from papersift.api.http.engine import Engine, NotReadyError
from papersift.api.http.routes import to_request
from papersift.api.http.schemas import SearchBody
from papersift.api.settings import Settings
from papersift.search.errors import PaperNotFoundError, QueryError
from papersift.search.requests import Mode
from papersift.search.snippets import Snippet

PAGE_SIZE = 10
TOP_CATEGORIES = 40


def highlight(snippet: Snippet | None) -> Markup:
    """Snippet text with <mark> around matches; every piece of corpus text is escaped."""
    if snippet is None:
        return Markup("")
    parts: list[str] = []
    cursor = 0
    for start, end in snippet.highlights:
        parts.append(str(escape(snippet.text[cursor:start])))
        parts.append(f"<mark>{escape(snippet.text[start:end])}</mark>")
        cursor = end
    parts.append(str(escape(snippet.text[cursor:])))
    return Markup("".join(parts))


TEMPLATES = Jinja2Templates(directory=str(resources.files("papersift.api") / "templates"))
TEMPLATES.env.filters["highlight"] = highlight
# Paths that are not pages: their errors stay JSON.
NOT_PAGES = ("/api/", "/feeds/", "/healthz", "/readyz", "/openapi.json", "/static/", "/docs")


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error on a page, as a page: what went wrong, in the site's layout."""
    form = {"q": request.query_params.get("q", "")[:200], "mode": "hybrid"}
    context = {"form": form, "categories": [], "status": status, "message": message}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def build_pages(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = TEMPLATES
    signup = {"open": settings.open_signups, "mail": bool(settings.smtp_host)}

    @router.get("/", response_class=HTMLResponse)
    def search_page(
        request: Request,
        q: Annotated[str, Query(max_length=settings.max_query_length)] = "",
        mode: Mode = Mode.hybrid,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        year_from: Annotated[str, Query(max_length=10)] = "",  # the form sends "" when blank
        year_to: Annotated[str, Query(max_length=10)] = "",
        category: Annotated[str, Query(max_length=100)] = "",
    ) -> HTMLResponse:
        engine: Engine = request.app.state.engine
        form = {"q": q, "mode": mode, "year_from": year_from, "year_to": year_to,
                "category": category}  # fmt: skip
        context: dict[str, Any] = {"form": form, "categories": [], "hits": [], "error": None,
                                   "signup": signup}  # fmt: skip
        try:
            reader = engine.reader
            context["categories"] = sorted(reader.categories()[:TOP_CATEGORIES])
            if q.strip():
                body = SearchBody(q=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, mode=mode,
                                  year_from=_year(year_from, "year_from"),
                                  year_to=_year(year_to, "year_to"),
                                  category=[category] if category else [])  # fmt: skip
                result = reader.search(to_request(body))
                context.update(result=result, hits=result.hits, page=page,
                               pages=_page_links(form, page, result.total),
                               subscription={**form, "category": [category]})  # fmt: skip
        except (NotReadyError, QueryError) as error:
            context["error"] = str(error)
        status = 503 if context["error"] and not engine.ready else 200
        return templates.TemplateResponse(request, "search.html", context, status_code=status)

    @router.get("/similar/{paper_id:path}", response_class=HTMLResponse)
    def similar_page(request: Request, paper_id: str) -> HTMLResponse:
        engine: Engine = request.app.state.engine
        context: dict[str, Any] = {
            "form": {"q": "", "mode": "hybrid"},
            "categories": [],
            "signup": signup,
            "subscription": {"papers": [paper_id]},
        }
        status = 200
        try:
            reader = engine.reader
            context["source"] = reader.paper(paper_id)
            context["hits"] = list(reader.similar(paper_id, PAGE_SIZE))
        except PaperNotFoundError as error:
            context.update(error=str(error), hits=[])
            status = 404
        except NotReadyError as error:
            context.update(error=str(error), hits=[])
            status = 503
        return templates.TemplateResponse(request, "similar.html", context, status_code=status)

    return router


def _year(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 3000:
        raise QueryError(field, f"{value!r} is not a year")
    return int(value)


def _page_links(form: dict[str, Any], page: int, total: int) -> dict[str, str | None]:
    def link(number: int) -> str:
        params = {key: value for key, value in form.items() if value not in (None, "")}
        return "/?" + urlencode({**params, "page": number})

    last = max(1, -(-total // PAGE_SIZE))
    return {
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < last else None,
    }
