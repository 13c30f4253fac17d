"""Turning stored values into CSV cells that a spreadsheet will not execute.

A cell that begins with `=`, `+`, `-`, `@`, tab or carriage return can be read as a formula by
Excel, LibreOffice and Google Sheets (CSV/formula injection); API.md prefixes such cells with `'`.

Exports stream hundreds of thousands of rows, so most cells are rendered by the database in the
SELECT itself (`sql_cell`): the guard is a CASE on the first character, times are ISO 8601 text,
booleans are `true`/`false`. Python renders only lists (`cell`), joined by `;`. Numbers pass
through as numbers: every numeric field we export is validated to be non-negative.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ColumnElement, String, case, func, literal
from sqlalchemy.orm import InstrumentedAttribute

from ..db import UTCDateTime
from .sql import iso_utc

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = ";"


def guard(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def render(value: Any) -> str:
    """The text of one value, before the guard."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(render(item) for item in value)
    if isinstance(value, dict):  # a list item that is an object: its values, space-separated
        return " ".join(render(item) for item in value.values())
    return str(value)


def cell(value: Any) -> str:
    return guard(render(value))


def guarded(text: ColumnElement[str]) -> ColumnElement[str]:
    """SQL for `guard(text)`; NULL stays NULL (an empty cell)."""
    first = func.substr(text, 1, 1)
    return case((first.in_(FORMULA_TRIGGERS), literal("'", String) + text), else_=text)


def sql_cell(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """The column as the database should render it into a cell (see the module docstring)."""
    value: ColumnElement[Any] = column.expression
    column_type = column.type
    if isinstance(column_type, UTCDateTime):
        value = iso_utc(value)
    elif isinstance(column_type, Boolean):
        value = case((value, literal("true", String)), else_=literal("false", String))
    elif isinstance(column_type, JSON):
        pass  # a list: rendered and guarded by `cell` in Python
    elif isinstance(column_type, String):  # Text is a String
        value = guarded(value)
    return value.label(column.key)
