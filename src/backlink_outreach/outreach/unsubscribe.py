"""One-click unsubscribe (RFC 8058): the token in List-Unsubscribe, and what using it does.

The token is authenticated encryption (AES-256-GCM) of `workspace, recipient, issue day`: the tag
signs it, and the encryption keeps the address out of URL logs and link scanners (opaque). It is
valid for `TOKEN_MAX_AGE_DAYS` (well over the 60 days a recipient may take to act).

The key comes from `UNSUBSCRIBE_SECRET`. When that is unset, a random secret is created once in
`<DATA_DIR>/unsubscribe-secret` and reused; every process that signs or checks tokens must see the
same secret, so a deployment over several machines sets `UNSUBSCRIBE_SECRET` (rotating it voids
the links already sent).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import API_PREFIX, Settings
from ..db import utcnow
from ..leads import lifecycle
from ..models import Lead, Suppression
from ..sender import Sender
from ..suppression import service as suppression

TOKEN_MAX_AGE_DAYS = 400
_VERSION = b"\x01"
_SEP = "\x00"
_EPOCH = date(2020, 1, 1)
_SECRET_FILE = "unsubscribe-secret"


class BadToken(ValueError):
    pass


@dataclass(frozen=True)
class Subject:
    workspace_id: str
    recipient: str


def _secret(settings: Settings) -> bytes:
    if settings.unsubscribe_secret is not None:
        value = settings.unsubscribe_secret.get_secret_value()
        if value:
            return value.encode()
    return _secret_from_file(settings.data_dir / _SECRET_FILE)


def _secret_from_file(path: Path) -> bytes:
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    try:
        # O_EXCL: when two processes race to create it, one wins and both use its secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def _cipher(settings: Settings) -> AESGCM:
    key = hashlib.sha256(b"backlink-outreach/unsubscribe/v1\x00" + _secret(settings)).digest()
    return AESGCM(key)


def make_token(settings: Settings, workspace_id: str, recipient: str, today: date) -> str:
    day = (today - _EPOCH).days
    plain = f"{workspace_id}{_SEP}{recipient}{_SEP}{day}".encode()
    nonce = secrets.token_bytes(12)
    sealed = _cipher(settings).encrypt(nonce, plain, _VERSION)
    return base64.urlsafe_b64encode(_VERSION + nonce + sealed).rstrip(b"=").decode()


def read_token(settings: Settings, token: str, today: date) -> Subject:
    """The workspace and recipient a token names; BadToken when forged, garbled or expired."""
    if not token or len(token) > 2048:
        raise BadToken("bad length")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("not base64") from None
    if len(raw) < 1 + 12 + 16 or raw[:1] != _VERSION:
        raise BadToken("bad version")
    try:
        plain = _cipher(settings).decrypt(raw[1:13], raw[13:], _VERSION).decode()
        workspace_id, recipient, day_text = plain.split(_SEP)
        issued = _EPOCH + timedelta(days=int(day_text))
    except (InvalidTag, UnicodeDecodeError, ValueError):
        raise BadToken("not ours") from None
    if (today - issued).days > TOKEN_MAX_AGE_DAYS:
        raise BadToken("expired")
    return Subject(workspace_id, recipient)


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}{API_PREFIX}/unsubscribe/{token}"


def mailto_url(sender: Sender) -> str:
    return f"mailto:{sender.unsubscribe_mailto}?subject=unsubscribe"


async def apply(session: AsyncSession, subject: Subject) -> None:
    """Suppress the recipient, and end the sequences of their leads in the workspace (lost,
    unless placed: the placement happened, only the mail stops). Idempotent."""
    erased = select(Suppression.id).where(
        Suppression.workspace_id == subject.workspace_id,
        Suppression.email == suppression.hashed(subject.recipient),
    )
    if (await session.execute(erased)).first() is not None:
        # Erased (privacy/): suppressed already, and storing it in plain would undo that.
        return
    lead_ids = (
        await session.scalars(
            select(Lead.id).where(
                Lead.workspace_id == subject.workspace_id, Lead.contact_email == subject.recipient
            )
        )
    ).all()
    entry = lifecycle.Suppress(
        subject.workspace_id,
        subject.recipient,
        "unsubscribe",
        "unsubscribed by the recipient (one-click link)",
    )
    # The address is suppressed even when no lead of the workspace has it any more.
    events = [lifecycle.Event("unsubscribed", None, suppress=entry)]
    events += [lifecycle.Event("unsubscribed", i, suppress=entry) for i in lead_ids]
    await lifecycle.apply(session, events, utcnow())
