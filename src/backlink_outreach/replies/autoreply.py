"""Automatic replies: RFC 3834 headers, vendor headers, and out-of-office wording in English,
German, French, Spanish, Italian, Dutch and Portuguese.

An out-of-office is an automatic reply that says a person is away; any other automatic reply
(ticket systems, "we received your message") is `auto_reply`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parsing import Parsed

AWAY_SUBJECT_RE = re.compile(
    r"out of (the )?office|\booo\b|away from (the )?office|\baway\b|on (annual )?leave|"
    r"vacation|holiday|"
    r"abwesenheit|abwesend|nicht im büro|au(ß|ss)er haus|urlaub|"
    r"absence|absent|en congés?|hors du bureau|"
    r"fuera de (la )?oficina|ausente|ausencia|vacaciones|"
    r"fuori (sede|ufficio)|assente|assenza|in ferie|"
    r"afwezig|afwezigheid|niet op kantoor|vakantie|"
    r"fora do escrit[óo]rio|ausência|ausencia|férias|ferias",
    re.I,
)
AUTO_SUBJECT_RE = re.compile(
    r"auto(matic|matische|matisch|matique|mática|matica|mático)?[ -]?(reply|response|antwort|"
    r"antwoord|réponse|reponse|respuesta|risposta|resposta|respons)|"
    r"autorespon|autoreply|réponse automatique|reponse automatique|respuesta automática|"
    r"risposta automatica|resposta automática|automatisch antwoord|automatische antwort|"
    r"we (have )?received your|thank you for (contacting|your (e-?mail|message))|"
    r"ticket|request received|eingangsbestätigung|accusé de réception",
    re.I,
)
AWAY_BODY_RE = re.compile(
    r"\b(i am|i'm|i will be|i'll be|i shall be)( currently| now)? (out of (the )?office|away|"
    r"on (annual |parental |maternity |paternity |sick )?leave|on (vacation|holiday)|"
    r"travell?ing|not in the office|off work|out of the country|on a business trip)|"
    r"\b(currently|presently) (out of (the )?office|away|on leave|on vacation|on holiday)|"
    r"limited (access to )?(e-?mail|internet)|will (respond|reply|get back).{0,40}"
    r"(upon|on|after) my return|"
    # "Ich bin bis ...", or away in so many words: not any "ich bin nicht" / "ich bin leider"
    # ("Ich bin nicht der richtige Ansprechpartner", "Ich bin leider nicht interessiert").
    r"ich bin (bis|vom|ab) |"
    r"ich bin( derzeit| zurzeit| momentan| leider| aktuell| heute)? (im urlaub|abwesend|"
    r"unterwegs|auf (geschäfts|dienst)reise|nicht (im büro|erreichbar|im haus|anwesend|"
    r"verfügbar|am arbeitsplatz))|"
    r"(bin|befinde mich).{0,40}(urlaub|abwesend|nicht im büro|außer haus|ausser haus)|"
    r"nach meiner rückkehr|"
    r"je (suis|serai) (actuellement )?(absent|en congés?|en vacances|hors du bureau)|"
    r"dès mon retour|de retour le|"
    r"(estoy|estaré|me encuentro) (fuera|de vacaciones|ausente)|a mi regreso|"
    r"(sono|sarò) (fuori|assente|in ferie)|al mio rientro|"
    r"ik ben (afwezig|met vakantie|niet op kantoor|niet aanwezig|tot)|na mijn terugkomst|"
    r"(estou|estarei) (fora|de férias|ausente)|no meu retorno|quando (eu )?(voltar|retornar)",
    re.I,
)
AUTO_BODY_RE = re.compile(
    r"this is an? (automated|automatic|auto-generated)|automatically generated|"
    r"do not reply to this (e-?mail|message)|we (have )?received your (message|e-?mail|request)|"
    r"your (message|request|ticket) has been (received|logged)|"
    r"thank you for (contacting|your (e-?mail|message|inquiry))[^.]{0,60}(we will|we'll)|"
    r"diese (nachricht|e-mail) wurde automatisch|message automatique|mensaje automático|"
    r"messaggio automatico|automatisch gegenereerd|mensagem automática|"
    # "this is an automatic reply", in the other six languages (said of itself: a person may
    # write about someone's automatic reply)
    r"(dies|das) ist eine automatische (antwort|nachricht|e-mail)|"
    r"automatisch (erstellt|generiert|versandt)|"
    r"(ceci est |c'est |il s'agit d')une? (réponse|reponse|message) automatique|"
    r"(esta|este|éste|ésta)? ?es (una|un) (respuesta|mensaje) autom[áa]tic[oa]|"
    r"(questa|questo)? ?è (una|un) (risposta|messaggio) automatic[oa]|"
    r"dit is een automatisch (antwoord|bericht|gegenereerd)|"
    r"(esta|este)? ?é (uma|um) (resposta|mensagem) autom[áa]tica|"
    # nobody reads the address (RFC 3834 section 1: a "service" answering on its own)
    r"(mailbox|inbox|e-?mail address|address|account) is (no longer|not) (monitored|checked|"
    r"read|in use)|unmonitored (mailbox|inbox|address|account)|"
    # a mailing list holding the message for its moderator (Mailman, Google Groups)
    r"held (until|for) (the )?(list )?moderator|awaits? moderator approval|"
    r"pending (moderator|moderation) (approval|review)|"
    # the acknowledgement sent to every pitch: written for everyone, so it speaks of volume
    r"(due to|because of|given) the (high|large|huge|sheer) (volume|number|amount) of "
    r"(e-?mails|messages|pitches|requests|submissions|inquiries|enquiries)|"
    r"if you (don't|do not|haven't) hear(d)? (back )?(from us )?within",
    re.I,
)


def _cased(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(pattern.pattern)


# The same patterns without IGNORECASE, for ASCII text lowered once: for ASCII input the two
# match alike (the patterns hold no upper-case letters), and case-insensitive matching of long
# alternations cost several times more per message.
_LOWER = {p: _cased(p) for p in (AWAY_SUBJECT_RE, AUTO_SUBJECT_RE, AWAY_BODY_RE, AUTO_BODY_RE)}


def _search(pattern: re.Pattern[str], text: str) -> str | None:
    """The text `pattern` finds in `text` (in its original case), or None."""
    if text.isascii():
        found = _LOWER[pattern].search(text.lower())
        return text[found.start() : found.end()] if found else None
    found = pattern.search(text)
    return found.group(0) if found else None


@dataclass
class AutoEvidence:
    automatic: bool = False
    away: bool = False
    reasons: list[str] = field(default_factory=list)
    from_headers: bool = False


def detect(parsed: Parsed, new_text: str) -> AutoEvidence:
    """Header evidence first (RFC 3834 and vendor headers), then subject and body wording."""
    found = AutoEvidence()
    auto_submitted = parsed.header("Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        found.reasons.append(f"Auto-Submitted: {auto_submitted.split(';')[0]}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autogenerated"):
        if parsed.header(name):
            found.reasons.append(f"{name} header")
    precedence = parsed.header("Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        found.reasons.append(f"Precedence: {precedence}")
    if parsed.report_type in ("disposition-notification", "global-disposition-notification"):
        # A read receipt (RFC 8098 section 3, RFC 6533 for the global form): the mail client
        # reports that the message was shown or deleted; nobody wrote back.
        found.reasons.append(f"read receipt (multipart/report; report-type={parsed.report_type})")
    subject_auto = _search(AUTO_SUBJECT_RE, parsed.subject)
    if parsed.header("X-Auto-Response-Suppress") and subject_auto is not None:
        found.reasons.append("Exchange auto-response header")
    found.from_headers = bool(found.reasons)
    subject_away = _search(AWAY_SUBJECT_RE, parsed.subject)
    head = new_text[:3000]
    body_away = _search(AWAY_BODY_RE, head)
    body_auto = _search(AUTO_BODY_RE, head)
    if subject_auto is not None:
        found.reasons.append(f"subject says automatic reply ({subject_auto!r})")
    if subject_away is not None and (
        subject_auto is not None or found.from_headers or body_away is not None
    ):
        found.reasons.append(f"subject says away ({subject_away!r})")
    if body_away is not None:
        found.reasons.append(f"text says away ({body_away!r})")
    if body_auto is not None:
        found.reasons.append(f"text says automatic ({body_auto!r})")
    # A subject that only says "vacation" could be a person writing about one: it needs support
    # from a header, an automatic-reply subject, or away wording in the text.
    found.automatic = found.from_headers or any(
        x is not None for x in (subject_auto, body_auto, body_away)
    )
    found.away = body_away is not None or (subject_away is not None and found.automatic)
    return found
