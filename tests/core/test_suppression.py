from __future__ import annotations

from tests.conftest import Api


async def test_add_and_list(api: Api) -> None:
    first = await api.post("/suppression", json={"email": " Ed@Site.TEST ", "reason": "asked"})
    assert first.status_code == 201
    record = first.json()
    assert record["email"] == "ed@site.test" and record["source"] == "manual"
    assert record["workspace_id"] == "user_a" and record["id"].startswith("sup_")
    again = await api.post("/suppression", json={"email": "ed@site.test"})
    assert again.status_code == 201 and again.json()["id"] == record["id"]
    wildcard = await api.post("/suppression", json={"email": "*@Spam.TEST"})
    assert wildcard.status_code == 201 and wildcard.json()["email"] == "*@spam.test"
    listed = (await api.get("/suppression")).json()
    assert [r["email"] for r in listed] == ["ed@site.test", "*@spam.test"]
    assert (await api.get("/suppression", user="user_b")).json() == []
    assert (await api.get("/suppression", org="org_x")).json() == []


async def test_invalid_entries_are_422(api: Api) -> None:
    for email in (
        "",
        "nope",
        "*@",
        "*@not a domain",
        "a@b@c.test",
        "x" * 400 + "@a.test",
        "a\x00@b.test",
    ):
        response = await api.post("/suppression", json={"email": email})
        assert response.status_code == 422, email
        assert isinstance(response.json()["detail"], list)
    assert (await api.get("/suppression")).json() == []


async def _suppressed(api: Api, address: str, user: str = "user_a") -> bool:
    """Through the policy check, the public question "may this address be emailed?"."""
    body = {"recipient_email": address, "sender_email": "outreach@sender.test"}
    response = await api.post("/policy/validate", json=body, user=user)
    assert response.status_code == 200, response.text
    reason: str | None = response.json()["reason"]
    return reason == "suppressed"


async def test_wildcard_matches_exactly_that_domain(api: Api) -> None:
    await api.post("/suppression", json={"email": "*@example.test"})
    await api.post("/suppression", json={"email": "one@other.test"})
    assert await _suppressed(api, "anyone@example.test")
    assert await _suppressed(api, "ANYONE@Example.TEST")
    assert not await _suppressed(api, "x@sub.example.test")
    assert await _suppressed(api, "one@other.test")
    assert not await _suppressed(api, "two@other.test")
    assert not await _suppressed(api, "anyone@example.test", user="user_b")
