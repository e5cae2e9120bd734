"""Shared fixtures: the demo run (once per session), seeded RNG, closed figures."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DEMO_PARAMS = ROOT / "params" / "demo.yaml"
SHARED_DATA = ROOT.parent / "shared" / "data"


def seglab(*args, cwd=None, timeout=900) -> subprocess.CompletedProcess:
    """Run the real ``seglab`` command line in a child process."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "seglab.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=timeout)


@pytest.fixture(autouse=True)
def _seeded_and_closed():
    import numpy as np

    np.random.seed(0)
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def reports_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="session")
def demo_run(reports_root) -> Path:
    """The demo run through the documented path (Papermill notebooks), once per session."""
    proc = seglab("run", DEMO_PARAMS, "--out", reports_root, "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = Path(proc.stdout.strip().splitlines()[-1])
    assert report.name == "report.html" and report.exists()
    return report.parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not present at {SHARED_DATA}")
    return SHARED_DATA
