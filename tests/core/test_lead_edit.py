"""PATCH and DELETE /campaigns/{id}/leads/{lead_id} (API.md part 2, "Everyday operations"):
edits validated as on create, a new website re-derives the domain (409 on a clash), deletes
keep the striped lead counts equal to COUNT(*)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from backlink_outreach.doctor import examine
from backlink_outreach.models import Lead
from tests.conftest import Api, create_campaign
from tests.support.database import Database


async def _lead(api: Api, campaign_id: str, url: str, **fields: Any) -> dict[str, Any]:
    response = await api.post(
        f"/campaigns/{campaign_id}/leads", json={"website_url": url, **fields}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _lead_count(api: Api, campaign_id: str) -> int:
    listed = {c["id"]: c["lead_count"] for c in (await api.get("/campaigns")).json()}
    shown = (await api.get(f"/campaigns/{campaign_id}")).json()["lead_count"]
    assert listed[campaign_id] == shown
    return int(shown)


async def test_patch_changes_only_the_fields_sent(api: Api) -> None:
    campaign = await create_campaign(api)
    lead = await _lead(
        api,
        campaign["id"],
        "https://garden.example/",
        contact_email="ed@garden.example",
        contact_name="Ed",
        notes="met at a fair",
        quality_score=0.4,
    )
    path = f"/campaigns/{campaign['id']}/leads/{lead['id']}"
    response = await api.patch(
        path,
        json={
            "contact_email": " Editor@Garden.Example ",
            "quality_score": 0.9,
            "notes": None,
            "consent": True,
            "website_title": "   ",
        },
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["contact_email"] == "editor@garden.example"  # normalised as on create
    assert edited["quality_score"] == 0.9 and edited["consent"] is True
    assert edited["notes"] is None and edited["website_title"] is None
    # Untouched: the rest, and what the server owns.
    assert edited["contact_name"] == "Ed" and edited["website_url"] == lead["website_url"]
    assert (edited["domain"], edited["status"], edited["id"]) == (
        lead["domain"],
        "discovered",
        lead["id"],
    )
    assert edited["created_at"] == lead["created_at"]
    assert edited["updated_at"] > lead["updated_at"]
    stored = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    assert stored == [edited]
    # An empty edit is an edit of nothing.
    again = await api.patch(path, json={})
    assert again.status_code == 200
    assert {k: v for k, v in again.json().items() if k != "updated_at"} == {
        k: v for k, v in edited.items() if k != "updated_at"
    }


async def test_a_new_website_re_derives_the_domain(api: Api) -> None:
    campaign = await create_campaign(api)
    lead = await _lead(api, campaign["id"], "https://garden.example/")
    other = await _lead(api, campaign["id"], "https://kitchen.example/")
    path = f"/campaigns/{campaign['id']}/leads/{lead['id']}"

    moved = await api.patch(path, json={"website_url": "www.Roses.example/write-for-us"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["website_url"] == "https://www.Roses.example/write-for-us"
    assert moved.json()["domain"] == "roses.example"
    # The same site under another URL is no clash with itself.
    same = await api.patch(path, json={"website_url": "http://roses.example/"})
    assert same.status_code == 200 and same.json()["domain"] == "roses.example"

    clash = await api.patch(path, json={"website_url": "https://www.kitchen.example/"})
    assert clash.status_code == 409
    assert clash.json() == {"detail": "A lead for kitchen.example is already in this campaign."}
    # Nothing of the refused edit was written, in a request that did write before it failed.
    mixed = await api.patch(path, json={"notes": "x", "website_url": "kitchen.example"})
    assert mixed.status_code == 409
    leads = {x["id"]: x for x in (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]}
    assert leads[lead["id"]]["domain"] == "roses.example" and leads[lead["id"]]["notes"] is None
    assert leads[other["id"]]["domain"] == "kitchen.example"
    # The freed domain may be taken again.
    assert (await _lead(api, campaign["id"], "https://garden.example/"))["domain"] == (
        "garden.example"
    )


async def test_concurrent_edits_to_one_domain_let_exactly_one_win(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    leads = [await _lead(api, campaign["id"], f"https://s{n}.example/") for n in range(6)]
    responses = await asyncio.gather(
        *(
            api.patch(
                f"/campaigns/{campaign['id']}/leads/{lead['id']}",
                json={"website_url": "https://prize.example/"},
            )
            for lead in leads
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 5
    async with db.engine.connect() as conn:
        prize = await conn.scalar(
            select(func.count()).select_from(Lead).where(Lead.domain == "prize.example")
        )
    assert prize == 1


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"status": "placed"}, ["body"], "not_editable"),
        ({"domain": "other.example"}, ["body"], "not_editable"),
        ({"id": "lead_x"}, ["body"], "not_editable"),
        ({"campaign_id": "cmp_x"}, ["body"], "not_editable"),
        ({"favourite_colour": "green"}, ["body", "favourite_colour"], "extra_forbidden"),
        ({"website_url": None}, ["body", "website_url"], "string_type"),
        ({"website_url": "ftp://garden.example/"}, ["body", "website_url"], "value_error"),
        ({"website_url": ""}, ["body", "website_url"], "value_error"),
        ({"contact_email": "not an address"}, ["body", "contact_email"], "value_error"),
        ({"quality_score": 1.5}, ["body", "quality_score"], "less_than_equal"),
        ({"consent": "yes"}, ["body", "consent"], "bool_type"),
        ({"notes": "a\x00b"}, ["body", "notes"], "value_error"),
    ],
)
async def test_bad_edits_are_422_and_change_nothing(
    api: Api, body: dict[str, Any], loc: list[str], kind: str
) -> None:
    campaign = await create_campaign(api)
    lead = await _lead(api, campaign["id"], "https://garden.example/", notes="kept")
    response = await api.patch(f"/campaigns/{campaign['id']}/leads/{lead['id']}", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [(e["loc"], e["type"]) for e in errors] == [(loc, kind)], errors
    if kind == "not_editable":
        assert next(iter(body)) in errors[0]["msg"]
    assert (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"] == [lead]


async def test_edit_and_delete_are_404_outside_the_campaign_and_workspace(api: Api) -> None:
    mine = await create_campaign(api)
    other = await create_campaign(api)
    lead = await _lead(api, mine["id"], "https://garden.example/")
    theirs = await create_campaign(api, user="user_b")
    for campaign_id, user in ((other["id"], "user_a"), (mine["id"], "user_b")):
        path = f"/campaigns/{campaign_id}/leads/{lead['id']}"
        patched = await api.patch(path, user=user, json={"notes": "x"})
        deleted = await api.delete(path, user=user)
        assert (patched.status_code, deleted.status_code) == (404, 404)
        assert patched.json() == {"detail": "Resource not found"}
    path = f"/campaigns/{theirs['id']}/leads/{lead['id']}"
    assert (await api.delete(path, user="user_b")).status_code == 404
    assert (await api.delete(f"/campaigns/{mine['id']}/leads/lead_nope")).status_code == 404
    assert (await api.patch(f"/campaigns/{mine['id']}/leads/lead_nope", json={})).status_code == (
        404
    )
    assert (await api.get(f"/campaigns/{mine['id']}")).json()["leads"] == [lead]


async def test_delete_keeps_the_counts_equal_to_the_leads(
    api: Api, db: Database, make_settings: Callable[..., Any]
) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    bulk = await api.post(
        f"{path}/bulk", json=[{"website_url": f"https://s{n}.example/"} for n in range(10)]
    )
    assert bulk.json()["added"] == 10
    ids = [x["id"] for x in (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]]

    assert (await api.delete(f"{path}/{ids[0]}")).status_code == 204
    assert (await api.delete(f"{path}/{ids[0]}")).status_code == 404  # already gone
    assert await _lead_count(api, campaign["id"]) == 9
    # Concurrent deletes, and adds racing them.
    results = await asyncio.gather(
        *(api.delete(f"{path}/{lead_id}") for lead_id in ids[1:6]),
        *(api.post(path, json={"website_url": f"https://new{n}.example/"}) for n in range(3)),
    )
    assert [r.status_code for r in results] == [204] * 5 + [201] * 3
    assert await _lead_count(api, campaign["id"]) == 7
    listed = (await api.get(path)).json()
    assert len(listed) == 7 and not {x["id"] for x in listed} & set(ids[:6])
    report = await examine(db.engine, make_settings())
    assert report.miscounted_campaigns == [] and report.healthy, report.warnings
    # A deleted site may be added again.
    assert (await _lead(api, campaign["id"], "https://s0.example/"))["domain"] == "s0.example"
    assert await _lead_count(api, campaign["id"]) == 8


@pytest.mark.parametrize("sort", ["-quality_score", "-authority"])
@pytest.mark.parametrize("limit", [1, 3, 100])
async def test_descending_score_pages_match_the_documented_order(
    api: Api, sort: str, limit: int
) -> None:
    """On PostgreSQL a descending score is read as two index ranges (`leads/listing.py`): the
    pages walked, at any size, are the order API.md states (scores high to low, ties by id
    descending, missing scores last by id descending), also across the scored/unscored edge."""
    campaign = await create_campaign(api)
    field = sort.lstrip("-")
    values = [None, 0.5, 0.5, 0.1, None, 0.9, 0.5, None, 0.3, 0.5, 0.0, 1.0]
    if field == "authority":
        values = [None if v is None else int(v * 100) for v in values]
    for i, value in enumerate(values):
        await _lead(api, campaign["id"], f"https://s{i}.test", **{field: value})
    path = f"/campaigns/{campaign['id']}/leads"
    stored = (await api.get(path, params={"limit": 1000})).json()
    scored = sorted((x for x in stored if x[field] is not None), key=lambda x: (x[field], x["id"]))
    unscored = sorted((x["id"] for x in stored if x[field] is None), reverse=True)
    expected = [x["id"] for x in reversed(scored)] + unscored
    walked: list[str] = []
    params: dict[str, Any] = {"sort": sort, "limit": limit}
    while True:
        response = await api.get(path, params=params)
        assert response.status_code == 200, response.text
        walked += [lead["id"] for lead in response.json()]
        if "X-Next-Cursor" not in response.headers:
            break
        params["cursor"] = response.headers["X-Next-Cursor"]
    assert walked == expected
    only = await api.get(path, params={"sort": sort, "q": "s1", "status": "discovered"})
    assert [x["id"] for x in only.json()] == [i for i in expected if i in _ids(stored, "s1")]


def _ids(leads: list[dict[str, Any]], q: str) -> set[str]:
    return {x["id"] for x in leads if q in x["domain"]}
