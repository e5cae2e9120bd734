"""Read each regenerated report as a client does — the HTML text and segments.xlsx — and check
what a consultant signs: every segment has its own action, no segment that is lapsing or at high
risk is thanked for its loyalty, amounts carry the currency, shares add up to 100 %, and every
number of the summary table reads the same in the actions' money table and the workbook.

The demo and the five case studies (slow: full-size runs, shared with the other tests).
"""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
import yaml
from seglab import numbers
from test_case_studies import CASES, case_runs  # noqa: F401  (the case runs' fixture)
from test_report_numbers import _Page, _table

LOYALTY = re.compile(r"loyal|thank|忠诚|感谢", re.IGNORECASE)


def _read(run):
    html = (run / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    segments = json.loads((run / "segments.json").read_text(encoding="utf-8"))
    params = yaml.safe_load((run / "params.yaml").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(run / "segments.xlsx")
    return page, segments, params, book


def _sheet(book, index):
    rows = list(book.worksheets[index].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def check_report(run):
    page, segments, params, book = _read(run)
    segs = {s["name"]: s for s in segments["segments"]}
    currency = (params.get("report") or {}).get("currency")
    assert currency, "the params name no report.currency"
    symbol = numbers.money(1000, currency, segments["base"]["language"]).replace("1,000", "")

    # Distinct actions: no two segments share a message and an offer.
    actions = {r[1]: r for r in _table(page, "actions-table")[1:]}
    assert set(actions) == set(segs)
    pairs = [(r[4], r[5]) for r in actions.values()]
    assert len(set(pairs)) == len(pairs), pairs

    # No loyalty message where 30 % or more are dormant or churned, or the risk tier is high.
    for name, s in segs.items():
        mix = s.get("lifecycle_mix") or {}
        lapsing = (mix.get("dormant") or 0) + (mix.get("churned") or 0)
        risk = (s.get("value_risk") or {}).get("risk_tier")
        if lapsing >= 0.30 or risk == "high":
            assert not LOYALTY.search(actions[name][5]), (name, lapsing, actions[name][5])

    # The summary: shares total 100 %, revenue in the currency, totals that add up.
    rows = _table(page, "summary")
    body, total = rows[1:-1], rows[-1]
    for col in (2, 3):
        assert total[col] == "100%"
        assert sum(int(r[col].rstrip("%").replace("<1", "0")) for r in body) == 100
    revenue_col = 4
    assert all(symbol in r[revenue_col] for r in body + [total]), (symbol, [r[revenue_col] for r in body])

    def amount(text):
        return float(re.sub(r"[^\d.\-]", "", text))

    assert abs(sum(amount(r[revenue_col]) for r in body) - amount(total[revenue_col])) <= len(body)
    assert amount(total[revenue_col]) == numbers.rounded(segments["base"]["revenue"])

    # Every number of the summary reads the same in the money table and the workbook.
    worth = {r[0]: r for r in _table(page, "money-table")[1:]}
    sheet = _sheet(book, 0)
    name_key, size_key = list(sheet[0])[1], list(sheet[0])[2]
    workbook = {r[name_key]: r for r in sheet}
    for r in body:
        name = r[0]
        assert worth[name][1] == r[revenue_col], name
        assert int(r[1].replace(",", "")) == segs[name]["size"] == workbook[name][size_key]
        assert symbol in worth[name][2] and symbol in worth[name][1]

    # The workbook's actions are the report's, one row per segment.
    acted = _sheet(book, 2)
    keys = list(acted[0])
    message_key = next(k for k in keys if k in ("Message", "信息", "沟通信息"))
    by_name = {r[keys[2]]: r for r in acted}
    for name, row in actions.items():
        assert by_name[name][message_key] == row[5]


def test_demo_report_reads_as_a_deliverable(demo_run):
    check_report(demo_run)


@pytest.mark.parametrize("name", CASES)
def test_case_study_report_reads_as_a_deliverable(name, case_runs):  # noqa: F811 (the imported fixture)
    check_report(case_runs(name))
