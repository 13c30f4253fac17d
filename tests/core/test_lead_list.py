"""`GET /campaigns/{id}/leads`: filters, sorts and tenancy (pages: test_pages.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, create_campaign

LEADS: list[dict[str, Any]] = [
    {"website_url": "https://alpha.test", "website_title": "Green Thumb", "quality_score": 0.2,
     "relevance_score": 0.9},
    {"website_url": "https://beta.test", "contact_email": "Editor@GreenMail.test",
     "quality_score": 0.8, "guest_post_likelihood": 0.1},
    {"website_url": "https://gamma.test", "contact_name": "Jane GREENE", "quality_score": 0.5},
    {"website_url": "https://delta.test", "website_title": "100% organic_food"},
    {"website_url": "https://greenhouse.test"},
]  # fmt: skip


async def _campaign_with_leads(api: Api) -> tuple[str, dict[str, str]]:
    campaign = await create_campaign(api)
    ids = {}
    for lead in LEADS:  # one by one: distinct created_at, in this order
        response = await api.post(f"/campaigns/{campaign['id']}/leads", json=lead)
        assert response.status_code == 201, response.text
        ids[response.json()["domain"]] = response.json()["id"]
    return campaign["id"], ids


async def _domains(api: Api, campaign_id: str, **params: Any) -> list[str]:
    response = await api.get(f"/campaigns/{campaign_id}/leads", params=params)
    assert response.status_code == 200, response.text
    return [lead["domain"] for lead in response.json()]


async def test_default_is_oldest_first_with_every_field(api: Api) -> None:
    campaign_id, _ids = await _campaign_with_leads(api)
    response = await api.get(f"/campaigns/{campaign_id}/leads")
    full = (await api.get(f"/campaigns/{campaign_id}")).json()["leads"]
    assert response.json() == full  # the same Lead objects as the campaign read
    assert [lead["domain"] for lead in full][0] == "alpha.test"


async def test_q_matches_four_columns_case_blind(api: Api) -> None:
    campaign_id, _ids = await _campaign_with_leads(api)
    assert await _domains(api, campaign_id, q="GREEN") == [
        "alpha.test",  # website title
        "beta.test",  # contact email
        "gamma.test",  # contact name
        "greenhouse.test",  # domain
    ]
    assert await _domains(api, campaign_id, q="nothing-like-it") == []
    # LIKE's wildcards are literal characters in q.
    assert await _domains(api, campaign_id, q="100%") == ["delta.test"]
    assert await _domains(api, campaign_id, q="n_c") == []  # a wildcard `_` would match "nic"
    assert await _domains(api, campaign_id, q="_food") == ["delta.test"]


async def test_status_filter(api: Api) -> None:
    campaign_id, ids = await _campaign_with_leads(api)
    for domain in ("beta.test", "greenhouse.test"):
        response = await api.patch(
            f"/campaigns/{campaign_id}/leads/{ids[domain]}/status", json={"status": "replied"}
        )
        assert response.status_code == 200
    assert await _domains(api, campaign_id, status="replied") == ["beta.test", "greenhouse.test"]
    assert await _domains(api, campaign_id, status="replied", q="house") == ["greenhouse.test"]
    assert await _domains(api, campaign_id, status="placed") == []


async def test_sorts_put_missing_scores_last_both_ways(api: Api) -> None:
    campaign_id, ids = await _campaign_with_leads(api)
    assert await _domains(api, campaign_id, sort="quality_score") == [
        "alpha.test", "gamma.test", "beta.test", "delta.test", "greenhouse.test"
    ]  # fmt: skip
    descending = await _domains(api, campaign_id, sort="-quality_score")
    assert descending[:3] == ["beta.test", "gamma.test", "alpha.test"]
    # Ties (the two missing scores) go by id, reversed for a descending sort.
    unscored = sorted(["delta.test", "greenhouse.test"], key=lambda d: ids[d])
    assert descending[3:] == unscored[::-1]
    assert (await _domains(api, campaign_id, sort="-relevance_score"))[0] == "alpha.test"
    assert (await _domains(api, campaign_id, sort="guest_post_likelihood"))[0] == "beta.test"
    assert await _domains(api, campaign_id, sort="-created_at") == [
        lead["website_url"].removeprefix("https://") for lead in reversed(LEADS)
    ]


async def test_updated_at_sort_follows_changes(api: Api) -> None:
    campaign_id, ids = await _campaign_with_leads(api)
    response = await api.patch(
        f"/campaigns/{campaign_id}/leads/{ids['alpha.test']}/status", json={"status": "lost"}
    )
    assert response.status_code == 200
    assert (await _domains(api, campaign_id, sort="-updated_at"))[0] == "alpha.test"
    assert (await _domains(api, campaign_id, sort="updated_at"))[-1] == "alpha.test"


@pytest.mark.parametrize("sort", ["quality_score", "-quality_score", "-updated_at"])
async def test_pages_of_a_sort_are_the_whole_sort(api: Api, sort: str) -> None:
    campaign = await create_campaign(api)
    scores = [None, 0.5, 0.5, 0.1, None, 0.9, 0.5, None, 0.3, 0.5, 0.0, 1.0]
    body = [
        {"website_url": f"https://s{i}.test", "quality_score": score}
        for i, score in enumerate(scores)
    ]
    assert (await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=body)).status_code == 200
    path = f"/campaigns/{campaign['id']}/leads"
    whole = [lead["id"] for lead in (await api.get(path, params={"sort": sort})).json()]
    walked: list[str] = []
    params: dict[str, Any] = {"sort": sort, "limit": 2}
    while True:
        response = await api.get(path, params=params)
        walked += [lead["id"] for lead in response.json()]
        if "X-Next-Cursor" not in response.headers:
            break
        params["cursor"] = response.headers["X-Next-Cursor"]
    assert walked == whole and len(whole) == len(scores)


async def test_new_list_defaults_to_100(api: Api) -> None:
    campaign = await create_campaign(api)
    body = [{"website_url": f"https://s{i}.test"} for i in range(101)]
    await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=body)
    response = await api.get(f"/campaigns/{campaign['id']}/leads")
    assert len(response.json()) == 100 and "X-Next-Cursor" in response.headers


async def test_unknown_filter_values_are_422(api: Api) -> None:
    campaign_id, _ids = await _campaign_with_leads(api)
    for params in (
        {"status": "archived"},
        {"sort": "domain"},
        {"sort": "--created_at"},
        {"sort": "+quality_score"},
        {"q": "a\x00b"},
        {"q": "x" * 201},
    ):
        response = await api.get(f"/campaigns/{campaign_id}/leads", params=params)
        assert response.status_code == 422, params
        assert isinstance(response.json()["detail"], list)


async def test_another_workspaces_campaign_is_404(api: Api) -> None:
    campaign_id, _ids = await _campaign_with_leads(api)
    for user, org in (("user_b", None), ("user_b", "org_x")):
        response = await api.get(f"/campaigns/{campaign_id}/leads", user=user, org=org)
        assert response.status_code == 404
        assert response.json() == {"detail": "Resource not found"}
    missing = await api.get("/campaigns/cmp_nope/leads")
    assert missing.status_code == 404
    assert (await api.get(f"/campaigns/{campaign_id}/leads", auth=False)).status_code == 401
