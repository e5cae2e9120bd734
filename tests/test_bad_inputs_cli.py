"""Every file of the bad-input corpus through the real command line (tests/data/bad/README.md).

Each either runs to a complete run folder with every row accounted for, or exits 2
with one line naming the problem: never a traceback, never a hang, never exit 1.
"""

import json
from pathlib import Path

import pytest
from conftest import cli, seglab

CORPUS = Path(__file__).parent / "data" / "bad"
# Files that clean fine but cannot be segmented: the run stops at segmentation, as a user error.
RUN_LEVEL_ERRORS = {"single_customer.csv": "should be > k=3 (segmentation.k)",
                    "fewer_than_k.csv": "should be > k=3 (segmentation.k)"}
# A customers-only run has no transaction features to segment on.
EXTRA_SETS = {"leading_zero_ids.csv": ["segmentation.features=[age, income]"]}


# Whole runs in the fast tier: one per kind of outcome (a run, a run-level error, a read error, a column error).
FAST_SAMPLE = {"gbk.csv", "fewer_than_k.csv", "binary_junk.csv", "missing_id_column.csv", "tx_only.csv"}


def corpus_cases():
    rows = []
    for line in (CORPUS / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("file", "") or set(cells[0]) <= {"-"}:
            continue
        # Every file is cleaned in-process by test_bad_inputs.py; a whole run per file is the slow tier's.
        marks = () if cells[0] in FAST_SAMPLE else pytest.mark.slow
        rows.append(pytest.param(*cells[:4], id=f"{cells[0]}-{len(rows)}", marks=marks))
    return rows


CASES = corpus_cases()
# These go through a real child process (the interpreter's own error output, encodings of stderr);
# the rest call the same command line in-process, without seconds of start-up each.
SUBPROCESS_SAMPLE = {"binary_junk.csv", "gbk.csv"}


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name, role, extra, expected", CASES)
def test_bad_input_runs_or_fails_in_one_clear_line(tmp_path, name, role, extra, expected):
    args = ["run", CORPUS / "params.yaml", "--out", tmp_path, "--quiet", "--no-notebooks",
            "--set", f"data.{role}={CORPUS / name}", "--set", "report.pdf=false"]
    for item in extra.split() + EXTRA_SETS.get(name, []):
        key, _, value = item.partition("=")
        if value.startswith("{") and '"path"' in value:  # a file source: its path relative to the corpus
            data = json.loads(value)
            data["path"] = str(CORPUS / data["path"])
            value = json.dumps(data)
        args += ["--set", f"{key}={value}"]
    proc = seglab(*args, timeout=300) if name in SUBPROCESS_SAMPLE else cli(*args)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    expected_error = RUN_LEVEL_ERRORS.get(name) if expected == "ok" else expected
    if expected_error is None:
        assert proc.returncode == 0, proc.stderr[-2000:]
        run_dir = Path(proc.stdout.strip().splitlines()[-1]).parent
        quality = json.loads((run_dir / "quality.json").read_text())
        for part in [quality, *quality["sources"].values()]:
            assert part["rows_in"] == part["rows_clean"] + part["duplicates_merged"] + part["rows_quarantined"]
    else:
        assert proc.returncode == 2, proc.stdout[-500:]
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("seglab: error: "), proc.stderr
        assert expected_error.lower() in lines[0].lower(), lines[0]
        names_it = Path(name).stem in lines[0] or "segmentation." in lines[0]
        assert names_it, f"the message should name the file or the parameter: {lines[0]}"
