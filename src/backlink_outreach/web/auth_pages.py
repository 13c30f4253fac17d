"""Signing in and out: Clerk's sign-in page in clerk mode, `/app/dev-login` in dev mode."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from ..auth import MAX_ID_CHARS, mint_dev_token
from ..config import Settings
from ..errors import NotFound
from . import cookies, forms, rendering
from .csrf import CsrfChecked
from .routing import web_router

router = web_router()

DEV_SESSION_SECONDS = 7 * 24 * 3600
DEFAULT_DEV_USER = "user_dev"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this app only (never another site)."""
    if value and value.startswith("/app") and not value.startswith("//") and "\\" not in value:
        return value
    return "/app"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/app/sign-in")
async def sign_in(request: Request, next: str | None = None) -> Response:
    settings = _settings(request)
    if settings.auth_mode == "dev":
        return RedirectResponse(f"/app/dev-login?next={safe_next(next)}", status_code=303)
    frontend = rendering.clerk_origin(settings)
    return rendering.render(
        request,
        "sign_in.html",
        {
            "clerk_script": f"{frontend}/npm/@clerk/clerk-js@5/dist/clerk.browser.js"
            if frontend
            else None,
            "publishable_key": settings.clerk_publishable_key or "",
            "next": safe_next(next),
        },
    )


def _dev_only(request: Request) -> Settings:
    settings = _settings(request)
    if settings.auth_mode != "dev":
        raise NotFound()  # it does not exist in clerk mode
    return settings


@router.get("/app/dev-login")
async def dev_login_form(request: Request, next: str | None = None) -> Response:
    _dev_only(request)
    values = {"user_id": DEFAULT_DEV_USER, "org_id": ""}
    return rendering.render(
        request, "dev_login.html", {"values": values, "errors": {}, "next": safe_next(next)}
    )


@router.post("/app/dev-login", dependencies=[CsrfChecked])
async def dev_login(request: Request) -> Response:
    settings = _dev_only(request)
    values = await forms.form_values(request)
    user_id, org_id = values.get("user_id", ""), values.get("org_id", "")
    errors = {}
    if not user_id:
        errors["user_id"] = "Enter a user id, such as user_dev."
    for name, value in (("user_id", user_id), ("org_id", org_id)):
        if len(value) > MAX_ID_CHARS or "\x00" in value:
            errors[name] = f"At most {MAX_ID_CHARS} characters."
    if errors:
        context = {"values": values, "errors": errors, "next": safe_next(values.get("next"))}
        return rendering.render(request, "dev_login.html", context, status_code=422)
    token = mint_dev_token(settings, user_id, org_id or None, ttl_seconds=DEV_SESSION_SECONDS)
    response = RedirectResponse(safe_next(values.get("next")), status_code=303)
    cookies.set_cookie(response, settings, cookies.SESSION, token, DEV_SESSION_SECONDS)
    return response


@router.post("/app/sign-out", dependencies=[CsrfChecked])
async def sign_out(request: Request) -> Response:
    response = RedirectResponse("/app/sign-in", status_code=303)
    cookies.clear_cookie(response, _settings(request), cookies.SESSION)
    return response
