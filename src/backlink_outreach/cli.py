"""The `backlink-outreach` command: serve, worker, migrate, dev-token."""

from __future__ import annotations

import asyncio
import base64
import os
import shlex
import signal
import sys
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from .auth import mint_dev_token
from .config import ConfigError, Settings, get_settings
from .database import Database
from .db import create_engine
from .discovery.cli import register as register_discover
from .doctor import examine
from .duties import DUTIES
from .logs import configure_logging
from .mailboxes import keys as mailbox_keys
from .mailboxes import secrets as mailbox_secrets
from .migrations import current_revision, head_revision, upgrade
from .outreach.resolve import NotStuck, resolve
from .worker import run_forever, run_once

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

    os.environ["BO_EMBEDDED_WORKER"] = "0" if no_worker else "1"
    base = f"http://{host}:{port}"
    # Unsubscribe links must reach this server: without PUBLIC_BASE_URL, it is where we listen.
    if not os.environ.get("PUBLIC_BASE_URL"):
        os.environ["PUBLIC_BASE_URL"] = base
    get_settings.cache_clear()  # the app factory reads the settings again, in this process
    settings = _settings_or_exit()
    _check_secrets_key(settings)
    err.print(f"Backlink Outreach on {base}  (docs: {base}/docs, auth: {settings.auth_mode})")
    err.print(f"The web app: [bold]{base}/app[/bold]")
    if settings.auth_mode == "dev":
        err.print(f"Get a token: [bold]{dev_token_command(settings)}[/bold]")
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
    settings = _settings_or_exit()
    configure_logging(settings.log_level)
    _check_secrets_key(settings)

    async def main() -> None:
        db = Database.open(settings.resolved_database_url)
        try:
            if once:
                done = await run_once(db, settings, DUTIES)
                err.print(f"worker pass: {done or 'nothing to do'}")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await run_forever(db, settings, DUTIES, stop)
        finally:
            await db.dispose()

    asyncio.run(main())


@app.command()
def migrate() -> None:
    """Apply database migrations (they ship inside the package)."""
    url = get_settings().resolved_database_url
    where = _database_label(url)
    try:
        before = current_revision(url)
        head = head_revision(url)
        if before == head:
            err.print(f"{where}: already at the newest schema ({head}); nothing to do")
            return
        upgrade(url)
    except Exception as exc:  # noqa: BLE001 - one line for the operator, not a traceback
        err.print(f"[red]error:[/red] cannot migrate {where}: {_one_line(exc)}")
        raise typer.Exit(1) from None
    if before is None:
        err.print(f"{where}: created the schema ({head})")
    else:
        err.print(f"{where}: migrated from {before} to {head}")


def _database_label(url: str) -> str:
    """The database as a person would name it, without a password."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by the migration itself
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite database {parsed.database}"
    return f"PostgreSQL database {parsed.database} on {parsed.host or 'localhost'}"


def _one_line(exc: BaseException) -> str:
    """What went wrong, in words: the driver's own message, first line only, no SQL."""
    cause: BaseException = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {text}"[:300] if text else type(cause).__name__


def dev_token_command(settings: Settings) -> str:
    """The dev-token command as it works from this shell: the same executable and data folder,
    with AUTH_MODE=dev (a fresh shell has neither on PATH nor in its environment)."""
    executable = Path(sys.argv[0])
    if executable.name != "backlink-outreach" or not executable.exists():
        executable = Path(sys.executable).with_name("backlink-outreach")
    try:
        shown = f"./{executable.resolve().relative_to(Path.cwd().resolve())}"
    except ValueError:
        shown = str(executable)
    env = ["AUTH_MODE=dev"]
    if settings.data_dir != Path("./data"):
        env.append(f"DATA_DIR={shlex.quote(str(settings.data_dir))}")
    return " ".join([*env, shlex.quote(shown), "dev-token", "--user", "alice"])


