"""Run folders: unique under concurrency, atomic, listed newest first."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading

from seglab.pipeline.runs import Run, list_runs, write_index

NOW = dt.datetime(2026, 1, 2, 3, 4, 5)


def test_reserve_gives_unique_folders_for_the_same_second(tmp_path):
    runs = [Run.reserve(tmp_path, "demo", now=NOW) for _ in range(3)]
    names = [r.final_dir.name for r in runs]
    assert names == ["20260102-030405", "20260102-030405-2", "20260102-030405-3"]
    assert all(r.work_dir.is_dir() and r.work_dir.name.startswith(".") for r in runs)


def test_reserve_is_safe_across_threads(tmp_path):
    got, lock = [], threading.Lock()

    def claim():
        r = Run.reserve(tmp_path, "demo", now=NOW)
        with lock:
            got.append(r.final_dir)

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 16


def test_reserve_skips_a_stamp_whose_final_folder_exists(tmp_path):
    (tmp_path / "demo" / "20260102-030405").mkdir(parents=True)
    assert Run.reserve(tmp_path, "demo", now=NOW).final_dir.name == "20260102-030405-2"


def test_finish_moves_into_place_and_records_the_outcome(tmp_path):
    run = Run.reserve(tmp_path, "demo", now=NOW)
    run.start(params={"title": "T"}, seed=1, inputs=[])
    with run.stage("clean"):
        (run.work_dir / "report.html").write_text("x")
    final = run.finish("complete")
    assert final.is_dir() and not run.work_dir.exists()
    m = json.loads((final / "manifest.json").read_text())
    assert m["status"] == "complete" and m["seed"] == 1 and "clean" in m["stages"]
    assert m["versions"]["seglab"] and m["versions"]["pandas"]
    assert "run demo/20260102-030405 complete" in (final / "run.log").read_text()


def test_failed_run_keeps_its_log_and_error_but_no_report(tmp_path):
    run = Run.reserve(tmp_path, "demo", now=NOW)
    run.start(params={}, seed=1, inputs=[])
    (run.work_dir / "report.html").write_text("half")
    final = run.finish("failed", "boom")
    m = json.loads((final / "manifest.json").read_text())
    assert m["status"] == "failed" and m["error"] == "boom"
    assert not (final / "report.html").exists()
    assert [r.status for r in list_runs(tmp_path)] == ["failed"]


def test_killed_run_leaves_only_a_hidden_folder_listed_as_interrupted(tmp_path):
    code = (
        "import sys, time; from pathlib import Path; from seglab.pipeline.runs import Run\n"
        f"r = Run.reserve(Path({str(tmp_path)!r}), 'demo'); r.start(params={{}}, seed=1, inputs=[])\n"
        "print(r.work_dir, flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    work = proc.stdout.readline().strip()
    assert [r.status for r in list_runs(tmp_path)] == []  # alive: not listed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    runs = list_runs(tmp_path)
    assert [r.status for r in runs] == ["interrupted"] and str(runs[0].path) == work
    assert not any(p.name[0] != "." for p in (tmp_path / "demo").iterdir())
    # the next run is unaffected
    assert Run.reserve(tmp_path, "demo").work_dir.is_dir()


def test_index_lists_runs_newest_first_with_links(tmp_path):
    for i, stamp in enumerate((dt.datetime(2026, 1, 1), dt.datetime(2026, 3, 1))):
        run = Run.reserve(tmp_path, "demo", now=stamp)
        run.start(params={"title": f"T{i}"}, seed=1, inputs=[])
        (run.work_dir / "report.html").write_text("r")
        run.manifest["summary"] = {"k": 5, "customers": 100}
        run.finish("complete")
    page = write_index(tmp_path).read_text()
    assert page.index("20260301-000000") < page.index("20260101-000000")
    assert 'href="demo/20260301-000000/report.html"' in page
    assert "http://" not in page and "https://" not in page  # offline


def test_prune_removes_only_interrupted_working_folders(tmp_path):
    from conftest import seglab

    done = Run.reserve(tmp_path, "demo", now=NOW)
    done.start(params={}, seed=1, inputs=[])
    done.finish("complete")
    dead = tmp_path / "demo" / ".20250101-000000.partial"
    dead.mkdir()
    (dead / "manifest.json").write_text(json.dumps({"host": {"pid": 2 ** 22 + 12345}}))
    proc = seglab("runs", "--out", tmp_path, "--prune", 0)
    assert proc.returncode == 0, proc.stderr
    assert not dead.exists() and done.final_dir.exists()
    assert "removed" in proc.stderr
