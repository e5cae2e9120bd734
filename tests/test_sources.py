"""Reading inputs: encodings, delimiters, Excel title blocks, Parquet, SQL (SQLite and a real
PostgreSQL server), identifier types, column checks, and the real sample files."""

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from seglab.config import config_from_dict
from seglab.errors import DataError
from seglab.io.sources import detect_encoding, read_source, sniff_delimiter
from seglab.validation import check_inputs

TABLE = "customer_id,name,city\n0001,王伟,上海\n0002,Zoë,Zürich\n"


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def cfg_for(tmp_path, customers, **columns):
    raw = {"run_name": "t", "data": {"customers": customers},
           "columns": {"customer_id": "customer_id", "pii": ["name"], "categorical": ["city"], **columns}}
    return config_from_dict(raw, base_dir=tmp_path)


# ---------------------------------------------------------------- encodings and delimiters

@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("utf-16", "utf-16"),
])
def test_encodings_are_detected(tmp_path, encoding, expected):
    text = TABLE.replace("Zoë", "Zoe").replace("Zürich", "Zurich") if encoding == "gb18030" else TABLE
    path = write(tmp_path, "c.csv", text.encode(encoding))
    table, info = read_source(path, role="customers")
    assert info["encoding"] == expected
    assert table["customer_id"].tolist() == ["0001", "0002"] and table["name"][0] == "王伟"


def test_western_exports_are_not_mistaken_for_chinese(tmp_path):
    path = write(tmp_path, "c.csv", "id,name\n1,José Núñez\n2,François\n3,1.234,50 €\n".encode("cp1252"))
    assert read_source(path, role="customers")[1]["encoding"] == "cp1252"


def test_classic_mac_exports_read_as_mac_roman(tmp_path):
    """Issue 13: superstore_orders.csv (Mac Roman, CR line ends) was read as cp1252: "Franzšsisch"."""
    text = "id,name,city\r1,Neil Französisch,Zürich\r2,Anna Häberlin,Köln\r3,Bob Bühler,Genève\r"
    table, info = read_source(write(tmp_path, "mac.csv", text.encode("mac_roman")), role="customers")
    assert info["encoding"] == "mac_roman" and table["name"].tolist()[0] == "Neil Französisch"
    # the same words in Windows-1252 are still read as Windows-1252, whatever the line ends
    for ends in ("\r", "\n", "\r\n"):
        path = write(tmp_path, "win.csv", text.replace("\r", ends).encode("cp1252"))
        table, info = read_source(path, role="customers")
        assert info["encoding"] == "cp1252" and table["city"].tolist() == ["Zürich", "Köln", "Genève"]


def test_real_superstore_file_is_mac_roman(shared_data):
    table, info = read_source(shared_data / "superstore_orders.csv", role="transactions")
    assert info["encoding"] == "mac_roman" and info["rows"] == 5009
    names = set(table["customer"])
    assert {"Neil Französisch", "Anthony Häberlin"} & names or any("ö" in n for n in names)
    assert not any(ch in "".join(names) for ch in "šŠŸ")


def test_encoding_override(tmp_path):
    path = write(tmp_path, "c.csv", TABLE.encode("utf-8"))
    table, info = read_source(path, role="customers", encoding="latin-1")
    assert info["encoding"] == "iso8859-1" and table["name"][0] != "王伟"
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        read_source(path, role="customers", encoding="klingon")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_whatever_the_suffix(tmp_path, delimiter):
    path = write(tmp_path, "c.csv", TABLE.replace(",", delimiter).encode())
    table, info = read_source(path, role="customers")
    assert info["delimiter"] == delimiter and list(table.columns) == ["customer_id", "name", "city"]


def test_quoted_delimiters_do_not_fool_the_sniffer():
    assert sniff_delimiter('a;b;c\n"x, y";2;3\n"p, q, r";5;6\n') == ";"


def test_binary_and_mixed_encodings_are_refused():
    with pytest.raises(DataError, match="binary content"):
        detect_encoding(bytes(range(256)) * 4, "junk.csv")
    mixed = "id,name\n1,王伟\n2,李娜\n".encode() + "3,张敏\n".encode("gbk")
    with pytest.raises(DataError, match=r"junk.csv: mixes encodings \(line 4"):
        detect_encoding(mixed, "junk.csv")


