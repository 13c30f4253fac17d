"""`{placeholder}` templates: parsing, the placeholder list, and strict rendering.

`{name}` is a placeholder (a Python identifier); `{{` and `}}` are literal braces. Anything else
with a brace in it (an unclosed `{`, a lone `}`, `{}`, `{not a name}`) is a syntax error, so a
template never reaches a recipient with a brace we did not mean.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class TemplateSyntaxError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


def _braced(names: Sequence[str]) -> str:
    return ", ".join("{" + n + "}" for n in names)


class UnknownPlaceholders(ValueError):
    """Names the unknown placeholders and, when given, the valid ones (API.md part 2: an
    unknown-placeholder 422 names the valid names in its `msg`)."""

    def __init__(self, names: list[str], known: Sequence[str] = ()) -> None:
        self.names = names
        self.known = list(known)
        message = f"unknown placeholder{'s' if len(names) > 1 else ''}: {_braced(names)}"
        if self.known:
            message += f"; valid placeholders: {_braced(self.known)}"
        super().__init__(message)


@dataclass(frozen=True)
class _Field:
    name: str


# One pass of a C-speed regex: a run of plain text, an escaped brace, `{field}`, or a brace on
# its own (always an error). Alternatives are tried in order, so `{{` wins over `{field}`.
_TOKEN = re.compile(r"([^{}]+)|\{\{|\}\}|\{([^{}]*)\}|([{}])")


def _parse(text: str) -> list[str | _Field]:
    parts: list[str | _Field] = []
    literal: list[str] = []
    for match in _TOKEN.finditer(text):
        plain, field, lone = match.groups()
        if plain is not None:
            literal.append(plain)
        elif field is not None:
            name = field.strip()
            if not _NAME.match(name):
                raise TemplateSyntaxError(
                    f"'{{{field[:40]}}}' is not a placeholder name", match.start()
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_Field(name))
        elif lone == "{":
            at = match.start()
            close = text.find("}", at + 1)
            if close == -1:
                raise TemplateSyntaxError("unclosed '{'", at)
            raise TemplateSyntaxError(
                f"'{{{text[at + 1 : close][:40]}}}' is not a placeholder name", at
            )
        elif lone == "}":
            raise TemplateSyntaxError("single '}' (write '}}' for a literal brace)", match.start())
        else:
            literal.append(match.group(0)[0])  # `{{` or `}}`: one literal brace
    if literal:
        parts.append("".join(literal))
    return parts


# A campaign sends one template to many leads: parse each text once. Only short texts are kept,
# so the cache stays small (at most about 512 x 10,000 characters).
_CACHE_MAX_CHARS = 10_000


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str) -> tuple[str | _Field, ...]:
    return tuple(_parse(text))


def _parts(text: str) -> tuple[str | _Field, ...]:
    return _parse_cached(text) if len(text) <= _CACHE_MAX_CHARS else tuple(_parse(text))


def escape(text: str) -> str:
    """`text` as a template that renders to exactly `text` (its braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def placeholders(*texts: str) -> list[str]:
    """The names used, in order of first appearance. Raises TemplateSyntaxError."""
    seen: dict[str, None] = {}
    for text in texts:
        for part in _parts(text):
            if isinstance(part, _Field):
                seen.setdefault(part.name, None)
    return list(seen)


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill every placeholder from `values`; an unknown name raises UnknownPlaceholders.

    Values are inserted verbatim and never re-parsed, so a brace inside a value is safe.
    """
    parts = _parts(text)
    missing = [p.name for p in parts if isinstance(p, _Field) and p.name not in values]
    if missing:
        raise UnknownPlaceholders(list(dict.fromkeys(missing)), list(values))
    return "".join(values[p.name] if isinstance(p, _Field) else p for p in parts)
