"""FastAPI dependency aliases shared by every router.

Two ways to reach the database, both from the one `Database` the app puts on its state:
`SessionDep`, the request's unit of work, and `DatabaseDep`, the `Database` itself, for handlers
that do outside I/O (SMTP, IMAP, an LLM, a crawl) between short units of work of their own. The
read and single-statement variants are thin aliases over `Database` methods for hot endpoints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from .auth import Principal, current_principal
from .config import Settings
from .database import Database


async def get_app_settings(request: Request) -> Settings:
    # `async` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
    # hop per request for an attribute read.
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: one transaction, committed after the handler and before the
    response (`scope="function"`); any exception rolls everything back. GET and HEAD requests
    get `Database.read()`, every other method `Database.write()`."""
    database: Database = request.app.state.database
    unit = database.read() if request.method in ("GET", "HEAD") else database.write()
    async with unit as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.read() as session:
        yield session


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    database: Database = request.app.state.database
    async with database.connection() as connection:
        yield connection


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
# Only for a non-GET handler that never writes, such as a policy check: `Database.read()`.
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]
# The hottest reads: `Database.connection()`, a bare read-only connection, no ORM session.
ReadConnectionDep = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
