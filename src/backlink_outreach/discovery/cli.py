"""`backlink-outreach discover "KEYWORD" [--campaign ID] [--max N]`.

Runs against the configured DATABASE_URL. With `--campaign` the results are saved to that
campaign exactly as `POST /discover/deep` with `save_to_campaign` does (domains already in the
campaign are skipped). The campaign is looked up by id in its own workspace; `--user` (and
`--org`) restricts the lookup to that caller's workspaces, as the API would.
"""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..config import Settings, get_settings
from ..database import Database
from ..errors import AppError, NotFound, Unprocessable
from ..models import Campaign
from .schemas import DeepDiscoveryRequest
from .search import select_provider
from .service import DeepDiscovery, Discovery, run_deep_discovery

err = Console(stderr=True)
out = Console()
# Without a campaign nothing is looked up or saved: nobody in particular is asking.
CLI_PRINCIPAL = Principal(user_id="cli")


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_command)


def discover_command(
    keyword: str = typer.Argument(..., help="What the sites should be about."),
    campaign: str | None = typer.Option(
        None, "--campaign", help="Save the results as leads of this campaign (id)."
    ),
    max_results: int = typer.Option(20, "--max", min=1, max=100, help="Results to keep."),
    user: str | None = typer.Option(
        None, "--user", help="Act as this user (default: the campaign's own workspace)."
    ),
    org: str | None = typer.Option(None, "--org", help="The user's active organisation."),
) -> None:
    """Find guest-post prospects for KEYWORD: search, crawl politely, score, rank."""
    try:
        request = DeepDiscoveryRequest(
            keyword=keyword,
            campaign_id=campaign,
            max_results=max_results,
            save_to_campaign=campaign is not None,
        )
    except ValidationError as exc:
        err.print(f"[red]error:[/red] {exc.errors()[0]['msg']}")
        raise typer.Exit(2) from None
    settings = get_settings()
    try:
        asyncio.run(_run(settings, request, user, org))
    except Unprocessable as exc:
        err.print(f"[red]error:[/red] {exc.msg}")
        raise typer.Exit(2) from None
    except NotFound:
        err.print(f"[red]error:[/red] campaign {campaign} not found")
        raise typer.Exit(2) from None
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None


async def _run(
    settings: Settings, request: DeepDiscoveryRequest, user: str | None, org: str | None
) -> None:
    select_provider(settings)  # "not configured" before anything else, as the API does
    db = Database.open(settings.resolved_database_url)
    try:
        principal = Principal(user_id=user, org_id=org) if user else None
        if principal is None and request.campaign_id:
            # Acting as the campaign's own workspace: a short read before the service runs.
            async with db.read() as session:
                principal = await _workspace_principal(session, request.campaign_id)
        done = await _discover_with_progress(db, principal or CLI_PRINCIPAL, settings, request)
    finally:
        await db.dispose()
    _print_table(done.found)
    if request.campaign_id:
        err.print(
            f"saved {done.saved} lead(s) to {request.campaign_id}; "
            f"{done.skipped} already there; {done.failed} failed"
        )


async def _workspace_principal(session: AsyncSession, campaign_id: str) -> Principal:
    workspace = await session.scalar(
        select(Campaign.workspace_id).where(Campaign.id == campaign_id)
    )
    if workspace is None:
        raise NotFound()
    return Principal(user_id=workspace)


async def _discover_with_progress(
    db: Database, principal: Principal, settings: Settings, request: DeepDiscoveryRequest
) -> DeepDiscovery:
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bars:
        tasks: dict[str, Any] = {
            "queries": bars.add_task("queries run", total=None),
            "sites": bars.add_task("sites crawled", total=None),
        }

        def progress(stage: str, done: int, total: int) -> None:
            bars.update(tasks[stage], completed=done, total=total)

        return await run_deep_discovery(db, principal, settings, request, progress)


def _print_table(found: Discovery) -> None:
    table = Table(title=f"{len(found.results)} prospect(s) via {found.provider}")
    for column in ("#", "domain", "site", "contact", "score", "guest", "relevance", "quality"):
        table.add_column(column, overflow="fold")
    for index, item in enumerate(found.results, 1):
        table.add_row(
            str(index),
            item.domain,
            (item.website_title or "")[:60],
            item.contact_email or item.contact_page or "-",
            f"{item.combined:.2f}",
            f"{item.guest_post_likelihood:.2f}",
            f"{item.relevance_score:.2f}",
            f"{item.quality_score:.2f}",
        )
    out.print(table)
    err.print(
        f"{found.queries} queries, {found.sites_crawled} sites, {found.pages_fetched} pages "
        f"in {found.seconds:.1f} s"
    )
