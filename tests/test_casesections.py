"""A case study's own analyses in the report (issue 12.4): the registry, the numbers against a hand
count, and the section in report.html when ``report.case_study`` names the case."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from seglab import config, i18n
from seglab.report import casesections
from seglab.report.casesections import CASE_STUDIES, Analysis
from test_sections import visible_text

PARAMS = Path(__file__).resolve().parents[1] / "params"


def test_the_registry_and_the_params_key_name_the_same_cases():
    assert tuple(sorted(CASE_STUDIES)) == tuple(sorted(config.CASE_STUDIES))


@pytest.mark.parametrize("name", sorted(CASE_STUDIES))
def test_each_case_reads_columns_its_params_declare_and_selects_itself(name):
    params = yaml.safe_load((PARAMS / f"case_{name}.yaml").read_text(encoding="utf-8"))
    assert params["report"]["case_study"] == name
    cols = params["columns"]
    declared = set(cols.get("numeric", [])) | set(cols.get("categorical", []))
    derived = {"frequency", "monetary", "recency", "aov", "churn_risk"}
    for a in CASE_STUDIES[name]:
        for c in (a.column, *a.columns):
            if c:
                assert c in declared | derived, (name, a.kind, c)


def _customers(n=300, seed=5):
    rng = np.random.default_rng(seed)
    names = np.array(["Loyal", "Lapsed", "New"])
    return pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)], "segment": rng.integers(0, 3, n),
        "plan": rng.choice(["basic", "premium", "annual"], n), "completion_rate": rng.uniform(0, 1, n),
        "weekly_minutes": rng.gamma(2, 60, n), "monetary": rng.gamma(2, 200, n), "churn_risk": rng.uniform(0, 1, n),
        "recency": rng.integers(1, 300, n), "frequency": rng.integers(1, 20, n),
    }).assign(segment_name=lambda d: names[d["segment"]])


def _transactions(customers, seed=6):
    rng = np.random.default_rng(seed)
    rows = []
    for cid in customers["customer_id"]:
        start = pd.Timestamp("2024-02-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        for k in range(int(rng.integers(1, 10))):
            rows.append((cid, start + pd.Timedelta(days=30 * k + int(rng.integers(0, 10))), float(rng.gamma(2, 40))))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(is_return=False)


def test_mix_shares_add_up_per_segment_and_name_the_most_common_value():
    customers = _customers()
    part = casesections.mix(customers, Analysis("mix", "plan"), "en")
    ax = part.draw()
    table = customers.groupby("segment_name")["plan"].value_counts(normalize=True).unstack()
    for seg in table.index:  # the alt text names each segment's most common plan with its share, counted by hand
        top = table.loc[seg].idxmax()
        assert f"{seg}: {top} ({round(100 * table.loc[seg, top])}%)" in part.alt
    assert len(ax.texts) == table.size  # one annotation per cell
    assert part.title.lower().startswith("plan")


def test_averages_are_the_segment_means_with_all_customers_below():
    customers = _customers()
    part = casesections.averages(customers, Analysis("averages", columns=("completion_rate", "weekly_minutes")), "en")
    by_hand = customers.groupby("segment_name")[["completion_rate", "weekly_minutes"]].mean()
    for row in part.table.rows:
        seg = row[0]
        assert row[1] == f"{round(100 * by_hand.loc[seg, 'completion_rate'])}%"
        assert row[2] == f"{by_hand.loc[seg, 'weekly_minutes']:,.1f}".rstrip("0").rstrip(".")
    assert part.table.footer[0][0] == i18n.t("case_all_customers", "en")


def test_retention_starts_at_every_customer_and_win_back_counts_by_hand():
    customers = _customers()
    tx = _transactions(customers)
    part = casesections.retention(customers, tx, Analysis("retention"), "en")
    assert [h for h in part.table.header[1:]] == [f"Month {m}" for m in casesections.RETENTION_MONTHS]
    part.draw()
    win = casesections.win_back(customers, Analysis("win_back", options={"exclude": {"plan": ["annual"]}}), "en")
    eligible = customers[customers["plan"] != "annual"]
    cut = eligible["monetary"].quantile(0.7)
    targets = eligible[(eligible["monetary"] >= cut) & (eligible["churn_risk"] >= 0.5)]
    assert win.table.footer[0][1] == f"{len(targets):,}"
    assert f"{len(targets):,} customers" in win.text[0]
    assert "plan: annual" in win.text[1]


def test_an_analysis_whose_column_the_run_lacks_is_left_out(monkeypatch):
    monkeypatch.setitem(CASE_STUDIES, "footwear", (Analysis("mix", "platform"), Analysis("mix", "plan")))
    parts = casesections.parts("footwear", _customers(), None, "zh")
    assert [p.title for p in parts] == [i18n.t("case_mix_title", "zh", column=i18n.feature_label("plan", "zh"))]


def test_the_report_holds_the_case_section_only_when_the_params_name_a_case(tmp_path):
    from seglab.config import config_from_dict
    from seglab.report.render import report_sections
    from seglab.report.sections import ReportData, render_section

    customers = _customers()
    run = tmp_path
    _transactions(customers).to_parquet(run / "transactions_clean.parquet")
    features = customers.drop(columns=["segment", "segment_name"])
    assignments = customers[["customer_id", "segment", "segment_name"]]
    base = {"run_name": "c", "data": {"customers": "c.csv"}}
    plain = config_from_dict(base, base_dir=run)
    assert "case_study" not in report_sections(plain, run) or render_section(
        "case_study", ReportData(cfg=plain, segments={"segments": []}, features=features, assignments=assignments,
                                 run_dir=run), "en") == ""
    cfg = config_from_dict({**base, "report": {"case_study": "subscription",
                                                "sections": ["summary", "personas", "actions"]}}, base_dir=run)
    assert report_sections(cfg, run) == ["summary", "personas", "case_study", "actions"]
    data = ReportData(cfg=cfg, segments={"segments": []}, features=features, assignments=assignments, run_dir=run)
    text = visible_text(render_section("case_study", data, "en"))
    for key in ("sec_case_study", "case_retention_title", "case_winback_title"):
        assert i18n.t(key, "en") in text


def test_an_unknown_case_is_one_clear_params_error(tmp_path):
    from seglab.config import config_from_dict
    from seglab.errors import SeglabError

    with pytest.raises((SeglabError, ValueError)) as err:
        config_from_dict({"run_name": "c", "data": {"customers": "c.csv"}, "report": {"case_study": "bakery"}},
                         base_dir=tmp_path)
    assert "report.case_study" in str(err.value) and "online_education" in str(err.value)
