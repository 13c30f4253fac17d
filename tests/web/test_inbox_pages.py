"""The inbox: replies newest first with their class and confidence, filters, keyset pages, one
reply in full, correcting its class and filing unmatched mail (the `/replies` services)."""

from __future__ import annotations

import re
from datetime import timedelta

from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.models import Reply
from backlink_outreach.web import inbox_pages
from tests.conftest import Api
from tests.support.database import Database
from tests.web.client import WebClient
from tests.web.mail_seed import add_sent, reply_row

_ROW_LINK = re.compile(r'<a href="/app/inbox/(rpl_[A-Za-z0-9]+)">')


async def _seed(db: Database, count: int) -> tuple[str, str, list[str]]:
    """`count` replies of user_a in two campaigns, a minute apart, every third one
    `interested`, and one reply of user_b; returns the campaigns and user_a's ids newest first."""
    start = utcnow() - timedelta(days=1)
    async with make_sessionmaker(db.engine)() as session, session.begin():
        one = await add_sent(session, "ann@seed-one.test")
        two = await add_sent(session, "bob@seed-two.test")
        theirs = await add_sent(session, "cy@seed-three.test", workspace="user_b")
        ids = []
        for i in range(count):
            row = reply_row(
                one if i % 2 == 0 else two,
                subject=f"Re: pitch number {i}",
                classification="interested" if i % 3 == 0 else "not_interested",
                confidence=0.5 + i / (2 * count),
                received_at=start + timedelta(minutes=i),
            )
            ids.append(row.id)
            session.add(row)
        session.add(reply_row(theirs, subject="Re: theirs, not yours"))
    return one.campaign.id, two.campaign.id, ids[::-1]


async def test_the_list_is_newest_first_in_pages(db: Database, web: WebClient) -> None:
    count = inbox_pages.PAGE_SIZE + 5
    _one, _two, newest_first = await _seed(db, count)
    first = await web.get("/app/inbox")
    assert first.status_code == 200
    assert _ROW_LINK.findall(first.text) == newest_first[: inbox_pages.PAGE_SIZE]
    assert "theirs, not yours" not in first.text
    assert 'badge-interested">interested' in first.text and "%</td>" in first.text
    following = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert following is not None
    second = await web.get(following.group(1).replace("&amp;", "&"))
    assert _ROW_LINK.findall(second.text) == newest_first[inbox_pages.PAGE_SIZE :]
    assert 'rel="next"' not in second.text
    bad = await web.get("/app/inbox?cursor=not-a-cursor")
    assert bad.status_code == 422 and "cursor" in bad.text


async def test_filters_by_class_campaign_and_matching(db: Database, web: WebClient) -> None:
    one, two, newest_first = await _seed(db, 9)
    interested = await web.get("/app/inbox?classification=interested")
    shown = _ROW_LINK.findall(interested.text)
    assert shown == [newest_first[i] for i in range(len(newest_first)) if (8 - i) % 3 == 0]
    in_two = _ROW_LINK.findall((await web.get(f"/app/inbox?campaign_id={two}")).text)
    assert in_two == [newest_first[i] for i in range(9) if (8 - i) % 2 == 1]
    both = await web.get(f"/app/inbox?campaign_id={one}&classification=interested")
    assert len(_ROW_LINK.findall(both.text)) == 2  # replies 0 and 6
    async with make_sessionmaker(db.engine)() as session, session.begin():
        stray = reply_row(None, subject="Partnership?", from_email="pat@stray.test")
        session.add(stray)
    unmatched = await web.get("/app/inbox?unmatched=true")
    assert _ROW_LINK.findall(unmatched.text) == [stray.id]
    filed = _ROW_LINK.findall((await web.get("/app/inbox?unmatched=false")).text)
    assert stray.id not in filed and len(filed) == 9
    searched = _ROW_LINK.findall((await web.get("/app/inbox?q=number+4")).text)
    assert searched == [newest_first[4]]
    nothing = await web.get("/app/inbox?classification=bounce")
    assert "No replies match these filters." in nothing.text
    assert (await web.get("/app/inbox?classification=spam")).status_code == 422
    assert (await web.get("/app/inbox?unmatched=maybe")).status_code == 422


