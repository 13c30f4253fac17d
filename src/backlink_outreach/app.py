"""create_app(): routers, error handlers, middleware, and the lifespan that owns shared state."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from . import __version__
from .analytics.router import router as analytics_router
from .auth import TokenVerifier
from .campaigns.router import router as campaigns_router
from .config import API_PREFIX, ConfigError, Settings, get_settings
from .database import Database
from .db import create_engine
from .discovery.router import router as discovery_router
from .duties import DUTIES
from .emails.router import router as emails_router
from .emails.templates_router import router as templates_router
from .errors import install_error_handlers
from .integrations import docs
from .integrations.api_keys import ApiKeyVerifier
from .integrations.keys_router import router as api_keys_router
from .integrations.webhooks.router import router as webhooks_router
from .leads.import_router import IMPORT_PATH_PATTERN
from .leads.import_router import router as leads_import_router
from .leads.router import router as leads_router
from .logs import configure_logging
from .mailboxes import keys as mailbox_keys
from .mailboxes.router import router as mailboxes_router
from .middleware import BodySizeLimit, CatchUnhandledErrors, RejectNulBytes, RequestContext
from .outreach.decisions_router import router as policy_decisions_router
from .outreach.router import router as outreach_router
from .placements.router import router as placements_router
from .privacy.router import router as privacy_router
from .replies.router import router as replies_router
from .sequences.router import router as sequences_router
from .suppression.router import router as suppression_router
from .web import router as web_app
from .web.campaign_import import IMPORT_PATH_PATTERN as WEB_IMPORT_PATH_PATTERN
from .web.routing import early_error_page
from .worker import run_forever

log = structlog.get_logger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "Resource not found"},
    422: {"description": "Validation error"},
    500: {"description": "An internal error occurred"},
}


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    embedded_worker: bool = False,
) -> FastAPI:
    """Build the application. Pass `engine` to share one (tests); otherwise it owns its own."""
    settings = settings or get_settings()
    settings.check_startable()
    # The one Database of this app: every handler, service and the embedded worker use it.
    database = (
        Database(engine)
        if engine is not None
        else Database(create_engine(settings.resolved_database_url), owns_engine=True)
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Secrets stored under another key (after rotate-secrets-key): refuse to start, in words.
        async with database.read() as session:
            problem = await mailbox_keys.startup_problem(session, settings)
        if problem is not None:
            log.error("secrets_key_mismatch", problem=problem)
            raise ConfigError(problem)
        stop = asyncio.Event()
        task = None
        if embedded_worker:
            task = asyncio.create_task(run_forever(database, settings, DUTIES, stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await app.state.api_keys.close()  # its kept connections go back to the pool
            await database.dispose()  # only an engine it created itself

    app = FastAPI(
        title="Backlink Outreach API",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served from shipped assets by `integrations.docs`
        redoc_url=None,
        description="Self-hostable link-building outreach: campaigns, discovery, "
        "email writing, policy-gated sending, replies and analytics.",
    )
    app.state.settings = settings
    app.state.database = database
    app.state.verifier = TokenVerifier(settings)
    app.state.api_keys = ApiKeyVerifier(database)

    install_error_handlers(app)
    for router in (
        campaigns_router,
        leads_router,
        leads_import_router,
        discovery_router,
        emails_router,
        templates_router,
        outreach_router,
        replies_router,
        suppression_router,
        analytics_router,
        placements_router,
        mailboxes_router,
        api_keys_router,
        webhooks_router,
        privacy_router,
        sequences_router,
        policy_decisions_router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    docs.install(app)
    web_app.install(app)

    @app.get("/health", tags=["operations"])
    async def health() -> JSONResponse:
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # Added last = outermost: the size limit sees the raw stream before anything reads it.
    # Innermost: inside RequestContext, so its log line has the request id and the 500 is counted.
    app.add_middleware(CatchUnhandledErrors)
    app.add_middleware(RejectNulBytes, error_page=early_error_page)
    app.add_middleware(RequestContext)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={
            IMPORT_PATH_PATTERN: settings.max_import_bytes,
            WEB_IMPORT_PATH_PATTERN: settings.max_import_bytes,
        },
        error_page=early_error_page,
    )
    return app


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory`: the server process reads its settings itself."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings, embedded_worker=os.environ.get("BO_EMBEDDED_WORKER", "1") == "1")
