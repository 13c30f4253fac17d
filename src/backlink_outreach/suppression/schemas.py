from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..validation import ShortText

SuppressionSource = Literal["manual", "unsubscribe", "bounce", "complaint", "reply"]


class SuppressionCreate(BaseModel):
    email: str = Field(
        max_length=320,
        description="An address, or `*@domain` for every address "
        "at exactly that domain (not its subdomains).",
        json_schema_extra={"format": "email"},
    )
    reason: ShortText | None = None


class SuppressionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    email: str
    reason: str | None
    source: SuppressionSource
    created_at: datetime
