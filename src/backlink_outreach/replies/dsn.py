"""Bounce detection: RFC 3464 delivery status notifications and the non-standard notices that
many mail servers still send (qmail, Exim, Exchange, webmail providers).

Everything here reads a `Parsed` message and returns evidence; nothing touches the database.
Hard means "this address cannot receive mail" (user or host unknown, null MX, moved); policy,
reputation and content refusals are soft because the address itself is fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..domains import registrable_domain
from . import ses, severity
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
    # Not Sendmail's and Courier's opening line "The original message was received at ...".
    r"(the )?original message(?!\s+was\s+received)|returned message|unsent message below|"
    r"headers of (the )?(returned|original)|message headers follow|copy of (the|your) message|"
    r"content-type: message/rfc822|forwarded message)"
    r".*$",
    re.I | re.M,
)

# Delay warnings (RFC 3464 `Action: delayed`) as the servers word them when they send no
# report: Sendmail and Exchange ("THIS IS A WARNING MESSAGE ONLY"), Postfix ("THIS IS A WARNING
# ONLY", "Delayed Mail (still being retried)"), Exim ("has not yet been delivered ... Delivery
# attempts will continue"), Gmail ("Gmail will retry for"), Office 365 ("Delivery is delayed",
# "The server will keep trying"), Courier ("DELAYS IN DELIVERING", "This is a warning message
# only"), MDaemon ("has not yet been delivered"), Lotus Domino ("Delivery Delayed").
DELAY_TEXT_RE = re.compile(
    r"warning (message )?only|you do not need to resend|not yet been delivered|"
    r"(has|have) not yet received|hasn'?t been delivered yet|still (being )?retried|"
    r"will (keep|continue) (trying|to (try|attempt|be attempted|retry))|"
    r"delivery attempts will continue|will (retry|be retried|try again) (for|until|later|"
    r"periodically|automatically)|will be retried until|(gmail|server|system) will retry|"
    r"message (is )?still undelivered|still undelivered after|no action is required on your part|"
    r"delivery (is|has been) delayed|delays in delivering|delivery (to the following recipients? )?"
    r"(has been |is )?delayed|temporary problem delivering your message|delivery incomplete",
    re.I,
)
DELAY_SUBJECT_RE = re.compile(
    r"\(delay\)|delayed mail|delivery delay|delivery (status notification: )?delayed|"
    r"mail delivery delayed|still being retried|warning: could not send|"
    r"warning: message .{0,40} delayed|message delayed|delivery warning|"
    r"delivery status notification: delayed",
    re.I,
)
# A final failure that borrows a warning's words: MDaemon's "PERMANENT fatal delivery errors ...
# YOU DO NOT NEED TO RESEND THE MESSAGE", qmail's "This is a permanent error; I've given up",
# Sendmail's "Message could not be delivered for 5 days / will be deleted from queue".
PERMANENT_TEXT_RE = re.compile(
    r"permanent (fatal|error|failure|delivery failure)|fatal (delivery )?errors|"
    r"(removed|deleted) from (the )?(mail )?queue|(i've|i have|has|have) given up|\bgave up\b|"
    r"no further (delivery )?attempts|will not be retried|failed permanently",
    re.I,
)
# A daemon's plain-text delivery receipt (Exchange's "Delivered:" and "Relayed:" notices when no
# report part is attached): a success, like RFC 3464's delivered and relayed actions.
SUCCESS_TEXT_RE = re.compile(
    r"(has been|was) (successfully )?delivered to (the following|these|this) recipients?|"
    r"delivery to (the following|these|this) recipients?( or groups?)? "
    r"(is complete|was successful|succeeded)|was successfully delivered",
    re.I,
)
# Challenge-response systems (Boxbe, Spam Arrest, Mailinblack, ChoiceMail, Bluebottle and the
# whitelist features of hosted mail): they hold the message until the sender proves to be a
# person. A request, not a failure: `auto_reply`, even when it comes as a delivery report.
CHALLENGE_RE = re.compile(
    r"(verify|confirm|prove) (that )?you are (a )?(human|real person|person|not a (ro)?bot)|"
    r"(are you|you're|you are) (a )?(human|real person)|not a (ro)?bot|captcha|"
    r"please (click|confirm|verify|reply|follow|visit|complete)[^.\n]{0,100}"
    r"(human|verif|approv|whitelist|white list|allow ?list|safe ?list|guest list|authori[sz])|"
    r"(add(ed)?|put) (you )?(to|on) (my|the|our|his|her|their) "
    r"(whitelist|white list|approved senders?|allow ?list|safe ?senders?|safe ?list|guest list|"
    r"contact list)|"
    r"approved senders? (list)?|list of approved senders|sender verification (request|required)|"
    r"challenge[- ]response|boxbe|spam ?arrest|mailinblack|choicemail|bluebottle|"
    r"(held|waiting|pending|quarantined) (for|until) (your |the sender's |sender )?"
    r"(verification|approval|confirmation)|awaiting (your )?(verification|confirmation)|"
    r"(verification|confirmation) (is )?(required|needed) (before|to deliver)|"
    # the reply-to-confirm kind (TMDA, qconfirm, Active Spam Killer)
    r"(only )?(accept|receive)s? (e-?mail|mail|messages) (only )?from (senders|people) who "
    r"(have been|are) (verified|confirmed|approved)|"
    r"(original )?message will be (delivered|released) (once|when|after|as soon as) you",
    re.I,
)
# The services by name, and the filter's name for what it is: enough on their own. Otherwise
# a person's reply may ask "are you a real person?", so the wording needs a link to the
# verification page or automatic headers.
CHALLENGE_SERVICE_RE = re.compile(
    r"boxbe|spam ?arrest|mailinblack|choicemail|bluebottle|sendio|earthlink spamblocker|"
    r"mailbox ?guard|challenge[- ]response (system|filter|service|protection|spam)",
    re.I,
)
# Outside a delivery report only the wording no editor uses in an answer counts ("please
# visit our guidelines to get your post approved" is a person's reply).
CHALLENGE_PERSONAL_RE = re.compile(
    r"(verify|confirm|prove) (that )?you are (a )?(human|real person|person|not a (ro)?bot)|"
    r"\bcaptcha\b|approved senders?|sender verification|challenge[- ]response|"
    r"\b(whitelist|white list|allow ?list|safe ?senders? list|guest list)\b|"
    r"(accept|receive)s? (e-?mail|mail|messages) (only )?from (senders|people) who "
    r"(have been|are) (verified|confirmed|approved)",
    re.I,
)
URL_RE = re.compile(r"https?://", re.I)
AUTOMATIC_HEADERS = ("Auto-Submitted", "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
# A forwarding or alias address and the address the message was sent to: Postfix writes
# "<final@x> (expanded from <sent@y>)", Exim "final@x <- sent@y" or "(generated from sent@y)".
FORWARD_RE = re.compile(
    r"<?(?P<final>[^\s<>()@]+@[^\s<>()]+?)>?:?\s*\((?:expanded|generated) from:?\s*"
    r"<?(?P<sent>[^\s<>()@]+@[^\s<>()]+?)>?\)|"
    r"^\s*<?(?P<final2>[^\s<>()@]+@[^\s<>()]+?)>?\s*<-\s*<?(?P<sent2>[^\s<>()@]+@[^\s<>()]+?)>?\s*$",
    re.I | re.M,
)
# A notice that names the failed recipient by its local part only (AOL's screen names, a
# Sendmail or Notes host reporting one of its own users): the line after a heading such as
# "The following addresses had permanent fatal errors".
LOCAL_ONLY_RE = re.compile(
    r"(?:following (?:address(?:es)?|recipients?|users?)[^\n]{0,60}|could not be delivered to"
    r"|undeliverable to|not delivered to)[:\s-]*\n?\s*<?(?P<local>[A-Za-z0-9][\w.+-]{0,63})>?"
    r"\s*(?:\n|\(|$|:)",
    re.I,
)
# A reporting server that files the failure under its own RFC 3463 heading and quotes the
# remote server's reply after the reply code: "smtp; 5.1.0 - Unknown address error
# 550-'5.7.1 <...>... Access denied' (delivery attempts: 0)". The heading is the reporter's
# guess from the code; the quoted reply is what the recipient's server said.
QUOTED_REPLY_RE = re.compile(
    r"^\s*(?:smtp;\s*)?[245]\.\d{1,3}\.\d{1,3} - [^'\n]{0,80}?(?<![\d.])(?P<code>[45]\d\d)[- ]"
    r"'(?P<reply>[^'\n]+)'",
    re.I,
)
# Sendmail's per-recipient result line in a transcript (deliver.c, usersmtp.c):
# "550 5.1.1 <user@example.org>... User unknown".
SENDMAIL_RESULT_RE = re.compile(
    r"[ \t]*[45]\d\d(?:[ -][45]\.\d{1,3}\.\d{1,3})?[ \t]+<[^<>\s]+>\.\.\.\s"
)
DELIVERY_TO_RE = re.compile(
    r"(?:deliver(?:ing|y)?|could not be delivered|was not delivered|undeliverable)\b[^\n]{0,40}?"
    r"\bto:?\s*<?(?P<address>" + ADDRESS_RE.pattern + r")>?",
    re.I,
)
SENDER_LINE_RE = re.compile(r"^\s*(mail from|from|sender|reply-to|return-path)\s*:.*$", re.I | re.M)
MSGID_LINE_RE = re.compile(r"^\s*(message-id|references|in-reply-to):.*$", re.I | re.M)


SUCCESS_ACTIONS = ("delivered", "relayed", "expanded", "deliverable")


@dataclass
class BounceRecipient:
    address: str
    status: str | None = None
    action: str | None = None
    diagnostic: str = ""
    hard: bool = False
    # The address the message was sent to when the report names a forwarding or alias address
    # as the failed one (Original-Recipient, "expanded from", "generated from").
    original: str | None = None
    verdict: str = ""

    def addresses(self) -> list[str]:
        """The addresses this line may be about, the one the message was sent to first: a
        forwarding address never outranks it."""
        found = [a for a in (self.original, self.address) if a]
        return list(dict.fromkeys(found))


@dataclass
class Bounce:
    kind: str  # bounce | delivered | feedback | delay | challenge
    standard: bool
    recipients: list[BounceRecipient] = field(default_factory=list)
    original_message_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # The To of the original the report returns: the address the message was sent to, when
    # the report names only a forwarding or alias address and quotes no Message-ID.
    sent_to: list[str] = field(default_factory=list)

    @property
    def hard(self) -> bool:
        return any(r.hard for r in self.recipients)

    def for_address(self, address: str | None) -> BounceRecipient | None:
        for recipient in self.recipients:
            if address and address.lower() in recipient.addresses():
                return recipient
        return self.recipients[0] if self.recipients else None


def detect(parsed: Parsed) -> Bounce | None:
    """A bounce, delay warning, success report, feedback report or challenge-response request,
    or None for any other message."""
    notification = ses.notification(parsed)
    if notification is not None:
        return _from_ses(notification)
    if parsed.report_type == "feedback-report" or "feedback-type" in _dsn_keys(parsed):
        bounce = Bounce("feedback", True, reasons=["feedback report (RFC 5965)"])
        bounce.original_message_ids = _original_ids(parsed)
        bounce.recipients = [BounceRecipient(a) for a in _embedded_to(parsed)[:1]]
        return bounce
    per_recipient = [b for b in parsed.dsn_blocks if "final-recipient" in b or "action" in b]
    if per_recipient and (parsed.report_type == "delivery-status" or parsed.dsn_blocks):
        found = _standard(parsed, per_recipient)
    else:
        found = _non_standard(parsed)
    if found is not None and not found.sent_to:
        found.sent_to = _embedded_to(parsed)[:5]
    if found is not None and found.kind in ("bounce", "delay"):
        challenge = CHALLENGE_RE.search(_notice_text(parsed))
        if challenge:
            found.kind = "challenge"
            found.reasons.append(f"challenge-response request ({_words(challenge)!r})")
    return found


def challenge_request(parsed: Parsed, text: str) -> str | None:
    """The words of a challenge-response request that did not come as a delivery report (the
    filter writes from the recipient's own address), or None."""
    head = parsed.subject + "\n" + text[:5000]
    # The whole body for the service's name: its footer ("Powered by Boxbe") may sit below
    # what reads as a signature.
    whole = head + "\n" + (parsed.text or "")[:10_000] + "\n" + parsed.header("From")
    service = CHALLENGE_SERVICE_RE.search(whole)
    found = CHALLENGE_PERSONAL_RE.search(head) or (CHALLENGE_RE.search(whole) if service else None)
    if found is None:
        return None
    automatic = any(
        parsed.header(name) and not parsed.header(name).lower().startswith("no")
        for name in AUTOMATIC_HEADERS
    )
    # A null reverse-path is how automatic answers are sent (RFC 3834 section 3.3); a person's
    # reply has the person's address.
    automatic = automatic or parsed.header("Return-Path").strip() == "<>"
    if service or automatic or URL_RE.search(text[:5000]):
        return _words(found)
    return None


def _from_ses(found: dict[str, object]) -> Bounce | None:
    kind = str(found.get("notificationType", "")).lower()
    lines = [BounceRecipient(r["address"]) for r in ses.recipients(found)]
    ids = ses.original_message_ids(found)
    if kind == "complaint":
        return Bounce("feedback", True, lines[:1], ids, ["Amazon SES complaint notification"])
    if kind == "delivery":
        return Bounce("delivered", True, lines, ids, ["Amazon SES delivery notification"])
    if kind != "bounce":
        return None
    declared = ses.bounce_type(found)
    bounce = Bounce("bounce", True, [], ids, [f"Amazon SES bounce notification ({declared})"])
    for entry in ses.recipients(found):
        diagnostic = entry["diagnostic"][:500]
        line = BounceRecipient(
            entry["address"], _status(entry["status"], diagnostic), "failed", diagnostic
        )
        if line.status or diagnostic.strip():
            verdict = severity.judge(line.status, diagnostic)
            line.hard, line.verdict = verdict.hard, verdict.reason
        else:
            # Nothing but SES's own type: Permanent is its word for an address to drop.
            line.hard = declared == "Permanent"
            line.verdict = f"{'hard' if line.hard else 'soft'}: SES bounceType {declared}"
        bounce.recipients.append(line)
    _describe(bounce)
    return bounce


def _dsn_keys(parsed: Parsed) -> set[str]:
    return {k for block in parsed.dsn_blocks for k in block}


def _standard(parsed: Parsed, blocks: list[dict[str, str]]) -> Bounce | None:
    notice = _notice_text(parsed)
    recipients: list[BounceRecipient] = []
    for block in blocks:
        named = _address(block.get("final-recipient") or "", parsed)
        original = _address(block.get("original-recipient") or "", parsed)
        address = named or original
        action = (block.get("action") or "").lower().split()[0] if block.get("action") else None
        diagnostic = block.get("diagnostic-code", "")
        status = _status(block.get("status", ""), diagnostic)
        if not address:
            address = _first_recipient(parsed, notice)
        line = BounceRecipient(address or "", status, action, diagnostic[:500])
        line.original = original if original and original != address else None
        recipients.append(line)
    # RFC 3464's success actions, and Postfix's "deliverable" of an address-verification
    # report (`sendmail -bv`), which sends nothing to anyone.
    failed = [r for r in recipients if r.action not in SUCCESS_ACTIONS]
    if not failed:
        return Bounce(
            "delivered", True, recipients, _original_ids(parsed), ["DSN reports delivery"]
        )
    final = [r for r in failed if r.action != "delayed"]
    if not final or (all(r.action is None for r in final) and _delay_words(parsed, notice)):
        reasons = ["delivery delay warning (RFC 3464 Action: delayed): not a failure"]
        if final:
            reasons = [f"delivery delay warning ({_delay_words(parsed, notice)!r}): not a failure"]
        return Bounce("delay", True, failed, _original_ids(parsed), reasons)
    bounce = Bounce("bounce", True, final, _original_ids(parsed), ["RFC 3464 delivery status"])
    addresses = [r.address for r in final if r.address]
    _aliases(notice, final)
    for recipient in final:
        text = _quoted_reply(recipient.diagnostic) or recipient.diagnostic
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
        # Diagnostic type X-Unix (RFC 3464 section 2.3.6): a local delivery program such as
        # procmail or a pipe failed after the address was accepted; the address is fine.
        local = bool(severity.LOCAL_MAILER_RE.match(recipient.diagnostic))
        session = notice if len(final) == 1 else _context(notice, recipient.address, addresses)
        verdict = severity.judge(
            recipient.status, text or notice, session=session, local_mailer=local
        )
        recipient.hard, recipient.verdict = verdict.hard, verdict.reason
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
    delay_subject = bool(DELAY_SUBJECT_RE.search(subject))
    # RFC 5321 section 4.5.5: notifications go out with a null reverse-path; one that also
    # returns the original is a notice whatever its subject and sender say.
    returned = parsed.header("Return-Path").strip() == "<>" and bool(parsed.embedded)
    if not (failed_header or daemon or subject_hit or delay_subject or returned):
        # The common case, a person's reply: no bounce evidence, so skip reading the text.
        return None
    notice = _notice_text(parsed)
    failure_text = bool(FAILURE_TEXT_RE.search(notice))
    delay = _delay_words(parsed, notice)
    success = SUCCESS_TEXT_RE.search(notice)
    if success and (daemon or null_sender) and not (failure_text or delay or failed_header):
        receipt = [BounceRecipient(a) for a in _notice_recipients(parsed, notice)]
        why = f"delivery receipt ({_words(success)!r})"
        return Bounce("delivered", True, receipt, _original_ids(parsed), [why])
    reasons: list[str] = []
    if failed_header:
        reasons.append("X-Failed-Recipients header")
    elif daemon and (failure_text or subject_hit or delay or parsed.embedded):
        reasons.append("sent by a mail daemon with failure text")
    elif (
        (subject_hit or delay_subject)
        and (failure_text or delay)
        and (null_sender or parsed.embedded or _has_copy(parsed))
    ):
        reasons.append("delivery failure subject and text")
    elif returned and failure_text:
        reasons.append("null sender, the original returned, failure text")
    else:
        return None
    addresses = [_address(a, parsed) for a in failed_header.split(",") if _address(a, parsed)]
    if not addresses:
        addresses = _notice_recipients(parsed, notice)
    recipients = []
    for address in addresses:
        context = _context(notice, address, addresses)
        status = _status("", context) or _status("", notice)
        recipients.append(BounceRecipient(address, status, "failed", context[:500], False))
    _aliases(notice, recipients)
    if delay:
        reasons.append(f"delivery delay warning ({delay!r}): not a failure")
        return Bounce("delay", False, recipients, _original_ids(parsed), reasons)
    for line in recipients:
        text = line.diagnostic if line.diagnostic.strip() else notice
        session = notice if len(recipients) == 1 else text
        verdict = severity.judge(line.status, text, session=session)
        line.hard, line.verdict = verdict.hard, verdict.reason
    bounce = Bounce("bounce", False, recipients, _original_ids(parsed), reasons)
    _describe(bounce)
    return bounce


def _quoted_reply(diagnostic: str) -> str:
    """The remote server's own reply when the reporter quotes it under a heading of its own."""
    found = QUOTED_REPLY_RE.match(diagnostic)
    return f"{found.group('code')} {found.group('reply')}" if found else ""


def _delay_words(parsed: Parsed, notice: str) -> str:
    """The words that make a notice a delay warning, or "" for a final failure."""
    found = DELAY_TEXT_RE.search(notice)
    if found and not PERMANENT_TEXT_RE.search(notice):
        return _words(found)
    subject = DELAY_SUBJECT_RE.search(parsed.subject)
    if subject and not re.search(r"permanent|gave up|giving up|undeliverable|failed", notice, re.I):
        return _words(subject)
    return ""


def _words(found: re.Match[str]) -> str:
    return " ".join(found.group(0).split())[:80]


def _aliases(notice: str, recipients: list[BounceRecipient]) -> None:
    """Attach the address each failed forwarding or alias address was expanded from, and drop
    the lines that only repeat such an original."""
    pairs: dict[str, str] = {}
    for found in FORWARD_RE.finditer(notice):
        final = (found.group("final") or found.group("final2") or "").strip(".").lower()
        sent = (found.group("sent") or found.group("sent2") or "").strip(".").lower()
        if final and sent and final != sent:
            pairs.setdefault(final, sent)
    if not pairs:
        return
    for line in recipients:
        if line.original is None and line.address in pairs:
            line.original = pairs[line.address]
    originals = {line.original for line in recipients if line.original}
    recipients[:] = [r for r in recipients if r.address not in originals or r.original]


def _describe(bounce: Bounce) -> None:
    first = bounce.recipients[0] if bounce.recipients else None
    if first is None:
        bounce.reasons.append("failed recipient not found")
        return
    if first.status:
        bounce.reasons.append(f"status {first.status}")
    if first.original:
        bounce.reasons.append(f"{first.address} was forwarded from {first.original}")
    bounce.reasons.append(first.verdict or "soft: retryable")


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


def _address(value: str, parsed: Parsed | None = None) -> str:
    value = value.split(";", 1)[-1] if ";" in value else value
    found = ADDRESS_RE.search(value)
    if found:
        return found.group(0).strip(".").lower()
    local = value.strip().strip("<>").strip()
    if parsed is not None and re.fullmatch(r"[A-Za-z0-9][\w.+-]{0,63}", local):
        return _on_reporting_domain(local, parsed)
    return ""


def _on_reporting_domain(local: str, parsed: Parsed) -> str:
    """A recipient named by its local part only (an AOL screen name, a host's own user) is an
    address on the domain of the server that reports it."""
    host = parsed.from_email.rsplit("@", 1)[-1] if "@" in parsed.from_email else ""
    if not host or DAEMON_RE.match(local):
        return ""
    return f"{local.lower()}@{registrable_domain(host)}"


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
    # Notices that summarise the original ("MAIL FROM: ...", "From: ...") name its sender.
    for line in SENDER_LINE_RE.finditer(parsed.text or parsed.all_text):
        first = ADDRESS_RE.search(line.group(0))  # only the first: "From: <x> RCPT: <y>"
        if first:
            ours.add(first.group(0).strip(".").lower())
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
    if not found:
        # A role address (postmaster@, which RFC 5321 section 4.5.1 makes every domain keep)
        # can be the one that failed: taken only where the notice says delivery to it failed.
        role = DELIVERY_TO_RE.search(notice)
        address = role.group("address").strip(".").lower() if role else ""
        if address and address not in ignored:
            found.append(address)
    if not found:
        bare = LOCAL_ONLY_RE.search(notice)
        address = _on_reporting_domain(bare.group("local"), parsed) if bare else ""
        if address and address not in ignored:
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
    line_start = notice.rfind("\n", 0, index) + 1
    if SENDMAIL_RESULT_RE.match(notice, line_start):
        # Sendmail's "554 <addr>... reason" line closes that recipient's part of the
        # transcript: the dialogue before it (">>> RCPT To", "<<< 550 ...", the host line
        # "550 example.org (smtp)... Host unknown") is its cause, the lines after it belong to
        # the next recipient.
        line_end = notice.find("\n", index)
        begin = notice.find("\n", start) + 1 if start > max(0, index - 200) else start
        return notice[min(begin, line_start) : line_end if line_end >= 0 else len(notice)]
    after = notice[index:end]
    if (
        ENHANCED_RE.search(after)
        or SMTP_CODE_RE.search(after)
        or severity.MAILBOX_UNKNOWN_RE.search(after)
        or severity.HOST_UNKNOWN_RE.search(after)
        or severity.soft_family(after)
    ):
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
