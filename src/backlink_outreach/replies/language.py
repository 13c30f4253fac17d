"""Which language a short reply is written in, before its words are read: the same word means
different things in different languages (Latvian and Estonian "ja" is "if" and "and", German and
Dutch "ja" is "yes"; Portuguese "no" is "in the").

A count of function words per language, for the seven languages the rules read (English,
German, French, Spanish, Italian, Dutch, Portuguese) and for the other European languages whose
words collide with theirs; a language whose alphabet lacks a letter of the text is ruled out.
Only a single best language is an answer: a tie or no evidence is None, and then only the
rules that hold in every language apply.
"""

from __future__ import annotations

import re

OURS = ("en", "de", "fr", "es", "it", "nl", "pt")

STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is are you your we our i to of for this that with not have please "
        "thanks thank would will be it me my on in yes no don't we're i'm",
        "de": "der die das und ist nicht ich sie wir ihr ihnen mit für bitte danke ein eine "
        "zu auf mich uns kein keine ja nein gerne haben sind es dass leider wäre",
        "fr": "le la les et est je vous nous pas des pour avec merci une un ne plus oui non "
        "ce cette mon votre sur suis êtes du au",
        "es": "el los las y es que por para con gracias no sí usted nosotros mi su una me "
        "estamos esto más favor del lo",
        "it": "il lo gli e è che di per con grazie non no sì noi mi una sono siamo questo "
        "più vostro ci del della",
        "nl": "de het een en is niet ik wij we jullie u met voor bedankt dank ja nee geen "
        "graag van op zijn dit mij ons",
        "pt": "o os as e é que do da no na não sim obrigado obrigada para com um uma você "
        "nós meu mais por",
        # Not read by the rules; here so that their words are not taken for ours.
        "lv": "ir un ar ka ja jūs jums lūdzu paldies nav es mēs par uz vai bet kā tas šis",
        "lt": "ir kad su jūs ačiū prašome ne taip yra bet kaip tai",
        "et": "ja on ei see kui aga teie palun aitäh mitte oleme meie",
        "fi": "ja on ei kiitos se että me te olen olemme tämä mutta kyllä",
        "sv": "och är inte jag vi ni tack med för det en ett ja nej på att",
        "da": "og er ikke jeg vi tak med for det en et ja nej på at",
        "nb": "og er ikke jeg vi takk med for det en et ja nei på å",
        "pl": "i jest nie tak dziękuję się to na w z że proszę jestem",
        "cs": "a je ne ano děkuji se to na v s že prosím jsem",
        "ro": "și este nu da mulțumesc în pe cu că vă sunt",
        "hu": "és nem igen köszönöm a az hogy egy van vagyok",
        "tr": "ve bir bu değil evet hayır teşekkürler için ile ben biz",
    }.items()
}
# The letters beyond a-z each of our languages writes (others: any).
ALPHABETS: dict[str, str] = {
    "en": "éèïëçñäöüáíóúàâêôûß",  # loanwords and names: café, naïve, Müller
    "de": "äöüßé",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "es": "áéíóúñü",
    "it": "àèéìíîòóùú",
    "nl": "éëïöüáèóí",
    "pt": "áâãàçéêíóôõú",
}
WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def detect(text: str) -> str | None:
    """The language of `text`, or None when the evidence does not single one out."""
    sample = text[:2000].lower()
    words = WORD_RE.findall(sample)
    if not words:
        return None
    letters = [c for c in sample if c.isalpha() and not ("a" <= c <= "z")]
    scores: dict[str, int] = {}
    for lang, stop in STOPWORDS.items():
        alphabet = ALPHABETS.get(lang)
        if alphabet is not None and sum(1 for c in letters if c not in alphabet) >= 2:
            # Two letters its alphabet lacks (one may be a name): not this language.
            continue
        scores[lang] = sum(1 for word in words if word in stop)
    if not scores:
        return None
    best = max(scores.values())
    leaders = [lang for lang, score in scores.items() if score == best]
    if best == 0 or len(leaders) != 1:
        return None
    return leaders[0]


_ALL_STOPWORDS = frozenset().union(*STOPWORDS.values())


def is_function_word(word: str) -> bool:
    """A short word of some language's grammar ("ja", "no", "e"): its meaning depends on the
    language."""
    return word.lower() in _ALL_STOPWORDS
