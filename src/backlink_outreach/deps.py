"""FastAPI dependency aliases shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from .auth import Principal, current_principal
from .config import Settings
from .db import (
    get_read_connection,
    get_read_session,
    get_session,
    get_single_statement_session,
)


async def get_app_settings(request: Request) -> Settings:
    # `async` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
    # hop per request for an attribute read.
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# Only for handlers that never write: on PostgreSQL its statements run in autocommit.
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
# The hottest reads: a bare read-only connection, no ORM session.
ReadConnectionDep = Annotated[AsyncConnection, Depends(get_read_connection, scope="function")]
# Only for handlers that run exactly one statement: on PostgreSQL it runs in autocommit.
SingleStatementSessionDep = Annotated[
    AsyncSession, Depends(get_single_statement_session, scope="function")
]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
