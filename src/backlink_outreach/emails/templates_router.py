from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import PrincipalDep, SessionDep
from . import template_service as service
from .template_schemas import TemplateCreate, TemplateOut

router = APIRouter(tags=["email templates"])


@router.post("/emails/templates", status_code=201, response_model=TemplateOut)
async def create_template(
    data: TemplateCreate, session: SessionDep, principal: PrincipalDep
) -> TemplateOut:
    return await service.create_template(session, principal, data)


@router.get("/emails/templates", response_model=list[TemplateOut])
async def list_templates(session: SessionDep, principal: PrincipalDep) -> list[TemplateOut]:
    return await service.list_templates(session, principal)


@router.get("/emails/templates/{template_id}", response_model=TemplateOut)
async def get_template(
    template_id: str, session: SessionDep, principal: PrincipalDep
) -> TemplateOut:
    return TemplateOut.model_validate(await service.get_template(session, principal, template_id))


@router.delete("/emails/templates/{template_id}", status_code=204, response_class=Response)
async def delete_template(
    template_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_template(session, principal, template_id)
    return Response(status_code=204)
