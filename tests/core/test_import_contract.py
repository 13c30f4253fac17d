"""The import contract checker (scripts/check_imports.py) on small package trees it must judge."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripts.check_imports import DEFAULT_PACKAGE, build_graph, check, find_cycles, main


def _tree(root: Path, files: dict[str, str]) -> Path:
    """A package `pkg` under `root`, its files given by path inside it; every folder a package."""
    package = root / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(package).parents:
            (package / folder / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return package


def test_a_cycle_through_a_function_local_import_is_reported(tmp_path: Path) -> None:
    package = _tree(
        tmp_path,
        {
            "a.py": "from . import b\n\nVALUE = 1\n",
            "b.py": "def late() -> int:\n    from .a import VALUE\n\n    return VALUE\n",
        },
    )
    assert find_cycles(build_graph(package)) == [["pkg.a", "pkg.b", "pkg.a"]]
    [problem] = check(package)
    assert problem.startswith("import cycle: pkg.a -> pkg.b -> pkg.a\n"), problem
    assert "pkg/b.py:2 (in late) imports pkg.a" in problem


def test_cycles_through_a_package_init_and_absolute_imports_are_reported(tmp_path: Path) -> None:
    package = _tree(
        tmp_path,
        {
            # The package re-exports from its module, which reads a name from the package.
            "leads/__init__.py": "from .service import add\n\nLIMIT = 3\n",
            "leads/service.py": "from pkg.leads import LIMIT\n\ndef add() -> int: return LIMIT\n",
            # `import pkg.x.y` and `from pkg.x import y` (y a submodule) both import y.
            "x/y.py": "import pkg.z\n",
            "z.py": "class Z:\n    def m(self) -> None:\n        from pkg.x import y\n",
        },
    )
    assert find_cycles(build_graph(package)) == [
        ["pkg.leads", "pkg.leads.service", "pkg.leads"],
        ["pkg.x.y", "pkg.z", "pkg.x.y"],
    ]
    assert "(in Z.m) imports pkg.x.y" in "\n".join(check(package))


def test_a_clean_tree_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = _tree(
        tmp_path,
        {
            "models/__init__.py": "from .lead import Lead\n",
            "models/lead.py": "from . import base\n\nclass Lead(base.Base): ...\n",
            "models/base.py": "class Base: ...\n",
            "leads/service.py": (
                "from __future__ import annotations\n"
                "from typing import TYPE_CHECKING\n"
                "import json\n"
                "from ..models import Lead\n"
                "if TYPE_CHECKING:\n"
                "    from ..worker import Context  # types only: never runs\n"
                "else:\n"
                "    from ..models import lead\n"
                "def add(ctx: Context) -> Lead: ...\n"
            ),
            "worker.py": "from .leads import service\n\nclass Context: ...\n",
            "duties.py": "from . import worker\nfrom .leads.service import add\n",
            "app.py": "from .worker import Context\nfrom .duties import add\n",
            "cli.py": "import pkg.worker\nfrom pkg import app\n",
        },
    )
    assert check(package) == []
    assert main([str(package)]) == 0
    assert "import contract kept" in capsys.readouterr().out


def test_a_domain_importing_the_worker_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = _tree(
        tmp_path,
        {
            "worker.py": "class Context: ...\n",
            "app.py": "from .worker import Context\n",
            "replies/service.py": "def poll() -> None:\n    from ..worker import Context\n",
        },
    )
    assert find_cycles(build_graph(package)) == []
    assert check(package) == [
        "domain imports the worker: pkg.replies.service -> pkg.worker\n"
        "    pkg/replies/service.py:2 (in poll) imports pkg.worker"
    ]
    assert main([str(package)]) == 1
    assert "pkg.replies.service -> pkg.worker" in capsys.readouterr().out


def test_the_real_package_is_read() -> None:
    """The default target is this repository's package, and its modules are all seen."""
    graph = build_graph(DEFAULT_PACKAGE)
    assert {"backlink_outreach", "backlink_outreach.app", "backlink_outreach.worker"} <= set(graph)
    assert any(edge.target == "backlink_outreach.worker" for edge in graph["backlink_outreach.app"])
