"""One validation layer (issue 16, point 2; issue 13, findings 6 and 7).

Every user-fixable problem exits 2 with one line naming the file or key and the fix,
before any run folder exists, and ``seglab validate`` finds everything ``seglab run``
would stop on for a params or input reason.
"""

import os
from pathlib import Path

import pytest
from seglab import cli
from seglab.config import load_config
from seglab.validation import suggest_date_format, validate

BAD = Path(__file__).parent / "data" / "bad"
GOOD = Path(__file__).parent / "data" / "good"
PARAMS = BAD / "params.yaml"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")


def call(capsys, *args):
    """Run the command line in-process: (exit code, stderr lines)."""
    code = cli.main([str(a) for a in args])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def one_line_error(code, err, *expected):
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("seglab: error: "), err
    assert "Traceback" not in err[0]
    for text in expected:
        assert text in err[0], err[0]
    return err[0]


def run_and_validate(capsys, tmp_path, *sets, expected=()):
    """validate and run say the same, and the run leaves no folder behind."""
    flags = [x for s in sets for x in ("--set", s)]
    v = one_line_error(*call(capsys, "validate", PARAMS, "--out", tmp_path / "reports", *flags), *expected)
    r = one_line_error(*call(capsys, "run", PARAMS, "--out", tmp_path / "reports", "--no-notebooks", "--quiet",
                             "--set", "report.pdf=false", *flags), *expected)
    assert v == r
    leftovers = [p for p in (tmp_path / "reports").rglob("*")] if (tmp_path / "reports").exists() else []
    assert [p for p in leftovers if p.name != ".lock" and p.name != "index.html"] == [], leftovers
    return v


# ------------------------------------------------------------ finding 6: exit 1 for fixable problems

def test_unknown_encoding_names_the_key(capsys, tmp_path):
    run_and_validate(capsys, tmp_path, "data.encoding=utf-9", expected=("data.encoding", "did you mean 'utf-8'"))
    run_and_validate(capsys, tmp_path, f'data.customers={{"path": "{GOOD / "customers.csv"}", "encoding": "latin9x"}}',
                     expected=("data.customers.encoding", "unknown encoding"))


def test_bad_strftime_directive_stops_before_a_run_folder(capsys, tmp_path):
    run_and_validate(capsys, tmp_path, "cleaning.date_formats.signup_date=%Q-%m",
                     expected=("cleaning.date_formats.signup_date", "'%Q' is not a date directive"))


