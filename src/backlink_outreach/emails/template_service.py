"""Stored email templates, scoped to the caller's workspaces."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..db import utcnow
from ..errors import NotFound, Unprocessable
from ..ids import new_id
from ..models import EmailTemplate
from ..tenancy import in_workspaces, lookup_params
from .template_schemas import TemplateCreate, TemplateOut, TemplateUpdate
from .templates import TemplateSyntaxError, placeholders


def _placeholders_or_422(subject: str, body: str) -> list[str]:
    """The names used in subject and body, or the 422 create and update both give."""
    if not body.strip():
        raise Unprocessable("The template body is empty.", "value_error", ["body", "body"])
    for field, text in (("subject", subject), ("body", body)):
        try:
            placeholders(text)
        except TemplateSyntaxError as exc:
            raise Unprocessable(
                f"Malformed placeholder in {field}: {exc}", "template_syntax", ["body", field]
            ) from None
    return placeholders(subject, body)


async def create_template(
    session: AsyncSession, principal: Principal, data: TemplateCreate
) -> TemplateOut:
    template = EmailTemplate(
        id=new_id("tpl"),
        workspace_id=principal.workspace_id,
        name=data.name,
        subject=data.subject,
        body=data.body,
        category=data.category,
        placeholders=_placeholders_or_422(data.subject, data.body),
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


async def update_template(
    session: AsyncSession, principal: Principal, template_id: str, data: TemplateUpdate
) -> TemplateOut:
    """Change the fields given; `placeholders` is read again from the resulting texts."""
    template = await get_template(session, principal, template_id)
    subject = template.subject if data.subject is None else data.subject
    body = template.body if data.body is None else data.body
    names = _placeholders_or_422(subject, body)
    if data.name is not None:
        template.name = data.name
    if "category" in data.model_fields_set:
        template.category = data.category
    template.subject, template.body, template.placeholders = subject, body, names
    await session.flush()
    return TemplateOut.model_validate(template)


BY_CREATED = pages.Keyset("created_at", EmailTemplate.created_at, EmailTemplate.id)


async def list_templates(
    session: AsyncSession, principal: Principal, page: pages.Page = pages.Page(None, None)
) -> list[EmailTemplate]:
    """The current workspace's templates, oldest first: one page, plus the row past the limit
    that `pages.finish` looks for."""
    statement = BY_CREATED.apply(
        select(EmailTemplate).where(EmailTemplate.workspace_id == principal.workspace_id), page
    )
    return list(await session.scalars(statement))


async def delete_template(session: AsyncSession, principal: Principal, template_id: str) -> None:
    template = await get_template(session, principal, template_id)
    await session.execute(delete(EmailTemplate).where(EmailTemplate.id == template.id))
