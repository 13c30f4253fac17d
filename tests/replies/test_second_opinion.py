"""The optional second opinion: unsure human replies asked again of a real OpenAI-compatible
server on loopback; any failure leaves the rule's answer; unsubscribes and automatic mail are
never asked; the poller files what the model said."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import make_sessionmaker
from backlink_outreach.models import Lead, Reply
from backlink_outreach.replies import second_opinion, service
from backlink_outreach.replies.filing import Prepared, prepare
from backlink_outreach.replies.imap import Fetched
from tests.emails.llm_server import FakeLlm, fake_llm
from tests.support.database import Database

from .support import append, clear, imap_settings, make_sent, pymap_server, reply_to

UNSURE = "Not for us, sorry."  # the rules read it as `other` at 0.5
SURE = "Please stop emailing me."  # an unsubscribe at 0.95


@pytest.fixture
async def llm() -> AsyncIterator[FakeLlm]:
    async with fake_llm() as server:
        yield server


def settings_for(llm: FakeLlm, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_base_url": llm.base_url,
        "llm_model": "test-model",
        "llm_timeout_seconds": 0.3,
        "reply_llm_classify": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def prepared(*texts: str) -> list[Prepared]:
    out = []
    for uid, text in enumerate(texts, 1):
        raw = (
            f"From: ed@blog.test\r\nTo: me@sender.test\r\nSubject: Re: Guest post\r\n"
            f"Message-ID: <m{uid}@blog.test>\r\n\r\n{text}\r\n"
        ).encode()
        out.append(prepare(Fetched(uid, raw, None), date(2026, 12, 1)))
    return out


def classes(items: list[Prepared]) -> list[tuple[str, float]]:
    return [(p.result.classification, p.result.confidence) for p in items if p.result]


async def test_an_unsure_reply_takes_the_models_answer(llm: FakeLlm) -> None:
    llm.answer({"classification": "not_interested", "confidence": 0.97})
    items = prepared(UNSURE, SURE)
    assert classes(items) == [("other", 0.5), ("unsubscribe", 0.95)]
    assert await second_opinion.reconsider(settings_for(llm), items) == 1
    # Only the unsure one was asked; the model's confidence is capped below a clear rule's.
    assert len(llm.requests) == 1
    assert classes(items) == [("not_interested", 0.85), ("unsubscribe", 0.95)]
    assert any("second opinion" in r for r in items[0].result.reasons)  # type: ignore[union-attr]
    request = llm.requests[0]
    assert request["response_format"]["json_schema"]["strict"] is True
    assert UNSURE in request["messages"][1]["content"]


@pytest.mark.parametrize(
    "mode, content",
    [
        ("hang", ""),
        ("status", ""),
        ("raw", "not json"),
        ("answer", json.dumps({"classification": "bounce", "confidence": 0.9})),
        ("answer", json.dumps({"classification": "interested", "confidence": "high"})),
        ("answer", json.dumps({"classification": "interested", "confidence": True})),
        ("answer", json.dumps({"classification": "interested", "confidence": 7})),
    ],
)
async def test_any_failure_leaves_the_rules_answer(llm: FakeLlm, mode: str, content: str) -> None:
    llm.mode, llm.content = mode, content
    items = prepared(UNSURE)
    with capture_logs() as logs:
        assert await second_opinion.reconsider(settings_for(llm), items) == 0
    assert classes(items) == [("other", 0.5)]
    failures = [e for e in logs if e["event"] == "reply_second_opinion_failed"]
    assert len(failures) == 1 and UNSURE not in json.dumps(logs, default=str)
    llm.release.set()


async def test_off_unless_enabled_and_configured(llm: FakeLlm) -> None:
    assert not second_opinion.is_enabled(settings_for(llm, reply_llm_classify=False))
    assert not second_opinion.is_enabled(settings_for(llm, llm_base_url=None))
    assert second_opinion.is_enabled(settings_for(llm))


async def test_the_poller_files_what_the_model_said(
    db: Database, make_settings: Any, llm: FakeLlm, tmp_path_factory: pytest.TempPathFactory
) -> None:
    llm.answer({"classification": "not_interested", "confidence": 0.9})
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await make_sent(session)
    with pymap_server(tmp_path_factory.mktemp("pymap")) as port:
        clear(port)
        append(port, [reply_to(sent, UNSURE)])
        settings = make_settings(
            **imap_settings(port),
            llm_base_url=llm.base_url,
            llm_model="test-model",
            reply_llm_classify=True,
        )
        assert await service.poll_duty(AppDatabase(db.engine), settings) == 1
    async with make_sessionmaker(db.engine)() as session:
        reply = (await session.scalars(select(Reply))).one()
        lead = await session.get_one(Lead, sent.lead.id)
    assert reply.classification == "not_interested"
    assert lead.status == "lost"
