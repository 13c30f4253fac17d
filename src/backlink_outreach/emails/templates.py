"""`{placeholder}` templates: parsing, the placeholder list, and strict rendering.

`{name}` is a placeholder (a Python identifier); `{{` and `}}` are literal braces. Anything else
with a brace in it (an unclosed `{`, a lone `}`, `{}`, `{not a name}`) is a syntax error, so a
template never reaches a recipient with a brace we did not mean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class TemplateSyntaxError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


class UnknownPlaceholders(ValueError):
    def __init__(self, names: list[str]) -> None:
        self.names = names
        listed = ", ".join("{" + n + "}" for n in names)
        super().__init__(f"unknown placeholder{'s' if len(names) > 1 else ''}: {listed}")


@dataclass(frozen=True)
class _Field:
    name: str


def _parse(text: str) -> list[str | _Field]:
    parts: list[str | _Field] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{":
            if text.startswith("{{", i):
                literal.append("{")
                i += 2
                continue
            close = text.find("}", i + 1)
            if close == -1:
                raise TemplateSyntaxError("unclosed '{'", i)
            name = text[i + 1 : close].strip()
            if not _NAME.match(name):
                raise TemplateSyntaxError(
                    f"'{{{text[i + 1 : close][:40]}}}' is not a placeholder name", i
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_Field(name))
            i = close + 1
        elif ch == "}":
            if text.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise TemplateSyntaxError("single '}' (write '}}' for a literal brace)", i)
        else:
            nxt = min((p for p in (text.find("{", i), text.find("}", i)) if p != -1), default=n)
            literal.append(text[i:nxt])
            i = nxt
    if literal:
        parts.append("".join(literal))
    return parts


def placeholders(*texts: str) -> list[str]:
    """The names used, in order of first appearance. Raises TemplateSyntaxError."""
    seen: dict[str, None] = {}
    for text in texts:
        for part in _parse(text):
            if isinstance(part, _Field):
                seen.setdefault(part.name, None)
    return list(seen)


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill every placeholder from `values`; an unknown name raises UnknownPlaceholders.

    Values are inserted verbatim and never re-parsed, so a brace inside a value is safe.
    """
    parts = _parse(text)
    missing = [p.name for p in parts if isinstance(p, _Field) and p.name not in values]
    if missing:
        raise UnknownPlaceholders(list(dict.fromkeys(missing)))
    return "".join(values[p.name] if isinstance(p, _Field) else p for p in parts)
