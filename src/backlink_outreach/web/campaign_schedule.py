"""A campaign's schedule: what will go out and when (`GET /campaigns/{id}/schedule`'s service),
with the forecast per day drawn as an SVG bar chart built here from the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from ..campaigns import service as campaigns
from ..deps import SessionDep, SettingsDep
from ..leads import names
from ..sequences import service as sequences
from ..sequences.schemas import DayCount
from . import rendering
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

QUEUE_SHOWN = 100
CHART_DAYS = 60
CHART_WIDTH = 720
CHART_HEIGHT = 180
_LABEL_ROOM = 28  # below the bars, for the dates
_TOP_ROOM = 16  # above the tallest bar, for its count
_MIN_SLOTS = 14


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    date: str
    label: bool  # whether its date is written under it (not every one fits)


def bars(per_day: list[DayCount]) -> list[Bar]:
    """The forecast's days as bars scaled to the chart; at most `CHART_DAYS` of them."""
    days = per_day[:CHART_DAYS]
    if not days:
        return []
    top = max(day.count for day in days) or 1
    slot = CHART_WIDTH / max(len(days), _MIN_SLOTS)  # a few days are not a few wide slabs
    plot = CHART_HEIGHT - _LABEL_ROOM - _TOP_ROOM
    every = max(1, round(len(days) / 8))
    shown: list[Bar] = []
    for index, day in enumerate(days):
        height = plot * day.count / top
        shown.append(
            Bar(
                x=round(index * slot + slot * 0.15, 1),
                y=round(_TOP_ROOM + plot - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                count=day.count,
                date=day.date,
                label=index % every == 0,
            )
        )
    return shown


@router.get("/app/campaigns/{campaign_id}/schedule")
async def schedule_page(
    campaign_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    schedule = await sequences.schedule(session, settings, principal, campaign.id)
    queued = schedule.queued[:QUEUE_SHOWN]
    domains = await names.domains_of(
        await session.connection(), campaign.id, [item.lead_id for item in queued]
    )
    per_day = schedule.forecast.per_day
    context: dict[str, Any] = {
        "campaign": campaign,
        "tab": "schedule",
        "queued": queued,
        "queued_total": len(schedule.queued),
        "domains": domains,
        "forecast": schedule.forecast,
        "total": sum(day.count for day in per_day),
        "bars": bars(per_day),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT, "base": CHART_HEIGHT - _LABEL_ROOM},
        "more_days": max(0, len(per_day) - CHART_DAYS),
    }
    return rendering.render(request, "campaigns/schedule.html", context, principal=principal)
