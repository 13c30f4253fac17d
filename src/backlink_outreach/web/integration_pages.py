"""API keys and webhooks: keys made (shown once, then only their prefix) and revoked;
webhook endpoints added (the secret shown once), tested, their delivery log, deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..deps import DatabaseDep, SessionDep, SettingsDep
from ..errors import Unprocessable
from ..integrations import api_keys
from ..integrations.schemas import ApiKeyCreate, DeliveryOut, EventType, WebhookCreate
from ..integrations.webhooks import delivery
from ..integrations.webhooks import service as webhooks
from ..models import ApiKey, WebhookAttempt, WebhookEndpoint
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep
from .suppression_pages import next_cursor

router = web_router()

EVENTS: tuple[str, ...] = get_args(EventType)
LIST_SIZE = 100
DELIVERIES_SIZE = 50
SCOPES = {"read": ["read"], "read_write": ["read", "write"]}
# The delivery log newest first: what just happened is what a person checks.
NEWEST_DELIVERIES = pages.Keyset("at", WebhookAttempt.at, WebhookAttempt.id, descending=True)
KEYS_BY_CREATED = pages.Keyset("created_at", ApiKey.created_at, ApiKey.id)
HOOKS_BY_CREATED = pages.Keyset("created_at", WebhookEndpoint.created_at, WebhookEndpoint.id)


async def _overview(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    key_values: dict[str, str] | None = None,
    key_errors: dict[str, str] | None = None,
    hook_values: dict[str, Any] | None = None,
    hook_errors: dict[str, str] | None = None,
    new_key: Any = None,
    new_hook: Any = None,
    status_code: int = 200,
) -> Response:
    page = pages.Page(LIST_SIZE, None)
    keys = list(
        (await session.execute(KEYS_BY_CREATED.apply(api_keys.list_statement(principal), page)))
        .scalars()
        .all()
    )
    hooks = list(
        (await session.execute(HOOKS_BY_CREATED.apply(webhooks.list_statement(principal), page)))
        .scalars()
        .all()
    )
    context = {
        "keys": keys[:LIST_SIZE],
        "hooks": hooks[:LIST_SIZE],
        "events": EVENTS,
        "key_values": key_values or {},
        "key_errors": key_errors or {},
        "hook_values": hook_values or {"events": []},
        "hook_errors": hook_errors or {},
        "new_key": new_key,
        "new_hook": new_hook,
    }
    return rendering.render(
        request, "integrations/index.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/integrations")
async def integrations(
    request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    return await _overview(request, session, principal)


def _expiry(text: str, errors: dict[str, str]) -> datetime | None:
    """`datetime-local` sends `2026-12-31T18:00` with no zone: it is read as UTC, as the API
    reads a time without an offset."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        errors["expires_at"] = "Enter a date and time, such as 2027-01-31 18:00."
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@router.post("/app/integrations/api-keys", dependencies=[CsrfChecked])
async def create_key(request: Request, session: SessionDep, principal: WebPrincipalDep) -> Response:
    values = await forms.form_values(request)
    errors: dict[str, str] = {}
    expires_at = _expiry(values.get("expires_at", ""), errors)
    scopes = SCOPES.get(values.get("scopes", ""))
    if scopes is None:
        errors["scopes"] = "Choose read only, or read and write."
    data = None
    if not errors:
        data, errors = forms.parse(
            ApiKeyCreate,
            {"name": values.get("name", ""), "scopes": scopes, "expires_at": expires_at},
        )
    if data is not None:
        created = await api_keys.create(session, principal, data)
        # Rendered, not redirected: the key exists only in this answer (we keep its hash).
        return await _overview(request, session, principal, new_key=created, status_code=201)
    return await _overview(
        request, session, principal, key_values=values, key_errors=errors, status_code=422
    )


@router.post("/app/integrations/api-keys/{key_id}/revoke", dependencies=[CsrfChecked])
async def revoke_key(key_id: str, session: SessionDep, principal: WebPrincipalDep) -> Response:
    await api_keys.revoke(session, principal, key_id)
    return RedirectResponse("/app/integrations", status_code=303)


@router.post("/app/integrations/webhooks", dependencies=[CsrfChecked])
async def create_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    values: dict[str, Any] = await forms.form_values(request)
    chosen = [e for e in await forms.form_lists(request, "events") if e in EVENTS]
    values["events"] = chosen
    data, errors = forms.parse(
        WebhookCreate,
        {
            "url": values.get("url", ""),
            "events": chosen,
            "description": values.get("description") or None,
        },
    )
    if not chosen:
        errors["events"] = "Choose at least one event to send."
    if data is not None and chosen:
        try:
            created = await webhooks.create(session, settings, principal, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            # The signing secret is shown only in this answer.
            return await _overview(request, session, principal, new_hook=created, status_code=201)
    return await _overview(
        request, session, principal, hook_values=values, hook_errors=errors, status_code=422
    )


@router.get("/app/integrations/webhooks/{webhook_id}")
async def webhook_detail(
    webhook_id: str,
    request: Request,
    session: SessionDep,
    principal: WebPrincipalDep,
    cursor: pages.CursorQuery = None,
    tested: str = "",
) -> Response:
    endpoint = await webhooks.get(session, principal, webhook_id)
    page = pages.Page(DELIVERIES_SIZE, cursor)
    statement = NEWEST_DELIVERIES.apply(webhooks.deliveries_statement(endpoint), page)
    rows = list((await session.execute(statement)).scalars().all())
    shown, following = next_cursor(rows, page, NEWEST_DELIVERIES)
    next_url = f"/app/integrations/webhooks/{endpoint.id}?cursor={following}" if following else ""
    context = {
        "hook": endpoint,
        "deliveries": [DeliveryOut.model_validate(r) for r in shown],
        "next_url": next_url,
        "notice": "A test event was sent: its delivery is at the top of the log."
        if tested
        else None,
    }
    return rendering.render(request, "integrations/webhook.html", context, principal=principal)


@router.post("/app/integrations/webhooks/{webhook_id}/test", dependencies=[CsrfChecked])
async def test_webhook(
    webhook_id: str, db: DatabaseDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    async with db.read() as session:
        endpoint = await webhooks.get(session, principal, webhook_id)
    await delivery.send_test(db, settings, endpoint)
    return RedirectResponse(f"/app/integrations/webhooks/{endpoint.id}?tested=1", status_code=303)


@router.post("/app/integrations/webhooks/{webhook_id}/delete", dependencies=[CsrfChecked])
async def delete_webhook(
    webhook_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    await webhooks.remove(session, principal, webhook_id)
    return RedirectResponse("/app/integrations", status_code=303)
