"""The mailbox resource (API.md part 2, "Mailboxes"). Passwords and the DKIM key are
write-only: no response model has a field that could carry them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ..domains import InvalidValue, normalize_sender_email
from ..validation import (
    NO_NUL,
    Flag,
    HeaderText,
    JsonPattern,
    Name,
    Notes,
    ShortText,
    json_integer,
    no_nul,
    single_line,
)

Security = Literal["none", "starttls", "ssl"]
Status = Literal["active", "paused"]


def _sender_email(value: str) -> str:
    try:
        return normalize_sender_email(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None


def _pem_key(value: str) -> str:
    pem = value.replace("\\n", "\n").strip()
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        # Never echo the value: it is a secret.
        raise ValueError("not a PEM private key (unencrypted PKCS#1 or PKCS#8)") from None
    return pem + "\n"


SenderEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=320),
    AfterValidator(no_nul),
    AfterValidator(_sender_email),
    JsonPattern(NO_NUL),
    Field(json_schema_extra={"format": "email"}),
]
Host = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(no_nul),
    AfterValidator(single_line),
    JsonPattern(NO_NUL),
]
Login = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(no_nul),
    AfterValidator(single_line),
    JsonPattern(NO_NUL),
]
Password = Annotated[
    str, StringConstraints(max_length=1000), AfterValidator(no_nul), JsonPattern(NO_NUL)
]
Folder = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(no_nul),
    AfterValidator(single_line),
    JsonPattern(NO_NUL),
]
DkimName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=63),
    AfterValidator(no_nul),
    AfterValidator(single_line),
    JsonPattern(r"^[A-Za-z0-9._-]+$"),
]
PemKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=20_000),
    AfterValidator(no_nul),
    AfterValidator(_pem_key),
    JsonPattern(NO_NUL),
]
Port = Annotated[int, Field(ge=1, le=65535), BeforeValidator(json_integer)]
WebsiteUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048),
    AfterValidator(no_nul),
    AfterValidator(single_line),
    JsonPattern(NO_NUL),
]
MailboxId = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(no_nul), JsonPattern(NO_NUL)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmtpIn(Strict):
    host: Host
    port: Port = 587
    security: Security = "starttls"
    username: Login | None = None
    password: Password | None = Field(default=None, description="Write-only.")


class SmtpPatch(Strict):
    host: Host | None = None
    port: Port | None = None
    security: Security | None = None
    username: Login | None = None
    password: Password | None = Field(default=None, description="Write-only; absent: kept.")


class ImapIn(Strict):
    host: Host
    port: Port = 993
    security: Security = "ssl"
    username: Login | None = None
    password: Password | None = Field(default=None, description="Write-only.")
    folder: Folder = "INBOX"


class ImapPatch(Strict):
    host: Host | None = None
    port: Port | None = None
    security: Security | None = None
    username: Login | None = None
    password: Password | None = Field(default=None, description="Write-only; absent: kept.")
    folder: Folder | None = None


class WarmupIn(Strict):
    enabled: Flag = False
    start_per_day: Annotated[int, Field(ge=1, le=2000), BeforeValidator(json_integer)] = 5
    increase_per_day: Annotated[int, Field(ge=0, le=2000), BeforeValidator(json_integer)] = 5
    max_per_day: Annotated[int, Field(ge=1, le=2000), BeforeValidator(json_integer)] = 50


class WarmupPatch(Strict):
    enabled: Flag | None = None
    start_per_day: Annotated[int, Field(ge=1, le=2000), BeforeValidator(json_integer)] | None = None
    increase_per_day: Annotated[int, Field(ge=0, le=2000), BeforeValidator(json_integer)] | None = (
        None
    )
    max_per_day: Annotated[int, Field(ge=1, le=2000), BeforeValidator(json_integer)] | None = None


class DkimIn(Strict):
    domain: Host
    selector: DkimName
    private_key: PemKey = Field(description="Write-only: a PEM private key.")


DailyCap = Annotated[int, Field(ge=1, le=2000), BeforeValidator(json_integer)]
Interval = Annotated[int, Field(ge=0, le=86400), BeforeValidator(json_integer)]


class MailboxCreate(Strict):
    name: Name | None = Field(default=None, description="Default: the from address.")
    from_email: SenderEmail
    from_name: HeaderText | None = None
    reply_to: SenderEmail | None = None
    signature: Notes | None = None
    sender_website: WebsiteUrl | None = None
    postal_address: ShortText | None = None
    smtp: SmtpIn
    imap: ImapIn | None = None
    dkim: DkimIn | None = None
    daily_cap: DailyCap = 50
    min_interval_seconds: Interval = 90
    warmup: WarmupIn = Field(default_factory=WarmupIn)
    sent_folder: Folder | None = None


class MailboxUpdate(Strict):
    """Every field optional; `null` clears the optional ones (`imap`, `dkim` included)."""

    name: Name | None = None
    from_email: SenderEmail | None = None
    from_name: HeaderText | None = None
    reply_to: SenderEmail | None = None
    signature: Notes | None = None
    sender_website: WebsiteUrl | None = None
    postal_address: ShortText | None = None
    smtp: SmtpPatch | None = None
    imap: ImapPatch | None = None
    dkim: DkimIn | None = None
    daily_cap: DailyCap | None = None
    min_interval_seconds: Interval | None = None
    warmup: WarmupPatch | None = None
    sent_folder: Folder | None = None
    status: Status | None = None


class StatusUpdate(Strict):
    """All that PATCH may change on `mbx_default`."""

    status: Status


class SmtpOut(BaseModel):
    host: str | None
    port: int
    security: Security
    username: str | None
    password_set: bool


class ImapOut(BaseModel):
    host: str
    port: int
    security: Security
    username: str | None
    folder: str
    password_set: bool


class WarmupOut(BaseModel):
    enabled: bool
    start_per_day: int
    increase_per_day: int
    max_per_day: int


class DkimOut(BaseModel):
    domain: str
    selector: str
    private_key_set: bool


class HealthOut(BaseModel):
    sends_today: int
    hard_bounces_last_50: int
    last_test_at: datetime | None
    last_error: str | None
    # beyond
    cap_today: int


class MailboxOut(BaseModel):
    id: str
    workspace_id: str | None = Field(description="null for `mbx_default`, the deployment's own.")
    name: str
    from_email: str
    from_name: str | None
    reply_to: str | None
    signature: str | None
    sender_website: str | None
    postal_address: str | None
    smtp: SmtpOut
    imap: ImapOut | None
    daily_cap: int
    min_interval_seconds: int
    warmup: WarmupOut
    sent_folder: str | None
    status: Status
    paused_reason: str | None
    health: HealthOut
    created_at: datetime
    updated_at: datetime
    # beyond
    dkim: DkimOut | None = None
    read_only: bool = False


class CheckOut(BaseModel):
    ok: bool
    error: str | None = None


class DnsCheckOut(BaseModel):
    ok: bool
    record: str | None = None
    error: str | None = None


class DnsOut(BaseModel):
    spf: DnsCheckOut
    dkim: DnsCheckOut
    dmarc: DnsCheckOut


class TestResult(BaseModel):
    smtp: CheckOut
    imap: CheckOut
    dns: DnsOut
