"""Bounce rules on synthetic reports written from the servers' documented wordings (not copies
of corpus files): delays are not failures, hard/soft from the evidence in RFC order, failed
recipients (forwarded, screen names), challenge-response notices, referrals and languages."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from backlink_outreach.replies import language
from backlink_outreach.replies.classify import Result, classify
from backlink_outreach.replies.intents import classify_text
from backlink_outreach.replies.parsing import parse

OURS = "outreach@sender.test"
LEAD = "editor@blog-one.test"


def notice(
    body: str,
    *,
    subject: str = "Undelivered Mail Returned to Sender",
    sender: str = "MAILER-DAEMON@mx.blog-one.test",
    headers: dict[str, str] | None = None,
) -> Result:
    """A plain-text notice from a mail daemon, as qmail, Exim, Sendmail and webmail send."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = OURS
    msg["Subject"] = subject
    msg["Return-Path"] = "<>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return classify(parse(msg.as_bytes()))


def report(
    status: str,
    diagnostic: str,
    *,
    action: str = "failed",
    text: str = "Your message could not be delivered.",
    recipient: str = LEAD,
    original: str | None = None,
    subject: str = "Delivery Status Notification (Failure)",
) -> Result:
    """An RFC 3464 multipart/report with one recipient block."""
    boundary = "b-test-1"
    fields = f"Final-Recipient: rfc822; {recipient}\r\n"
    if original:
        fields += f"Original-Recipient: rfc822; {original}\r\n"
    fields += f"Action: {action}\r\nStatus: {status}\r\n"
    if diagnostic:
        fields += f"Diagnostic-Code: smtp; {diagnostic}\r\n"
    raw = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.test>\r\nTo: {OURS}\r\n"
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.test\r\n\r\n{fields}"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {OURS}\r\nTo: {original or recipient}\r\nMessage-ID: <m1@sender.test>\r\n"
        f"Subject: Guest post idea\r\n\r\n--{boundary}--\r\n"
    )
    return classify(parse(raw.encode()))


# --- 1. delays are not failures ---------------------------------------------------------------


def test_dsn_action_delayed_is_an_auto_reply_saying_delay() -> None:
    result = report(
        "4.4.7",
        "451 4.4.7 Timeout waiting for the server",
        action="delayed",
        text="THIS IS A WARNING MESSAGE ONLY. Delivery to the following recipients has been "
        "delayed.",
        subject="Delivery Status Notification (Delay)",
    )
    assert result.classification == "auto_reply"
    assert result.bounce_type is None
    assert any("delay" in reason for reason in result.reasons)


@pytest.mark.parametrize(
    ("server", "subject", "body"),
    [
        (
            "Exim",
            "Warning: message 1abcDE-000Fg-00 delayed 24 hours",
            "This message was created automatically by mail delivery software.\n"
            "A message that you sent has not yet been delivered to one or more of its\n"
            "recipients after more than 24 hours on the queue on mx.blog-one.test.\n\n"
            f"  {LEAD}\n    host mx.blog-one.test [192.0.2.1]\n"
            "    Delay reason: SMTP error from remote mail server after RCPT TO:\n"
            "    451 Temporary local problem - please try later\n\n"
            "No action is required on your part. Delivery attempts will continue for\n"
            "some time, and this warning may be repeated at intervals if the message\n"
            "remains undelivered. Eventually the mail delivery software will give up,\n"
            "and when that happens, the message will be returned to you.\n",
        ),
        (
            "Sendmail",
            "Warning: could not send message for past 4 hours",
            "    **********************************************\n"
            "    **      THIS IS A WARNING MESSAGE ONLY      **\n"
            "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
            "    **********************************************\n\n"
            f"   ----- Transcript of session follows -----\n<{LEAD}>... Deferred: "
            "Connection timed out with mx.blog-one.test.\n"
            "Warning: message still undelivered after 4 hours\n"
            "Will keep trying until message is 5 days old\n",
        ),
        (
            "Gmail",
            "Delivery Status Notification (Delay)",
            "Delivery incomplete\n\nThere was a temporary problem delivering your message to "
            f"{LEAD}. Gmail will retry for 46 more hours. You'll be notified if the delivery "
            "fails permanently.\n",
        ),
        (
            "Postfix",
            "Delayed Mail (still being retried)",
            "This is the mail system at host mail.sender.test.\n\n"
            "####################################################################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
            "####################################################################\n\n"
            f"<{LEAD}>: connect to mx.blog-one.test[192.0.2.1]:25: Connection timed out\n",
        ),
    ],
)
def test_delay_warnings_without_a_report_are_not_failures(
    server: str, subject: str, body: str
) -> None:
    result = notice(body, subject=subject)
    assert result.classification == "auto_reply", server
    assert any("delay" in reason for reason in result.reasons), result.reasons


