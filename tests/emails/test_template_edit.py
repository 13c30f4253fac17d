"""Editing templates, the placeholder catalogue, and the valid names in an unknown-name 422."""

from __future__ import annotations

from backlink_outreach.emails import fields
from backlink_outreach.sender import Sender
from tests.conftest import Api
from tests.emails.test_api import make_template


async def test_patch_changes_the_fields_given(api: Api) -> None:
    template = await make_template(api, category="pitch")
    path = f"/emails/templates/{template['id']}"
    response = await api.patch(path, json={"subject": "About {website_title}"})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["subject"] == "About {website_title}" and edited["body"] == template["body"]
    assert edited["name"] == "Pitch" and edited["category"] == "pitch"
    # Placeholders are read again from the new subject and the kept body.
    assert edited["placeholders"] == ["website_title", "first_name", "topic", "sender_name"]
    response = await api.patch(path, json={"name": "Short", "body": "Hi {name}", "category": None})
    assert response.status_code == 200
    edited = response.json()
    assert edited["placeholders"] == ["website_title", "name"]
    assert edited["name"] == "Short" and edited["category"] is None
    assert edited["id"] == template["id"] and edited["created_at"] == template["created_at"]
    assert (await api.get(path)).json() == edited
    assert (await api.patch(path, json={})).json() == edited


async def test_patch_validates_as_create_does(api: Api) -> None:
    template = await make_template(api)
    path = f"/emails/templates/{template['id']}"
    for body in (
        {"body": "Hi {name"},
        {"subject": "Hi {}"},
        {"subject": "two\nlines"},
        {"body": "   "},
        {"name": ""},
        {"category": "x" * 101},
        {"body": "a\x00b"},
    ):
        response = await api.patch(path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert isinstance(response.json()["detail"], list)
    assert (await api.get(path)).json() == template


async def test_patch_another_workspaces_template_is_404(api: Api) -> None:
    template = await make_template(api)
    for path in (f"/emails/templates/{template['id']}", "/emails/templates/tpl_missing"):
        response = await api.patch(path, user="user_b", json={"name": "Mine"})
        assert response.status_code == 404 and response.json() == {"detail": "Resource not found"}
    assert (await api.get(f"/emails/templates/{template['id']}")).json() == template


async def test_placeholders_lists_every_name_the_renderer_fills(api: Api) -> None:
    response = await api.get("/emails/placeholders")
    assert response.status_code == 200
    listed = response.json()
    sender = Sender("s@x.test", "S", None, None, "x.test", "s@x.test")
    assert [p["name"] for p in listed] == list(fields.template_values(None, sender))
    assert all(p["description"] and p["example"] for p in listed)
    assert (await api.get("/emails/placeholders", auth=False)).status_code == 401


async def test_unknown_placeholder_names_the_valid_ones(api: Api) -> None:
    template = await make_template(api, body="Hi {nickname}")
    response = await api.post(
        "/emails/generate", json={"topic": "composting", "template_id": template["id"]}
    )
    assert response.status_code == 422
    msg = response.json()["detail"][0]["msg"]
    assert "{nickname}" in msg
    listed = (await api.get("/emails/placeholders")).json()
    assert all("{" + p["name"] + "}" in msg for p in listed), msg


def test_the_renderers_error_names_the_values_it_had() -> None:
    from backlink_outreach.emails.templates import UnknownPlaceholders, render

    try:
        render("Hi {nick}", {"name": "Jo", "topic": "t"})
    except UnknownPlaceholders as exc:
        assert str(exc) == "unknown placeholder: {nick}; valid placeholders: {name}, {topic}"
    else:
        raise AssertionError("rendered an unknown name")
