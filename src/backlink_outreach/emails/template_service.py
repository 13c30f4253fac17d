"""Stored email templates, scoped to the caller's workspaces."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..db import utcnow
from ..errors import NotFound, Unprocessable
from ..ids import new_id
from ..models import EmailTemplate
from ..tenancy import in_workspaces, lookup_params
from .template_schemas import TemplateCreate, TemplateOut
from .templates import TemplateSyntaxError, placeholders


def _placeholders_or_422(data: TemplateCreate) -> list[str]:
    for field in ("subject", "body"):
        try:
            placeholders(getattr(data, field))
        except TemplateSyntaxError as exc:
            raise Unprocessable(
                f"Malformed placeholder in {field}: {exc}", "template_syntax", ["body", field]
            ) from None
    return placeholders(data.subject, data.body)


async def create_template(
    session: AsyncSession, principal: Principal, data: TemplateCreate
) -> TemplateOut:
    if not data.body.strip():
        raise Unprocessable("The template body is empty.", "value_error", ["body", "body"])
    template = EmailTemplate(
        id=new_id("tpl"),
        workspace_id=principal.workspace_id,
        name=data.name,
        subject=data.subject,
        body=data.body,
        category=data.category,
        placeholders=_placeholders_or_422(data),
        created_at=utcnow(),
    )
    session.add(template)
    await session.flush()
    return TemplateOut.model_validate(template)


_TEMPLATE = select(EmailTemplate).where(
    EmailTemplate.id == bindparam("id"), in_workspaces(EmailTemplate.workspace_id)
)


async def get_template(
    session: AsyncSession, principal: Principal, template_id: str
) -> EmailTemplate:
    params = lookup_params(principal, id=template_id)
    template = (await session.execute(_TEMPLATE, params)).scalar_one_or_none()
    if template is None:
        raise NotFound()
    return template


async def list_templates(session: AsyncSession, principal: Principal) -> list[TemplateOut]:
    rows = await session.scalars(
        select(EmailTemplate)
        .where(EmailTemplate.workspace_id == principal.workspace_id)
        .order_by(EmailTemplate.created_at, EmailTemplate.id)
    )
    return [TemplateOut.model_validate(t) for t in rows]


async def delete_template(session: AsyncSession, principal: Principal, template_id: str) -> None:
    template = await get_template(session, principal, template_id)
    await session.execute(delete(EmailTemplate).where(EmailTemplate.id == template.id))
