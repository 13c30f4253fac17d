"""Unsubscribe requests as people word them in the seven languages the rules read: every one
must be read as `unsubscribe` (it is a legal duty), and the words that only look like one
("stop by", a notification footer) must not."""

from __future__ import annotations

import pytest

from backlink_outreach.replies.intents import classify_text

REQUESTS = [
    "Please remove me from your mailing list.",
    "Unsubscribe",
    "Stop emailing me.",
    "Please don't contact me again.",
    "Take me off your list please",
    "I don't want to receive any more emails from you.",
    "Please stop sending me these emails",
    "Remove my email address from your database",
    "Do not email me again",
    "Please stop.",
    "STOP",
    "opt me out",
    "Please delete my email from your list.",
    "I'd like to unsubscribe.",
    "Kindly remove us from your list.",
    "Please never contact me again.",
    "Don't write to me anymore.",
    "Cease all communication.",
    "Don't send me any more of these.",
    "Please cease and desist.",
    "Remove",
    "Please do not email this address again.",
    "I'd appreciate it if you stopped emailing me.",
    "Kindly stop.",
    "Quit emailing me.",
    "Lose my email.",
    "Don't ever contact me again",
    "Please remove our website from your outreach list.",
    "We do not want to be contacted.",
    "unsub",
    "Leave me alone and stop spamming.",
    "Please do not reach out again.",
    "Don't reach out to us again.",
    "Gelieve mij niet meer te mailen.",
    "Ik wil niet meer gemaild worden.",
    "Quero ser removido da lista.",
    "We're not interested. Please don't follow up.",
    "No more follow-ups please.",
    "Please stop following up with me.",
    "Put us on your do not contact list.",
    "I have asked you before to stop.",
    "Please don't send any more pitches.",
    "Bitte keine Nachfassmails mehr.",
    "Supprimez mon adresse de votre liste.",
    "Cancellate il mio indirizzo.",
    "I don't want to receive these emails anymore.",
    "Remove this address from your database",
    "Please stop spamming me.",
    "Bitte streichen Sie mich aus Ihrem Verteiler.",
    "Bitte nehmen Sie mich aus Ihrem Verteiler.",
    "Ich möchte keine E-Mails mehr erhalten.",
    "Bitte kontaktieren Sie mich nicht mehr.",
    "Bitte löschen Sie meine E-Mail-Adresse.",
    "Bitte schreiben Sie mir nicht mehr.",
    "Abbestellen bitte.",
    "Bitte entfernen Sie mich von Ihrer Liste.",
    "Ich will keine Werbung.",
    "Bitte hören Sie auf, mir zu schreiben.",
    "Merci de ne plus m'écrire.",
    "Veuillez me retirer de votre liste.",
    "Je ne souhaite plus recevoir vos emails.",
    "Désabonnez-moi svp.",
    "Merci de supprimer mon adresse.",
    "Arrêtez de m'envoyer des emails.",
    "Ne me contactez plus.",
    "Je ne veux plus recevoir de messages.",
    "Por favor, eliminen mi correo de su lista.",
    "No me escriban más.",
    "Quiero darme de baja.",
    "Dejen de enviarme correos.",
    "Por favor no me contacten más.",
    "Bórrenme de su lista.",
    "Por favor, elimíname de tu lista.",
    "Sácame de tu lista, gracias.",
    "Borra mi correo de tu base de datos.",
    "No vuelvan a escribirme, por favor.",
    "No más correos por favor.",
    "No deseo recibir más correos.",
    "Per favore cancellatemi dalla vostra lista.",
    "Non scrivetemi più.",
    "Vi prego di rimuovere il mio indirizzo.",
    "Smettete di inviarmi email.",
    "Non desidero ricevere altre email.",
    "Toglietemi dalla lista.",
    "Non contattatemi più, grazie.",
    "Per favore non ricontattatemi.",
    "Basta email, grazie.",
    "Non inviatemi più email.",
    "Smettetela di scrivermi.",
    "Graag van jullie mailinglijst verwijderd worden.",
    "Stuur me geen e-mails meer.",
    "Ik wil geen mails meer ontvangen.",
    "Verwijder mijn e-mailadres alstublieft.",
    "Neem geen contact meer met mij op.",
    "Schrijf me uit aub.",
    "Haal me alsjeblieft van jullie lijst.",
    "Mail me alsjeblieft niet meer.",
    "Por favor, remova meu e-mail da sua lista.",
    "Pare de me enviar e-mails.",
    "Não me enviem mais e-mails.",
    "Quero cancelar a inscrição.",
    "Não entre mais em contato comigo.",
    "Por favor me tirem da lista.",
    "Deixem de me mandar mensagens.",
    "Não voltem a me contatar.",
]
NOT_REQUESTS = [
    "Sounds good, please send the draft.",
    "We don't accept guest posts.",
    "Can you stop by our office next week?",
    "Stop by anytime!",
    "What topics do you have in mind?",
    "Our fee is $200 per post.",
    "No thanks.",
    "Ja jums ir jautājumi, lūdzu, rakstiet mums",
    "We removed the broken link you mentioned, thanks!",
    "Sure, I can take a look. No need to remove anything.",
    "Nein danke.",
    "Je vous remercie, nous allons regarder.",
    "Not at this time, thanks.",
    "Non mandatemi la bozza prima di lunedì.",
    "Don't send me the invoice yet.",
    "Remove the broken link and we're good.",
    "Please don't send the draft before Monday.",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_every_unsubscribe_wording_is_read_as_one(text: str) -> None:
    found = classify_text(text)
    assert found.classification == "unsubscribe", found.reasons


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_words_that_only_look_like_a_request_are_not_one(text: str) -> None:
    assert classify_text(text).classification != "unsubscribe"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not at this time, thanks.", "not_interested"),
        ("Not at the moment, sorry.", "not_interested"),
        ("Maria is no longer with Acme.", "wrong_person"),
        ("I'm not with Acme Media anymore, try their editor.", "wrong_person"),
        ("She is not with the company since May.", "wrong_person"),
    ],
)
def test_not_at_this_time_is_a_no_and_not_with_the_company_a_wrong_person(
    text: str, expected: str
) -> None:
    assert classify_text(text).classification == expected
