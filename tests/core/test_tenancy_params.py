"""`tenancy.lookup_params`: the one rule for finding the caller's row by id."""

from __future__ import annotations

import pytest

from backlink_outreach.auth import Principal
from backlink_outreach.errors import NotFound
from backlink_outreach.tenancy import lookup_params


def test_params_carry_the_ids_and_both_workspaces() -> None:
    assert lookup_params(Principal("user_a", "org_b"), id="cmp_1") == {
        "id": "cmp_1",
        "workspace_1": "org_b",
        "workspace_2": "user_a",
    }
    assert lookup_params(Principal("user_a"), lead="l", campaign="c") == {
        "lead": "l",
        "campaign": "c",
        "workspace_1": "user_a",
        "workspace_2": "user_a",
    }


@pytest.mark.parametrize("ids", [{"id": "cmp_\x00"}, {"lead": "lead_1", "campaign": "\x00"}])
def test_an_id_with_nul_names_nothing(ids: dict[str, str]) -> None:
    with pytest.raises(NotFound):
        lookup_params(Principal("user_a"), **ids)
