"""What the OpenAPI document says is what the server does (issue 12, item 8), and every stored
string has a validated length: 422 in API.md's shape, never a 500 from the column (PostgreSQL:
`value too long for type character varying(n)`). Runs on both backends."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from backlink_outreach.emails.schemas import BUILT_IN_PLACEHOLDERS
from backlink_outreach.emails.template_schemas import TEMPLATE_BODY, TEMPLATE_SUBJECT
from backlink_outreach.emails.templates import TemplateSyntaxError, placeholders
from backlink_outreach.validation import LINE, NON_BLANK_LINE, WORDY_LINE, is_single_line
from tests.conftest import Api, create_campaign


def _is_422(response: Any, *loc: str | int) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    assert all(set(item) >= {"loc", "msg", "type"} for item in detail), detail
    if loc:
        assert any(tuple(item["loc"][: len(loc)]) == loc for item in detail), detail


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/campaigns", "GET, POST"),
        ("PUT", "/campaigns/cmp_x", "GET, PATCH, DELETE"),
        ("OPTIONS", "/emails/templates", "GET, POST"),
        ("PUT", "/emails/templates/tpl_x", "GET, PATCH, DELETE"),
        ("OPTIONS", "/suppression", "GET, POST"),
        ("DELETE", "/unsubscribe/token", "GET, POST"),
        # Literal paths that a `{lead_id}` template also matches name only their own methods.
        ("PUT", "/campaigns/cmp_x/leads/import", "POST"),
        ("PUT", "/campaigns/cmp_x/leads/bulk", "POST"),
        ("PUT", "/campaigns/cmp_x/leads/bulk-status", "PATCH"),
        ("PUT", "/campaigns/cmp_x/leads/lead_x", "PATCH, DELETE"),
    ],
)
async def test_405_allow_names_every_method_of_the_path(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = await api.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"detail": "Method Not Allowed"}


@pytest.mark.parametrize("value", [0, 1, "true", "false", None])
async def test_booleans_are_strict(api: Api, value: Any) -> None:
    campaign = await create_campaign(api)
    lead = {"website_url": "https://strict.example", "consent": value}
    response = await api.post(f"/campaigns/{campaign['id']}/leads", json=lead)
    _is_422(response, "body", "consent")
    response = await api.post(
        "/discover/deep", json={"keyword": "gardening", "save_to_campaign": value}
    )
    _is_422(response, "body", "save_to_campaign")


async def test_numbers_are_json_numbers(api: Api) -> None:
    campaign = await create_campaign(api)
    for score in (True, "0.5"):
        lead = {"website_url": "https://score.example", "quality_score": score}
        response = await api.post(f"/campaigns/{campaign['id']}/leads", json=lead)
        _is_422(response, "body", "quality_score")
    for days in ([True, 9], ["4", 9]):
        response = await api.post("/campaigns", json={"name": "x", "follow_up_days": days})
        _is_422(response, "body", "follow_up_days", 0)
    # JSON Schema's integer includes 4.0.
    created = await create_campaign(api, follow_up_days=[4.0, 9])
    assert created["follow_up_days"] == [4, 9]


async def test_max_length_counts_the_value_sent(api: Api) -> None:
    """The schema's maxLength is of the value as sent: surrounding whitespace counts."""
    response = await api.post("/campaigns", json={"name": " " * 10 + "n" * 195})
    _is_422(response, "body", "name")


