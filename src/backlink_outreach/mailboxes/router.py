"""`/mailboxes`: the accounts a workspace sends from (API.md part 2, "Mailboxes")."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from .. import pages
from ..deps import DatabaseDep, PrincipalDep, SessionDep, SettingsDep
from . import service
from .schemas import MailboxCreate, MailboxOut, MailboxUpdate, TestResult

router = APIRouter(tags=["mailboxes"])


@router.post("/mailboxes", status_code=201, response_model=MailboxOut)
async def create_mailbox(
    data: MailboxCreate, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> MailboxOut:
    return await service.create_mailbox(session, settings, principal, data)


@router.get("/mailboxes", response_model=list[MailboxOut])
async def list_mailboxes(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    page: pages.NewList,
    workspace_id: str | None = Query(
        default=None, max_length=255, json_schema_extra={"not": {"pattern": "\\x00"}}
    ),
) -> list[MailboxOut]:
    """`mbx_default` first (on the first page), then the workspace's own, oldest first."""
    items = await service.list_mailboxes(session, settings, principal, workspace_id, page)
    return pages.finish(items, page, service.BY_CREATED, request, response)


@router.get("/mailboxes/{mailbox_id}", response_model=MailboxOut)
async def get_mailbox(
    mailbox_id: str, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> MailboxOut:
    return await service.get_mailbox(session, settings, principal, mailbox_id)


@router.patch("/mailboxes/{mailbox_id}", response_model=MailboxOut)
async def update_mailbox(
    mailbox_id: str,
    data: MailboxUpdate,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> MailboxOut:
    return await service.update_mailbox(session, settings, principal, mailbox_id, data)


@router.delete("/mailboxes/{mailbox_id}", status_code=204, response_class=Response)
async def delete_mailbox(mailbox_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    await service.delete_mailbox(session, principal, mailbox_id)
    return Response(status_code=204)


@router.post("/mailboxes/{mailbox_id}/test", response_model=TestResult)
async def test_mailbox(
    mailbox_id: str, db: DatabaseDep, settings: SettingsDep, principal: PrincipalDep
) -> TestResult:
    # No SessionDep: the checks talk to servers outside any transaction.
    return await service.test_mailbox(db, settings, principal, mailbox_id)
