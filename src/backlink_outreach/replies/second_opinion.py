"""An optional second opinion on unsure human replies (`REPLY_LLM_CLASSIFY=true`).

A reply from a person whose rule confidence is under `UNSURE_BELOW` is classified again by the
configured OpenAI-compatible model: a JSON answer held to a strict schema, within
`LLM_TIMEOUT_SECONDS`. On any failure the rule's answer stands. Two things the model never
does: it is not asked about automatic mail, bounces or unsubscribes (the rules are the authority
there, and an unsubscribe read as anything else would mail someone who asked us to stop), and
its answer replaces the rule's only when it names one of the classes a person writes.
"""

from __future__ import annotations

import asyncio
import json

import structlog

from .. import llm
from ..config import Settings
from ..models import HUMAN_CONVERSATION
from .classify import Result, referral
from .filing import Prepared

log = structlog.get_logger(__name__)

UNSURE_BELOW = 0.6
# What the model may answer: the classes a person writes, unsubscribe included (a request to
# stop that the rules missed must still stop the mail).
ANSWERS: tuple[str, ...] = (*HUMAN_CONVERSATION, "not_interested", "unsubscribe")
# The model's confidence is its own guess; never more certain than a clear rule.
MAX_CONFIDENCE = 0.85
MAX_TEXT_CHARS = 4000
CONCURRENCY = 4

SYSTEM = (
    "You classify replies to link-building outreach emails (guest post pitches). Read the "
    'reply and answer with one JSON object: {"classification": one of '
    + ", ".join(ANSWERS)
    + ', "confidence": a number from 0 to 1}. interested: they accept or want details; '
    "not_interested: they decline; question: they ask something before deciding; "
    "wrong_person: they point to someone else; payment_request: they ask for payment or a "
    "sponsored-post fee; unsubscribe: they ask to stop receiving email; other: anything else. "
    "The reply may be in any language."
)
SCHEMA = {
    "type": "object",
    "properties": {
        "classification": {"type": "string", "enum": list(ANSWERS)},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["classification", "confidence"],
    "additionalProperties": False,
}


def is_enabled(settings: Settings) -> bool:
    return settings.reply_llm_classify and llm.is_configured(settings)


def _unsure(result: Result | None) -> bool:
    return (
        result is not None
        and result.classification in HUMAN_CONVERSATION + ("not_interested",)
        and result.confidence < UNSURE_BELOW
    )


async def reconsider(settings: Settings, prepared: list[Prepared]) -> int:
    """Ask the model about each unsure human reply of the batch, in place; returns how many
    answers it changed."""
    unsure = [p for p in prepared if p.error is None and _unsure(p.result)]
    if not unsure:
        return 0
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: Prepared) -> bool:
        async with gate:
            return await _reconsider_one(settings, item)

    changed = await asyncio.gather(*(one(item) for item in unsure))
    return sum(changed)


async def _reconsider_one(settings: Settings, item: Prepared) -> bool:
    result = item.result
    assert result is not None
    subject = item.parsed.subject if item.parsed is not None else ""
    # The reply goes in as JSON data, clearly apart from our instructions.
    task = "Classify this reply: " + json.dumps(
        {"subject": subject, "reply": result.new_text[:MAX_TEXT_CHARS]}, ensure_ascii=False
    )
    try:
        answer = await llm.ask_json(settings, SYSTEM, task, temperature=0.0, schema=SCHEMA)
    except llm.LlmFailure as exc:
        # The reason code only: the reply text is private.
        log.warning("reply_second_opinion_failed", reason=exc.reason)
        return False
    kind, confidence = answer.get("classification"), answer.get("confidence")
    if kind not in ANSWERS or isinstance(confidence, bool):
        log.warning("reply_second_opinion_failed", reason="invalid_shape")
        return False
    if not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        log.warning("reply_second_opinion_failed", reason="invalid_shape")
        return False
    before = f"{result.classification} at {result.confidence:.2f}"
    result.reasons.append(f"second opinion from the model: {kind} (the rules said {before})")
    if kind == result.classification:
        result.confidence = max(result.confidence, min(float(confidence), MAX_CONFIDENCE))
        return False
    result.classification = kind
    result.confidence = round(min(float(confidence), MAX_CONFIDENCE), 3)
    result.referral_email = None
    if kind == "wrong_person" and item.parsed is not None:
        result.referral_email = referral(result.new_text, item.parsed)
    return True
