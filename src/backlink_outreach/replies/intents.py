"""Human intents, read from the new text of a reply with word-boundary rules.

Order matters and is the policy: an unsubscribe request beats everything (it is a legal duty),
then "wrong person" (the sequence should stop for this contact), then a fee request (the most
common answer in link building), then refusal, interest and questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import language

Alternatives = dict[str, list[str]]  # "any": every language; else a language code


@dataclass(frozen=True)
class Rule:
    name: str
    confidence: float
    words: Alternatives


def _rx(alternatives: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(" + "|".join(alternatives) + r")(?![\w'])", re.I)


# Unsubscribe wordings are read in every language (a request to stop must never be missed, and
# these words mean nothing else); the words of the other intents only in their own language.
UNSUBSCRIBE: list[str] = [
    # English
    r"unsubscribe( me)?",
    r"unsub",
    r"remove (me|us|(my|our|this) (e-?mail |contact )?(e-?mail|address|details|data))( from)?",
    r"take (me|us|my (e-?mail|address)) off",
    r"(stop|stopped|quit|cease) (e-?mailing|emailing|contacting|sending|writing to|messaging) "
    r"(me|us)",
    r"(do not|don't|never) (ever )?(e-?mail|contact|write to|message) "
    r"(me|us|this (e-?mail )?address)( again)?",
    r"(do not|don't) send (me|us) (any ?more|more|further|these|this)",
    r"(do not|don't) send (any ?more|more|further) "
    r"(e-?mails?|messages|pitches|offers|follow[- ]?ups)",
    r"(stop|quit) following up",
    r"(do not|don't|never) follow[- ]?up( with (me|us))?",
    r"do[- ]not[- ](contact|e-?mail|mail) (list|register)",
    r"asked (you )?(before |already |twice |repeatedly )?to stop",
    r"(do not|don't|no longer) (want|wish) to be (contacted|e-?mailed|approached)",
    r"cease and desist",
    r"lose my (e-?mail|address)",
    r"remove (our|my) (website|site|domain|company|business|blog)( from)?",
    r"opt(ed)?[- ]?out",
    r"no more (e-?mails?|messages|pitches|follow[- ]?ups)",
    r"delete my (e-?mail|address|data|details)",
    r"(i|we) (do not|don't|no longer) (want|wish) (to (receive|get) )?"
    r"(any |these |those |your |such )?(more |further )?"
    r"(e-?mails?|messages?|mails?|newsletters?|communications?|contact)",
    r"opt (me|us) out",
    r"cease (all )?(communications?|contact|e-?mails?|e-?mailing)",
    r"stop (sending|e-?mailing|contacting|messaging|spamming|bothering) (me|us|these|this)",
    r"stop spamming",
    r"leave (me|us) alone",
    r"(do not|don't|never) (ever )?reach out( to (me|us))? (again|any ?more)",
    r"stop",  # only as the whole reply (see _BARE_STOP_RE)
    r"remove",  # the same
    # German
    r"austragen",
    r"tragen sie (mich|uns) .{0,40}aus",
    r"abmelden",
    r"abmeldung",
    r"aus (ihrem|dem|eurem|deinem) (verteiler|newsletter|e-?mail-?verteiler|liste)",
    r"keine (weiteren )?[\w-]*(mails|nachrichten|werbung)",
    r"nicht mehr (kontaktieren|anschreiben|schreiben|anmailen)",
    r"(entfernen|streichen|löschen|nehmen) sie (mich|uns|meine (daten|[\w-]*adresse|e-?mail))",
    r"abbestell\w*",
    r"(kontaktieren|schreiben|anschreiben|mailen|belästigen) sie (mich|uns|mir) (bitte )?"
    r"(nicht mehr|nie wieder)",
    r"(schreiben|senden|schicken) sie (mir|uns) (bitte )?keine",
    r"hören sie (bitte )?auf,? (mir|uns|mich)",
    r"(von|aus) (ihrer|eurer|deiner|der|dieser) (e-?mail-?|mailing-?|verteiler-?|kontakt-?)?liste",
    # French
    r"désinscri(re|vez|ption|vez-moi)",
    r"desinscri(re|vez|ption)",
    r"désabonne(r|z|ment|z-moi)",
    r"ne (plus )?me (contactez|écrivez|sollicitez) plus",
    r"ne m'(écrivez|envoyez|contactez) plus",
    r"(retirez|supprimez|enlevez)[- ]moi",
    r"ne (plus|pas) recevoir",
    r"(retirer|supprimer|retirez|supprimez|effacez|enlevez) (mon adresse|mon e-?mail|mes "
    r"coordonnées)",
    r"ne (plus|pas) (m'|me |nous )(écrire|envoyer|contacter|solliciter|relancer)",
    r"ne plus (me |nous )?(contacter|écrire|recevoir|solliciter|relancer)",
    r"(me|nous) (retirer|supprimer|enlever|radier|désinscrire|désabonner)",
    r"ne (souhaite|souhaitons|veux|voulons|désire|désirons) (plus|pas) (recevoir|être contacté)",
    r"(arrêtez|cessez) (de |d')(m'|me |nous )?(envoyer|écrire|contacter|solliciter|spammer)",
    # Spanish
    r"dar(me)? de baja",
    r"darme de baja",
    r"(den|denme|de) de baja",
    r"baja de (la|su|vuestra) lista",
    r"no (me|nos) (escriba|contacte|envíe|envie|mande|escriban|contacten|envíen|envien|mande"
    r"n)s?( más)?",
    r"(bórr|borr)(en|e|ad)(me|nos)",
    r"(eliminen|elimine|eliminar|borren|borre|borrar|quiten|quite|quitar|saquen|saque|sacar) "
    r"(mi|nuestro|nuestra) (correo|e-?mail|dirección|contacto|datos)",
    r"(dejen|deje|dejad|dejar) de (enviarme|escribirme|contactarme|mandarme|enviarnos|"
    r"escribirnos|contactarnos|mandarnos)",
    r"no (quiero|deseo) recibir",
    r"no más (correos|e-?mails|mensajes)",
    r"no (vuelvan|vuelva|vuelvas) a (escribir|contactar|enviar|mandar)(me|nos)",
    r"(elimín|elimin|quít|quit|sáqu|saqu)e(n)?me",
    r"(elimín|elimin|quít|quit|sác|sac|bórr|borr)a(me|nos)",  # the informal imperative
    r"(elimina|quita|saca|borra) (mi|nuestro|nuestra) (correo|e-?mail|dirección|contacto|datos)",
    r"cancelar (la |mi )?suscripción",
    r"desuscribir(me)?",
    # Italian
    r"cancellami",
    r"cancellatemi",
    r"disiscriv\w+",
    r"rimuove(temi|rmi)|rimuovimi",
    r"(togliete|toglie|togli|eliminate|elimina)(mi|temi|rmi|ci|teci)",
    r"(rimuovere|cancellare|togliere|eliminare|rimuovete|cancellate|togliete|eliminate) "
    r"(il mio|la mia|i miei|il nostro) "
    r"(indirizzo|e-?mail|contatto|dati|nominativo)",
    r"(smettete|smettetela|smettila|smetti|smetta|smettere) di (inviarmi|scrivermi|contattarmi|"
    r"mandarmi|inviarci|scriverci|contattarci)",
    r"non (inviatemi|mandatemi|scrivetemi|inviateci|mandateci) più",
    r"basta (e-?mail|mail|messaggi)",
    r"non (mi|ci) (scrivete|contattate|inviate|mandate) più",
    r"non (voglio|desidero) (più )?ricevere",
    r"non (contattatemi|scrivetemi|contattarmi|scrivermi) più",
    r"non (ricontattatemi|ricontattarmi|ricontattateci|ricontattarci)",
    r"cancellare (la mia iscrizione|il mio indirizzo|la mia e-?mail)",
    r"annulla(re)? (l')?iscrizione",
    # Dutch
    r"uitschrijven",
    r"schrijf (mij|me) uit",
    r"afmelden",
    r"verwijder (mij|me|ons|mijn (e-?mail-?)?(adres|gegevens)|mijn e-?mail)",
    r"(van|uit) (jullie|uw|je|de|het) (mailing|verzend|e-?mail)?(lijst|bestand) "
    r"(verwijder\w*|af|halen|gehaald)",
    r"(stuur|stuurt|mail|mailt) (me|mij|ons) geen",
    r"geen contact (meer )?(met (mij|me|ons) )?(meer )?op",
    r"(wil|willen) geen (e-?mails|mails|berichten|nieuwsbrieven) meer",
    r"haal (mij|me|ons) (\w+ ){0,2}(van|uit)",  # "haal me alsjeblieft van ..."
    r"geen (e-?mails|mails|berichten) meer",
    r"niet meer (te )?(mailen|contacteren|benaderen|e-?mailen)",
    r"niet meer (gemaild|ge-?e-?maild|benaderd|gecontacteerd) (te )?worden",
    r"(mail|e-?mail|contacteer|benader) (me|mij|ons) (\w+ )?niet meer",
    # Portuguese
    r"descadastr\w+",
    r"cancelar (a |minha )?(inscrição|assinatura)",
    r"(remova|removam|retire|tire)[- ]me",
    r"me (remova|removam|retire|retirem|tire|tirem|descadastre|descadastrem|exclua|excluam)",
    r"(remova|removam|retire|retirem|tire|tirem|exclua|excluam|apague|apaguem) (o )?(meu|minha|"
    r"nosso) (e-?mail|endereço|contato|cadastro|nome)",
    r"(pare|parem|deixe|deixem) de (me |nos )?(enviar|mandar|contatar|escrever)",
    r"não (me |nos )?(entre|entrem) (mais )?em contato",
    r"não (quero|desejo) (mais )?receber",
    r"não me (contate|envie|mande|contatem|enviem|mandem)",
    r"não (volte|voltem) a (me |nos )?(contatar|escrever|enviar|mandar)",
    r"parar de (enviar|receber)",
    r"(ser|seja|seja eu) (removid|excluíd|retirad|descadastrad)[oa]s? (da|de|desta|dessa)",
    r"(excluir|exclua|apagar|apague) (o )?meu (e-?mail|endereço|contato)",
]

RULES: list[Rule] = [
    Rule("unsubscribe", 0.95, {"any": UNSUBSCRIBE}),
    Rule(
        "wrong_person",
        0.85,
        {
            "any": [
                r"no longer (with|at|working (at|for)) (the company|\w+)",
                # "not at": only with the company or "anymore" ("not at this time" is a no)
                r"not (with|at|working (at|for)) the company",
                r"not (with|at|working (at|for)) [\w.&-]+( [\w.&-]+)? any ?(more|longer)",
                r"(has|have) left (the company|\w+)",
                r"(he|she|they) (has|have) left",
                r"left the company",
                r"no longer work(s|ing)? (here|there|for|at)",
                r"no longer (handle|handles|manage|manages|run|runs|edit|edits|look after|"
                r"looks after|in charge of|responsible for)",
                r"(not|isn't|is not) the right (person|contact)",
                r"wrong (person|contact|address|email)",
                r"(i'm|i am) not (responsible|in charge|the (right )?person)",
                r"(please )?(contact|reach out to|write to|email) (my colleague|our \w+ team)",
            ],
            "de": [
                r"nicht (mehr )?(zuständig|im unternehmen)",
                r"(arbeite|arbeitet) (hier )?nicht mehr",
                r"nicht (der|die) richtige (ansprechpartner(in)?|person|kontakt)",
            ],
            "fr": [
                r"ne (travaille|fait) plus partie",
                r"ne travaille plus",
                r"ne (m'|s')occupe plus",
                r"ne suis plus (en charge|responsable)",
                r"pas (la bonne|le bon) (personne|interlocuteur|interlocutrice|contact)",
            ],
            "es": [r"ya no (trabaja|trabajo)", r"no soy la persona (adecuada|indicada|correcta)"],
            "it": [r"non (lavora|lavoro) più", r"non sono la persona (giusta|adatta|corretta)"],
            "nl": [
                r"(werkt|werk) (hier )?niet meer",
                r"niet de (juiste|goede) (persoon|contactpersoon)",
            ],
            "pt": [r"não (trabalha|trabalho) mais", r"não sou a pessoa (certa|indicada|correta)"],
        },
    ),
    Rule(
        "payment_request",
        0.85,
        {
            "any": [
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
                r"\d+([.,]\d\d)?\s?[$€£]",
                r"\d+\s?(usd|eur|gbp|dollars|euros?)",
                r"payment (via|by|through|in advance)",
                r"paypal",
                r"(is|are) (not )?free of charge",
                r"how much (do you|would you|will you|can you) (pay|offer)",
                r"what('s| is) your budget",
            ],
            "de": [r"gesponsert\w*", r"preisliste", r"kosten(pflichtig)?"],
            "fr": [r"article sponsorisé", r"tarifs?"],
            "es": [r"artículo patrocinado", r"precio"],
            "it": [r"articolo sponsorizzato", r"prezzo"],
            "nl": [r"gesponsord", r"prijs"],
            "pt": [r"artigo patrocinado", r"preço"],
        },
    ),
    Rule(
        "not_interested",
        0.85,
        {
            "any": [
                r"not interested",
                r"no interest",
                r"(we|i)( are| am|'re|'m) not (looking|accepting|interested)",
                r"(we|i) (do not|don't) (accept|offer|do|publish|allow|need|want)",
                r"no,? thanks?( you)?",
                r"no thank you",
                r"not at (this time|the moment|this point|present)",
                r"not (right )?now",
                r"(we|i) (will|'ll) pass",
                r"pass on this",
                r"not a (good )?fit",
                r"no guest posts?",
                r"decline",
                r"nope",
            ],
            # "no" as an answer, not "no problem" / "no worries" (an agreement)
            "en": [r"no(?!\W+(problems?|worries|worry|issues?|doubt)\b)"],
            "de": [
                r"kein (interesse|bedarf)",
                r"nicht interessiert",
                r"nein,? danke",
                r"nein",
                r"wir (veröffentlichen|akzeptieren|nehmen|bieten) keine",
            ],
            "fr": [
                r"pas intéressée?s?",
                r"non,? merci",
                r"ne (nous|m')intéresse pas",
                r"nous n'acceptons pas",
                r"nous ne publions pas",
                r"non",
            ],
            "es": [
                r"no (me|nos) interesa",
                r"no estamos interesados",
                r"no,? gracias",
                r"no aceptamos",
                r"no publicamos",
                r"no",
            ],
            "it": [
                r"non (sono|siamo) interessat[oi]",
                r"non (mi|ci) interessa",
                r"no,? grazie",
                r"non accettiamo",
                r"non pubblichiamo",
                r"no",
            ],
            "nl": [
                r"geen interesse",
                r"niet geïnteresseerd",
                r"nee,? (bedankt|dank je|dank u)",
                r"(wij|we) (accepteren|publiceren|plaatsen|bieden) geen",
                r"geen gast(blogs?|artikel(en)?|posts?|bijdragen)",
                r"nee",
            ],
            "pt": [
                r"não (tenho|temos) interesse",
                r"não (estou|estamos) interessad[oa]s?",
                r"não,? obrigad[oa]",
                r"não aceitamos",
                r"não publicamos",
                r"não me interessa",
                r"não",
            ],
        },
    ),
    Rule(
        "interested",
        0.8,
        {
            "any": [
                r"(i'm|i am|we're|we are|sounds) (very )?(interested|good|great)",
                r"(send|share) (it|me|us|over|your|the) ?(draft|topics?|ideas?|article|details"
                r"|over)?",
                r"happy to (help|publish|accept|take a look|consider|review)",
                r"(go|let's go) ahead",
                r"(we|i) (would|'d) (love|like|be happy|be glad)",
                r"(we|i)'d (love|like|be happy|be glad)",
                r"sounds (good|great|interesting|fine)",
                r"(that|this) works",
                r"looking forward",
                r"(we|i) accept guest posts",
                r"ok(ay)?",
                # "send me ...", whose negations are unsubscribe or refusal rules read first
                r"envoyez-(moi|nous)|envoie-moi",
                r"(envíame|envíeme|enviame|envieme|mándame|mandame|mándeme|envíanos)",
                r"(mandami|inviami|mandatemi|inviatemi|mandaci|inviateci)",
                r"stuur (me|mij|ons)",
                r"(envie|mande)-(me|nos)|me (envie|mande)",
                r"(schicken|senden) sie (mir|uns)|schick(e)? (mir|uns)",
            ],
            "en": [r"(yes|yeah|yep|sure|absolutely|definitely|of course)"],
            "de": [r"interessiert", r"gerne", r"ja"],
            "fr": [r"intéressée?s?", r"avec plaisir", r"oui"],
            "es": [r"interesad[oa]s?", r"sí", r"claro"],
            "it": [r"interessat[oi]", r"volentieri", r"sì", r"certo"],
            "nl": [
                r"geïnteresseerd",
                r"graag",
                r"ja",
                r"prima",
                r"stuur (maar|gerust)",
                r"klinkt (goed|prima|interessant)",
            ],
            "pt": [r"interessad[oa]s?", r"sim", r"claro"],
        },
    ),
]
QUESTION_RE = re.compile(r"[?？¿]")  # a question mark ends a question in every language we read


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    by_lang: dict[str, tuple[re.Pattern[str], re.Pattern[str]]]  # (ignore case, cased twin)


def _compile(rule: Rule) -> _Compiled:
    compiled = {}
    for lang, words in rule.words.items():
        pattern = _rx(words)
        compiled[lang] = (pattern, re.compile(pattern.pattern))
    return _Compiled(rule, compiled)


_COMPILED = [_compile(rule) for rule in RULES]
compiled_langs = ("any", *language.OURS)


@dataclass
class Intent:
    classification: str
    confidence: float
    reasons: list[str]


def classify_text(text: str) -> Intent:
    """The first rule that matches the new text decides; nothing matching is `other`. The
    language is read first: a word of one language is matched only in a text of that
    language (English words also in a text whose language is unclear)."""
    sample = " ".join(text.split())[:4000]
    if not sample:
        return Intent("other", 0.4, ["no new text"])
    lang = language.detect(sample)
    # A text whose language is unclear is read in every language, but without the short
    # words that mean something else in another one ("ja", "no", "sim").
    readable = ("any", lang) if lang else tuple(compiled_langs)
    # ASCII text is lowered once and read with the case-sensitive twins of the rules (the same
    # matches at the same offsets, at a fraction of the cost of IGNORECASE alternations).
    ascii_text = sample.isascii()
    haystack = sample.lower() if ascii_text else sample
    for compiled in _COMPILED:
        name, confidence = compiled.rule.name, compiled.rule.confidence
        hits = []
        for key in readable:
            if key not in compiled.by_lang:
                continue
            pattern, cased = compiled.by_lang[key]
            hits += list((cased if ascii_text else pattern).finditer(haystack))
        for found in sorted(hits, key=lambda m: m.start()):
            matched = sample[found.start() : found.end()]
            word = matched.lower()
            if word in ("stop", "remove") and not _BARE_STOP_RE.fullmatch(sample):
                # "Stop." is a request; "stop by our office" is not.
                continue
            if word in _BARE and len(sample) > 40:
                # A bare "no" or "stop" decides only a one-line answer; in prose it is anything.
                continue
            if name == "interested" and _negated(sample, found.start()):
                continue
            if lang is None and language.is_function_word(word) and not _whole(sample, word):
                # In prose such a word may be another language's "if" or "from"; as the whole
                # reply ("No.", "Ja!") it is an answer in any language.
                continue
            reasons = [f"{name}: matched {matched!r}"]
            if lang and lang != "en":
                reasons.append(f"language: {lang}")
            return Intent(name, confidence, reasons)
    if QUESTION_RE.search(sample):
        return Intent("question", 0.65, ["question: a question mark"])
    return Intent("other", 0.5, ["no intent rule matched"])


_BARE = {"no", "stop", "remove", "nein", "non", "nee", "não"}
_BARE_STOP_RE = re.compile(
    r"\W*((please|kindly)\W+)?(stop|remove)(\W+(please|it|now|thanks?|thank you))*\W*", re.I
)
_PUNCTUATION = " \t.!,;:-—"


def _whole(sample: str, word: str) -> bool:
    return sample.strip(_PUNCTUATION).lower() == word


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 20) : start].lower()
    return bool(re.search(r"\b(not|n't|no|nicht|pas|non|niet|não|nicht so)\s*$", before))
