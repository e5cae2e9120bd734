"""`seglab init`: a params file drafted from the data validates and runs, and says what it found."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, cli, report_of
from seglab.config import load_config
from seglab.demo.generate import CASE_STUDY_DATA
from seglab.scaffold import draft_params, run_name_for, write_params

CUSTOMERS = """\
Kunden-Nr,Full Name,E-Mail,Mobile,Age,Annual income,City,Member tier,Signup date,Channel,Notes
0001,Anna Keller,anna@example.com,+49 170 1234567,34,"52,000",Berlin,gold,2021-03-04,1,likes hiking boots
0002,Ben Ott,ben@example.com,+49 171 2345678,45,"61,500",Hamburg,silver,2020-11-19,2,asked about returns
0003,Cara Vogt,cara@example.com,+49 172 3456789,29,n/a,Berlin,bronze,2022-01-30,1,
0004,Dirk Lang,dirk@example.com,+49 173 4567890,unknown,"48,250",München,gold,2019-07-07,2,VIP
"""
TRANSACTIONS = """\
Invoice,Customer No,InvoiceDate,Quantity,UnitPrice,Description
536365,0001,2023-12-01 08:26,6,2.55,WHITE HANGING HEART
536366,0001,2023-12-02 09:01,2,3.39,WHITE METAL LANTERN
C536367,0001,2023-12-03 10:00,-1,3.39,WHITE METAL LANTERN
536368,0002,2023-12-04 11:30,8,1.85,CREAM CUPID HEARTS
536369,0003,2023-12-05 12:00,6,2.10,KNITTED UNION FLAG
536370,0004,2023-12-06 13:00,3,4.25,RED WOOLLY HOTTIE
536371,0002,2023-12-07 14:00,1,9.95,SET 7 BABUSHKA
"""


def _shop(n: int) -> tuple[str, str]:
    """A customer file and its invoice lines for ``n`` customers, in the shape of the samples above."""
    cities, tiers = ["Berlin", "Hamburg", "München", "Köln"], ["gold", "silver", "bronze"]
    customers = [CUSTOMERS.splitlines()[0]]
    lines = [TRANSACTIONS.splitlines()[0]]
    invoice = 600000
    for i in range(n):
        age = "unknown" if i % 17 == 0 else str(20 + i % 50)
        customers.append(f"{i:04d},Person {i},p{i}@example.com,+49 170 {1000000 + i},{age},\"{30000 + 997 * i:,}\","
                         f"{cities[i % 4]},{tiers[i % 3]},2021-{1 + i % 12:02d}-{1 + i % 28:02d},{1 + i % 2},")
        for j in range(1 + i % 4):
            invoice += 1
            day = f"2023-{1 + (i + j) % 12:02d}-{1 + j * 7:02d} 10:00"
            lines.append(f"{invoice},{i:04d},{day},{1 + j},{2.5 + i % 7},ITEM")
    return "\n".join(customers) + "\n", "\n".join(lines) + "\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "data").mkdir()
    customers = tmp_path / "data" / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    transactions = tmp_path / "data" / "lines.csv"
    transactions.write_text(TRANSACTIONS, encoding="utf-8")
    return customers, transactions


def test_roles_of_a_customer_file_and_its_transactions(files, tmp_path):
    customers, transactions = files
    out = tmp_path / "params" / "My Shop.yaml"
    draft = draft_params(out, customers=customers, transactions=transactions)
    raw = yaml.safe_load(draft.text)
    assert raw["run_name"] == "my_shop" == run_name_for(out)
    assert raw["data"] == {"customers": "../data/customers.csv", "transactions": "../data/lines.csv",
                           "encoding": "auto", "as_of": None}
    cols = raw["columns"]
    assert cols["customer_id"] == "Kunden-Nr"
    assert set(cols["pii"]) == {"Full Name", "E-Mail", "Mobile"}
    assert cols["numeric"] == ["Age", "Annual income"] and cols["dates"] == ["Signup date"]
    assert set(cols["categorical"]) == {"City", "Member tier", "Channel"}
    assert "Notes" not in str(cols["numeric"] + cols["categorical"])
    assert cols["transactions"] == {"customer_id": "Customer No", "date": "InvoiceDate", "amount": None,
                                    "quantity": "Quantity", "unit_price": "UnitPrice", "order_id": "Invoice"}
    clean = raw["cleaning"]
    assert clean["dedupe_on"] == ["E-Mail", "Mobile"] and clean["ranges"] == {"Age": [0, 120]}
    assert clean["cancel_prefix"] == "C"
    seg = raw["segmentation"]
    assert seg["method"] == "kprototypes" and seg["k"] == "auto"
    assert {"recency", "frequency", "monetary"} <= set(seg["features"])
    assert not set(seg["features"]) & set(cols["pii"]) and cols["customer_id"] not in seg["features"]
    # the comments say what was found and where to look
    assert "# not used: Notes" in draft.text and "CHECK" in draft.text


def test_the_draft_validates_runs_and_refuses_to_overwrite(files, tmp_path, reports_root):
    customers, transactions = files
    text_c, text_t = _shop(120)
    customers.write_text(text_c, encoding="utf-8")
    transactions.write_text(text_t, encoding="utf-8")
    out = tmp_path / "params" / "shop.yaml"
    proc = cli("init", customers, "--transactions", transactions, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out) and "kprototypes" in proc.stderr
    assert cli("validate", out).returncode == 0
    again = cli("init", customers, "--out", out)
    assert again.returncode == 2 and "--force" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    run = report_of(cli("run", out, "--out", reports_root, "--no-notebooks", "--quiet", "--set", "report.pdf=false",
                        "--set", "segmentation.stability_runs=2", "--set", "segmentation.k_range=[2, 3]",
                        "--set", "report.sections=[glossary]"))
    assert (run / "assignments.csv").read_text(encoding="utf-8").count("\n") == 1 + 120


def test_an_order_log_alone_is_read_as_transactions(files, tmp_path):
    _, transactions = files
    lines = ["order_date,order_id,customer,grand_total"]
    people = ["Dennis Kane", "Ed Braxton", "Neil Französisch", "Anna Müller", "Li Wei"]
    for i in range(60):
        lines.append(f"{(i % 12) + 1}/{(i % 27) + 1}/1{i % 4 + 1},CA-2011-{100000 + i},{people[i % 5]},{10 + i}")
    log = tmp_path / "orders.csv"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    draft = draft_params(tmp_path / "orders.yaml", customers=log)
    raw = yaml.safe_load(draft.text)
    assert "customers" not in raw["data"] and raw["data"]["transactions"] == "orders.csv"
    assert raw["columns"]["transactions"] == {"customer_id": "customer", "date": "order_date", "amount": "grand_total",
                                              "order_id": "order_id"}
    assert raw["segmentation"]["method"] == "kmeans"
    assert raw["segmentation"]["features"] == ["recency", "frequency", "monetary", "aov", "tenure_days"]
    assert any("order log" in n for n in draft.notes) and any("by name" in n for n in draft.notes)
    assert "month first" in draft.text


def test_without_an_id_column_rows_are_numbered_and_codes_are_categories(tmp_path):
    path = tmp_path / "wholesale.csv"
    rows = ["Channel,Region,Fresh,Milk"] + [f"{1 + i % 2},{1 + i % 3},{1000 + 37 * i},{500 + 11 * i}"
                                            for i in range(50)]
    path.write_text("\r\n".join(rows), encoding="utf-8")
    raw = yaml.safe_load(draft_params(tmp_path / "w.yaml", customers=path).text)
    assert raw["columns"]["customer_id"] is None
    assert raw["columns"]["categorical"] == ["Channel", "Region"] and raw["columns"]["numeric"] == ["Fresh", "Milk"]


def test_files_that_cannot_be_drafted_say_why_in_one_line(tmp_path):
    log = tmp_path / "t.csv"
    log.write_text("a,b\nx,1\ny,2\n", encoding="utf-8")
    proc = cli("init", "--transactions", log, "--out", tmp_path / "p.yaml")
    assert proc.returncode == 2 and "no a date column" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = cli("init", "--out", tmp_path / "p.yaml")
    assert proc.returncode == 2 and "give a data file" in proc.stderr
    proc = cli("init", tmp_path / "missing.csv", "--out", tmp_path / "p.yaml")
    assert proc.returncode == 2 and "missing.csv" in proc.stderr
    proc = cli("init", log, "--out", tmp_path / "p.txt")
    assert proc.returncode == 2 and ".yaml" in proc.stderr
    assert not (tmp_path / "p.yaml").exists()


# ------------------------------------------------------------------ data nobody on this project made

REAL = {  # file -> (data role, what the draft must have found)
    "Mall_Customers.csv": ("customers", {"customer_id": "CustomerID", "method": "kprototypes"}),
    "bank.csv": ("customers", {"customer_id": None, "method": "kprototypes"}),
    "wholesale_customers.csv": ("customers", {"customer_id": None, "method": "kprototypes"}),
    "cn_stock_basic_gbk.csv": ("customers", {"customer_id": "TS代码", "method": "kprototypes"}),
    "superstore_orders.csv": ("transactions", {"customer_id": "customer", "method": "kmeans"}),
}


def _drafted(shared_data, name, tmp_path) -> Path:
    out = tmp_path / f"{Path(name).stem.lower()}.yaml"
    write_params(out, customers=shared_data / name)  # validates against the file before writing
    return out


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_get_a_params_file_that_validates(shared_data, name, tmp_path):
    role, found = REAL[name]
    out = _drafted(shared_data, name, tmp_path)
    cfg = load_config(out)
    assert getattr(cfg.data, role) is not None
    cid = cfg.columns.customer_id if role == "customers" else cfg.columns.transactions.customer_id
    assert cid == found["customer_id"] and cfg.segmentation.method == found["method"]
    assert cfg.segmentation.k == "auto" and cfg.segmentation.features


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_run_with_their_drafted_params(shared_data, name, tmp_path, reports_root):
    out = _drafted(shared_data, name, tmp_path)
    run = report_of(cli("run", out, "--out", reports_root, "--no-notebooks", "--quiet", "--set", "report.pdf=false"))
    assert (run / "segments.json").is_file()


# The smoke data (the demo's shape at 400 customers) in the fast tier; the full-size sets are slow to read.
CASES = {"smoke": "smoke", "demo": "demo"} | {f"case_{n}": f"case_studies/{n}" for n in CASE_STUDY_DATA}
PARAMS = [pytest.param(name, marks=() if name == "smoke" else pytest.mark.slow) for name in sorted(CASES)]


@pytest.mark.parametrize("name", PARAMS)
def test_demo_and_case_study_data_get_params_that_validate(name, tmp_path):
    folder = ROOT / "data" / CASES[name]
    out = tmp_path / f"{name}.yaml"
    write_params(out, customers=folder / "customers.csv", transactions=folder / "transactions.csv")
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert raw["segmentation"]["method"] == "kprototypes"
    assert {"recency", "frequency", "monetary"} <= set(raw["segmentation"]["features"])
    assert raw["columns"]["pii"] and not set(raw["columns"]["pii"]) & set(raw["segmentation"]["features"])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_demo_and_case_study_data_run_with_their_drafted_params(name, tmp_path, reports_root):
    folder = ROOT / "data" / CASES[name]
    out = tmp_path / f"{name}.yaml"
    write_params(out, customers=folder / "customers.csv", transactions=folder / "transactions.csv")
    report_of(cli("run", out, "--out", reports_root, "--no-notebooks", "--quiet", "--set", "report.pdf=false"))
