"""CSV and Excel outputs: no cell from data becomes a formula (OWASP CSV injection), and
seglab reads its own files back unchanged."""

import csv
import zipfile

import openpyxl
import pandas as pd
import pytest
from seglab.io import outputs

PAYLOADS = ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "'=already quoted", "''+twice"]
HARMLESS = ["alice", "-5", "+86", "3.5", "-1.5e3", "", "'plain", "a=b", "中文"]


def test_every_trigger_gets_an_apostrophe_and_nothing_else_does():
    for value in PAYLOADS:
        assert outputs.neutralise(value) == "'" + value
    for value in HARMLESS:
        assert outputs.neutralise(value) == value


def test_neutralise_and_restore_are_inverse():
    for value in PAYLOADS + HARMLESS:
        assert outputs.restore(outputs.neutralise(value)) == value


def _frame():
    return pd.DataFrame({
        "customer_id": pd.array(PAYLOADS + HARMLESS[:2], dtype="str"),
        "segment_name": pd.Series(["=1+2"] * len(PAYLOADS) + ["ok", None], dtype=object),
        "amount": [-1.5] * (len(PAYLOADS) + 2),
        "count": range(len(PAYLOADS) + 2),
    })


def test_csv_cells_that_a_spreadsheet_would_execute_start_with_an_apostrophe(tmp_path):
    path = outputs.write_csv(_frame(), tmp_path / "a.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [cell for row in rows[1:] for cell in row[:2]]
    for cell in cells:
        assert not cell or cell[0] not in "=+-@\t\r" or cell in ("-5",), cell
    # numbers are untouched: negative amounts stay numbers
    assert {row[2] for row in rows[1:]} == {"-1.5"}


def test_csv_round_trip_gives_the_values_back(tmp_path):
    frame = _frame()
    outputs.write_csv(frame, tmp_path / "a.csv")
    back = outputs.read_csv(tmp_path / "a.csv", dtype={"customer_id": str, "segment_name": str})
    assert back["customer_id"].tolist() == frame["customer_id"].tolist()
    assert back["segment_name"].tolist()[:-1] == frame["segment_name"].tolist()[:-1]
    assert back["amount"].tolist() == frame["amount"].tolist()


def test_a_header_from_data_is_neutralised_too(tmp_path):
    outputs.write_csv(pd.DataFrame({"=cmd": ["x"]}), tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text(encoding="utf-8").startswith("'=cmd")
    assert list(outputs.read_csv(tmp_path / "h.csv").columns) == ["=cmd"]


def test_xlsx_has_no_formula_cell_and_keeps_the_text(tmp_path):
    frame = _frame()
    path = outputs.write_workbook(tmp_path / "w.xlsx", {"assignments": frame, "other": frame.head(2)})
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    book = openpyxl.load_workbook(path)
    sheet = book["assignments"]
    ids = [row[0].value for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed; the text is otherwise intact
    assert ids == [v.replace("\r", "\n") for v in frame["customer_id"]]
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type in ("s", "inlineStr")
        if outputs.is_dangerous(row[0].value):
            assert row[0].quotePrefix
        assert isinstance(row[2].value, float)  # numbers stay numbers


@pytest.mark.parametrize("value", PAYLOADS)
def test_pandas_alone_would_have_written_a_formula(tmp_path, value):
    """The regression this module exists for: openpyxl stores '=...' as a formula cell."""
    pd.DataFrame({"x": [value]}).to_excel(tmp_path / "raw.xlsx", index=False)
    raw = openpyxl.load_workbook(tmp_path / "raw.xlsx")["Sheet1"]["A2"]
    outputs.write_workbook(tmp_path / "safe.xlsx", {"s": pd.DataFrame({"x": [value]})})
    safe = openpyxl.load_workbook(tmp_path / "safe.xlsx")["s"]["A2"]
    assert safe.data_type == "s" and safe.value == value.replace("\r", "\n")
    if value.startswith("="):
        assert raw.data_type == "f"
