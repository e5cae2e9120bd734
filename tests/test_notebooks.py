"""The notebooks as committed: without outputs, thin, parameterised, and hiding no warnings.

Their execution is tested elsewhere (nbval of ``notebooks/``, the smoke run through the stage
notebooks); this reads the files only, so it belongs to the fast tier.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
STAGES = sorted((ROOT / "notebooks").glob("0*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code(path) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")


def test_there_are_stage_workbench_and_case_study_notebooks():
    names = {p.relative_to(ROOT / "notebooks").as_posix() for p in NOTEBOOKS}
    assert {"01_clean.ipynb", "05_report.ipynb", "workbench.ipynb"} <= names
    assert len([n for n in names if n.startswith("case_studies/")]) == 5
    assert not [n for n in names if ".ipynb_checkpoints" in n]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, \
                f"{path.name}: clear the outputs before committing (jupyter nbconvert --clear-output --inplace)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_thin_and_hiding_no_warnings(path):
    code = _code(path)
    # the logic lives in lib/seglab: a notebook calls it, it does not define it
    assert not re.search(r"^\s*(def|class) ", code, re.M), f"{path.name} defines a function or class"
    assert "filterwarnings" not in code and "simplefilter" not in code, f"{path.name} silences warnings"
    imported = set(re.findall(r"^(?:from|import) ([\w.]+)", code, re.M))
    assert imported <= {"json", "pandas", "IPython.display"} | {m for m in imported if m.startswith("seglab")}, imported


@pytest.mark.parametrize("path", STAGES, ids=lambda p: p.name)
def test_stage_notebooks_take_the_run_from_papermill(path):
    tagged = [c for c in _cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: one cell tagged 'parameters' (Papermill injects after it)"
    source = "".join(tagged[0]["source"])
    assert re.search(r"^params_path = ", source, re.M) and re.search(r"^run_dir = None", source, re.M)
