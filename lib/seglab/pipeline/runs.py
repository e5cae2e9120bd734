"""Run folders: reserve, fill atomically, record the manifest, list and index.

A run writes into a hidden working folder and renames it into place at the
end, so a folder that exists under its final name has finished (docs/architecture.md §1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from seglab import __version__
from seglab.artifacts import write_artifact
from seglab.io.files import locked, tree_sha256, write_text
from seglab.report.style import stylesheet
from seglab.report.templating import Markup, render

MANIFEST = "manifest.json"
WORK_SUFFIX = ".partial"
KEY_PACKAGES = ("pandas", "numpy", "scipy", "scikit-learn", "kmodes", "papermill", "nbconvert",
                "seaborn", "matplotlib", "pyarrow", "pydantic", "duckdb", "dask", "distributed")

log = logging.getLogger("seglab")


#: The files of seglab's source that decide what a run computes and says.
SOURCE_SUFFIXES = (".py", ".json", ".j2", ".css", ".html")


def library_fingerprint() -> str:
    """A short hash of seglab's own source files: two checkouts of one version differ there."""
    return tree_sha256(Path(__file__).resolve().parents[1], SOURCE_SUFFIXES)[:16]


def package_versions() -> dict[str, str]:
    """Versions of seglab (and a hash of its source), Python and the packages that decide a run's numbers."""
    out = {"seglab": __version__, "seglab_source": library_fingerprint(), "python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@dataclass
class Run:
    """One run in progress: its working folder, final folder and manifest."""

    run_name: str
    root: Path                 # reports root
    final_dir: Path
    work_dir: Path
    manifest: dict = field(default_factory=dict)
    _log_handlers: list[logging.Handler] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return f"{self.run_name}/{self.final_dir.name}"

    # -------------------------------------------------------------- lifecycle
    @classmethod
    def reserve(cls, root: Path, run_name: str, now: dt.datetime | None = None) -> "Run":
        """Claim a unique stamp folder under ``root/run_name`` (safe against concurrent runs).

        The claim is the atomic ``mkdir`` of the hidden working folder; a stamp is
        taken only when neither its working folder nor its final folder exists.
        """
        parent = Path(root) / run_name
        parent.mkdir(parents=True, exist_ok=True)
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        for n in range(1, 10_000):
            name = stamp if n == 1 else f"{stamp}-{n}"
            work = parent / f".{name}{WORK_SUFFIX}"
            try:
                work.mkdir()
            except FileExistsError:
                continue
            final = parent / name
            if final.exists():
                work.rmdir()
                continue
            return cls(run_name=run_name, root=Path(root), final_dir=final, work_dir=work)
        raise RuntimeError(f"could not reserve a run folder under {parent}")

    def start(self, params: dict, seed: int, inputs: list[dict]) -> None:
        """Write the first manifest (status running) and open run.log."""
        self.manifest = {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "status": "running",
            "error": None,
            "started": _now(),
            "finished": None,
            "seconds": None,
            "seed": seed,
            "params": params,
            "inputs": inputs,
            "versions": package_versions(),
            "host": {"platform": platform.platform(), "pid": os.getpid()},
            "stages": {},
        }
        self._t0 = time.perf_counter()
        self.save_manifest()
        handler = logging.FileHandler(self.work_dir / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self._log_handlers = [handler, _WarningsToManifest(self.manifest)]
        for h in self._log_handlers:
            log.addHandler(h)
        log.setLevel(logging.INFO)
        log.info("run %s started (seglab %s, pid %s)", self.run_id, __version__, os.getpid())

    @contextlib.contextmanager
    def stage(self, name: str):
        """Time one stage and record it in the manifest."""
        t = time.perf_counter()
        log.info("stage %s started", name)
        try:
            yield
        finally:
            secs = round(time.perf_counter() - t, 3)
            self.manifest["stages"][name] = secs
            self.save_manifest()
            log.info("stage %s finished in %.2f s", name, secs)

    def save_manifest(self) -> None:
        write_artifact(self.work_dir, MANIFEST, self.manifest)

    def finish(self, status: str = "complete", error: str | None = None) -> Path:
        """Record the outcome and move the working folder into place.

        A failed run is moved too (so its log and error can be read) but its
        manifest says ``failed`` and it holds no report.
        """
        self.manifest["status"] = status
        self.manifest["error"] = error
        self.manifest["finished"] = _now()
        self.manifest["seconds"] = round(time.perf_counter() - getattr(self, "_t0", time.perf_counter()), 3)
        if status != "complete":
            for name in ("report.html", "report.pdf"):
                (self.work_dir / name).unlink(missing_ok=True)
            log.error("run %s failed: %s", self.run_id, error)
        else:
            log.info("run %s complete in %.1f s", self.run_id, self.manifest["seconds"])
        self.save_manifest()
        for h in self._log_handlers:
            log.removeHandler(h)
            h.close()
        self._log_handlers = []
        os.replace(self.work_dir, self.final_dir)
        return self.final_dir


class _WarningsToManifest(logging.Handler):
    """Every warning logged during a run also goes into its manifest (``warnings``): what the
    run could not do as asked is on record where scheduled runs are checked, not only in run.log."""

    def __init__(self, manifest: dict):
        super().__init__(logging.WARNING)
        self.manifest = manifest

    def emit(self, record: logging.LogRecord) -> None:
        self.manifest.setdefault("warnings", []).append(record.getMessage())


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# ------------------------------------------------------------------ listing

@dataclass
class RunInfo:
    """What the index shows of one run folder."""

    path: Path
    run_name: str
    stamp: str
    status: str
    title: str = ""
    started: str = ""
    seconds: float | None = None
    k: int | None = None
    customers: int | None = None
    error: str | None = None

    @property
    def has_report(self) -> bool:
        return (self.path / "report.html").is_file()


def list_runs(root: Path, run_name: str | None = None) -> list[RunInfo]:
    """Every run folder under ``root``, newest first; interrupted ones show as such."""
    root = Path(root)
    runs: list[RunInfo] = []
    if not root.is_dir():
        return runs
    for name_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if run_name and name_dir.name != run_name:
            continue
        for run_dir in name_dir.iterdir():
            if not run_dir.is_dir():
                continue
            if run_dir.name.startswith("."):
                if run_dir.name.endswith(WORK_SUFFIX) and not _is_alive(run_dir):
                    runs.append(RunInfo(run_dir, name_dir.name, run_dir.name[1:-len(WORK_SUFFIX)], "interrupted"))
                continue
            runs.append(_read_info(run_dir, name_dir.name))
    runs.sort(key=lambda r: (r.stamp, r.run_name), reverse=True)
    return runs


def _is_alive(work_dir: Path) -> bool:
    """True when the process that owns a working folder still runs."""
    try:
        pid = json.loads((work_dir / MANIFEST).read_text())["host"]["pid"]
        os.kill(pid, 0)
        return True
    except (OSError, KeyError, ValueError, TypeError):
        return False


def _read_info(run_dir: Path, run_name: str) -> RunInfo:
    info = RunInfo(run_dir, run_name, run_dir.name, "unknown")
    try:
        m = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return info
    info.status = m.get("status", "unknown")
    info.error = m.get("error")
    info.started = m.get("started") or ""
    info.seconds = m.get("seconds")
    info.title = (m.get("params") or {}).get("title", "")
    summary = m.get("summary") or {}
    info.k = summary.get("k")
    info.customers = summary.get("customers")
    return info


def remove_stale(root: Path, older_than_hours: float = 24) -> list[Path]:
    """Delete working folders of runs that died (no live process) long ago."""
    removed = []
    cutoff = time.time() - older_than_hours * 3600
    for info in list_runs(root):
        if info.status == "interrupted" and info.path.stat().st_mtime < cutoff:
            shutil.rmtree(info.path, ignore_errors=True)
            removed.append(info.path)
    return removed


# ------------------------------------------------------------ runs index

def write_index(root: Path) -> Path:
    """reports/index.html: every run, newest first, with links (rebuilt under a lock)."""
    root = Path(root)
    with locked(root):
        runs = []
        for r in list_runs(root):
            rel = r.path.relative_to(root).as_posix()
            links = [("report", f"{rel}/report.html")] if r.has_report and r.status == "complete" else []
            links += [(p.stem, f"{rel}/{p.name}") for p in sorted(r.path.glob("compare*.html"))]
            runs.append({"run_name": r.run_name, "stamp": r.stamp, "title": r.title, "status": r.status,
                         "k": "" if r.k is None else r.k, "customers": "" if r.customers is None else r.customers,
                         "links": links, "error": r.error or ""})
        page = render("runs_index.html.j2", runs=runs, css=Markup(stylesheet("runs_index.css")))
        out = root / "index.html"
        write_text(out, page)
    return out
