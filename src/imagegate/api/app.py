"""The HTTP application: one router module per API surface, the envelope for every error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from imagegate import __version__
from imagegate.api import (
    account,
    admin,
    admin_callbacks,
    admin_keys,
    admin_overview,
    admin_service,
    admin_webhooks,
    catalog,
    flux_kontext,
    gpt4o_image,
    health,
    ideogram,
    jobs,
    metrics,
    model_endpoints,
    quote,
    task_events,
    task_list,
    upstream,
    web,
)
from imagegate.api.envelope import install_error_handlers
from imagegate.api.files import download_url, serving, uploads
from imagegate.api.request_guard import RequestGuard
from imagegate.api.schemas import components
from imagegate.api.services import ServicesHost


def create_app(host: ServicesHost, *, manage_runtime: bool = True) -> FastAPI:
    """The FastAPI app over ``host`` (the runtime), whose ``Services`` the routes get as a
    dependency (api/deps.py); with ``manage_runtime`` its lifespan starts and stops the host
    (the worker, callback sender and janitor)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await host.start()
        try:
            yield
        finally:
            if manage_runtime:
                await host.stop()

    app = FastAPI(
        title="imagegate",
        version=__version__,
        description="Self-hosted, Kie.ai-compatible API for AI image tasks.",
        lifespan=lifespan,
    )
    app.state.host = host
    install_error_handlers(app, http_200=host.settings.business_errors_http_200)
    # Request ids, and an unexpected error's 500 on a connection that stays open (issue 20).
    app.add_middleware(RequestGuard, http_200=host.settings.business_errors_http_200)
    for module in (
        jobs, quote, task_events, task_list, account, serving, uploads, download_url, ideogram,
        admin, admin_callbacks, health, upstream,
    ):
        app.include_router(module.router)
    for module in (admin_keys, admin_service, admin_webhooks):  # the operator's controls
        app.include_router(module.router)
    app.include_router(metrics.router)  # /metrics, beside /healthz and /readyz
    for module in (catalog, admin_overview, web):  # the playground and dashboard (issue 10)
        app.include_router(module.router)
    # Kie's per-model endpoints: adapters over the jobs API's one create path.
    for module in (gpt4o_image, flux_kontext, model_endpoints):
        app.include_router(module.router)
    _document_security(app)
    return app


def _document_security(app: FastAPI) -> None:
    """Name the two ways to send a key in the OpenAPI document, for endpoints that
    authenticate without a FastAPI dependency, and add the shared schemas (api/schemas.py)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components())
            schemes = schema["components"].setdefault("securitySchemes", {})
            schemes["BearerAuth"] = {"type": "http", "scheme": "bearer"}
            schemes["ApiKeyHeader"] = {"type": "apiKey", "in": "header", "name": "X-API-KEY"}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
