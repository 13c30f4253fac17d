"""The LLM writer: any OpenAI-compatible chat endpoint (`llm.py`), asked for JSON, answers
validated.

Every failure (the model's, or an answer that breaks a rule) raises `LlmFailure` with a short
reason code; the service then falls back to the offline writer.
"""

from __future__ import annotations

import json
from typing import Any

from ..config import Settings
from ..llm import LlmFailure, ask_json, is_configured
from .offline_writer import FOLLOW_UP_MAX_WORDS, SUBJECT_MAX_CHARS, SUGGESTIONS
from .offline_writer import subject_suggestions as offline_subjects
from .wording import clean_inline, site_label, word_count
from .writer import Draft, FollowUpRequest, PersonalizeRequest, PitchRequest

PITCH_MAX_WORDS = 200
_KEEP_BASE = "Start from base_email: keep its pitch and facts, adjust only the wording. "

SYSTEM = (
    "You write short, honest outreach emails for link building: guest post pitches, "
    "personalised versions of them, and follow-ups. Write like a person, not a marketer: no "
    "hype, no spam-trigger phrases, no links, no markdown, no placeholders and no curly braces. "
    "Answer with one JSON object and nothing else."
)


def _details(**fields: object) -> str:
    # User text goes in as JSON data, clearly apart from our instructions.
    return json.dumps({k: v for k, v in fields.items() if v not in ("", None)}, ensure_ascii=False)


class LlmWriter:
    def __init__(self, settings: Settings) -> None:
        if not is_configured(settings):
            raise ValueError("LLM_BASE_URL and LLM_MODEL must be set")
        self.settings = settings

    async def _ask(self, task: str) -> dict[str, Any]:
        return await ask_json(self.settings, SYSTEM, task, temperature=0.7)

    async def pitch(self, request: PitchRequest) -> Draft:
        p = request.prospect
        base = (
            {"subject": request.base.subject, "body": request.base.body} if request.base else None
        )
        task = (
            "Write the first email of an outreach pitching a guest post. Return "
            '{"subject": "...", "body": "..."}: a subject under 70 characters and a plain-text '
            "body under 150 words with a greeting, exactly one clear question as the call to "
            "action, and a sign-off with the sender's name. "
            + (_KEEP_BASE if base else "")
            + f"Tone: {request.tone}. Details: "
            + _details(
                topic=request.topic,
                recipient_name=p.name,
                recipient_site=site_label(p.website, p.website_title, p.domain),
                sender_name=request.sender_name,
                base_email=base,
            )
        )  # fmt: skip
        answer = await self._ask(task)
        return _draft(answer, max_words=PITCH_MAX_WORDS)

    async def personalize(self, request: PersonalizeRequest) -> Draft:
        task = (
            "Personalise base_email for its recipient: greet them by name and weave in their "
            "website and content topic naturally, keeping the pitch, the ask and the sign-off "
            'intact. Return {"subject": "...", "body": "..."}; keep `subject` if one is given. '
            "Details: "
            + _details(
                base_email=request.body,
                subject=request.subject,
                lead_name=request.lead_name,
                lead_website=request.lead_website,
                content_topic=request.content_topic,
            )
        )
        answer = await self._ask(task)
        draft = _draft(answer, max_words=max(PITCH_MAX_WORDS, 2 * word_count(request.body)))
        if request.subject:
            draft.subject = clean_inline(request.subject)
        return draft

    async def subjects(self, topic: str, tone: str) -> list[str]:
        task = (
            f"Suggest {SUGGESTIONS} different subject lines for a guest post pitch, each under "
            f'70 characters. Return {{"suggestions": ["...", ...]}}. Tone: {tone}. Details: '
            + _details(topic=topic)
        )
        answer = await self._ask(task)
        raw = answer.get("suggestions")
        if not isinstance(raw, list):
            raise LlmFailure("invalid_shape")
        picked: dict[str, str] = {}
        for item in raw:
            if isinstance(item, str) and (subject := _subject(item)) is not None:
                picked.setdefault(subject.casefold(), subject)
        if not picked:
            raise LlmFailure("no_usable_subjects")
        # A model that returns too few (or duplicates) is topped up with offline suggestions.
        for subject in offline_subjects(topic, tone):
            picked.setdefault(subject.casefold(), subject)
        return list(picked.values())[:SUGGESTIONS]

    async def follow_up(self, request: FollowUpRequest) -> Draft:
        task = (
            "Write a short follow-up to original_email, sent in the same thread because there "
            "was no reply. Refer to the original, offer a new angle, ask one clear question, "
            f"stay under {FOLLOW_UP_MAX_WORDS + 1} words and sign with the sender's name. "
            f'Return {{"body": "..."}}. Tone: {request.tone}. Follow-up number: {request.step}. '
            "Details: "
            + _details(
                original_subject=request.original_subject,
                original_email=request.original_body,
                recipient_name=request.prospect.name,
                sender_name=request.sender_name,
            )
        )
        answer = await self._ask(task)
        return Draft(subject="", body=_body(answer.get("body"), FOLLOW_UP_MAX_WORDS))


def _subject(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    subject = clean_inline(value).strip("\"' ")
    if not subject or len(subject) > SUBJECT_MAX_CHARS or value.count("{") or value.count("}"):
        return None
    return subject


def _body(value: object, max_words: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LlmFailure("missing_body")
    body = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "{" in body or "}" in body:
        # Sending renders the body as a template: a brace would fail there, or a placeholder
        # the model invented would be filled with something nobody wrote.
        raise LlmFailure("braces_in_body")
    if word_count(body) > max_words:
        raise LlmFailure("too_long")
    return body


def _draft(answer: dict[str, Any], *, max_words: int) -> Draft:
    subject = _subject(answer.get("subject"))
    if subject is None:
        raise LlmFailure("invalid_subject")
    return Draft(subject=subject, body=_body(answer.get("body"), max_words))
