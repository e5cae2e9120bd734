"""The shape of the library: no import cycles, no private names imported across
modules, no import inside a function unless marked as a lazy import for start-up time."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"
PACKAGE = LIB / "seglab"
LAZY_MARK = "# lazy:"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, node: ast.ImportFrom, name: str | None, modules) -> str | None:
    """The seglab module an import statement refers to (a submodule if the name is one)."""
    base = node.module or ""
    if node.level:
        pkg = module.split(".")[: -node.level] if not module.endswith("__init__") else module.split(".")
        base = ".".join(pkg + ([base] if base else []))
    if not base.startswith("seglab"):
        return None
    if name and f"{base}.{name}" in modules:
        return f"{base}.{name}"
    return base if base in modules else None


def _imports(module: str, path: Path, modules):
    """(target module, lineno, in a function, lazy-marked, imported names) per import."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("seglab") and alias.name in modules:
                        out.append((alias.name, child.lineno, in_function, LAZY_MARK in lines[child.lineno - 1], []))
            elif isinstance(child, ast.ImportFrom):
                for alias in child.names:
                    target = _resolve(module, child, alias.name, modules)
                    if target:
                        out.append((target, child.lineno, in_function, LAZY_MARK in lines[child.lineno - 1],
                                    [alias.name]))
            visit(child, inner)

    visit(tree, False)
    return out


def _graph():
    modules = _modules()
    return modules, {m: _imports(m, p, modules) for m, p in modules.items()}


def test_the_import_graph_has_no_cycle():
    modules, edges = _graph()
    graph = {m: sorted({t for t, *_ in edges[m] if t != m}) for m in modules}
    state, stack, cycles = {}, [], []

    def dfs(m):
        state[m] = "open"
        stack.append(m)
        for t in graph[m]:
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                dfs(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_inside_functions_are_marked_lazy():
    _, edges = _graph()
    unmarked = [f"{m}:{line} imports {t}" for m, items in edges.items()
                for t, line, in_function, lazy, _ in items if in_function and not lazy]
    assert not unmarked, "function-level imports of seglab modules: " + "; ".join(unmarked)


def test_no_private_name_is_imported_from_another_module():
    _, edges = _graph()
    private = [f"{m}:{line} imports {n} from {t}" for m, items in edges.items()
               for t, line, _, _, names in items for n in names
               if n.startswith("_") and not n.startswith("__") and t.rsplit(".", 1)[0] != m.rsplit(".", 1)[0]]
    assert not private, "private names used across packages: " + "; ".join(private)
