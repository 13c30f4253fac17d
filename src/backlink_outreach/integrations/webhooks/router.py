"""`/webhooks`: endpoints, their test event and their delivery log."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ... import pages
from ...deps import DatabaseDep, PrincipalDep, SessionDep, SettingsDep
from ...models import WebhookAttempt, WebhookEndpoint
from ..schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut, WebhookPatch
from . import delivery, service

router = APIRouter(tags=["webhooks"])
BY_CREATED = pages.Keyset("created_at", WebhookEndpoint.created_at, WebhookEndpoint.id)
BY_AT = pages.Keyset("at", WebhookAttempt.at, WebhookAttempt.id)


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
async def create_webhook(
    data: WebhookCreate, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> WebhookCreated:
    return await service.create(session, settings, principal, data)


@router.get("/webhooks", response_model=list[WebhookOut])
async def list_webhooks(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
) -> list[WebhookOut]:
    statement = BY_CREATED.apply(service.list_statement(principal), page)
    rows = list((await session.execute(statement)).scalars())
    shown = pages.finish(rows, page, BY_CREATED, request, response)
    return [WebhookOut.model_validate(r) for r in shown]


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: str, session: SessionDep, principal: PrincipalDep) -> WebhookOut:
    return WebhookOut.model_validate(await service.get(session, principal, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut)
async def patch_webhook(
    webhook_id: str,
    data: WebhookPatch,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> WebhookOut:
    row = await service.patch(session, settings, principal, webhook_id, data)
    return WebhookOut.model_validate(row)


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    await service.remove(session, principal, webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", response_model=DeliveryOut)
async def test_webhook(
    webhook_id: str, db: DatabaseDep, settings: SettingsDep, principal: PrincipalDep
) -> DeliveryOut:
    """Posts a signed `webhook.test` event now and answers with the attempt as logged."""
    async with db.read() as session:
        endpoint = await service.get(session, principal, webhook_id)
    return DeliveryOut.model_validate(await delivery.send_test(db, settings, endpoint))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    webhook_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
) -> list[DeliveryOut]:
    endpoint = await service.get(session, principal, webhook_id)
    statement = BY_AT.apply(service.deliveries_statement(endpoint), page)
    rows = list((await session.execute(statement)).scalars())
    shown = pages.finish(rows, page, BY_AT, request, response)
    return [DeliveryOut.model_validate(r) for r in shown]
