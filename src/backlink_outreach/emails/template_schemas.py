from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from ..validation import BREAKS, JsonPattern, Label, LongText, Name, Subject, raw_max_length

PLACEHOLDER_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def template_patterns(name: str = PLACEHOLDER_NAME) -> tuple[str, str]:
    """The placeholder grammar of templates.py as JSON Schema patterns: plain text, `{{`, `}}`,
    or `{name}` (spaces allowed inside the braces), `name` matching the regex `name`; any other
    brace is a 422. Returns (a non-blank text, a non-blank text that is one line once
    stripped: no line break inside, not even within braces)."""
    field = rf"\{{\s*{name}\s*\}}"
    first = rf"(?:[^\s{{}}\x00]|\{{\{{|\}}\}}|{field})"
    token = rf"(?:[^{{}}\x00]|\{{\{{|\}}\}}|{field})"
    inline_space = rf"[^\S{BREAKS}]*"
    line_field = rf"\{{{inline_space}{name}{inline_space}\}}"
    line_first = rf"(?:[^\s{{}}\x00]|\{{\{{|\}}\}}|{line_field})"
    line_token = rf"(?:[^{{}}\x00{BREAKS}]|\{{\{{|\}}\}}|{line_field})"
    return rf"^\s*{first}{token}*$", rf"^\s*{line_first}{line_token}*\s*$"


TEMPLATE_BODY, TEMPLATE_SUBJECT = template_patterns()


class TemplateCreate(BaseModel):
    name: Name
    subject: Annotated[Subject, JsonPattern(TEMPLATE_SUBJECT)]
    body: Annotated[LongText, JsonPattern(TEMPLATE_BODY)]
    # The column is String(100): a longer category was a 500 on PostgreSQL.
    category: Annotated[Label, StringConstraints(max_length=100), raw_max_length(100)] | None = None


class TemplateUpdate(BaseModel):
    """`PATCH /emails/templates/{id}`: the fields given change, with create's rules. An absent
    (or null) `name`, `subject` or `body` stays as it is; a null `category` clears it."""

    name: Name | None = None
    subject: Annotated[Subject, JsonPattern(TEMPLATE_SUBJECT)] | None = None
    body: Annotated[LongText, JsonPattern(TEMPLATE_BODY)] | None = None
    category: Annotated[Label, StringConstraints(max_length=100), raw_max_length(100)] | None = None


class PlaceholderOut(BaseModel):
    name: str
    description: str
    example: str


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    name: str
    subject: str
    body: str
    category: str | None
    placeholders: list[str]
    created_at: datetime
