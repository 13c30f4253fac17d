"""Bounce detection: RFC 3464 delivery status notifications and the non-standard notices that
many mail servers still send (qmail, Exim, Exchange, webmail providers).

Everything here reads a `Parsed` message and returns evidence; nothing touches the database.
Hard means "this address cannot receive mail" (user or host unknown, null MX, moved); policy,
reputation and content refusals are soft because the address itself is fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parsing import Parsed, message_ids

ENHANCED_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_CODE_RE = re.compile(r"(?<![\d.-])([45][0-5]\d)(?:[ -]|$)(?![\d.])", re.M)
ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

DAEMON_RE = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|maildaemon|mailerdaemon|mdaemon|"
    r"bounce[sd]?|nobody|noreply-dsn|mail\.delivery|autoreply-dsn)([+@]|$)",
    re.I,
)
DAEMON_NAME_RE = re.compile(
    r"mail deliver(y)? (system|subsystem|service)|mailer.daemon|postmaster|"
    r"mail administrator|delivery status|microsoft outlook|system administrator",
    re.I,
)
BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|delivery (status notification|failure|failed|has failed|"
    r"notification|problem|error|report)|returned (mail|to sender)|failure notice|"
    r"mail delivery failed|could not (be )?deliver|non remis|unzustellbar|"
    r"nicht zustellbar|no se puede entregar|non recapitabile|onbestelbaar|"
    r"message not delivered|delivery unsuccessful|mail system error|rejected|"
    r"permanent (error|failure)|warning: could not send|notice of delivery|"
    r"nondeliverable|non.?delivery|bounced|mail failure|delayed mail|delivery delay|"
    r"see transcript|could not send|エラー|不達|送信できません|配信",
    re.I,
)
BOUNCE_SUBJECT_CASED = re.compile(BOUNCE_SUBJECT_RE.pattern)  # no upper-case letters in it
FAILURE_TEXT_RE = re.compile(
    r"could ?n[o']t be delivered|couldn't be delivered|was not delivered|not be delivered|"
    r"undeliverable|delivery (to the following|has failed|failed)|"
    r"permanent(ly)? (error|fatal|fail)|"
    r"user unknown|unknown user|no such (user|mailbox|recipient|address)|does not exist|"
    r"mailbox (unavailable|full|is full|not found)|over ?quota|quota exceeded|"
    r"unable to deliver|could not deliver|wasn't able to deliver|failed permanently|"
    r"following address(es)? failed|delivery.*(failed|failure)|rejected|refused|"
    r"host not found|message delayed|retry timeout|has not yet been delivered|"
    r"smtp error|\b5\d\d[ -]\d\.\d|\b4\d\d[ -]\d\.\d|returned to sender|"
    r"could not be delivered|undelivered mail",
    re.I,
)
# Where an inline copy of the original message starts in a non-MIME notice.
ORIGINAL_MARKER_RE = re.compile(
    r"^\s*[-=_ ]*("
    r"below this line is a copy|this is a copy of the message|original message (follows|headers)|"
    r"original message|returned message|unsent message below|the original message|"
    r"headers of (the )?(returned|original)|message headers follow|copy of (the|your) message|"
    r"content-type: message/rfc822|forwarded message)"
    r".*$",
    re.I | re.M,
)

SOFT_TEXT_RE = re.compile(
    r"quota|mailbox (is )?full|mailbox full|full mailbox|insufficient (storage|disk)|storage|"
    r"disk space|too large|size (limit|exceed)|exceeds? .{0,20}(size|limit)|"
    r"spam|junk|blocked|block ?list|black ?list|dnsbl|\brbl\b|spamhaus|reputation|"
    r"policy|dmarc|\bspf\b|dkim|authenticat|not authori[sz]ed|unauthori[sz]ed|"
    r"rate limit|too many|try (again )?later|temporar|time ?d? ?out|timeout|expired|"
    r"deferred|grey ?list|gray ?list|relay(ing)? (denied|not (permitted|allowed))|"
    r"suspend|disabled|inactive|deactivated|frozen|locked|on hold|"
    r"virus|malware|content|reverse dns|\bptr\b|\bhelo\b|ehlo|tls|starttls|"
    r"not accepted? (mail )?from|sender (address )?(rejected|denied|verify)|"
    r"access denied|prohibited|refused by|connection (refused|timed)|network|"
    r"loop|routing|mail server (is )?(down|unavailable)|system (error|full)",
    re.I,
)
HARD_TEXT_RE = re.compile(
    r"user ?unknown|unknown ?user|"
    r"no such (user|mailbox|recipient|address|account|local user|person)|"
    r"(address|user|mailbox|recipient|account|person)( name)? "
    r"(does not|doesn't|do not|did not) exist|"
    r"does not exist|doesn't exist|not exist|non-?existent|"
    r"invalid (recipient|mailbox|address|user|e-?mail)|recipient (unknown|not found|invalid)|"
    r"unknown (recipient|mailbox|address|local[- ]part|alias|e-?mail)|"
    r"user (not found|doesn't have|does not have|is unknown|not local)|"
    r"(mailbox|account|address) (not found|not available|unavailable|is unavailable|"
    r"has been (deleted|removed|closed|disabled))|not a valid (mailbox|user|recipient)|"
    r"host (or domain name )?(not found|unknown)|unknown host|domain (not found|does not exist|"
    r"unknown)|name or service not known|no mx|null mx|nxdomain|no route to host|"
    r"unrouteable|unroutable|addressee unknown|not our customer|user not local|"
    r"has moved|moved to|no longer (with|at|available|valid|active)|"
    r"recipient address rejected: (user unknown|undeliverable)|bad destination mailbox|"
    r"mailbox (name )?not allowed|no mailbox|rejected: unknown|not listed in|"
    r"recipient address rejected(: access denied|\.|$)|#5\.1\.\d+ address rejected|"
    r"recipient name is not recognized|invalid final delivery|no such domain|"
    r"domain is not reachable|does not accept mail|not accepting network messages|"
    r"no smtp service|check (if|that) (the )?address is (correct|valid)|"
    r"address is (possibly )?incorrect",
    re.I,
)
# Sisimai-style mailbox-level but not address-level problems beat a bare 5.1.1.
SUSPEND_RE = re.compile(r"suspend|disabled|deactivated|over ?quota|mailbox (is )?full", re.I)
SENDER_OR_DATA_RE = re.compile(
    r"sender (address )?(rejected|denied|unknown|verify failed)|after (end of )?data|"
    r"in reply to end of data|after mail from|in reply to mail from|"
    r"mail from:?\s*<[^>]*>\.{0,3}\s*(sender|domain|rejected)",
    re.I,
)
MSGID_LINE_RE = re.compile(r"^\s*(message-id|references|in-reply-to):.*$", re.I | re.M)
HOST_TEXT_RE = re.compile(
    r"host (or domain name )?(not found|unknown)|domain (not found|does not exist)|"
    r"no such domain|null mx|no mx|domain is not reachable|has moved|user not local|moved to|"
    r"\S+\.\w+ does not exist",
    re.I,
)
# Wording that names the address itself as wrong, whichever command it answered.
STRONG_HARD_RE = re.compile(
    r"recipient name is not recognized|not listed in|invalid final delivery|"
    r"address (couldn't|could not|can't|cannot) be found|address not found|unrouteable|"
    r"no smtp service|(account|address) or domain may not exist|unknown user:|"
    r"check if (the )?address is correct|"
    # Yahoo's SMTP reply for an address it has no account for ("554 delivery error: dd ...").
    r"delivery error: dd this user doesn't have an? \S+ account",
    re.I,
)
LOCAL_MAILER_RE = re.compile(r"\s*x-unix\s*;", re.I)
RCPT_RE = re.compile(r"\brcpt\b", re.I)
HARD_STATUS = {"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.4.4", "5.1.4"}


@dataclass
class BounceRecipient:
    address: str
    status: str | None = None
    action: str | None = None
    diagnostic: str = ""
    hard: bool = False


@dataclass
class Bounce:
    kind: str  # bounce | delivered | feedback
    standard: bool
    recipients: list[BounceRecipient] = field(default_factory=list)
    original_message_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def hard(self) -> bool:
        return any(r.hard for r in self.recipients)

    def for_address(self, address: str | None) -> BounceRecipient | None:
        for recipient in self.recipients:
            if address and recipient.address == address.lower():
                return recipient
        return self.recipients[0] if self.recipients else None


def detect(parsed: Parsed) -> Bounce | None:
    """A bounce, success report or feedback report, or None for any other message."""
    if parsed.report_type == "feedback-report" or "feedback-type" in _dsn_keys(parsed):
        bounce = Bounce("feedback", True, reasons=["feedback report (RFC 5965)"])
        bounce.original_message_ids = _original_ids(parsed)
        bounce.recipients = [BounceRecipient(a) for a in _embedded_to(parsed)[:1]]
        return bounce
    per_recipient = [b for b in parsed.dsn_blocks if "final-recipient" in b or "action" in b]
    if per_recipient and (parsed.report_type == "delivery-status" or parsed.dsn_blocks):
        return _standard(parsed, per_recipient)
    return _non_standard(parsed)


def _dsn_keys(parsed: Parsed) -> set[str]:
    return {k for block in parsed.dsn_blocks for k in block}


def _standard(parsed: Parsed, blocks: list[dict[str, str]]) -> Bounce | None:
    notice = _notice_text(parsed)
    recipients: list[BounceRecipient] = []
    for block in blocks:
        address = _address(block.get("final-recipient") or block.get("original-recipient") or "")
        action = (block.get("action") or "").lower().split()[0] if block.get("action") else None
        diagnostic = block.get("diagnostic-code", "")
        status = _status(block.get("status", ""), diagnostic)
        if not address:
            address = _first_recipient(parsed, notice)
        recipients.append(BounceRecipient(address or "", status, action, diagnostic[:500], False))
    failed = [r for r in recipients if r.action not in ("delivered", "relayed", "expanded")]
    if not failed:
        return Bounce(
            "delivered", True, recipients, _original_ids(parsed), ["DSN reports delivery"]
        )
    bounce = Bounce("bounce", True, failed, _original_ids(parsed), ["RFC 3464 delivery status"])
    addresses = [r.address for r in failed if r.address]
    for recipient in failed:
        text = recipient.diagnostic
        if not text.strip() and recipient.address:
            text = _context(notice, recipient.address, addresses)
            recipient.diagnostic = text[:500]
        specific = _status("", text)
        if specific and (not recipient.status or recipient.status.endswith(".0.0")):
            # A generic X.0.0 in the report, a precise code in the server's own words.
            recipient.status = (
                specific if specific[0] == (recipient.status or specific)[0] else (recipient.status)
            )
        if not recipient.status:
            recipient.status = _status("", notice)
        recipient.hard = _is_hard(recipient.status, text or notice, notice)
        if LOCAL_MAILER_RE.match(recipient.diagnostic):
            # Diagnostic type X-Unix (RFC 3464 section 2.3.6): a local delivery program such as
            # procmail or a pipe failed after the address was accepted; the address is fine.
            recipient.hard = False
    _describe(bounce)
    return bounce


def _non_standard(parsed: Parsed) -> Bounce | None:
    failed_header = parsed.header("X-Failed-Recipients")
    local = parsed.from_email.split("@")[0] if parsed.from_email else ""
    raw_from = parsed.header("From")
    daemon = bool(DAEMON_RE.match(local)) or bool(DAEMON_NAME_RE.search(parsed.from_name))
    daemon = daemon or bool(re.search(r"mailer-daemon|postmaster|post_master", raw_from, re.I))
    null_sender = parsed.header("Return-Path").strip() in ("<>", "")
    subject = parsed.subject
    # ASCII subjects (most) are lowered once and read without IGNORECASE: the same matches,
    # at a fraction of the cost for this long alternation.
    subject_hit = bool(
        BOUNCE_SUBJECT_CASED.search(subject.lower())
        if subject.isascii()
        else BOUNCE_SUBJECT_RE.search(subject)
    )
    if not (failed_header or daemon or subject_hit):
        # The common case, a person's reply: no bounce evidence, so skip reading the text.
        return None
    notice = _notice_text(parsed)
    failure_text = bool(FAILURE_TEXT_RE.search(notice))
    reasons: list[str] = []
    if failed_header:
        reasons.append("X-Failed-Recipients header")
    elif daemon and (failure_text or subject_hit or parsed.embedded):
        reasons.append("sent by a mail daemon with failure text")
    elif subject_hit and failure_text and (null_sender or parsed.embedded or _has_copy(parsed)):
        reasons.append("delivery failure subject and text")
    else:
        return None
    addresses = [_address(a) for a in failed_header.split(",") if _address(a)]
    if not addresses:
        addresses = _notice_recipients(parsed, notice)
    recipients = []
    for address in addresses:
        context = _context(notice, address, addresses)
        status = _status("", context) or _status("", notice)
        recipients.append(BounceRecipient(address, status, "failed", context[:500], False))
        recipients[-1].hard = _is_hard(status, context if context.strip() else notice, notice)
    bounce = Bounce("bounce", False, recipients, _original_ids(parsed), reasons)
    _describe(bounce)
    return bounce


def _describe(bounce: Bounce) -> None:
    first = bounce.recipients[0] if bounce.recipients else None
    if first is None:
        bounce.reasons.append("failed recipient not found")
        return
    if first.status:
        bounce.reasons.append(f"status {first.status}")
    bounce.reasons.append("hard: address cannot receive mail" if first.hard else "soft: retryable")


def _is_hard(status: str | None, text: str, notice: str = "") -> bool:
    if status and status.startswith("4"):
        return False
    if status in ("5.1.7", "5.1.8") or SENDER_OR_DATA_RE.search(text + "\n" + notice):
        # The refusal concerned our sender, or came after the recipient was accepted (at DATA):
        # the recipient's address itself is fine.
        return False
    hard_text = bool(HARD_TEXT_RE.search(text))
    if SUSPEND_RE.search(text):
        return False
    if status in HARD_STATUS:
        return not _strong_soft(text)
    if status and status.startswith("5.2.") and status != "5.2.1":
        # X.2.X is mailbox status (RFC 3463): the mailbox exists but is full, too small or
        # filtering, even when the server's wording says "unknown". 5.2.1 (disabled) is
        # decided by the wording: many servers send it for unknown users.
        return False
    if HOST_TEXT_RE.search(text) or STRONG_HARD_RE.search(text):
        return not _strong_soft(text)
    if hard_text and (status not in (None, "5.0.0") or RCPT_RE.search(text + "\n" + notice)):
        # Wording alone ("user unknown") is hard only when the server said it in answer to
        # RCPT TO; said later, the address was accepted and a filter refused the message.
        return not _strong_soft(text)
    return False


def _strong_soft(text: str) -> bool:
    return bool(
        re.search(
            r"spam|blocked|block ?list|black ?list|reputation|dmarc|\bspf\b|dkim|quota|"
            r"mailbox (is )?full|rate limit|too many|relay(ing)? (denied|not)|disk space",
            text,
            re.I,
        )
    )


def _status(field_value: str, text: str) -> str | None:
    for source in (field_value, text):
        found = ENHANCED_RE.search(source or "")
        if found and found.group(1) != "2":
            return ".".join(found.groups())
    if field_value.strip().startswith("2."):
        return field_value.strip()
    code = SMTP_CODE_RE.search(text or "")
    if code:
        return f"{code.group(1)[0]}.0.0"
    return None


def _address(value: str) -> str:
    value = value.split(";", 1)[-1] if ";" in value else value
    found = ADDRESS_RE.search(value)
    return found.group(0).strip(".").lower() if found else ""


def _notice_text(parsed: Parsed) -> str:
    """The part a server wrote about the failure: without the attached or inlined original."""
    text = parsed.text or parsed.all_text
    marker = ORIGINAL_MARKER_RE.search(text)
    if marker and marker.start() > 0:
        text = text[: marker.start()]
    diagnostics = " ".join(b.get("diagnostic-code", "") for b in parsed.dsn_blocks)
    return (text + "\n" + diagnostics)[:50_000]


def _has_copy(parsed: Parsed) -> bool:
    return bool(ORIGINAL_MARKER_RE.search(parsed.text or ""))


def _ignored(parsed: Parsed) -> set[str]:
    ours = {parsed.from_email, *parsed.to_emails}
    # Message-IDs look like addresses; an inline copy of the original has some.
    for line in MSGID_LINE_RE.finditer(parsed.all_text):
        ours.update(i.strip("<>").lower() for i in message_ids(line.group(0)))
    for original in parsed.embedded:
        ours.update(a.lower() for a in ADDRESS_RE.findall(str(original.get("From", ""))))
    return ours


def _notice_recipients(parsed: Parsed, notice: str) -> list[str]:
    """Every address the notice names that is not the bounce's own sender or addressee."""
    ignored = _ignored(parsed)
    found: list[str] = []
    for match in ADDRESS_RE.finditer(notice):
        address = match.group(0).strip(".").lower()
        if address in ignored or address in found or DAEMON_RE.match(address.split("@")[0]):
            continue
        found.append(address)
    return found or _embedded_to(parsed)[:1]


