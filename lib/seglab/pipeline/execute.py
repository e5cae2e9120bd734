"""One run end to end: validate, reserve a folder, execute the stages, finish.

Everything a user can get wrong (params, input files, columns) is checked
before a run folder exists, so a bad params file leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from seglab.artifacts import RunArtifacts
from seglab.compute import cluster
from seglab.config import RunConfig
from seglab.errors import SeglabError
from seglab.io.files import file_sha256
from seglab.pipeline.runs import Run, write_index
from seglab.pipeline.stages import STAGE_FUNCTIONS, STAGES
from seglab.report.render import export_appendix, write_report_from_notebook
from seglab.validation import validate

log = logging.getLogger("seglab")

NOTEBOOKS = {
    "clean": "01_clean.ipynb",
    "features": "02_features.ipynb",
    "segment": "03_segment.ipynb",
    "personas": "04_personas.ipynb",
    "report": "05_report.ipynb",
}

# Exceptions raised inside a notebook kernel that are the user's to fix.
USER_ERRORS = {"SeglabError", "ParamsError", "DataError"}


def notebooks_dir() -> Path:
    """The stage notebooks shipped beside lib/ in the seglab checkout."""
    here = Path(__file__).resolve().parents[3] / "notebooks"
    if not (here / NOTEBOOKS["clean"]).exists():
        raise SeglabError(f"{here}: stage notebooks not found; install seglab from its checkout "
                          "(pip install -e .) or run with --no-notebooks")
    return here


def execute(cfg: RunConfig, *, out: Path | None = None, notebooks: bool = True, progress: bool = True) -> Path:
    """Run every stage into a new run folder and return the folder.

    Parameters
    ----------
    cfg : RunConfig
        Validated params.
    out : Path, optional
        Reports root; default ``cfg.reports_root()``.
    notebooks : bool, default=True
        Execute the stage notebooks with Papermill (the documented path, with
        the technical appendix); False calls the stage functions directly.
    progress : bool, default=True
        Show Papermill's cell progress bar on stderr.
    """
    with contextlib.nullcontext() if progress else _no_progress_bars():
        return _execute(cfg, out=out, notebooks=notebooks, progress=progress)


def _execute(cfg: RunConfig, *, out: Path | None, notebooks: bool, progress: bool) -> Path:

    inputs = validate(cfg, out=out)
    nb_dir = notebooks_dir() if notebooks else None
    root = Path(out) if out else cfg.reports_root()
    cfg = cfg.model_copy(update={"output_dir": root.resolve()})
    run = Run.reserve(root, cfg.run_name)
    params = json.loads(cfg.model_dump_json(exclude={"source_path"}))
    params_path = run.work_dir / "params.yaml"
    params_path.write_text(cfg.to_yaml(), encoding="utf-8")
    run.start(params=params, seed=cfg.seed, inputs=inputs)
    kernel = None
    try:
        # the run's cluster (engine dask) starts before the kernel, which inherits its address
        with cluster.run_cluster(cfg.compute) as dask_client:
            run.manifest["compute"] = cluster.describe(cfg.compute, dask_client)
            if nb_dir is not None:
                kernel = _start_kernel(nb_dir)
            for stage in STAGES:
                with run.stage(stage):
                    if nb_dir is None:
                        STAGE_FUNCTIONS[stage](cfg, run.work_dir)
                    else:
                        _execute_notebook(nb_dir / NOTEBOOKS[stage], run, params_path, progress, kernel)
            if nb_dir is not None:
                _finish_notebook_outputs(cfg, run)
        run.manifest["summary"] = _summary(run.work_dir)
        run.manifest["model"] = _model_record(run.work_dir)
        final = run.finish("complete")
    except SeglabError as exc:
        run.finish("failed", str(exc))
        raise
    except BaseException as exc:
        run.finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if kernel is not None:
            _stop_kernel(kernel)
        try:
            write_index(root)
        except OSError as exc:  # the run itself is done; the index can be rebuilt with `seglab runs`
            log.warning("could not rebuild %s/index.html: %s", root, exc)
    return final


@contextlib.contextmanager
def _no_progress_bars():
    """Silence every tqdm bar (the k search too), here and in notebook kernels started meanwhile."""
    before = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = before


def _start_kernel(cwd: Path):
    """One kernel for all five stage notebooks: a kernel start costs seconds.

    Each notebook sets everything it uses after its parameters cell, so sharing
    the kernel changes no result. The kernel talks over local IPC sockets.
    """
    from jupyter_client.manager import (
        KernelManager,  # lazy: only the notebook path starts a kernel
    )

    sockets = Path(tempfile.mkdtemp(prefix="seglab-k-"))
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "k"))
    km.start_kernel(cwd=str(cwd))
    km.seglab_sockets = sockets
    return km


def _stop_kernel(km) -> None:
    km.shutdown_kernel(now=True)
    shutil.rmtree(km.seglab_sockets, ignore_errors=True)


def _execute_notebook(nb_path: Path, run: Run, params_path: Path, progress: bool, kernel=None) -> None:
    import papermill as pm  # lazy: only the notebook path executes notebooks (start-up time)

    out_dir = run.work_dir / "notebooks"
    out_dir.mkdir(exist_ok=True)
    try:
        pm.execute_notebook(
            str(nb_path), str(out_dir / nb_path.name),
            parameters={"params_path": str(params_path), "run_dir": str(run.work_dir)},
            kernel_name="python3", progress_bar=progress, cwd=str(nb_path.parent),
            stdout_file=None, stderr_file=None, log_output=False, km=kernel,
        )
    except pm.PapermillExecutionError as exc:
        if exc.ename in USER_ERRORS:
            raise SeglabError(exc.evalue) from None
        raise RuntimeError(f"{nb_path.name} failed: {exc.ename}: {exc.evalue}") from None


def _finish_notebook_outputs(cfg: RunConfig, run: Run) -> None:
    """The client report from 05_report, and every stage notebook as the appendix."""

    nb_out = run.work_dir / "notebooks"
    with run.stage("export"):
        write_report_from_notebook(cfg, run.work_dir, nb_out / NOTEBOOKS["report"])
        for name in NOTEBOOKS.values():
            export_appendix(nb_out / name, nb_out / name.replace(".ipynb", ".html"))


def _model_record(run_dir: Path) -> dict | None:
    """The SHA-256 of model.joblib: ``seglab assign`` opens only the file the run saved."""
    path = run_dir / "model.joblib"
    return {"file": path.name, "sha256": file_sha256(path)} if path.exists() else None


def _summary(run_dir: Path) -> dict:
    """The few numbers the runs list shows (every stage has run, so the artifacts are there)."""
    run = RunArtifacts(run_dir)
    return {"k": run.segmentation.k, "method": run.segmentation.method, "customers": run.quality.rows_clean}

