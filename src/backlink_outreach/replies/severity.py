"""Hard or soft: can the failed address receive mail at all?

Hard means the address or its domain cannot receive mail (unknown mailbox, unknown or null-MX
domain, mailbox moved): the address is suppressed. Everything else that ended in a final
failure is soft: the mailbox is full or disabled, the message was refused for its size, content
or the sender's reputation, or the server gave up on a temporary failure.

The evidence is read in this order, each step naming itself in the verdict's reason:

1. the class of the code (RFC 3463 section 3.1): 4.X.X is transient, so soft, unless the
   server kept saying the mailbox does not exist until the sender gave up (Postfix's
   `450 4.1.1 ... User unknown` when `unknown_local_recipient_reject_code` is 450);
2. who the refusal was about (RFC 5321 section 3.3: RCPT TO names the recipient; MAIL FROM and
   DATA come before and after it): a refusal of our sender (X.1.7, X.1.8, "sender address
   rejected") or of the message after the recipient was accepted (at end of DATA) says nothing
   against the address;
3. wording that contradicts the code: a server that answers 5.1.1 but writes about the
   message's size, spam, a full mailbox or a blocklist refused the message, not the address;
4. the subject of the code (RFC 3463 section 3.2 ff.): X.1.1 bad mailbox, X.1.2 bad system,
   X.1.3 bad syntax, X.1.6 moved, X.1.10 null MX (RFC 7505), 5.4.4 unable to route (no MX or
   A record) are hard; X.2.X is mailbox status (full, disabled: soft, but 5.2.1 is decided by
   the wording, as many servers send it for unknown users), X.3 to X.7 are about the system,
   the network, the protocol, the content and security: soft unless the wording says the
   address does not exist; a mailbox the server calls disabled or suspended is soft;
5. the wording the major servers use for "this address or domain cannot receive mail"
   (below, with the server each phrase comes from), hard whichever code came with it, unless
   it was said after the recipient was accepted;
6. weaker wording ("mailbox unavailable", "invalid recipient"), which RFC 5321's own 550 text
   uses for policy refusals too: hard only when no specific code says otherwise and nothing in
   the text points at policy, content or the sender (those were read in step 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- 5. "the address does not exist", as servers word it -------------------------------------
MAILBOX_UNKNOWN_RE = re.compile(
    r"user ?unknown|unknown ?user|"  # Sendmail, Postfix ("User unknown in local recipient table")
    r"unknown (recipient|mailbox|address|local[- ]?part|alias|e-?mail)|"  # Postfix, Exim, Courier
    r"no such (user|mailbox|recipient|address|account|local user|person|alias)|"  # Exim, MDaemon
    r"no mailbox here by that name|"  # qmail, vpopmail, chkuser (Yahoo)
    r"(mailbox|user|recipient|account|address|addressee)( name)? "
    r"(was )?(is )?(not found|unknown|not known|invalid)|"  # Courier, GroupWise, Exchange
    r"(address|user|mailbox|recipient|account|person|e-?mail)( name| address| account)? "
    r"(does not|doesn't|do not|did not) exist|"  # Gmail, Exchange, Zimbra
    r"does ?n[o']?t have an? [\w.-]+ account|"  # Yahoo ("dd This user doesn't have a ... account")
    r"(account|address|mailbox|user) (that you tried to reach )?(does not|doesn't) exist|"
    r"email account that you tried to reach does not exist|"  # Gmail
    # Gmail; Exchange ("The e-mail address you entered couldn't be found")
    r"address (you entered )?(couldn't|could not|can't|cannot) be found|address not found|"
    # Exim (cPanel) after a failed recipient callout: the next hop refused the address.
    r"recipient (cannot|could not|can't) be verified|recipient verif(y|ication) failed|"
    r"recipnotfound|recipientnotfound|recipient not found|"  # Exchange RESOLVER.ADR.*
    r"e-?mail account does not exist|recipient name is not recognized|"  # Exchange 2003 / X.400
    r"not listed in (the )?(domino directory|public name (&|and) address book|"
    r"names? (and|&) address book)|"  # Lotus Domino
    r"is not a known user|not a known user|"  # IBM/Domino, Mirapoint
    r"no mail ?box available|mailbox (name )?not allowed|"  # RFC 5321 553 text, iPlanet
    r"not an active (e-?mail )?address|"  # Rackspace, cPanel
    r"invalid (mailbox|recipient|user|address|e-?mail address)( address)?[:.;)]?\s*$|"
    r"unknown or illegal alias|illegal alias|"  # Sendmail aliases
    r"badrcptto|badrecipientto|not in my validrcptto list|validrcptto|"  # qmail patches
    r"this (e-?mail )?address no longer accepts mail|no longer (exists|valid|in use)|"
    r"(account|mailbox) (has been |was )?(deleted|removed|terminated|closed)|"
    r"recipient address rejected: (user unknown|undeliverable address: (unknown|user))|"
    # Exchange Online directory-based edge blocking: the recipient is not in the directory.
    r"recipient address rejected: access denied|"
    r"bad destination mailbox|invalid final delivery user|"
    r"unrouteable address|unroutable address|"  # Exim (router found no way)
    r"delivery error: dd|"  # Yahoo's dd = mailbox does not exist
    r"mailbox not found|mailbox does not exist|no mailbox|"
    r"user (not found|doesn't exist|does not exist|is unknown|not local)|"
    # Exchange Online's notice text: "jane wasn't found at example.com", "Unknown To address".
    r"\S+ (wasn't|was not) found at \S+|unknown to address|"
    # The same in the other languages the rules read, as localised servers and webmail say it.
    r"(empfänger|benutzer|adresse|postfach)( ist)? unbekannt|"  # German
    r"unbekannte[rn]? (empfänger|benutzer|adresse|an-adresse)|"
    r"wurde bei \S+ nicht gefunden|(adresse|postfach|konto|empfänger) existiert nicht|"
    r"(destinataire|utilisateur|adresse)( email| e-mail)? (est )?inconnue?|"  # French
    r"adresse à inconnue|est introuvable sur \S+|"
    r"(adresse|destinataire|utilisateur|compte|boîte aux lettres)( \S+)? n['’]existe pas|"
    r"(usuario|destinatario|dirección|buzón)( de correo)? desconocid[oa]|"  # Spanish
    r"no se encontró a \S+ en|(usuario|dirección|buzón|cuenta)( de correo)? no existe|"
    r"(utente|destinatario|indirizzo)( email| e-mail)? (sconosciuto|inesistente)|"  # Italian
    r"(utente|indirizzo|casella)( email| e-mail)? non esiste|"
    r"(usuário|utilizador|destinatário|endereço)( de e-?mail)? (desconhecido|inexistente)|"
    r"(usuário|utilizador|endereço|conta)( de e-?mail)? não existe|"  # Portuguese
    r"onbekende (gebruiker|ontvanger|geadresseerde)|"  # Dutch
    r"(gebruiker|adres|ontvanger) (is )?onbekend|(adres|mailbox|account) bestaat niet",
    re.I | re.M,
)
# "the domain cannot receive mail": DNS said it does not exist, or has no mail host.
HOST_UNKNOWN_RE = re.compile(
    r"host (or domain name )?(not found|unknown)|unknown host|"  # Postfix, Sendmail
    # DragonFly Mail Agent: "DNS lookup failure: host example.org not found".
    r"host [\w-]+(\.[\w-]+)+ not found|"
    r"name or service not known|"  # getaddrinfo EAI_NONAME (Exim, Courier, OpenSMTPD)
    r"couldn'?t find any host (named|by that name)|"  # qmail
    r"(no such|nonexistent|non-existent|unknown) domain|nonexistentdomain|"  # Exchange, Exim
    r"domain (name )?(not found|does not exist|doesn't exist|unknown|is not valid)|"
    r"dns domain .{0,40}does not exist|"  # Exchange 5.4.310
    r"all relevant mx records point to non-?existent hosts|"  # Exim
    r"unrouteable mail domain|unroutable mail domain|"  # Exim
    r"no (mx|mail exchanger|valid mx)( or a)? records? (for|found)|no mx for|"
    r"null ?mx|does not accept (e-?)?mail|"  # RFC 7505
    r"nxdomain|address resolution of .{0,80} failed|"  # Gmail "DNS Error"
    r"no route found to domain|"  # Lotus Domino
    r"domain is not (reachable|served here)|not our customer|"
    r"no smtp service|"
    r"\S+\.\w+ does not exist",
    re.I,
)
MOVED_RE = re.compile(
    r"user not local|has moved|moved to|no forwarding address|address has changed",  # RFC 5321 551
    re.I,
)
# A DNS answer that is only temporarily missing (Postfix "Host not found, try again").
DNS_TEMPORARY_RE = re.compile(
    r"not found, try again|temporar(y|ily) (failure|error|unavailable)|(lookup|query) timed? ?out|"
    r"dns (lookup |query )?(timeout|timed out)|servfail|server failure|malformed|"
    r"unexpected (name server|dns) reply|lookup (failed|error)|no answer from",
    re.I,
)
# --- 6. weaker wording: also used for policy refusals ----------------------------------------
WEAK_UNKNOWN_RE = re.compile(
    r"mailbox (unavailable|not available|is unavailable)|"  # RFC 5321's 550 text
    r"invalid (recipient|mailbox|address|user)|recipient (rejected|invalid)|"
    r"not a valid (mailbox|user|recipient)|(recipient )?address rejected(?!\s*:)|"
    r"check (if|that) (the )?address is (correct|valid)|address is (possibly )?incorrect|"
    r"account or domain may not exist|recipient (is )?not (valid|allowed)|"
    r"no valid recipients?",  # Postfix's and MMSC's answer when every recipient was refused
    re.I,
)

# Generic sentences some servers add to every failure, whatever its cause; read without them.
# cPanel's Exim: "The account or domain may not exist, they may be blacklisted, or missing the
# proper dns entries." (sent when the router found no host).
BOILERPLATE_RE = re.compile(r",? they may be blacklisted,? or missing the proper dns entries", re.I)
# --- 3. wording about the message, the mailbox's state or the sender, not the address -------
SOFT_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "mailbox full",
        re.compile(
            r"quota|mail ?box (is )?full|full mail ?box|mailbox (size|storage)|"
            r"insufficient (storage|disk|space)|exceeded (its |the )?storage|storage (limit|full)|"
            r"disk (space|full)|out of (disk )?space|too much mail",
            re.I,
        ),
    ),
    (
        "message size",
        re.compile(
            r"too (big|large)|message size|size (limit|exceed)|exceeds? .{0,30}(size|limit)|"
            r"message length exceeds|maximum (message )?size",
            re.I,
        ),
    ),
    (
        "content or spam",
        re.compile(
            r"spam|junk|virus|malware|phish|content (rejected|filter|policy)|"
            r"message (content )?(rejected|refused) (due|because|as)|bulk mail|"
            r"unsolicited|suspicious",
            re.I,
        ),
    ),
    (
        "sender reputation or authentication",
        re.compile(
            r"block(ed)?|block ?list|black ?list|deny ?list|dnsbl|\brbl\b|spamhaus|spamcop|"
            r"barracuda|reputation|dmarc|\bspf\b|dkim|authenticat|reverse dns|\bptr\b|"
            r"client host|your ip|ip address .{0,40}(listed|rejected|blocked)",
            re.I,
        ),
    ),
    (
        "rate limit",
        re.compile(r"rate limit|too many|try (again )?later|throttl|slow down", re.I),
    ),
    (
        "relaying refused",
        re.compile(r"relay(ing)? (access )?(denied|not (permitted|allowed))|unable to relay", re.I),
    ),
    (
        "refused by preference or filter",
        re.compile(
            r"recipient preferences|not accepting mail from|does not accept mail from|"
            r"(sender|you are) not (on|in) .{0,30}(list|allowed)",
            re.I,
        ),
    ),
)
# The mailbox exists but takes no mail now (RFC 3463 X.2.1): soft, unless the code itself says
# the mailbox does not exist (iCloud's "550 5.1.1 inactive email address").
DISABLED_RE = re.compile(
    r"suspend|disabled|inactive|deactivated|frozen|locked|on hold|"
    r"temporarily (unavailable|blocked|deferred)",
    re.I,
)
# The refusal concerned our sender (RFC 3463 X.1.7, X.1.8; RFC 5321 MAIL FROM).
SENDER_RE = re.compile(
    r"sender (address )?(rejected|denied|unknown|verify failed|domain)|"
    r"domain of sender|in reply to mail from|after mail from|"
    r"mail from:?\s*<[^>]*>\.{0,3}\s*(sender|domain|rejected)",
    re.I,
)
# Said after the recipient was accepted (RFC 5321 section 4.1.1.4: the reply to end of DATA).
AFTER_DATA_RE = re.compile(
    r"after (end of )?data|in reply to (end of )?data|after (the )?message (body|text)|"
    r"end of data command|>>> data|data command|smtp command\W{0,12}data\b",
    re.I,
)
REPLY_553_RE = re.compile(r"(?<![\d.])553(?:[ -]|$)", re.M)
# RFC 7504: 521 "host does not accept mail" and 556 "domain does not accept mail" say the
# destination takes no mail at all, whatever enhanced code came with them (RFC 7504 pairs 521
# with 5.3.2, RFC 7505 pairs 556 with 5.1.10).
REPLY_NO_MAIL_RE = re.compile(r"(?<![\d.])(521|556)(?:[ -]|$)", re.M)
# With PIPELINING (RFC 2920) the replies to RCPT TO are read after DATA was sent, so a
# transcript can show a recipient's refusal below ">>> DATA"; the server's answer to DATA then
# says no recipient was accepted (Postfix: "554 5.5.1 Error: no valid recipients"). The
# refusal answered RCPT, not the end of DATA.
PIPELINED_RCPT_RE = re.compile(r"no valid recipients", re.I)
DATA_STAGE_UNKNOWN_RE = re.compile(r"delivery error: dd this user does ?n[o']?t have an? ", re.I)
RCPT_RE = re.compile(r"\brcpt\b|in reply to rcpt|after rcpt|recipient address rejected", re.I)
LOCAL_MAILER_RE = re.compile(r"\s*x-unix\s*;|procmail|local delivery|\bpipe\b|mailer error", re.I)
# --- 4. the subjects of RFC 3463 codes that name the address or domain ----------------------
HARD_STATUS = {"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.4.4", "5.1.4"}


@dataclass(frozen=True)
class Verdict:
    hard: bool
    reason: str


def judge(
    status: str | None, text: str, *, session: str = "", local_mailer: bool = False
) -> Verdict:
    """Hard or soft for one failed recipient, from its status and the server's words about it
    (`text`: its Diagnostic-Code, or the notice's lines about it; `session`: the rest of the
    notice, read only for the SMTP command the refusal answered)."""
    text = BOILERPLATE_RE.sub("", text)
    unknown = MAILBOX_UNKNOWN_RE.search(text)
    host = HOST_UNKNOWN_RE.search(text)
    dns_temporary = DNS_TEMPORARY_RE.search(text)
    if host and dns_temporary:
        host = None
    moved = MOVED_RE.search(text)
    address_words = unknown or host or moved
    soft = soft_family(text)
    # 1. the class of the code
    if status and status.startswith("4"):
        if status[2:5] in ("1.1", "1.2") and (unknown or host) and not (soft or dns_temporary):
            return Verdict(True, f"hard: {status} and {_said(unknown or host)} until given up")
        return Verdict(False, f"soft: {status} is a transient failure (RFC 3463)")
    # 2. who the refusal was about
    stage = text + "\n" + session
    if status in ("5.1.7", "5.1.8") or SENDER_RE.search(stage):
        return Verdict(False, "soft: the refusal concerned the sender, not the recipient")
    if local_mailer or LOCAL_MAILER_RE.match(text):
        return Verdict(
            False, "soft: a local delivery program failed after the address was accepted"
        )
    after_data = bool(AFTER_DATA_RE.search(stage)) and not PIPELINED_RCPT_RE.search(stage)
    # 3. wording that contradicts the code
    if soft is not None:
        return Verdict(False, f"soft: the server's words are about {soft}")
    # 4. the subject of the code
    if status == "5.4.4" and dns_temporary:
        return Verdict(False, "soft: 5.4.4 after a failed DNS lookup, not a missing domain")
    if status in HARD_STATUS:
        return Verdict(True, f"hard: {status} names the address or domain (RFC 3463)")
    no_mail = REPLY_NO_MAIL_RE.search(text)
    if no_mail:
        return Verdict(
            True, f"hard: {no_mail.group(1)} (the destination does not accept mail, RFC 7504)"
        )
    disabled = DISABLED_RE.search(text)
    if disabled:
        return Verdict(False, f"soft: the mailbox exists but is {_words(disabled)!r}")
    # After DATA the reply is about the message (RFC 5321 section 4.1.1.4): servers that filter
    # (the Japanese carriers, filtering relays) answer "User unknown" there to hide a block. The
    # exception is Yahoo, whose documented "554 delivery error: dd This user doesn't have a
    # ... account" comes at end of DATA for a mailbox that does not exist.
    if after_data and not (host or DATA_STAGE_UNKNOWN_RE.search(text)):
        return Verdict(False, "soft: refused after the recipient was accepted (at DATA)")
    # Subjects 3 to 7 (system, network, protocol, content, security) are not about the address;
    # 5.5.0 ("other protocol status") is what servers send with RFC 5321's plain 550 reply.
    subject = status.split(".")[1] if status and status.count(".") == 2 else "0"
    specific = subject in ("3", "4", "5", "6", "7") and status != "5.5.0"
    specific = specific or (subject == "2" and status not in ("5.2.0", "5.2.1"))
    weak = WEAK_UNKNOWN_RE.search(text)
    # RFC 5321's 553 is "mailbox name not allowed": with words about an invalid recipient it
    # names the address, whatever enhanced code the reporting server chose.
    mailbox_name = bool(weak and REPLY_553_RE.search(text))
    if specific and not (address_words or mailbox_name):
        return Verdict(False, f"soft: {status} is not about the address (RFC 3463)")
    # 5. the servers' wording for an address or domain that cannot receive mail
    if address_words:
        return Verdict(True, f"hard: {_said(address_words)}")
    # 6. weaker wording: hard when nothing more specific was said
    if weak and mailbox_name:
        return Verdict(True, f"hard: 553 (mailbox name not allowed) and {_said(weak)}")
    if weak and not specific:
        return Verdict(True, f"hard: {_said(weak)}")
    return Verdict(False, "soft: nothing says the address cannot receive mail")


def soft_family(text: str) -> str | None:
    for name, pattern in SOFT_FAMILIES:
        if pattern.search(text):
            return name
    return None


def _words(found: re.Match[str]) -> str:
    return " ".join(found.group(0).split())


def _said(found: re.Match[str] | None) -> str:
    return f"the server said {' '.join(found.group(0).split())!r}" if found else "the wording"
