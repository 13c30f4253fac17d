"""Webhook endpoints: create (the secret shown once, stored sealed), read, change, delete, and
their delivery log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...auth import Principal
from ...config import Settings
from ...db import utcnow
from ...discovery.ssrf import BlockedURL, check_url
from ...errors import NotFound, Unprocessable
from ...ids import new_id
from ...mailboxes import keys
from ...mailboxes import secrets as sealing
from ...models import WebhookAttempt, WebhookEndpoint
from ..schemas import WebhookCreate, WebhookCreated, WebhookOut, WebhookPatch
from .signer import new_secret


def checked_url(settings: Settings, url: str) -> str:
    """http(s) with a host; a private or loopback IP literal (or a local-only name) is 422
    unless WEBHOOK_ALLOW_PRIVATE_NETWORKS. Names are resolved (and refused) at delivery."""
    try:
        return check_url(url, allow_private=settings.webhook_allow_private_networks)
    except BlockedURL as exc:
        raise Unprocessable(
            f"url is not allowed: {exc}", "url_not_allowed", ["body", "url"]
        ) from None


async def create(
    session: AsyncSession, settings: Settings, principal: Principal, data: WebhookCreate
) -> WebhookCreated:
    url = checked_url(settings, data.url)
    key = sealing.secrets_key(settings)
    await keys.usable(session, key)  # sealed under the key the other secrets use
    secret = new_secret()
    now = utcnow()
    endpoint_id = new_id("whk")
    row = WebhookEndpoint(
        id=endpoint_id,
        workspace_id=principal.workspace_id,
        url=url,
        description=data.description,
        events=list(data.events),
        secret_sealed=sealing.seal(key, secret, endpoint_id),
        status="enabled",
        disabled_reason=None,
        give_ups_in_a_row=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return WebhookCreated.model_validate(
        {**WebhookOut.model_validate(row).model_dump(), "secret": secret}
    )


def list_statement(principal: Principal) -> Any:
    return select(WebhookEndpoint).where(WebhookEndpoint.workspace_id.in_(principal.workspaces))


async def get(session: AsyncSession, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    if "\x00" in endpoint_id:
        raise NotFound()
    row = await session.get(WebhookEndpoint, endpoint_id)
    if row is None or row.workspace_id not in principal.workspaces:
        raise NotFound()
    return row


async def patch(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    endpoint_id: str,
    data: WebhookPatch,
) -> WebhookEndpoint:
    row = await get(session, principal, endpoint_id)
    fields = data.model_fields_set
    if "url" in fields and data.url is not None:
        row.url = checked_url(settings, data.url)
    if "events" in fields and data.events is not None:
        row.events = list(data.events)
    if "description" in fields:
        row.description = data.description
    if "status" in fields and data.status is not None and data.status != row.status:
        row.status = data.status
        row.disabled_reason = None if data.status == "enabled" else "disabled by the user"
        row.give_ups_in_a_row = 0
    row.updated_at = utcnow()
    await session.flush()
    return row


async def remove(session: AsyncSession, principal: Principal, endpoint_id: str) -> None:
    row = await get(session, principal, endpoint_id)
    await session.delete(row)
    await session.flush()


def deliveries_statement(endpoint: WebhookEndpoint) -> Any:
    return select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id)
