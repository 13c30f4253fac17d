"""The campaigns list (with its numbers), editing, pausing and deleting, on both backends."""

from __future__ import annotations

import re

from tests.conftest import Api, create_campaign
from tests.web.campaign_support import add_leads
from tests.web.client import WebClient, error_texts


def row_of(html: str, name: str) -> str:
    """The table row that links to the campaign called `name`."""
    for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S):
        if f">{name}</a>" in row:
            return str(row)
    raise AssertionError(f"no row for {name}")


def numbers_in(row: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]


async def test_the_list_shows_each_campaigns_numbers(web: WebClient, api: Api) -> None:
    busy = await create_campaign(api, name="Busy")
    quiet = await create_campaign(api, name="Quiet")
    leads = await add_leads(api, busy["id"], 5)
    for lead, status in zip(leads, ["contacted", "replied", "placed", "placed"], strict=False):
        patched = await api.patch(
            f"/campaigns/{busy['id']}/leads/{lead['id']}/status", json={"status": status}
        )
        assert patched.status_code == 200
    await add_leads(api, quiet["id"], 2)
    page = await web.get("/app/campaigns")
    assert page.status_code == 200
    # Leads, contacted (every lead past discovered), replied, placed.
    assert numbers_in(row_of(page.text, "Busy")) == [5, 4, 1, 2]
    assert numbers_in(row_of(page.text, "Quiet")) == [2, 0, 0, 0]
    # Newest first.
    assert page.text.index(">Quiet</a>") < page.text.index(">Busy</a>")


async def test_another_workspaces_campaign_is_not_listed_nor_shown(
    web: WebClient, api: Api
) -> None:
    theirs = await create_campaign(api, user="user_b", name="Their secret campaign")
    assert "Their secret campaign" not in (await web.get("/app/campaigns")).text
    for path in ("", "/edit", "/delete", "/import", "/sequence", "/schedule", "/add-lead"):
        response = await web.get(f"/app/campaigns/{theirs['id']}{path}")
        assert response.status_code == 404, path
        assert "Their secret campaign" not in response.text
    for path, data in (
        ("/status", {"status": "paused"}),
        ("/delete", {}),
        ("/edit", {"name": "Mine now"}),
    ):
        response = await web.post(f"/app/campaigns/{theirs['id']}{path}", data)
        assert response.status_code == 404, path
    got = await api.get(f"/campaigns/{theirs['id']}", user="user_b")
    assert got.json()["name"] == "Their secret campaign" and got.json()["status"] == "active"


async def test_editing_saves_every_field_and_shows_errors_next_to_them(
    web: WebClient, api: Api
) -> None:
    made = await create_campaign(api, name="Before")
    form = await web.get(f"/app/campaigns/{made['id']}/edit")
    assert form.status_code == 200 and 'value="Before"' in form.text
    bad = await web.post(
        f"/app/campaigns/{made['id']}/edit",
        {"name": "After", "timezone": "Mars/Olympus", "start": "18:00", "end": "09:00"},
    )
    assert bad.status_code == 422
    errors = error_texts(bad.text)
    assert any("Mars/Olympus" in e or "time zone" in e.lower() for e in errors), errors
    assert 'id="f-timezone-error"' in bad.text
    assert 'value="After"' in bad.text  # what was typed stays
    saved = await web.client.post(
        f"/app/campaigns/{made['id']}/edit",
        data={
            "csrf_token": web.csrf_token,
            "name": "After",
            "description": "Tech blogs",
            "keywords": "python\nfastapi, sqlalchemy",
            "timezone": "Europe/Berlin",
            "days": ["mon", "wed"],
            "start": "08:30",
            "end": "12:00",
            "mailbox_ids": ["mbx_default"],
        },
    )
    assert saved.status_code == 303, saved.text
    campaign = (await api.get(f"/campaigns/{made['id']}")).json()
    assert campaign["name"] == "After" and campaign["description"] == "Tech blogs"
    assert campaign["keywords"] == ["python", "fastapi", "sqlalchemy"]
    assert campaign["timezone"] == "Europe/Berlin"
    assert campaign["send_window"] == {"days": ["mon", "wed"], "start": "08:30", "end": "12:00"}
    assert campaign["mailbox_ids"] == ["mbx_default"]


async def test_a_window_needs_a_day_and_an_order(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    await web.get(f"/app/campaigns/{made['id']}/edit")
    no_days = await web.post(
        f"/app/campaigns/{made['id']}/edit", {"name": "X", "start": "09:00", "end": "17:00"}
    )
    assert no_days.status_code == 422 and "Tick at least one day." in error_texts(no_days.text)
    backwards = await web.post(
        f"/app/campaigns/{made['id']}/edit",
        {"name": "X", "days": "mon", "start": "17:00", "end": "09:00"},
    )
    assert backwards.status_code == 422
    assert any("start must be before" in e for e in error_texts(backwards.text))
    another = await create_campaign(api, user="user_b")
    assert another  # a mailbox of another workspace is refused in words, not a 404 page
    foreign = await web.client.post(
        f"/app/campaigns/{made['id']}/edit",
        data={
            "csrf_token": web.csrf_token,
            "name": "X",
            "days": "mon",
            "start": "09:00",
            "end": "17:00",
            "mailbox_ids": "mbx_notmine",
        },
    )
    assert foreign.status_code == 422
    assert "Pick mailboxes of this workspace." in error_texts(foreign.text)
    assert (await api.get(f"/campaigns/{made['id']}")).json()["name"] == made["name"]


async def test_pausing_and_resuming_from_the_list(web: WebClient, api: Api) -> None:
    made = await create_campaign(api, name="Pausable")
    await web.get("/app/campaigns")
    paused = await web.post(
        f"/app/campaigns/{made['id']}/status", {"status": "paused", "back": "/app/campaigns"}
    )
    assert paused.status_code == 303 and paused.headers["location"] == "/app/campaigns"
    assert (await api.get(f"/campaigns/{made['id']}")).json()["status"] == "paused"
    assert "Resume Pausable" in (await web.get("/app/campaigns")).text
    resumed = await web.post(f"/app/campaigns/{made['id']}/status", {"status": "active"})
    assert resumed.headers["location"] == f"/app/campaigns/{made['id']}"
    assert (await api.get(f"/campaigns/{made['id']}")).json()["status"] == "active"
    wrong = await web.post(f"/app/campaigns/{made['id']}/status", {"status": "gone"})
    assert wrong.status_code == 422 and "Choose active or paused." in wrong.text


async def test_deleting_asks_first_and_needs_the_token(web: WebClient, api: Api) -> None:
    made = await create_campaign(api, name="Doomed <b>campaign</b>")
    await add_leads(api, made["id"], 2)
    confirm = await web.get(f"/app/campaigns/{made['id']}/delete")
    assert confirm.status_code == 200 and "data-confirm=" in confirm.text
    assert "Doomed &lt;b&gt;campaign&lt;/b&gt;" in confirm.text
    forged = await web.post(f"/app/campaigns/{made['id']}/delete", csrf=False)
    assert forged.status_code == 403
    assert (await api.get(f"/campaigns/{made['id']}")).status_code == 200
    deleted = await web.post(f"/app/campaigns/{made['id']}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == "/app/campaigns"
    assert (await api.get(f"/campaigns/{made['id']}")).status_code == 404
    assert (await web.get(f"/app/campaigns/{made['id']}")).status_code == 404
