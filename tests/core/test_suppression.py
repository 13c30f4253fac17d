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


async def test_delete_an_entry(api: Api) -> None:
    record = (await api.post("/suppression", json={"email": "gone@site.test"})).json()
    assert await _suppressed(api, "gone@site.test")
    for user, org in (("user_b", None), ("user_b", "org_x")):
        other = await api.delete(f"/suppression/{record['id']}", user=user, org=org)
        assert other.status_code == 404 and other.json() == {"detail": "Resource not found"}
    assert await _suppressed(api, "gone@site.test")
    deleted = await api.delete(f"/suppression/{record['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert not await _suppressed(api, "gone@site.test")
    assert (await api.get("/suppression")).json() == []
    again = await api.delete(f"/suppression/{record['id']}")
    assert again.status_code == 404
    assert (await api.delete("/suppression/sup_a%00b")).status_code == 404


async def test_list_filters(api: Api) -> None:
    for email in ("ed@green.test", "*@GreenMail.test", "bob@other.test"):
        assert (await api.post("/suppression", json={"email": email})).status_code == 201

    async def emails(**params: str) -> list[str]:
        response = await api.get("/suppression", params=params)
        assert response.status_code == 200, response.text
        return [r["email"] for r in response.json()]

    assert await emails(q="GREEN") == ["ed@green.test", "*@greenmail.test"]
    assert await emails(q="%") == []  # a LIKE wildcard is a plain character here
    assert await emails(source="manual") == ["ed@green.test", "*@greenmail.test", "bob@other.test"]
    assert await emails(source="bounce") == []
    assert await emails(source="manual", q="other") == ["bob@other.test"]
    for params in ({"source": "spam"}, {"q": "a\x00"}, {"q": "x" * 321}):
        response = await api.get("/suppression", params=params)
        assert response.status_code == 422, params
        assert isinstance(response.json()["detail"], list)


async def test_a_bare_domain_suggests_the_wildcard(api: Api) -> None:
    for given, domain in (
        ("example.com", "example.com"),
        (" Spam.Example.CO.uk ", "spam.example.co.uk"),
    ):
        response = await api.post("/suppression", json={"email": given})
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "email"]
        assert f"*@{domain}" in error["msg"], error
    assert (await api.get("/suppression")).json() == []
    # Not a domain: the usual message, with no suggestion.
    response = await api.post("/suppression", json={"email": "nope"})
    assert response.status_code == 422 and "*@" not in response.json()["detail"][0]["msg"]
