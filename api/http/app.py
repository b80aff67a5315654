"""The FastAPI application: JSON API, search page, health checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from papersift.api.http.engine import Engine
from papersift.api.http.errors import error_response, install_error_handlers
from papersift.api.http.guard import RequestGuard
from papersift.api.http.page_kit import TEMPLATES
from papersift.api.http.pages import build_pages
from papersift.api.http.routes import build_router
from papersift.api.http.signup import build_signup
from papersift.api.http.subscriptions import build_subscription_router
from papersift.api.http.writes import build_write_router
from papersift.api.settings import Settings, backend_config, delivery_config
from papersift.index import __version__


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """An app serving `engine` (default: one that loads `settings.index` in the background)."""
    settings = settings or Settings()
    engine = engine or Engine(backend_config(settings), delivery=delivery_config(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.start()
        yield
        engine.close()

    app = FastAPI(
        title="papersift",
        version=__version__,
        description="Hybrid (BM25 + dense) search over paper abstracts.",
        lifespan=lifespan,
        docs_url=None,  # served below from local assets, without the stock page's inline script
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(RequestGuard, settings=settings.guard())
    if settings.cors_origins:  # outside the guard, so that its refusals carry CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    install_error_handlers(app)
    app.include_router(build_router(settings))
    app.include_router(build_write_router(settings))
    app.include_router(build_subscription_router(settings))
    app.include_router(build_pages(settings))
    app.include_router(build_signup(settings))
    swagger = resources.files("fastapi_offline") / "static"
    app.mount("/static/swagger", StaticFiles(directory=str(swagger)), name="swagger")
    static = resources.files("papersift.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        """Swagger UI, from the fastapi-offline package's copy: works offline."""
        return TEMPLATES.TemplateResponse(request, "api_docs.html", {})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"])
    def readyz() -> JSONResponse:
        """Readiness: 200 once the index is loaded, 503 before (or if loading failed)."""
        if engine.ready:
            return JSONResponse({"status": "ready"})
        message = engine.failure or "the index is still loading"
        return error_response(503, message)

    return app
