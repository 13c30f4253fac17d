"""Whole notices as each server family writes them (hand-written from the servers' documented
formats, not copied from any corpus): the server's preamble, the failed address, the reply and
the stage it answered. Each case names the family and the outcome the issue asks for: `hard`
(the address or domain cannot receive mail), `soft` (a final failure the address survives),
`delay` (no failure at all) and `auto` (a challenge-response request)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backlink_outreach.replies.classify import Result

from .test_bounce_rules import LEAD, notice, report

EXIM = (
    "This message was created automatically by mail delivery software.\n\n"
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n\n"
)
QMAIL = (
    "Hi. This is the qmail-send program at mx.sender.test.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
)
POSTFIX = (
    "This is the mail system at host mx.sender.test.\n\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients. It's attached below.\n\n"
)
SENDMAIL = (
    "The original message was received at Thu, 3 Dec 2026 10:00:00 GMT\n"
    "from localhost [127.0.0.1]\n\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
)
COURIER = (
    "This is a delivery status notification from mx.sender.test,\n"
    "running the Courier mail server, version 1.1.\n\n"
    "The original message was received on Thu, 03 Dec 2026 10:00:00 +0000\n"
    "from localhost [127.0.0.1]\n\n"
    "---------------------------------------------------------------------------\n\n"
)
DOMINO = (
    "Your message\n\n  Subject: Guest post idea\n\nwas not delivered to:\n\n  {lead}\n\n"
    "because:\n\n  "
)
YAHOO = "Sorry, we were unable to deliver your message to the following address.\n\n"
MDAEMON_FATAL = (
    "The attached message had PERMANENT fatal delivery errors!\n\n"
    "After one or more unsuccessful delivery attempts the attached message has\n"
    "been removed from the mail queue on this server.\n\n"
    "YOU DO NOT NEED TO RESEND THE MESSAGE.\n\n"
)
GMAIL_DAEMON = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"
FAILED = {"X-Failed-Recipients": LEAD}
SENDMAIL_SUBJECT = "Returned mail: see transcript for details"


def exim(line: str) -> Result:
    return notice(f"{EXIM}  {LEAD}\n    {line}\n", headers=FAILED)


def qmail(line: str) -> Result:
    return notice(f"{QMAIL}<{LEAD}>:\n{line}\n", subject="failure notice")


def domino(reason: str) -> Result:
    return notice(
        DOMINO.format(lead=LEAD) + reason + "\n",
        sender="Postmaster@blog-one.test",
        subject="DELIVERY FAILURE: " + reason[:60],
    )


def mdaemon(body: str, subject: str = "Permanent Delivery Failure") -> Result:
    return notice(body, sender="MDaemon@mx.sender.test", subject=subject)


def groupwise(reason: str) -> Result:
    return notice(
        f"The message that you sent was undeliverable to the following:\n\t{LEAD} ({reason})\n",
        sender="postmaster@blog-one.test",
        subject="Message status - undeliverable",
    )


def yahoo(line: str) -> Result:
    return notice(
        f"{YAHOO}<{LEAD}>:\n{line}\n", sender="MAILER-DAEMON@yahoo.com", subject="Failure Notice"
    )


def exchange(status: str, diagnostic: str) -> Result:
    return report(status, diagnostic, subject="Undeliverable: Guest post idea")


CASES: list[tuple[str, Callable[[], Result], str]] = [
    # Postfix
    (
        "Postfix user unknown at RCPT",
        lambda: notice(
            f"{POSTFIX}<{LEAD}>: host mx.blog-one.test[192.0.2.1] said: 550 5.1.1\n"
            f"    <{LEAD}>: Recipient address rejected: User unknown in virtual mailbox\n"
            "    table (in reply to RCPT TO command)\n"
        ),
        "hard",
    ),
    (
        "Postfix domain not found",
        lambda: notice(
            f"{POSTFIX}<{LEAD}>: Host or domain name not found. Name service error for\n"
            "    name=blog-one.test type=A: Host not found\n"
        ),
        "hard",
    ),
    (
        "Postfix null MX",
        lambda: notice(f"{POSTFIX}<{LEAD}>: Domain blog-one.test does not accept mail (nullMX)\n"),
        "hard",
    ),
    (
        "Postfix gave up on a connection timeout",
        lambda: notice(
            f"{POSTFIX}<{LEAD}>: connect to mx.blog-one.test[192.0.2.1]:25: Connection timed out\n"
        ),
        "soft",
    ),
    (
        "Postfix mailbox full",
        lambda: notice(
            f"{POSTFIX}<{LEAD}>: host mx.blog-one.test[192.0.2.1] said: 552 5.2.2 <{LEAD}>:\n"
            "    Mailbox full (in reply to RCPT TO command)\n"
        ),
        "soft",
    ),
    # Exim
    (
        "Exim no such user after RCPT",
        lambda: exim(
            f"host mx.blog-one.test [192.0.2.1]\n    SMTP error from remote mail server after "
            f"RCPT TO:<{LEAD}>:\n    550 No Such User Here"
        ),
        "hard",
    ),
    ("Exim unrouteable", lambda: exim("Unrouteable address"), "hard"),
    ("Exim local unknown user", lambda: exim("Unknown user"), "hard"),
    (
        "Exim MX to nowhere",
        lambda: exim("all relevant MX records point to non-existent hosts"),
        "hard",
    ),
    ("Exim getaddrinfo", lambda: exim("all hosts: Name or service not known"), "hard"),
    ("Exim retry timeout", lambda: exim("retry timeout exceeded"), "soft"),
    ("Exim quota", lambda: exim("mailbox is full: retry timeout exceeded"), "soft"),
    # Sendmail
    (
        "Sendmail user unknown",
        lambda: notice(
            f"{SENDMAIL}<{LEAD}>\n    (reason: 550 5.1.1 <{LEAD}>... User unknown)\n\n"
            "   ----- Transcript of session follows -----\n"
            "... while talking to mx.blog-one.test.:\n"
            f">>> RCPT To:<{LEAD}>\n<<< 550 5.1.1 <{LEAD}>... User unknown\n",
            subject=SENDMAIL_SUBJECT,
        ),
        "hard",
    ),
    (
        "Sendmail host unknown",
        lambda: notice(
            f"{SENDMAIL}<{LEAD}>\n    (reason: 550 Host unknown)\n\n"
            "   ----- Transcript of session follows -----\n"
            f"550 5.1.2 <{LEAD}>... Host unknown (Name server: blog-one.test: host not found)\n",
            subject=SENDMAIL_SUBJECT,
        ),
        "hard",
    ),
    (
        "Sendmail gave up after days of deferrals",
        lambda: notice(
            f"{SENDMAIL}<{LEAD}>\n    (reason: Deferred: Connection refused by mx.blog-one.test.)\n"
            "\n   ----- Transcript of session follows -----\n"
            f"<{LEAD}>... Deferred: Connection refused by mx.blog-one.test.\n"
            "Message could not be delivered for 5 days\nMessage will be deleted from queue\n",
            subject=SENDMAIL_SUBJECT,
        ),
        "soft",
    ),
    (
        # PIPELINING (RFC 2920): the RCPT refusal is read after DATA was sent, and the answer
        # to DATA says no recipient was accepted, so the refusal was about the address.
        "Sendmail pipelined RCPT refusal shown below DATA",
        lambda: notice(
            f"{SENDMAIL}<{LEAD}>\n\n"
            "   ----- Transcript of session follows -----\n"
            "... while talking to mx.blog-one.test.:\n>>> DATA\n"
            "<<< 550 5.5.0 Invalid recipient\n"
            f"550 5.1.1 <{LEAD}>... User unknown\n"
            "<<< 554 5.5.1 Error: no valid recipients\n",
            subject=SENDMAIL_SUBJECT,
        ),
        "hard",
    ),
    (
        "Sendmail refused at end of DATA with recipients accepted",
        lambda: notice(
            f"{SENDMAIL}<{LEAD}>\n\n"
            "   ----- Transcript of session follows -----\n"
            "... while talking to mx.blog-one.test.:\n>>> DATA\n"
            "<<< 550 5.0.0 User unknown\n"
            f"554 5.0.0 <{LEAD}>... Service unavailable\n",
            subject=SENDMAIL_SUBJECT,
        ),
        "soft",
    ),
    # RFC 7504: the destination takes no mail at all.
    (
        "host does not accept mail (521)",
        lambda: notice(
            f"{POSTFIX}<{LEAD}>: host mx.blog-one.test[192.0.2.1] said: 521 5.3.2\n"
            "    System not accepting network messages (in reply to RCPT TO command)\n"
        ),
        "hard",
    ),
    (
        "521 used for a blocklist refusal",
        lambda: notice(
            f"{POSTFIX}<{LEAD}>: host mx.blog-one.test[192.0.2.1] refused to talk to me:\n"
            "    521 5.7.1 Service unavailable; client [192.0.2.9] blocked using\n"
            "    dnsbl.example.test\n"
        ),
        "soft",
    ),
    # MMS gateways (carriers' email-to-MMS): every recipient of the message was refused.
    (
        "MMS gateway no valid recipients",
        lambda: notice(
            f"Message could not be delivered to {LEAD}.\nError: No valid recipients for this MM\n",
            sender="postmaster@mms.blog-one.test",
            subject="Undeliverable Message",
        ),
        "hard",
    ),
    # DragonFly Mail Agent (dma): no SMTP exchange, the name did not resolve.
    (
        "dma host not found",
        lambda: notice(
            "This is the DragonFly Mail Agent v0.13 at mx.sender.test.\n\n"
            f"There was an error delivering your mail to <{LEAD}>.\n\n"
            "DNS lookup failure: host blog-one.test not found\n\nMessage headers follow.\n",
            subject="Mail delivery failed",
        ),
        "hard",
    ),
    # qmail
    ("qmail no mailbox", lambda: qmail("Sorry, no mailbox here by that name. (#5.1.1)"), "hard"),
    (
        "qmail remote user unknown",
        lambda: qmail(
            "192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 "
            f"<{LEAD}>: Recipient address rejected: User unknown\nGiving up on 192.0.2.1."
        ),
        "hard",
    ),
    (
        "qmail badrcptto patch",
        lambda: qmail(
            "192.0.2.1 does not like recipient.\nRemote host said: 553 sorry, this recipient "
            "is in my badrecipientto list (#5.7.1)\nGiving up on 192.0.2.1."
        ),
        "hard",
    ),
    (
        "qmail DNS",
        lambda: qmail("Sorry, I couldn't find any host named blog-one.test. (#5.1.2)"),
        "hard",
    ),
    (
        "qmail over quota",
        lambda: qmail("The users mailfolder is over the allowed quota (size). (#5.2.2)"),
        "soft",
    ),
    (
        "qmail queue lifetime",
        lambda: qmail("I'm not going to try again; this message has been in the queue too long."),
        "soft",
    ),
    # Amazon SES (older reports): its own RFC 3463 heading, then the remote reply in quotes.
    (
        "SES heading over a quoted policy refusal",
        lambda: report(
            "5.0.0 (permanent failure)",
            "5.1.0 - Unknown address error 550-'5.7.1 <0100abc@bounces.sender.test>... "
            "Access denied' (delivery attempts: 0)",
        ),
        "soft",
    ),
    (
        "SES heading over a quoted unknown user",
        lambda: report(
            "5.0.0 (permanent failure)",
            f"5.3.0 - Other mail system problem 550-'5.1.1 <{LEAD}>... User unknown' "
            "(delivery attempts: 0)",
        ),
        "hard",
    ),
    (
        "SES heading over a quoted full mailbox",
        lambda: report(
            "5.0.0 (permanent failure)",
            f"5.1.0 - Unknown address error 550-'5.2.2 <{LEAD}>... Mailbox Full' "
            "(delivery attempts: 0)",
        ),
        "soft",
    ),
    # Exchange / Office 365
    (
        "Office 365 recipient not found",
        lambda: exchange(
            "5.1.10",
            f"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {LEAD} not found by SMTP "
            "address lookup",
        ),
        "hard",
    ),
    (
        "Office 365 DNS domain does not exist",
        lambda: exchange(
            "5.4.310",
            "550 5.4.310 DNS domain blog-one.test does not exist [Message=InfoDomainNonexistent]",
        ),
        "hard",
    ),
    (
        "Office 365 banned sending IP",
        lambda: exchange("5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.7]"),
        "soft",
    ),
    (
        "Office 365 message expired",
        lambda: exchange("5.4.316", "550 5.4.316 Message expired, connection refused"),
        "soft",
    ),
    (
        "Exchange quota",
        lambda: exchange(
            "5.2.2", "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException"
        ),
        "soft",
    ),
    (
        "Exchange 2003 notice without a report",
        lambda: notice(
            "Your message did not reach some or all of the intended recipients.\n\n"
            "The following recipient(s) cannot be reached:\n\n"
            f"      {LEAD} on 12/3/2026 10:00 AM\n"
            "            The e-mail account does not exist at the organization this message "
            "was sent to.\n            <mx.blog-one.test #5.1.1>\n",
            sender="System Administrator <postmaster@blog-one.test>",
            subject="Undeliverable: Guest post idea",
        ),
        "hard",
    ),
    # Gmail
    (
        "Gmail no such user",
        lambda: report(
            "5.1.1",
            "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
            " 550 5.1.1 double-checking the recipient's email address - gsmtp",
            text=f"** Address not found **\n\nYour message wasn't delivered to {LEAD} because "
            "the address couldn't be found, or is unable to receive mail.",
        ),
        "hard",
    ),
    (
        "Gmail DNS error",
        lambda: report(
            "5.0.0",
            "",
            text=f"** Address not found **\n\nYour message wasn't delivered to {LEAD} because "
            "the domain blog-one.test couldn't be found.\n\nThe response was:\nDNS Error: DNS "
            "type 'mx' lookup of blog-one.test responded with code NXDOMAIN",
        ),
        "hard",
    ),
    (
        "Gmail disabled account",
        lambda: report("5.2.1", "550 5.2.1 The email account that you tried to reach is disabled."),
        "soft",
    ),
    (
        "Gmail unauthenticated",
        lambda: report("5.7.26", "550-5.7.26 This mail is unauthenticated ... has been blocked."),
        "soft",
    ),
    (
        "Gmail gave up connecting",
        lambda: notice(
            f"** Message not delivered **\n\nThere was a problem delivering your message to {LEAD}."
            "\n\nThe response was:\n\nThe recipient server did not accept our requests to "
            "connect. [mx.blog-one.test. 192.0.2.1: timed out]\n",
            sender=GMAIL_DAEMON,
            subject="Delivery Status Notification (Failure)",
        ),
        "soft",
    ),
    # Yahoo
    (
        "Yahoo dd unknown",
        lambda: yahoo(
            f"554: delivery error: dd This user doesn't have a yahoo.com account ({LEAD}) [0]"
        ),
        "hard",
    ),
    (
        "Yahoo mailbox not found",
        lambda: yahoo("Remote host said: 552 1 Requested mail action aborted, mailbox not found"),
        "hard",
    ),
    (
        "Yahoo disabled",
        lambda: yahoo(
            f"554: delivery error: dd Sorry your message to {LEAD} cannot be delivered. This "
            "mailbox is disabled (554.30)."
        ),
        "soft",
    ),
    (
        "Yahoo policy",
        lambda: yahoo("Remote host said: 554 5.7.9 Message not accepted for policy reasons."),
        "soft",
    ),
    # AOL
    (
        "AOL screen name",
        lambda: notice(
            "----- The following addresses had permanent fatal errors -----\nscreenname\n"
            "    (reason: 550 MAILBOX NOT FOUND)\n",
            sender="Mail Delivery Subsystem <MAILER-DAEMON@aol.com>",
            subject="Returned mail: User unknown",
        ),
        "hard",
    ),
    # Lotus Domino
    ("Domino directory", lambda: domino(f"User {LEAD} not listed in Domino Directory"), "hard"),
    ("Domino no route", lambda: domino("No route found to domain blog-one.test"), "hard"),
    ("Domino quota", lambda: domino("Recipient's database has exceeded its quota"), "soft"),
    # GroupWise
    ("GroupWise user not found", lambda: groupwise("user not found"), "hard"),
    ("GroupWise host not found", lambda: groupwise("host not found"), "hard"),
    # Courier: its preamble says "The original message was received", which is no copy.
    (
        "Courier user unknown",
        lambda: notice(
            f"{COURIER}                           UNDELIVERABLE MAIL\n\n"
            "Your message to the following recipients cannot be delivered:\n\n"
            f"<{LEAD}>:\n    mx.blog-one.test [192.0.2.1]:\n>>> RCPT TO:<{LEAD}>\n"
            "<<< 550 User unknown\n",
            subject="NOTICE: mail delivery status.",
        ),
        "hard",
    ),
    (
        "Courier no such domain",
        lambda: notice(
            f"{COURIER}                           UNDELIVERABLE MAIL\n\n"
            f"Your message to the following recipients cannot be delivered:\n\n<{LEAD}>:\n"
            "    No such domain.\n",
            subject="NOTICE: mail delivery status.",
        ),
        "hard",
    ),
    # MDaemon: its permanent failure borrows a warning's "YOU DO NOT NEED TO RESEND".
    (
        "MDaemon permanent",
        lambda: mdaemon(
            f"{MDAEMON_FATAL}Session Transcript:\n --> RCPT To:<{LEAD}>\n"
            f" <-- 550 5.1.1 <{LEAD}>... User unknown\n"
        ),
        "hard",
    ),
    (
        "MDaemon no such user",
        lambda: mdaemon(f"{MDAEMON_FATAL}{LEAD} - no such user here.\n"),
        "hard",
    ),
    # Delays: no failure at all.
    (
        "MDaemon warning",
        lambda: mdaemon(
            "The attached message has encountered delivery errors.\nThe message has NOT yet been "
            "delivered to all recipients.\nDelivery attempts will continue.\n\n"
            f"YOU DO NOT NEED TO RESEND THE MESSAGE.\n\n{LEAD}: 421 try again later\n",
            subject="Warning: Temporary Delivery Failure",
        ),
        "delay",
    ),
    (
        "Courier delay",
        lambda: notice(
            f"{COURIER}                        DELAYS IN DELIVERING YOUR MESSAGE\n\n"
            "This is a warning message only.  The message will continue to be delivered.\n\n"
            f"<{LEAD}>:\n    mx.blog-one.test [192.0.2.1]:\n<<< 421 Too many connections\n",
            subject="WARNING: delayed mail.",
        ),
        "delay",
    ),
    (
        "Office 365 delay",
        lambda: notice(
            f"Delivery is delayed to these recipients or groups:\n\n{LEAD}\n\nThis message hasn't "
            "been delivered yet. The server will keep trying to deliver this message for the "
            "next 1 days, 19 hours and 57 minutes.\n",
            sender="postmaster@outlook.com",
            subject="Delivery delayed:Guest post idea",
        ),
        "delay",
    ),
    (
        "Postfix delay",
        lambda: notice(
            f"{POSTFIX[:36]}\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
            "\nYour message could not be delivered for more than 4 hour(s).\nIt will be retried "
            f"until it is 5 day(s) old.\n\n<{LEAD}>: connect to mx.blog-one.test[192.0.2.1]:25: "
            "Connection refused\n",
            subject="Delayed Mail (still being retried)",
        ),
        "delay",
    ),
    (
        "Gmail delay",
        lambda: notice(
            f"** Message not delivered yet **\n\nThere was a temporary problem delivering your "
            f"message to {LEAD}. Gmail will retry for 47 more hours. You'll be notified if the "
            "delivery fails permanently.\n",
            sender=GMAIL_DAEMON,
            subject="Delivery Status Notification (Delay)",
        ),
        "delay",
    ),
    # Challenge-response, from the recipient's own address, without automatic headers.
    (
        "Boxbe guest list",
        lambda: notice(
            "Hello,\n\nMessages you have sent will remain in a lower priority mailbox for our "
            "member to review.\n\nFuture messages will be more likely to be viewed if you are "
            f"on our member's priority Guest List.\n\nThank you,\n{LEAD}\n\n"
            'Powered by Boxbe -- "End Email Overload"\n',
            sender=LEAD,
            subject="Request to join editor's Guest List",
        ),
        "auto",
    ),
    (
        "approved senders form",
        lambda: notice(
            "I apologize for this automatic reply to your email.\n\nTo control spam, I now "
            "allow incoming messages only from senders I have approved beforehand.\n\nIf you "
            "would like to be added to my list of approved senders, please fill out the short "
            "request form (see link below).\n\nhttps://verify.mail.example/a2?abc\n",
            sender=LEAD,
            subject="Re: Guest post idea [Verify]",
        ),
        "auto",
    ),
    (
        "verify you are human",
        lambda: notice(
            "Hi! I'm protecting my inbox from spam. Please verify you are human by clicking "
            "the link below, and your message will be delivered.\nhttps://verify.example/abc\n",
            sender=LEAD,
            subject="Please verify your email",
        ),
        "auto",
    ),
]


def outcome(result: Result) -> str:
    if result.classification == "bounce":
        return result.bounce_type or "?"
    if result.bounce is not None and result.bounce.kind == "delay":
        return "delay"
    if result.classification == "auto_reply":
        return "auto"
    return result.classification


@pytest.mark.parametrize(("family", "make", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_family_reads_as_the_server_meant(
    family: str, make: Callable[[], Result], expected: str
) -> None:
    result = make()
    assert outcome(result) == expected, (family, result.reasons)
    if expected in ("hard", "soft"):
        assert result.bounce_recipient in (LEAD, "screenname@aol.com"), family
        # The reasons name the evidence that decided.
        assert any(r.startswith(f"{expected}:") for r in result.reasons), result.reasons
    if expected == "auto":
        assert any("challenge" in r for r in result.reasons), result.reasons


def test_a_person_asking_if_we_are_human_is_not_a_challenge() -> None:
    result = notice(
        "Are you a real person or a bot? We get a lot of these requests.",
        sender=LEAD,
        subject="Re: Guest post idea",
    )
    assert result.classification != "auto_reply"


def test_an_editor_pointing_to_an_approval_page_is_not_a_challenge() -> None:
    result = notice(
        "Thanks for reaching out! Please visit https://blog-one.test/write-for-us to read our "
        "guidelines and get your topic approved.",
        sender=LEAD,
        subject="Re: Guest post idea",
    )
    assert result.classification != "auto_reply"
