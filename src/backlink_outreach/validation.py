"""Reusable Pydantic field types: bounded, NUL-free text (PostgreSQL refuses NUL in text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

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


single_line = _single_line


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None


# What the validators below enforce, as JSON Schema `pattern`s for the OpenAPI document. Python
# `re` semantics (as the validators, hypothesis and jsonschema use): `\s` is `str.isspace`, the
# set `strip()` removes; `[^\W_]` is `str.isalnum`. The server never matches these: it runs the
# validators, so error messages stay as they were.
BREAKS = r"\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where `str.splitlines` breaks
NO_NUL = r"^[^\x00]*$"
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
WORDY = r"^[^\x00]*[^\W_][^\x00]*$"
# One line once stripped: surrounding whitespace (line breaks included) is removed first.
LINE = rf"^\s*(?:[^{BREAKS}\x00]*[^\s\x00])?\s*$"
NON_BLANK_LINE = rf"^\s*[^\s\x00](?:[^{BREAKS}\x00]*[^\s\x00])?\s*$"
WORDY_LINE = rf"^\s*[^{BREAKS}\x00]*[^\W_][^{BREAKS}\x00]*\s*$"


@dataclass(frozen=True)
class JsonPattern:
    """Documents a rule as a JSON Schema `pattern` without enforcing it through pydantic (its
    Rust regex engine has other semantics, and its error would replace ours). The last one in
    an `Annotated` chain wins."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        if self.pattern == NO_NUL:
            # The same rule, stated as "contains no NUL": generators then make long valid
            # strings without drawing them character by character from a regex.
            schema.pop("pattern", None)
            schema["not"] = {"pattern": "\\x00"}
        else:
            schema.pop("not", None)
            schema["pattern"] = self.pattern
        return schema


def raw_max_length(limit: int) -> BeforeValidator:
    """`maxLength` as the schema says it: of the value sent, before surrounding whitespace is
    stripped (pydantic measures after). Same error as pydantic's own."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": limit},
            )
        return value

    return BeforeValidator(check)


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    raw_max_length(200),
    AfterValidator(_no_nul),
    JsonPattern(NON_BLANK),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    raw_max_length(500),
    AfterValidator(_no_nul),
    JsonPattern(NO_NUL),
]
LongText = Annotated[
    str, StringConstraints(max_length=100_000), AfterValidator(_no_nul), JsonPattern(NO_NUL)
]
HeaderText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    raw_max_length(500),
    AfterValidator(_no_nul),
    AfterValidator(_single_line),
    JsonPattern(LINE),
]
EmailAddress = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(_no_nul),
    AfterValidator(_email),
    JsonPattern(NO_NUL),
]
# Strict: `true` / `"0.5"` are not numbers (lax mode read them as 1.0 and 0.5); ints stay
# accepted, as JSON Schema's `number` includes them.
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]
# Strict, as JSON Schema's `boolean`: `0`, `1`, `"true"` are refused, not read as booleans.
Flag = Annotated[bool, Field(strict=True)]


def json_integer(value: Any) -> Any:
    # JSON Schema's `integer` includes 5.0 (lax int reads it as 5), not `true` nor `"5"`.
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Integer = Annotated[int, BeforeValidator(json_integer)]
Description = Annotated[
    str, StringConstraints(max_length=5000), AfterValidator(_no_nul), JsonPattern(NO_NUL)
]
Notes = Annotated[
    str, StringConstraints(max_length=10_000), AfterValidator(_no_nul), JsonPattern(NO_NUL)
]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    raw_max_length(200),
    AfterValidator(_no_nul),
    JsonPattern(NO_NUL),
]
Subject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    raw_max_length(500),
    AfterValidator(_no_nul),
    AfterValidator(_single_line),
    JsonPattern(NON_BLANK_LINE),
]
