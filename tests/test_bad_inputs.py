"""The bad-input corpus (tests/data/bad/README.md) in-process: validate, then clean, as
``seglab run`` does. Each case either cleans with every row accounted for, or stops with
one line naming the file or the params key and the problem."""

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from seglab.clean.stage import clean_stage
from seglab.config import load_config
from seglab.errors import SeglabError
from seglab.io.privacy import personal_kind
from seglab.validation import validate

BAD = Path(__file__).parent / "data" / "bad"
NO_FILE = "-"  # a params mistake on the good data: no input replaced
PARAMS_KEY = re.compile(r"\b(run_name|language|seed|unknown key|(data|columns|cleaning|segmentation|features|personas|"
                        r"privacy|report)\.[\w.\[\]]+)")


def corpus():
    """Rows of README.md's table: (file, role, overrides, expected)."""
    rows = []
    for line in (BAD / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and cells[0] != "file" and not cells[0].startswith("---"):
            name, role, extra, expected, _ = cells
            rows.append(pytest.param(name, role, extra.split() if extra else [], expected, id=f"{name}-{len(rows)}"))
    return rows


def overrides_for(name, role, extra):
    """The --set list a case stands for (corpus paths are relative to the corpus folder)."""
    return ([] if name == NO_FILE else [f"data.{role}={name}"]) + list(extra)


# Data rows in the replaced input where it is not the corpus' usual 12 customers (blank and
# malformed lines count): nothing may go missing. Transaction files are counted with csv below.
ROWS_IN = {"duplicate_ids_conflict.csv": 13, "single_customer.csv": 1, "fewer_than_k.csv": 2, "blank_lines.csv": 15,
           "exact_copies.csv": 24, "same_email_two_ids.csv": 13}


def expected_rows(name, role) -> int:
    if name in ROWS_IN:
        return ROWS_IN[name]
    if role == "customers":
        return 12
    with open(BAD / name, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_the_corpus_is_big_enough_and_its_files_exist():
    cases = corpus()
    assert len(cases) >= 100
    ok = sum(c.values[3] == "ok" for c in cases)
    assert ok >= 30 and len(cases) - ok >= 30  # both outcomes well covered
    counts = re.search(r"\*\*(\d+) cases: (\d+) clean runs, (\d+) clear errors\*\*",
                       (BAD / "README.md").read_text(encoding="utf-8"))
    assert counts and tuple(map(int, counts.groups())) == (len(cases), ok, len(cases) - ok)
    for case in cases:
        name = case.values[0]
        assert name == NO_FILE or (BAD / name).exists() or name == "no_such_file.csv", name


@pytest.mark.parametrize("name, role, extra, expected", corpus())
def test_corpus_case(name, role, extra, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")
    overrides = [*overrides_for(name, role, extra), f"output_dir={tmp_path}"]
    if expected != "ok":
        with pytest.raises(SeglabError) as err:
            _validated_clean(overrides, tmp_path)
        message = str(err.value)
        assert expected in message and "\n" not in message, message
        names_it = (name != NO_FILE and Path(name).name in message) or "good" in message or PARAMS_KEY.search(message)
        assert names_it, f"the message should name the file or the params key: {message}"
        assert not (tmp_path / "run").exists()  # nothing written
        return
    quality = _validated_clean(overrides, tmp_path)
    parts = [quality, *quality["sources"].values()]
    for part in parts:
        assert part["rows_in"] == part["rows_clean"] + part["duplicates_merged"] + part["rows_quarantined"]
    if name != NO_FILE:
        assert quality["sources"].get(role, quality)["rows_in"] == expected_rows(name, role)
    quarantine = pd.read_csv(tmp_path / "run" / "quarantine.csv", dtype=str)
    id_map = pd.read_csv(tmp_path / "run" / "id_map.csv", dtype=str)
    for src, part in quality["sources"].items():
        assert (quarantine["source"] == src).sum() == part["rows_quarantined"]
        assert (id_map["source"] == src).sum() == part["duplicates_merged"]
    if any(x in " ".join(extra) for x in ("privacy.undeclared=hash", "pseudonymise_ids=true", "pii=[customer_id")):
        _assert_no_personal_value_from(BAD / name, tmp_path / "run")


def _assert_no_personal_value_from(source: Path, run_dir: Path) -> None:
    """Every value of the input that looks personal is absent from every file of the run."""
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    personal = {v.strip() for col in raw.columns for v in raw[col] if personal_kind(v)}
    assert personal, f"{source.name} holds no personal-looking value to look for"
    for path in run_dir.iterdir():
        text = pd.read_parquet(path).to_csv() if path.suffix == ".parquet" else path.read_text("utf-8", "ignore")
        leaked = sorted(v for v in personal if v in text)
        assert not leaked, f"{path.name} holds {leaked[:3]}"


def _validated_clean(overrides, tmp_path):
    """What seglab run does before it segments: validate, then clean."""
    cfg = load_config(BAD / "params.yaml", overrides)
    validate(cfg, check_output=False)  # --out is checked by the CLI sample and tests/test_validation.py
    return clean_stage(cfg, tmp_path / "run")


def _clean(name, role="customers", *extra, tmp_path):
    overrides = [f"data.{role}={name}", *extra, f"output_dir={tmp_path}"]
    quality = _validated_clean(overrides, tmp_path)
    return quality, pd.read_parquet(tmp_path / "run" / "customers_clean.parquet")


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")
    monkeypatch.chdir(BAD)  # overrides name corpus files as a user would: relative to where they stand


def test_leading_zeros_survive(tmp_path):
    _, table = _clean("leading_zero_ids.csv", "customers", "data.transactions=null",
                      "segmentation.features=[age,income]", tmp_path=tmp_path)
    assert table["customer_id"].tolist()[:3] == ["0001", "0002", "0003"]


def test_ragged_and_blank_lines_are_quarantined_by_row_number(tmp_path):
    quality, _ = _clean("ragged_rows.csv", tmp_path=tmp_path)
    quarantine = pd.read_csv(tmp_path / "run" / "quarantine.csv", dtype=str)
    customers = quarantine[quarantine["source"] == "customers"]
    assert customers[["source_row", "rule"]].values.tolist() == [["3", "malformed_line"], ["7", "malformed_line"]]
    assert quality["rows_quarantined"] == 2


def test_conflicting_duplicate_ids_keep_the_most_complete_record(tmp_path):
    quality, table = _clean("duplicate_ids_conflict.csv", tmp_path=tmp_path)
    assert table["customer_id"].is_unique and quality["merged_by_rule"] == {"duplicate_id": 1}
    raw = pd.read_csv(BAD / "duplicate_ids_conflict.csv", dtype=str)
    assert table.loc[table["customer_id"] == "C001", "income"].iloc[0] == float(raw["income"][0])


def test_encodings_and_formats_give_the_same_table(tmp_path):
    _, reference = _clean("semicolon.csv", tmp_path=tmp_path / "a")
    for name in ("tab_in_csv.csv", "gbk.csv", "utf8_bom.csv", "utf16_unicode_text.txt", "crlf_no_final_newline.csv",
                 "title_block.csv", "title_block.xlsx", "excel_saved_as_csv.csv"):
        _, table = _clean(name, tmp_path=tmp_path / name)
        pd.testing.assert_frame_equal(table, reference, obj=name)


def test_huge_values(tmp_path):
    quality, table = _clean("huge_value.csv", tmp_path=tmp_path)
    # 1e400 overflows: not a number; 1e30 is a number no income can be: both unusable, imputed
    assert table["income"][1] < 1e3 and table["income"][0] < 1e3
    assert quality["invalid"] == {"income": 2} and quality["by_rule"]["absurd_magnitude"] == 1
