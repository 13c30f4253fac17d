from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..deps import PrincipalDep, SettingsDep
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


def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    # Not SessionDep: that transaction would stay open while a writer (maybe an LLM) runs.
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker)]


def _out(draft: service.Draft) -> EmailOut:
    return EmailOut(subject=draft.subject, body=draft.body, warnings=draft.warnings)


@router.post("/emails/generate", response_model=EmailOut)
async def generate(
    data: GenerateRequest,
    principal: PrincipalDep,
    settings: SettingsDep,
    sessionmaker: SessionmakerDep,
) -> EmailOut:
    template, lead = await service.load_sources(
        sessionmaker,
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
