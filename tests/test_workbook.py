"""segments.xlsx as a consultant opens it: display headers in the report's language, percent and money
formats, widths, frozen header, filters, a data dictionary, and per-customer value and risk to filter on.

The run folder is made by hand (small, fast), with a segment name that a spreadsheet would run as a formula.
"""

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from seglab import i18n
from seglab.report.workbook import money_format, write_workbook

HOSTILE = '=HYPERLINK("http://x.example","click")'


def _run_folder(path, language="en", currency=None):
    rng = np.random.default_rng(3)
    n = 60
    ids = [f"C{i:03d}" for i in range(n)]
    segment = np.repeat([0, 1, 2], [30, 20, 10])
    features = pd.DataFrame({
        "customer_id": ids, "monetary": rng.gamma(2.0, 150.0, n).round(2), "frequency": rng.integers(1, 9, n),
        "recency": rng.integers(1, 400, n).astype(float), "clv_predicted": rng.gamma(2.0, 80.0, n),
        "churn_risk": rng.uniform(0, 1, n), "p_alive": rng.uniform(0, 1, n),
        "risk_tier": rng.choice(["low", "medium", "high"], n)})
    features.to_parquet(path / "features.parquet")
    names = {0: "Loyal city shoppers", 1: HOSTILE, 2: "Lapsed bargain hunters"}
    pd.DataFrame({"customer_id": ids, "segment": segment, "segment_name": [names[s] for s in segment],
                  "rule_segment": segment, "lifecycle": rng.choice(["active", "dormant", "churned"], n),
                  "rfm_segment": "Champions", "value_tier": rng.choice(["high", "mid", "low"], n),
                  "value_risk_cell": "high_value_low_risk"}).to_csv(path / "assignments.csv", index=False)
    revenue = features.groupby(segment)["monetary"].sum()
    segments = [{"id": s, "name": names[s], "size": int((segment == s).sum()), "share": float((segment == s).mean()),
                 "revenue_share": float(revenue[s] / revenue.sum()),
                 "lifecycle_mix": {"active": 0.5, "dormant": 0.3, "churned": 0.2},
                 "value_risk": {"cell": "high_value_low_risk", "name": "Grow", "priority": s + 1, "cell_share": 0.6},
                 "persona": {"who": "Who text " * 20, "needs": "Needs", "behaviour": "Behaviour", "summary": "One line"},
                 "actions": [{"channel": "app", "offer": f"Offer {s}", "message": f"Message {s}", "priority": s + 1},
                             {"channel": "email", "offer": f"Second offer {s}", "message": "Another", "priority": s + 2}]}
                for s in names]
    (path / "segments.json").write_text(json.dumps({"base": {"customers": n}, "segments": segments}), encoding="utf-8")
    (path / "features.json").write_text(json.dumps({"clv": {"horizon_days": 365}}), encoding="utf-8")
    report = {"pdf": False} | ({"currency": currency} if currency else {})
    params = {"run_name": "wb", "language": language, "data": {"customers": "c.csv"}, "report": report}
    (path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    return features, segment


@pytest.fixture(params=["en", "zh"])
def book(request, tmp_path):
    features, segment = _run_folder(tmp_path, request.param)
    path = write_workbook(tmp_path)
    return request.param, openpyxl.load_workbook(path), features, segment


def _headers(ws):
    return [c.value for c in ws[1]]


def _column(ws, header):
    j = _headers(ws).index(header) + 1
    return [ws.cell(row=r, column=j) for r in range(2, ws.max_row + 1)]


def test_sheets_and_headers_read_in_the_report_language(book):
    language, wb, _, _ = book
    t = lambda k, **f: i18n.t(k, language, **f)  # noqa: E731
    assert wb.sheetnames == [t(f"xl_sheet_{k}") for k in ("segments", "personas", "actions", "customers", "dictionary")]
    for ws in wb.worksheets:
        for header in _headers(ws):
            assert "_" not in header, (ws.title, header)  # no snake_case code as a header
            if language == "zh":
                assert not any(w.isascii() and w.isalpha() and w not in ("RFM", "CRM") for w in header.split()), header
    seg = wb[t("xl_sheet_segments")]
    assert t("col_share") in _headers(seg) and t("xl_revenue") in _headers(seg)
    customers = wb[t("xl_sheet_customers")]
    cells = {c.value for c in _column(customers, i18n.t("col_cell", language))}
    assert cells == {t("cell_high_value_low_risk_name")}  # a label, never the code high_value_low_risk


def test_numbers_carry_percent_money_and_count_formats(book):
    language, wb, _, _ = book
    t = lambda k: i18n.t(k, language)  # noqa: E731
    seg = wb[t("xl_sheet_segments")]
    assert {c.number_format for c in _column(seg, t("col_share"))} == {"0.0%"}
    assert {c.number_format for c in _column(seg, t("col_revenue_share"))} == {"0.0%"}
    assert {c.number_format for c in _column(seg, t("xl_revenue"))} == {"#,##0"}
    assert {c.number_format for c in _column(seg, t("col_customers"))} == {"#,##0"}
    customers = wb[t("xl_sheet_customers")]
    assert {c.number_format for c in _column(customers, i18n.feature_label("churn_risk", language).capitalize())
            } == {"0.0%"}


def test_every_sheet_has_a_frozen_header_filters_and_fitted_widths(book):
    _, wb, _, _ = book
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("A2", "C2"), ws.title
        assert ws.auto_filter.ref == ws.dimensions, ws.title
        assert ws.cell(row=1, column=1).font.b
        for j, header in enumerate(_headers(ws), start=1):
            width = ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width
            longest_word = max(len(w) for w in header.split())
            assert longest_word <= width <= 62, (ws.title, header, width)


def test_the_data_dictionary_explains_every_column(book):
    language, wb, _, _ = book
    t = lambda k: i18n.t(k, language)  # noqa: E731
    rows = list(wb[t("xl_sheet_dictionary")].iter_rows(min_row=2, values_only=True))
    listed = {(sheet, column) for sheet, column, _, _ in rows}
    for ws in wb.worksheets[:-1]:
        for header in _headers(ws):
            assert (ws.title, header) in listed
    assert all(meaning for _, _, meaning, _ in rows), [r for r in rows if not r[2]]


def test_customers_carry_their_value_and_risk_and_segments_their_revenue(book):
    language, wb, features, segment = book
    t = lambda k, **f: i18n.t(k, language, **f)  # noqa: E731
    customers = wb[t("xl_sheet_customers")]
    ids = [c.value for c in _column(customers, i18n.feature_label("customer_id", language).capitalize())]
    clv = [c.value for c in _column(customers, t("xl_clv_predicted", months=12))]
    risk = [c.value for c in _column(customers, i18n.feature_label("churn_risk", language).capitalize())]
    by_id = features.set_index("customer_id")
    assert ids == features["customer_id"].tolist()
    assert np.allclose(clv, by_id.loc[ids, "clv_predicted"]) and np.allclose(risk, by_id.loc[ids, "churn_risk"])
    seg = wb[t("xl_sheet_segments")]
    revenue = [c.value for c in _column(seg, t("xl_revenue"))]
    by_hand = [features["monetary"][segment == s].sum() for s in (0, 1, 2)]
    assert np.allclose(revenue, by_hand)
    per_customer = [c.value for c in _column(seg, t("xl_revenue_per_customer"))]
    assert np.allclose(per_customer, [r / n for r, n in zip(by_hand, (30, 20, 10))])


def test_actions_are_rows_with_their_fields_in_columns(book):
    language, wb, _, _ = book
    t = lambda k: i18n.t(k, language)  # noqa: E731
    ws = wb[t("xl_sheet_actions")]
    assert ws.max_row == 1 + 6
    assert _headers(ws)[:3] == [t("col_priority"), t("xl_segment_id"), t("col_segment")]
    offers = [c.value for c in _column(ws, t("col_offer"))]
    assert offers == ["Offer 0", "Second offer 0", "Offer 1", "Second offer 1", "Offer 2", "Second offer 2"]
    assert not any(" / " in str(o) for o in offers)


def test_a_segment_name_that_looks_like_a_formula_stays_text(book):
    language, wb, _, _ = book
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == HOSTILE:
                    assert cell.data_type == "s" and cell.quotePrefix
                assert cell.data_type != "f", (ws.title, cell.coordinate)


@pytest.mark.parametrize(("currency", "fmt"), [(None, "#,##0"), ("CNY", '"¥"#,##0'), ("¥", '"¥"#,##0'),
                                               ("EUR", '"€"#,##0'), ("CHF", '#,##0" CHF"')])
def test_money_is_written_in_the_currency(currency, fmt):
    assert money_format(currency) == fmt
