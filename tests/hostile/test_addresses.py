"""IDN domains and Unicode local parts: one rule for every endpoint that takes an address.

The rule verified here: an internationalised DOMAIN is accepted everywhere and stored in its
ASCII (IDNA) form, lowercased, so `jose@bücher.de` and `jose@xn--bcher-kva.de` are one address
for leads, suppression and policy alike; a non-ASCII LOCAL part (`josé@bücher.de`) is refused
everywhere (lead 422, suppression 422, policy `invalid_recipient`, bulk `failed[]`), because
delivering to it needs SMTPUTF8, which the sender does not speak: before, such leads were
accepted and every send to them failed with a 500.
"""

from __future__ import annotations

import unicodedata

import pytest

from tests.conftest import Api, create_campaign
from tests.hostile.conftest import SENDER, Record, World
from tests.hostile.support import diff, error_shape, snapshot
from tests.outreach.conftest import MakeApi, mail_settings
from tests.outreach.mailserver import MailServer
from tests.support.database import Database

NFD = unicodedata.normalize("NFD", "josé@bücher.de")
ADDRESSES: list[tuple[str, str | None]] = [
    ("josé@bücher.de", None),
    ("JOSÉ@BÜCHER.DE", None),
    (NFD, None),
    ("zoë@garden.test", None),
    ("用户@例子.广告", None),
    ("Ⓐ@garden.test", None),
    ("josé@bücher.de\u200b", None),
    ("jose@bücher..de", None),
    ("jose@bücher.de", "jose@xn--bcher-kva.de"),
    ("Jose@BÜCHER.De", "jose@xn--bcher-kva.de"),
    (unicodedata.normalize("NFD", "jose@bücher.de"), "jose@xn--bcher-kva.de"),
    ("jose@xn--bcher-kva.de", "jose@xn--bcher-kva.de"),
    ("info@例子.广告", "info@xn--fsqu00a.xn--4rr70v"),
    ("a@ｅｘａｍｐｌｅ.test", "a@example.test"),
]


@pytest.mark.parametrize(("address", "expected"), ADDRESSES)
async def test_one_rule_for_lead_suppression_and_policy(
    db: Database, hapi: Api, world: World, record: Record, address: str, expected: str | None
) -> None:
    campaign = world.campaign["id"]
    policy_body = {"recipient_email": address, "sender_email": SENDER}
    before = await snapshot(db)
    lead = await hapi.post(
        f"/campaigns/{campaign}/leads",
        json={"website_url": "https://idn-site.test/", "contact_email": address},
    )
    bulk = await hapi.post(
        f"/campaigns/{campaign}/leads/bulk",
        json=[{"website_url": "https://idn-bulk.test/", "contact_email": address}],
    )
    policy = await hapi.post("/policy/validate", json=policy_body)
    assert policy.status_code == 200, policy.text
    suppression = await hapi.post("/suppression", json={"email": address})
    changes = diff(before, await snapshot(db))

    if expected is None:
        lead_says, supp_says = error_shape(lead), error_shape(suppression)
        assert lead.status_code == suppression.status_code == 422
        assert bulk.json()["added"] == 0 and bulk.json()["failed"][0].startswith("0: contact_email")
        assert policy.json()["reason"] == "invalid_recipient"
        assert changes.empty, changes.counts()
        came_back = f"refused everywhere: lead {lead_says}; bulk failed[]; suppression "
        came_back += f"{supp_says}; policy allowed=false invalid_recipient; DB unchanged"
    else:
        assert lead.status_code == 201 and lead.json()["contact_email"] == expected
        assert bulk.json() == {"added": 1, "skipped": 0, "failed": []}
        assert suppression.status_code == 201 and suppression.json()["email"] == expected
        assert policy.json()["reason"] != "invalid_recipient"
        # The same address, whichever spelling: the suppression now blocks it.
        after = await hapi.post("/policy/validate", json=policy_body)
        assert after.json()["reason"] == "suppressed"
        stored = {row["contact_email"] for row in changes.added["leads"]}
        assert stored == {expected}
        assert [r["email"] for r in changes.added["suppressions"]] == [expected]
        assert set(changes.counts()) == {"leads", "lead_count_stripes", "suppressions"}
        came_back = f"accepted everywhere as {expected}; policy then says suppressed"
    record("address", f"{address!r} as lead / bulk / suppression / policy recipient", came_back)


async def test_spellings_of_one_idn_domain_are_one_suppression(hapi: Api, record: Record) -> None:
    """`*@bücher.de` is stored as `*@xn--bcher-kva.de` and blocks both spellings."""
    response = await hapi.post("/suppression", json={"email": "*@BÜCHER.de"})
    assert (response.status_code, response.json()["email"]) == (201, "*@xn--bcher-kva.de")
    again = await hapi.post("/suppression", json={"email": "*@xn--bcher-kva.de"})
    assert again.json()["id"] == response.json()["id"]
    for recipient in ("anna@bücher.de", "anna@xn--bcher-kva.de"):
        body = {"recipient_email": recipient, "sender_email": SENDER}
        assert (await hapi.post("/policy/validate", json=body)).json()["reason"] == "suppressed"
    sub = {"recipient_email": "anna@shop.bücher.de", "sender_email": SENDER}
    assert (await hapi.post("/policy/validate", json=sub)).json()["reason"] != "suppressed"
    record(
        "address",
        "suppress '*@BÜCHER.de', then policy for anna@bücher.de and anna@xn--bcher-kva.de",
        "201 *@xn--bcher-kva.de; both spellings suppressed; subdomain not",
    )


async def test_a_lead_at_an_idn_domain_is_delivered_in_ascii(
    db: Database, make_api: MakeApi, record: Record
) -> None:
    """Accepted means deliverable: the SMTP server gets the ASCII form in RCPT TO and To:."""
    with MailServer() as server:
        async with make_api(**mail_settings(server)) as api:
            campaign = await create_campaign(api)
            lead = await api.post(
                f"/campaigns/{campaign['id']}/leads",
                json={"website_url": "https://bücher.test/", "contact_email": "Red@Bücher.test"},
            )
            assert lead.status_code == 201, lead.text
            sent = await api.post(
                "/outreach/send",
                json={
                    "campaign_id": campaign["id"],
                    "lead_id": lead.json()["id"],
                    "subject": "Hallo {domain}",
                    "body": "Hallo",
                },
            )
            assert sent.status_code == 200, sent.text
            [received] = server.messages
            assert received.rcpt_tos == ["red@xn--bcher-kva.test"]
            assert received.message["To"] == "red@xn--bcher-kva.test"
            assert received.message["Subject"] == "Hallo xn--bcher-kva.test"
    record(
        "address",
        "send to lead Red@Bücher.test (real SMTP server)",
        "200 sent; RCPT TO and To: red@xn--bcher-kva.test",
    )