def test_a_final_failure_after_retries_is_a_soft_bounce_not_a_delay() -> None:
    result = report(
        "4.4.7",
        "",
        text="Delivery to the following recipient failed permanently: the server gave up "
        "after 5 days (retry timeout exceeded).",
    )
    assert (result.classification, result.bounce_type) == ("bounce", "soft")


# --- 3. hard or soft from the evidence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "line"),
    [
        ("Sendmail, no code", f"<{LEAD}>... User unknown"),
        ("Exim, no code", f"{LEAD}\n    unknown user"),
        ("MDaemon, no code", f"{LEAD}: no such user"),
        ("Courier, no code", f"<{LEAD}>: mailbox not found"),
        ("Postfix, old", f"<{LEAD}>: Host not found"),
        ("qmail", f"<{LEAD}>:\nSorry, no mailbox here by that name. (#5.1.1)"),
        ("qmail, DNS", f"<{LEAD}>:\nSorry, I couldn't find any host by that name. (#4.1.2)"),
        ("qmail badrcptto", f"<{LEAD}>:\n553 sorry, this recipient is in badrcptto (#5.7.1)"),
        ("Domino", f"{LEAD} is not a known user"),
        ("iPlanet", f"<{LEAD}>: 550 No mail box available for this user"),
        ("Rackspace", f"<{LEAD}>: 550 {LEAD} is not an active address at this host"),
        ("Exim, DNS", f"{LEAD}\n    all hosts: Name or service not known"),
        ("Domino directory", f"User {LEAD} not listed in Domino Directory"),
        ("Yahoo", f"{LEAD}: 554 delivery error: dd This user doesn't have a yahoo.com account"),
        ("GroupWise", f"The message was undeliverable to:\n    {LEAD} (user not found)"),
        ("Exchange", f"{LEAD}\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"),
        (
            "Exchange 2007 NDR",
            f"{LEAD}\nThe e-mail address you entered couldn't be found. Please check the "
            "recipient's e-mail address and try to resend the message.",
        ),
        (
            "Exim recipient callout",
            f"{LEAD}\n550 The recipient cannot be verified. Please check all recipients of "
            "this message to verify they are valid.",
        ),
        (
            "cPanel",
            f"The mail server could not deliver mail to {LEAD}. The account or domain "
            "may not exist, they may be blacklisted, or missing the proper dns entries.",
        ),
    ],
)
def test_old_style_wordings_without_a_status_are_hard(server: str, line: str) -> None:
    result = notice(
        f"This is the mail delivery system.\nI could not deliver your message.\n\n{line}\n"
    )
    assert result.classification == "bounce", server
    assert result.bounce_type == "hard", (server, result.reasons)
    assert result.bounce_recipient == LEAD
    assert any(reason.startswith("hard:") for reason in result.reasons)


