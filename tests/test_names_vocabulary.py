"""Names and vocabulary: column headers in words, names that read naturally, no odd or offensive words.

The Mall and wholesale files (/work/shared/data) name their columns as exports do
("Annual Income (k$)", "Detergents_Paper"); names built from them must read as a
marketer would say them. The shared files are used when present; the planted
tables below need nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from seglab import i18n
from seglab.config import config_from_dict
from seglab.errors import ParamsError
from seglab.i18n import headers, screening
from seglab.report import naming
from seglab.report.profiles import Trait

SHARED = Path("/work/shared/data")


@pytest.mark.parametrize("header, words", [
    ("Annual Income (k$)", "annual income"),
    ("Spending Score (1-100)", "spending score"),
    ("MntWines", "spend on wines"),
    ("NumWebPurchases", "number of web purchases"),
    ("Detergents_Paper", "detergents and paper"),
    ("Delicassen", "delicatessen"),
    ("customerID", "customer ID"),
    ("tech_enthusiasm", "tech enthusiasm"),
    ("GDP_per_capita", "GDP per capita"),
    ("收入（元）", "收入"),
])
def test_headers_read_as_words(header, words):
    assert headers.humanise(header) == words


def test_a_header_in_words_finds_the_tables_translation():
    assert i18n.feature_label("Annual Income (k$)", "en") == "annual income"
    assert i18n.feature_label("Annual Income (k$)", "zh") == "年收入"
    assert i18n.feature_label("Spending Score (1-100)", "zh") == "消费评分"
    assert i18n.feature_label("MntWines", "en") == "spend on wines"


def test_params_labels_win_for_every_language_or_their_own(tmp_path):
    raw = {"run_name": "x", "data": {"customers": "c.csv"},
           "columns": {"labels": {"Genre": "gender", "zh": {"Genre": "性别"}}}}
    cfg = config_from_dict(raw, base_dir=tmp_path)
    assert cfg.columns.column_labels("en") == {"Genre": "gender"}
    assert cfg.columns.column_labels("zh") == {"Genre": "性别"}
    with i18n.value_labels({}, cfg.columns.column_labels("en")):
        assert i18n.feature_label("Genre", "en") == "gender"
    assert i18n.feature_label("Genre", "en") == "genre"  # outside the block: the header in words


def test_labels_keyed_by_something_not_a_language_are_refused(tmp_path):
    raw = {"run_name": "x", "data": {"customers": "c.csv"}, "columns": {"labels": {"fr": {"Genre": "sexe"}}}}
    with pytest.raises(ParamsError, match="labels"):
        config_from_dict(raw, base_dir=tmp_path)


def _num(feature, high, score=1.0):
    return Trait("numeric", feature, score, high=high, index=150.0 if high else 60.0)


def _cat(feature, value, share=0.8, score=0.9):
    return Trait("category", feature, score, value=value, share=share, base_share=0.3, index=share / 0.3 * 100)


def _word_count(name):
    return len(name.split())


def test_mall_headers_make_adjectives_not_stacked_column_names():
    name = naming.generate_name([_num("Age", False, 1.2), _num("Annual Income (k$)", False, 1.1),
                                 _num("Spending Score (1-100)", True, 1.0)], "en")
    assert name == "Young low-income high-spending customers"
    assert not re.search(r"\(|\)|\$|Score|Income", name)


def test_names_stay_within_five_words():
    found = [_num("tech_enthusiasm", True, 1.5), _cat("activity", "running", score=1.4),
             _cat("city", "urban", score=1.3), _cat("lifestyle", "active", score=1.2), _num("age", False, 1.0)]
    name = naming.generate_name(found, "en", take=5)
    assert _word_count(name) <= naming.MAX_WORDS, name


def test_a_value_is_never_repeated_next_to_its_column():
    assert naming.generate_name([_cat("region", "west region")], "en") == "West region customers"
    assert naming.generate_name([_cat("climate", "cold")], "en") == "Cold climate customers"


def test_minority_values_months_placeholders_and_offensive_words_stay_out_of_names():
    lead = _num("age", False, 0.5)
    assert "default" not in naming.generate_name([_cat("default", "yes", share=0.083), lead], "en")
    assert "may" not in naming.generate_name([_cat("month", "may", share=0.6), lead], "en").lower()
    assert "unknown" not in naming.generate_name([_cat("occupation", "unknown"), lead], "en").lower()
    assert "A12" not in naming.generate_name([_cat("plan", "A12"), lead], "en")
    assert "losers" not in naming.generate_name([_cat("club", "losers"), lead], "en")
    assert "屌丝" not in naming.generate_name([_cat("interest", "屌丝"), lead], "zh")


def test_screening_checks_whole_words_and_chinese_substrings():
    assert screening.offensive("Cheapskates club") and screening.offensive("屌丝用户")
    assert not screening.offensive("Fattoria") and not screening.offensive("跑步")
    assert screening.placeholder("Other") and screening.placeholder("3") and not screening.placeholder("Chengdu")
    assert screening.repeats("west region", "region") and not screening.repeats("west", "region")


@pytest.mark.parametrize("audience, noun", [("learners", "learners"), ("accounts", "accounts"),
                                            ("subscribers", "subscribers"), ("guests", "guests")])
def test_the_audience_is_the_noun(audience, noun):
    assert naming.generate_name([_num("age", False)], "en", audience=audience) == f"Young {noun}"
    assert naming.generate_name([], "en", audience=audience) == f"Mainstream {noun}"


def test_the_audience_is_validated(tmp_path):
    raw = {"run_name": "x", "data": {"customers": "c.csv"}, "report": {"audience": "shoppers"}}
    with pytest.raises(ParamsError, match="audience"):
        config_from_dict(raw, base_dir=tmp_path)


def test_chinese_names_put_place_first_and_end_with_a_noun_for_people():
    found = [_num("recency", True, 1.5), _cat("region", "northeast", score=1.2), _cat("occupation", "retired", score=1.1)]
    with i18n.value_labels({"region": {"northeast": "东北"}, "occupation": {"retired": "退休人员"}}):
        name = naming.generate_name(found, "zh")
    assert name == "东北流失退休人员", name  # a value that names people ends the name: no noun after it
    with i18n.value_labels({"region": {"northeast": "东北"}, "occupation": {"retired": "退休"}}):
        assert naming.generate_name(found, "zh") == "东北流失退休顾客"
    assert " " not in name


@pytest.mark.skipif(not (SHARED / "Mall_Customers.csv").exists(), reason="shared data not present")
def test_mall_names_read_naturally(tmp_path):
    data = pd.read_csv(SHARED / "Mall_Customers.csv", dtype={"CustomerID": str})
    segment = (data["Spending Score (1-100)"] <= 60).astype(int) + (data["Age"] > 45).astype(int)
    features = data.rename(columns={"CustomerID": "customer_id"})
    features["Genre"] = features["Genre"].str.lower()
    assignments = pd.DataFrame({"customer_id": features["customer_id"], "segment": segment})
    raw = {"run_name": "mall", "data": {"customers": "c.csv"},
           "columns": {"customer_id": "CustomerID", "numeric": ["Age", "Annual Income (k$)", "Spending Score (1-100)"],
                       "categorical": ["Genre"]}}
    cfg = config_from_dict(raw, base_dir=tmp_path)
    names = naming.name_segments(features, assignments, cfg)
    for name in names.values():
        assert not re.search(r"[()$]|Score|Annual", name), name
        assert _word_count(name) <= naming.MAX_WORDS, name
    assert "spending" in names[0].lower()


# ------------------------------------------------------------------ the Chinese edition

def test_the_eight_class_rfm_map_is_selectable_and_covers_every_score(tmp_path):
    from seglab.features.build import rfm_rules  # lazy: only this test reads the rules
    rules = rfm_rules("eight_class")
    assert len(rules) == 8
    labels = {i18n.value_label("rfm_segment", r["name"], "zh") for r in rules}
    assert labels == {f"{a}{b}客户" for a in ("重要", "一般") for b in ("价值", "发展", "保持", "挽留")}
    first = {(r, f, m): next(rule["name"] for rule in rules if all(rule[d][0] <= s <= rule[d][1]
                                                                    for d, s in zip("rfm", (r, f, m))))
             for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert first[(5, 5, 5)] == "Important Value" and first[(1, 1, 1)] == "General Win-back"
    assert first[(5, 1, 5)] == "Important Development" and first[(1, 5, 5)] == "Important Retention"
    raw = {"run_name": "x", "data": {"customers": "c.csv"}, "features": {"rfm_map": "eight_class"}}
    assert config_from_dict(raw, base_dir=tmp_path).features.rfm_map == "eight_class"
    with pytest.raises(ParamsError, match="rfm_map"):
        config_from_dict({**raw, "features": {"rfm_map": "nine_class"}}, base_dir=tmp_path)


def test_chinese_rfm_terms_are_the_standard_ones():
    assert i18n.t("term_recency", "zh").startswith("最近一次消费")
    assert i18n.t("term_frequency", "zh").startswith("消费频率")
    assert i18n.t("term_monetary", "zh").startswith("消费金额")
    zh = " ".join(i18n.table("zh").values())
    for wrong in ("近度", "频度", "额度", "冠军客户", "一个回来的好理由", "中间一半"):
        assert wrong not in zh, wrong


def test_ages_read_in_years_in_chinese():
    from seglab.report.personas import format_value  # lazy: the persona module is heavy
    assert format_value("age", 34.0, "zh") == "34岁"


def test_title_client_and_objectives_per_language(tmp_path):
    raw = {"run_name": "x", "language": "zh", "data": {"customers": "c.csv"},
           "title": {"en": "Segmentation", "zh": "客户细分"}, "client": "ACME",
           "report": {"objectives": {"en": "Find the groups"}}}
    cfg = config_from_dict(raw, base_dir=tmp_path)
    assert (cfg.title, cfg.client, cfg.report.objectives) == ("客户细分", "ACME", "Find the groups")
    assert cfg.untranslated() == ["client", "report.objectives"]
    en = config_from_dict({**raw, "language": "en"}, base_dir=tmp_path)
    assert en.title == "Segmentation" and en.untranslated() == []
    with pytest.raises(ParamsError, match="title"):
        config_from_dict({**raw, "title": {"fr": "Segmentation"}}, base_dir=tmp_path)


def test_a_chinese_report_says_which_texts_are_english_only(tmp_path):
    from seglab.report.render import untranslated_note  # lazy: the renderer loads templates
    raw = {"run_name": "x", "language": "zh", "data": {"customers": "c.csv"}, "title": "Segmentation",
           "client": "客户"}
    note = untranslated_note(config_from_dict(raw, base_dir=tmp_path))
    assert len(note) == 1 and "标题" in note[0] and "客户名称" not in note[0]


def test_a_chinese_report_names_the_columns_it_cannot_say_in_chinese(tmp_path):
    from seglab.report.render import unlabelled_columns, untranslated_note  # lazy: the renderer loads templates
    raw = {"run_name": "x", "language": "zh", "title": "细分", "client": "客户", "data": {"customers": "c.csv"},
           "columns": {"numeric": ["Annual Income (k$)", "weekly_minutes"], "categorical": ["Genre", "city"],
                       "labels": {"zh": {"Genre": "性别"}},
                       "value_labels": {"zh": {"Genre": {"female": "女性"}}}}}
    cfg = config_from_dict(raw, base_dir=tmp_path)
    assert unlabelled_columns(cfg) == ["weekly_minutes", "city"]  # city's values have no Chinese labels
    assert "weekly_minutes" in untranslated_note(cfg)[0]
    assert unlabelled_columns(config_from_dict({**raw, "language": "en"}, base_dir=tmp_path)) == []


def test_the_audience_counts_the_segment_in_its_sentences(tmp_path):
    from seglab.report.personas import build_personas  # lazy: the persona module is heavy
    from test_personas import make_cfg, synthetic_run
    features, assignments = synthetic_run(transactions=False)
    for language, word in (("en", "learners"), ("zh", "位学员")):
        cfg = make_cfg(tmp_path, **{"report.audience": "learners", "language": language})
        segment = build_personas(features, assignments, cfg)["segments"][0]
        assert word in segment["persona"]["who"] and word in segment["persona"]["summary"]
        first = re.split(r"[.。]", segment["persona"]["who"])[0]  # the size sentence; comparisons still say customers
        assert "customers" not in first and "顾客" not in first


def test_services_audiences_buy_tickets_not_baskets():
    trait = _num("aov", True)
    assert naming.generate_name([trait], "en") == "Big-basket customers"
    assert naming.generate_name([trait], "en", audience="accounts") == "Big-ticket accounts"
