"""Importing a CSV file of leads, with the column mapping shown before anything is written.

1. The file is uploaded (`POST .../import`) and kept on the server's disk for a day, with a
   small JSON note beside it (whose it is, its first rows, the mapping and the last check).
2. The importer's own dry run (`leads.importing.service.import_file`, `dry_run=True`) says
   which column gives which field, what would be added, skipped and why rows fail; the page
   shows that with the file's first rows, and a select per column to change the mapping.
3. "Check again" runs the dry run with the chosen mapping; "Import" runs the real one.

The file is kept so that changing the mapping does not mean choosing the file again. It lives
on the disk of the process that received it (`DATA_DIR/web-imports`): behind several API
processes the upload and the following steps need the same one (sticky sessions), or a
shared data folder.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from ..auth import Principal
from ..campaigns.service import get_campaign
from ..config import Settings
from ..database import Database
from ..deps import DatabaseDep, SettingsDep
from ..errors import NotFound, Unprocessable
from ..leads.importing import columns, reading, service
from ..leads.importing.upload import Upload, copy_received
from ..models import Campaign
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

# For `middleware.BodySizeLimit` (app.py): the upload takes files up to MAX_IMPORT_BYTES, as
# the API's import does.
IMPORT_PATH_PATTERN = r"/app/campaigns/[^/]+/import"
SAMPLE_ROWS = 5
FAILED_SHOWN = 20
KEPT_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_MAPPING_LOC: columns.Loc = ["body", "mapping"]


def _folder(settings: Settings) -> Path:
    folder = settings.data_dir / "web-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path, now: float) -> None:
    """Files nobody finished importing go after a day (checked at each upload)."""
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > KEPT_SECONDS:
                path.unlink()


class _Pending:
    """An uploaded file and its note, found by its random token."""

    def __init__(self, folder: Path, token: str) -> None:
        self.csv = folder / f"{token}.csv"
        self.note_path = folder / f"{token}.json"
        self.token = token

    def load(self) -> dict[str, Any]:
        try:
            note: dict[str, Any] = json.loads(self.note_path.read_text("utf-8"))
        except (OSError, ValueError):
            raise NotFound() from None
        return note

    def save(self, note: dict[str, Any]) -> None:
        self.note_path.write_text(json.dumps(note), "utf-8")

    def upload(self, note: dict[str, Any]) -> Upload:
        if not self.csv.exists():
            raise NotFound()
        return Upload(
            path=self.csv,
            head=base64.b64decode(note["head"]),
            valid_utf8=bool(note["valid_utf8"]),
            size=int(note["size"]),
        )


def _pending(settings: Settings, principal: Principal, campaign: Campaign, token: str) -> Any:
    """The pending import and its note; 404 unless it is this campaign's and workspace's."""
    if not _TOKEN.match(token):
        raise NotFound()
    pending = _Pending(_folder(settings), token)
    note = pending.load()
    if note.get("campaign_id") != campaign.id or note.get("workspace_id") not in (
        principal.workspaces
    ):
        raise NotFound()
    return pending, note


async def _campaign(database: Database, principal: Principal, campaign_id: str) -> Campaign:
    async with database.read() as session:
        return await get_campaign(session, principal, campaign_id)


def _upload_page(
    request: Request, principal: Principal, campaign: Campaign, error: str | None, status: int
) -> Response:
    context = {"campaign": campaign, "tab": "import", "errors": {"file": error} if error else {}}
    return rendering.render(
        request, "campaigns/import.html", context, status_code=status, principal=principal
    )


@router.get("/app/campaigns/{campaign_id}/import")
async def import_form(
    campaign_id: str, request: Request, database: DatabaseDep, principal: WebPrincipalDep
) -> Response:
    campaign = await _campaign(database, principal, campaign_id)
    return _upload_page(request, principal, campaign, None, 200)


def _sample(upload: Upload) -> tuple[list[str], list[list[str]]]:
    """The header row and the first data rows, as the importer reads them."""
    with reading.open_table(upload) as table:
        rows: list[list[str]] = []
        for _index, cells in table.rows:
            rows.append(cells)
            if len(rows) >= SAMPLE_ROWS:
                break
        return table.headers, rows


async def _check(
    database: Database,
    principal: Principal,
    campaign: Campaign,
    pending: _Pending,
    note: dict[str, Any],
    mapping: dict[str, str] | None,
    *,
    dry_run: bool,
) -> dict[str, Any]:
    """The importer's answer (a dry run unless told), kept in the note with the mapping."""
    note["mapping"] = mapping
    try:
        result = await service.import_file(
            database,
            principal,
            campaign.id,
            pending.upload(note),
            mapping,
            _MAPPING_LOC,
            dry_run=dry_run,
        )
    except Unprocessable as exc:
        note["result"], note["error"] = None, exc.msg
    else:
        note["result"], note["error"] = result.model_dump(mode="json"), None
    return note


