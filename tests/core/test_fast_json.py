"""The campaign reads write rows straight to JSON with msgspec (`responses.json_response`). Their
bytes must be exactly what pydantic writes for the response models, or clients would see two
formats for one field (a `Z` here, `+00:00` there; `1e-7` against `0.0000001`)."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from typing import Any, get_args

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import backlink_outreach
from backlink_outreach.campaigns.schemas import CampaignOut, CampaignWithLeads
from backlink_outreach.leads.schemas import LeadOut, LeadRow
from backlink_outreach.models.campaigns import LEAD_STATUSES
from backlink_outreach.replies.schemas import ReplyListRow, ReplyOut
from backlink_outreach.responses import dump_json
from tests.conftest import Api, create_campaign

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
optional_texts = st.none() | texts
scores = st.none() | st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
times = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
lead_rows = st.fixed_dictionaries(
    {
        "id": texts,
        "campaign_id": texts,
        "website_url": texts,
        "domain": texts,
        "website_title": optional_texts,
        "contact_email": optional_texts,
        "contact_name": optional_texts,
        "notes": optional_texts,
        "consent": st.booleans(),
        "quality_score": scores,
        "relevance_score": scores,
        "guest_post_likelihood": scores,
        "source": optional_texts,
        "status": st.sampled_from(LEAD_STATUSES),
        "created_at": times,
        "updated_at": times,
        "target_url": optional_texts,
        "anchor_text": optional_texts,
        "authority": st.none() | st.integers(0, 100),
    }
)
campaign_rows = st.fixed_dictionaries(
    {
        "id": texts,
        "workspace_id": texts,
        "name": texts,
        "description": optional_texts,
        "keywords": st.lists(texts, max_size=3),
        "follow_up_days": st.lists(st.integers(1, 90), max_size=5),
        "mailbox_ids": st.lists(texts, max_size=3),
        "status": st.sampled_from(["active", "paused"]),
        "timezone": st.sampled_from(["UTC", "Europe/Berlin"]),
        # As the campaign row keeps them: dumped from their models, so in the models' order.
        "send_window": st.just({"days": ["mon", "fri"], "start": "09:00", "end": "24:00"}),
        "sequence": st.none()
        | st.just(
            [
                {"delay_days": 0, "subject": "Hi {name}", "body": "x", "template_id": None},
                {"delay_days": 3, "subject": None, "body": None, "template_id": "tpl_a"},
            ]
        ),
        "lead_count": st.integers(0, 10**6),
        "created_at": times,
        "updated_at": times,
    }
)


# Every msgspec struct the fast paths write, and the response model it stands in for.
MIRRORS: dict[type[msgspec.Struct], type[BaseModel]] = {
    LeadRow: LeadOut,
    ReplyListRow: ReplyOut,
}


def _structs_beside_schemas() -> set[type[msgspec.Struct]]:
    """The structs declared in the package's schema modules (where they live, beside their
    models), so a new one cannot skip `MIRRORS`."""
    found: set[type[msgspec.Struct]] = set()
    for info in pkgutil.walk_packages(backlink_outreach.__path__, "backlink_outreach."):
        if not info.name.rsplit(".", 1)[-1].endswith("schemas"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
            ):
                found.add(value)
    return found


def test_every_struct_has_its_model() -> None:
    assert _structs_beside_schemas() == set(MIRRORS)


def _admits_none(annotation: Any) -> bool:
    return annotation is None or type(None) in get_args(annotation)


@pytest.mark.parametrize(("struct", "model"), MIRRORS.items(), ids=lambda t: t.__name__)
def test_struct_fields_are_the_models_fields(
    struct: type[msgspec.Struct], model: type[BaseModel]
) -> None:
    """Same names in the same order (structs are built positionally from rows selected in the
    model's order), each required or not and nullable or not alike: a field added to one and
    not the other fails here."""
    fields = msgspec.structs.fields(struct)
    assert [f.name for f in fields] == list(model.model_fields)
    assert [f.encode_name for f in fields] == [f.name for f in fields]
    for f in fields:
        pydantic_field = model.model_fields[f.name]
        assert f.required == pydantic_field.is_required(), f.name
        assert _admits_none(f.type) == _admits_none(pydantic_field.annotation), f.name


def _in_model_order(row: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Rows are built in the models' field order (`dict(zip(fields, row))`); hypothesis may
    hand the keys over in another."""
    assert set(row) == set(model.model_fields)
    return {name: row[name] for name in model.model_fields}


@settings(max_examples=300)
@given(lead_rows)
def test_lead_rows_write_the_same_bytes_as_the_model(row: dict[str, Any]) -> None:
    row = _in_model_order(row, LeadOut)
    assert dump_json(row) == LeadOut.model_validate(row).model_dump_json().encode()


@settings(max_examples=300)
@given(lead_rows)
def test_lead_structs_write_the_same_bytes_as_the_model(row: dict[str, Any]) -> None:
    row = _in_model_order(row, LeadOut)
    struct = LeadRow(*row.values())
    assert dump_json(struct) == LeadOut.model_validate(row).model_dump_json().encode()


@settings(max_examples=100)
@given(campaign_rows, st.lists(lead_rows, max_size=3))
def test_campaign_with_leads_writes_the_same_bytes(
    campaign: dict[str, Any], leads: list[dict[str, Any]]
) -> None:
    campaign = _in_model_order(campaign, CampaignOut)
    row = {**campaign, "leads": [_in_model_order(lead, LeadOut) for lead in leads]}
    assert dump_json(row) == CampaignWithLeads.model_validate(row).model_dump_json().encode()
    assert dump_json([campaign]) == b"[" + CampaignOut(**campaign).model_dump_json().encode() + b"]"


async def test_campaign_reads_match_the_models_on_this_backend(api: Api) -> None:
    """Values as each database hands them back (SQLite: naive times, 0/1 booleans)."""
    campaign = await create_campaign(api, description=None, keywords=["garden"])
    leads = [
        {"website_url": "https://one.example/", "consent": True, "quality_score": 0.1},
        {"website_url": "https://two.example/", "relevance_score": 1e-7, "notes": "é\u2028"},
        {"website_url": "https://three.example/", "guest_post_likelihood": 1.0},
    ]
    added = await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=leads)
    assert added.json()["added"] == 3

    got = await api.get(f"/campaigns/{campaign['id']}")
    model = CampaignWithLeads.model_validate_json(got.content)
    assert got.content == model.model_dump_json().encode()
    assert model.lead_count == 3 and [lead.consent for lead in model.leads] == [True, False, False]
    assert all(lead.created_at.tzinfo is not None for lead in model.leads)

    listed = await api.get("/campaigns")
    one = CampaignOut.model_validate(listed.json()[0])
    assert listed.content == b"[" + one.model_dump_json().encode() + b"]"
    assert listed.json()[0]["lead_count"] == 3
