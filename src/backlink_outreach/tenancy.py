"""The tenancy rule in SQL: a row is the caller's when its workspace is one of theirs.

A caller has one or two workspaces (their own, and the active organisation's), so the rule is a
fixed IN of two parameters, the same one twice for a single workspace. An expanding IN would
re-render the SQL on every execution; this compiles once per statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam

from .auth import Principal
from .errors import NotFound


def in_workspaces(column: Any) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.in_([bindparam("workspace_1"), bindparam("workspace_2")])
    return result


def _workspace_params(principal: Principal) -> dict[str, str]:
    first, *others = sorted(principal.workspaces)
    return {"workspace_1": first, "workspace_2": others[-1] if others else first}


def lookup_params(principal: Principal, **ids: str) -> dict[str, str]:
    """Bind parameters to find the caller's row by its ids: the ids and the caller's
    workspaces. An id with NUL names nothing, and PostgreSQL refuses NUL in a query (a 500):
    404. Ids in bodies (sends, discovery, email writing, reply polls) reach lookups unchecked."""
    if any("\x00" in value for value in ids.values()):
        raise NotFound()
    return {**ids, **_workspace_params(principal)}
