"""The import contract of the backlink_outreach package, checked from the source (stdlib only).

1. No cycles between modules. Every `import` and `from ... import` counts, at any depth: a
   function-local import only postpones a cycle, it does not remove it. Imports under
   `if TYPE_CHECKING:` are skipped (they never run).
2. Only the entry points (worker.py itself, app.py, cli.py, duties.py) import
   `backlink_outreach.worker`: domains never import the worker.

What counts as an import of a module: `import a.b.c` imports a.b.c and the packages a and a.b;
`from a.b import c` imports the package a.b (its __init__) and, when c is a submodule, a.b.c.
A package that contains the importing module is already imported when the import runs, so an
implicit edge to it is not recorded; naming it explicitly (`from .. import name`, where name is
not a submodule) is.

Usage: python scripts/check_imports.py [PACKAGE_DIR]   (default: src/backlink_outreach)
Exit status 1, with each problem listed, when the contract is broken.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PACKAGE = Path(__file__).resolve().parent.parent / "src" / "backlink_outreach"
# Module names relative to the package: the only ones that may import WORKER.
WORKER = "worker"
WORKER_IMPORTERS = frozenset({"worker", "app", "cli", "duties"})


@dataclass(frozen=True)
class Edge:
    """`source` imports `target`, at `path`:`line` (inside `function`, when not at top level)."""

    source: str
    target: str
    path: Path
    line: int
    function: str | None

    def describe(self, root: Path) -> str:
        where = f" (in {self.function})" if self.function else ""
        return f"{_shown(self.path, root)}:{self.line}{where} imports {self.target}"


Graph = dict[str, list[Edge]]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def discover_modules(package_dir: Path) -> dict[str, Path]:
    """Every module of the package by dotted name; a package's __init__ is the package's name."""
    package = package_dir.name
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


ImportNode = ast.Import | ast.ImportFrom


def _imports(tree: ast.Module) -> Iterator[tuple[ImportNode, str | None]]:
    """Every import statement with the function it runs in (None: at import time), leaving
    out the bodies of `if TYPE_CHECKING:` (their `else:` still runs)."""

    def visit(
        nodes: Iterable[ast.AST], scope: str, function: str | None
    ) -> Iterator[tuple[ImportNode, str | None]]:
        for node in nodes:
            if isinstance(node, ImportNode):
                yield node, function
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from visit(node.orelse, scope, function)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                # Decorators, defaults and bases run where the definition is.
                head: list[ast.AST] = [*node.decorator_list]
                if isinstance(node, ast.ClassDef):
                    head += [*node.bases, *node.keywords]
                else:
                    head.append(node.args)
                yield from visit(head, scope, function)
                name = f"{scope}.{node.name}" if scope else node.name
                inner = name if function or not isinstance(node, ast.ClassDef) else None
                yield from visit(node.body, name, inner)
            else:
                yield from visit(ast.iter_child_nodes(node), scope, function)

    yield from visit(tree.body, "", None)


def _ancestors(module: str) -> list[str]:
    """a.b.c -> [a, a.b]."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The absolute module a `from ... import` reads from; None when it climbs out of the tree."""
    if node.level == 0:
        return node.module
    parts = module.split(".") if is_package else module.split(".")[:-1]
    up = node.level - 1
    if up > len(parts) - 1:
        return None
    base = parts[: len(parts) - up]
    return ".".join([*base, node.module] if node.module else base)


def _targets(
    module: str, is_package: bool, node: ImportNode, modules: dict[str, Path]
) -> list[str]:
    """The package's modules that this statement imports, in order, without repeats."""
    explicit: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            # `import a.b.c` binds a, and runs a, a.b and a.b.c.
            name = alias.name
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                explicit.append(name)
    else:
        source = _resolve_from(module, is_package, node)
        if source is None:
            return []
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            if submodule in modules:
                explicit.append(submodule)
            elif source in modules:
                explicit.append(source)  # a name from the package's __init__ (or a module)
    # The packages above each target run first; those above the importer already have.
    already = set(_ancestors(module)) | ({module} if is_package else set())
    found: list[str] = []
    for target in explicit:
        for name in [*_ancestors(target), target]:
            implicit = name != target
            if name in modules and name not in found and not (implicit and name in already):
                found.append(name)
    return [name for name in found if name != module]


def build_graph(package_dir: Path) -> Graph:
    """module -> the imports it makes of the package's own modules."""
    modules = discover_modules(package_dir)
    graph: Graph = {name: [] for name in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, function in _imports(tree):
            for target in _targets(module, is_package, node, modules):
                graph[module].append(Edge(module, target, path, node.lineno, function))
    return graph


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components (iterative), each sorted; only those that hold a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(e.target for e in graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(e.target for e in graph[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def _shortest_path(graph: Graph, start: str, goal: str, within: set[str]) -> list[str] | None:
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path: list[str] = []
            step: str | None = node
            while step is not None:
                path.append(step)
                step = previous[step]
            return path[::-1]
        for edge in graph[node]:
            if edge.target in within and edge.target not in previous:
                previous[edge.target] = node
                queue.append(edge.target)
    return None


def find_cycles(graph: Graph) -> list[list[str]]:
    """Import cycles, each as [a, b, ..., a]: for every import inside a cycle, the shortest
    cycle through it, so each offending import shows up in at least one listed cycle."""
    cycles: dict[tuple[str, ...], list[str]] = {}
    for component in _strongly_connected(graph):
        members = set(component)
        for source in component:
            for edge in graph[source]:
                if edge.target not in members:
                    continue
                back = _shortest_path(graph, edge.target, source, members)
                if back is None:
                    continue
                ring = [source, *back[:-1]]
                first = ring.index(min(ring))
                key = tuple(ring[first:] + ring[:first])
                cycles.setdefault(key, [*key, key[0]])
    return sorted(cycles.values(), key=lambda cycle: (len(cycle), cycle))


def _edge(graph: Graph, source: str, target: str) -> Edge:
    return next(edge for edge in graph[source] if edge.target == target)


def worker_imports(graph: Graph, package: str) -> list[Edge]:
    """Imports of the worker from modules that are not allowed to make them."""
    worker = f"{package}.{WORKER}"
    allowed = {f"{package}.{name}" for name in WORKER_IMPORTERS}
    return [
        edge
        for source in sorted(graph)
        if source not in allowed
        for edge in graph[source]
        if edge.target == worker
    ]


def check(package_dir: Path) -> list[str]:
    """Every breach of the contract, readable; empty when the package keeps it."""
    graph = build_graph(package_dir)
    root = package_dir.parent
    problems: list[str] = []
    for cycle in find_cycles(graph):
        lines = [f"import cycle: {' -> '.join(cycle)}"]
        lines += [
            "    " + _edge(graph, a, b).describe(root)
            for a, b in zip(cycle, cycle[1:], strict=False)
        ]
        problems.append("\n".join(lines))
    for edge in worker_imports(graph, package_dir.name):
        problems.append(
            f"domain imports the worker: {edge.source} -> {edge.target}\n    {edge.describe(root)}"
        )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    package_dir = Path(args[0]) if args else DEFAULT_PACKAGE
    problems = check(package_dir)
    if not problems:
        print(f"import contract kept: {package_dir.name}")
        return 0
    print(f"import contract broken in {package_dir.name}: {len(problems)} problem(s)")
    for problem in problems:
        print(problem)
    return 1


if __name__ == "__main__":
    sys.exit(main())
