"""A send's event data is built from the values in hand (`payloads.attempt`, `lead_events`),
not re-validated through `AttemptOut` and `LeadOut` (issue 18). The bodies written must be the
bytes the models' route wrote: validate, dump in JSON mode, then `events.body`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backlink_outreach.integrations import events, lead_events, payloads
from backlink_outreach.leads.schemas import LeadOut
from backlink_outreach.models import OutboxEvent
from backlink_outreach.models.campaigns import LEAD_STATUSES
from backlink_outreach.outreach.schemas import AttemptOut
from tests.core.test_fast_json import lead_rows, optional_texts, texts, times
from tests.integrations.conftest import hook_settings
from tests.outreach.conftest import MakeApi, campaign_with_lead, mail_settings, send
from tests.outreach.mailserver import MailServer
from tests.support.database import Database

attempt_rows = st.fixed_dictionaries(
    {
        "id": texts,
        "campaign_id": texts,
        "lead_id": texts,
        "kind": st.sampled_from(["initial", "follow_up"]),
        "step": st.integers(0, 20),
        "sender_email": texts,
        "recipient_email": texts,
        "subject": texts,
        "body": texts,
        "message_id": texts,
        "status": st.just("sending"),
        "legal_basis": optional_texts,
        "error": optional_texts,
        "created_at": times,
        "sent_at": st.none(),
        "in_reply_to": optional_texts,
        "smtp_code": st.none() | st.integers(200, 599),
        "permanent_failure": st.booleans(),
        "mailbox_id": optional_texts,
        "delivery": st.none() | st.sampled_from(["smtp", "outbox"]),
    }
)


def _through_the_model(row: Any, **now_true: Any) -> dict[str, Any]:
    """What `payloads.attempt` wrote before issue 18."""
    return AttemptOut.model_validate(row).model_copy(update=now_true).model_dump(mode="json")


@settings(max_examples=200)
@given(attempt_rows, times)
def test_a_sent_attempt_writes_the_models_bytes(row: dict[str, Any], now: datetime) -> None:
    attempt = SimpleNamespace(**row)
    sent = {"status": "sent", "sent_at": now, "error": None}
    assert events.body("send.sent", now, payloads.attempt(attempt, **sent)) == events.body(
        "send.sent", now, _through_the_model(attempt, **sent)
    )


@settings(max_examples=200)
@given(attempt_rows, texts, st.none() | st.integers(400, 599), st.booleans(), times)
def test_a_failed_attempt_writes_the_models_bytes(
    row: dict[str, Any], error: str, code: int | None, permanent: bool, now: datetime
) -> None:
    attempt = SimpleNamespace(**row)
    failed = {"status": "failed", "error": error, "smtp_code": code, "permanent_failure": permanent}
    assert events.body("send.failed", now, payloads.attempt(attempt, **failed)) == events.body(
        "send.failed", now, _through_the_model(attempt, **failed)
    )


@settings(max_examples=300)
@given(lead_rows, times)
def test_a_lead_change_writes_the_models_bytes(row: dict[str, Any], now: datetime) -> None:
    values = {name: row[name] for name in LeadOut.model_fields}  # selected in the model's order
    old = values["status"]
    new = LEAD_STATUSES[(LEAD_STATUSES.index(old) + 1) % len(LEAD_STATUSES)]
    ends = {values["id"]: [new] * len(LEAD_STATUSES)}
    expected = LeadOut.model_validate({**values, "status": new, "updated_at": now})
    expected_data = {**expected.model_dump(mode="json"), "previous_status": old}

    change = lead_events._change("ws", dict(values), ends, now)

    assert change is not None and change[:2] == ("ws", lead_events.LEAD_CHANGED)
    data = change[2]
    assert isinstance(data, Mapping)  # built now, not a deferred builder
    type_ = lead_events.LEAD_CHANGED
    assert events.body(type_, now, data) == events.body(type_, now, expected_data)


async def test_a_sends_stored_bodies_are_the_models_on_this_backend(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    """With the values each database hands back (SQLite: naive times and 0/1 made aware and
    bool by the column types), scores set so that floats are written too."""
    async with make_api(**mail_settings(mail_server), **hook_settings()) as api:
        hook = {
            "url": "https://hooks.example.com/in",
            "events": ["send.sent", "lead.status_changed"],
        }
        assert (await api.post("/webhooks", json=hook)).status_code == 201
        campaign, lead = await campaign_with_lead(api)
        path = f"/campaigns/{campaign['id']}/leads/{lead['id']}"
        edit = {"quality_score": 1e-05, "relevance_score": 0.5, "notes": 'é\u2028"x"\n'}
        assert (await api.patch(path, json=edit)).status_code == 200
        sent = await send(api, campaign, lead)
        assert sent.status_code == 200, sent.text
        leads = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(OutboxEvent.type, OutboxEvent.payload, OutboxEvent.created_at)
        )
        stored = {type_: (payload, at) for type_, payload, at in rows}
    changed, at = stored[lead_events.LEAD_CHANGED]
    expected_lead = LeadOut.model_validate(leads[0]).model_dump(mode="json")
    expected_lead["previous_status"] = "discovered"
    assert changed == events.body(lead_events.LEAD_CHANGED, at, expected_lead)
    attempt, at = stored["send.sent"]
    expected_attempt = AttemptOut.model_validate(sent.json()).model_dump(mode="json")
    assert attempt == events.body("send.sent", at, expected_attempt)
    assert json.loads(changed)["data"]["quality_score"] == 1e-05
