"""The sequence editor (errors under their step), the preview of a step for a lead, enrolling
(with the skip reasons in words) and the schedule with its forecast; on both backends."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, create_campaign
from tests.web.campaign_support import add_leads
from tests.web.client import WebClient

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]

TWO_STEPS = {
    "step-0-delay_days": "0",
    "step-0-subject": "A post for {website_title}?",
    "step-0-body": "Hi {first_name},\n\nI write about {topic}.",
    "step-1-delay_days": "4",
    "step-1-subject": "",
    "step-1-body": "Just checking in, {first_name}.",
    "step-2-delay_days": "3",
    "step-2-subject": "",
    "step-2-body": "",
}


@pytest.fixture
async def web(make_web: WebFactory, tmp_path: Path) -> AsyncIterator[WebClient]:
    """Signed in as user_a, with sends written to an outbox folder (a way to send)."""
    async with make_web(mail_outbox_dir=tmp_path / "outbox", send_jitter_seconds=0) as client:
        client.sign_in()
        yield client


def texts(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def campaign_with_leads(api: Api, count: int = 3) -> tuple[dict[str, Any], list[Any]]:
    made = await create_campaign(api, keywords=["vegan recipes"])
    leads = await add_leads(api, made["id"], count)
    return made, leads


async def test_writing_a_two_step_sequence(web: WebClient, api: Api) -> None:
    made, _ = await campaign_with_leads(api)
    editor = await web.get(f"/app/campaigns/{made['id']}/sequence")
    assert editor.status_code == 200 and 'name="step-0-body"' in editor.text
    saved = await web.post(f"/app/campaigns/{made['id']}/sequence", TWO_STEPS)
    assert saved.status_code == 303, texts(saved.text)
    campaign = (await api.get(f"/campaigns/{made['id']}")).json()
    assert campaign["sequence"] == [
        {
            "delay_days": 0,
            "subject": "A post for {website_title}?",
            "body": "Hi {first_name},\n\nI write about {topic}.",
            "template_id": None,
        },
        {
            "delay_days": 4,
            "subject": None,
            "body": "Just checking in, {first_name}.",
            "template_id": None,
        },
    ]
    again = await web.get(f"/app/campaigns/{made['id']}/sequence")
    assert 'value="A post for {website_title}?"' in again.text
    assert 'name="step-2-body"' in again.text  # the blank row for a third step


async def test_errors_come_back_under_their_step(web: WebClient, api: Api) -> None:
    made, _ = await campaign_with_leads(api)
    await web.get("/app/campaigns")
    late_first = await web.post(
        f"/app/campaigns/{made['id']}/sequence",
        {**TWO_STEPS, "step-1-delay_days": "0"},
    )
    assert late_first.status_code == 422
    assert "each later step waits 1..90 days" in texts(late_first.text)
    bad_delay = await web.post(
        f"/app/campaigns/{made['id']}/sequence", {**TWO_STEPS, "step-1-delay_days": "400"}
    )
    assert bad_delay.status_code == 422 and 'id="step-1-delay_days-error"' in bad_delay.text
    no_subject = await web.post(
        f"/app/campaigns/{made['id']}/sequence", {**TWO_STEPS, "step-0-subject": ""}
    )
    assert no_subject.status_code == 422 and "step 0 needs a subject" in texts(no_subject.text)
    # What was typed stays in the form.
    assert "Just checking in, {first_name}." in no_subject.text
    foreign = await web.post(
        f"/app/campaigns/{made['id']}/sequence",
        {**TWO_STEPS, "step-1-template_id": "tpl_notmine", "step-1-body": ""},
    )
    assert foreign.status_code == 422 and 'id="step-1-template_id-error"' in foreign.text
    assert (await api.get(f"/campaigns/{made['id']}")).json()["sequence"] is None


async def test_the_preview_renders_the_step_for_the_lead(web: WebClient, api: Api) -> None:
    made, leads = await campaign_with_leads(api)
    evil = await api.post(
        f"/campaigns/{made['id']}/leads",
        json={
            "website_url": "evil.example",
            "website_title": "<script>alert(1)</script>Evil",
            "contact_email": "ed@evil.example",
            "contact_name": "Ed",
        },
    )
    assert evil.status_code == 201
    await web.post(f"/app/campaigns/{made['id']}/sequence", TWO_STEPS)
    page = await web.get(f"/app/campaigns/{made['id']}/sequence")
    assert 'data-inline data-target="#preview"' in page.text
    lead_id = evil.json()["id"]
    first = await web.get(
        f"/app/campaigns/{made['id']}/sequence/preview?lead_id={lead_id}&step=0",
        headers={"X-Fragment": "1"},
    )
    assert first.status_code == 200
    assert "<html" not in first.text  # a fragment for the page
    assert "A post for &lt;script&gt;alert(1)&lt;/script&gt;Evil?" in first.text
    assert "<script>alert(1)" not in first.text
    assert "I write about vegan recipes." in first.text and "Hi Ed," in first.text
    assert "policy: would send" in first.text
    second = await web.get(f"/app/campaigns/{made['id']}/sequence/preview?lead_id={lead_id}&step=1")
    assert second.status_code == 200 and "<html" in second.text  # without script: a page
    assert "Re: A post for &lt;script&gt;" in second.text
    assert "Just checking in, Ed." in second.text
    missing = await web.get(
        f"/app/campaigns/{made['id']}/sequence/preview?lead_id=lead_nothere&step=0"
    )
    assert missing.status_code == 422 and "That lead is not in this campaign." in missing.text
    no_step = await web.get(
        f"/app/campaigns/{made['id']}/sequence/preview?lead_id={leads[0]['id']}&step=5"
    )
    assert no_step.status_code == 422 and "save it first" in no_step.text


async def test_an_unknown_placeholder_is_said_in_words(web: WebClient, api: Api) -> None:
    made, leads = await campaign_with_leads(api)
    await web.get("/app/campaigns")
    await web.post(
        f"/app/campaigns/{made['id']}/sequence",
        {**TWO_STEPS, "step-0-body": "Hello {nickname}"},
    )
    shown = await web.get(
        f"/app/campaigns/{made['id']}/sequence/preview?lead_id={leads[0]['id']}&step=0"
    )
    assert shown.status_code == 422 and "nickname" in texts(shown.text)


async def test_enrolling_shows_the_skip_reasons(web: WebClient, api: Api) -> None:
    made, leads = await campaign_with_leads(api, 3)
    no_address = await api.post(
        f"/campaigns/{made['id']}/leads", json={"website_url": "mute.example"}
    )
    await web.get("/app/campaigns")
    before = await web.post(f"/app/campaigns/{made['id']}/enroll", {"mode": "all"})
    assert before.status_code == 422 and "has no sequence" in texts(before.text)
    await web.post(f"/app/campaigns/{made['id']}/sequence", TWO_STEPS)
    nothing = await web.post(f"/app/campaigns/{made['id']}/enroll", {})
    assert nothing.status_code == 422 and "Tick the leads to enroll" in texts(nothing.text)
    ticked = await web.client.post(
        f"/app/campaigns/{made['id']}/enroll",
        data={
            "csrf_token": web.csrf_token,
            "mode": "selected",
            "lead_ids": [leads[0]["id"], no_address.json()["id"], "lead_nothere"],
        },
    )
    assert ticked.status_code == 303
    summary = texts((await web.get(ticked.headers["location"])).text)
    assert "Enrolled 1 lead." in summary
    assert "1 have no contact address" in summary
    assert "1 are not leads of this campaign" in summary
    every = await web.post(f"/app/campaigns/{made['id']}/enroll", {"mode": "all"})
    assert "enrolled=2" in every.headers["location"]
    again = await web.client.post(
        f"/app/campaigns/{made['id']}/enroll",
        data={"csrf_token": web.csrf_token, "mode": "selected", "lead_ids": leads[1]["id"]},
    )
    assert "1 were enrolled before" in texts((await web.get(again.headers["location"])).text)
    forged = await web.post(f"/app/campaigns/{made['id']}/enroll", {"mode": "all"}, csrf=False)
    assert forged.status_code == 403


async def test_the_schedule_shows_the_queue_and_the_forecast(web: WebClient, api: Api) -> None:
    made, leads = await campaign_with_leads(api, 3)
    empty = await web.get(f"/app/campaigns/{made['id']}/schedule")
    assert empty.status_code == 200 and "Nothing is waiting to go out." in empty.text
    await web.post(f"/app/campaigns/{made['id']}/sequence", TWO_STEPS)
    await web.post(f"/app/campaigns/{made['id']}/enroll", {"mode": "all"})
    page = await web.get(f"/app/campaigns/{made['id']}/schedule")
    assert page.status_code == 200
    # Two steps for each of the three leads, drawn as one bar per day.
    assert "Messages to send</span><strong>6</strong>" in page.text
    drawn = re.findall(r'<rect class="bar"[^>]*><title>([0-9-]+): (\d+)</title>', page.text)
    assert drawn and sum(int(count) for _, count in drawn) == 6
    assert page.text.count('<rect class="bar"') == len(drawn)
    for lead in leads:
        assert f">{lead['domain']}</a>" in page.text
