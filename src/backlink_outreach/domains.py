"""Registrable domains of URLs and addresses, and address normalisation (all offline)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

import idna
import tldextract
from email_validator import EmailNotValidError, validate_email

# The bundled suffix-list snapshot only: nothing may download at run time. The private section
# makes alice.blogspot.com and bob.blogspot.com two sites.
_extract = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


def _load_rules() -> frozenset[str]:
    """The suffix-list rules (`co.uk`, `*.ck`, `!www.ck`), each also in its ASCII (IDNA) form so
    that punycode hosts match. A set lookup per label is several times faster than
    tldextract's per-call object building, which dominates bulk lead imports. `tlds` is
    tldextract's public list of the rules it matches with (private section included, as
    configured above)."""
    rules: set[str] = set()
    for rule in _extract.tlds:
        rules.add(rule)
        try:
            rules.add(rule.encode("idna").decode("ascii"))
        except UnicodeError:
            pass
    return frozenset(rules)


_RULES = _load_rules()


def _rule_tails(rules: frozenset[str]) -> frozenset[str]:
    """Every proper tail of every rule (`uk` of `co.uk`, `ck` of `*.ck` and of `!www.ck`): a
    longer match may lie beyond a name only when the name is one of these."""
    tails: set[str] = set()
    for rule in rules:
        labels = rule.removeprefix("!").split(".")
        tails.update(".".join(labels[k:]) for k in range(1, len(labels)))
    return frozenset(tails)


_TAILS = _rule_tails(_RULES)


def _suffix_labels(labels: list[str]) -> int:
    """How many trailing labels form the public suffix (0 when no rule matches): the match
    that starts leftmost, an exception rule before a plain rule before a wildcard at the same
    start, as the suffix-list algorithm wants. Read from the right, stopping as soon as no
    rule can reach further left (usually after the TLD): a third of the time of trying every
    start from the left, in a bulk import's validation."""
    count = len(labels)
    found = 0
    candidate = ""  # labels[i:], joined
    for i in range(count - 1, -1, -1):
        parent = candidate
        candidate = labels[i] + "." + parent if i + 1 < count else labels[i]
        if "!" + candidate in _RULES:
            found = count - i - 1
        elif candidate in _RULES or (i + 1 < count and "*." + parent in _RULES):
            found = count - i
        if candidate not in _TAILS:
            break
    return found


class InvalidValue(ValueError):
    """A value a user typed that we cannot accept; the message is shown to them."""


# The two caches below serve hosts and URLs seen again soon (a lead's URL read back for its
# domain, a sender's domain on every reply), not every site of a bulk import: 65,536 entries
# each held 28 MB and made the 100,000 distinct rows of the import benchmark about 0.15 s
# slower than no cache at all (misses evicting from tables larger than the CPU's caches).
_CACHED = 4096