@pytest.mark.parametrize(
    ("subject", "lines", "hard"),
    [
        # Exchange Online's notice when its technical part is not quoted.
        ("Undeliverable: Guest post idea", "editor wasn't found at blog-one.test.", True),
        ("Undeliverable: Guest post idea", "Action Required  Recipient\nUnknown To address", True),
        ("Unzustellbar: Guest post idea", "editor wurde bei blog-one.test nicht gefunden.", True),
        ("Unzustellbar: Guest post idea", "Empfänger unbekannt", True),
        ("Non remis : Guest post idea", "editor est introuvable sur blog-one.test.", True),
        ("Non remis : Guest post idea", "L'adresse n'existe pas.", True),
        ("No se puede entregar", "La dirección de correo no existe.", True),
        ("Impossibile consegnare", "Utente sconosciuto", True),
        ("Não entregue", "O endereço de e-mail não existe.", True),
        ("Não entregue", "Destinatário desconhecido", True),
        ("Onbestelbaar", "Onbekende ontvanger", True),
        # The state of a mailbox that exists, in the same languages: no word says it is unknown.
        ("Unzustellbar: Guest post idea", "Das Postfach des Empfängers ist voll.", False),
        ("Non remis : Guest post idea", "La boîte aux lettres du destinataire est pleine.", False),
    ],
)
def test_notice_texts_in_exchange_online_and_other_languages(
    subject: str, lines: str, hard: bool
) -> None:
    result = notice(f"Your message to {LEAD} couldn't be delivered.\n\n{lines}\n", subject=subject)
    assert result.classification == "bounce"
    assert (result.bounce_type == "hard") is hard, (lines, result.reasons)
    assert result.bounce_recipient == LEAD


