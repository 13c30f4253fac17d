from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import pages
from ..deps import PrincipalDep, SessionDep
from . import template_service as service
from .fields import PLACEHOLDERS
from .template_schemas import PlaceholderOut, TemplateCreate, TemplateOut, TemplateUpdate

router = APIRouter(tags=["email templates"])


@router.post("/emails/templates", status_code=201, response_model=TemplateOut)
async def create_template(
    data: TemplateCreate, session: SessionDep, principal: PrincipalDep
) -> TemplateOut:
    return await service.create_template(session, principal, data)


@router.get("/emails/templates", response_model=list[TemplateOut])
async def list_templates(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.AllByDefault,
) -> list[TemplateOut]:
    rows = await service.list_templates(session, principal, page)
    shown = pages.finish(rows, page, service.BY_CREATED, request, response)
    return [TemplateOut.model_validate(t) for t in shown]


@router.get("/emails/placeholders", response_model=list[PlaceholderOut])
async def list_placeholders(_principal: PrincipalDep) -> list[PlaceholderOut]:
    """Every `{name}` the renderer fills, with what it means and an example value."""
    return [
        PlaceholderOut(name=p.name, description=p.description, example=p.example)
        for p in PLACEHOLDERS
    ]


@router.get("/emails/templates/{template_id}", response_model=TemplateOut)
async def get_template(
    template_id: str, session: SessionDep, principal: PrincipalDep
) -> TemplateOut:
    return TemplateOut.model_validate(await service.get_template(session, principal, template_id))


@router.patch("/emails/templates/{template_id}", response_model=TemplateOut)
async def update_template(
    template_id: str, data: TemplateUpdate, session: SessionDep, principal: PrincipalDep
) -> TemplateOut:
    return await service.update_template(session, principal, template_id, data)


@router.delete("/emails/templates/{template_id}", status_code=204, response_class=Response)
async def delete_template(
    template_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_template(session, principal, template_id)
    return Response(status_code=204)
