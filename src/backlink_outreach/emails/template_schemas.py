from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ..validation import Label, LongText, Name, Subject


class TemplateCreate(BaseModel):
    name: Name
    subject: Subject
    body: LongText
    category: Label | None = None


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
