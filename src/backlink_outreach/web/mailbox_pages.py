"""Mailboxes: each one's health (breaker, caps, warm-up, last error), adding one with its
SMTP/IMAP settings, editing them, testing it, pausing and resuming it.

Passwords go one way: a form sends them, no page ever shows them, and a form shown again
after an error leaves them blank."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from .. import pages
from ..deps import DatabaseDep, SessionDep, SettingsDep
from ..errors import NotFound, Unprocessable
from ..mailboxes import service
from ..mailboxes.schemas import MailboxCreate, MailboxOut, MailboxUpdate
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

LIST_SIZE = 200
PASSWORDS = ("smtp_password", "imap_password")
SECURITY = [("starttls", "STARTTLS"), ("ssl", "TLS (SSL)"), ("none", "None")]
INTEGERS = (
    "smtp_port",
    "imap_port",
    "daily_cap",
    "min_interval_seconds",
    "warmup_start_per_day",
    "warmup_increase_per_day",
    "warmup_max_per_day",
)
FIELDS = frozenset(
    (
        *INTEGERS,
        *PASSWORDS,
        "name",
        "from_email",
        "from_name",
        "reply_to",
        "sender_website",
        "postal_address",
        "signature",
        "smtp_host",
        "smtp_security",
        "smtp_username",
        "imap_host",
        "imap_security",
        "imap_username",
        "imap_folder",
        "sent_folder",
    )
)
DEFAULTS = {
    "smtp_port": "587",
    "smtp_security": "starttls",
    "imap_port": "993",
    "imap_security": "ssl",
    "imap_folder": "INBOX",
    "daily_cap": "50",
    "min_interval_seconds": "90",
    "warmup_start_per_day": "5",
    "warmup_increase_per_day": "5",
    "warmup_max_per_day": "50",
}


def _nested_errors(exc: ValidationError | Unprocessable) -> dict[str, str]:
    """Errors by form field: the form's names are the API's paths joined by `_`
    (`smtp.host` is `smtp_host`)."""
    raw = (
        exc.errors(include_url=False, include_input=False)
        if isinstance(exc, ValidationError)
        else exc.detail
        if isinstance(exc.detail, list)
        else []
    )
    out: dict[str, str] = {}
    for error in raw:
        loc = [str(part) for part in error.get("loc", []) if part != "body"]
        name = "_".join(loc) if loc else forms.FORM_ERROR
        message = str(error.get("msg", "Not valid")).removeprefix("Value error, ")
        if name not in FIELDS and name != forms.FORM_ERROR:
            # Not one field of the form (a whole section, say): said above the form.
            message = f"{name.replace('_', ' ')}: {message}"
            name = forms.FORM_ERROR
        out.setdefault(name, message)
    return out


def _create_body(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    numbers: dict[str, int] = {}
    for name in INTEGERS:
        text = values.get(name, "")
        if text:
            try:
                numbers[name] = int(text)
            except ValueError:
                errors[name] = "Enter a whole number."
    smtp: dict[str, Any] = {
        "host": values.get("smtp_host", ""),
        "security": values.get("smtp_security") or "starttls",
        "username": values.get("smtp_username") or None,
        "password": values.get("smtp_password") or None,
    }
    if "smtp_port" in numbers:
        smtp["port"] = numbers["smtp_port"]
    body: dict[str, Any] = {
        "from_email": values.get("from_email", ""),
        "name": values.get("name") or None,
        "from_name": values.get("from_name") or None,
        "reply_to": values.get("reply_to") or None,
        "sender_website": values.get("sender_website") or None,
        "postal_address": values.get("postal_address") or None,
        "signature": values.get("signature") or None,
        "sent_folder": values.get("sent_folder") or None,
        "smtp": smtp,
        "warmup": {"enabled": values.get("warmup_enabled") == "on"},
    }
    if values.get("imap_host"):
        imap: dict[str, Any] = {
            "host": values["imap_host"],
            "security": values.get("imap_security") or "ssl",
            "username": values.get("imap_username") or None,
            "password": values.get("imap_password") or None,
            "folder": values.get("imap_folder") or "INBOX",
        }
        if "imap_port" in numbers:
            imap["port"] = numbers["imap_port"]
        body["imap"] = imap
    for name in ("daily_cap", "min_interval_seconds"):
        if name in numbers:
            body[name] = numbers[name]
    for name in ("start_per_day", "increase_per_day", "max_per_day"):
        if f"warmup_{name}" in numbers:
            body["warmup"][name] = numbers[f"warmup_{name}"]
    return body


def _update_body(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The edit form as a PATCH: the create form's fields, where an empty password keeps the
    stored one (the form never holds it), an empty IMAP server turns reply reading off, and an
    empty name goes back to the from address."""
    body = _create_body(values, errors)
    for section in ("smtp", "imap"):
        if section in body and body[section].get("password") is None:
            del body[section]["password"]
    body.setdefault("imap", None)
    if body["name"] is None:
        body["name"] = body["from_email"]
    return body


