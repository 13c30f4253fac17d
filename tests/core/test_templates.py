from __future__ import annotations

from tests.conftest import Api


async def test_create_get_list_delete(api: Api) -> None:
    created = await api.post(
        "/emails/templates",
        json={
            "name": "Pitch",
            "subject": "Guest post for {website_title}?",
            "body": "Hi {name},\n\nI loved {website}. {{not a placeholder}} "
            "Thanks, {sender_name} {name}",
            "category": "initial",
        },
    )
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["placeholders"] == ["website_title", "name", "website", "sender_name"]
    assert template["id"].startswith("tpl_") and template["workspace_id"] == "user_a"
    got = await api.get(f"/emails/templates/{template['id']}")
    assert got.json() == template
    assert [t["id"] for t in (await api.get("/emails/templates")).json()] == [template["id"]]
    assert (await api.delete(f"/emails/templates/{template['id']}")).status_code == 204
    assert (await api.get(f"/emails/templates/{template['id']}")).status_code == 404
    assert (await api.get("/emails/templates")).json() == []


async def test_malformed_placeholders_are_422(api: Api) -> None:
    for subject, body in (
        ("Hi {name", "ok"),
        ("ok", "Hello {name"),
        ("ok", "stray } brace"),
        ("ok", "empty {} braces"),
        ("ok", "{not a name}"),
        ("two\nlines", "ok"),
        ("", "ok"),
        ("ok", ""),
    ):
        response = await api.post(
            "/emails/templates", json={"name": "T", "subject": subject, "body": body}
        )
        assert response.status_code == 422, (subject, body)
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail[0]["msg"]
    assert (await api.get("/emails/templates")).json() == []
