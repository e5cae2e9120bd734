"""The project's set-up stays true: dependencies in step, layout as documented."""

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
# conda-forge names for pip packages whose names differ
CONDA_NAMES = {"psycopg2-binary": "psycopg2", "jupyter-client": "jupyter_client", "duckdb": "python-duckdb"}
# Declared for what they do at run time, though lib/ never imports them.
RUNTIME_ONLY = {
    "ipykernel": "the kernel Papermill executes the stage notebooks in",
    "jupyterlab": "where analysts open the notebooks (README)",
}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(s) for s in dep["pip"] if not s.startswith("-e")}
        else:
            conda.add(_name(dep))
    have = conda | pip
    missing = {w for w in wanted if CONDA_NAMES.get(w, w) not in have}
    extra = (have - {"python", "pip"}) - {CONDA_NAMES.get(w, w) for w in wanted}
    assert not missing, f"in pyproject.toml but not environment.yml: {sorted(missing)}"
    assert not extra, f"in environment.yml but not pyproject.toml: {sorted(extra)}"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports() -> dict[str, str]:
    """Top-level module -> first file importing it, for every non-stdlib import in lib/."""
    found = {}
    for path in sorted((ROOT / "lib" / "seglab").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "seglab":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_declared_dependency():
    declared = {_canonical(_name(s)) for s in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                ["dependencies"]}
    distributions = metadata.packages_distributions()
    imported, undeclared = set(), []
    for module, where in _third_party_imports().items():
        dists = {_canonical(d) for d in distributions.get(module, [])}
        assert dists, f"{where} imports {module}, which no installed distribution provides"
        imported |= dists
        if not dists & declared:
            undeclared.append(f"{module} ({'/'.join(sorted(dists))}, imported by {where})")
    assert not undeclared, "imported by lib/ but not in pyproject.toml's dependencies: " + "; ".join(undeclared)
    unused = declared - imported - set(RUNTIME_ONLY)
    assert not unused, f"declared but never imported by lib/ (drop them, or say why in RUNTIME_ONLY): {sorted(unused)}"


def test_required_top_level_layout_exists():
    for name in ("notebooks", "lib", "reports", "data", "params", "tests", "environment.yml", "benchmarks"):
        assert (ROOT / name).exists(), name


def test_gitignore_keeps_sources_and_demo_data_tracked():
    text = (ROOT / ".gitignore").read_text()
    assert not re.search(r"^/?lib/?$", text, re.M)
    assert not re.search(r"^/?data/?$", text, re.M)
    assert re.search(r"^reports/\*$", text, re.M)


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in ROOT.glob("notebooks/**/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path
        tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path}: needs exactly one cell tagged 'parameters'"


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./scripts/test" in readme and "./scripts/test" in ci
    assert "./scripts/demo" in readme
