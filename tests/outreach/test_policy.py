"""The policy engine: the pure rules, every reason code through the API, read-only validation,
caps per UTC day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from backlink_outreach.outreach import consent, policy
from backlink_outreach.subjects import subject_key
from tests.conftest import Api
from tests.outreach.conftest import (
    SENDER,
    MakeApi,
    add_lead,
    campaign_with_lead,
    mail_settings,
    send,
)
from tests.outreach.mailserver import MailServer

LIMITS = policy.Limits(sender_day=10, recipient_domain_day=3, workspace_day=20)


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("Hello World", "hello world"),
        ("RE:  hello   world ", "hello world"),
        ("Fwd: Re: Hello World", "hello world"),
        ("fw: re[2]: HELLO\tWORLD", "hello world"),
        ("Regarding the world", "regarding the world"),
        ("Antw: Hello World", "hello world"),
        ("R: Hello World", "hello world"),
        ("Réf : Hello World", "hello world"),
    ],
)
def test_subject_key(subject: str, key: str) -> None:
    assert subject_key(subject) == key


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (None, "missing_recipient"),
        ("  ", "missing_recipient"),
        ("not-an-address", "invalid_recipient"),
        ("a@@b.test", "invalid_recipient"),
        ("someone@localhost", "invalid_recipient"),
        ("abuse@site.test", "blocked_role_address"),
        ("Postmaster@site.test", "blocked_role_address"),
        ("no-reply@site.test", "blocked_role_address"),
        ("noreply+x@site.test", "blocked_role_address"),
        ("mailer-daemon@site.test", "blocked_role_address"),
        ("info@site.test", None),
        ("editor@site.test", None),
        ("contact@site.test", None),
    ],
)
def test_check_recipient(address: str | None, reason: str | None) -> None:
    assert policy.check_recipient(address).reason == reason


@pytest.mark.parametrize(
    ("site", "recipient_domain", "required"),
    [
        ("garten.de", "garten.de", True),  # UWG §7: consent even business to business
        ("blog.at", "company.com", True),
        ("jardin.fr", "jardin.fr", False),  # business address in the EU: legitimate interest
        ("jardin.fr", "gmail.com", True),  # a private free-mail address, EU site
        ("garden.co.uk", "hotmail.co.uk", True),
        ("garden.com", "gmail.com", False),  # no country known: legitimate interest
        ("garden.com", "web.de", True),  # the mailbox's own country is Germany
        ("garden.com", "yahoo.fr", True),
        ("garden.us", "gmx.net", False),
        (None, "web.de", True),  # validate without a lead reads the recipient domain
        (None, "example.nl", False),
    ],
)
def test_consent_table(site: str | None, recipient_domain: str, required: bool) -> None:
    assert consent.consent_required(site, recipient_domain) is required
    blocked = consent.decide(site, recipient_domain, lead_consent=False)
    assert blocked.blocked is required
    given = consent.decide(site, recipient_domain, lead_consent=True)
    assert (given.legal_basis, given.blocked) == ("consent", False)


def _facts(**overrides: Any) -> policy.Facts:
    values: dict[str, Any] = {
        "recipient": policy.check_recipient("ed@garden.com"),
        "site_domain": "garden.com",
        "lead_consent": False,
        "suppressed": False,
        "duplicate": False,
        "counts": policy.Counts(),
        "limits": LIMITS,
    }
    values.update(overrides)
    return policy.Facts(**values)


def test_evaluate_caps_and_order() -> None:
    assert policy.evaluate(_facts()) == policy.Decision(True, None, "legitimate_interest")
    full = policy.Counts(sender_day=10, recipient_domain_day=3, workspace_day=20)
    assert policy.evaluate(_facts(counts=full)).reason == "sender_daily_cap"
    domain_full = policy.Counts(sender_day=9, recipient_domain_day=3, workspace_day=20)
    assert policy.evaluate(_facts(counts=domain_full)).reason == "recipient_domain_daily_cap"
    ws_full = policy.Counts(sender_day=9, recipient_domain_day=2, workspace_day=20)
    assert policy.evaluate(_facts(counts=ws_full)).reason == "workspace_daily_cap"
    # Suppression wins over everything that follows it.
    assert policy.evaluate(_facts(suppressed=True, duplicate=True)).reason == "suppressed"
    assert policy.evaluate(_facts(duplicate=True, counts=full)).reason == "duplicate"
    german = _facts(site_domain="garten.de", recipient=policy.check_recipient("ed@garten.de"))
    assert policy.evaluate(german) == policy.Decision(False, "consent_required", "consent")


async def _validate(api: Api, recipient: str, subject: str | None = None, **kw: Any) -> Any:
    body = {"recipient_email": recipient, "sender_email": SENDER, "subject": subject}
    response = await api.post("/policy/validate", json=body, **kw)
    assert response.status_code == 200, response.text
    return response.json()


async def test_validate_reports_each_reason(make_api: MakeApi, mail_server: MailServer) -> None:
    settings = mail_settings(
        mail_server,
        policy_sender_daily_cap=3,
        policy_domain_daily_cap=1,
        policy_workspace_daily_cap=2,
    )
    async with make_api(**settings) as api:
        assert (await _validate(api, ""))["reason"] == "missing_recipient"
        assert (await _validate(api, "nope"))["reason"] == "invalid_recipient"
        assert (await _validate(api, "abuse@garden.test"))["reason"] == "blocked_role_address"
        consent_needed = await _validate(api, "someone@web.de")
        assert (consent_needed["reason"], consent_needed["legal_basis"]) == (
            "consent_required",
            "consent",
        )
        await api.post("/suppression", json={"email": "*@blocked.test"})
        await api.post("/suppression", json={"email": "one@shut.test"})
        assert (await _validate(api, "any@blocked.test"))["reason"] == "suppressed"
        assert (await _validate(api, "one@shut.test"))["reason"] == "suppressed"
        assert (await _validate(api, "two@shut.test"))["allowed"] is True

        campaign, lead = await campaign_with_lead(api)  # editor@garden.test
        assert (await send(api, campaign, lead, subject="Guest post")).status_code == 200
        dup = await _validate(api, "editor@garden.test", "RE:  guest   POST")
        assert dup["reason"] == "duplicate"
        assert (await _validate(api, "editor@garden.test", "Other topic"))["reason"] == (
            "recipient_domain_daily_cap"
        )
        other = await add_lead(api, campaign["id"], "ed@second.test")
        assert (await send(api, campaign, other)).status_code == 200
        ws = await _validate(api, "new@third.test")
        assert ws["reason"] == "workspace_daily_cap"
        assert ws["counts"] == {"sender_day": 2, "recipient_domain_day": 0, "workspace_day": 2}
        assert ws["limits"] == {"sender_day": 3, "recipient_domain_day": 1, "workspace_day": 2}

        # Another workspace shares the sender's mailbox limit but not the workspace limit.
        b_campaign = (await api.post("/campaigns", user="user_b", json={"name": "B"})).json()
        b_lead = (
            await api.post(
                f"/campaigns/{b_campaign['id']}/leads",
                user="user_b",
                json={"website_url": "https://fifth.test", "contact_email": "ed@fifth.test"},
            )
        ).json()
        ok = await api.post(
            "/outreach/send",
            user="user_b",
            json={
                "campaign_id": b_campaign["id"],
                "lead_id": b_lead["id"],
                "subject": "s",
                "body": "b",
            },
        )
        assert ok.status_code == 200
        capped = await _validate(api, "new@sixth.test", user="user_b")
        assert capped["reason"] == "sender_daily_cap"
        assert capped["counts"]["sender_day"] == 3 and capped["counts"]["workspace_day"] == 1
        assert len(mail_server.messages) == 3


async def test_validate_changes_nothing(mail_api: Api, db: Any) -> None:
    from sqlalchemy import func, select

    from backlink_outreach.models import OutreachAttempt, SendCounter

    for _ in range(3):
        result = await _validate(mail_api, "ed@garden.test", "Hello")
        assert result["allowed"] is True and result["reason"] is None
        assert result["legal_basis"] == "legitimate_interest"
        assert result["counts"] == {"sender_day": 0, "recipient_domain_day": 0, "workspace_day": 0}
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(OutreachAttempt)) == 0
        assert await conn.scalar(select(func.count()).select_from(SendCounter)) == 0


async def test_validate_rejects_a_bad_sender(mail_api: Api) -> None:
    response = await mail_api.post(
        "/policy/validate", json={"recipient_email": "a@b.test", "sender_email": "nope"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "sender_email"]


@pytest.mark.parametrize(
    ("lead_fields", "reason"),
    [
        ({"email": None}, "missing_recipient"),
        ({"email": "abuse@garden.test"}, "blocked_role_address"),
        ({"email": "ed@garten.de"}, "consent_required"),
        ({"email": "someone@gmail.com", "url": "https://jardin.fr"}, "consent_required"),
        ({"email": "ed@garden.test", "suppress": "*@garden.test"}, "suppressed"),
    ],
)
async def test_send_is_403_with_the_reason(
    mail_api: Api, mail_server: MailServer, lead_fields: dict[str, Any], reason: str
) -> None:
    campaign, _ = await campaign_with_lead(mail_api, email="ed@first.test")
    if "suppress" in lead_fields:
        await mail_api.post("/suppression", json={"email": lead_fields["suppress"]})
    lead = await add_lead(
        mail_api, campaign["id"], lead_fields["email"], url=lead_fields.get("url")
    )
    response = await send(mail_api, campaign, lead)
    assert response.status_code == 403
    assert response.json() == {"detail": "Policy validation failed", "reason": reason}
    assert (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json() == []
    assert mail_server.messages == []


async def test_consent_on_the_lead_allows_and_is_recorded(
    mail_api: Api, mail_server: MailServer
) -> None:
    campaign, _ = await campaign_with_lead(mail_api, email="ed@first.test")
    lead = await add_lead(mail_api, campaign["id"], "ed@garten.de", consent=True)
    response = await send(mail_api, campaign, lead)
    assert response.status_code == 200
    assert response.json()["legal_basis"] == "consent"


async def test_caps_reset_at_the_utc_day_boundary(
    make_api: MakeApi, mail_server: MailServer
) -> None:
    settings = mail_settings(mail_server, policy_sender_daily_cap=1)
    async with make_api(**settings) as api:
        campaign, lead = await campaign_with_lead(api)
        second = await add_lead(api, campaign["id"], "ed@second.test")
        with time_machine.travel(datetime(2031, 3, 4, 23, 59, 50, tzinfo=UTC), tick=True):
            assert (await send(api, campaign, lead)).status_code == 200
            blocked = await send(api, campaign, second)
            assert blocked.json()["reason"] == "sender_daily_cap"
        with time_machine.travel(datetime(2031, 3, 5, 0, 0, 5, tzinfo=UTC), tick=True):
            assert (await send(api, campaign, second)).status_code == 200
    assert len(mail_server.messages) == 2
