"""No import cycle among bot/ modules, counting the imports hidden inside functions: a cycle is a sign that two
modules hold one concern between them (the lifecycle's consequences belong to bot/services/handlers.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()  # a package is its __init__: what it re-exports are its edges
    return ".".join(parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Lines of `if TYPE_CHECKING:` blocks: imports there never run, so they make no cycle."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _edges(path: Path, module: str, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name:
                    found.add(name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in modules:  # `from bot import outbox`: the module itself
                    found.add(target)
                elif base in modules:  # `from bot.services.buyers import ChatConfig`
                    found.add(base)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in (ROOT / "bot").rglob("*.py") if "migrations" not in path.parts}
    modules = set(files)
    return {module: _edges(path, module, modules) for module, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_bot():
    assert cycles(import_graph()) == []


def test_the_graph_sees_imports_inside_functions_and_packages():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    edges = import_graph()
    assert "bot.services.requests" in edges["bot.services.handlers"] or "bot.services.handlers" in edges.get(
        "bot.services.requests", set()
    )
    assert "bot.services.ticker" in edges["bot.bootstrap"]
