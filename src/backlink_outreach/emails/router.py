from __future__ import annotations

from fastapi import APIRouter

from ..deps import DatabaseDep, PrincipalDep, SettingsDep
from . import service
from .schemas import (
    EmailOut,
    FollowUpRequest,
    GenerateRequest,
    PersonalizeRequest,
    SubjectSuggestionsOut,
    SubjectSuggestionsRequest,
)

router = APIRouter(tags=["emails"])


def _out(draft: service.Draft) -> EmailOut:
    return EmailOut(subject=draft.subject, body=draft.body, warnings=draft.warnings)


@router.post("/emails/generate", response_model=EmailOut)
async def generate(
    data: GenerateRequest,
    principal: PrincipalDep,
    settings: SettingsDep,
    db: DatabaseDep,
) -> EmailOut:
    # Not SessionDep: that transaction would stay open while a writer (maybe an LLM) runs.
    template, lead = await service.load_sources(
        db,
        principal,
        template_id=data.template_id,
        campaign_id=data.campaign_id,
        lead_id=data.lead_id,
    )
    draft = await service.generate(
        settings,
        topic=data.topic,
        tone=data.tone,
        template=template,
        lead=lead,
        variables=data.variables,
    )
    return _out(draft)


@router.post("/emails/personalize", response_model=EmailOut)
async def personalize(
    data: PersonalizeRequest, _principal: PrincipalDep, settings: SettingsDep
) -> EmailOut:
    draft = await service.personalize(
        settings,
        base_email=data.base_email,
        subject=data.subject,
        lead_name=data.lead_name,
        lead_website=data.lead_website,
        content_topic=data.content_topic,
    )
    return _out(draft)


@router.post("/emails/subject-suggestions", response_model=SubjectSuggestionsOut)
async def subject_suggestions(
    data: SubjectSuggestionsRequest, _principal: PrincipalDep, settings: SettingsDep
) -> SubjectSuggestionsOut:
    suggestions = await service.subject_suggestions(settings, topic=data.topic, tone=data.tone)
    return SubjectSuggestionsOut(suggestions=suggestions)


@router.post("/emails/follow-up", response_model=EmailOut)
async def follow_up(
    data: FollowUpRequest, _principal: PrincipalDep, settings: SettingsDep
) -> EmailOut:
    draft = await service.write_follow_up(
        settings,
        original_subject=data.original_subject,
        original_body=data.original_body,
        tone=data.tone or service.DEFAULT_TONE,
    )
    return _out(draft)
