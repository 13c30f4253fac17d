"""Analytics: the workspace's or one campaign's (`?campaign=`) daily volume, funnel, reply
classes and links, as SVG charts with their numbers beside them. Every figure is one of the
analytics service's aggregates: nothing here counts rows."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request, Response

from ..analytics import service
from ..campaigns.service import get_campaign, list_campaigns
from ..deps import ReadSessionDep
from . import charts, rendering
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

DAY_CHOICES = (7, 30, 90, 365)
CLASS_WORDS = {
    "interested": "Interested",
    "not_interested": "Not interested",
    "question": "Question",
    "out_of_office": "Out of office",
    "auto_reply": "Automatic reply",
    "unsubscribe": "Unsubscribe",
    "bounce": "Bounce",
    "wrong_person": "Wrong person",
    "payment_request": "Asks for payment",
    "other": "Other",
}


def _month_day(day: str) -> str:
    return day[5:]  # "2026-12-03" under a bar is "12-03": the year is in the title's words


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


@router.get("/app/analytics")
async def analytics(
    request: Request,
    session: ReadSessionDep,
    principal: WebPrincipalDep,
    campaign: str = Query(default="", max_length=64, pattern=r"^[^\x00]*$"),
    days: int = Query(default=30, ge=1, le=365),
) -> Response:
    connection = await session.connection()
    campaigns = await list_campaigns(connection, principal, None)
    chosen: Any = None
    if campaign:
        chosen = await get_campaign(session, principal, campaign)  # another's: the 404 page
        scope = service.campaign_scope(chosen.id)
    else:
        scope = service.workspace_scope(principal.workspace_id)
    by_status = await service.leads_by_status(session, scope)
    by_class = await service.replies_by_classification(session, scope)
    counts = await service.rate_counts(session, scope)
    volume = await service.daily_send_volume(session, scope, days)
    links = await service.link_counts(session, scope)

    stages = [
        ("Leads", sum(by_status.values())),
        ("Contacted", counts.contacted_leads),
        ("Replied", counts.human_replied_leads),
        ("Interested", counts.interested_leads),
        ("Placed", counts.placed_leads),
    ]
    classes = [(CLASS_WORDS.get(name, name), n) for name, n in by_class.items()]
    link_items = [
        ("Live", links["live_links"]),
        ("Lost", links["lost_links"]),
        ("Live, nofollow", links["nofollow_links"]),
    ]
    daily = [(d.date, d.count) for d in volume]
    where = f"campaign {chosen.name}" if chosen is not None else "all campaigns"
    rates = counts.rates()
    context = {
        "campaigns": campaigns,
        "chosen": chosen,
        "days": days,
        "day_choices": sorted({*DAY_CHOICES, days}),
        "sent_in_window": sum(c for _, c in daily),
        "rates": [
            ("Reply rate", _percent(rates["reply_rate"])),
            ("Positive replies", _percent(rates["positive_reply_rate"])),
            ("Placement rate", _percent(rates["placement_rate"])),
            ("Bounce rate", _percent(rates["bounce_rate"])),
        ],
        "daily": daily,
        "stages": stages,
        "classes": classes,
        "links": link_items,
        "volume_chart": charts.columns(
            f"Messages sent per day, last {days} days, {where}", daily, tick=_month_day
        ),
        "funnel_chart": charts.funnel(f"From lead to placed link, {where}", stages),
        "classes_chart": charts.bars(f"Replies by kind, {where}", classes),
        "links_chart": charts.bars(f"Links, {where}", link_items),
    }
    return rendering.render(request, "analytics/index.html", context, principal=principal)
