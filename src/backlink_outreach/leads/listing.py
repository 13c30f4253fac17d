"""`GET /campaigns/{id}/leads`: a campaign's leads, filtered, sorted and paged (API.md part 2,
"Everyday operations" and "Lists: filters and pages").

Indexes (no migration here; see each query):
- the default order, `created_at` (and `-created_at`), with or without `status`: walks
  `ix_leads_campaign_created (campaign_id, created_at, id)` from the cursor, `LIMIT n + 1`,
  checking `status` on the rows it reads;
- `status` with the other orders: `ix_leads_campaign_status (campaign_id, status, id)` narrows
  the rows, then a top-N sort; the score and `updated_at` orders want an index each on
  `(campaign_id, <column>, id)` (a migration's work);
- `q` (a substring, so no B-tree helps): filtered on the campaign's rows that the index above
  reads; on PostgreSQL a `pg_trgm` GIN index on the four columns would serve long queries.
"""

from __future__ import annotations

from typing import Any, Literal, cast, get_args

from sqlalchemy import ColumnElement, Table, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import pages
from ..auth import Principal
from ..errors import NotFound
from ..models import Campaign, Lead, LeadStatus
from ..tenancy import in_workspaces, lookup_params
from .schemas import LeadOut, LeadRow

LeadSort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "quality_score",
    "-quality_score",
    "relevance_score",
    "-relevance_score",
    "guest_post_likelihood",
    "-guest_post_likelihood",
]
DEFAULT_SORT: LeadSort = "created_at"

_LEADS = cast(Table, Lead.__table__)
_CAMPAIGNS = cast(Table, Campaign.__table__)
_FIELDS = tuple(LeadOut.model_fields)
_ROW = select(*(_LEADS.c[name] for name in _FIELDS))
_CAMPAIGN = select(_CAMPAIGNS.c.id).where(
    _CAMPAIGNS.c.id == bindparam("id"), in_workspaces(_CAMPAIGNS.c.workspace_id)
)
# Scores may be missing (NULL): they come last in either direction.
_NULLABLE = frozenset({"quality_score", "relevance_score", "guest_post_likelihood"})
KEYSETS: dict[str, pages.Keyset] = {
    sort: pages.Keyset(
        sort.lstrip("-"),
        _LEADS.c[sort.lstrip("-")],
        _LEADS.c.id,
        descending=sort.startswith("-"),
        nullable=sort.lstrip("-") in _NULLABLE,
    )
    for sort in get_args(LeadSort)
}
_SEARCHED = ("domain", "website_title", "contact_email", "contact_name")


def _matches(q: str) -> ColumnElement[bool]:
    """`q` as a case-blind substring of any searched column (LIKE wildcards in it escaped)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(_LEADS.c[name].ilike(pattern, escape="\\") for name in _SEARCHED))


async def list_leads(
    connection: AsyncConnection,
    principal: Principal,
    campaign_id: str,
    page: pages.Page,
    *,
    status: LeadStatus | None = None,
    q: str | None = None,
    sort: LeadSort = DEFAULT_SORT,
) -> list[LeadRow]:
    """One page of the campaign's leads (plus the row past the limit that `pages.finish`
    looks for); 404 unless the campaign is in one of the caller's workspaces."""
    params = lookup_params(principal, id=campaign_id)
    if (await connection.execute(_CAMPAIGN, params)).first() is None:
        raise NotFound()
    statement: Any = _ROW.where(_LEADS.c.campaign_id == campaign_id)
    if status is not None:
        statement = statement.where(_LEADS.c.status == status)
    if q:
        statement = statement.where(_matches(q))
    statement = KEYSETS[sort].apply(statement, page)
    rows = await connection.execute(statement)
    return [LeadRow(*row) for row in rows]