def _first_recipient(parsed: Parsed, notice: str) -> str:
    found = _notice_recipients(parsed, notice)
    return found[0] if found else ""


def _embedded_to(parsed: Parsed) -> list[str]:
    for original in parsed.embedded:
        found = [a.lower() for a in ADDRESS_RE.findall(str(original.get("To", "")))]
        if found:
            return found
    return []


def _context(notice: str, address: str, others: list[str]) -> str:
    """The text around a failed address, not reaching into the next or previous recipient's
    lines: servers put the reason just after the address, some (Notes, IMail) just before."""
    lowered = notice.lower()
    index = lowered.find(address)
    if index < 0:
        return notice
    start, end = max(0, index - 200), index + 700
    for other in others:
        if other == address:
            continue
        later = lowered.find(other, index + len(address))
        if later > 0:
            end = min(end, later)
        earlier = lowered.rfind(other, 0, index)
        if earlier >= 0:
            start = max(start, earlier + len(other))
    after = notice[index:end]
    if HARD_TEXT_RE.search(after) or SOFT_TEXT_RE.search(after) or ENHANCED_RE.search(after):
        return after
    return notice[start:end]


def _original_ids(parsed: Parsed) -> list[str]:
    found: list[str] = []
    for original in parsed.embedded:
        found.extend(message_ids(str(original.get("Message-ID", ""))))
    if not found:
        # Non-MIME notices paste the original inline; its Message-ID header line is still there.
        text = parsed.text or parsed.all_text
        marker = ORIGINAL_MARKER_RE.search(text)
        tail = text[marker.start() :] if marker else text
        for line in re.finditer(r"^\s*Message-ID:\s*(<[^<>\s]+>)", tail, re.I | re.M):
            found.append(line.group(1))
    return found
