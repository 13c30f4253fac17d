"""The app's cookies and the flags every one of them carries."""

from __future__ import annotations

from fastapi import Response

from ..config import Settings

# Clerk's own name: in clerk mode Clerk's script sets it; in dev mode `/app/dev-login` does.
SESSION = "__session"
CSRF = "bo_csrf"


def secure(settings: Settings) -> bool:
    """`Secure` when the app is served over https (a cookie marked so is never sent over the
    plain http of `make run`)."""
    return settings.public_base_url.lower().startswith("https://")


def set_cookie(
    response: Response, settings: Settings, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(settings),
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure(settings))
