"""Reusable Pydantic field types: bounded, NUL-free text (PostgreSQL refuses NUL in text)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from .domains import InvalidValue, normalize_email


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


_no_nul = no_nul


def is_single_line(value: str) -> bool:
    """No CR, LF, nor any other character `str.splitlines` breaks on (U+2028, NEL, VT, FF...):
    `email` refuses a header value that splits into lines, so any of them in a subject made
    the message unbuildable (a 500 after the attempt was stored)."""
    return len(value.splitlines()) <= 1 and not value.endswith(("\r", "\n"))


def _single_line(value: str) -> str:
    # CR or LF in a value that becomes a mail header would add a header.
    if not is_single_line(value):
        raise ValueError("must be a single line (no CR or LF)")
    return value


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_no_nul)
]
LongText = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_no_nul)]
HeaderText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    AfterValidator(_no_nul),
    AfterValidator(_single_line),
]
EmailAddress = Annotated[
    str, StringConstraints(max_length=320), AfterValidator(_no_nul), AfterValidator(_email)
]
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_nul)]
Notes = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_no_nul)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)
]
Subject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_no_nul),
    AfterValidator(_single_line),
]
