"""The placement endpoints' contract: lead fields, validation, tenancy, lists and pages, the CSV
export and the analytics figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from tests.conftest import Api, create_campaign
from tests.placements.conftest import place, placed_lead, recheck
from tests.placements.web import TARGET, LinkSite, article, link, page

AddSite = Callable[..., LinkSite]
NOT_FOUND = {"detail": "Resource not found"}


async def test_leads_carry_target_url_and_anchor_text(papi: Api) -> None:
    campaign = await create_campaign(papi)
    response = await papi.post(
        f"/campaigns/{campaign['id']}/leads",
        json={
            "website_url": "https://a.example",
            "target_url": " https://ours.example/page ",
            "anchor_text": "  best compost ",
        },
    )
    assert response.status_code == 201, response.text
    lead = response.json()
    assert (lead["target_url"], lead["anchor_text"]) == (
        "https://ours.example/page",
        "best compost",
    )
    blank = await papi.post(
        f"/campaigns/{campaign['id']}/leads",
        json={"website_url": "https://b.example", "target_url": " ", "anchor_text": ""},
    )
    assert (blank.json()["target_url"], blank.json()["anchor_text"]) == (None, None)
    shown = (await papi.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    assert shown[0]["target_url"] == "https://ours.example/page"
    exported = (await papi.get(f"/campaigns/{campaign['id']}/export/leads")).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["target_url"] == "https://ours.example/page"
    assert rows[0]["anchor_text"] == "best compost"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_url", "ftp://ours.example/page"),
        ("target_url", "not a url"),
        ("target_url", "https://ours.example/" + "a" * 2048),
        ("target_url", 42),
        ("anchor_text", "a" * 501),
        ("anchor_text", "nul\x00byte"),
    ],
)
async def test_bad_lead_fields_are_422_and_bulk_failures(
    papi: Api, field: str, value: object
) -> None:
    campaign = await create_campaign(papi)
    entry = {"website_url": "https://a.example", field: value}
    single = await papi.post(f"/campaigns/{campaign['id']}/leads", json=entry)
    assert single.status_code == 422
    assert single.json()["detail"][0]["loc"] == ["body", field]
    bulk = await papi.post(
        f"/campaigns/{campaign['id']}/leads/bulk",
        json=[entry, {"website_url": "https://b.example", "target_url": TARGET}],
    )
    assert bulk.status_code == 200
    assert bulk.json()["added"] == 1 and bulk.json()["failed"][0].startswith(f"0: {field}:")


async def test_bulk_add_stores_the_placement_fields(papi: Api, add_site: AddSite) -> None:
    campaign = await create_campaign(papi)
    bulk = await papi.post(
        f"/campaigns/{campaign['id']}/leads/bulk",
        json=[{"website_url": "https://a.example", "target_url": TARGET, "anchor_text": "guide"}],
    )
    assert bulk.json()["added"] == 1
    lead = (await papi.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert (lead["target_url"], lead["anchor_text"]) == (TARGET, "guide")
    blog = add_site(**{"/post": page(article(link(text="Guide")))})
    found = await place(papi, campaign["id"], lead["id"], f"http://{blog.host}/post")
    # The lead's target and expected anchor are the defaults.
    assert found["target_url"] == TARGET and found["link"]["anchor_matches"] is True


async def test_a_placement_needs_a_target(papi: Api) -> None:
    campaign_id, lead_id = await placed_lead(papi, target_url=None)
    response = await papi.post(
        f"/campaigns/{campaign_id}/leads/{lead_id}/placement",
        json={"placement_url": "http://blog.example/post"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "target_url"],
                "msg": "target_url is required: give it here or set it on the lead",
                "type": "missing",
            }
        ]
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"placement_url": "javascript:alert(1)"},
        {"placement_url": "http://blog.example/post", "target_url": "mailto:a@b.example"},
        {"placement_url": "http://blog.example/post", "anchor_text": ["x"]},
        {"placement_url": "http://blog.example/" + "p" * 2100},
        {"placement_url": None},
    ],
)
async def test_bad_placement_bodies_are_422(papi: Api, body: dict[str, object]) -> None:
    campaign_id, lead_id = await placed_lead(papi)
    response = await papi.post(f"/campaigns/{campaign_id}/leads/{lead_id}/placement", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_other_workspaces_see_404(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    path = f"/campaigns/{campaign_id}/leads/{lead_id}/placement"
    body = {"placement_url": f"http://{blog.host}/post"}
    for response in (
        await papi.post(path, user="user_b", json=body),
        await papi.post(f"/placements/{placement['id']}/check", user="user_b"),
        await papi.get(f"/campaigns/{campaign_id}/placements", user="user_b"),
        await papi.get(f"/campaigns/{campaign_id}/export/placements", user="user_b"),
        await papi.post(f"/campaigns/{campaign_id}/leads/lead_nope/placement", json=body),
        await papi.post("/placements/plc_nope/check"),
        await papi.post("/placements/plc_%00/check"),
    ):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert (await papi.get("/placements", user="user_b")).json() == []
    unauthenticated = await papi.get("/placements", auth=False)
    assert unauthenticated.status_code == 401


async def test_a_new_page_starts_a_new_record_and_a_recheck_keeps_history(
    papi: Api, add_site: AddSite
) -> None:
    blog = add_site(**{"/a": page(article(link())), "/b": page(article("no link"))})
    campaign_id, lead_id = await placed_lead(papi)
    first = await place(papi, campaign_id, lead_id, f"http://{blog.host}/a")
    same = await place(papi, campaign_id, lead_id, f"http://{blog.host}/a")
    assert same["id"] == first["id"] and len(same["history"]) == 2
    moved = await place(papi, campaign_id, lead_id, f"http://{blog.host}/b")
    assert moved["id"] == first["id"] and moved["status"] == "missing"
    assert len(moved["history"]) == 1 and moved["first_seen_at"] is None
    listed = (await papi.get(f"/campaigns/{campaign_id}/placements")).json()
    assert [p["id"] for p in listed] == [first["id"]]


async def test_lists_filter_and_page(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/live": page(article(link())), "/none": page(article("nothing"))})
    campaign = await create_campaign(papi)
    ids = []
    for n in range(5):
        lead = await papi.post(
            f"/campaigns/{campaign['id']}/leads",
            json={"website_url": f"https://l{n}.example", "target_url": TARGET},
        )
        path = "/live" if n % 2 == 0 else "/none"
        placed = await place(papi, campaign["id"], lead.json()["id"], f"http://{blog.host}{path}")
        ids.append(placed["id"])
    first = await papi.get(f"/campaigns/{campaign['id']}/placements", params={"limit": 2})
    assert [p["id"] for p in first.json()] == ids[:2]
    cursor = first.headers["X-Next-Cursor"]
    assert 'rel="next"' in first.headers["Link"] and f"cursor={cursor}" in first.headers["Link"]
    second = await papi.get(
        f"/campaigns/{campaign['id']}/placements", params={"limit": 2, "cursor": cursor}
    )
    third = await papi.get(
        f"/campaigns/{campaign['id']}/placements",
        params={"limit": 2, "cursor": second.headers["X-Next-Cursor"]},
    )
    assert [p["id"] for p in second.json() + third.json()] == ids[2:]
    assert "Link" not in third.headers and "X-Next-Cursor" not in third.headers
    live = (await papi.get("/placements", params={"status": "live"})).json()
    assert [p["id"] for p in live] == ids[0::2]
    missing = (await papi.get("/placements", params={"status": "missing"})).json()
    assert [p["id"] for p in missing] == ids[1::2]
    for params in ({"status": "gone"}, {"limit": 0}, {"limit": 1001}, {"cursor": "%%%"}):
        response = await papi.get("/placements", params=params)
        assert response.status_code == 422, params
        assert isinstance(response.json()["detail"], list)


async def test_the_placement_export(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/post": page(article(link(text="=HYPERLINK(1)", rel="sponsored")))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    await recheck(papi, placement["id"])
    response = await papi.get(f"/campaigns/{campaign_id}/export/placements")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{campaign_id}-placements.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == placement["id"] and row["status"] == "live"
    assert row["link_anchor_text"] == "'=HYPERLINK(1)"  # formula guard
    assert row["link_rel"] == "sponsored" and row["link_in_content"] == "true"
    history = row["history"].split(";")
    assert len(history) == 2 and history[0].endswith(" live 200")
    assert list(rows[0])[:6] == [
        "id",
        "lead_id",
        "campaign_id",
        "placement_url",
        "target_url",
        "status",
    ]


async def test_analytics_and_snapshot_count_links(papi: Api, add_site: AddSite) -> None:
    blog = add_site(
        **{
            "/follow": page(article(link())),
            "/nofollow": page(article(link(rel="nofollow"))),
            "/ugc": page(article(link(rel="ugc"))),
            "/gone": page(article(link())),
        }
    )
    campaign = await create_campaign(papi)
    placements = {}
    for path in ("/follow", "/nofollow", "/ugc", "/gone"):
        lead = await papi.post(
            f"/campaigns/{campaign['id']}/leads",
            json={"website_url": f"https://x{path[1:]}.example", "target_url": TARGET},
        )
        placed = await place(papi, campaign["id"], lead.json()["id"], f"http://{blog.host}{path}")
        placements[path] = placed["id"]
    blog.routes["/gone"] = page(article("removed"))
    blog.routes["/ugc"] = page(article("removed"))
    for path in ("/gone", "/gone", "/ugc"):
        await recheck(papi, placements[path])
    analytics = (await papi.get(f"/campaigns/{campaign['id']}/analytics")).json()
    assert (analytics["live_links"], analytics["lost_links"], analytics["nofollow_links"]) == (
        2,
        1,
        1,
    )
    assert analytics["leads_by_status"]["placed"] == 4
    other = await create_campaign(papi)
    empty = (await papi.get(f"/campaigns/{other['id']}/analytics")).json()
    assert (empty["live_links"], empty["lost_links"], empty["nofollow_links"]) == (0, 0, 0)
    snapshot = (await papi.get("/reporting/snapshot")).json()
    assert (snapshot["live_links"], snapshot["lost_links"], snapshot["nofollow_links"]) == (
        2,
        1,
        1,
    )
    elsewhere = (await papi.get("/reporting/snapshot", user="user_b")).json()
    assert elsewhere["live_links"] == 0


async def test_deleting_the_campaign_removes_its_placements(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert (await papi.delete(f"/campaigns/{campaign_id}")).status_code == 204
    assert (await papi.post(f"/placements/{placement['id']}/check")).status_code == 404
    assert (await papi.get("/placements")).json() == []