@app.command("dev-token")
def dev_token(
    user: str = typer.Option(..., "--user", help="The user id (token `sub`)."),
    org: str | None = typer.Option(None, "--org", help="An active organisation id."),
) -> None:
    """Print a development token signed by the local key (AUTH_MODE=dev only)."""
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
    """Check the database, the schema, every mailbox (logs in, DKIM, From domain, public URL),
    and attempts a crash left `sending` (never re-sent; settled from a Sent folder if any).

    With --resolve ID --as sent|failed, settle one of them instead: `sent` does what a
    successful send does next (lead contacted, follow-ups scheduled); `failed` frees its slot.
    """
    settings = get_settings()
    if resolve is not None:
        if resolve_as not in ("sent", "failed"):
            err.print("[red]error:[/red] --resolve needs --as sent or --as failed")
            raise typer.Exit(2)
        raise typer.Exit(asyncio.run(_resolve(settings, resolve, resolve_as)))

    async def main() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            stuck_after = timedelta(seconds=stuck_after_seconds)
            report = await examine(engine, settings, stuck_after, live=True)
        finally:
            await engine.dispose()
        console = Console(soft_wrap=True)
        console.print(f"database: {'ok' if report.database_ok else 'UNREACHABLE'}")
        console.print(
            f"schema: {report.schema_revision or '-'}"
            f"{' (current)' if report.schema_current else ' (NOT CURRENT)'}"
        )
        for settled in report.settled:
            console.print(f"settled from the mailbox's Sent folder: {settled}")
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
        for failed in report.failed_checks:
            console.print(f"check failed: {failed}")
        for warning in report.warnings:
            console.print(f"warning: {warning}")
        return 0 if report.healthy else 1

    raise typer.Exit(asyncio.run(main()))


async def _resolve(settings: Settings, attempt_id: str, outcome: str) -> int:
    db = Database.open(settings.resolved_database_url)
    try:
        attempt = await resolve(db, settings, attempt_id, "sent" if outcome == "sent" else "failed")
    except NotStuck:
        err.print(f"[red]error:[/red] no attempt {attempt_id} is in status 'sending'")
        return 2
    finally:
        await db.dispose()
    err.print(f"{attempt.id} is now {attempt.status} (nothing was re-sent)")
    return 0


def _check_secrets_key(settings: Settings) -> None:
    """Refuse to start when the stored secrets were sealed under another SECRETS_KEY."""

    async def problem() -> str | None:
        db = Database.open(settings.resolved_database_url)
        try:
            async with db.read() as session:
                return await mailbox_keys.startup_problem(session, settings)
        except Exception:  # noqa: BLE001 - an unreachable database is reported elsewhere
            return None
        finally:
            await db.dispose()

    found = asyncio.run(problem())
    if found is not None:
        err.print(f"[red]error:[/red] {found}")
        raise typer.Exit(2)


@app.command("rotate-secrets-key")
def rotate_secrets_key(
    new_key_file: Path = typer.Option(
        ..., "--new-key-file", help="A file holding the new key: base64 of 32 random bytes."
    ),
) -> None:
    """Re-encrypt every stored secret (mailbox passwords, DKIM keys) under a new key, in one
    transaction. Then set SECRETS_KEY to the new key and restart."""
    settings = get_settings()
    try:
        old_key = mailbox_secrets.secrets_key(settings)
        new_key = mailbox_secrets.parse_key(
            new_key_file.read_text(), f"the key file {new_key_file}"
        )
    except mailbox_secrets.SecretsNotConfigured as exc:
        err.print(f"[red]error:[/red] {exc.msg}")
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot read {new_key_file}: {exc.strerror}")
        raise typer.Exit(2) from None

    async def main() -> int:
        db = Database.open(settings.resolved_database_url)
        try:
            async with db.write() as session:
                return await mailbox_keys.rotate(session, old_key, new_key)
        finally:
            await db.dispose()

    try:
        changed = asyncio.run(main())
    except mailbox_keys.WrongKey as exc:
        err.print(f"[red]error:[/red] {exc}; nothing was changed")
        raise typer.Exit(1) from None
    configured = settings.secrets_key is not None and settings.secrets_key.get_secret_value()
    if not configured:
        # Development: the key lives in the data folder; it now holds the new one.
        path = mailbox_secrets.key_file(settings)
        path.write_text(base64.b64encode(new_key).decode() + "\n")
        err.print(f"re-encrypted {changed} secrets; {path} now holds the new key")
        return
    err.print(
        f"re-encrypted {changed} secrets; set SECRETS_KEY to the key in {new_key_file} and "
        "restart (the old key no longer opens them)"
    )


# `discover "KEYWORD" [--campaign ID] [--max N]`, implemented beside discovery.
register_discover(app)


def main() -> None:
    app()
