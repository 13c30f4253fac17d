"""Every string field of every endpoint, as a table: how to put a value in it, and what may
happen when the request is accepted (`kind`):

- `store`: one new row in `table` whose `column` holds the value verbatim (`expect` gives the
  stored form: addresses are lowercased), echoed in the response; nothing else changes.
- `echo`: nothing in the database changes (writers, policy checks, lookups that list).
- `refuse`: the value can never be valid here (an id, an enum): 4xx, nothing changes.
- `bulk`: 200 with the entry either added verbatim or listed in `failed[]`.
- `send` (fields_mail.py): a real send (outbox folder): the attempt holds the text
  verbatim; only the attempt, its follow-ups, the sender's day counter and the target
  lead's status may change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tests.conftest import Api
from tests.hostile.conftest import World

Built = tuple[str, str, Any, dict[str, str] | None]  # method, path, json body, query params
Build = Callable[[Api, World, str, int], Awaitable[Built]]


@dataclass(frozen=True)
class Field:
    label: str
    build: Build
    kind: str
    table: str | None = None
    column: str | None = None
    out: Callable[[Any], Any] | None = None
    expect: Callable[[str], Any] = str
    # The value sits inside a URL or an address: stored and returned containing it verbatim.
    embedded: bool = False


def body(method: str, path: Callable[[World], str], make: Callable[[str, int], Any]) -> Build:
    async def build(api: Api, w: World, value: str, i: int) -> Built:
        return method, path(w), make(value, i), None

    return build


def at_path(method: str, path: Callable[[World, str], str], payload: Any = None) -> Build:
    async def build(api: Api, w: World, value: str, i: int) -> Built:
        return method, path(w, quote(value, safe="")), payload, None

    return build


def query(path: Callable[[World], str], name: str) -> Build:
    async def build(api: Api, w: World, value: str, i: int) -> Built:
        return "GET", path(w), None, {name: value}

    return build


def _leads(w: World) -> str:
    return f"/campaigns/{w.campaign['id']}/leads"


def _lead(**fields: Any) -> Callable[[str, int], Any]:
    def make(value: str, i: int) -> Any:
        base: dict[str, Any] = {"website_url": f"https://lead{i}.test/"}
        for key, template in fields.items():
            base[key] = template.format(v=value, i=i) if isinstance(template, str) else value
        return base

    return make


def _lower(value: str) -> str:
    return value.lower()


def _get(key: str) -> Callable[[Any], Any]:
    return lambda data: data[key]


V = "{v}"
CAMPAIGN = "/campaigns"
FIELDS: list[Field] = [
    # campaigns
    Field(
        "POST /campaigns name",
        body("POST", lambda w: CAMPAIGN, lambda v, i: {"name": v}),
        "store",
        "campaigns",
        "name",
        _get("name"),
    ),
    Field(
        "POST /campaigns description",
        body("POST", lambda w: CAMPAIGN, lambda v, i: {"name": "n", "description": v}),
        "store",
        "campaigns",
        "description",
        _get("description"),
    ),
    Field(
        "POST /campaigns keywords[0]",
        body("POST", lambda w: CAMPAIGN, lambda v, i: {"name": "n", "keywords": [v]}),
        "store",
        "campaigns",
        "keywords",
        lambda d: d["keywords"],
        embedded=True,
    ),
    Field("GET /campaigns?workspace_id=", query(lambda w: CAMPAIGN, "workspace_id"), "refuse"),
    Field("GET /campaigns/{id}", at_path("GET", lambda w, v: f"/campaigns/{v}"), "refuse"),
    Field("DELETE /campaigns/{id}", at_path("DELETE", lambda w, v: f"/campaigns/{v}"), "refuse"),
    # leads
    Field(
        "POST leads website_url",
        body("POST", _leads, _lead(website_url="https://lead{i}.test/{v}")),
        "store",
        "leads",
        "website_url",
        _get("website_url"),
        embedded=True,
    ),
    Field(
        "POST leads website_title",
        body("POST", _leads, _lead(website_title=V)),
        "store",
        "leads",
        "website_title",
        _get("website_title"),
    ),
    Field(
        "POST leads contact_email",
        body("POST", _leads, _lead(contact_email="{v}{i}@mail.test")),
        "store",
        "leads",
        "contact_email",
        _get("contact_email"),
        _lower,
        True,
    ),
    Field(
        "POST leads contact_name",
        body("POST", _leads, _lead(contact_name=V)),
        "store",
        "leads",
        "contact_name",
        _get("contact_name"),
    ),
    Field(
        "POST leads notes",
        body("POST", _leads, _lead(notes=V)),
        "store",
        "leads",
        "notes",
        _get("notes"),
    ),
    Field(
        "POST leads source",
        body("POST", _leads, _lead(source=V)),
        "store",
        "leads",
        "source",
        _get("source"),
    ),
    Field(
        "POST leads/bulk [0].notes",
        body("POST", lambda w: _leads(w) + "/bulk", lambda v, i: [_lead(notes=V)(v, i)]),
        "bulk",
        "leads",
        "notes",
    ),
    Field(
        "POST leads/bulk [0].website_url",
        body(
            "POST",
            lambda w: _leads(w) + "/bulk",
            lambda v, i: [_lead(website_url="https://bulk{i}.test/{v}")(v, i)],
        ),
        "bulk",
        "leads",
        "website_url",
        embedded=True,
    ),
    Field(
        "PATCH leads/{lead_id}/status (path)",
        at_path("PATCH", lambda w, v: f"{_leads(w)}/{v}/status", {"status": "lost"}),
        "refuse",
    ),
    Field(
        "PATCH leads/{id}/status status",
        body("PATCH", lambda w: f"{_leads(w)}/{w.lead['id']}/status", lambda v, i: {"status": v}),
        "refuse",
    ),
    Field(
        "PATCH leads/bulk-status lead_ids[0]",
        body(
            "PATCH",
            lambda w: _leads(w) + "/bulk-status",
            lambda v, i: {"lead_ids": [v], "status": "lost"},
        ),
        "echo",
        out=_get("failed"),
        expect=lambda v: [v],
    ),
    Field(
        "PATCH leads/bulk-status status",
        body(
            "PATCH",
            lambda w: _leads(w) + "/bulk-status",
            lambda v, i: {"lead_ids": [], "status": v},
        ),
        "refuse",
    ),
    # discovery
    Field(
        "POST /discover/deep keyword",
        body("POST", lambda w: "/discover/deep", lambda v, i: {"keyword": v}),
        "echo",
    ),
    Field(
        "POST /discover/deep campaign_id",
        body(
            "POST",
            lambda w: "/discover/deep",
            lambda v, i: {"keyword": "seo", "campaign_id": v, "save_to_campaign": True},
        ),
        "refuse",
    ),
]
