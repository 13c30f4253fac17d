"""The LLM path against a real OpenAI-compatible server on loopback, and the offline fallback."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from structlog.testing import capture_logs
from structlog.typing import EventDict

from backlink_outreach.config import Settings
from backlink_outreach.emails import service
from backlink_outreach.emails.offline_writer import subject_suggestions as offline_subjects
from backlink_outreach.emails.offline_writer import write_follow_up as offline_follow_up
from backlink_outreach.emails.writer import FollowUpRequest
from tests.emails.llm_server import FakeLlm, fake_llm

KEY = "sk-test-secret-key"
GOOD = {
    "subject": "A guest post on urban gardening",
    "body": "Hi Jane,\n\nI'd love to write about urban gardening for you. "
    "Would you be open to it?\n\nBest,\nAna",
}


@pytest.fixture
async def llm() -> AsyncIterator[FakeLlm]:
    async with fake_llm() as server:
        yield server


def settings_for(llm: FakeLlm, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_base_url": llm.base_url,
        "llm_model": "test-model",
        "llm_api_key": KEY,
        "llm_timeout_seconds": 0.3,
        "smtp_from_name": "Ana Lopez",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def assert_logged_fallback(logs: list[EventDict], reason: str) -> None:
    fallbacks = [e for e in logs if e["event"] == "llm_fallback"]
    assert [e["reason"] for e in fallbacks] == [reason]
    assert fallbacks[0]["log_level"] == "warning"
    text = json.dumps(logs, default=str)
    assert KEY not in text and "urban gardening" not in text and "Jane" not in text


async def test_good_answer_is_used(llm: FakeLlm) -> None:
    llm.answer(GOOD)
    with capture_logs() as logs:
        draft = await service.generate(settings_for(llm), topic="urban gardening", tone="friendly")
    assert (draft.subject, draft.body) == (GOOD["subject"], GOOD["body"])
    assert draft.warnings == []
    assert not [e for e in logs if e["event"] == "llm_fallback"]
    request = llm.requests[0]
    assert request["model"] == "test-model"
    assert llm.headers[0]["authorization"] == f"Bearer {KEY}"
    assert "urban gardening" in request["messages"][1]["content"]
    assert "friendly" in request["messages"][1]["content"]


async def test_answer_wrapped_in_a_code_fence_is_accepted(llm: FakeLlm) -> None:
    llm.answer("```json\n" + json.dumps(GOOD) + "\n```")
    draft = await service.generate(settings_for(llm), topic="urban gardening")
    assert draft.subject == GOOD["subject"]


async def test_timeout_falls_back_to_offline(llm: FakeLlm) -> None:
    llm.mode = "hang"
    settings = settings_for(llm)
    with capture_logs() as logs:
        draft = await service.generate(settings, topic="urban gardening")
    assert_logged_fallback(logs, "timeout")
    offline = await service.generate(Settings(_env_file=None, smtp_from_name="Ana Lopez"),
                                     topic="urban gardening")  # fmt: skip
    assert (draft.subject, draft.body) == (offline.subject, offline.body)
    assert len(llm.requests) == 2  # one retry, then the offline writer


@pytest.mark.parametrize(
    "content",
    [
        "Sure! Subject: Guest post. Body: Hi Jane, ...",  # not JSON at all
        '{"subject": "Guest post", "body": ',  # truncated JSON
        json.dumps(["subject", "body"]),  # JSON, wrong shape
        json.dumps({"subject": "Hi", "body": "Hi {name}, a pitch?"}),  # a placeholder
        json.dumps({"subject": "", "body": "A pitch?"}),  # no subject
        json.dumps({"subject": "x" * 90, "body": "A pitch?"}),  # subject too long
        json.dumps({"subject": "Hi", "body": "word " * 260}),  # far too long
    ],
)
async def test_unusable_output_falls_back(llm: FakeLlm, content: str) -> None:
    llm.answer(content)
    with capture_logs() as logs:
        draft = await service.generate(settings_for(llm), topic="urban gardening")
    assert len([e for e in logs if e["event"] == "llm_fallback"]) == 1
    assert "{" not in draft.body and draft.subject and draft.body.count("?") == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("<html>gateway</html>", "invalid_response"),
        ("{}", "empty_answer"),
        ('{"choices": "x"}', "empty_answer"),
        ('{"choices": [{"message": {"content": 5}}]}', "empty_answer"),
    ],
)
async def test_malformed_http_answer_falls_back(llm: FakeLlm, raw: str, reason: str) -> None:
    llm.mode, llm.content = "raw", raw
    with capture_logs() as logs:
        suggestions = await service.subject_suggestions(settings_for(llm), topic="urban gardening")
    assert_logged_fallback(logs, reason)
    assert suggestions == offline_subjects("urban gardening", "professional")


@pytest.mark.parametrize("status", [500, 401, 429])
async def test_error_status_falls_back(llm: FakeLlm, status: int) -> None:
    llm.mode, llm.status = "status", status
    with capture_logs() as logs:
        draft = await service.subject_suggestions(settings_for(llm), topic="urban gardening")
    assert_logged_fallback(logs, f"status_{status}")
    assert draft == offline_subjects("urban gardening", "professional")


async def test_unreachable_endpoint_falls_back(llm: FakeLlm) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = settings_for(llm, llm_base_url=f"http://127.0.0.1:{port}/v1")
    with capture_logs() as logs:
        suggestions = await service.subject_suggestions(settings, topic="urban gardening")
    assert len(suggestions) == 5
    assert [e["reason"] for e in logs if e["event"] == "llm_fallback"] == ["APIConnectionError"]


async def test_suggestions_are_validated_and_topped_up(llm: FakeLlm) -> None:
    llm.answer({"suggestions": ["Idea: gardening", "IDEA: GARDENING", "y" * 80, "{x}", 7, "Two"]})
    suggestions = await service.subject_suggestions(settings_for(llm), topic="urban gardening")
    assert suggestions[:2] == ["Idea: gardening", "Two"]
    assert len(suggestions) == 5 and len({s.casefold() for s in suggestions}) == 5
    assert all(len(s) < 70 and "{" not in s for s in suggestions)


async def test_follow_up_from_the_model_keeps_our_subject(llm: FakeLlm) -> None:
    llm.answer({"body": "Hi Jane,\n\nAny thoughts on my note? I could send a draft.\n\nAna"})
    draft = await service.write_follow_up(
        settings_for(llm), original_subject="Guest post idea", original_body="Hi", step=1
    )
    assert draft.subject == "Re: Guest post idea"
    assert draft.body.startswith("Hi Jane,")
    assert "Guest post idea" in llm.requests[0]["messages"][1]["content"]


async def test_follow_up_over_90_words_falls_back(llm: FakeLlm) -> None:
    llm.answer({"body": "Just checking in. " * 40 + "Any thoughts?"})
    draft = await service.write_follow_up(
        settings_for(llm), original_subject="Guest post idea", original_body="Hi"
    )
    expected = offline_follow_up(
        FollowUpRequest("Guest post idea", "Hi", "professional", "Ana Lopez")
    )
    assert draft.body == expected.body


async def test_personalize_through_the_model_keeps_the_given_subject(llm: FakeLlm) -> None:
    llm.answer({"subject": "Changed", "body": "Hi Jane,\n\nThe pitch, woven. Interested?"})
    draft = await service.personalize(
        settings_for(llm), base_email="Hello,\n\nThe pitch?", subject="Kept", lead_name="Jane"
    )
    assert (draft.subject, draft.body) == ("Kept", "Hi Jane,\n\nThe pitch, woven. Interested?")
