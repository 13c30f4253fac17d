"""The stored side of `secrets.py`: the key check row, and re-encrypting every secret under a
new key (`backlink-outreach rotate-secrets-key --new-key-file F`).

`SEALED` lists every column that holds a sealed value, by table, with the column whose value
is the associated data (the row id). A new kind of secret (webhook signing secrets, say) adds
one line here and is rotated with the rest, in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Table, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from .. import models  # noqa: F401 - every table on the metadata
from ..config import Settings
from ..db import Base, insert_for
from ..errors import NotConfigured
from ..models import SecretsKeyCheck
from . import secrets

# (table, id column = associated data, sealed columns)
SEALED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "mailboxes",
        "id",
        ("smtp_password_sealed", "imap_password_sealed", "dkim_private_key_sealed"),
    ),
    ("webhook_endpoints", "id", ("secret_sealed",)),
)


class WrongKey(Exception):
    def __str__(self) -> str:
        return (
            "SECRETS_KEY does not decrypt the secrets stored in the database (it was rotated "
            "with rotate-secrets-key?): set SECRETS_KEY to the key the rotation wrote"
        )


async def key_matches(session: AsyncSession, key: bytes) -> bool | None:
    """True when the stored check opens with `key`, False when it does not, None when no
    secret was ever stored."""
    sealed = await session.scalar(
        select(SecretsKeyCheck.sealed).where(SecretsKeyCheck.id == secrets.KEY_CHECK_ROW)
    )
    if sealed is None:
        return None
    return secrets.opens(key, sealed, secrets.KEY_CHECK_ROW)


async def ensure_key(session: AsyncSession, key: bytes) -> None:
    """Before sealing a secret: the key is the one the stored secrets use (else `WrongKey`),
    and the check row exists."""
    matches = await key_matches(session, key)
    if matches is False:
        raise WrongKey()
    if matches is None:
        await session.execute(
            insert_for(session, SecretsKeyCheck)
            .values(
                id=secrets.KEY_CHECK_ROW,
                sealed=secrets.seal(key, secrets.KEY_CHECK_TEXT, secrets.KEY_CHECK_ROW),
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )


async def usable(session: AsyncSession, key: bytes) -> None:
    """`ensure_key` for a request: a key that does not open the stored secrets is a 422
    `not_configured` saying so, never a 500."""
    try:
        await ensure_key(session, key)
    except WrongKey as exc:
        raise NotConfigured(str(exc)) from None


async def rotate(session: AsyncSession, old_key: bytes, new_key: bytes) -> int:
    """Re-seal every secret from `old_key` to `new_key` in the caller's transaction; returns
    how many values changed. A value that does not open with `old_key` raises `WrongKey`
    (and the caller's rollback leaves everything as it was)."""
    if await key_matches(session, old_key) is False:
        raise WrongKey()
    changed = 0
    for table_name, id_column, columns in SEALED:
        table: Table = Base.metadata.tables[table_name]
        rows = (
            await session.execute(
                select(table.c[id_column], *(table.c[c] for c in columns)).with_for_update()
            )
        ).all()
        for row in rows:
            row_id = str(row[0])
            values: dict[str, str] = {}
            for name, sealed in zip(columns, row[1:], strict=True):
                if sealed is None:
                    continue
                try:
                    plain = secrets.unseal(old_key, sealed, row_id)
                except secrets.UnsealError:
                    raise WrongKey() from None
                values[name] = secrets.seal(new_key, plain, row_id)
            if values:
                await session.execute(
                    update(table).where(table.c[id_column] == row_id).values(**values)
                )
                changed += len(values)
    check = secrets.seal(new_key, secrets.KEY_CHECK_TEXT, secrets.KEY_CHECK_ROW)
    await session.execute(
        insert_for(session, SecretsKeyCheck)
        .values(id=secrets.KEY_CHECK_ROW, sealed=check)
        .on_conflict_do_update(index_elements=["id"], set_={"sealed": check})
    )
    return changed


async def startup_problem(session: AsyncSession, settings: Settings) -> str | None:
    """Why this process must not start with its SECRETS_KEY, in one line; None when it may.
    Secrets stored under another key (a rotation, a lost dev key file) are such a reason: every
    send from a mailbox would fail."""
    try:
        sealed = await session.scalar(
            select(SecretsKeyCheck.sealed).where(SecretsKeyCheck.id == secrets.KEY_CHECK_ROW)
        )
    except DBAPIError:
        return None  # not migrated yet: `migrate` comes first, and nothing is stored
    if sealed is None:
        return None
    try:
        key = secrets.secrets_key(settings)
    except secrets.SecretsNotConfigured as exc:
        return f"mailbox secrets are stored but {exc.msg}"
    if not secrets.opens(key, sealed, secrets.KEY_CHECK_ROW):
        return str(WrongKey())
    return None