@pytest.mark.parametrize(
    ("status", "diagnostic", "hard"),
    [
        # The same Postfix failure, with the precise and with the generic code.
        (
            "5.4.4",
            "Host or domain name not found. Name service error for name=blog-one.test "
            "type=A: Host not found",
            True,
        ),
        (
            "5.0.0",
            "Host or domain name not found. Name service error for name=blog-one.test "
            "type=A: Host not found",
            True,
        ),
        # A temporary DNS failure the server gave up on is not a missing domain.
        (
            "4.4.3",
            "Host or domain name not found. Name service error for name=blog-one.test "
            "type=MX: Host not found, try again",
            False,
        ),
        (
            "5.4.4",
            "Name service error for name=blog-one.test type=MX: Malformed or unexpected "
            "name server reply",
            False,
        ),
        # A 5.1.1 whose words are about the message: the text wins over the code.
        ("5.1.1", "552 5.1.1 Message size exceeds fixed maximum message size", False),
        ("5.1.1", "550 5.1.1 Message rejected as spam by content filter", False),
        (
            "5.1.1",
            f"550 5.1.1 <{LEAD}>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
            True,
        ),
        (
            "5.1.10",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            True,
        ),
        ("5.2.2", "552 5.2.2 The email account that you tried to reach is over quota", False),
        (
            "5.7.1",
            "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org",
            False,
        ),
        ("5.7.1", "550 5.7.1 Sender address rejected: not owned by user", False),
        ("5.2.1", "550 5.2.1 The email account that you tried to reach is disabled", False),
        ("5.1.8", "553 5.1.8 Domain of sender address does not exist", False),
        # Exchange Online's directory-based edge blocking: the recipient is not in the directory.
        ("5.4.1", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", True),
        # 4.1.1 until the sender gave up: the server kept saying the mailbox does not exist.
        (
            "4.1.1",
            f"450 4.1.1 <{LEAD}>: Recipient address rejected: User unknown in local "
            "recipient table",
            True,
        ),
        ("4.2.2", "452 4.2.2 Mailbox full", False),
        # The RFC 5321 550 text with the protocol catch-all code: nothing points elsewhere.
        ("5.5.0", "550 Requested action not taken: mailbox unavailable", True),
        # RFC 7504's 521 "host does not accept mail", with the 5.3.2 it recommends.
        ("5.3.2", "521 5.3.2 System not accepting network messages", True),
        ("5.7.1", "521 5.7.1 Service unavailable; client [192.0.2.9] blocked using dnsbl", False),
        ("5.3.2", "554 5.3.2 System not accepting network messages, try later", False),
    ],
)
def test_status_and_wording_in_order(status: str, diagnostic: str, hard: bool) -> None:
    result = report(status, diagnostic)
    assert result.classification == "bounce"
    assert (result.bounce_type == "hard") is hard, result.reasons


def test_unknown_user_after_data_is_soft_the_address_was_accepted() -> None:
    result = notice(
        f"<{LEAD}>: host mx.blog-one.test[192.0.2.1] said: 550 5.0.0 User unknown "
        "(in reply to end of DATA command)\n"
    )
    assert result.bounce_type == "soft"
    assert any("DATA" in reason for reason in result.reasons)


def test_user_unknown_in_answer_to_rcpt_is_hard() -> None:
    result = notice(
        f"<{LEAD}>: host mx.blog-one.test[192.0.2.1] said: 550 User unknown "
        "(in reply to RCPT TO command)\n"
    )
    assert result.bounce_type == "hard"


def test_sendmail_transcript_reasons_stay_with_their_recipient() -> None:
    """Sendmail closes each recipient's part of the transcript with "5xx <addr>... reason";
    the host line before the next address ("550 other.test (smtp)... Host unknown") is the
    next recipient's cause, not this one's."""
    other = "chief@other.test"
    result = notice(
        "   ----- Transcript of session follows -----\n"
        "While talking to mx.blog-one.test:\n"
        f">>> MAIL From:<{OURS}>\n"
        "<<< 550 5.7.1 Mail from 192.0.2.9 refused: listed at dnsbl.example.test\n"
        f"554 5.0.0 <{LEAD}>... Service unavailable\n"
        "550 5.1.2 other.test (smtp)... Host unknown\n"
        f"554 5.0.0 <{other}>... Host unknown (Name server: other.test: host not found)\n",
        subject="Returned mail: see transcript for details",
    )
    assert result.bounce is not None
    ours, theirs = result.bounce.for_address(LEAD), result.bounce.for_address(other)
    assert ours is not None and ours.address == LEAD
    assert theirs is not None and theirs.address == other
    assert not ours.hard, ours.verdict
    assert theirs.hard, theirs.verdict


def test_dsn_recipient_blocks_without_a_blank_line_between_them() -> None:
    """A field comes at most once in an RFC 3464 block: a second Final-Recipient starts the
    next recipient's block even when the server left out the blank line."""
    full = "full@blog-one.test"
    boundary = "b-test-2"
    raw = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.test>\r\nTo: {OURS}\r\n"
        "Subject: Undeliverable: Guest post idea\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.test\r\n\r\n"
        f"Final-Recipient: rfc822; {full}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        f"Diagnostic-Code: smtp; 550 5.2.2 <{full}>... Mailbox Full\r\n"
        f"Final-Recipient: rfc822; {LEAD}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{LEAD}>... User Unknown\r\n"
        f"\r\n--{boundary}--\r\n"
    )
    result = classify(parse(raw.encode()))
    assert result.bounce is not None
    assert [r.address for r in result.bounce.recipients] == [full, LEAD]
    first, second = result.bounce.recipients
    assert (first.status, first.hard) == ("5.2.2", False)
    assert (second.status, second.hard) == ("5.1.1", True)


# --- 4. the failed recipient -------------------------------------------------------------------


def test_postfix_expanded_from_names_the_address_we_sent_to() -> None:
    result = notice(
        "This is the mail system at host mx.blog-one.test.\n\n"
        f"<owner@elsewhere.test> (expanded from <{LEAD}>): host mx.elsewhere.test said: "
        "550 5.1.1 User unknown (in reply to RCPT TO command)\n"
    )
    assert result.bounce is not None
    line = result.bounce.for_address(LEAD)
    assert line is not None and line.address == "owner@elsewhere.test"
    assert line.addresses() == [LEAD, "owner@elsewhere.test"]  # ours first
    assert any("forwarded from" in reason for reason in result.reasons)


