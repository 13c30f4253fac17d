"""`db.UTCDateTime` read back on SQLite: the fast parse of SQLAlchemy's storage format gives
what SQLAlchemy's own processor gives, for every value, and anything else takes that processor
(round trips through the engine: `test_database.test_times_come_back_as_stored`)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from backlink_outreach.db import UTCDateTime

DIALECT = sqlite.dialect()
# The column's type as SQLAlchemy uses it on SQLite (its impl is SQLite's DATETIME).
ON_SQLITE = UTCDateTime().dialect_impl(DIALECT)
FAST = ON_SQLITE.result_processor(DIALECT, None)
# What the column read as before the fast parse: SQLAlchemy's parse, then process_result_value.
GENERAL: Any = TypeDecorator.result_processor(ON_SQLITE, DIALECT, None)  # type: ignore[arg-type]

TEXTS = [
    "2026-12-08 01:02:03.123456",
    "2026-12-08 01:02:03.000000",
    "2026-12-08 01:02:03",
    "2024-02-29 23:59:59.999999",
    "0001-01-01 00:00:00.000000",
    "9999-12-31 23:59:59.999999",
    # Not SQLAlchemy's format: SQLAlchemy's processor reads these, whatever it makes of them.
    "2026-12-08T01:02:03.123456",
    "2026-12-08 01:02:03.123",
    "2026-12-08 01:02:03,123456",
    "2026-12-08",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_stored_text_reads_as_sqlalchemy_reads_it(text: str) -> None:
    assert FAST is not None and GENERAL is not None
    expected = GENERAL(text)
    found = FAST(text)
    assert found == expected and found is not None
    assert found.tzinfo is UTC and found.utcoffset() == timedelta(0)
    assert (found.year, found.microsecond) == (expected.year, expected.microsecond)


@pytest.mark.parametrize("value", [None, "not a time", "2026-13-40 99:99:99.999999"])
def test_other_values_take_sqlalchemys_route(value: Any) -> None:
    """None stays None; text SQLAlchemy cannot read fails as it did."""
    assert FAST is not None and GENERAL is not None
    try:
        expected: Any = GENERAL(value)
    except ValueError as error:
        with pytest.raises(type(error)):
            FAST(value)
        return
    assert FAST(value) == expected
