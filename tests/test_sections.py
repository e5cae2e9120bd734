"""Report sections: complete, offline, free of code and personal data, fully Chinese for zh."""

from __future__ import annotations

import base64
import html
import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from seglab import i18n
from seglab.campaign.handover import write_targeting
from seglab.campaign.rules import fit_rules
from seglab.config import SECTIONS
from seglab.demo.engine import VALUE_LABELS
from seglab.errors import SeglabError
from seglab.report.personas import build_personas
from seglab.report.sections import load_report_data, render_section
from seglab.report.style import report_css
from seglab.segment.kchoice import choose_k, k_reason_text, segmentation_warnings
from test_personas import make_cfg, synthetic_run

SEGMENTATION = {
    "method": "kprototypes", "k": 4, "k_fitted": 4, "k_reason": "k=4 has the best combined score",
    "features": {"numeric": ["age", "income", "recency", "frequency", "monetary"], "categorical": ["interest", "channel"]},
    "scores": [{"k": k, "cost": 1000.0 / k, "silhouette": s, "stability": st, "smallest_share": sh, "eligible": sh >= 0.05}
               for k, s, st, sh in ((2, 0.31, 0.95, 0.4), (3, 0.36, 0.9, 0.22), (4, 0.42, 0.93, 0.21), (5, 0.33, 0.7, 0.03))],
    "stability": {"k": 4, "mean_ari": 0.93, "runs": 5}, "gamma": {"value": 0.8, "source": "estimated"},
    "min_segment_share": 0.05,
}
_CUSTOMERS = {"rows_in": 800, "rows_clean": 760, "duplicates_merged": 25, "rows_quarantined": 15,
              # by_rule counts every event (repairs and merges too); quarantined_by_rule only rows set aside
              "by_rule": {"missing_id": 9, "out_of_range": 6, "imputed": 16, "category_variant": 20, "duplicate_key": 25},
              "quarantined_by_rule": {"missing_id": 9, "out_of_range": 6}, "merged_by_rule": {"duplicate_key": 25},
              "imputed": {"income": 12, "city": 4}, "missing": {"income": 12, "city": 4}, "invalid": {"age": 6},
              "repaired": {"gender": 20}, "capped": {"income": 2}, "values_checked": 775,
              # where each gap ended, at one point of the pipeline (seglab.clean.ledger.Ledger.settle_values)
              "values": {"age": {"missing": 0, "unusable": 6, "filled": 0, "left_missing": 0, "set_aside": 6, "capped": 0},
                         "city": {"missing": 4, "unusable": 0, "filled": 4, "left_missing": 0, "set_aside": 0, "capped": 0},
                         "income": {"missing": 12, "unusable": 1, "filled": 12, "left_missing": 0, "set_aside": 1,
                                    "capped": 2}},
              "imputation": {"income": {"strategy": "zero", "value": 0.0, "explained_by": "frequency", "count": 12},
                             "city": {"strategy": "mode", "value": "shanghai"}},
              "date_order": {"signup_date": {"order": "day first", "basis": "no value decides", "assumed": True}}}
_PLAUSIBILITY = {"checked": {"customers": {"age": {}, "income": {}, "signup_date": {}}, "transactions": {"amount": {}}},
                 "findings": [
                     {"source": "customers", "column": "income", "check": "absurd_magnitude", "count": 1,
                      "action": "set_missing", "examples": ["1e308"], "limit": 1e15},
                     {"source": "customers", "column": "income", "check": "outlier_high", "count": 2,
                      "action": "capped", "examples": ["98000", "45000"], "limit": 2480.5},
                     {"source": "transactions", "column": "amount", "check": "outlier_high", "count": 1,
                      "action": "capped", "examples": ["547050.0"], "limit": 190540.0}]}
_TRANSACTIONS = {"rows_in": 5000, "rows_clean": 4960, "duplicates_merged": 30, "rows_quarantined": 10,
                 "by_rule": {"bad_date": 10, "exact_duplicate": 30}, "quarantined_by_rule": {"bad_date": 10},
                 "imputed": {}, "missing": {}, "repaired": {}}
_TRANSACTIONS["date_order"] = {"order_date": {"order": "mixed", "basis": "both orders", "ambiguous": 37}}
QUALITY = {**_CUSTOMERS, "sources": {"customers": _CUSTOMERS, "transactions": _TRANSACTIONS},
           "plausibility": _PLAUSIBILITY}