def test_params_file_that_is_a_fifo_a_folder_or_unreadable(capsys, tmp_path, monkeypatch):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    one_line_error(*call(capsys, "validate", fifo), "not a regular file")
    one_line_error(*call(capsys, "validate", tmp_path), "is a folder")
    readable = tmp_path / "q.yaml"
    readable.write_text(PARAMS.read_text())

    def denied(self, *a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", denied)  # root reads any file: simulate a user without the right
    one_line_error(*call(capsys, "validate", readable), "cannot be read (Permission denied)")


def test_output_folder_that_is_a_file_under_sys_or_read_only(capsys, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    for out, expected in ((tmp_path / "file", "is a file"), (tmp_path / "file" / "sub", "which is a file"),
                          (Path("/sys/seglab-test"), "cannot write run folders here"),
                          (Path("/proc/seglab-test"), "cannot write run folders here")):
        msg = one_line_error(*call(capsys, "run", PARAMS, "--out", out, "--no-notebooks", "--quiet"), expected)
        assert "--out" in msg
    assert not Path("/sys/seglab-test").exists()

    import tempfile

    def read_only(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)  # root writes anywhere: simulate a read-only folder
    one_line_error(*call(capsys, "validate", PARAMS, "--out", tmp_path / "ro"), "(Permission denied)", "--out")
    assert not (tmp_path / "ro").exists()  # validate leaves no folder behind


def test_run_names_starting_with_underscore_are_refused(capsys, tmp_path):
    """Finding 9: such runs ran but never appeared in `seglab runs`, so they could not be pruned."""
    one_line_error(*call(capsys, "validate", PARAMS, "--set", "run_name=_tmp"), "run_name", "must not start with '_'")


# ------------------------------------------------------------ finding 7: validate ok, run fails

def _us_dates(tmp_path) -> Path:
    text = (GOOD / "customers.csv").read_text(encoding="utf-8").splitlines()
    header, rows = text[0], text[1:]
    i = header.split(",").index("signup_date")
    out = [header]
    for row in rows:
        cells = row.split(",")
        y, m, d = cells[i].split("-")
        cells[i] = f"{m}/{int(d) + 12 if int(d) <= 16 else d}/{y}"  # days above 12: month first is certain
        out.append(",".join(cells))
    path = tmp_path / "us.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_a_date_format_that_does_not_match_shows_a_value_and_the_right_format(capsys, tmp_path):
    path = _us_dates(tmp_path)
    msg = run_and_validate(capsys, tmp_path, f"data.customers={path}", "cleaning.date_formats.signup_date=%d/%m/%Y",
                           expected=("cleaning.date_formats.signup_date", "'%d/%m/%Y' cannot read",
                                     "set cleaning.date_formats.signup_date: '%m/%d/%Y'"))
    assert "(e.g. '" in msg


def test_date_format_suggestions():
    import pandas as pd

    assert suggest_date_format(pd.Series(["9/7/11", "3/14/11", "12/30/14"])) == "%m/%d/%y"
    assert suggest_date_format(pd.Series(["2024-01-05", "2023-12-31"])) == "%Y-%m-%d"
    assert suggest_date_format(pd.Series(["05.01.2024", "31.12.2023"])) == "%d.%m.%Y"
    assert "or" in suggest_date_format(pd.Series(["01/02/2024", "03/04/2024"]))  # no value decides
    assert suggest_date_format(pd.Series(["soon", "later"])) is None


def test_a_column_in_the_file_but_not_declared_says_declare_it(capsys, tmp_path):
    run_and_validate(capsys, tmp_path, "columns.categorical=[gender]",
                     "segmentation.features=[age, income, city, recency]",
                     expected=("segmentation.features", "'city'", "declare it under columns.numeric or columns.categorical"))


def test_a_typo_is_blamed_where_it_was_written(capsys, tmp_path):
    msg = run_and_validate(capsys, tmp_path, "columns.numeric=[agee, income]",
                           expected=("'agee' (columns.numeric) not found", "did you mean 'age'"))
    assert "cleaning.ranges" not in msg


def test_as_of_before_all_data_is_blamed_on_as_of(capsys, tmp_path):
    msg = run_and_validate(capsys, tmp_path, "data.as_of=2000-01-01", expected=("data.as_of", "2000-01-01", "before"))
    assert not msg.split("error: ")[1].startswith(str(GOOD))


def test_rule_on_an_unknown_column_is_found_by_validate(capsys, tmp_path):
    run_and_validate(capsys, tmp_path, "segmentation.method=rules",
                     'segmentation.rules=[{name: a, when: "agge > 30"}]',
                     expected=("segmentation.rules[0].when", "unknown column 'agge'", "did you mean 'age'"))


def test_too_few_customers_for_k_is_found_by_validate(capsys, tmp_path):
    run_and_validate(capsys, tmp_path, f"data.customers={BAD / 'single_customer.csv'}",
                     expected=("segmentation.k", "single_customer.csv has 1 customer"))


# ------------------------------------------------------------ finding 5: no data in error lines

def test_an_export_without_a_header_row_is_described_not_printed(capsys, tmp_path):
    rows = (GOOD / "customers.csv").read_text(encoding="utf-8").splitlines()[1:]
    path = tmp_path / "no_header.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    msg = one_line_error(*call(capsys, "validate", PARAMS, "--set", f"data.customers={path}"),
                         "looks like data, not column names")
    first = rows[0].split(",")
    for value in first[1:4]:  # name, e-mail, phone of the first customer
        assert value not in msg


def test_validate_ok_means_the_inputs_pass_every_check_of_the_run(tmp_path):
    cfg = load_config(PARAMS, [f"output_dir={tmp_path / 'reports'}"])
    inputs = validate(cfg)
    assert [i["role"] for i in inputs] == ["customers", "transactions"]
    assert all(i["rows"] > 0 and len(i["sha256"]) == 64 for i in inputs)
