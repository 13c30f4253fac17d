"""`backlink_outreach.fast_paths` lists each fast path with the tests that guard it: those tests
must exist, so a renamed or deleted guard shows up here rather than going quietly missing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from backlink_outreach import fast_paths

ROOT = Path(__file__).resolve().parents[2]
GUARD = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_guard_named_exists() -> None:
    doc = fast_paths.__doc__ or ""
    guards = GUARD.findall(doc)
    assert len(guards) >= 20
    missing = [
        f"{path}::{name}"
        for path, name in guards
        if not (ROOT / path).is_file() or name not in _test_functions(ROOT / path)
    ]
    assert missing == []


def test_every_fast_path_names_a_guard() -> None:
    entries = re.split(r"\n- ", fast_paths.__doc__ or "")[1:]
    assert len(entries) >= 10
    assert all(GUARD.search(entry) for entry in entries)
