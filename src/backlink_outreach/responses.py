"""Fast JSON responses for large payloads.

FastAPI's default path re-validates a returned model against `response_model`, converts it to
Python primitives and then runs `json.dumps`. For a campaign with hundreds of leads that is most of
the request's time; pydantic's own serializer writes the same JSON in one native pass. The route
keeps `response_model` so the OpenAPI document stays exact.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter

_LIST_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def list_response(items: list[Any], item_type: type[BaseModel]) -> Response:
    adapter = _LIST_ADAPTERS.get(item_type)
    if adapter is None:
        adapter = _LIST_ADAPTERS[item_type] = TypeAdapter(list[item_type])  # type: ignore[valid-type]
    return Response(adapter.dump_json(items), media_type="application/json")
