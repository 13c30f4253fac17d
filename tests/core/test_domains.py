"""Address and URL normalisation; the fast address path agrees with email-validator."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import tldextract
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from backlink_outreach.domains import (
    _RULES,
    InvalidValue,
    _scheme_and_host,
    _suffix_labels,
    normalize_email,
    normalize_sender_email,
    normalize_suppression_entry,
    normalize_website_url,
    registrable_domain,
)


def _reference(value: str) -> str | None:
    try:
        result = validate_email(
            value.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            globally_deliverable=False,
            test_environment=True,
        )
    except EmailNotValidError:
        return None
    return f"{result.local_part}@{result.ascii_domain or result.domain}".lower()


def _ours(value: str) -> str | None:
    try:
        return normalize_email(value)
    except InvalidValue:
        return None


_chars = st.sampled_from(list("abcXYZ09.-_+@'!#é ") + ["\u00df", "\u200b"])


@settings(max_examples=800, deadline=None)
@given(st.text(_chars, min_size=1, max_size=24))
def test_fast_path_agrees_with_email_validator(value: str) -> None:
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "a@b.co",
        "a..b@c.com",
        ".a@b.com",
        "a@-b.com",
        "a@b.c",
        "A@B.COM",
        "x@y.local",
        "x@y.test",
        "x@localhost",
        "o'neil@x.ie",
        "a@" + "b" * 64 + ".com",
        "a" * 65 + "@b.com",
        "a@b_c.com",
        "josé@bücher.de",
        "a@xn--bcher-kva.de",
    ],
)
def test_edge_addresses_agree(value: str) -> None:
    assert _ours(value) == _reference(value)


def test_sender_addresses_accept_internal_domains() -> None:
    assert normalize_sender_email("Out@Mail.LOCAL") == "out@mail.local"
    with pytest.raises(InvalidValue):
        normalize_sender_email("no at sign")


def test_suppression_entries() -> None:
    assert normalize_suppression_entry("*@Example.COM") == "*@example.com"
    with pytest.raises(InvalidValue):
        normalize_suppression_entry("*@")


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("alice.blogspot.com", "alice.blogspot.com"),
        ("www.site.example", "site.example"),
        ("localhost", "localhost"),
        ("10.0.0.1", "10.0.0.1"),
        ("WWW.Example.COM.", "example.com"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_suffix_rules_are_the_bundled_snapshot_read_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rules come from tldextract's public `tlds`, out of the snapshot it ships: with the
    network cut off, a fresh load gives every rule (private section included) again."""
    import socket

    from backlink_outreach import domains

    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the suffix list must not be downloaded")

    assert domains._extract.suffix_list_urls == ()
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fresh = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )
    monkeypatch.setattr(domains, "_extract", fresh)
    assert domains._load_rules() == domains._RULES
    assert {"co.uk", "*.ck", "!www.ck", "blogspot.com", "рф", "xn--p1ai"} <= domains._RULES
    assert len(domains._RULES) > 9000


def test_suffix_matcher_agrees_with_tldextract_on_every_rule() -> None:
    """Our set-based matcher against tldextract itself, for hosts built from every rule of the
    bundled suffix list (wildcards and exceptions included)."""
    import random

    import tldextract

    from backlink_outreach import domains

    reference = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )

    def expected(host: str) -> str:
        found = reference(host).top_domain_under_public_suffix
        return found or (host[4:] if host.startswith("www.") else host)

    rng = random.Random(3)
    hosts = ["localhost", "foo.example", "www.foo.example", "com", "www.com", "a.co.uk"]
    for rule in sorted(domains._RULES):
        base = rule.lstrip("!").replace("*", rng.choice(["x", "www"]))
        hosts += [base, f"a.{base}", f"www.b.{base}"]
    mismatches = [h for h in hosts if registrable_domain.__wrapped__(h) != expected(h)]
    assert mismatches == []


def _suffix_from_the_left(labels: list[str]) -> int:
    """The matcher as it was: every start tried from the left, the first match wins."""
    count = len(labels)
    for i in range(count):
        candidate = ".".join(labels[i:])
        if "!" + candidate in _RULES:
            return count - i - 1
        if candidate in _RULES:
            return count - i
        if i + 1 < count and "*." + ".".join(labels[i + 1 :]) in _RULES:
            return count - i
    return 0


