"""Forms: read a posted form into the API's own schemas, and errors back next to each field.

The schemas of the API are the one owner of what is valid, so a form is checked by building
the same pydantic model the JSON endpoint takes; a wrong field comes back in words under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from ..errors import Unprocessable

M = TypeVar("M", bound=BaseModel)

FORM_ERROR = "__form__"  # an error that belongs to no one field


async def form_values(request: Request) -> dict[str, str]:
    """The posted text fields (the CSRF token and files left out); a field sent twice keeps
    its last value, and surrounding blanks are dropped."""
    form = await request.form()
    return {k: v.strip() for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}


async def form_lists(request: Request, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, multi-selects)."""
    form = await request.form()
    return [v for v in form.getlist(name) if isinstance(v, str)]


def lines(text: str) -> list[str]:
    """A textarea of one item per line or comma."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "Not valid"))
    # pydantic prefixes custom errors "Value error, "; a person does not need to read it.
    return message.removeprefix("Value error, ")


def field_errors(
    errors: Iterable[Mapping[str, Any]], prefix: tuple[str, ...] = ()
) -> dict[str, str]:
    """`{field: message}` from pydantic or API-format errors: the first segment of `loc` after
    `prefix` (and after "body") names the field; the first message for a field wins."""
    out: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", []) if part != "body"]
        if prefix and tuple(loc[: len(prefix)]) == prefix:
            loc = loc[len(prefix) :]
        name = loc[0] if loc else FORM_ERROR
        out.setdefault(name, _message(error))
    return out


def errors_of(exc: ValidationError | Unprocessable) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return field_errors(exc.errors(include_url=False, include_input=False))
    return field_errors(exc.detail if isinstance(exc.detail, list) else [])


def parse(model: type[M], values: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The model, or None and the errors by field."""
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        return None, errors_of(exc)
