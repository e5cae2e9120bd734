"""The bad-input corpus (tests/data/bad/README.md) at the level of cleaning: each file either
cleans with every row accounted for, or stops with one line naming the file and the problem."""

from pathlib import Path

import pandas as pd
import pytest
from seglab.clean.stage import clean_stage
from seglab.config import load_config
from seglab.errors import SeglabError
from seglab.validation import validate

BAD = Path(__file__).parent / "data" / "bad"


def corpus():
    """Rows of README.md's table: (file, role, overrides, expected)."""
    rows = []
    for line in (BAD / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and cells[0] not in ("file", "---") and not cells[0].startswith("-"):
            name, role, extra, expected, _ = cells
            rows.append(pytest.param(name, role, extra.split() if extra else [], expected, id=f"{name}-{len(rows)}"))
    return rows


# Data rows in the replaced input (blank and malformed lines included): nothing may go missing.
ROWS_IN = {"duplicate_ids_conflict.csv": 13, "single_customer.csv": 1, "fewer_than_k.csv": 2, "blank_lines.csv": 15,
           "tx_bad_lines.csv": 28, "tx_month_first.csv": 30, "tx_quantity_price.csv": 24, "tx_only.csv": 30}


def test_the_corpus_is_big_enough_and_its_files_exist():
    cases = corpus()
    assert len({c.values[0] for c in cases}) >= 25
    for case in cases:
        name = case.values[0]
        assert (BAD / name).exists() or name == "no_such_file.csv", name


@pytest.mark.parametrize("name, role, extra, expected", corpus())
def test_corpus_file(name, role, extra, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")
    overrides = [f"data.{role}={name}", *extra, f"output_dir={tmp_path}"]
    if expected != "ok":
        with pytest.raises(SeglabError) as err:
            _validated_clean(overrides, tmp_path)
        message = str(err.value)
        assert expected in message and "\n" not in message
        assert Path(name).name in message or "good" in message  # names the file it is about
        return
    quality = _validated_clean(overrides, tmp_path)
    parts = [quality, *quality["sources"].values()]
    for part in parts:
        assert part["rows_in"] == part["rows_clean"] + part["duplicates_merged"] + part["rows_quarantined"]
    source = quality["sources"][role]
    assert source["rows_in"] == ROWS_IN.get(name, 12 if role == "customers" else source["rows_in"])
    quarantine = pd.read_csv(tmp_path / "run" / "quarantine.csv", dtype=str)
    id_map = pd.read_csv(tmp_path / "run" / "id_map.csv", dtype=str)
    for src, part in quality["sources"].items():
        assert (quarantine["source"] == src).sum() == part["rows_quarantined"]
        assert (id_map["source"] == src).sum() == part["duplicates_merged"]


def _validated_clean(overrides, tmp_path):
    """What seglab run does before it segments: validate, then clean."""
    cfg = load_config(BAD / "params.yaml", overrides)
    validate(cfg, check_output=False, fitting=False)
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
