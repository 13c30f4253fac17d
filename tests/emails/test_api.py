"""The four writing endpoints over HTTP, on every database backend."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from backlink_outreach.emails.templates import placeholders
from backlink_outreach.emails.wording import word_count
from tests.conftest import Api, create_campaign
from tests.emails.llm_server import fake_llm

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
TONES = ["professional", "friendly", "casual", "formal"]


def assert_email(payload: dict[str, Any], max_words: int = 150) -> None:
    assert set(payload) == {"subject", "body", "warnings"}
    assert isinstance(payload["warnings"], list)
    assert payload["subject"] and payload["body"]
    assert placeholders(payload["subject"], payload["body"]) == []
    assert word_count(payload["body"]) < max_words


async def make_template(api: Api, user: str = "user_a", **fields: Any) -> dict[str, Any]:
    data = {"name": "Pitch", "subject": "Guest post: {topic}", "body": "Hi {first_name}, "}
    data["body"] += (
        "I'd love to write about {topic} for {website_title}. Interested?\n\n{sender_name}"
    )
    response = await api.post("/emails/templates", user=user, json={**data, **fields})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_generate_in_every_tone(api: Api) -> None:
    bodies = set()
    for tone in [*TONES, None]:
        response = await api.post(
            "/emails/generate", json={"topic": "home composting", "tone": tone}
        )
        assert response.status_code == 200, response.text
        assert_email(response.json())
        bodies.add(response.json()["body"])
    assert len(bodies) == 4  # null is the default tone, professional
    default = await api.post("/emails/generate", json={"topic": "home composting"})
    professional = await api.post(
        "/emails/generate", json={"topic": "home composting", "tone": "professional"}
    )
    assert default.json() == professional.json()


@pytest.mark.parametrize(
    "body",
    [
        {"topic": "composting", "tone": "angry"},
        {"topic": "composting", "tone": "Professional"},
        {"topic": "   "},
        {"topic": "{}"},
        {"topic": "line\nbreak"},
        {},
        {"topic": "x", "lead_id": "lead_1"},
        {"topic": "x", "variables": {"not a name": "v"}},
    ],
)
async def test_generate_rejects_bad_input(api: Api, body: dict[str, Any]) -> None:
    response = await api.post("/emails/generate", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_every_endpoint_needs_a_token(api: Api) -> None:
    for path in ("generate", "personalize", "subject-suggestions", "follow-up"):
        response = await api.post(f"/emails/{path}", auth=False, json={})
        assert response.status_code == 401
        assert response.json() == {"detail": "Not authenticated"}


async def test_generate_from_a_template(api: Api) -> None:
    template = await make_template(api)
    response = await api.post(
        "/emails/generate", json={"topic": "home composting", "template_id": template["id"]}
    )
    assert response.status_code == 200, response.text
    email = response.json()
    assert email["subject"] == "Guest post: home composting"
    assert email["body"].startswith(
        "Hi there, I'd love to write about home composting for your site. Interested?"
    )
    assert email["warnings"] == []


async def test_generate_from_a_template_for_a_lead(api: Api) -> None:
    template = await make_template(api)
    campaign = await create_campaign(api)
    lead = await api.post(
        f"/campaigns/{campaign['id']}/leads",
        json={"website_url": "https://www.greenthumb.example/", "contact_name": "Jane Doe",
              "website_title": "Green Thumb"},
    )  # fmt: skip
    assert lead.status_code == 201, lead.text
    ids = {"campaign_id": campaign["id"], "lead_id": lead.json()["id"]}
    response = await api.post(
        "/emails/generate", json={"topic": "composting", "template_id": template["id"], **ids}
    )
    assert response.status_code == 200, response.text
    assert response.json()["body"].startswith(
        "Hi Jane, I'd love to write about composting for Green Thumb."
    )
    # Without a template the lead steers the offline wording, the same way every time.
    first = await api.post("/emails/generate", json={"topic": "composting", **ids})
    again = await api.post("/emails/generate", json={"topic": "composting", **ids})
    assert first.json() == again.json()
    assert "Jane" in first.json()["body"]
    # Another workspace cannot write from this campaign's lead.
    other = await api.post("/emails/generate", user="user_b", json={"topic": "x", **ids})
    assert other.status_code == 404


async def test_template_of_another_workspace_or_unknown_is_404(api: Api) -> None:
    template = await make_template(api, user="user_b")
    for template_id in (template["id"], "tpl_missing"):
        response = await api.post(
            "/emails/generate", json={"topic": "composting", "template_id": template_id}
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Resource not found"}


async def test_template_variables_and_unknown_placeholders(api: Api) -> None:
    template = await make_template(api, body="Hi {name}, {offer} Want it?")
    request = {"topic": "composting", "template_id": template["id"]}
    missing = await api.post("/emails/generate", json=request)
    assert missing.status_code == 422
    assert "{offer}" in missing.json()["detail"][0]["msg"]
    filled = await api.post(
        "/emails/generate", json={**request, "variables": {"offer": "A free {checklist}."}}
    )
    assert filled.status_code == 200
    # A brace in a value cannot survive into text that sending renders again.
    assert filled.json()["body"] == "Hi there, A free (checklist). Want it?"


async def test_personalize(api: Api) -> None:
    base = "Hello,\n\nI'd like to write a guest post about composting.\nWould you be interested?"
    response = await api.post(
        "/emails/personalize",
        json={"base_email": base, "lead_name": "Jane Doe", "lead_website": "greenthumb.example",
              "content_topic": "urban composting"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    email = response.json()
    assert_email(email)
    assert email["body"].startswith("Hello Jane,")
    assert "greenthumb.example" in email["body"] and "urban composting" in email["body"]
    assert "I'd like to write a guest post about composting." in email["body"]


async def test_personalize_fills_placeholders_and_reads_a_subject_line(api: Api) -> None:
    base = "Subject: For {website}\n\nHi {first_name},\n\nA {topic} post?"
    response = await api.post(
        "/emails/personalize",
        json={"base_email": base, "lead_name": "Jane Doe", "lead_website": "green.example",
              "content_topic": "soil"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "For green.example"
    assert response.json()["body"].startswith("Hi Jane,")
    assert "A soil post?" in response.json()["body"]
    unknown = await api.post("/emails/personalize", json={"base_email": "Hi {nickname}"})
    assert unknown.status_code == 422
    assert "{nickname}" in unknown.json()["detail"][0]["msg"]
    broken = await api.post("/emails/personalize", json={"base_email": "Hi {name"})
    assert broken.status_code == 422
    empty = await api.post("/emails/personalize", json={"base_email": "  \n "})
    assert empty.status_code == 422


async def test_personalize_warns_about_spam_signals(api: Api) -> None:
    base = "GUARANTEED results!!! Act now: http://a.example http://b.example http://c.example"
    response = await api.post("/emails/personalize", json={"base_email": base})
    warnings = " ".join(response.json()["warnings"])
    for expected in ("guaranteed", "act now", "GUARANTEED", "!!", "3 links", "call to action"):
        assert expected in warnings


@pytest.mark.parametrize("tone", [*TONES, None])
async def test_subject_suggestions(api: Api, tone: str | None) -> None:
    topic = "sustainable gardening for small urban balconies, rooftops and shared courtyards"
    response = await api.post("/emails/subject-suggestions", json={"topic": topic, "tone": tone})
    assert response.status_code == 200, response.text
    suggestions = response.json()["suggestions"]
    assert len(suggestions) == 5
    assert len({s.casefold() for s in suggestions}) == 5
    assert all(0 < len(s) < 70 for s in suggestions)
    bad = await api.post("/emails/subject-suggestions", json={"topic": "x", "tone": "loud"})
    assert bad.status_code == 422


async def test_follow_up(api: Api) -> None:
    request = {"original_subject": "Guest post idea: composting", "original_body": "Hi Jane, ..."}
    response = await api.post("/emails/follow-up", json=request)
    assert response.status_code == 200, response.text
    email = response.json()
    assert_email(email, max_words=90)
    assert email["subject"] == "Re: Guest post idea: composting"
    assert "Guest post idea: composting" in email["body"]
    formal = await api.post("/emails/follow-up", json={**request, "tone": "formal"})
    assert formal.json()["body"].startswith("Dear")
    for bad in ({**request, "tone": "rude"}, {**request, "original_subject": "a\r\nBcc: x"}, {}):
        assert (await api.post("/emails/follow-up", json=bad)).status_code == 422


async def test_llm_endpoint_answers_and_failures_fall_back(make_api: MakeApi) -> None:
    async with fake_llm() as llm:
        settings = {"llm_base_url": llm.base_url, "llm_model": "m", "llm_timeout_seconds": 0.3}
        async with make_api(**settings) as api:
            llm.answer({"subject": "From the model", "body": "Hi,\n\nA pitch. Interested?"})
            good = await api.post("/emails/generate", json={"topic": "composting"})
            assert good.json()["subject"] == "From the model"
            llm.mode = "status"
            fallback = await api.post("/emails/generate", json={"topic": "composting"})
            assert fallback.status_code == 200
            assert_email(fallback.json())
            assert fallback.json()["subject"] != "From the model"
