"""Campaign results files: every row accounted for, hostile values set aside with their reason,
columns recognised in English and Chinese, and one-line errors for files that cannot be used."""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from seglab.campaign.measure import group_mismatches, measure_campaign
from seglab.campaign.responses import find_columns, read_responses
from seglab.errors import DataError

AUDIENCE = pd.Series([f"C{i:04d}" for i in range(1, 201)])
START = pd.Timestamp("2026-07-01")


def write(tmp_path, text: str, name="responses.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


HOSTILE = """customer_id,converted,revenue,response_date,email
C0001,yes,"¥1,234.50",2026-07-03,a@x.com
C0001,yes,100,2026-07-20,a@x.com
C0002,1,50,2026-07-05,b@x.com
C0002,1,50,2026-07-05,b@x.com
C0003,no,0,,c@x.com
C0004,true,80,2026-06-15,d@x.com
C0005,Y,,2026-07-09,e@x.com
C0006,maybe,10,2026-07-09,f@x.com
C0007,yes,12,,g@x.com
C9999,yes,99,2026-07-04,h@x.com
,yes,5,2026-07-04,i@x.com
C0008,no,30,2026-07-04,j@x.com
C0009,yes,abc,2026-07-04,k@x.com
C0010,yes,40,2026-09-30,l@x.com
,,,,
C0011,1,25,2026-07-10,m@x.com
"""


def test_every_row_is_clean_merged_or_set_aside_with_its_reason(tmp_path):
    path = write(tmp_path, HOSTILE)
    r = read_responses(path, audience_ids=AUDIENCE, start=START, end=pd.Timestamp("2026-08-31"))
    a = r.accounting
    assert a["rows_in"] == 16 == a["rows_clean"] + a["duplicates_merged"] + a["rows_quarantined"]
    assert a["duplicates_merged"] == 1 and a["merged_by_rule"] == {"exact_duplicate": 1}
    assert a["quarantined_by_rule"] == {"empty_row": 1, "missing_id": 1, "bad_flag": 1, "bad_amount": 1,
                                        "missing_response_date": 1, "before_campaign": 1, "after_campaign": 1,
                                        "revenue_without_response": 1, "not_in_audience": 1}
    assert len(r.quarantine) == a["rows_quarantined"]
    assert set(r.quarantine["rule"]) == set(a["quarantined_by_rule"])
    assert "email" not in r.quarantine.columns  # only the columns the measurement reads
    per = r.customers.set_index("customer_id")
    assert per.loc["C0001", "revenue"] == pytest.approx(1334.5) and per.loc["C0001", "rows"] == 2
    assert per.loc["C0001", "first_date"] == pd.Timestamp("2026-07-03")
    assert per.loc["C0002", "revenue"] == 50  # the copy merged, not counted twice
    assert not per.loc["C0003", "responded"]
    assert per.loc["C0005", "responded"] and per.loc["C0005", "revenue"] == 0  # missing revenue: counted as 0
    assert set(per.index) == {"C0001", "C0002", "C0003", "C0005", "C0011"}
    assert r.notes == ["1 customers have several response rows: their revenue is summed"]
    assert r.columns == {"customer_id": "customer_id", "responded": "converted", "revenue": "revenue",
                         "date": "response_date", "group": None}


def test_revenue_alone_decides_who_responded(tmp_path):
    path = write(tmp_path, "customer_id,amount\nC0001,10\nC0002,0\nC0003,\n")
    r = read_responses(path, audience_ids=AUDIENCE, start=START)
    assert r.customers.set_index("customer_id")["responded"].to_dict() == {"C0001": True, "C0002": False,
                                                                            "C0003": False}


def test_a_list_of_ids_is_a_list_of_responses(tmp_path):
    path = write(tmp_path, "customer_id,date\nC0001,2026-07-02\nC0002,2026-06-01\nC0003,2026-07-05\n")
    r = read_responses(path, audience_ids=AUDIENCE, start=START)
    assert sorted(r.customers["customer_id"]) == ["C0001", "C0003"]
    assert r.accounting["quarantined_by_rule"] == {"before_campaign": 1}
    assert r.notes[0].startswith("the file has neither a responded nor a revenue column")


def test_malformed_lines_are_accounted_for(tmp_path):
    path = write(tmp_path, "customer_id,responded,revenue\nC0001,1,10\nC0002,1,20,extra,cols\nC0003,0,0\n")
    r = read_responses(path, audience_ids=AUDIENCE, start=START)
    assert r.accounting["rows_in"] == 3 and r.accounting["quarantined_by_rule"] == {"malformed_line": 1}
    assert "malformed_line" in set(r.quarantine["rule"])


def test_chinese_headers_in_gbk(tmp_path):
    text = "客户ID,是否响应,金额,日期\nC0001,是,12.5,2026年7月3日\nC0002,否,0,\n"
    path = write(tmp_path, text, encoding="gb18030")
    r = read_responses(path, audience_ids=AUDIENCE, start=START)
    assert r.columns["customer_id"] == "客户ID" and r.columns["responded"] == "是否响应"
    assert r.customers["responded"].tolist() == [True, False]


def test_excel_parquet_and_sql_sources(tmp_path):
    frame = pd.DataFrame({"Customer ID": ["C0001", "C0002", "C0003"], "Responded": [True, False, True],
                          "Order Value": [20.0, 0.0, 5.5], "Date": pd.to_datetime(["2026-07-02", None, "2026-07-09"])})
    xlsx = tmp_path / "r.xlsx"
    frame.to_excel(xlsx, index=False)
    parquet = tmp_path / "r.parquet"
    frame.to_parquet(parquet, index=False)
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        frame.assign(Date=frame["Date"].dt.strftime("%Y-%m-%d")).to_sql("results", con, index=False)
    for source in (xlsx, parquet, {"sql": "select * from results", "url": f"sqlite:///{db}"}):
        r = read_responses(source, audience_ids=AUDIENCE, start=START)
        assert r.accounting["rows_clean"] == 3, source
        assert r.customers["revenue"].tolist() == [20.0, 0.0, 5.5], source


def test_ids_written_as_floats_and_padded_match(tmp_path):
    audience = pd.Series(["17850", "0042"])
    path = write(tmp_path, "id,responded\n17850.0,1\n 0042 ,1\n")
    r = read_responses(path, audience_ids=audience, start=START)
    assert sorted(r.customers["customer_id"]) == ["0042", "17850"]


def test_ids_can_match_through_a_translation(tmp_path):
    path = write(tmp_path, "customer_id,responded\nalice,1\nC0002,1\n")
    r = read_responses(path, audience_ids=AUDIENCE, start=START,
                       match_id=lambda ids: ids.map({"alice": "C0001"}))
    assert sorted(r.customers["customer_id"]) == ["C0001", "C0002"]


@pytest.mark.parametrize("text, given, message", [
    ("who,responded\nC0001,1\n", {}, r"responses.csv: no customer id column .*--id-column"),
    ("customer_id,note\nC0001,hello\n", {}, r"no responded or revenue column .*--responded-column"),
    ("customer_id,revenue\nC0001,1\n", {"revenue": "revenu"}, r"column 'revenu' \(--revenue-column\) not found; did you mean 'revenue'"),
    ("customer_id,revenue\nC0001,abc\nC0002,def\nC0003,1\n", {}, r"column 'revenue': 2 of 3 values are not numbers"),
    ("customer_id,responded\nC0001,maybe\nC0002,perhaps\n", {}, r"column 'responded': 2 of 2 values are not yes/no"),
    ("customer_id,responded,date\nC0001,1,soon\nC0002,1,later\n", {}, r"column 'date': 2 of 2 values are not dates; give their format with --date-format"),
    ("customer_id,responded\n", {}, r"has a header but no rows"),
    ("customer_id,customer_id,responded\nC0001,C0001,1\n", {}, r"column 'customer_id' appears 2 times in the header"),
    ("C0001,yes,10\nC0002,no,0\n", {"revenue": "amount"}, r"column 'amount' \(--revenue-column\) not found; give a name"),
    ("customer_id,responded\nX1,1\nX2,1\n", {}, r"no row can be measured \(most often: the customer id is in none of the run's audiences\)"),
])
def test_unusable_files_get_one_line_errors(tmp_path, text, given, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as err:
        read_responses(path, audience_ids=AUDIENCE, start=START, columns=given)
    assert "\n" not in str(err.value)
    assert "X1" not in str(err.value) and "maybe" not in str(err.value)  # no data values in messages


def test_find_columns_prefers_the_runs_own_id_name():
    cols = find_columns(["id", "member_no", "responded"], {}, path="f", id_hint="member_no")
    assert cols["customer_id"] == "member_no"


# ---------------------------------------------------------------- measurement

def test_measurement_is_the_plain_difference_per_segment():
    groups = pd.DataFrame({"customer_id": [f"c{i}" for i in range(40)], "segment": [0] * 20 + [1] * 20,
                           "segment_name": ["A"] * 20 + ["B"] * 20,
                           "group": (["treatment"] * 16 + ["control"] * 4) * 2})
    responders = ["c0", "c1", "c2", "c3", "c16", "c20", "c36", "c37"]
    customers = pd.DataFrame({"customer_id": responders, "responded": True,
                              "revenue": [10.0, 20, 30, 40, 100, 5, 7, 9], "first_date": pd.NaT})
    m = measure_campaign(groups, customers)
    a, b = m["segments"]
    assert (a["treated"], a["control"], a["responders_treated"], a["responders_control"]) == (16, 4, 4, 1)
    assert a["rate_uplift"] == pytest.approx(4 / 16 - 1 / 4)
    assert a["revenue_uplift"] == pytest.approx(100 / 16 - 100 / 4)
    assert a["incremental_revenue"] == pytest.approx((100 / 16 - 100 / 4) * 16)
    assert b["rate_uplift"] == pytest.approx(1 / 16 - 2 / 4)
    assert m["overall"]["treated"] == 32 and m["overall"]["responders_control"] == 3
    # few responders: revenue cannot decide, so the response rate does
    assert a["notes"] == b["notes"] == ["few_responders"]
    assert a["verdict"] == "no_effect_shown" and b["verdict"] == "responses_down"
    assert b["rate_uplift_high"] < 0


def test_verdicts_follow_the_interval_and_the_cost():
    rng = np.random.default_rng(0)
    n = 4000
    groups = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "segment": 0, "segment_name": "A",
                           "group": np.where(np.arange(n) % 10 == 0, "control", "treatment")})
    treated = groups["group"] == "treatment"
    responded = rng.random(n) < np.where(treated, 0.30, 0.10)
    customers = pd.DataFrame({"customer_id": groups["customer_id"][responded], "responded": True,
                              "revenue": 50.0, "first_date": pd.NaT})
    assert measure_campaign(groups, customers)["segments"][0]["verdict"] == "paid_off"
    assert measure_campaign(groups, customers, cost_per_contact=30.0)["segments"][0]["verdict"] == "did_not_pay_off"
    # more responses but a cost the revenue interval straddles: responses up, revenue undecided
    assert measure_campaign(groups, customers, cost_per_contact=10.0)["segments"][0]["verdict"] == "responses_up"
    no_revenue = measure_campaign(groups, customers, has_revenue=False)["segments"][0]
    assert no_revenue["verdict"] == "paid_off" and no_revenue["revenue_uplift"] is None
    one_group = groups.assign(group="treatment")
    assert measure_campaign(one_group, customers)["segments"][0]["verdict"] == "not_measurable"


def test_group_column_mismatches_are_counted():
    plan = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "group": ["treatment", "control", "treatment", "control"]})
    said = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "group": ["test", "holdout", "holdout", "???"]})
    assert group_mismatches(plan, said) == {"compared": 3, "unrecognised": 1, "differ": 1}
