"""Fast JSON responses for the largest payloads.

FastAPI's default path re-validates a returned model against `response_model`, converts it to
Python primitives and then runs `json.dumps`. For a campaign with hundreds of leads that was most
of the request's time. The campaign reads return plain rows from the database instead (dicts, or
msgspec structs built from row tuples, four times cheaper than a dict per row: the static
structs such as `leads.schemas.LeadRow`, declared beside the model they mirror), written by
msgspec; their routes keep `response_model`, so the OpenAPI document stays exact. The output is
the same bytes as pydantic's for our field types (UTC times with `Z`, shortest floats); a test
holds the two side by side.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi.responses import Response

_ENCODER = msgspec.json.Encoder()


def dump_json(payload: Any) -> bytes:
    """JSON for str, int, float, bool, None, lists, dicts, structs and aware UTC datetimes."""
    return _ENCODER.encode(payload)


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        dump_json(payload), status_code=status_code, headers=headers, media_type="application/json"
    )