def _values_of(mailbox: MailboxOut) -> dict[str, str]:
    """A mailbox as the form's text values (never a password: it is not readable)."""
    values: dict[str, Any] = {
        "name": mailbox.name,
        "from_email": mailbox.from_email,
        "from_name": mailbox.from_name,
        "reply_to": mailbox.reply_to,
        "sender_website": mailbox.sender_website,
        "postal_address": mailbox.postal_address,
        "signature": mailbox.signature,
        "sent_folder": mailbox.sent_folder,
        "smtp_host": mailbox.smtp.host,
        "smtp_port": mailbox.smtp.port,
        "smtp_security": mailbox.smtp.security,
        "smtp_username": mailbox.smtp.username,
        "daily_cap": mailbox.daily_cap,
        "min_interval_seconds": mailbox.min_interval_seconds,
        "warmup_enabled": "on" if mailbox.warmup.enabled else "",
        "warmup_start_per_day": mailbox.warmup.start_per_day,
        "warmup_increase_per_day": mailbox.warmup.increase_per_day,
        "warmup_max_per_day": mailbox.warmup.max_per_day,
    }
    imap = mailbox.imap
    if imap is not None:
        values |= {
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_security": imap.security,
            "imap_username": imap.username,
            "imap_folder": imap.folder,
        }
    else:
        values |= {k: DEFAULTS[k] for k in ("imap_port", "imap_security", "imap_folder")}
    return {k: "" if v is None else str(v) for k, v in values.items()}


@router.get("/app/mailboxes")
async def mailbox_list(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    page = pages.Page(LIST_SIZE, None)
    mailboxes = await service.list_mailboxes(session, settings, principal, None, page)
    context = {"mailboxes": mailboxes[:LIST_SIZE], "own": [m for m in mailboxes if not m.read_only]}
    return rendering.render(request, "mailboxes/list.html", context, principal=principal)


def _form(
    request: Request,
    principal: Any,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    editing: MailboxOut | None = None,
) -> Response:
    shown = {k: v for k, v in values.items() if k not in PASSWORDS}
    context = {"values": shown, "errors": errors, "security": SECURITY, "editing": editing}
    return rendering.render(
        request, "mailboxes/new.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/mailboxes/new")
async def new_mailbox(request: Request, principal: WebPrincipalDep) -> Response:
    return _form(request, principal, dict(DEFAULTS), {})


@router.post("/app/mailboxes/new", dependencies=[CsrfChecked])
async def create_mailbox(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    values = await forms.form_values(request)
    errors: dict[str, str] = {}
    body = _create_body(values, errors)
    if not errors:
        try:
            data = MailboxCreate.model_validate(body)
            created = await service.create_mailbox(session, settings, principal, data)
        except (ValidationError, Unprocessable) as exc:
            errors = _nested_errors(exc)
        else:
            return RedirectResponse(f"/app/mailboxes/{created.id}", status_code=303)
    return _form(request, principal, values, errors, status_code=422)


@router.get("/app/mailboxes/{mailbox_id}")
async def mailbox_detail(
    mailbox_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    mailbox = await service.get_mailbox(session, settings, principal, mailbox_id)
    context = {"m": mailbox, "result": None}
    return rendering.render(request, "mailboxes/detail.html", context, principal=principal)


@router.get("/app/mailboxes/{mailbox_id}/edit")
async def edit_mailbox(
    mailbox_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    mailbox = await _own_mailbox(session, settings, principal, mailbox_id)
    return _form(request, principal, _values_of(mailbox), {}, editing=mailbox)


@router.post("/app/mailboxes/{mailbox_id}/edit", dependencies=[CsrfChecked])
async def save_mailbox(
    mailbox_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    mailbox = await _own_mailbox(session, settings, principal, mailbox_id)
    values = await forms.form_values(request)
    errors: dict[str, str] = {}
    body = _update_body(values, errors)
    if not errors:
        try:
            update = MailboxUpdate.model_validate(body)
            await service.update_mailbox(session, settings, principal, mailbox_id, update)
        except (ValidationError, Unprocessable) as exc:
            errors = _nested_errors(exc)
        else:
            return RedirectResponse(f"/app/mailboxes/{mailbox_id}", status_code=303)
    return _form(request, principal, values, errors, status_code=422, editing=mailbox)


async def _own_mailbox(session: Any, settings: Any, principal: Any, mailbox_id: str) -> MailboxOut:
    """The workspace's own mailbox: the deployment's default is configured by its environment,
    so it has no edit form (its page says so), and another workspace's is 404 as everywhere."""
    mailbox = await service.get_mailbox(session, settings, principal, mailbox_id)
    if mailbox.read_only:
        raise NotFound()
    return mailbox


@router.post("/app/mailboxes/{mailbox_id}/test", dependencies=[CsrfChecked])
async def test_mailbox(
    mailbox_id: str,
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    """Logs in to SMTP and IMAP and reads DNS (seconds at most): the answer is the outcome in
    words, as a fragment for the page's inline form or as the whole page without script."""
    result = await service.test_mailbox(db, settings, principal, mailbox_id)
    if rendering.wants_fragment(request):
        return rendering.render(request, "mailboxes/test_result.html", {"result": result})
    async with db.read() as session:
        mailbox = await service.get_mailbox(session, settings, principal, mailbox_id)
    context = {"m": mailbox, "result": result}
    return rendering.render(request, "mailboxes/detail.html", context, principal=principal)


@router.post("/app/mailboxes/{mailbox_id}/status", dependencies=[CsrfChecked])
async def set_status(
    mailbox_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    values = await forms.form_values(request)
    status = values.get("status", "")
    if status not in ("active", "paused"):
        raise Unprocessable("status must be active or paused", "value_error", ["body", "status"])
    update = MailboxUpdate(status="active" if status == "active" else "paused")
    await service.update_mailbox(session, settings, principal, mailbox_id, update)
    return RedirectResponse(f"/app/mailboxes/{mailbox_id}", status_code=303)


@router.post("/app/mailboxes/{mailbox_id}/delete", dependencies=[CsrfChecked])
async def delete_mailbox(
    mailbox_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    await service.delete_mailbox(session, principal, mailbox_id)
    return RedirectResponse("/app/mailboxes", status_code=303)