def test_a_role_address_that_failed_is_the_failed_recipient() -> None:
    """postmaster@ is usually the reporter's contact address, but where the notice says
    delivery to it failed, it is the recipient."""
    role = "postmaster@blog-one.test"
    result = notice(
        "This is the DragonFly Mail Agent v0.13 at mx.sender.test.\n\n"
        f"There was an error delivering your mail to <{role}>.\n\n"
        "DNS lookup failure: host blog-one.test not found\n",
        subject="Mail delivery failed",
    )
    assert result.classification == "bounce"
    assert result.bounce_recipient == role
    assert result.bounce_type == "hard"


def test_dsn_original_recipient_is_kept_beside_the_final_one() -> None:
    result = report("5.1.1", "550 5.1.1 user unknown", recipient="x@fwd.test", original=LEAD)
    assert result.bounce is not None
    assert result.bounce.recipients[0].addresses() == [LEAD, "x@fwd.test"]


def test_a_notice_naming_only_a_screen_name_is_an_address_on_the_reporting_domain() -> None:
    result = notice(
        "----- The following addresses had permanent fatal errors -----\n"
        "kijitora\n\n----- Transcript of session follows -----\n"
        "... while talking to air-xx01.mail.aol.com.:\n>>> RCPT To:<kijitora@aol.com>\n"
        "<<< 550 MAILBOX NOT FOUND\n",
        sender="MAILER-DAEMON@aol.com",
        subject="Returned mail: User unknown",
    )
    assert result.bounce_recipient == "kijitora@aol.com"
    result = notice(
        "----- The following addresses had permanent fatal errors -----\n<screenname>\n",
        sender="Mail Delivery Subsystem <MAILER-DAEMON@mx.aol.com>",
        subject="Returned mail: see transcript for details",
    )
    assert result.bounce_recipient == "screenname@aol.com"


# --- 5. challenge-response, referrals, languages -----------------------------------------------


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        (
            "notify@boxbe.example",
            "Request to join your guest list",
            "Hello, your message to Jane is waiting. Jane uses Boxbe to screen mail. Please "
            "click the link below to verify your message and be added to the guest list.",
        ),
        (
            "MAILER-DAEMON@mx.blog-one.test",
            "Undeliverable: please verify",
            "Your message was not delivered yet. To fight spam I only accept mail from "
            "approved senders. Please confirm that you are a human by replying to this email.",
        ),
    ],
)
def test_challenge_response_requests_are_auto_replies(sender: str, subject: str, body: str) -> None:
    result = notice(
        body, sender=sender, subject=subject, headers={"Auto-Submitted": "auto-replied"}
    )
    assert result.classification == "auto_reply"
    assert result.bounce_type is None


def test_a_filter_that_names_itself_challenge_response_needs_no_link_or_header() -> None:
    result = notice(
        "This address is protected by a challenge-response system. To have your message "
        "delivered, reply to this message and type the code below.\n\n  Code: 4F7Q2",
        sender="jane@blog-one.test",
        subject="Re: Guest post",
    )
    assert result.classification == "auto_reply", result.reasons


def test_challenge_response_as_a_delivery_report_is_an_auto_reply() -> None:
    result = report(
        "5.7.1",
        "550 5.7.1 held for verification",
        text="Your message is held until you verify that you are a human: please click the "
        "link to be added to my whitelist.",
    )
    assert result.classification == "auto_reply"
    assert any("challenge" in reason for reason in result.reasons)


def _reply(body: str, sender: str = "old@blog-one.test") -> Result:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = OURS
    msg["Subject"] = "Re: Guest post idea"
    msg.set_content(body)
    return classify(parse(msg.as_bytes()))


TMDA_STYLE = (
    "In an effort to reduce spam, I only accept mail from senders who have been verified. "
    "Please reply to this message (no need to change anything) and your original message "
    "will be delivered once you do."
)


