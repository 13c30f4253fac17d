"""A campaign's page: the leads table (filters, search, sorting, keyset pages), bulk status and
adding a lead, on both backends."""

from __future__ import annotations

import html
import re

from tests.conftest import Api, create_campaign
from tests.web.campaign_support import add_leads
from tests.web.client import WebClient
from tests.web.client import error_texts as escaped_errors


def error_texts(page: str) -> list[str]:
    return [html.unescape(text) for text in escaped_errors(page)]


def domains_shown(page: str) -> list[str]:
    return re.findall(r'/leads/lead_[A-Za-z0-9]+">([^<]+)</a>', page)


def next_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', page)
    return html.unescape(found.group(1)) if found else None


async def test_an_empty_campaign_says_what_to_do_next(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    page = await web.get(f"/app/campaigns/{made['id']}")
    assert page.status_code == 200
    assert "No leads yet" in page.text
    assert f'href="/app/campaigns/{made["id"]}/import"' in page.text


async def test_pages_follow_the_keyset_and_keep_the_filters(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    await add_leads(api, made["id"], 120)
    first = await web.get(f"/app/campaigns/{made['id']}?sort=created_at")
    shown = domains_shown(first.text)
    assert len(shown) == 50 and shown[0] == "site0.example"
    seen = list(shown)
    link = next_link(first.text)
    while link:
        assert "sort=created_at" in link
        page = await web.get(link)
        assert page.status_code == 200
        seen += domains_shown(page.text)
        link = next_link(page.text)
    assert seen == [f"site{i}.example" for i in range(120)]
    newest = domains_shown((await web.get(f"/app/campaigns/{made['id']}")).text)
    assert newest[0] == "site119.example"  # the default order: newest first


async def test_filters_search_and_bad_values_in_words(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    leads = await add_leads(api, made["id"], 12)
    await api.patch(
        f"/campaigns/{made['id']}/leads/{leads[3]['id']}/status", json={"status": "replied"}
    )
    replied = await web.get(f"/app/campaigns/{made['id']}?status=replied")
    assert domains_shown(replied.text) == ["site3.example"]
    searched = await web.get(f"/app/campaigns/{made['id']}?q=SITE1")
    assert sorted(domains_shown(searched.text)) == [
        "site1.example",
        "site10.example",
        "site11.example",
    ]
    nothing = await web.get(f"/app/campaigns/{made['id']}?q=nomatch")
    assert "No lead matches these filters." in nothing.text
    bad = await web.get(f"/app/campaigns/{made['id']}?status=gone&sort=name")
    assert bad.status_code == 200
    assert "Choose one of the statuses in the list." in error_texts(bad.text)
    assert "Choose one of the orders in the list." in error_texts(bad.text)
    expired = await web.get(f"/app/campaigns/{made['id']}?cursor=notacursor")
    assert expired.status_code == 200 and "That page link has expired" in expired.text


async def test_a_crawled_title_is_escaped(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    title = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    added = await api.post(
        f"/campaigns/{made['id']}/leads",
        json={"website_url": "evil.example", "website_title": title},
    )
    assert added.status_code == 201
    page = await web.get(f"/app/campaigns/{made['id']}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


async def test_bulk_status_changes_the_ticked_leads(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    leads = await add_leads(api, made["id"], 4)
    back = f"/app/campaigns/{made['id']}?status=discovered"
    await web.get(back)
    changed = await web.client.post(
        f"/app/campaigns/{made['id']}/bulk-status",
        data={
            "csrf_token": web.csrf_token,
            "lead_ids": [leads[0]["id"], leads[2]["id"]],
            "bulk_status": "lost",
            "back": back,
        },
    )
    assert changed.status_code == 303 and changed.headers["location"] == back
    statuses = {
        lead["domain"]: lead["status"]
        for lead in (await api.get(f"/campaigns/{made['id']}/leads")).json()
    }
    assert statuses == {
        "site0.example": "lost",
        "site1.example": "discovered",
        "site2.example": "lost",
        "site3.example": "discovered",
    }
    # Nothing ticked, or no status: 422 with the words next to the control.
    none = await web.post(f"/app/campaigns/{made['id']}/bulk-status", {"bulk_status": "lost"})
    assert none.status_code == 422 and "Tick at least one lead." in error_texts(none.text)
    no_status = await web.post(
        f"/app/campaigns/{made['id']}/bulk-status", {"lead_ids": leads[1]["id"]}
    )
    assert no_status.status_code == 422
    assert "Choose the status to set." in error_texts(no_status.text)
    # Never a redirect off this campaign's page.
    away = await web.post(
        f"/app/campaigns/{made['id']}/bulk-status",
        {"lead_ids": leads[1]["id"], "bulk_status": "lost", "back": "https://evil.example/"},
    )
    assert away.headers["location"] == f"/app/campaigns/{made['id']}"


async def test_bulk_status_touches_no_other_campaigns_leads(web: WebClient, api: Api) -> None:
    mine = await create_campaign(api)
    theirs = await create_campaign(api, user="user_b")
    their_leads = await add_leads(api, theirs["id"], 1, user="user_b")
    await web.get("/app/campaigns")
    sent = await web.post(
        f"/app/campaigns/{mine['id']}/bulk-status",
        {"lead_ids": their_leads[0]["id"], "bulk_status": "lost"},
    )
    assert sent.status_code == 303
    still = (await api.get(f"/campaigns/{theirs['id']}/leads", user="user_b")).json()
    assert still[0]["status"] == "discovered"


async def test_adding_a_lead_with_errors_next_to_the_fields(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    form = await web.get(f"/app/campaigns/{made['id']}/add-lead")
    assert form.status_code == 200
    bad = await web.post(
        f"/app/campaigns/{made['id']}/add-lead",
        {"website_url": "ftp://files.example", "contact_email": "not-an-address"},
    )
    assert bad.status_code == 422
    assert 'id="f-website_url-error"' in bad.text and 'id="f-contact_email-error"' in bad.text
    blank = await web.post(f"/app/campaigns/{made['id']}/add-lead", {"website_url": ""})
    assert blank.status_code == 422
    assert "Enter the site's address, such as green.example." in error_texts(blank.text)
    added = await web.post(
        f"/app/campaigns/{made['id']}/add-lead",
        {
            "website_url": "green.example/write-for-us",
            "website_title": "Green",
            "contact_email": "ed@green.example",
            "contact_name": "Ed",
            "consent": "on",
        },
    )
    assert added.status_code == 303
    leads = (await api.get(f"/campaigns/{made['id']}/leads")).json()
    assert [(x["domain"], x["contact_name"], x["consent"]) for x in leads] == [
        ("green.example", "Ed", True)
    ]
    again = await web.post(
        f"/app/campaigns/{made['id']}/add-lead", {"website_url": "https://www.green.example"}
    )
    assert again.status_code == 422
    assert "A lead for green.example is already in this campaign." in error_texts(again.text)
