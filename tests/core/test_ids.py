from __future__ import annotations

import re

from backlink_outreach.ids import new_id


def test_ids_are_unique_readable_and_in_creation_order() -> None:
    ids = [new_id("lead") for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"lead_[A-Za-z0-9]+", i) for i in ids)
