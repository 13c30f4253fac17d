"""The fast path of reading a `From` address (`parsing.SIMPLE_ADDRESS_RE`) must read it as the
general one, the stdlib's `getaddresses`, does."""

from __future__ import annotations

from email.utils import getaddresses

from hypothesis import given, settings
from hypothesis import strategies as st

from backlink_outreach.replies.parsing import SIMPLE_ADDRESS_RE, _addresses

_atoms = st.text(st.sampled_from("abZ.-_'é+!#="), min_size=1, max_size=8)
_plain_addresses = st.builds("{}@{}".format, _atoms, _atoms)
_names = st.text(st.sampled_from("abZ .-_'é\t!#"), max_size=12)
_named = st.builds(
    lambda name, quoted, gap, address: (f'"{name}"' if quoted else name) + f"{gap}<{address}>",
    _names,
    st.booleans(),
    st.sampled_from(["", " ", "  "]),
    _plain_addresses,
)
_address_headers = st.builds(
    "{}{}{}".format,
    st.sampled_from(["", " ", "\t"]),
    st.one_of(_plain_addresses, _named),
    st.sampled_from(["", " "]),
)


def _spaced(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(" ".join(name.split()), address) for name, address in pairs]


@settings(max_examples=500)
@given(_address_headers)
def test_plain_addresses_read_as_getaddresses(value: str) -> None:
    """The same address; the same display name but for runs of white space (the fast reader
    keeps a tab inside a name, and drops spaces at the ends of a quoted one)."""
    assert SIMPLE_ADDRESS_RE.fullmatch(value)  # the fast path is the one under test
    reference = [(n, a.strip().lower()) for n, a in getaddresses([value]) if "@" in a]
    fast = _addresses(value)
    assert [a for _, a in fast] == [a for _, a in reference]
    assert _spaced(fast) == _spaced(reference)
