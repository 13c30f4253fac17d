"""Workspaces: a user's personal one plus the token's active organisation; anything else is 404."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, create_campaign

NOT_FOUND = {"detail": "Resource not found"}


async def _seed(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    campaign = await create_campaign(api, user="alice")
    lead = (
        await api.post(
            f"/campaigns/{campaign['id']}/leads",
            user="alice",
            json={"website_url": "https://alice-site.test"},
        )
    ).json()
    template = (
        await api.post(
            "/emails/templates",
            user="alice",
            json={"name": "T", "subject": "Hi {name}", "body": "Hello"},
        )
    ).json()
    return campaign, lead, template


async def test_other_users_and_orgs_get_404_on_everything(api: Api) -> None:
    campaign, lead, template = await _seed(api)
    cid, lid, tid = campaign["id"], lead["id"], template["id"]
    for who in ({"user": "bob"}, {"user": "carol", "org": "org_other"}):
        calls = [
            api.get(f"/campaigns/{cid}", **who),
            api.delete(f"/campaigns/{cid}", **who),
            api.post(f"/campaigns/{cid}/leads", json={"website_url": "https://x.test"}, **who),
            api.post(
                f"/campaigns/{cid}/leads/bulk", json=[{"website_url": "https://y.test"}], **who
            ),
            api.patch(f"/campaigns/{cid}/leads/{lid}/status", json={"status": "lost"}, **who),
            api.patch(
                f"/campaigns/{cid}/leads/bulk-status",
                json={"lead_ids": [lid], "status": "lost"},
                **who,
            ),
            api.get(f"/emails/templates/{tid}", **who),
            api.delete(f"/emails/templates/{tid}", **who),
            api.get("/campaigns", params={"workspace_id": "alice"}, **who),
        ]
        for call in calls:
            response = await call
            assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert (await api.get("/campaigns", **who)).json() == []
        assert (await api.get("/emails/templates", **who)).json() == []
    # Nothing changed for alice.
    again = (await api.get(f"/campaigns/{cid}", user="alice")).json()
    assert [lead["status"] for lead in again["leads"]] == ["discovered"]
    assert len(again["leads"]) == 1
    assert (await api.get(f"/emails/templates/{tid}", user="alice")).status_code == 200


async def test_members_of_one_org_share_its_campaigns(api: Api) -> None:
    shared = await create_campaign(api, user="alice", org="org_acme")
    personal = await create_campaign(api, user="alice")
    assert shared["workspace_id"] == "org_acme"
    assert personal["workspace_id"] == "alice"
    seen_by_bob = (await api.get("/campaigns", user="bob", org="org_acme")).json()
    assert [c["id"] for c in seen_by_bob] == [shared["id"]]
    assert (
        await api.get(f"/campaigns/{shared['id']}", user="bob", org="org_acme")
    ).status_code == 200
    assert (
        await api.get(f"/campaigns/{personal['id']}", user="bob", org="org_acme")
    ).status_code == 404
    # Alice, acting in the org, can still list her personal workspace explicitly.
    mine = (
        await api.get("/campaigns", user="alice", org="org_acme", params={"workspace_id": "alice"})
    ).json()
    assert [c["id"] for c in mine] == [personal["id"]]
    # Without the org in the token, bob no longer sees it.
    assert (await api.get(f"/campaigns/{shared['id']}", user="bob")).status_code == 404
