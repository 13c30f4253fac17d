"""Report formats beside RFC 3464 and the notices of the server families: Amazon SES
notifications by e-mail, a notice known only by its null sender and returned original, a
multipart that lost its boundary, an address-verification report, a read receipt, and the
stage rules (Yahoo's refusal at DATA, RFC 5321's 553)."""

from __future__ import annotations

import json

from backlink_outreach.replies.classify import Result, classify
from backlink_outreach.replies.parsing import parse

from .test_bounce_rules import LEAD, OURS, notice, report

SNS_FOOTER = (
    "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or "
    "visit the link below to unsubscribe:\nhttps://sns.us-east-1.amazonaws.com/unsubscribe.html"
    "?SubscriptionArn=arn:aws:sns:us-east-1:000000000000:ses-events\n"
)


def ses(payload: dict[str, object], *, envelope: bool = False) -> Result:
    body = json.dumps(payload)
    if envelope:
        body = json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": body}, indent=2)
    raw = (
        f"From: AWS Notifications <no-reply@sns.amazonaws.com>\r\nTo: {OURS}\r\n"
        "Subject: AWS Notification Message\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body + SNS_FOOTER
    )
    return classify(parse(raw.encode()))


def ses_bounce(kind: str, recipient: dict[str, str]) -> dict[str, object]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": kind,
            "bounceSubType": "General",
            "bouncedRecipients": [recipient],
        },
        "mail": {
            "source": OURS,
            "headers": [{"name": "Message-ID", "value": "<m1@sender.test>"}],
            "commonHeaders": {"to": [LEAD]},
        },
    }


def test_ses_permanent_bounce_is_hard_and_its_footer_is_no_unsubscribe() -> None:
    result = ses(
        ses_bounce(
            "Permanent",
            {
                "emailAddress": LEAD,
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown",
            },
        )
    )
    assert (result.classification, result.bounce_type) == ("bounce", "hard")
    assert result.bounce_recipient == LEAD
    assert result.bounce is not None and result.bounce.original_message_ids == ["<m1@sender.test>"]
    assert any("Amazon SES" in reason for reason in result.reasons)


def test_ses_transient_bounce_in_an_sns_envelope_is_soft() -> None:
    payload = ses_bounce(
        "Transient",
        {"emailAddress": LEAD, "status": "5.2.2", "diagnosticCode": "smtp; 552 5.2.2 Mailbox full"},
    )
    result = ses(payload, envelope=True)
    assert (result.classification, result.bounce_type) == ("bounce", "soft")


def test_ses_bounce_without_a_diagnostic_follows_the_bounce_type() -> None:
    result = ses(ses_bounce("Permanent", {"emailAddress": LEAD}))
    assert result.bounce_type == "hard"
    assert any("bounceType Permanent" in reason for reason in result.reasons)


def test_ses_complaint_and_delivery_notifications() -> None:
    complaint = ses(
        {
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": LEAD}]},
        }
    )
    assert complaint.complaint and complaint.bounce_recipient == LEAD
    delivery = ses({"notificationType": "Delivery", "delivery": {"recipients": [LEAD]}})
    assert delivery.classification == "auto_reply"
    assert delivery.bounce_type is None


def test_a_notice_known_by_its_null_sender_and_returned_original() -> None:
    # No daemon sender, no bounce subject: RFC 5321's null reverse-path and the returned copy.
    boundary = "nb-1"
    raw = (
        f"Return-Path: <>\r\nFrom: no-reply@mail.blog-one.test\r\nTo: {OURS}\r\nSubject: Mail\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        f"Your mail could not be delivered to: <{LEAD}>\r\nAs their mailbox is full.\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: {OURS}\r\nTo: {LEAD}\r\nSubject: Guest post idea\r\n\r\nHello\r\n"
        f"--{boundary}--\r\n"
    )
    result = classify(parse(raw.encode()))
    assert (result.classification, result.bounce_type) == ("bounce", "soft")
    assert result.bounce_recipient == LEAD
    # The same words from a person (a sender address, not the null one) are no bounce.
    person = classify(parse(raw.replace("Return-Path: <>", f"Return-Path: <{LEAD}>").encode()))
    assert person.classification != "bounce"


def test_a_multipart_that_lost_its_boundary_is_still_read() -> None:
    # The boundary parameter on an unindented line: a separate, meaningless header.
    raw = (
        f"From: post_master@gateway.test\r\nTo: {OURS}\r\nSubject: Re: Guest post idea\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n"
        'boundary="----=_Part_1"\r\n\r\n------=_Part_1\r\nContent-Type: text/plain\r\n\r\n'
        "Error: Invalid user address\r\n\r\nError message below:\r\n"
        "550 - Requested action not taken: no such user here\r\n\r\nMessage details:\r\n"
        f"  MAIL FROM: {OURS}\r\n  RCPT TO: {LEAD}\r\n  From: {OURS}\r\n"
        "------=_Part_1--\r\n"
    )
    result = classify(parse(raw.encode()))
    assert (result.classification, result.bounce_type) == ("bounce", "hard")
    assert result.bounce is not None
    # "MAIL FROM:" and "From:" lines name our sender, never a failed recipient.
    assert [r.address for r in result.bounce.recipients] == [LEAD]


def test_an_address_verification_report_is_no_failure() -> None:
    result = report(
        "2.1.5", "250 2.1.5 Ok", action="deliverable", subject="Mail Delivery Status Report"
    )
    assert result.classification == "auto_reply"
    assert result.bounce_type is None


def test_a_read_receipt_is_automatic_not_a_reply() -> None:
    """RFC 8098: the recipient's client reports the message was displayed; nobody wrote."""
    raw = (
        f"From: {LEAD}\r\nTo: {OURS}\r\nSubject: Read: Guest post\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message was read on Monday.\r\n"
        "--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Reporting-UA: mail.site.test\r\nFinal-Recipient: rfc822; {LEAD}\r\n"
        "Original-Message-ID: <m1@sender.test>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n--B--\r\n"
    )
    result = classify(parse(raw.encode()))
    assert result.classification == "auto_reply", result.reasons
    assert "read receipt" in result.reasons[0]


def test_yahoo_refuses_unknown_mailboxes_at_data_and_that_is_hard() -> None:
    # Yahoo documents its "dd" refusal after end of DATA; other "User unknown" there is soft
    # (see test_unknown_user_after_data_is_soft_the_address_was_accepted).
    result = notice(
        "   ----- The following addresses had permanent fatal errors -----\n"
        f"<{LEAD}>\n    (reason: 554 delivery error: dd This user doesn't have a yahoo.com "
        "account)\n\n   ----- Transcript of session follows -----\n"
        "... while talking to mta5.am0.yahoodns.net.:\n>>> DATA\n"
        f"<<< 554 delivery error: dd This user doesn't have a yahoo.com account ({LEAD}) [0]\n",
        subject="Returned mail: see transcript for details",
    )
    assert result.bounce_type == "hard", result.reasons


def test_553_invalid_recipient_is_hard_whatever_the_enhanced_code() -> None:
    # RFC 5321's 553 is "mailbox name not allowed": about the address.
    result = report("5.7.1", f"553 Invalid recipient {LEAD}")
    assert result.bounce_type == "hard", result.reasons
    assert any("553" in reason for reason in result.reasons)
    # A 553 about relaying is no verdict on the address.
    relay = report("5.7.1", "553 sorry, that domain isn't in my list of allowed rcpthosts")
    assert relay.bounce_type == "soft"
