"""The `Sender` value: built from the settings once, and the only thing the message reads about
who it is from."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

from pydantic import SecretStr

from backlink_outreach import sender as senders
from backlink_outreach.config import Settings
from backlink_outreach.errors import Unprocessable
from backlink_outreach.outreach import message


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_unsubscribe_mailto_falls_back_to_reply_to_then_from() -> None:
    base = {"smtp_from_email": "me@agency.test"}
    assert senders.from_settings(settings(**base)).unsubscribe_mailto == "me@agency.test"
    with_reply = settings(**base, smtp_reply_to="replies@agency.test")
    assert senders.from_settings(with_reply).unsubscribe_mailto == "replies@agency.test"
    explicit = settings(**base, smtp_reply_to="r@agency.test", unsubscribe_mailto="u@agency.test")
    assert senders.from_settings(explicit).unsubscribe_mailto == "u@agency.test"


def test_the_sender_site_is_the_public_host_or_else_the_email_domain() -> None:
    local = settings(smtp_from_email="me@agency.test", public_base_url="http://127.0.0.1:8000")
    assert senders.from_settings(local).website == "agency.test"
    public = settings(smtp_from_email="me@agency.test", public_base_url="https://out.example.org")
    assert senders.from_settings(public).website == "out.example.org"


def test_a_dkim_key_is_never_in_the_senders_repr() -> None:
    secret = "-----BEGIN PRIVATE KEY-----\\nSECRETKEYMATERIAL\\n-----END PRIVATE KEY-----"
    found = senders.from_settings(
        settings(dkim_private_key=SecretStr(secret), dkim_selector="s1", dkim_domain="agency.test")
    )
    assert found.dkim is not None and b"\nSECRETKEYMATERIAL\n" in found.dkim.private_key_pem
    assert "SECRETKEYMATERIAL" not in repr(found)


def test_an_unusable_from_address_is_a_422_only_when_sending() -> None:
    broken = senders.from_settings(settings(smtp_from_email="not an address"))
    assert broken.email == "not an address"  # template fields still work
    try:
        broken.sendable_address()
    except Unprocessable as exc:
        assert "SMTP_FROM_EMAIL" in str(exc)
    else:
        raise AssertionError("an invalid From address must not be sendable")


def test_the_message_reads_name_reply_to_signature_and_address_from_the_sender() -> None:
    sender = senders.Sender(
        email="me@agency.test",
        name="Ana from Agency",
        reply_to="replies@agency.test",
        postal_address="1 Main St, Springfield",
        website="agency.test",
        unsubscribe_mailto="u@agency.test",
        signature="Ana\nAgency Ltd",
    )
    outgoing = message.Outgoing(
        sender=sender.email,
        recipient="editor@blog.test",
        subject="Hello",
        body="Would you take a guest post?",
        message_id=message.new_message_id(sender.email),
        unsubscribe_url="https://agency.test/u/token",
        unsubscribe_mailto="mailto:u@agency.test?subject=unsubscribe",
    )
    raw = message.to_bytes(sender, message.build(sender, outgoing, datetime.now(UTC)))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"] == "Ana from Agency <me@agency.test>"
    assert parsed["Reply-To"] == "replies@agency.test"
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.index("Would you take") < text.index("Agency Ltd") < text.index("unsubscribe")
    assert "1 Main St, Springfield" in text
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Agency Ltd" in html and "1 Main St, Springfield" in html
