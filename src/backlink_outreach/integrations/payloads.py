"""An event's `data` is the object it is about, as the API returns it (API.md): these build it
from what the writer has in hand, without a query."""

from __future__ import annotations

from typing import Any

from ..outreach.schemas import AttemptOut
from ..replies.schemas import ReplyOut


def attempt(row: Any, **now_true: Any) -> dict[str, Any]:
    """An outreach attempt (an ORM row or anything with its attributes); `now_true` overrides
    what the caller's own UPDATE just changed (status, sent_at, error)."""
    data = AttemptOut.model_validate(row).model_copy(update=now_true)
    return data.model_dump(mode="json")


def reply(row: Any) -> dict[str, Any]:
    return ReplyOut.model_validate(row).model_dump(mode="json")
