"""Human intents, read from the new text of a reply with word-boundary rules.

Order matters and is the policy: an unsubscribe request beats everything (it is a legal duty),
then "wrong person" (the sequence should stop for this contact), then a fee request (the most
common answer in link building), then refusal, interest and questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Rule = tuple[str, float, re.Pattern[str]]


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(" + "|".join(alternatives) + r")(?![\w'])", re.I)


RULES: list[Rule] = [
    (
        "unsubscribe",
        0.95,
        _rx(
            r"unsubscribe( me)?",
            r"remove (me|us|my (e-?mail|address))( from)?",
            r"take (me|us) off",
            r"stop (e-?mailing|emailing|contacting|sending|writing to) (me|us)",
            r"(do not|don't|never) (e-?mail|contact|write to|message) (me|us)( again)?",
            r"opt(ed)?[- ]?out",
            r"no more e-?mails?",
            r"stop",
            r"austragen",
            r"abmelden",
            r"keine (weiteren )?(e-?mails|nachrichten)",
            r"désinscri(re|vez|ption)",
            r"désabonner",
            r"ne (plus )?me (contactez|écrivez) plus",
            r"darme de baja",
            r"dar(me)? de baja",
            r"no me (escriba|contacte)s?( más)?",
            r"cancellami",
            r"disiscriv\w+",
            r"uitschrijven",
            r"afmelden",
            r"descadastr\w+",
            r"cancelar (a )?inscrição",
        ),
    ),
    (
        "wrong_person",
        0.85,
        _rx(
            r"(no longer|not) (with|at|working (at|for)) (the company|\w+)",
            r"(has|have) left (the company|\w+)",
            r"(he|she|they) (has|have) left",
            r"left the company",
            r"no longer work(s|ing)? (here|there|for|at)",
            r"(not|isn't|is not) the right (person|contact)",
            r"wrong (person|contact|address|email)",
            r"(i'm|i am) not (responsible|in charge|the (right )?person)",
            r"(please )?(contact|reach out to|write to|email) (my colleague|our \w+ team)",
            r"nicht (mehr )?(zuständig|im unternehmen)",
            r"arbeitet nicht mehr",
            r"ne (travaille|fait) plus partie",
            r"ya no trabaja",
            r"non lavora più",
            r"werkt (hier )?niet meer",
            r"não trabalha mais",
        ),
    ),
    (
        "payment_request",
        0.85,
        _rx(
            r"(our|the|a|my) (fee|price|rate|charge|cost)s?( is| are| for)?",
            r"price list",
            r"pricing",
            r"rate card",
            r"media kit",
            r"sponsored (post|article|content|link)s?",
            r"paid (post|placement|guest post|link|article)s?",
            r"(we|i) charge",
            r"(costs?|price is|for) (usd|eur|gbp)?\s?[$€£]\s?\d+",
            r"[$€£]\s?\d+(\.\d\d)?",
            r"\d+\s?(usd|eur|gbp|dollars|euros?)",
            r"payment (via|by|through|in advance)",
            r"paypal",
            r"(is|are) (not )?free of charge",
            r"how much (do you|would you|will you|can you) (pay|offer)",
            r"what('s| is) your budget",
            r"gesponsert\w*",
            r"preisliste",
            r"kosten(pflichtig)?",
            r"article sponsorisé",
            r"tarifs?",
            r"artículo patrocinado",
            r"precio",
            r"articolo sponsorizzato",
            r"prezzo",
            r"gesponsord",
            r"prijs",
            r"artigo patrocinado",
            r"preço",
        ),
    ),
    (
        "not_interested",
        0.85,
        _rx(
            r"not interested",
            r"no interest",
            r"(we|i) (are|am|'re|'m) not (looking|accepting|interested)",
            r"(we|i) (do not|don't) (accept|offer|do|publish|allow|need|want)",
            r"no,? thanks?( you)?",
            r"no thank you",
            r"not at this time",
            r"not (right )?now",
            r"(we|i) (will|'ll) pass",
            r"pass on this",
            r"not a (good )?fit",
            r"no guest posts?",
            r"decline",
            r"kein interesse",
            r"nicht interessiert",
            r"pas intéressée?s?",
            r"non merci",
            r"no (me|nos) interesa",
            r"no estamos interesados",
            r"non (sono|siamo) interessat[oi]",
            r"geen interesse",
            r"não (tenho|temos) interesse",
            r"no",
            r"nope",
        ),
    ),
    (
        "interested",
        0.8,
        _rx(
            r"(i'm|i am|we're|we are|sounds) (very )?(interested|good|great)",
            r"(yes|yeah|yep|sure|absolutely|definitely|of course)",
            r"(send|share) (it|me|us|over|your|the) ?(draft|topics?|ideas?|article|details|over)?",
            r"happy to (help|publish|accept|take a look|consider|review)",
            r"(go|let's go) ahead",
            r"(we|i) (would|'d) (love|like|be happy|be glad)",
            r"(we|i)'d (love|like|be happy|be glad)",
            r"sounds (good|great|interesting|fine)",
            r"(that|this) works",
            r"looking forward",
            r"(we|i) accept guest posts",
            r"interessiert",
            r"gerne",
            r"ja",
            r"intéressée?s?",
            r"avec plaisir",
            r"oui",
            r"interesad[oa]s?",
            r"sí",
            r"claro",
            r"interessat[oi]",
            r"volentieri",
            r"geïnteresseerd",
            r"graag",
            r"interessad[oa]s?",
            r"sim",
            r"ok(ay)?",
        ),
    ),
    # A question mark ends a question in every language we read; no word boundaries here.
    ("question", 0.65, re.compile(r"\?")),
]


_CASED = [re.compile(pattern.pattern) for _, _, pattern in RULES]


@dataclass
class Intent:
    classification: str
    confidence: float
    reasons: list[str]


def classify_text(text: str) -> Intent:
    """The first rule that matches the new text decides; nothing matching is `other`."""
    sample = " ".join(text.split())[:4000]
    if not sample:
        return Intent("other", 0.4, ["no new text"])
    # ASCII text is lowered once and read with the case-sensitive twins of the rules (the same
    # matches at the same offsets, at a fraction of the cost of IGNORECASE alternations).
    ascii_text = sample.isascii()
    haystack = sample.lower() if ascii_text else sample
    for (name, confidence, pattern), cased in zip(RULES, _CASED, strict=True):
        for found in (cased if ascii_text else pattern).finditer(haystack):
            matched = sample[found.start() : found.end()]
            word = matched.lower()
            if word in ("no", "stop") and len(sample) > 40:
                # A bare "no" or "stop" decides only a one-line answer; in prose it is anything.
                continue
            if name == "interested" and _negated(sample, found.start()):
                continue
            return Intent(name, confidence, [f"{name}: matched {matched!r}"])
    return Intent("other", 0.5, ["no intent rule matched"])


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 20) : start].lower()
    return bool(re.search(r"\b(not|n't|no|nicht|pas|non|niet|não)\s*$", before))