def test_suffix_read_from_the_right_agrees_with_every_start_from_the_left() -> None:
    """`_suffix_labels` stops reading leftwards where no rule reaches further: the same count
    as trying every start, for hosts built on every rule (exceptions, wildcards, IDNA forms,
    empty labels) with one to three labels in front."""
    fronts = [[], ["x"], ["www"], ["a", "b"], ["", "x"], ["*"], ["a", "b", "c"], ["co"]]
    mismatches = []
    for rule in sorted(_RULES):
        for base in {rule, rule.lstrip("!"), rule.lstrip("!").replace("*", "x")}:
            for front in fronts:
                labels = [*front, *base.split(".")]
                if _suffix_labels(labels) != _suffix_from_the_left(labels):
                    mismatches.append(labels)
    assert mismatches == []


_RULE_LABELS = sorted({label for rule in _RULES for label in rule.split(".")})


_LABEL_SOUP = st.lists(
    st.sampled_from(_RULE_LABELS) | st.sampled_from(["", "x", "www"]), max_size=4
)


@settings(max_examples=2000, deadline=None)
@given(_LABEL_SOUP, st.sampled_from(sorted(_RULES)), st.booleans())
def test_suffix_of_label_soups_agrees(front: list[str], rule: str, on_a_rule: bool) -> None:
    labels = [*front, *rule.lstrip("!").split(".")] if on_a_rule else front
    assert _suffix_labels(labels) == _suffix_from_the_left(labels)


def _scheme_and_host_by_urlsplit(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    _ = parts.port
    return parts.scheme.lower(), parts.hostname


_HOST_PIECES = st.sampled_from(
    [
        "example",
        "EXAMPLE",
        ".",
        "co.uk",
        "-",
        "_",
        "x",
        "1",
        "%41",
        "ü",
        "٨",
        "／",
        "user:pw@",
        "@",
        ":",
        ":80",
        ":0",
        ":65535",
        ":65536",
        ":٨٠",
        ":+1",
        "[::1]",
        "[",
        "]",
        "\\",
        "/",
        "?",
        "#",
        "/path",
        "?q=1",
        "#frag",
        " ",
    ]
)
_URLS = st.one_of(
    st.tuples(
        st.sampled_from(["http", "HTTPS", "ftp", "h", "1http", ""]),
        st.sampled_from(["://", ":/", "//", ":"]),
        st.lists(_HOST_PIECES, max_size=8).map("".join),
    ).map("".join),
    st.lists(_HOST_PIECES, min_size=1, max_size=8).map("".join),
)


@settings(max_examples=3000)
@given(_URLS)
def test_fast_url_reading_agrees_with_urlsplit(url: str) -> None:
    """`normalize_website_url` reads common URLs without urlsplit; the answer must not change."""
    try:
        expected: object = _scheme_and_host_by_urlsplit(url)
    except ValueError:
        expected = ValueError
    try:
        got: object = _scheme_and_host(url)
    except ValueError:
        got = ValueError
    assert got == expected


@pytest.mark.parametrize("url", ["http://１２７.０.０.１/", "http://ⓔxample.com/"])
def test_hosts_httpx_refuses_are_invalid(url: str) -> None:
    """httpx reads hosts by IDNA 2008; Python's codec (IDNA 2003) would map these to ASCII."""
    with pytest.raises(InvalidValue):
        normalize_website_url(url)


def test_idna_host_keeps_working() -> None:
    assert normalize_website_url("https://Bücher.de/x") == (
        "https://Bücher.de/x",
        "xn--bcher-kva.de",
    )


def test_host_longer_than_dns_allows_is_invalid() -> None:
    """Labels of 63 are legal; five of them (319 characters) overflow the domain columns."""
    longest = ".".join(["a" * 63] * 3 + ["b" * 57, "com"])  # 253 characters
    assert len(longest) == 253
    assert normalize_website_url(f"http://{longest}/")[1] == longest[-61:]
    for host in (".".join(["a" * 63] * 5), "ü" + longest[1:]):
        with pytest.raises(InvalidValue):
            normalize_website_url(f"http://{host}/")