async def test_openapi_states_the_rules(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    campaign = schemas["CampaignCreate"]["properties"]
    assert re.search(campaign["name"]["pattern"], "a")
    assert not re.search(campaign["name"]["pattern"], "   ")
    days = campaign["follow_up_days"]
    assert days["uniqueItems"] is True and "strictly increasing" in days["description"]
    assert schemas["LeadCreate"]["properties"]["consent"]["type"] == "boolean"
    assert schemas["TemplateCreate"]["properties"]["category"]["anyOf"][0]["maxLength"] == 100
    generate = schemas["GenerateRequest"]
    assert generate["properties"]["variables"]["additionalProperties"] is False
    assert generate["then"]["required"] == ["campaign_id"]


def test_patterns_agree_with_the_validators() -> None:
    """The documented patterns and the validators accept the same strings."""
    rng = random.Random(8)
    alphabet = "ab _1{}\n\r\t\x00\u2028\x1c\x85"
    for _ in range(20_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        stripped = value.strip()
        line = "\x00" not in value and is_single_line(stripped)
        assert bool(re.search(LINE, value)) == line, repr(value)
        assert bool(re.search(NON_BLANK_LINE, value)) == (line and bool(stripped)), repr(value)
        wordy = line and any(ch.isalnum() for ch in stripped)
        assert bool(re.search(WORDY_LINE, value)) == wordy, repr(value)
        try:
            placeholders(value)
            grammar = "\x00" not in value
        except TemplateSyntaxError:
            grammar = False
        assert bool(re.search(TEMPLATE_BODY, value)) == (grammar and bool(stripped)), repr(value)
        subject = grammar and bool(stripped) and is_single_line(stripped)
        assert bool(re.search(TEMPLATE_SUBJECT, value)) == subject, repr(value)


async def test_built_in_placeholders_are_the_renderers(api: Api) -> None:
    """The names the personalize pattern documents are the ones it renders, no others."""
    for name in BUILT_IN_PLACEHOLDERS:
        body = {"base_email": f"Hello {{{name}}}, a note."}
        response = await api.post("/emails/personalize", json=body)
        assert response.status_code == 200, (name, response.text)
    response = await api.post("/emails/personalize", json={"base_email": "Hi {nickname}"})
    _is_422(response, "body", "base_email")


TOO_LONG_LEAD_FIELDS = {
    "website_url": "https://long.example/" + "p" * 2048,
    "website_title": "t" * 501,
    "contact_email": "a" * 300 + "@long.example",
    "contact_name": "n" * 201,
    "source": "s" * 201,
    "notes": "x" * 10_001,
}


@pytest.mark.parametrize("field", sorted(TOO_LONG_LEAD_FIELDS))
async def test_too_long_lead_field_is_422(api: Api, field: str) -> None:
    campaign = await create_campaign(api)
    lead = {"website_url": "https://fine.example", field: TOO_LONG_LEAD_FIELDS[field]}
    response = await api.post(f"/campaigns/{campaign['id']}/leads", json=lead)
    _is_422(response, "body", field)


async def test_bulk_add_reports_too_long_entries_and_adds_the_rest(api: Api) -> None:
    campaign = await create_campaign(api)
    entries: list[dict[str, Any]] = [{"website_url": "https://valid-0.example"}]
    for index, (field, value) in enumerate(sorted(TOO_LONG_LEAD_FIELDS.items())):
        entries.append({"website_url": f"https://bad-{index}.example", field: value})
    entries.append({"website_url": "https://valid-1.example", "contact_name": "Ann"})
    response = await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=entries)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["added"] == 2 and result["skipped"] == 0
    assert [item.split(":")[0] for item in result["failed"]] == [
        str(i) for i in range(1, len(entries) - 1)
    ]
    for item, (field, _value) in zip(
        result["failed"], sorted(TOO_LONG_LEAD_FIELDS.items()), strict=True
    ):
        assert item.split(": ")[1] == field, item


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/campaigns", {"name": "n" * 201}, "name"),
        ("/campaigns", {"name": "ok", "keywords": ["k" * 101]}, "keywords"),
        ("/emails/templates", {"name": "n" * 201, "subject": "s", "body": "b"}, "name"),
        ("/emails/templates", {"name": "n", "subject": "s" * 501, "body": "b"}, "subject"),
        ("/emails/templates", {"name": "n", "subject": "s", "body": "b" * 100_001}, "body"),
        # The column is String(100): 101..200 characters were a 500 on PostgreSQL.
        (
            "/emails/templates",
            {"name": "n", "subject": "s", "body": "b", "category": "c" * 101},
            "category",
        ),
        ("/suppression", {"email": "a" * 320 + "@x.example"}, "email"),
        ("/suppression", {"email": "a@x.example", "reason": "r" * 501}, "reason"),
    ],
)
async def test_too_long_value_on_create_is_422(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    response = await api.post(path, json=body)
    _is_422(response, "body", field)


async def test_longest_values_are_stored(api: Api) -> None:
    """At the limit, every value fits its column on both backends."""
    response = await api.post(
        "/emails/templates",
        json={"name": "n" * 200, "subject": "s" * 500, "body": "b", "category": "c" * 100},
    )
    assert response.status_code == 201, response.text
    campaign = await create_campaign(api, name="n" * 200, keywords=["k" * 100])
    lead = {
        "website_url": "https://fits.example/" + "p" * (2048 - 21),
        "website_title": "t" * 500,
        "contact_name": "n" * 200,
        "source": "s" * 200,
        "contact_email": "a" * 64 + "@fits.example",
    }
    response = await api.post(f"/campaigns/{campaign['id']}/leads", json=lead)
    assert response.status_code == 201, response.text
    response = await api.post("/suppression", json={"email": "b@x.example", "reason": "r" * 500})
    assert response.status_code == 201, response.text


async def test_tracked_send_knows_when_the_response_started() -> None:
    """The one helper BodySizeLimit and CatchUnhandledErrors share."""
    from backlink_outreach.middleware import _TrackedSend

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    tracked = _TrackedSend(send)
    assert not tracked.started
    await tracked({"type": "http.response.start", "status": 200, "headers": []})
    assert tracked.started
    await tracked({"type": "http.response.body", "body": b""})
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
