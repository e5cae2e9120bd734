"""Shared fixtures: the demo run (once per session), seeded RNG, closed figures."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DEMO_PARAMS = ROOT / "params" / "demo.yaml"
# The demo params name these labels relatively: a copy of the params elsewhere names them absolutely.
DEMO_LABELS = ROOT / "data" / "demo" / "value_labels.yaml"
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