@lru_cache(maxsize=_CACHED)
def registrable_domain(host: str) -> str:
    """`www.Blog.Example.co.uk` -> `example.co.uk`; hosts without a public suffix keep their
    full name less a leading `www.` (reserved TLDs, `localhost`, IP literals)."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        return host
    if _is_ip(host):
        return host
    labels = host.split(".")
    suffix = _suffix_labels(labels)
    if 0 < suffix < len(labels):
        return ".".join(labels[-suffix - 1 :])
    return host[4:] if host.startswith("www.") and len(host) > 4 else host


def _is_ip(host: str) -> bool:
    if host[-1:].isalpha():  # fast path: no IP literal ends with a letter
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# Whitespace and control characters, C0 and C1: a NUL would reach PostgreSQL (which refuses it).
_UNSAFE_URL_CHAR = re.compile(r"[\x00-\x20\x7f-\x9f]")
# The common shape, read without urlsplit (a third of a bulk add's validation): an ASCII URL
# with a scheme, a plain host (no user info, IPv6 literal or zone), an optional port, then the
# end or a path, query or fragment. Anything else takes urlsplit's path; both give the same
# answer (tested).
_SIMPLE_URL = re.compile(
    r"(?P<scheme>[A-Za-z]+)://(?P<host>[^/?#@:%\[\]\\]+)(?::(?P<port>[0-9]*))?(?:[/?#]|\Z)"
)


def _scheme_and_host(url: str) -> tuple[str, str | None]:
    simple = _SIMPLE_URL.match(url) if url.isascii() else None
    if simple is not None:
        port = simple["port"]
        if port and int(port) > 65535:
            raise ValueError("port out of range")
        return simple["scheme"].lower(), simple["host"].lower()
    parts = urlsplit(url)
    _ = parts.port  # raises ValueError on a bad port
    return parts.scheme.lower(), parts.hostname


_MAX_HOST_CHARS = 253


def _idna_host(host: str) -> str:
    """The ASCII form httpx gives a non-ASCII host (IDNA 2008, via the `idna` package). Python's
    own codec is IDNA 2003, which maps `１２７.０.０.１` and `ⓔxample.com` to ASCII where
    httpx refuses them: we must not accept a site the crawler can never fetch."""
    return idna.encode(host.lower()).decode("ascii")


# A bare host, as users paste them (`green.example`, `green.example:8080/write-for-us`): a
# dotted name or IPv4 address, an optional port, then the end or a path, query or fragment.
# `mailto:x@y` or `javascript:...` are not: what precedes their colon is no port.
_BARE_HOST = re.compile(r"[^/?#@:\[\]\\]+\.[^/?#@:\[\]\\]+(?::[0-9]*)?(?:[/?#]|\Z)")


def looks_like_host(value: str) -> bool:
    """`value` is a bare host name (`example.com`), no scheme, path or address."""
    host = value.strip().lower()
    return bool(host) and _HOST.match(host) is not None and "." in host


def _with_scheme(url: str) -> str:
    """`https://` in front of a bare host (API.md part 2); anything else as it is."""
    if "://" in url:
        return url
    if url.startswith("//"):
        return "https:" + url
    if _BARE_HOST.match(url):
        return "https://" + url
    return url


@lru_cache(maxsize=_CACHED)
def normalize_website_url(raw: str) -> tuple[str, str]:
    """Return (url, domain) for an http(s) URL with a host; raise InvalidValue otherwise. A
    bare host (`green.example`, `green.example/write-for-us`) is read as `https://` it. This
    is the one reader of website URLs: lead create, bulk add, CSV import and discovery's
    saves all go through `LeadCreate`, whose validator calls it."""
    url = raw.strip()
    if not url or len(url) > 2048 or _UNSAFE_URL_CHAR.search(url):
        raise InvalidValue("invalid URL")
    url = _with_scheme(url)
    if len(url) > 2048:
        raise InvalidValue("invalid URL")
    try:
        scheme, host = _scheme_and_host(url)
    except ValueError:
        raise InvalidValue("invalid URL") from None
    if scheme not in ("http", "https"):
        raise InvalidValue("invalid URL: only http and https are accepted")
    if not host:
        raise InvalidValue("invalid URL: no host")
    try:
        host_ascii = host if host.isascii() else _idna_host(host)
    except (idna.IDNAError, UnicodeError):
        raise InvalidValue("invalid URL: bad host name") from None
    # 253 is DNS's limit; longer names also overflow the 255-character domain columns.
    if len(host_ascii) > _MAX_HOST_CHARS:
        raise InvalidValue("invalid URL: bad host name")
    if not _is_ip(host_ascii) and not _HOST.match(host_ascii):
        raise InvalidValue("invalid URL: bad host name")
    return url, registrable_domain(host_ascii)


_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\Z")
# The common address shape, checked without email-validator's (slow) full Unicode path: an ASCII
# dot-atom local part and a plain ASCII domain with an alphabetic TLD.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+"
    rf"(?P<tld>[a-z]{{2,63}}))\Z"
)
# email-validator refuses these; `test` stays allowed (we accept it, as with test_environment).
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion"})


def _label_ok(label: str) -> bool:
    return _HOST.match(label) is not None and "." not in label


def normalize_email(raw: str) -> str:
    """Syntax check (no DNS) and lowercase. The domain is stored in its ASCII (IDNA) form.

    Reserved names that tests and documentation use (`.test`, `.example`) are accepted;
    `localhost` and `.local` are not deliverable recipients. A non-ASCII local part
    (`josé@...`) is refused: it needs SMTPUTF8, which the sender does not speak, so every
    send to it would fail; lead, suppression and policy all apply this one rule.
    """
    value = raw.strip()
    if value.startswith("*@"):
        raise InvalidValue("a wildcard is not an address")
    lowered = value.lower()
    simple = _SIMPLE_EMAIL.match(lowered)
    if (
        simple
        and len(simple["local"]) <= 64
        and len(lowered) <= 254
        and simple["tld"] not in _SPECIAL_USE
    ):
        return lowered
    try:
        result = validate_email(
            value,
            check_deliverability=False,
            allow_smtputf8=False,
            globally_deliverable=False,
            test_environment=True,
        )
    except EmailNotValidError as exc:
        raise InvalidValue(f"invalid email address: {exc}") from None
    domain = result.ascii_domain or result.domain
    return f"{result.local_part}@{domain}".lower()


def normalize_sender_email(raw: str) -> str:
    """Sender addresses are checked for syntax only: self-hosters use `.local` or internal names."""
    value = raw.strip()
    local, at, domain = value.rpartition("@")
    if not at or not domain:
        raise InvalidValue("invalid email address")
    try:
        domain_ascii = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidValue("invalid email address: bad domain") from None
    if not all(_label_ok(label) for label in domain_ascii.split(".")):
        raise InvalidValue("invalid email address: bad domain")
    # The local part is checked by the full validator against a stand-in domain.
    normalized_local = normalize_email(f"{local}@example.com").rsplit("@", 1)[0]
    return f"{normalized_local}@{domain_ascii}"


def normalize_suppression_entry(raw: str) -> str:
    """A plain address, or `*@domain` for every address at exactly that domain."""
    value = raw.strip().lower()
    if value.startswith("*@"):
        domain = value[2:]
        # Check the domain by validating a stand-in address at it.
        return "*@" + normalize_email(f"x@{domain}").split("@", 1)[1]
    return normalize_email(value)


def email_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()
