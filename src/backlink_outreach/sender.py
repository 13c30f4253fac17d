"""Who a message is from: the `Sender` value the send path reads instead of `Settings`.

In part 1 there is one sender per deployment, from the `SMTP_*`, `SENDER_*`, `DKIM_*` and
`UNSUBSCRIBE_MAILTO` settings; mailboxes make it come from a row. Everything the message, the
template fields and the policy need about the sender is here, built once per send or pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .config import Settings
from .domains import InvalidValue, normalize_sender_email
from .errors import Unprocessable
from .models import DEFAULT_MAILBOX_ID


@dataclass(frozen=True)
class Dkim:
    selector: str
    domain: str
    private_key_pem: bytes

    def __repr__(self) -> str:  # never the key, in a log or a traceback
        return f"Dkim(selector={self.selector!r}, domain={self.domain!r})"


@dataclass(frozen=True)
class Sender:
    email: str
    name: str
    reply_to: str | None
    postal_address: str | None
    website: str  # `{sender_site}`: the sender's own site, or its email domain
    unsubscribe_mailto: str  # the address of the List-Unsubscribe mailto
    dkim: Dkim | None = None
    signature: str | None = None  # appended to every body, above the compliance footer
    # The mailbox it is (`mbx_default`: the settings), its cap today (None: the deployment's
    # POLICY_SENDER_DAILY_CAP) and how its messages leave (`smtp`, or `outbox` files).
    mailbox_id: str = DEFAULT_MAILBOX_ID
    daily_cap: int | None = None
    delivery: str = "smtp"
    # The least time between two scheduled sends from it (API sends never wait); mbx_default
    # has no such setting: 0.
    min_interval_seconds: int = 0

    def sendable_address(self) -> str:
        """The From address, or a 422 saying the configuration is unusable."""
        try:
            return normalize_sender_email(self.email)
        except InvalidValue:
            raise Unprocessable(
                "SMTP_FROM_EMAIL is not a valid address", "not_configured", []
            ) from None


def from_settings(settings: Settings) -> Sender:
    """The deployment's own sender."""
    email = settings.smtp_from_email
    key = settings.dkim_private_key
    dkim = None
    if key is not None and settings.dkim_selector and settings.dkim_domain:
        # Environment variables often carry a PEM with literal `\n`s.
        pem = key.get_secret_value().replace("\\n", "\n").encode()
        dkim = Dkim(settings.dkim_selector, settings.dkim_domain, pem)
    return Sender(
        email=email,
        name=settings.smtp_from_name,
        reply_to=settings.smtp_reply_to,
        postal_address=settings.sender_postal_address,
        website=_site_of(settings.public_base_url) or email.rsplit("@", 1)[-1],
        unsubscribe_mailto=settings.unsubscribe_mailto or settings.smtp_reply_to or email,
        dkim=dkim,
        delivery="smtp" if settings.smtp_host or settings.mail_outbox_dir is None else "outbox",
    )


def _site_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # a malformed PUBLIC_BASE_URL must not break every send
        return ""
    return "" if host in ("127.0.0.1", "localhost", "testserver") else host
