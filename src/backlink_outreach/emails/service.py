"""Email writing: pick the writer (LLM when configured, offline otherwise), fall back, lint.

Also the entry points other domains use: `write_follow_up` (the follow-up worker) and
`reply_subject`. Nothing here holds a database transaction while a writer runs: templates and
leads are read in a short session of their own first (an LLM call can take seconds, and on
SQLite an open transaction holds the write lock).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import structlog

from .. import llm
from .. import sender as senders
from ..auth import Principal
from ..campaigns import service as campaigns
from ..config import Settings
from ..database import Database
from ..errors import Unprocessable
from ..leads import service as leads
from ..models import EmailTemplate, Lead
from . import llm_writer, template_service
from .fields import template_values
from .lint import lint
from .offline_writer import OfflineWriter
from .phrases import TONES
from .templates import TemplateSyntaxError, UnknownPlaceholders, render
from .wording import clean_inline, first_name, site_label
from .writer import Draft, FollowUpRequest, PersonalizeRequest, PitchRequest, Prospect, Writer

__all__ = [
    "Draft",
    "generate",
    "load_sources",
    "personalize",
    "reply_subject",
    "subject_suggestions",
    "write_follow_up",
]

log = structlog.get_logger(__name__)
T = TypeVar("T")

DEFAULT_TONE = "professional"
# Without a lead, a template's lead fields still need words that read well in a sentence.
_NO_LEAD_SITE = "your site"
_SUBJECT_LINE = re.compile(r"\A\s*subject\s*:[ \t]*(?P<subject>[^\n]*)\n", re.IGNORECASE)


def reply_subject(original_subject: str) -> str:
    subject = original_subject.strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


async def _write(settings: Settings, operation: str, call: Callable[[Writer], Awaitable[T]]) -> T:
    if llm.is_configured(settings):
        try:
            return await call(llm_writer.LlmWriter(settings))
        except llm.LlmFailure as exc:
            # The reason code only: prompts and answers hold message bodies.
            log.warning("llm_fallback", operation=operation, reason=exc.reason)
    return await call(OfflineWriter())


def _tone(tone: str | None) -> str:
    return tone if tone in TONES else DEFAULT_TONE


async def load_sources(
    db: Database,
    principal: Principal,
    *,
    template_id: str | None,
    campaign_id: str | None,
    lead_id: str | None,
) -> tuple[EmailTemplate | None, Lead | None]:
    """The template and lead a generate request names (404 outside the caller's workspaces)."""
    if not (template_id or campaign_id):
        return None, None
    async with db.read() as session:
        template = (
            await template_service.get_template(session, principal, template_id)
            if template_id
            else None
        )
        lead = None
        if campaign_id:
            campaign = await campaigns.get_campaign(session, principal, campaign_id)
            lead = await leads.get_lead(session, campaign, lead_id) if lead_id else None
    # Leaving the block closed the session and ended its read transaction; the loaded
    # objects stay usable (closing expunges them without expiring their attributes).
    return template, lead


def _render_or_422(text: str, values: Mapping[str, str], loc: list[str | int]) -> str:
    try:
        return render(text, values)
    except UnknownPlaceholders as exc:
        raise Unprocessable(f"Cannot render: {exc}", "unknown_placeholder", loc) from None
    except TemplateSyntaxError as exc:
        raise Unprocessable(f"Malformed placeholder: {exc}", "template_syntax", loc) from None


def _safe(values: Mapping[str, str]) -> dict[str, str]:
    # The writers' output is sent through the renderer again: no value may bring a brace.
    return {k: clean_inline(v) for k, v in values.items()}


async def generate(
    settings: Settings,
    *,
    topic: str,
    tone: str | None = None,
    template: EmailTemplate | None = None,
    lead: Lead | None = None,
    variables: Mapping[str, str] | None = None,
) -> Draft:
    tone = _tone(tone)
    base = None
    if template is not None:
        values = template_values(lead, senders.from_settings(settings), {"topic": topic})
        if lead is None:
            values.update(website=_NO_LEAD_SITE, website_title=_NO_LEAD_SITE, domain=_NO_LEAD_SITE)
        values = _safe({**values, **(variables or {})})
        base = Draft(
            subject=_render_or_422(template.subject, values, ["body", "template_id"]),
            body=_render_or_422(template.body, values, ["body", "template_id"]),
        )
    request = PitchRequest(
        topic=topic,
        tone=tone,
        sender_name=settings.smtp_from_name,
        prospect=Prospect.from_lead(lead),
        base=base,
    )
    draft = await _write(settings, "generate", lambda w: w.pitch(request))
    draft.warnings = lint(draft.subject, draft.body)
    return draft


def split_subject(base_email: str) -> tuple[str | None, str]:
    """A leading `Subject: ...` line, if the pasted email has one, and the rest."""
    text = base_email.replace("\r\n", "\n").replace("\r", "\n")
    match = _SUBJECT_LINE.match(text)
    if not match:
        return None, text
    return match["subject"].strip() or None, text[match.end() :]


async def personalize(
    settings: Settings,
    *,
    base_email: str,
    subject: str | None = None,
    lead_name: str | None = None,
    lead_website: str | None = None,
    content_topic: str | None = None,
) -> Draft:
    pasted_subject, body = split_subject(base_email)
    subject = subject or pasted_subject
    name = clean_inline(lead_name or "")
    website = (lead_website or "").strip()
    site = site_label(website)
    # Placeholders in the pasted email are filled from what we know about the lead, so that
    # `{name}` and friends work here as they do in templates.
    values = template_values(None, senders.from_settings(settings), {"topic": content_topic or ""})
    values.update(
        name=name or values["name"],
        first_name=first_name(name) or values["first_name"],
        website=website or _NO_LEAD_SITE,
        website_title=site or _NO_LEAD_SITE,
        domain=site or _NO_LEAD_SITE,
    )
    values = _safe(values)
    request = PersonalizeRequest(
        body=_render_or_422(body, values, ["body", "base_email"]),
        subject=_render_or_422(subject, values, ["body", "subject"]) if subject else None,
        lead_name=name,
        lead_website=website,
        content_topic=content_topic or "",
    )
    draft = await _write(settings, "personalize", lambda w: w.personalize(request))
    draft.warnings = lint(draft.subject, draft.body)
    return draft


async def subject_suggestions(
    settings: Settings, *, topic: str, tone: str | None = None
) -> list[str]:
    tone = _tone(tone)
    return await _write(settings, "subject_suggestions", lambda w: w.subjects(topic, tone))


async def write_follow_up(
    settings: Settings,
    *,
    original_subject: str,
    original_body: str,
    tone: str = "professional",
    lead: Lead | None = None,
    step: int = 1,
) -> Draft:
    """A short follow-up (under 90 words, a new angle each step) in the original's thread."""
    request = FollowUpRequest(
        original_subject=original_subject,
        original_body=original_body,
        tone=_tone(tone),
        sender_name=settings.smtp_from_name,
        prospect=Prospect.from_lead(lead),
        step=max(step, 1),
    )
    draft = await _write(settings, "follow_up", lambda w: w.follow_up(request))
    draft.subject = reply_subject(original_subject)
    draft.warnings = lint(draft.subject, draft.body)
    return draft
