"""A UTC calendar-day expression that reads the same on SQLite and PostgreSQL.

SQLite stores our datetimes as naive UTC text, so `date()` is already the UTC day. PostgreSQL's
`date(timestamptz)` would use the session's TimeZone setting, so convert to UTC explicitly (a cast
to date measured about twice as fast as `to_char` over 100k rows). Both come back as `date`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class utc_day(FunctionElement[date]):  # reads like the SQL function it renders
    type = Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"CAST(({value}) AT TIME ZONE 'UTC' AS DATE)"


class iso_utc(FunctionElement[str]):
    """A stored UTC datetime as ISO 8601 text with microseconds and `+00:00`, rendered by the
    database so that exports do not parse and re-format 600,000 datetimes in Python."""

    type = String()
    name = "iso_utc"
    inherit_cache = True


@compiles(iso_utc)
def _iso_utc_default(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite: SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (naive UTC, see db.UTCDateTime).
    value = compiler.process(element.clauses, **kw)
    return f"(replace({value}, ' ', 'T') || '+00:00')"


@compiles(iso_utc, "postgresql")
def _iso_utc_postgresql(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"""to_char(({value}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