def test_rows_too_long_are_reported_with_their_row_numbers(tmp_path):
    path = write(tmp_path, "c.csv", b"a,b\n1,2\n3,4,5\n\n6,7\n8\n")
    table, info = read_source(path, role="customers")
    assert info["rows"] == 5 and [r for r, _ in info["malformed"]] == [2]
    assert info["row_numbers"].tolist() == [1, 3, 4, 5]
    assert table["a"].tolist() == ["1", "", "6", "8"] and table["b"].tolist() == ["2", "", "7", ""]


def test_a_title_block_above_a_csv_header(tmp_path):
    path = write(tmp_path, "c.csv", b"Export of 2024-06-30\n\n" + TABLE.encode())
    table, info = read_source(path, role="customers")
    assert info["header_row"] == 2 and table["customer_id"].tolist() == ["0001", "0002"]


# ---------------------------------------------------------------- Excel, Parquet

def make_xlsx(path, title=True):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    if title:
        ws.append(["Customer list"])
        ws.append([])
    ws.append(["customer_id", "name", "city", "since", "spend"])
    ws.append([1, "王伟", "上海", pd.Timestamp("2024-01-05").to_pydatetime(), 12.5])
    ws.append([2.0, "Zoë", "Zürich", pd.Timestamp("2024-02-01 10:30").to_pydatetime(), 3])
    wb.create_sheet("Other").append(["x"])
    wb.save(path)
    return path


def test_excel_sheet_with_a_title_block(tmp_path):
    path = make_xlsx(tmp_path / "c.xlsx")
    table, info = read_source(path, role="customers", id_columns=["customer_id"])
    assert info["header_row"] == 2 and info["sheet"] == "Data"
    assert table.to_dict("list") == {"customer_id": ["1", "2"], "name": ["王伟", "Zoë"], "city": ["上海", "Zürich"],
                                     "since": ["2024-01-05", "2024-02-01 10:30:00"], "spend": ["12.5", "3"]}


def test_excel_sheet_by_name_or_index_and_explicit_header_row(tmp_path):
    path = make_xlsx(tmp_path / "c.xlsx")
    table, _ = read_source({"path": path, "sheet": "Other", "header_row": 0}, role="customers")
    assert list(table.columns) == ["x"] and len(table) == 0
    table, _ = read_source({"path": path, "sheet": 0, "header_row": 2}, role="customers")
    assert len(table) == 2
    with pytest.raises(DataError, match="sheet 'Dta' not found; did you mean 'Data'"):
        read_source({"path": path, "sheet": "Dta"}, role="customers")
    with pytest.raises(DataError, match="sheet index 5 does not exist"):
        read_source({"path": path, "sheet": 5}, role="customers")