async def test_another_workspaces_campaign_and_reply_are_not_found(
    db: Database, web: WebClient
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        theirs = await add_sent(session, "cy@seed-three.test", workspace="user_b")
        reply = reply_row(theirs)
        session.add(reply)
    assert (await web.get(f"/app/inbox?campaign_id={theirs.campaign.id}")).status_code == 404
    assert (await web.get(f"/app/inbox/{reply.id}")).status_code == 404
    await web.get("/app/inbox")
    corrected = await web.post(f"/app/inbox/{reply.id}/class", {"classification": "other"})
    assert corrected.status_code == 404


async def test_a_reply_in_full_and_its_class_corrected(
    db: Database, api: Api, web: WebClient
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await add_sent(session, "ann@seed-one.test")
        reply = reply_row(
            sent,
            subject="Re: <script>alert(1)</script>",
            text="No thanks, <b>not</b> for us.",
            classification="interested",
            confidence=0.61,
        )
        session.add(reply)
    url = f"/app/inbox/{reply.id}"
    page = await web.get(url)
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "No thanks, &lt;b&gt;not&lt;/b&gt; for us." in page.text
    assert "&gt; Hello, would you accept a guest post?" in page.text  # the whole body
    assert "<dt>To</dt><dd>outreach@sender.test</dd>" in page.text
    assert "61% sure" in page.text
    assert f'href="/app/campaigns/{sent.campaign.id}/leads/{sent.lead.id}"' in page.text

    corrected = await web.post(url + "/class", {"classification": "not_interested"})
    assert corrected.status_code == 303 and corrected.headers["location"] == url + "?done=corrected"
    after = await web.get(corrected.headers["location"])
    assert re.search(r'id="reply-class"><span class="badge badge-not_interested">', after.text)
    assert "interested → not interested by user_a" in after.text
    detail = (await api.get(f"/replies/{reply.id}")).json()
    assert detail["classification"] == "not_interested"
    assert [(c["from"], c["to"]) for c in detail["corrections"]] == [
        ("interested", "not_interested")
    ]
    # The correction's effects are the service's: the lead follows its new class.
    lead = (await api.get(f"/campaigns/{sent.campaign.id}")).json()["leads"][0]
    assert lead["status"] == "lost"
    wrong = await web.post(url + "/class", {"classification": "spam"})
    assert wrong.status_code == 422
    unchanged = await web.post(url + "/class", {"classification": "question"}, csrf=False)
    assert unchanged.status_code == 403
    assert (await api.get(f"/replies/{reply.id}")).json()["classification"] == "not_interested"


async def test_unmatched_mail_is_filed_under_a_lead(db: Database, api: Api, web: WebClient) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await add_sent(session, "ann@seed-one.test")
        await add_sent(session, "zed@elsewhere.test")
        theirs = await add_sent(session, "ann@seed-one.test", workspace="user_b")
        stray = reply_row(None, from_email="colleague@seed-one.test", text="Ann left; I can help.")
        session.add(stray)
    url = f"/app/inbox/{stray.id}"
    page = await web.get(url)
    # The sender's domain is searched at once: user_a's lead of that site, not user_b's.
    assert f'value="{sent.lead.id}"' in page.text
    assert theirs.lead.id not in page.text
    assert "elsewhere.test" not in page.text
    other_search = await web.get(url + "?lead_q=elsewhere")
    assert "elsewhere.test" in other_search.text
    none = await web.get(url + "?lead_q=nowhere")
    assert "No lead matches “nowhere”." in none.text

    # Not a lead of this workspace: 404, and the mail stays unmatched.
    assert (await web.post(url + "/file", {"lead_id": theirs.lead.id})).status_code == 404
    assert (await web.post(url + "/file", {})).status_code == 422
    filed = await web.post(url + "/file", {"lead_id": sent.lead.id})
    assert filed.status_code == 303
    detail = (await api.get(f"/replies/{stray.id}")).json()
    assert (detail["lead_id"], detail["unmatched"]) == (sent.lead.id, False)
    after = await web.get(filed.headers["location"])
    assert "Filed under the lead" in after.text
    assert f'href="/app/campaigns/{sent.campaign.id}/leads/{sent.lead.id}"' in after.text
    # Filed mail is not filed twice.
    assert (await web.post(url + "/file", {"lead_id": sent.lead.id})).status_code == 422
    async with make_sessionmaker(db.engine)() as session:
        assert (await session.get(Reply, stray.id)) is not None


async def test_an_empty_inbox_says_what_to_do(web: WebClient) -> None:
    page = await web.get("/app/inbox")
    assert page.status_code == 200
    assert "No replies yet." in page.text and 'href="/app/compose"' in page.text


async def test_odd_ids_and_values_are_answers_in_words_never_500(web: WebClient) -> None:
    # NUL in a path or query is refused app-wide before routing (`middleware.RejectNulBytes`);
    # in a form body it reaches the page, which must answer in words too.
    for path in (
        "/app/inbox/rpl_%00",
        "/app/inbox?campaign_id=cmp_%00",
        "/app/inbox?q=%00",
        "/app/inbox?cursor=%00",
        "/app/compose?campaign_id=cmp_%00",
        "/app/compose?campaign_id=cmp_x&lead_id=lead_%00",
        "/app/campaigns/cmp_%00/leads/lead_%00",
        "/app/placements?cursor=%00",
        "/app/inbox/rpl_x?lead_q=%00",
    ):
        response = await web.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        # A person gets a page in words, with the app's headers, not the API's JSON.
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in response.text and "Content-Security-Policy" in response.headers, path
    await web.get("/app/inbox")
    for path, form in (
        ("/app/inbox/rpl_%00/class", {"classification": "other"}),
        ("/app/inbox/rpl_x/file", {"lead_id": "lead_\x00"}),
        (
            "/app/compose/preview",
            {"campaign_id": "c\x00", "lead_id": "l", "subject": "s", "body": "b"},
        ),
        (
            "/app/compose/send",
            {"campaign_id": "c", "lead_id": "l\x00", "subject": "s", "body": "b"},
        ),
        ("/app/placements/plc_%00/check", {}),
        (
            "/app/placements",
            {"campaign_id": "c\x00", "site": "a.example", "placement_url": "https://a.example/"},
        ),
    ):
        response = await web.post(path, form)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert "<h1>" in response.text, path
