"""Shared set-up of the campaign screens' page tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


async def add_leads(api: Api, campaign_id: str, count: int, user: str = "user_a") -> list[Any]:
    entries = [
        {"website_url": f"site{i}.example", "contact_email": f"editor@site{i}.example"}
        for i in range(count)
    ]
    added = await api.post(f"/campaigns/{campaign_id}/leads/bulk", user=user, json=entries)
    assert added.status_code == 200 and added.json()["added"] == count, added.text
    listed = await api.get(f"/campaigns/{campaign_id}/leads?limit=1000", user=user)
    leads: list[Any] = listed.json()
    return leads
