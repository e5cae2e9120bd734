"""One risk language: the client reads churn risk with its basis, never P(alive) beside it;
the method section says which model gave churn risk and why, with the holdout figure."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from seglab import i18n
from seglab.config import SECTIONS
from seglab.features.build import build_features
from seglab.report.personas import build_personas
from seglab.report.profiles import profile_matrix
from seglab.report.sections import load_report_data, render_section
from test_features import _simulate_bgnbd
from test_model_health import _lapsed_population
from test_personas import make_cfg, synthetic_run
from test_sections import write_run

STILL_ACTIVE = re.compile(r"still (being )?active|仍(然)?活跃", re.I)


@pytest.fixture(scope="module")
def with_p_alive():
    features, assignments = synthetic_run()
    # a P(alive) that is not 1 - churn_risk, as with the overdue rule or one-time buyers
    features["p_alive"] = np.where(features["frequency"] > 1, 1 - 0.5 * features["churn_risk"], np.nan)
    features["churn_risk_basis"] = np.where(features["frequency"] > 1, "bgnbd", "recency")
    return features, assignments


@pytest.mark.parametrize("language", ["en", "zh"])
def test_personas_show_churn_risk_and_never_p_alive(with_p_alive, tmp_path, language):
    features, assignments = with_p_alive
    cfg = make_cfg(tmp_path, language=language)
    result = build_personas(features, assignments, cfg)
    for s in result["segments"]:
        shown = {p["feature"] for p in s["profile"]["numeric"]}
        assert "churn_risk" in shown and "p_alive" not in shown
        assert not STILL_ACTIVE.search(json.dumps(s, ensure_ascii=False))
    assert "p_alive" not in {n["feature"] for n in result["base"]["numeric"]}
    matrix, _ = profile_matrix(features, assignments, cfg, language=language)
    assert i18n.feature_label("churn_risk", language) in matrix.index
    assert i18n.feature_label("p_alive", language) not in matrix.index


def test_no_client_text_calls_a_customer_still_active():
    for language in ("en", "zh"):
        table = i18n.table(language)
        said = [k for k, v in table.items() if STILL_ACTIVE.search(v)]
        assert said == []
        assert not any(k.startswith(("sentence_p_alive", "name_p_alive")) for k in table)


def _features_meta(population):
    customers, lines, as_of = population
    _, meta = build_features(customers, lines, as_of=as_of)
    return meta


@pytest.fixture(scope="module")
def failed_meta():
    return _features_meta(_lapsed_population())


@pytest.fixture(scope="module")
def used_meta():
    return _features_meta(_simulate_bgnbd(500, seed=3, days=720))


def _method(tmp_path, meta, language, sections=("method",)):
    folder = write_run(tmp_path / language, language)
    (folder / "features.json").write_text(json.dumps(meta), encoding="utf-8")
    data = load_report_data(folder)
    return {name: render_section(name, data, language) for name in sections}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_method_section_says_the_model_was_not_used_and_why(tmp_path, failed_meta, language):
    assert not failed_meta["clv"]["used"]
    html = _method(tmp_path, failed_meta, language)["method"]
    holdout = failed_meta["clv"]["health"]["holdout"]
    life = failed_meta["lifecycle"]
    t = lambda key, **f: i18n.t(key, language, **f)  # noqa: E731
    assert t("clv_fail_parameters") in html
    start = t("method_clv_not_used", reasons="@@", active=i18n.integer(life["active_days"]),
              churned=i18n.integer(life["churned_days"])).split("@@")
    assert start[0] in html and start[1] in html
    # this degenerate calibration fit cannot even predict the holdout: said, and no chart
    assert "buckets" not in holdout and t("clv_fail_predictions") in html
    assert t("method_clv_figure", date=holdout["calibration_end"], days="365") not in html


def test_method_section_says_the_model_was_used_with_its_evidence(tmp_path, used_meta):
    c = used_meta["clv"]
    assert c["used"], c["reason"]
    sections = _method(tmp_path, used_meta, "en", SECTIONS)
    html = sections["method"]
    total = c["health"]["holdout"]["total"]
    assert "which passed its checks" in html
    assert f"it predicted {i18n.integer(total['predicted'])} repeat purchases" in html
    assert f"{i18n.integer(total['actual'])} happened" in html
    assert html.count("<img") >= 2  # the k scores and the holdout chart
    for b in c["health"]["holdout"]["buckets"]:  # its alt text has the numbers of features.json
        item = f"{b['frequency']}: predicted {i18n.number(b['predicted'], 2)}, actual {i18n.number(b['actual'], 2)}"
        assert item in html
    report = " ".join(sections.values())
    assert not STILL_ACTIVE.search(re.sub(r"<[^>]+>", " ", report))
    assert "purchase model where it passed its checks" in sections["glossary"]
