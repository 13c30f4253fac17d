"""An event's `data` is the object it is about, as the API returns it (API.md): these build it
from what the writer has in hand, without a query."""

from __future__ import annotations

from typing import Any

from ..outreach.schemas import AttemptOut
from ..replies.schemas import ReplyOut

# `AttemptOut`'s fields, in its order: the attempt's data is derived from the schema, never
# listed a second time.
_ATTEMPT_FIELDS = tuple(AttemptOut.model_fields)


def attempt(row: Any, **now_true: Any) -> dict[str, Any]:
    """An outreach attempt (an ORM row or anything with its attributes); `now_true` overrides
    what the caller's own UPDATE just changed (status, sent_at, error).

    Its `AttemptOut` fields as the row holds them, not re-validated through the model: they
    are our own database's values, of the schema's types already, and `events.body` writes
    them as the model would (times in UTC with `Z`). Re-validating was a tenth of a
    millisecond of every subscribed send (issue 18); a test holds the bytes to the model's."""
    data = {name: getattr(row, name) for name in _ATTEMPT_FIELDS}
    data.update(now_true)
    return data


def reply(row: Any) -> dict[str, Any]:
    return ReplyOut.model_validate(row).model_dump(mode="json")
