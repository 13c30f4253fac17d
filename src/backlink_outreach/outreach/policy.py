"""The send policy: a pure function of facts the service loaded, returning a stable reason code.

No I/O here. The service loads counts, suppression and duplicate facts (inside the transaction
that reserves the cap slot) and asks `evaluate`; `POST /policy/validate` asks the same function
read-only. Checks run in this order; the first that fails is the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domains import InvalidValue, email_domain, normalize_email
from . import consent

MISSING_RECIPIENT = "missing_recipient"
INVALID_RECIPIENT = "invalid_recipient"
BLOCKED_ROLE_ADDRESS = "blocked_role_address"
SUPPRESSED = "suppressed"
DUPLICATE = "duplicate"
SENDER_DAILY_CAP = "sender_daily_cap"
RECIPIENT_DOMAIN_DAILY_CAP = "recipient_domain_daily_cap"
WORKSPACE_DAILY_CAP = "workspace_daily_cap"
CONSENT_REQUIRED = "consent_required"
MAILBOX_PAUSED = "mailbox_paused"  # part 2: the sending mailbox is paused (breaker or a person)
# Part 2, initial messages only: the lead has a running sequence (pending steps or follow-ups);
# the lead's site got an initial message from this workspace within POLICY_RECONTACT_DAYS.
SEQUENCE_ACTIVE = "sequence_active"
RECENTLY_CONTACTED = "recently_contacted"

REASONS = (
    MISSING_RECIPIENT,
    INVALID_RECIPIENT,
    BLOCKED_ROLE_ADDRESS,
    SUPPRESSED,
    DUPLICATE,
    SENDER_DAILY_CAP,
    RECIPIENT_DOMAIN_DAILY_CAP,
    WORKSPACE_DAILY_CAP,
    CONSENT_REQUIRED,
    MAILBOX_PAUSED,
    SEQUENCE_ACTIVE,
    RECENTLY_CONTACTED,
)
CAP_REASONS = frozenset({SENDER_DAILY_CAP, RECIPIENT_DOMAIN_DAILY_CAP, WORKSPACE_DAILY_CAP})

# Mailboxes run by machines or abuse desks: writing to them hurts the sender's reputation.
# info@, editor@ and contact@ are allowed on purpose: in link building they are often the
# right contact.
ROLE_LOCAL_PARTS = frozenset(
    {
        "abuse",
        "postmaster",
        "hostmaster",
        "noc",
        "security",
        "noreply",
        "no-reply",
        "mailer-daemon",
    }
)


@dataclass(frozen=True)
class Counts:
    sender_day: int = 0
    recipient_domain_day: int = 0
    workspace_day: int = 0


@dataclass(frozen=True)
class Limits:
    sender_day: int
    recipient_domain_day: int
    workspace_day: int


@dataclass(frozen=True)
class Recipient:
    """A recipient that passed the address checks, or the reason it did not."""

    address: str | None
    domain: str | None
    reason: str | None


def check_recipient(raw: str | None) -> Recipient:
    """The checks that need no database: presence, syntax, role mailboxes."""
    if raw is None or not raw.strip():
        return Recipient(None, None, MISSING_RECIPIENT)
    try:
        address = normalize_email(raw)
    except InvalidValue:
        return Recipient(None, None, INVALID_RECIPIENT)
    local = address.rsplit("@", 1)[0].split("+", 1)[0]
    if local in ROLE_LOCAL_PARTS:
        return Recipient(address, email_domain(address), BLOCKED_ROLE_ADDRESS)
    return Recipient(address, email_domain(address), None)


@dataclass(frozen=True)
class Facts:
    recipient: Recipient
    site_domain: str | None  # the lead's website domain; None without a lead
    lead_consent: bool
    suppressed: bool
    duplicate: bool  # always False for follow-ups: the same thread is not a duplicate
    counts: Counts
    limits: Limits
    mailbox_paused: bool = False
    sequence_active: bool = False  # always False for follow-ups and without a lead
    recently_contacted: bool = False  # likewise


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | None
    legal_basis: str | None


def evaluate(facts: Facts) -> Decision:
    recipient = facts.recipient
    if recipient.reason is not None or recipient.domain is None:
        return Decision(False, recipient.reason or INVALID_RECIPIENT, None)
    basis = consent.decide(facts.site_domain, recipient.domain, facts.lead_consent)
    if facts.mailbox_paused:
        return Decision(False, MAILBOX_PAUSED, basis.legal_basis)
    if facts.suppressed:
        return Decision(False, SUPPRESSED, basis.legal_basis)
    if facts.duplicate:
        return Decision(False, DUPLICATE, basis.legal_basis)
    if facts.sequence_active:
        return Decision(False, SEQUENCE_ACTIVE, basis.legal_basis)
    if facts.recently_contacted:
        return Decision(False, RECENTLY_CONTACTED, basis.legal_basis)
    counts, limits = facts.counts, facts.limits
    if counts.sender_day >= limits.sender_day:
        return Decision(False, SENDER_DAILY_CAP, basis.legal_basis)
    if counts.recipient_domain_day >= limits.recipient_domain_day:
        return Decision(False, RECIPIENT_DOMAIN_DAILY_CAP, basis.legal_basis)
    if counts.workspace_day >= limits.workspace_day:
        return Decision(False, WORKSPACE_DAILY_CAP, basis.legal_basis)
    if basis.blocked:
        return Decision(False, CONSENT_REQUIRED, basis.legal_basis)
    return Decision(True, None, basis.legal_basis)