@router.post("/app/campaigns/{campaign_id}/import", dependencies=[CsrfChecked])
async def upload_file(
    campaign_id: str,
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await _campaign(database, principal, campaign_id)
    form = await request.form()  # already parsed (and the file spooled) by the CSRF check
    try:
        received = form.get("file")
        if not isinstance(received, UploadFile) or not received.filename:
            return _upload_page(request, principal, campaign, "Choose a CSV file to import.", 422)
        filename = received.filename[:200]
        folder = _folder(settings)
        _forget_old(folder, time.time())
        pending = _Pending(folder, secrets.token_urlsafe(32))
        upload = copy_received(received.file, pending.csv)
    finally:
        await form.close()
    try:
        headers, sample = _sample(upload)
    except Unprocessable as exc:  # empty, not text, not CSV: nothing to map
        pending.csv.unlink(missing_ok=True)
        return _upload_page(request, principal, campaign, exc.msg, 422)
    note: dict[str, Any] = {
        "campaign_id": campaign.id,
        "workspace_id": campaign.workspace_id,
        "filename": filename,
        "head": base64.b64encode(upload.head).decode(),
        "valid_utf8": upload.valid_utf8,
        "size": upload.size,
        "headers": headers,
        "sample": sample,
        "done": False,
    }
    note = await _check(database, principal, campaign, pending, note, None, dry_run=True)
    pending.save(note)
    return RedirectResponse(f"/app/campaigns/{campaign.id}/import/{pending.token}", status_code=303)


def _mapping_page(
    request: Request,
    principal: Principal,
    campaign: Campaign,
    token: str,
    note: dict[str, Any],
    status: int = 200,
) -> Response:
    result = note.get("result")
    detected = (result or {}).get("columns", {}).get("mapped", {})
    mapped: dict[str, str] = detected if note.get("mapping") is None else note["mapping"]
    context = {
        "campaign": campaign,
        "tab": "import",
        "token": token,
        "note": note,
        "result": result,
        "mapped": mapped,
        "fields": columns.FIELDS,
        "failed_shown": (result or {}).get("failed", [])[:FAILED_SHOWN],
        "errors": {"mapping": note["error"]} if note.get("error") else {},
    }
    return rendering.render(
        request, "campaigns/import_check.html", context, status_code=status, principal=principal
    )


@router.get("/app/campaigns/{campaign_id}/import/{token}")
async def check_page(
    campaign_id: str,
    token: str,
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await _campaign(database, principal, campaign_id)
    _, note = _pending(settings, principal, campaign, token)
    return _mapping_page(request, principal, campaign, token, note)


def _chosen_mapping(headers: list[str], values: dict[str, str]) -> dict[str, str]:
    """`col-<index>` selects -> `{header: field}`; an empty select ignores the column."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        field = values.get(f"col-{index}", "")
        if field and header.strip():
            mapping.setdefault(header, field)
    return mapping


@router.post("/app/campaigns/{campaign_id}/import/{token}", dependencies=[CsrfChecked])
async def check_or_import(
    campaign_id: str,
    token: str,
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await _campaign(database, principal, campaign_id)
    pending, note = _pending(settings, principal, campaign, token)
    if note.get("done"):
        return RedirectResponse(request.url.path, status_code=303)  # imported already
    values = await forms.form_values(request)
    mapping = _chosen_mapping(note["headers"], values)
    unknown = [field for field in mapping.values() if field not in columns.FIELDS]
    if unknown:
        note["error"] = f"{unknown[0]!r} is not a lead field."
        return _mapping_page(request, principal, campaign, token, note, 422)
    importing = values.get("action") == "import"
    note = await _check(
        database, principal, campaign, pending, note, mapping, dry_run=not importing
    )
    if note.get("error"):
        pending.save(note)
        return _mapping_page(request, principal, campaign, token, note, 422)
    if importing:
        note["done"] = True
        pending.csv.unlink(missing_ok=True)
    pending.save(note)
    return RedirectResponse(request.url.path, status_code=303)