def write_run(folder, language="en", **overrides):
    """A complete run folder from the synthetic base (what the stages would write)."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = {"columns.value_labels": VALUE_LABELS}  # the demo's vocabulary, labelled as data sets label theirs
    cfg = make_cfg(folder, language=language, **{"report.objectives": "Grow repeat purchases by 10% within six months.",
                                                   "personas.notes": {0: "Check the Chengdu stores."}, **labels,
                                                   **overrides})
    features, assignments = synthetic_run()
    segments = build_personas(features, assignments, cfg, as_of="2024-12-31")
    features.drop(columns=["email"]).to_parquet(folder / "features.parquet", index=False)
    assignments.to_csv(folder / "assignments.csv", index=False)
    (folder / "params.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
    for name, content in (("segments.json", segments), ("segmentation.json", SEGMENTATION), ("quality.json", QUALITY),
                          ("features.json", {"as_of": "2024-12-31", "transactions": True})):
        (folder / name).write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    rules = fit_rules(features, assignments["segment"].to_numpy(), model_features=SEGMENTATION["features"])
    (folder / "segment_rules.json").write_text(json.dumps(rules.as_dict()), encoding="utf-8")
    write_targeting(folder, segments=segments["segments"], assignments=assignments, features=features,
                    control_share=cfg.targeting.control_share, seed=cfg.seed, horizon_days=365, language=language)
    return folder


def _render(tmp_path_factory, language):
    folder = write_run(tmp_path_factory.mktemp(f"run_{language}"), language)
    data = load_report_data(folder)
    return language, data, {name: render_section(name, data, language) for name in SECTIONS}


@pytest.fixture(scope="module")
def report_en(tmp_path_factory):
    return _render(tmp_path_factory, "en")


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory):
    return _render(tmp_path_factory, "zh")


@pytest.fixture(params=["en", "zh"])
def report(request):
    """(language, data, {section: html}) for both languages."""
    return request.getfixturevalue(f"report_{request.param}")


class _Text(HTMLParser):
    """Visible text and alt/title attributes of a fragment (what a reader sees or hears);
    ``<kbd>`` (file names, columns, commands to type: the same in every language) left out."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script", "kbd")
        self.parts += [v for k, v in attrs if k in ("alt", "title") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script", "kbd")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    return "\n".join(parser.parts)


def test_every_section_renders_with_its_heading(report):
    language, _, html = report
    for name in SECTIONS:
        if name in ("changes", "case_study"):
            assert html[name] == ""  # no previous run to compare with; no case study named in the params
            continue
        assert f'id="sec-{name}"' in html[name], name
        assert i18n.t(f"sec_{name}", language) in html[name]


def test_summary_has_a_row_and_a_sentence_per_segment(report):
    _, data, html = report
    for s in data.segment_list:
        assert html["summary"].count(f'href="#persona-{s["id"]}"') == 1
        assert s["persona"]["summary"] in html["summary"]
        assert f'id="persona-{s["id"]}"' in html["personas"]
        assert s["name"] in html["personas"]
    assert "Check the Chengdu stores." in html["personas"]


def test_images_are_inline_pngs_with_alt_text_and_nothing_is_fetched(report):
    _, _, html = report
    page = "\n".join(html.values())
    imgs = re.findall(r"<img[^>]*>", page)
    # sizes, heatmap, one per persona card, grid, quarantine, k scores
    assert len(imgs) >= 5 + 4
    for img in imgs:
        src = re.search(r'src="data:image/png;base64,([^"]+)"', img).group(1)
        assert base64.b64decode(src)[:8] == b"\x89PNG\r\n\x1a\n"
        assert re.search(r'alt="[^"]{20,}"', img), img[:200]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "@import" not in page


def test_no_personal_data_or_code_in_the_report(report):
    _, data, html = report
    page = "\n".join(html.values())
    features, _ = synthetic_run()
    for value in list(features["email"]) + list(features["email_hash"]) + list(features["customer_id"]):
        assert value not in page
    for marker in ("import ", "def ", "Traceback", "render_section", "<code"):
        assert marker not in page


def test_quality_section_accounts_for_every_row(report):
    language, _, html = report
    text = visible_text(html["quality"])
    for n in ("800", "760", "25", "15", "5,000", "4,960"):
        assert n in text, n
    assert text.count(i18n.feature_label("income", language)) >= 1


def test_quarantine_chart_and_table_count_rows_set_aside_not_repairs(report):
    language, _, html = report
    text = visible_text(html["quality"])
    for rule in ("missing_id", "out_of_range", "bad_date"):
        assert i18n.t(f"rule_{rule}", language) in text
    assert i18n.t("rule_category_variant", language) not in text
    assert html["quality"].count("<img") == 1


def _tables(fragment: str) -> list[list[list[str]]]:
    """Every table of an HTML fragment as rows of cell texts (header row first)."""
    out = []
    for table in re.findall(r"<table.*?</table>", fragment, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        out.append([[visible_text(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows])
    return out


def test_quality_table_adds_up_per_field_and_says_so(report):
    language, _, html = report
    values = next(t for t in _tables(html["quality"]) if t[0][2] == i18n.t("col_invalid", language))
    number = lambda text: int(text.replace(",", ""))  # noqa: E731
    for row in values[1:]:
        missing, unusable, filled, _, left, aside = row[1], row[2], row[3], row[4], row[5], row[6]
        assert number(missing) + number(unusable) == number(filled) + number(left) + number(aside), row
    assert len(values) == 1 + 4  # header; age, city, income with gaps; gender with corrected spellings only
    assert i18n.t("quality_values_note", language, checked="775") in visible_text(html["quality"])
    income = next(r for r in values if r[0] == i18n.feature_label("income", language))
    assert income[4] == i18n.t("fill_explained_zero", language, other=i18n.feature_label("frequency", language))
    assert income[8] == "2"  # capped


def test_implausible_values_are_listed_with_examples_and_what_was_done(report):
    language, _, html = report
    found = next(t for t in _tables(html["quality"]) if t[0][-1] == i18n.t("col_done", language))
    assert len(found) == 1 + 3 + 1  # header, three findings, the ambiguous order dates
    assert found[1][2] == i18n.t("plaus_check_absurd_magnitude", language) and found[1][4] == "1e308"
    assert found[2][5] == i18n.t("plaus_done_capped", language, limit="2,481")  # 2,480.5, rounded half up
    assert found[4][3] == "37" and found[4][2] == i18n.t("plaus_check_ambiguous_date", language)
    text = visible_text(html["quality"])
    assert i18n.t("date_order_assumed", language, field=i18n.feature_label("signup_date", language)) in text


def test_method_section_shows_scores_per_k(report):
    language, _, html = report
    text = visible_text(html["method"])
    for value in ("0.42", "0.93", "0.33"):
        assert value in text
    assert html["method"].count("<tr>") >= 5


def test_chinese_report_has_no_english_interface_text(report_zh):
    _, data, html = report_zh
    text = visible_text("\n".join(html.values()))
    # Data values may stay as they are: category values, column names, the analyst's texts.
    values = {data.cfg.report.objectives, *data.cfg.personas.notes.values()}
    for col in data.features.columns:
        values.add(col)
        if data.features[col].dtype == object or str(data.features[col].dtype).startswith("str"):
            values |= set(data.features[col].dropna().astype(str).unique())
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, " ")
    leftover = sorted(set(re.findall(r"[A-Za-z]{2,}", text)))
    assert not leftover, leftover


def test_english_k_reason_only_in_english(report):
    language, _, html = report
    assert ("has the best combined score" in html["method"]) == (language == "en")


def test_objectives_section_is_empty_without_objectives(tmp_path):
    data = load_report_data(write_run(tmp_path / "run", **{"report.objectives": None}))
    assert render_section("objectives", data, "en") == ""


def test_unknown_section_is_a_clear_error(tmp_path):
    data = load_report_data(write_run(tmp_path / "run"))
    with pytest.raises(SeglabError, match="unknown section 'apendix'"):
        render_section("apendix", data, "en")


def test_missing_run_folder_files_are_clear_errors(tmp_path):
    with pytest.raises(SeglabError, match="params.yaml: not found"):
        load_report_data(tmp_path)
    folder = write_run(tmp_path / "run")
    (folder / "segments.json").unlink()
    with pytest.raises(SeglabError, match="segments.json: not found"):
        load_report_data(folder)


def test_report_without_transactions_says_so(tmp_path):
    folder = tmp_path / "run"
    write_run(folder)
    cfg = yaml.safe_load((folder / "params.yaml").read_text(encoding="utf-8"))
    features, assignments = synthetic_run(transactions=False)
    from seglab.config import config_from_dict

    segments = build_personas(features, assignments, config_from_dict(cfg, base_dir=folder))
    (folder / "segments.json").write_text(json.dumps(segments), encoding="utf-8")
    features.drop(columns=["email"]).to_parquet(folder / "features.parquet", index=False)
    data = load_report_data(folder)
    assert i18n.t("value_risk_none", "en") in render_section("value_risk", data, "en")
    assert "<img" in render_section("segments", data, "en")


def test_changes_section_uses_the_comparison_when_present(tmp_path):
    folder = write_run(tmp_path / "run")
    comparison = {"run_a": "demo/a", "run_b": "demo/b", "match_rule": "rule", "threshold": 0.5,
                  "customers": {"a": 10, "b": 10, "in_both": 9, "only_a": 1, "only_b": 1},
                  "matches": [{"segment_a": 0, "segment_b": 0, "name_a": "Old", "name_b": "New", "size_a": 5, "size_b": 6,
                               "size_change": 1, "retention": 0.8}],
                  "emerged": [], "vanished": [],
                  "migration": {"rows": [0], "columns": [0], "counts": [[5]], "shares": [[1.0]]}}
    (folder / "compare.json").write_text(json.dumps(comparison), encoding="utf-8")
    html = render_section("changes", load_report_data(folder), "en")
    assert i18n.t("changes_title", "en") in html and "New" in html


def test_stylesheet_prints_clean_pages():
    css = report_css()
    assert "@media print" in css and "@page" in css and "break-inside: avoid" in css
    assert "url(" not in css  # nothing fetched


def test_chinese_stylesheet_embeds_the_font_subset_it_needs():
    text = "执行摘要：年轻跑步移动端购物者"
    css = report_css("zh", text)
    data = re.search(r"url\(data:font/otf;base64,([^)]+)\)", css).group(1)
    raw = base64.b64decode(data)
    assert 1_000 < len(raw) < 400_000
    from io import BytesIO

    from fontTools.ttLib import TTFont

    cmap = TTFont(BytesIO(raw)).getBestCmap()
    assert all(ord(c) in cmap for c in text)
    assert '"seglab CJK"' in css


def test_campaign_section_states_the_plan_and_the_rules_agreement(report):
    language, data, html = report
    text = visible_text(html["targeting"])
    for r in data.plan.itertuples():
        assert i18n.integer(r.treatment) in text and i18n.integer(r.control) in text
    assert i18n.percent(data.rules["agreement"], 1) in text
    assert "<kbd>targeting/segment_rules.sql</kbd>" in html["targeting"]
    for s in data.segment_list:  # every persona card says how to find the segment
        card = html["personas"].split(f'id="persona-{s["id"]}"')[1].split("</article>")[0]
        assert i18n.t("card_find", language) in card


def test_campaign_section_warns_about_small_control_groups(tmp_path):
    folder = write_run(tmp_path / "run", **{"targeting.control_share": 0.02})
    data = load_report_data(folder)
    assert (data.plan["control"] < 30).any()
    assert 'class="warning"' in render_section("targeting", data, "en")


def _chosen_run(tmp_path, language):
    """A run whose segmentation.json carries what fit_segmentation writes: the k facts and warnings."""
    rows = [dict(r, distinct=r["k"] < 5) for r in SEGMENTATION["scores"]]
    k, reason, facts = choose_k(rows, 0.05, total_cost=1500.0, costs={6: 160.0})
    seg = {**SEGMENTATION, "scores": rows, "k_fitted": k, "k": k, "k_reason": reason, "k_choice": facts,
           "k_requested": "auto", "quality": {"silhouette": 0.18}, "stability": {"k": k, "mean_ari": 0.62, "runs": 5}}
    seg["warnings"] = segmentation_warnings(seg)
    folder = write_run(tmp_path / f"run_{language}", language)
    (folder / "segmentation.json").write_text(json.dumps(seg, ensure_ascii=False), encoding="utf-8")
    return seg, load_report_data(folder)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_summary_warns_of_weak_separation_and_instability(tmp_path, language):
    seg, data = _chosen_run(tmp_path, language)
    assert [w["code"] for w in seg["warnings"]] == ["weak_separation", "unstable"]
    page = render_section("summary", data, language)
    warnings = re.findall(r'<p class="warning">(.*?)</p>', page)
    assert len(warnings) == 2
    assert i18n.number(0.18, 2) in warnings[0] and i18n.number(0.62, 2) in warnings[1]
    # said before the summary table, where a reader starts
    assert page.index('class="warning"') < page.index("<table")
    if language == "zh":
        assert not re.findall(r"[A-Za-z]{2,}", visible_text(page).replace(data.cfg.report.objectives or "", ""))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_method_table_has_a_column_per_test_of_the_rule(tmp_path, language):
    seg, data = _chosen_run(tmp_path, language)
    page = render_section("method", data, language)
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", page[page.index(i18n.t("col_eligible", language)) - 200:]).group(1)
    for col in ("eligible", "stable", "distinct", "elbow"):
        assert i18n.t(f"col_{col}", language) in header
    # the reason, in the report's language, names the k of the table and the tests larger k fail
    assert html.escape(k_reason_text("rule", seg["k_choice"], language), quote=False) in page
    assert seg["k_choice"]["k"] == 4 and "k=5" in k_reason_text("rule", seg["k_choice"], language)


def test_method_section_of_a_given_k_does_not_claim_a_search(tmp_path):
    seg = {**SEGMENTATION, "scores": [dict(SEGMENTATION["scores"][2], distinct=True)], "k_requested": 4,
           "k_choice": {"case": "given", "k": 4}, "k_reason": "k=4 was given in segmentation.k."}
    folder = write_run(tmp_path / "run")
    (folder / "segmentation.json").write_text(json.dumps(seg), encoding="utf-8")
    text = visible_text(render_section("method", load_report_data(folder), "en"))
    assert "was given in the params" in text and "four tests" not in text
    assert "k=4 was given in segmentation.k." in text
