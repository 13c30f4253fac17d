"""Pages rendered from Jinja2 templates, with the headers every page of the app carries."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .. import __version__
from ..config import Settings
from . import cookies, csrf

STATIC_PREFIX = "/app/static"
CSRF_COOKIE_SECONDS = 7 * 24 * 3600


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("backlink_outreach.web", "templates"),
        # Every value is escaped unless a template says otherwise, and none does for text a
        # user or a crawled site supplied.
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["day"] = day
    env.filters["moment"] = moment
    return env


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def day(value: Any) -> str:
    """`2026-12-03`: a date for tables."""
    when = _as_datetime(value)
    return when.strftime("%Y-%m-%d") if when else ""


def moment(value: Any) -> str:
    """`2026-12-03 14:05 UTC`: a time for timelines (stored times are UTC)."""
    when = _as_datetime(value)
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else ""


def static_url(name: str) -> str:
    # The version in the query string lets browsers keep the files for a long time.
    return f"{STATIC_PREFIX}/{name}?v={__version__}"


def clerk_origin(settings: Settings) -> str | None:
    """The origin of Clerk's Frontend API (its script and its calls), in clerk mode."""
    frontend = settings.clerk_frontend_api
    if settings.auth_mode != "clerk" or not frontend:
        return None
    parsed = urlsplit(frontend if "//" in frontend else f"https://{frontend}")
    return f"https://{parsed.netloc}" if parsed.netloc else None


def content_security_policy(settings: Settings) -> str:
    clerk = clerk_origin(settings)
    extra = f" {clerk}" if clerk else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{extra}",
            "style-src 'self'",
            f"img-src 'self' data:{extra}",
            f"connect-src 'self'{extra}",
            f"frame-src {clerk}" if clerk else "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def wants_fragment(request: Request) -> bool:
    """`static/app.js` asks with `X-Fragment: 1` when it will put the answer into the page
    (in-place previews, tests, refreshed cards); a plain link or form gets the whole page."""
    return request.headers.get("x-fragment") == "1"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    principal: Any = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    token = csrf.token_for(request)
    values = {
        "request": request,
        "principal": principal,
        "csrf_token": token,
        "csrf_field": csrf.FIELD,
        "auth_mode": settings.auth_mode,
        "path": request.url.path,
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=security_headers(settings))
    if request.cookies.get(cookies.CSRF) != token:
        cookies.set_cookie(response, settings, cookies.CSRF, token, CSRF_COOKIE_SECONDS)
    return response