def test_parquet_numbers_become_text_and_ids_integers(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame({"customer_id": [17850.0, 13047.0], "spend": [1.5, 2.0],
                  "day": pd.to_datetime(["2024-01-05", "2024-01-06"])}).to_parquet(path)
    table, info = read_source(path, role="customers", id_columns=["customer_id"])
    assert info["format"] == "parquet"
    assert table.to_dict("list") == {"customer_id": ["17850", "13047"], "spend": ["1.5", "2"],
                                     "day": ["2024-01-05", "2024-01-06"]}
    typed, _ = read_source(path, role="customers", id_columns=["customer_id"], as_text=False)
    assert typed["spend"].dtype == float and typed["customer_id"].tolist() == ["17850", "13047"]


# ---------------------------------------------------------------- SQL

def test_sqlite_query(tmp_path):
    import sqlite3

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        con.execute("create table customers (customer_id text, name text, city text)")
        con.executemany("insert into customers values (?, ?, ?)", [("0001", "王伟", "上海"), ("0002", "Zoë", None)])
    table, info = read_source({"sql": "select * from customers order by customer_id", "url": f"sqlite:///{db}"},
                              role="customers")
    assert info["format"] == "sql" and table["customer_id"].tolist() == ["0001", "0002"]
    assert pd.isna(table["city"][1])
    with pytest.raises(DataError, match="the query failed"):
        read_source({"sql": "select * from nowhere", "url": f"sqlite:///{db}"}, role="customers")
    with pytest.raises(DataError, match="database file .* not found"):
        read_source({"sql": "select 1", "url": f"sqlite:///{tmp_path / 'none.db'}"}, role="customers")


def test_sqlite_url_relative_to_the_params_file(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.db") as con:
        con.execute("create table c (customer_id text, name text, city text)")
        con.execute("insert into c values ('7', 'A', 'B')")
    cfg = cfg_for(tmp_path, {"sql": "select * from c", "url": "sqlite:///crm.db"})
    (item,) = check_inputs(cfg)
    assert item["rows"] == 1 and item["sha256"] == hashlib.sha256(b"select * from c").hexdigest()


def test_postgresql_query_keeps_ids_as_text(postgres, tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(postgres)
    with engine.begin() as con:
        con.execute(sa.text("create table crm (customer_id text, code integer, name text, spend numeric, "
                            "since date)"))
        con.execute(sa.text("insert into crm values ('0001', 7, '王伟', 12.50, '2024-01-05'), "
                            "('0002', 8, 'Zoë', null, null)"))
    engine.dispose()
    table, info = read_source({"sql": "select * from crm order by customer_id", "url": postgres}, role="customers",
                              id_columns=["customer_id", "code"])
    table = table.astype(object).where(table.notna(), None)
    assert table.to_dict("list") == {"customer_id": ["0001", "0002"], "code": ["7", "8"], "name": ["王伟", "Zoë"],
                                     "spend": ["12.5", None], "since": ["2024-01-05", None]}
    with pytest.raises(DataError, match="the query failed"):
        read_source({"sql": "select * from nowhere", "url": postgres}, role="customers")


def test_unreachable_database_names_the_url_without_password():
    with pytest.raises(DataError) as err:
        read_source({"sql": "select 1", "url": "postgresql+psycopg2://me:s3cret@127.0.0.1:1/db"}, role="customers")
    assert "s3cret" not in str(err.value) and "127.0.0.1:1/db" in str(err.value)


# ---------------------------------------------------------------- check_inputs

def test_check_inputs_describes_each_input(tmp_path):
    path = write(tmp_path, "c.csv", TABLE.replace(",", ";").encode("gb18030", errors="replace"))
    (item,) = check_inputs(cfg_for(tmp_path, "c.csv"))
    assert item == {"role": "customers", "path": str(path.resolve()), "rows": 2,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "encoding": "gb18030",
                    "delimiter": ";", "columns": ["customer_id", "name", "city"]}


@pytest.mark.parametrize("columns, message", [
    ({"customer_id": "CustomerID"}, r"c.csv: column 'CustomerID' \(columns.customer_id\) not found; did you mean 'customer_id'"),
    ({"numeric": ["cty"]}, r"column 'cty' \(columns.numeric\) not found; did you mean 'city'"),
    ({"customer_id": "id"}, r"set columns.customer_id to one of them, or to null to number the rows"),
])
def test_inspect_inputs_names_the_missing_column_and_a_close_one(tmp_path, columns, message):
    write(tmp_path, "c.csv", TABLE.encode())
    with pytest.raises(DataError, match=message) as err:
        check_inputs(cfg_for(tmp_path, "c.csv", **columns))
    assert "\n" not in str(err.value)


def test_inspect_inputs_checks_transaction_columns(tmp_path):
    write(tmp_path, "c.csv", TABLE.encode())
    write(tmp_path, "t.csv", b"customer_id,day,amount\n0001,2024-01-01,5\n")
    raw = {"run_name": "t", "data": {"customers": "c.csv", "transactions": "t.csv"}}
    with pytest.raises(DataError, match=r"t.csv: column 'order_date' \(columns.transactions.date\) not found"):
        check_inputs(config_from_dict(raw, base_dir=tmp_path))


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(DataError, match="c.csv: file not found"):
        check_inputs(cfg_for(tmp_path, "c.csv"))
    write(tmp_path, "c.csv", b"customer_id,name,city\n")
    with pytest.raises(DataError, match="has a header but no data rows"):
        check_inputs(cfg_for(tmp_path, "c.csv"))


# ---------------------------------------------------------------- the real sample files

def test_mall_customers_zero_padded_ids_and_crlf(shared_data):
    table, info = read_source(shared_data / "Mall_Customers.csv", role="customers")
    assert (info["encoding"], info["delimiter"], info["rows"]) == ("utf-8", ",", 200)
    assert table["CustomerID"].tolist()[:2] == ["0001", "0002"] and table["Genre"][0] == "Male"
    assert list(table.columns) == ["CustomerID", "Genre", "Age", "Annual Income (k$)", "Spending Score (1-100)"]


def test_bank_semicolons_unknowns_and_no_id(shared_data, tmp_path, monkeypatch):
    from seglab.clean.stage import clean_stage

    table, info = read_source(shared_data / "bank.csv", role="customers")
    assert (info["delimiter"], info["rows"], table.shape[1]) == (";", 4521, 17)
    assert table["job"][0] == "unemployed"
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")
    raw = {"run_name": "bank", "data": {"customers": str(shared_data / "bank.csv")},
           "columns": {"customer_id": None, "numeric": ["age", "balance"],
                       "categorical": ["job", "education", "contact", "poutcome"]},
           "cleaning": {"missing": {"categorical": "keep"}}}
    q = clean_stage(config_from_dict(raw, base_dir=tmp_path), tmp_path / "run")
    assert q["rows_clean"] == 4521
    assert {c: q["missing"][c] for c in ("job", "education", "contact", "poutcome")} == \
        {"job": 38, "education": 187, "contact": 1324, "poutcome": 3705}
    ids = pd.read_parquet(tmp_path / "run" / "customers_clean.parquet")["customer_id"]
    assert ids.tolist()[:3] == ["1", "2", "3"]


def test_wholesale_customers(shared_data):
    table, info = read_source(shared_data / "wholesale_customers.csv", role="customers")
    assert (info["encoding"], info["delimiter"], table.shape) == ("utf-8", ",", (440, 8))
    assert table["Fresh"].astype(float).max() == 112151


def test_chinese_stock_list_in_gbk(shared_data):
    table, info = read_source(shared_data / "cn_stock_basic_gbk.csv", role="customers", columns=["股票代码"])
    assert (info["encoding"], info["delimiter"], info["rows"]) == ("gb18030", ",", 4347)
    assert list(table.columns) == ["Unnamed: 0", "TS代码", "股票代码", "股票名称", "行业"]
    assert table["股票代码"][0] == "000001" and table["股票名称"][0] == "平安银行"
    assert (table["行业"] == "").sum() == 1


# ---------------------------------------------------------------- several files: folders and patterns

LINES = "customer_id,order_id,date,amount\n0001,A1,2024-01-05,10.50\n0002,A2,2024-01-06,3.00\n"


def test_a_glob_of_csv_files_reads_as_one_table_in_name_order(tmp_path):
    write(tmp_path, "b.csv", b"customer_id,order_id,date,amount\n0003,B1,2024-02-01,1.00\n0004,x,y,1,2,3\n0005,B2,2024-02-02,2.00\n")
    write(tmp_path, "a.csv", LINES.encode())
    write(tmp_path, "notes.md", b"not data")
    table, info = read_source(tmp_path / "*.csv", role="transactions")
    assert table["customer_id"].tolist() == ["0001", "0002", "0003", "0005"] and info["files"] == 2
    assert info["rows"] == 5 and info["format"] == "csv" and info["path"] == str(tmp_path / "*.csv")
    # The malformed line is row 4 counted through the files; the good rows keep their numbers.
    assert [row for row, _ in info["malformed"]] == [4] and info["row_numbers"].tolist() == [1, 2, 3, 5]


def test_a_hive_partitioned_parquet_folder_gives_its_partitions_as_columns(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(LINES), dtype=str)
    for month, part in (("01", frame.iloc[:1]), ("02", frame.iloc[1:])):
        folder = tmp_path / "lines" / "year=2024" / f"month={month}"
        folder.mkdir(parents=True)
        part.to_parquet(folder / "part-0.parquet", index=False)
    write(tmp_path / "lines", "_SUCCESS", b"")
    table, info = read_source(tmp_path / "lines", role="transactions")
    assert info["format"] == "parquet" and info["files"] == 2
    assert table[["customer_id", "year", "month"]].values.tolist() == [["0001", "2024", "01"], ["0002", "2024", "02"]]


def test_folders_and_patterns_that_cannot_be_one_table_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"pattern matches no data file"):
        read_source(tmp_path / "*.csv", role="transactions")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"folder holds no data file"):
        read_source(tmp_path / "empty", role="transactions")
    write(tmp_path, "a.csv", LINES.encode())
    write(tmp_path, "b.csv", b"customer_id,date,amount\n0003,2024-02-01,1.00\n")
    with pytest.raises(DataError, match=r"b\.csv: its columns differ .*missing \['order_id'\]"):
        read_source(tmp_path / "*.csv", role="transactions")
    (tmp_path / "b.csv").unlink()
    pd.DataFrame({"customer_id": ["9"]}).to_parquet(tmp_path / "c.parquet")
    with pytest.raises(DataError, match=r"mixes csv and parquet"):
        read_source(tmp_path, role="transactions")
