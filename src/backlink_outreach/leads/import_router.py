"""`POST /campaigns/{id}/leads/import`: leads from a CSV file (see `leads.importing`).

The handler takes the `Database`, not the request's unit of work: the body is received (to disk)
before the write transaction starts, and a dry run rolls its transaction back.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ..campaigns.service import get_campaign
from ..config import API_PREFIX
from ..deps import DatabaseDep, PrincipalDep
from ..errors import TOO_LARGE, Unprocessable
from .importing import columns, service, upload
from .importing.schemas import ImportResult

router = APIRouter(tags=["leads"])

# For `middleware.BodySizeLimit`: this path alone takes bodies up to MAX_IMPORT_BYTES.
IMPORT_PATH_PATTERN = API_PREFIX + r"/campaigns/[^/]+/leads/import"

_MAPPING_HELP = (
    'A JSON object, CSV header -> lead field (`{"Referring page URL": "website_url", "DR": '
    '"authority"}`); only the columns it names are read. Without it, headers are matched by '
    f"name, case- and punctuation-blind. Lead fields: {', '.join(columns.FIELDS)}. "
    "In the query at most 600 characters; the form field takes more."
)
# Percent-encoded, a character may take 12 bytes: this many stay within the query string's
# limit (`middleware.MAX_QUERY_BYTES`). A longer mapping goes in the form field.
_MAX_QUERY_MAPPING = 600
_DRY_RUN_HELP = "Validate and answer what a real run would have added, writing nothing."
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})

_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "A CSV file (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252; "
    "`,` `;` or tab separated, sniffed), up to MAX_IMPORT_BYTES and 100,000 rows.",
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "dry_run": {
                        "type": "string",
                        "description": "true or false (also 1/0, yes/no, on/off); "
                        "a dry run when this or the query says so.",
                    },
                    "mapping": {"type": "string", "description": _MAPPING_HELP},
                },
            }
        },
    },
}


def _mapping(text: str, loc: columns.Loc) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Unprocessable(
            "mapping must be a JSON object of CSV header -> lead field name.", "json_object", loc
        )
    columns.check_fields(value, loc)
    return value


def _flag(text: str) -> bool:
    folded = text.strip().casefold()
    if folded in _TRUE or folded in _FALSE:
        return folded in _TRUE
    raise Unprocessable("dry_run must be true or false.", "bool_parsing", ["body", "dry_run"])


@router.post(
    "/campaigns/{campaign_id}/leads/import",
    response_model=ImportResult,
    responses={413: {"description": TOO_LARGE + " (over MAX_IMPORT_BYTES)"}},
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def import_leads(
    campaign_id: str,
    request: Request,
    database: DatabaseDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description=_DRY_RUN_HELP)] = False,
    mapping: Annotated[
        str | None, Query(max_length=_MAX_QUERY_MAPPING, description=_MAPPING_HELP)
    ] = None,
) -> ImportResult:
    query_loc: columns.Loc = ["query", "mapping"]
    chosen = _mapping(mapping, query_loc) if mapping is not None else None
    # 404 before the body is read: no upload for a campaign that is not the caller's.
    async with database.read() as session:
        await get_campaign(session, principal, campaign_id)
    async with upload.receive(request) as received:
        loc = query_loc
        if received.fields.get("mapping", "").strip():  # a form's blank field is no field
            loc = ["body", "mapping"]
            if chosen is not None:
                raise Unprocessable("Give mapping once: in the query or in the form.", "twice", loc)
            chosen = _mapping(received.fields["mapping"], loc)
        dry_run = dry_run or _flag(received.fields.get("dry_run", ""))
        return await service.import_file(
            database, principal, campaign_id, received, chosen, loc, dry_run=dry_run
        )
