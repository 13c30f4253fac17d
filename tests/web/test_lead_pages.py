"""A lead's page: its fields edited through the lead PATCH service, its status, deleting it with
a confirmation, and its history in one timeline, newest first (both backends)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from tests.conftest import Api, create_campaign
from tests.support.database import Database
from tests.web.client import WebClient, error_texts
from tests.web.mail_seed import seed_history

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]


def _url(campaign_id: str, lead_id: str) -> str:
    return f"/app/campaigns/{campaign_id}/leads/{lead_id}"


async def _lead(api: Api, user: str = "user_a", **fields: object) -> tuple[str, str]:
    campaign = await create_campaign(api, user=user)
    body = {"website_url": "https://green.example/write-for-us", **fields}
    made = await api.post(f"/campaigns/{campaign['id']}/leads", user=user, json=body)
    assert made.status_code == 201, made.text
    return campaign["id"], made.json()["id"]


async def test_the_history_is_one_timeline_newest_first(db: Database, web: WebClient) -> None:
    seeded = await seed_history(db.engine)
    page = await web.get(_url(seeded.sent.campaign.id, seeded.sent.lead.id))
    assert page.status_code == 200
    html = page.text
    # Newest first: the scheduled follow-up (in two days), the two link checks (hours ago),
    # the reply (a day ago), the message (two days ago).
    markers = [
        "Follow-up 1: Re: Guest post idea for Blog One",
        "Link check of https://blog-one.test/posts/composting",
        "Reply from editor@blog-one.test",
        "Message (step 0): Guest post idea for Blog One",
    ]
    positions = [html.index(marker) for marker in markers]
    assert positions == sorted(positions), positions
    assert html.count("Link check of") == 2
    assert f'href="/app/inbox/{seeded.reply.id}"' in html
    assert "92% sure" in html  # the reply's confidence
    # The lead's fields are in the form, ready to edit.
    assert 'value="editor@blog-one.test"' in html


async def test_editing_saves_through_the_patch_rules(api: Api, web: WebClient) -> None:
    campaign_id, lead_id = await _lead(api)
    other = await api.post(
        f"/campaigns/{campaign_id}/leads", json={"website_url": "https://taken.example/"}
    )
    assert other.status_code == 201
    url = _url(campaign_id, lead_id)
    await web.get(url)
    form = {
        "website_url": "green.example/guest-posts",
        "website_title": "Green Thumb",
        "contact_name": "Gil",
        "contact_email": "gil@green.example",
        "consent": "on",
        "quality_score": "0.75",
        "authority": "42",
        "notes": "Met at the fair",
    }
    saved = await web.post(url + "/edit", form)
    assert saved.status_code == 303 and saved.headers["location"] == url + "?done=saved"
    lead = (await api.get(f"/campaigns/{campaign_id}")).json()["leads"][0]
    assert lead["website_url"] == "https://green.example/guest-posts"
    assert lead["contact_email"] == "gil@green.example"
    assert (lead["quality_score"], lead["authority"], lead["consent"]) == (0.75, 42, True)
    assert lead["notes"] == "Met at the fair"
    assert "Saved." in (await web.get(saved.headers["location"])).text

    # Wrong values come back next to their fields, and nothing is written.
    bad = await web.post(
        url + "/edit",
        {**form, "contact_email": "not an address", "quality_score": "1.5", "authority": "lots"},
    )
    assert bad.status_code == 422
    errors = error_texts(bad.text)
    assert len(errors) == 3, errors
    assert re.search(r'id="f-contact_email-error">[^<]*email', bad.text)
    assert 'value="not an address"' in bad.text  # what was typed is kept
    # Another lead of the campaign has that site: the conflict is said at the website field.
    taken = await web.post(url + "/edit", {**form, "website_url": "https://taken.example/x"})
    assert taken.status_code == 422
    assert re.search(r'id="f-website_url-error">A lead for taken.example', taken.text)
    after = (await api.get(f"/campaigns/{campaign_id}")).json()["leads"][0]
    assert after["contact_email"] == "gil@green.example"
    assert after["domain"] == "green.example"


async def test_status_and_delete_with_a_confirmation(api: Api, web: WebClient) -> None:
    campaign_id, lead_id = await _lead(api)
    url = _url(campaign_id, lead_id)
    await web.get(url)
    changed = await web.post(url + "/status", {"status": "lost"})
    assert changed.status_code == 303
    assert (await api.get(f"/campaigns/{campaign_id}")).json()["leads"][0]["status"] == "lost"
    wrong = await web.post(url + "/status", {"status": "won"})
    assert wrong.status_code == 422 and error_texts(wrong.text)

    confirm = await web.get(url + "/delete")
    assert confirm.status_code == 200
    assert 'data-confirm="Delete this lead and its history?"' in confirm.text
    assert (await web.get(url)).status_code == 200  # asking deleted nothing
    deleted = await web.post(url + "/delete")
    assert (
        deleted.status_code == 303
        and deleted.headers["location"] == f"/app/campaigns/{campaign_id}"
    )
    assert (await api.get(f"/campaigns/{campaign_id}")).json()["leads"] == []
    assert (await web.get(url)).status_code == 404


async def test_another_workspaces_lead_is_not_found(api: Api, make_web: WebFactory) -> None:
    campaign_id, lead_id = await _lead(api, user="user_b")
    url = _url(campaign_id, lead_id)
    async with make_web() as web:
        web.sign_in("user_a")
        assert (await web.get(url)).status_code == 404
        await web.get("/app/campaigns")
        assert (await web.post(url + "/edit", {"website_url": "x.example"})).status_code == 404
        assert (await web.post(url + "/status", {"status": "lost"})).status_code == 404
        assert (await web.post(url + "/delete")).status_code == 404
        # The lead id under one of user_a's own campaigns is no way in either.
        mine, _ = await _lead(api)
        assert (await web.get(_url(mine, lead_id))).status_code == 404
    lead = (await api.get(f"/campaigns/{campaign_id}", user="user_b")).json()["leads"][0]
    assert lead["status"] == "discovered"


async def test_a_crawled_title_is_shown_as_text(api: Api, web: WebClient) -> None:
    campaign_id, lead_id = await _lead(api, website_title="<script>alert(1)</script>Green")
    page = await web.get(_url(campaign_id, lead_id))
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Green" in page.text


async def test_forms_without_this_browsers_token_change_nothing(api: Api, web: WebClient) -> None:
    campaign_id, lead_id = await _lead(api)
    url = _url(campaign_id, lead_id)
    assert (await web.post(url + "/delete", csrf=False)).status_code == 403
    assert (await web.post(url + "/status", {"status": "lost"}, csrf=False)).status_code == 403
    lead = (await api.get(f"/campaigns/{campaign_id}")).json()["leads"][0]
    assert lead["status"] == "discovered"
