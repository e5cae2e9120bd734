"""Shared fixtures and the two test tiers.

``./scripts/test`` runs everything; ``./scripts/test --fast`` deselects the tests marked
``slow`` (full-size pipeline runs and the notebooks under nbval), ``browser`` and ``cluster``.
Tests are marked here by what they use, so a new test that asks for a full-size run is slow
without anyone remembering to mark it: see :data:`SLOW_FIXTURES`.

Every pipeline run is made once per session and shared: the smoke run (400 customers, through
the notebooks) for the run-folder contract, the demo run (10,000 customers) for what needs the
demo's size, and one run per case study. They are written under the session's reports root,
which is also the default reports root of everything the session starts (``SEGLAB_REPORTS``),
so the notebooks under nbval start from these runs instead of computing them again.
"""

import contextlib
import glob
import io
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DEMO_PARAMS = ROOT / "params" / "demo.yaml"
# The demo params name these labels relatively: a copy of the params elsewhere names them absolutely.
DEMO_LABELS = ROOT / "data" / "demo" / "value_labels.yaml"
SMOKE_PARAMS = ROOT / "params" / "smoke.yaml"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: Fixtures that make or need a full-size pipeline run: a test that uses one is slow.
SLOW_FIXTURES = {"demo_run", "case_runs", "shifted_run"}
#: Fixtures that start a server or a cluster: a test that uses one is marked cluster.
CLUSTER_FIXTURES = {"postgres", "dask_client"}
#: Folders whose files are all slow: the notebooks under nbval compute full-size runs.
SLOW_PATHS = (ROOT / "notebooks",)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.path))
        fixtures = set(getattr(item, "fixturenames", ()))
        if any(path.is_relative_to(p) for p in SLOW_PATHS) or SLOW_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
        if CLUSTER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.cluster)


def pytest_configure(config):
    """Every run this session makes, or a kernel or command it starts, goes to a temporary root."""
    config._seglab_reports_before = os.environ.get("SEGLAB_REPORTS")
    # A folder of its own: the pseudonymisation key is kept beside the reports root (seglab.io.privacy).
    config._seglab_session = Path(tempfile.mkdtemp(prefix="seglab-test-"))
    config._seglab_reports = config._seglab_session / "reports"
    config._seglab_reports.mkdir()
    os.environ["SEGLAB_REPORTS"] = str(config._seglab_reports)


def pytest_unconfigure(config):
    before = getattr(config, "_seglab_reports_before", None)
    if before is None:
        os.environ.pop("SEGLAB_REPORTS", None)
    else:
        os.environ["SEGLAB_REPORTS"] = before
    if hasattr(config, "_seglab_session"):
        shutil.rmtree(config._seglab_session, ignore_errors=True)


def seglab(*args, cwd=None, timeout=900) -> subprocess.CompletedProcess:
    """Run the real ``seglab`` command line in a child process (seconds of start-up each time)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "seglab.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=timeout)


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run ``seglab.cli.main`` in this process, as :func:`seglab` does in a child.

    The same code path from argument parsing to exit code, without the start-up of a new
    interpreter; warnings are ignored as ``seglab`` ignores them with ``PYTHONWARNINGS``.
    """
    from seglab.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return subprocess.CompletedProcess(["seglab", *map(str, args)], code, out.getvalue(), err.getvalue())


def report_of(proc: subprocess.CompletedProcess) -> Path:
    """The run folder whose report.html ``seglab run`` printed last."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = Path(proc.stdout.strip().splitlines()[-1])
    assert report.name == "report.html" and report.exists(), proc.stdout[-500:]
    return report.parent


@pytest.fixture(autouse=True)
def _seeded_and_closed():
    import numpy as np

    np.random.seed(0)
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def reports_root(pytestconfig) -> Path:
    """The session's reports root (``SEGLAB_REPORTS``): shared runs and the notebooks' scratch folders."""
    return pytestconfig._seglab_reports


@pytest.fixture(scope="session")
def smoke_run(reports_root) -> Path:
    """The smoke run through the documented path (``seglab run``, Papermill notebooks), once per session."""
    return report_of(seglab("run", SMOKE_PARAMS, "--out", reports_root, "--quiet"))


@pytest.fixture(scope="session")
def demo_run(reports_root) -> Path:
    """The demo run at its full size, once per session (slow: for what needs 10,000 customers)."""
    return report_of(seglab("run", DEMO_PARAMS, "--out", reports_root, "--quiet", "--no-notebooks"))


@pytest.fixture(scope="session")
def dask_client():
    """A Dask LocalCluster of two worker processes, once per session (tests marked ``cluster``)."""
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not present at {SHARED_DATA}")
    return SHARED_DATA


def _pg_binaries():
    found = shutil.which("initdb") and shutil.which("pg_ctl")
    if found:
        return Path(shutil.which("initdb")).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server on a Unix socket; skipped where no server binary exists."""
    bindir = _pg_binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl); .ci/run installs Debian's postgresql")
    pytest.importorskip("psycopg2")
    run_as = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        run_as = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="seglab-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if run_as:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    quiet = {"capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C"], check=True, **quiet)
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"),
                        "-o", f"-k {sock} -p {port} -c listen_addresses=''", "start"], check=True, **quiet)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr}")
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], **quiet)
        shutil.rmtree(base, ignore_errors=True)