def test_a_reply_to_confirm_challenge_sent_with_a_null_reverse_path_is_automatic() -> None:
    result = notice(TMDA_STYLE, sender="jane@blog-one.test", subject="Re: Guest post idea")
    assert result.classification == "auto_reply", result.reasons
    assert any("challenge" in reason for reason in result.reasons)
    # The same words in a person's reply (their own reverse-path, no link, no automatic
    # header) are the person's.
    assert _reply(TMDA_STYLE).classification != "auto_reply"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Delivered: Guest post idea",
            f"Your message has been delivered to the following recipients:\n\n{LEAD}\n",
        ),
        (
            "Relayed: Guest post idea",
            "Delivery to these recipients or groups is complete, but no delivery notification "
            f"was sent by the destination server:\n\n{LEAD}\n",
        ),
    ],
)
def test_a_plain_text_delivery_receipt_is_a_success_not_a_reply(subject: str, body: str) -> None:
    result = notice(body, subject=subject, sender="postmaster@blog-one.test")
    assert result.classification == "auto_reply"
    assert result.bounce is None and result.bounce_type is None
    assert any("delivery receipt" in reason for reason in result.reasons)


def test_a_receipt_that_also_reports_a_failure_is_a_bounce() -> None:
    result = notice(
        "Your message has been delivered to the following recipients:\n\n"
        "other@blog-one.test\n\n"
        f"Delivery has failed to these recipients or groups:\n\n{LEAD}\n"
        "The e-mail address you entered couldn't be found.",
        subject="Undeliverable: Guest post idea",
        sender="postmaster@blog-one.test",
    )
    assert result.classification == "bounce" and result.bounce is not None
    (failed,) = [line for line in result.bounce.recipients if line.address == LEAD]
    assert failed.hard


def test_wrong_person_reply_names_the_referral_address() -> None:
    result = _reply(
        "Hi, I no longer work at Blog One. Please contact new.editor@blog-one.test instead.\n"
        "Thanks, Sam (old@blog-one.test)"
    )
    assert result.classification == "wrong_person"
    assert result.referral_email == "new.editor@blog-one.test"
    assert _reply("I have left the company.").referral_email is None


def test_the_referral_is_never_ours_nor_the_senders() -> None:
    result = _reply(f"Wrong person, sorry. You wrote to old@blog-one.test from {OURS}.")
    assert result.classification == "wrong_person"
    assert result.referral_email is None


def test_language_is_read_before_words_that_differ_between_languages() -> None:
    assert language.detect("Ja jums ir jautājumi, lūdzu, rakstiet mums") == "lv"
    # Latvian "ja" is "if": not a yes.
    latvian = classify_text("Ja jums ir jautājumi, lūdzu, rakstiet mums")
    assert latvian.classification != "interested"
    assert classify_text("Ja, gerne! Schicken Sie mir den Entwurf.").classification == (
        "interested"
    )
    # Portuguese "no" is "in the".
    assert classify_text("Publicamos no nosso blog, qual é o tema?").classification == "question"


@pytest.mark.parametrize(
    "text",
    [
        "Please take me off your list.",
        "Bitte tragen Sie mich aus Ihrem Verteiler aus.",
        "Bitte keine weiteren E-Mails.",
        "Merci de me désinscrire de votre liste.",
        "Ne m'écrivez plus, s'il vous plaît.",
        "Por favor, denme de baja de su lista.",
        "No quiero recibir más correos.",
        "Per favore rimuovetemi dalla lista.",
        "Non voglio più ricevere queste email.",
        "Graag uitschrijven.",
        "Haal me van jullie lijst alstublieft.",
        "Por favor, me descadastre.",
        "Não quero mais receber esses emails.",
    ],
)
def test_unsubscribe_in_seven_languages(text: str) -> None:
    assert classify_text(text).classification == "unsubscribe"


@pytest.mark.parametrize(
    "text",
    [
        "Nein danke, kein Bedarf.",
        "Non merci, ça ne nous intéresse pas.",
        "No, gracias.",
        "No grazie, non ci interessa.",
        "Nee, bedankt.",
        "Não, obrigado.",
    ],
)
def test_not_interested_in_each_language(text: str) -> None:
    assert classify_text(text).classification == "not_interested"
