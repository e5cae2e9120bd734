"""The shape of the library: no import cycles, no private name of one module used by another,
no import inside a function unless marked as lazy with its reason (docs/architecture.md §2)."""

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


def _function_imports(path: Path):
    """(line, imported modules) of every import statement inside a function, seglab's or not."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in child.names] if isinstance(child, ast.Import) else [child.module or "."]
                if not any(LAZY_MARK in line for line in lines[child.lineno - 1:child.end_lineno]):
                    out.append((child.lineno, names))
            visit(child, inner)

    visit(ast.parse(source), False)
    return out


def test_imports_inside_functions_are_marked_lazy():
    unmarked = [f"{m}:{line} imports {', '.join(names)}" for m, path in _modules().items()
                for line, names in _function_imports(path)]
    assert not unmarked, ("imports inside functions without '# lazy: <reason>' (move them to the top, or say "
                          "why they wait): " + "; ".join(unmarked))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _package(module: str) -> str:
    return module.rsplit(".", 1)[0]


def test_no_private_name_is_imported_from_another_module():
    """A leading underscore means "this module only"; a private module (``_kernel``) is its package's own."""
    modules, edges = _graph()
    private = []
    for m, items in edges.items():
        for t, line, _, _, names in items:
            for n in names:
                if t == m or not _is_private(n):
                    continue
                if t.endswith("." + n) and _package(t) == _package(m):
                    continue  # a private module, imported within its own package
                private.append(f"{m}:{line} imports {n} from {t}")
    assert not private, "private names imported from other modules: " + "; ".join(private)


def _module_aliases(module: str, tree: ast.Module, modules) -> dict[str, str]:
    """Names bound to seglab modules in a module: ``import seglab.x as y``, ``from seglab import x``."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules and a.asname:
                    bound[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                target = _resolve(module, node, a.name, modules)
                if target and target.endswith("." + a.name):
                    bound[a.asname or a.name] = target
    return bound


def test_no_private_attribute_of_another_module_is_used():
    modules = _modules()
    used = []
    for m, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _module_aliases(m, tree, modules)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and _is_private(node.attr) and aliases[node.value.id] != m):
                used.append(f"{m}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not used, "private names of other modules used: " + "; ".join(used)
