"""The `backlink-outreach` command: serve, worker, migrate, dev-token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import typer
from rich.console import Console

from .config import ConfigError, Settings, get_settings

app = typer.Typer(
    help="Backlink Outreach: self-hostable link-building outreach.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)


def _settings_or_exit() -> Settings:
    settings = get_settings()
    try:
        settings.check_startable()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    return settings


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Do not run the background worker in this process."
    ),
) -> None:
    """Serve the HTTP API (with the background worker embedded unless --no-worker)."""
    import uvicorn

    settings = _settings_or_exit()
    os.environ["BO_EMBEDDED_WORKER"] = "0" if no_worker else "1"
    base = f"http://{host}:{port}"
    err.print(f"Backlink Outreach on {base}  (docs: {base}/docs, auth: {settings.auth_mode})")
    if settings.auth_mode == "dev":
        err.print("Get a token: [bold]backlink-outreach dev-token --user alice[/bold]")
    uvicorn.run(
        "backlink_outreach.app:app_factory",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
    )


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Run one pass of due work, then exit."),
) -> None:
    """Run the background worker (due follow-ups, mailbox polls) without serving HTTP."""
    from .db import create_engine, make_sessionmaker
    from .logs import configure_logging
    from .worker import WorkerContext, run_forever, run_once

    settings = _settings_or_exit()
    configure_logging(settings.log_level)

    async def main() -> None:
        engine = create_engine(settings.resolved_database_url)
        ctx = WorkerContext(settings=settings, sessionmaker=make_sessionmaker(engine))
        try:
            if once:
                done = await run_once(ctx)
                err.print(f"worker pass: {done or 'nothing to do'}")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await run_forever(ctx, stop)
        finally:
            await engine.dispose()

    asyncio.run(main())


@app.command()
def migrate() -> None:
    """Apply database migrations (they ship inside the package)."""
    from .migrations import upgrade

    settings = get_settings()
    upgrade(settings.resolved_database_url)
    err.print("database is up to date")


@app.command("dev-token")
def dev_token(
    user: str = typer.Option(..., "--user", help="The user id (token `sub`)."),
    org: str | None = typer.Option(None, "--org", help="An active organisation id."),
) -> None:
    """Print a development token signed by the local key (AUTH_MODE=dev only)."""
    from .auth import mint_dev_token

    settings = get_settings()
    if settings.auth_mode != "dev":
        err.print(
            "[red]error:[/red] dev-token needs AUTH_MODE=dev (the server trusts this key "
            "only in development mode)."
        )
        raise typer.Exit(2)
    sys.stdout.write(mint_dev_token(settings, user, org) + "\n")


@app.command()
def doctor(
    stuck_after_seconds: float = typer.Option(
        300.0,
        "--stuck-after-seconds",
        min=0,
        help="Report attempts `sending` (and follow-ups due) for longer than this.",
    ),
    resolve: str | None = typer.Option(
        None,
        "--resolve",
        metavar="ATTEMPT_ID",
        help="Settle one stuck `sending` attempt after checking the mail server's log.",
    ),
    resolve_as: str = typer.Option(
        "",
        "--as",
        metavar="sent|failed",
        help="With --resolve: what the mail server's log says happened.",
    ),
) -> None:
    """Check the database, the schema, and attempts a crash left `sending` (never re-sent).

    With --resolve ID --as sent|failed, settle one of them instead: `sent` does what a
    successful send does next (lead contacted, follow-ups scheduled); `failed` frees its slot.
    """
    from datetime import timedelta

    from .db import create_engine
    from .doctor import examine

    settings = get_settings()
    if resolve is not None:
        if resolve_as not in ("sent", "failed"):
            err.print("[red]error:[/red] --resolve needs --as sent or --as failed")
            raise typer.Exit(2)
        raise typer.Exit(asyncio.run(_resolve(settings, resolve, resolve_as)))

    async def main() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            report = await examine(engine, settings, timedelta(seconds=stuck_after_seconds))
        finally:
            await engine.dispose()
        console = Console(soft_wrap=True)
        console.print(f"database: {'ok' if report.database_ok else 'UNREACHABLE'}")
        console.print(
            f"schema: {report.schema_revision or '-'}"
            f"{' (current)' if report.schema_current else ' (NOT CURRENT)'}"
        )
        console.print(f"attempts stuck in 'sending': {len(report.stuck_sending)}")
        for stuck in report.stuck_sending:
            console.print(
                f"  {stuck.id} campaign={stuck.campaign_id} to={stuck.recipient_email} "
                f"message_id={stuck.message_id} since={stuck.created_at}"
            )
        if report.stuck_sending:
            console.print(
                "  These are never re-sent automatically: check the mail server's log "
                "for their Message-IDs."
            )
        for warning in report.warnings:
            console.print(f"warning: {warning}")
        return 0 if report.healthy else 1

    raise typer.Exit(asyncio.run(main()))


async def _resolve(settings: Settings, attempt_id: str, outcome: str) -> int:
    from .db import create_engine, make_sessionmaker
    from .outreach.resolve import NotStuck, resolve

    engine = create_engine(settings.resolved_database_url)
    try:
        attempt = await resolve(
            make_sessionmaker(engine),
            settings,
            attempt_id,
            "sent" if outcome == "sent" else "failed",
        )
    except NotStuck:
        err.print(f"[red]error:[/red] no attempt {attempt_id} is in status 'sending'")
        return 2
    finally:
        await engine.dispose()
    err.print(f"{attempt.id} is now {attempt.status} (nothing was re-sent)")
    return 0


# `discover "KEYWORD" [--campaign ID] [--max N]` (issue 6); implemented in discovery/cli.py.
from .discovery.cli import register as _register_discover  # noqa: E402

_register_discover(app)


def main() -> None:
    app()
