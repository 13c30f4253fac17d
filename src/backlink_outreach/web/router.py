"""The web app's composition: every screen's router, the static files, `/` to the app."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from . import (
    analytics_pages,
    auth_pages,
    campaign_import,
    campaign_leads,
    campaign_pages,
    campaign_schedule,
    campaign_sequence,
    compose_pages,
    discovery_pages,
    inbox_pages,
    integration_pages,
    lead_pages,
    mailbox_pages,
    not_found,
    placement_pages,
    suppression_pages,
)
from .rendering import STATIC_PREFIX

# Order matters only for the catch-all 404 page, which comes last.
SCREENS = (
    auth_pages.router,
    campaign_pages.router,
    campaign_leads.router,
    campaign_import.router,
    campaign_sequence.router,
    campaign_schedule.router,
    mailbox_pages.router,
    suppression_pages.router,
    integration_pages.router,
    analytics_pages.router,
    discovery_pages.router,
    lead_pages.router,
    compose_pages.router,
    inbox_pages.router,
    placement_pages.router,
)


def install(app: FastAPI) -> None:
    static = resources.files("backlink_outreach.web") / "static"
    app.mount(STATIC_PREFIX, StaticFiles(directory=str(static)), name="app-static")
    for screen in SCREENS:
        app.include_router(screen)
    app.include_router(not_found.router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/app", status_code=307)
