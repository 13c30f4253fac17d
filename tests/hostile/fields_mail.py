"""The rest of the field table of fields.py: email writing, templates, sending, policy,
replies, suppression and analytics."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.hostile.conftest import SENDER, World
from tests.hostile.fields import Build, Built, Field, _get, _lower, at_path, body, query


def _send_body(w: World, **fields: Any) -> dict[str, Any]:
    return {
        "campaign_id": w.campaign["id"],
        "lead_id": w.lead["id"],
        "subject": "s",
        "body": "b",
        **fields,
    }


def send_with(field: str) -> Build:
    """A fresh lead per value (the duplicate rule blocks a second send to one address)."""

    async def build(api: Api, w: World, value: str, i: int) -> Built:
        lead = await api.post(
            f"/campaigns/{w.campaign['id']}/leads",
            json={"website_url": f"https://send{i}.test/", "contact_email": f"ed@send{i}.test"},
        )
        assert lead.status_code == 201, lead.text
        payload = {
            "campaign_id": w.campaign["id"],
            "lead_id": lead.json()["id"],
            "subject": "Hello",
            "body": "Hi",
        }
        return "POST", "/outreach/send", {**payload, field: value}, None

    return build


_MAIL_FIELDS: list[Field] = [
    # email writing
    Field(
        "POST /emails/generate topic",
        body("POST", lambda w: "/emails/generate", lambda v, i: {"topic": v}),
        "echo",
    ),
    Field(
        "POST /emails/generate tone",
        body("POST", lambda w: "/emails/generate", lambda v, i: {"topic": "seo", "tone": v}),
        "refuse",
    ),
    Field(
        "POST /emails/generate template_id",
        body("POST", lambda w: "/emails/generate", lambda v, i: {"topic": "seo", "template_id": v}),
        "refuse",
    ),
    Field(
        "POST /emails/generate campaign_id",
        body("POST", lambda w: "/emails/generate", lambda v, i: {"topic": "seo", "campaign_id": v}),
        "refuse",
    ),
    Field(
        "POST /emails/generate lead_id",
        body(
            "POST",
            lambda w: "/emails/generate",
            lambda v, i: {"topic": "seo", "campaign_id": "cmp_x", "lead_id": v},
        ),
        "refuse",
    ),
    Field(
        "POST /emails/generate variables value",
        body(
            "POST",
            lambda w: "/emails/generate",
            lambda v, i: {"topic": "seo", "variables": {"extra": v}},
        ),
        "echo",
    ),
    Field(
        "POST /emails/generate variables key",
        body(
            "POST",
            lambda w: "/emails/generate",
            lambda v, i: {"topic": "seo", "variables": {v: "x"}},
        ),
        "echo",
    ),
    Field(
        "POST /emails/personalize base_email",
        body("POST", lambda w: "/emails/personalize", lambda v, i: {"base_email": v}),
        "echo",
    ),
    Field(
        "POST /emails/personalize subject",
        body(
            "POST",
            lambda w: "/emails/personalize",
            lambda v, i: {"base_email": "Hi there", "subject": v},
        ),
        "echo",
        out=_get("subject"),
    ),
    Field(
        "POST /emails/personalize lead_name",
        body(
            "POST",
            lambda w: "/emails/personalize",
            lambda v, i: {"base_email": "Hi there", "lead_name": v},
        ),
        "echo",
    ),
    Field(
        "POST /emails/personalize lead_website",
        body(
            "POST",
            lambda w: "/emails/personalize",
            lambda v, i: {"base_email": "Hi there", "lead_website": v},
        ),
        "echo",
    ),
    Field(
        "POST /emails/personalize content_topic",
        body(
            "POST",
            lambda w: "/emails/personalize",
            lambda v, i: {"base_email": "Hi there", "content_topic": v},
        ),
        "echo",
    ),
    Field(
        "POST /emails/subject-suggestions topic",
        body("POST", lambda w: "/emails/subject-suggestions", lambda v, i: {"topic": v}),
        "echo",
    ),
    Field(
        "POST /emails/subject-suggestions tone",
        body(
            "POST",
            lambda w: "/emails/subject-suggestions",
            lambda v, i: {"topic": "seo", "tone": v},
        ),
        "refuse",
    ),
    Field(
        "POST /emails/follow-up original_subject",
        body(
            "POST",
            lambda w: "/emails/follow-up",
            lambda v, i: {"original_subject": v, "original_body": "Hi"},
        ),
        "echo",
        out=_get("subject"),
        expect=lambda v: f"Re: {v}",
    ),
    Field(
        "POST /emails/follow-up original_body",
        body(
            "POST",
            lambda w: "/emails/follow-up",
            lambda v, i: {"original_subject": "Hello", "original_body": v},
        ),
        "echo",
    ),
    Field(
        "POST /emails/follow-up tone",
        body(
            "POST",
            lambda w: "/emails/follow-up",
            lambda v, i: {"original_subject": "Hello", "original_body": "Hi", "tone": v},
        ),
        "refuse",
    ),
    # templates
    Field(
        "POST /emails/templates name",
        body(
            "POST",
            lambda w: "/emails/templates",
            lambda v, i: {"name": v, "subject": "s", "body": "b"},
        ),
        "store",
        "email_templates",
        "name",
        _get("name"),
    ),
    Field(
        "POST /emails/templates subject",
        body(
            "POST",
            lambda w: "/emails/templates",
            lambda v, i: {"name": "n", "subject": v, "body": "b"},
        ),
        "store",
        "email_templates",
        "subject",
        _get("subject"),
    ),
    Field(
        "POST /emails/templates body",
        body(
            "POST",
            lambda w: "/emails/templates",
            lambda v, i: {"name": "n", "subject": "s", "body": v},
        ),
        "store",
        "email_templates",
        "body",
        _get("body"),
    ),
    Field(
        "POST /emails/templates category",
        body(
            "POST",
            lambda w: "/emails/templates",
            lambda v, i: {"name": "n", "subject": "s", "body": "b", "category": v},
        ),
        "store",
        "email_templates",
        "category",
        _get("category"),
    ),
    Field(
        "GET /emails/templates/{id}",
        at_path("GET", lambda w, v: f"/emails/templates/{v}"),
        "refuse",
    ),
    Field(
        "DELETE /emails/templates/{id}",
        at_path("DELETE", lambda w, v: f"/emails/templates/{v}"),
        "refuse",
    ),
    # outreach
    Field(
        "POST /outreach/send subject", send_with("subject"), "send", "outreach_attempts", "subject"
    ),
    Field("POST /outreach/send body", send_with("body"), "send", "outreach_attempts", "body"),
    Field(
        "POST /outreach/send campaign_id",
        body("POST", lambda w: "/outreach/send", lambda v, i: None),
        "refuse",
    ),
    Field(
        "POST /outreach/send lead_id",
        body("POST", lambda w: "/outreach/send", lambda v, i: None),
        "refuse",
    ),
    Field(
        "POST /outreach/send workspace_id",
        body("POST", lambda w: "/outreach/send", lambda v, i: None),
        "refuse",
    ),
    Field(
        "POST /policy/validate recipient_email",
        body(
            "POST",
            lambda w: "/policy/validate",
            lambda v, i: {"recipient_email": f"{v}@garden.test", "sender_email": SENDER},
        ),
        "echo",
    ),
    Field(
        "POST /policy/validate sender_email",
        body(
            "POST",
            lambda w: "/policy/validate",
            lambda v, i: {"recipient_email": "ed@garden.test", "sender_email": f"{v}@s.test"},
        ),
        "echo",
    ),
    Field(
        "POST /policy/validate subject",
        body(
            "POST",
            lambda w: "/policy/validate",
            lambda v, i: {
                "recipient_email": "ed@garden.test",
                "sender_email": SENDER,
                "subject": v,
            },
        ),
        "echo",
    ),
    Field(
        "GET /campaigns/{id}/attempts",
        at_path("GET", lambda w, v: f"/campaigns/{v}/attempts"),
        "refuse",
    ),
    Field(
        "GET /campaigns/{id}/follow-ups",
        at_path("GET", lambda w, v: f"/campaigns/{v}/follow-ups"),
        "refuse",
    ),
    Field("GET /unsubscribe/{token}", at_path("GET", lambda w, v: f"/unsubscribe/{v}"), "refuse"),
    Field("POST /unsubscribe/{token}", at_path("POST", lambda w, v: f"/unsubscribe/{v}"), "refuse"),
    # replies, suppression, analytics
    Field(
        "POST /replies/poll campaign_id",
        body("POST", lambda w: "/replies/poll", lambda v, i: {"campaign_id": v}),
        "refuse",
    ),
    Field(
        "GET /campaigns/{id}/replies",
        at_path("GET", lambda w, v: f"/campaigns/{v}/replies"),
        "refuse",
    ),
    Field(
        "POST /suppression email",
        body("POST", lambda w: "/suppression", lambda v, i: {"email": f"{v}{i}@supp.test"}),
        "store",
        "suppressions",
        "email",
        _get("email"),
        _lower,
        True,
    ),
    Field(
        "POST /suppression reason",
        body(
            "POST", lambda w: "/suppression", lambda v, i: {"email": f"r{i}@supp.test", "reason": v}
        ),
        "store",
        "suppressions",
        "reason",
        _get("reason"),
    ),
    Field(
        "GET /campaigns/{id}/analytics",
        at_path("GET", lambda w, v: f"/campaigns/{v}/analytics"),
        "refuse",
    ),
    Field(
        "GET analytics?days=",
        query(lambda w: f"/campaigns/{w.campaign['id']}/analytics", "days"),
        "refuse",
    ),
    Field(
        "GET /campaigns/{id}/export/leads",
        at_path("GET", lambda w, v: f"/campaigns/{v}/export/leads"),
        "refuse",
    ),
]


def _send_field(name: str) -> Build:
    async def build(api: Api, w: World, value: str, i: int) -> Built:
        return "POST", "/outreach/send", _send_body(w, **{name: value}), None

    return build


# The send's id fields need the world's ids around the value.
MAIL_FIELDS = [
    Field(f.label, _send_field(f.label.rsplit(" ", 1)[1]), f.kind)
    if f.label.startswith("POST /outreach/send ") and f.kind == "refuse"
    else f
    for f in _MAIL_FIELDS
]
