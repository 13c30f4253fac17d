"""The renderer that sending trusts: properties over generated templates (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backlink_outreach.emails.templates import (
    TemplateSyntaxError,
    UnknownPlaceholders,
    escape,
    placeholders,
    render,
)

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
# A template as a token list: literal text (may contain braces) or a placeholder name.
TOKENS = st.lists(st.one_of(TEXT.map(lambda t: ("text", t)), NAMES.map(lambda n: ("field", n))))


def build(tokens: list[tuple[str, str]]) -> str:
    return "".join(escape(v) if kind == "text" else "{" + v + "}" for kind, v in tokens)


@settings(max_examples=300)
@given(st.text(st.sampled_from("{}ab _1 \n"), max_size=30) | TEXT, st.dictionaries(NAMES, TEXT))
def test_never_crashes_on_any_text(text: str, values: dict[str, str]) -> None:
    try:
        names = placeholders(text)
    except TemplateSyntaxError as exc:
        assert 0 <= exc.position < len(text)
        with pytest.raises(TemplateSyntaxError):
            render(text, values)
        return
    try:
        render(text, values)
    except UnknownPlaceholders as exc:
        assert exc.names and set(exc.names) == set(names) - set(values)


@given(TOKENS, st.dictionaries(NAMES, TEXT))
def test_renders_exactly_the_literals_and_values(
    tokens: list[tuple[str, str]], extra: dict[str, str]
) -> None:
    values = {**extra, **{v: f"<{v}>" for kind, v in tokens if kind == "field"}}
    expected = "".join(v if kind == "text" else values[v] for kind, v in tokens)
    assert render(build(tokens), values) == expected


@given(st.lists(TEXT.filter(lambda t: "{" not in t and "}" not in t)), st.lists(NAMES, max_size=5))
def test_no_unescaped_brace_survives(literals: list[str], names: list[str]) -> None:
    # Brace-free values into a template whose only braces are placeholders: nothing left over.
    template = "".join(a + "{" + b + "}" for a, b in zip(literals, names, strict=False))
    out = render(template, {n: "value" for n in names})
    assert "{" not in out and "}" not in out


@given(TOKENS, st.data())
def test_rejects_every_unknown_name(tokens: list[tuple[str, str]], data: st.DataObject) -> None:
    used = list(dict.fromkeys(v for kind, v in tokens if kind == "field"))
    if not used:
        assert placeholders(build(tokens)) == []
        return
    missing = data.draw(st.lists(st.sampled_from(used), min_size=1, unique=True))
    values = {n: "x" for n in used if n not in missing}
    with pytest.raises(UnknownPlaceholders) as caught:
        render(build(tokens), values)
    assert caught.value.names == [n for n in used if n in missing]
    for name in missing:
        assert "{" + name + "}" in str(caught.value)


@given(st.text(max_size=50))
def test_escape_round_trips(text: str) -> None:
    assert render(escape(text), {}) == text
    assert placeholders(escape(text)) == []


@pytest.mark.parametrize(
    ("text", "position"),
    [("Hi {name", 3), ("a } b", 2), ("{}", 0), ("{not a name}", 0), ("{{ok}} {1x}", 7)],
)
def test_syntax_errors_say_where(text: str, position: int) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        placeholders(text)
    assert caught.value.position == position


def test_values_are_not_reparsed() -> None:
    assert render("Hi {name}", {"name": "{evil}"}) == "Hi {evil}"
    assert render("{ name }: {{x}}", {"name": "A"}) == "A: {x}"
