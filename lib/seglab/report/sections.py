"""The client report's sections, each an HTML fragment built only from a run's artifacts.

A section never shows code or personal data; every figure is an inline PNG
with alt text, so the page opens offline. The same fragments serve the
``05_report`` notebook (displayed as HTML) and the direct export.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import yaml

from seglab import i18n, numbers
from seglab.artifacts import read_assignments
from seglab.campaign.rules import SegmentRules, describe_segment
from seglab.config import RunConfig, config_from_dict
from seglab.errors import SeglabError
from seglab.features import value_risk as targeting
from seglab.io.outputs import read_csv
from seglab.report import answers, casesections, casestudy, figures, personas, profiles
from seglab.report import portfolio as portfolio_views
from seglab.report.compare import comparison_fragment
from seglab.report.templating import Figure, Link, Markup, Table, render
from seglab.segment.kchoice import K_CASES, SCORE_DIGITS, k_reason_text, warning_text

log = logging.getLogger("seglab")

MIX_LIMIT = 5      # categories shown per mix before "other"
TRAIT_BARS = 8     # bars in a persona card's figure
SPREAD_MIN = 0.05  # cells holding less of a segment are summed as "other"


@dataclass
class ReportData:
    """Everything a report section may show, read from one run folder."""

    cfg: RunConfig
    segments: dict
    segmentation: dict = field(default_factory=dict)
    features_meta: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    assignments: pd.DataFrame | None = None
    features: pd.DataFrame | None = None
    comparison: dict | None = None   # compare.json of a previous run, for the "changes" section
    run_dir: Path | None = None
    rules: dict = field(default_factory=dict)        # segment_rules.json
    targeting: dict = field(default_factory=dict)    # targeting/targeting.json
    plan: pd.DataFrame | None = None                 # targeting/campaign_plan.csv

    @property
    def segment_list(self) -> list[dict]:
        return self.segments.get("segments", [])

    @cached_property
    def palette(self) -> dict:
        return figures.segment_palette([s["id"] for s in self.segment_list])

    @property
    def names(self) -> dict:
        return {int(s["id"]): s["name"] for s in self.segment_list}

    @cached_property
    def shown(self) -> dict:
        """Each segment's shares as printed everywhere (rounded together to add up to 100 %)."""
        return personas.share_texts(self.segment_list)


def load_report_data(run_dir) -> ReportData:
    """Read a run folder's artifacts (the report's only inputs).

    ``segments.json`` and ``params.yaml`` are required; the rest is shown when
    present. ``compare.json`` (written by ``seglab compare`` into the later
    run's folder) feeds the optional "changes" section.
    """
    run_dir = Path(run_dir)

    def read_json(name, required=False):
        path = run_dir / name
        if not path.exists():
            if required:
                raise SeglabError(f"{path}: not found; run the stages before the report (seglab run PARAMS.yaml)")
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

    params = run_dir / "params.yaml"
    if not params.exists():
        raise SeglabError(f"{params}: not found; {run_dir} is not a run folder")
    cfg = config_from_dict(yaml.safe_load(params.read_text(encoding="utf-8")), base_dir=run_dir, source=params)
    assignments = (read_assignments(run_dir)
                   if (run_dir / "assignments.csv").exists() else None)
    features = pd.read_parquet(run_dir / "features.parquet") if (run_dir / "features.parquet").exists() else None
    plan_path = run_dir / "targeting" / "campaign_plan.csv"
    plan = read_csv(plan_path) if plan_path.exists() else None
    return ReportData(cfg=cfg, segments=read_json("segments.json", required=True),
                      segmentation=read_json("segmentation.json"), features_meta=read_json("features.json"),
                      quality=read_json("quality.json"), assignments=assignments, features=features,
                      comparison=read_json("compare.json") or None, run_dir=run_dir,
                      rules=read_json("segment_rules.json"), targeting=read_json("targeting/targeting.json"), plan=plan)


def render_section(name: str, data: ReportData, language: str) -> str:
    """One report section as an HTML fragment ("" when it has nothing to show).

    Parameters
    ----------
    name : str
        One of :data:`seglab.config.SECTIONS`.
    data : ReportData
        From :func:`load_report_data`.
    language : {"en", "zh"}
    """
    try:
        renderer = RENDERERS[name]
    except KeyError:
        raise SeglabError(f"report.sections: unknown section {name!r}; choose from {', '.join(RENDERERS)}") from None
    with i18n.value_labels(data.cfg.columns.value_labels_in(language), data.cfg.columns.column_labels(language)):
        return renderer(data, language)


# ------------------------------------------------------------------ building blocks

def _swatch_colour(data: ReportData, sid: int) -> str:
    r, g, b = (int(round(255 * c)) for c in data.palette[int(sid)][:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _segment_link(data: ReportData, s: dict) -> Link:
    """A segment as a table cell: its colour and a link to its persona card."""
    return Link(s["name"], f"#persona-{int(s['id'])}", _swatch_colour(data, s["id"]))


def _image(draw, alt: str, language: str, cls: str = "figure") -> Figure:
    """Run ``draw()`` in the seglab style and keep the PNG inline with its alt text.

    A label that no installed font can draw (Chinese values without a Chinese
    font) would show as empty boxes: that is logged, not left to matplotlib's stderr.
    """
    with figures.figure_context(language), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = draw()
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", metadata={"Software": None})
        figures.close(ax)
    missing = [w for w in caught if "missing from font" in str(w.message)]
    if missing:
        log.warning("a chart has characters that no installed font can draw (%s); they show as empty boxes: "
                    "install a Chinese font (apt-get install fonts-noto-cjk) or set %s", missing[0].message,
                    figures.FONT_ENV)
    for w in caught:
        if w not in missing:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return Figure("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), alt, cls)


def _tr(language: str):
    """``t(key, **fields)`` bound to one language."""
    def t(key: str, /, **fields) -> str:
        return i18n.t(key, language, **fields)
    return t


def _tm(language: str):
    """Like :func:`_tr`, for sentences that hold file names or commands as ``<kbd>``: the
    language table's text is trusted markup, every field is escaped unless it is Markup."""
    def t(key: str, /, **fields) -> Markup:
        return Markup(i18n.t(key, language)).format(**fields)
    return t


def _code(text: str) -> Markup:
    """A file name, column, params key or command the reader types: the same in every language."""
    return Markup("<kbd>{}</kbd>").format(text)


def _render(name: str, language: str, **context) -> str:
    """A section's template with its title and the language's ``t``."""
    return str(render(f"sections/{name}.html.j2", name=name, title=i18n.t(f"sec_{name}", language),
                      t=_tr(language), **context))


def _priority(p, language: str) -> str:
    return i18n.t("priority_none", language) if p is None else i18n.t("priority_rank", language, rank=p)


def _cell_name(s: dict, language: str) -> str:
    vr = s.get("value_risk")
    return vr["name"] if vr and vr.get("name") else i18n.t("not_available", language)


# ------------------------------------------------------------------ sections

def summary(data: ReportData, language: str) -> str:
    """Segments at a glance: a table and one sentence each."""
    t = _tr(language)
    segs = data.segment_list
    base = data.segments.get("base", {})
    has_revenue = any(s.get("revenue_share") is not None for s in segs)
    method = data.segmentation.get("method") or data.cfg.segmentation.method
    intro = t("summary_intro", customers=numbers.integer(base.get("customers")), k=len(segs),
              method=i18n.get(f"method_{method}", language, method))
    has_money = has_revenue and all(s.get("money") for s in segs)
    header = [t("col_segment"), t("col_customers"), t("col_share")]
    header += [t("col_revenue_share")] if has_revenue else []
    header += [t("col_revenue")] if has_money else []
    header += [t("col_cell"), t("col_priority")]
    rows = []
    for s in segs:
        vr = s.get("value_risk") or {}
        shown = data.shown[int(s["id"])]
        row = [_segment_link(data, s), numbers.integer(s["size"]), shown["share"]]
        row += [shown["revenue_share"]] if has_revenue else []
        row += [_money(data, s["money"]["revenue"], language)] if has_money else []
        row += [_cell_name(s, language), _priority(vr.get("priority"), language)]
        rows.append(row)
    total = [t("col_total"), numbers.integer(sum(s["size"] for s in segs)), _total(s["share"] for s in segs)]
    total += [_total(s.get("revenue_share") for s in segs)] if has_revenue else []
    total += [_money(data, base.get("revenue"), language)] if has_money else []
    total += ["", ""]
    numeric = ({1, 2, 3, 4} if has_money else {1, 2, 3}) if has_revenue else {1, 2}
    one_liners = [Link(s["persona"]["summary"], None, _swatch_colour(data, s["id"])) for s in segs]
    # Weak separation, instability, no clear k or fewer segments than asked: said before the table.
    cautions = [warning_text(w, language) for w in data.segmentation.get("warnings") or []]
    money = _summary_money(data, language) if has_money else []
    return _render("summary", language, intro=intro, warnings=cautions, money=money,
                   main_table=Table(header, rows, frozenset(numeric), "summary", footer=[total]), one_liners=one_liners)


def _summary_money(data: ReportData, language: str) -> list:
    """The base's money in a few sentences: revenue, yearly spend and what is at risk, predicted spend."""
    t = _tr(language)
    segs = data.segment_list
    base = data.segments.get("base", {})

    def total(key):
        values = [(s.get("money") or {}).get(key) for s in segs]
        return sum(values) if values and all(v is not None for v in values) else None

    out = [t("summary_revenue", revenue=_money(data, base.get("revenue"), language),
             customers=numbers.integer(base.get("customers")), noun=_noun(data, language),
             as_of=base.get("as_of") or "–")]
    yearly, at_risk = total("yearly_spend"), total("at_risk")
    if yearly is not None and at_risk is not None:
        out.append(t("summary_at_risk", yearly=_money(data, yearly, language), at_risk=_money(data, at_risk, language),
                     share=numbers.percent(at_risk / yearly if yearly else None)))
    clv, days = total("clv_predicted"), next(((s.get("money") or {}).get("horizon_days") for s in segs), None)
    if clv is not None and days:
        out.append(t("summary_clv", horizon=horizon_text(days, language), clv=_money(data, clv, language)))
    note = _currency_note(data, language)
    return out + ([note] if note else [])


def horizon_text(days, language: str) -> str:
    """A forecast horizon as people say it: "the next 12 months" (whole months), else in days."""
    months = float(days) / 30.4375
    if abs(months - round(months)) < 0.05:
        return i18n.t("horizon_months", language, months=numbers.integer(months))
    return i18n.t("horizon_days", language, days=numbers.integer(days))


def _total(shares) -> str:
    """The total of a share column: 100 % when the shares make a whole (they are printed to add up)."""
    known = [float(v) for v in shares if v is not None]
    return numbers.percent(sum(known)) if known else "–"


def objectives(data: ReportData, language: str) -> str:
    """The analyst's SMART objective, when the params give one."""
    text = data.cfg.report.objectives
    if not text:
        return ""
    t = _tr(language)
    found = answers.answers(text, data.segment_list, data.segments.get("base", {}), features=data.features,
                            money=lambda x: _money(data, x, language), noun=_noun(data, language), language=language)
    table = Table([t("col_question"), t("col_found"), t("col_do")],
                  [[t(f"question_{a['topic']}"), a["found"], a["do"]] for a in found], cls="answers") if found else None
    return _render("objectives", language, text=text.strip(), answers_intro=t("answers_intro"), answers=table)


def _rule_label(rule: str, language: str) -> str:
    """A cleaning rule id (``seglab.ledger.RULES``) in the client's words."""
    return i18n.get(f"rule_{rule}", language, i18n.t("rule_other", language, rule=rule))


def quality(data: ReportData, language: str) -> str:
    """Rows in and out per source, repairs and imputations, quarantine by reason."""
    t = _tr(language)
    q = data.quality
    if not q:
        return _render("quality", language, missing=t("quality_missing"))
    sources = q.get("sources") or {"customers": q}
    intro = []
    cust = sources.get("customers", q)
    intro.append(t("quality_customers", rows_in=numbers.integer(cust.get("rows_in")),
                   duplicates=numbers.integer(cust.get("duplicates_merged", 0)),
                   quarantined=numbers.integer(cust.get("rows_quarantined", 0)),
                   clean=numbers.integer(cust.get("rows_clean")),
                   share=numbers.percent((cust.get("rows_clean") or 0) / cust["rows_in"]) if cust.get("rows_in") else "–"))
    tx = sources.get("transactions")
    if tx:
        intro.append(t("quality_transactions", rows_in=numbers.integer(tx.get("rows_in")),
                       clean=numbers.integer(tx.get("rows_clean")), duplicates=numbers.integer(tx.get("duplicates_merged", 0)),
                       quarantined=numbers.integer(tx.get("rows_quarantined", 0))))
    rows = [[i18n.get(f"source_{name}", language, name),
             numbers.integer(s.get("rows_in")), numbers.integer(s.get("duplicates_merged", 0)),
             numbers.integer(s.get("rows_quarantined", 0)), numbers.integer(s.get("rows_clean"))]
            for name, s in sources.items() if isinstance(s, dict)]
    sources_table = Table([t("col_source"), t("col_rows_in"), t("col_duplicates"), t("col_quarantined"),
                           t("col_rows_used")], rows, frozenset({1, 2, 3, 4}))

    # Values, at one point of the pipeline: missing + unusable = filled + left empty + set aside.
    values = q.get("values") or {}
    values_text = t("quality_values", repaired=numbers.integer(sum((cust.get("repaired") or {}).values())),
                    capped=numbers.integer(sum((cust.get("capped") or {}).values())),
                    filled=numbers.integer(sum(v["filled"] for v in values.values())))
    repaired = {c: n for c, n in (cust.get("repaired") or {}).items() if n}
    values_note = values_table = None
    if values or repaired:
        values_note = t("quality_values_note", checked=numbers.integer(q.get("values_checked")))
        keys = ("missing", "invalid", "filled", "left_missing", "set_aside", "repaired", "capped")
        rows = []
        nothing = {"missing": 0, "unusable": 0, "filled": 0, "left_missing": 0, "set_aside": 0, "capped": 0}
        for c in sorted(set(values) | set(repaired)):
            v = values.get(c, nothing)
            counts = {**v, "invalid": v["unusable"], "repaired": repaired.get(c, 0)}
            rows.append([i18n.feature_label(c, language), *(numbers.integer(counts[k]) for k in keys[:3]),
                         _filled_with(c, (q.get("imputation") or {}).get(c), language),
                         *(numbers.integer(counts[k]) for k in keys[3:])])
        values_table = Table([t("col_column"), t("col_missing"), t("col_invalid"), t("col_filled"), t("col_filled_with"),
                              t("col_left_missing"), t("col_set_aside"), t("col_repaired"), t("col_capped")],
                             rows, frozenset({1, 2, 3, 5, 6, 7, 8}))

    reasons = []
    for name, s in sources.items():
        if isinstance(s, dict):
            label = i18n.get(f"source_{name}", language, name)
            # quarantined_by_rule: rows set aside, each under its first rule; by_rule also counts repairs and merges.
            by_rule = s.get("quarantined_by_rule", s.get("by_rule")) or {}
            reasons += [(label, _rule_label(rule, language), int(n)) for rule, n in by_rule.items() if n]
    chart = reasons_table = None
    if reasons:
        counts = pd.Series([n for _, _, n in reasons], dtype=int,
                           index=[f"{src} · {label}" if len(sources) > 1 else label for src, label, _ in reasons])
        counts = counts.groupby(level=0, sort=False).sum()
        alt = t("alt_quarantine", items=i18n.join([f"{k}: {numbers.integer(v)}" for k, v in counts.sort_values(ascending=False).items()], language))
        chart = _image(lambda: figures.quarantine_reasons(counts, language=language), alt, language)
        reasons_table = Table([t("col_source"), t("col_reason"), t("col_rows")],
                              [[src, label, numbers.integer(n)] for src, label, n in sorted(reasons, key=lambda r: -r[2])],
                              frozenset({2}))
    return _render("quality", language, missing=None, intro=intro, sources_table=sources_table,
                   values_text=values_text, values_note=values_note, values_table=values_table,
                   plausibility=_plausibility(q, language), chart=chart, reasons_table=reasons_table)


def _filled_with(column: str, how: dict | None, language: str) -> str:
    """The stated rule that filled a field's gaps, in words ("median 41", "0, as tenure is 0 ...")."""
    if not how:
        return ""

    def one(h):
        value = h.get("value")
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        shown = numbers.number(value) if is_number else i18n.value_label(column, value, language)
        if h.get("explained_by"):
            return i18n.t("fill_explained_zero", language, other=i18n.feature_label(h["explained_by"], language))
        key = f"fill_{h.get('strategy')}"
        return i18n.t(key, language, value=shown) if i18n.has(key, language) else str(shown)

    text = one(how)
    return i18n.t("fill_and_others", language, first=text, second=one(how["others"])) if how.get("others") else text


def _plausibility(q: dict, language: str) -> dict | None:
    """Implausible values found without ranges, and dates that could not be read safely."""
    t = _tr(language)
    p = q.get("plausibility")
    if p is None:
        return None
    fields = sum(len(cols) for cols in p.get("checked", {}).values())
    rows = []
    for f in p.get("findings", []):
        fields_ = {k: f.get(k) for k in ("means", "limit", "earliest")}
        low, high = (f.get("range") or [None, None])
        what = t(f"plaus_check_{f['check']}", means=i18n.get(f"means_{fields_['means']}", language, str(fields_["means"])),
                 low=numbers.number(low), high=numbers.number(high), limit=numbers.number(fields_["limit"]),
                 earliest=fields_["earliest"] or "")
        done = f["action"]
        if done == "capped":
            done_text = t("plaus_done_capped_range") if f["check"] == "implausible_value" else \
                t("plaus_done_capped", limit=numbers.number(fields_["limit"]))
        else:
            done_text = t(f"plaus_done_{done}")
        rows.append([i18n.get(f"source_{f['source']}", language, f["source"]), i18n.feature_label(f["column"], language),
                     what, numbers.integer(f["count"]), ", ".join(f.get("examples") or []) or "–", done_text])
    orders = [("customers", q.get("date_order") or {}),
              ("transactions", (q.get("sources", {}).get("transactions") or {}).get("date_order") or {})]
    notes = []
    for source, by_column in orders:
        for col, info in by_column.items():
            if info.get("ambiguous"):
                done = "plaus_done_quarantined" if source == "transactions" else "plaus_done_set_missing"
                rows.append([i18n.get(f"source_{source}", language, source), i18n.feature_label(col, language),
                             t("plaus_check_ambiguous_date"), numbers.integer(info["ambiguous"]), "–", t(done)])
            if info.get("assumed"):
                notes.append(t("date_order_assumed", field=i18n.feature_label(col, language)))
    table = Table([t("col_source"), t("col_column"), t("col_finding"), t("col_values"), t("col_examples"),
                   t("col_done")], rows, frozenset({3})) if rows else None
    return {"title": t("plaus_title"),
            "intro": t("plaus_intro", fields=numbers.integer(fields)) if rows else t("plaus_none", fields=numbers.integer(fields)),
            "table": table, "notes": notes}


def segments(data: ReportData, language: str) -> str:
    """Segment sizes and the heatmap of profile indices."""
    t = _tr(language)
    segs = data.segment_list
    sizes = pd.DataFrame([{"id": s["id"], "name": s["name"], "share": s["share"],
                           "revenue_share": s.get("revenue_share"), "share_label": data.shown[int(s["id"])]["share"],
                           "revenue_label": data.shown[int(s["id"])]["revenue_share"]} for s in segs])
    has_revenue = sizes["revenue_share"].notna().any()
    alt_sizes = t("alt_sizes", items=i18n.join(
        [t("alt_size_item_revenue" if has_revenue else "alt_size_item", name=s["name"],
           share=data.shown[int(s["id"])]["share"], revenue=data.shown[int(s["id"])]["revenue_share"])
         for s in segs], language))
    sizes_chart = _image(lambda: figures.segment_sizes(sizes, palette=data.palette, language=language), alt_sizes, language)
    heatmap = None
    matrix, mask = _matrix(data, language)
    if not matrix.empty:
        high = []
        for sid in matrix.columns:
            col = matrix[sid].where(~mask[sid]).dropna()
            if len(col):
                top = col.map(_strength).idxmax()
                high.append(t("alt_heatmap_item", name=data.names.get(int(sid), sid), trait=top, index=numbers.integer(col[top])))
        alt = t("alt_heatmap", items=i18n.join(high, language))
        heatmap = _image(lambda: figures.profile_heatmap(matrix, palette=data.palette, names=data.names, mask=mask,
                                                         language=language), alt, language, cls="figure wide")
    return _render("segments", language, intro=t("segments_intro", k=len(segs)), sizes_chart=sizes_chart,
                   heatmap=heatmap)


def _matrix(data: ReportData, language: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Profile indices per segment: from the customers when available, else from segments.json."""
    if data.features is not None and data.assignments is not None:
        return profiles.profile_matrix(data.features, data.assignments, data.cfg, language=language)
    rows = {}
    for s in data.segment_list:
        for p in s["profile"]["numeric"]:
            rows.setdefault(i18n.feature_label(p["feature"], language), {})[s["id"]] = p["index"]
    matrix = pd.DataFrame(rows).T.astype(float) if rows else pd.DataFrame()
    return matrix, matrix.isna()


def _strength(index: float) -> float:
    """How far an index is from 100, with half and double equally far."""
    return abs(math.log(index / 100)) if index and index > 0 else 0.0


def _trait_table(s: dict, language: str) -> pd.DataFrame:
    """A segment's strongest differences from the base: label and index (lift × 100)."""
    rows = [{"label": i18n.feature_label(p["feature"], language), "index": p["index"]}
            for p in s["profile"]["numeric"] if p.get("index")]
    rows += [{"label": i18n.category_label(c["feature"], c["value"], language),
              "index": c.get("index", 100 * c["lift"])} for c in s["profile"]["categorical"]]
    frame = pd.DataFrame(rows, columns=["label", "index"])
    if frame.empty:
        return frame
    frame["strength"] = frame["index"].astype(float).map(_strength)
    return frame.sort_values("strength", ascending=False).head(TRAIT_BARS)


def _mix(mix: dict | None, feature: str, language: str) -> dict | None:
    """A mix (lifecycle, RFM group) as labelled bars: the largest few, the rest as "other"."""
    if not mix:
        return None
    items = list(mix.items())
    shown, rest = items[:MIX_LIMIT], sum(v or 0 for _, v in items[MIX_LIMIT:])
    rows = [(i18n.value_label(feature, k, language), v or 0) for k, v in shown]
    if rest > 0:
        rows.append((i18n.t("mix_other", language), rest))
    return {"title": i18n.feature_label(feature, language),
            "rows": [{"label": label, "width": f"{100 * v:.1f}%", "value": numbers.percent(v)} for label, v in rows]}


def _persona_card(data: ReportData, s: dict, language: str) -> dict:
    """What one persona card shows."""
    t = _tr(language)
    sid = int(s["id"])
    shown = data.shown[sid]
    facts = [t("card_size", size=numbers.integer(s["size"]), share=shown["share"])]
    if s.get("revenue_share") is not None:
        facts.append(t("card_revenue", revenue=shown["revenue_share"]))
    if s.get("value_risk"):
        facts.append(t("card_cell", cell=_cell_name(s, language)))
    traits = _trait_table(s, language)
    chart = None
    if not traits.empty:
        alt = t("alt_traits", name=s["name"], items=i18n.join(
            [f"{r.label} {numbers.integer(r.index)}" for r in traits.itertuples()], language))
        chart = _image(lambda: figures.trait_bars(traits, color=data.palette[sid], language=language), alt,
                       language, cls="figure traits")
    num = [p for p in s["profile"]["numeric"] if p.get("index") is not None]
    numeric_table = Table(
        [t("col_feature"), t("col_statistic"), t("col_segment_mean"), t("col_base_mean"), t("col_index")],
        [[i18n.feature_label(p["feature"], language), t(f"stat_{p.get('statistic', 'mean')}"),
          personas.format_value(p["feature"], p.get("typical", p.get("mean")), language),
          personas.format_value(p["feature"], p.get("base_typical", p.get("base_mean")), language),
          numbers.integer(p["index"])] for p in num],
        frozenset({2, 3, 4}), "profile") if num else None
    cats = s["profile"]["categorical"]
    category_table = Table(
        [t("col_feature"), t("col_value"), t("col_segment_share"), t("col_base_share"), t("col_lift")],
        [[i18n.feature_label(c["feature"], language), i18n.value_label(c["feature"], c["value"], language),
          numbers.percent(c["share"]), numbers.percent(c["base_share"]), numbers.number(c["lift"], 1)] for c in cats],
        frozenset({2, 3, 4}), "profile") if cats else None
    persona = s["persona"]
    return {"id": sid, "name": s["name"], "colour": _swatch_colour(data, sid), "facts": t("fact_sep").join(facts),
            "notes": s.get("notes"),
            "text": [(t(f"card_{k}"), persona[k]) for k in ("who", "needs", "behaviour")],
            "chart": chart, "numeric_table": numeric_table, "category_table": category_table,
            "mixes": [m for m in (_mix(s.get("lifecycle_mix"), "lifecycle", language),
                                  _mix(s.get("rfm_mix"), "rfm_segment", language)) if m],
            "actions": _action_items(s, language), "find": _finding(data, sid, language)}


def _finding(data: ReportData, sid: int, language: str) -> dict | None:
    """How to find the segment in a CRM: its portable rules, in words, with how well they do."""
    if not data.rules.get("leaves"):
        return None
    t = _tm(language)
    missing = [c for c in data.features.columns if data.features[c].isna().any()] if data.features is not None else ()
    found = describe_segment(SegmentRules.from_dict(data.rules), sid, language, missing_columns=missing)
    if not found["leaves"]:
        return {"rules": [], "summary": t("find_none", file=_code(f"targeting/audience_segment_{sid}.csv"))}
    rules = [t("find_rule", rule=leaf["text"], finds=i18n.percent(leaf["finds"]), precision=i18n.percent(leaf["precision"]))
             for leaf in found["leaves"]]
    if found["more"]:
        rules.append(t("find_more", n=found["more"], file=_code("targeting/segment_rules.sql")))
    return {"rules": rules, "summary": t("find_summary", recall=i18n.percent(found["recall"]),
                                         precision=i18n.percent(found["precision"]),
                                         file=_code("targeting/segment_rules.sql"))}


def _action_items(s: dict, language: str) -> list[list[tuple[str, str]]]:
    t = _tr(language)
    items = []
    for a in s.get("actions", []):
        fields = [(t("col_channel"), a.get("channel")), (t("col_offer"), a.get("offer")),
                  (t("col_message"), a.get("message")), (t("col_priority"), _priority(a.get("priority"), language))]
        items.append([(k, str(v)) for k, v in fields if v])
    return items


def persona_cards(data: ReportData, language: str) -> str:
    """One card per segment: who, needs, behaviour, profile, mixes, actions."""
    intro = i18n.t("personas_intro", language, min_count=numbers.integer(data.segments.get("base", {}).get("min_count")))
    return _render("personas", language, intro=intro, cards=[_persona_card(data, s, language) for s in data.segment_list])


def value_risk(data: ReportData, language: str) -> str:
    """The value × risk grid: tier cut-offs, every segment in the cell most of its customers are in,
    and how each segment's customers spread over the cells."""

    t = _tr(language)
    placed = [s for s in data.segment_list if s.get("value_risk")]
    if not placed:
        return _render("value_risk", language, empty=t("value_risk_none"))
    cell_names = {(c.value_tier, c.risk_tier): targeting.cell_info(c.key, language)["name"] for c in targeting.CELLS}
    frame = pd.DataFrame([{"id": s["id"], "share": s["share"], "value_score": s["value_risk"].get("value_score"),
                           "risk_score": s["value_risk"].get("risk_score")} for s in placed])

    def draw():
        ax = figures.value_risk_grid(frame, palette=data.palette, cell_names=cell_names, language=language)
        return figures.segment_legend(ax, palette=data.palette, names={s["id"]: s["name"] for s in placed})

    alt = t("alt_grid", items=i18n.join([t("alt_grid_item", name=s["name"], cell=_cell_name(s, language))
                                         for s in placed], language))
    rows = [[_segment_link(data, s), _cell_name(s, language),
             t(f"tier_value_{s['value_risk']['value_tier']}") if s["value_risk"].get("value_tier") else "–",
             t(f"tier_risk_{s['value_risk']['risk_tier']}") if s["value_risk"].get("risk_tier") else "–",
             numbers.percent(s["value_risk"].get("cell_share")), numbers.percent(s["value_risk"].get("cell_revenue_share")),
             s["value_risk"].get("strategy") or ""]
            for s in placed]
    table = Table([t("col_segment"), t("col_cell"), t("col_value_tier"), t("col_risk_tier"), t("col_cell_share"),
                   t("col_cell_revenue_share"), t("col_strategy")], rows, frozenset({4, 5}))
    return _render("value_risk", language, empty=None, intro=t("value_risk_intro"),
                   tiers=_tier_cutoffs(data.features_meta, language), grid=_image(draw, alt, language, cls="figure grid"),
                   main_table=table, notes=[n for n in (_placement_note(s, language) for s in placed) if n],
                   **_spread(data, placed, language))


def _tier_cutoffs(meta: dict, language: str) -> list[str]:
    """The value and risk tier cut-offs of features.json, in money and probability."""
    t = _tr(language)
    out = []
    value = meta.get("value_tiers") or {}
    cuts, shares = value.get("thresholds") or {}, value.get("shares") or {}
    if cuts.get("high") is not None and cuts.get("mid") is not None:
        basis = i18n.feature_label(value.get("basis", "clv_predicted"), language)
        days = (meta.get("clv") or {}).get("horizon_days")
        if value.get("basis") == "clv_predicted" and days:
            basis = t("grid_horizon_basis", label=basis, days=numbers.integer(days))
        out.append(t("grid_value_tiers", basis=basis, high_share=numbers.percent(shares.get("high")),
                     mid_share=numbers.percent(shares.get("mid")), high=numbers.number(cuts["high"]),
                     mid=numbers.number(cuts["mid"])))
    risk = meta.get("risk_tiers") or {}
    cuts = risk.get("thresholds") or {}
    if cuts.get("high") is not None and cuts.get("medium") is not None:
        out.append(t("grid_risk_tiers", basis=i18n.feature_label(risk.get("basis", "churn_risk"), language),
                     high=numbers.percent(cuts["high"]), medium=numbers.percent(cuts["medium"])))
    return out


def _placement_note(s: dict, language: str) -> str | None:
    """Why a segment is shown in the top value tier although most of its customers are not."""
    vr = s["value_risk"]
    basis = vr.get("basis", "most_customers")
    if basis == "most_customers" or not vr.get("spread"):
        return None
    return i18n.t(f"grid_basis_{basis}", language, name=s["name"], revenue=numbers.percent(s.get("revenue_share")),
                  multiple=numbers.number(vr.get("revenue_per_customer_multiple"), 1), cell=vr["spread"][0]["name"])


def _spread(data: ReportData, placed: list[dict], language: str) -> dict:
    """How each segment's customers spread over the cells (largest first), and the segments that split."""
    t = _tr(language)
    rows = []
    for s in placed:
        vr = s["value_risk"]
        cells = [c for c in vr.get("spread", []) if c.get("share")]
        if not cells:
            continue
        shown = [c for c in cells if c["share"] >= SPREAD_MIN or c["cell"] == vr["cell"]]
        rest = sum(c["share"] for c in cells if c not in shown)
        items = [("● " if c["cell"] == vr["cell"] else "")
                 + t("spread_item", cell=c["name"], share=numbers.percent(c["share"])) for c in shown]
        if rest > 0:
            items.append(t("spread_item", cell=t("mix_other"), share=numbers.percent(rest)))
        rows.append([_segment_link(data, s), t("fact_sep").join(items)])
    if not rows:
        return {"spread_intro": None, "spread_table": None}
    split = [t("grid_spread_item", name=s["name"], share=numbers.percent(s["value_risk"].get("cell_share")),
               cell=_cell_name(s, language))
             for s in placed if s["value_risk"].get("spread") and not s["value_risk"].get("majority", True)]
    intro = t("grid_spread_intro", items=i18n.join(split, language)) if split else t("grid_spread_none")
    return {"spread_intro": intro, "spread_table": Table([t("col_segment"), t("col_spread")], rows, cls="spread")}


def portfolio(data: ReportData, language: str) -> str:
    """The whole base at a glance: segment map, recency × frequency grid, lifecycle funnel, value spread."""
    t = _tr(language)
    segs = data.segment_list
    f = data.features
    if f is None or "monetary" not in f or not f["monetary"].notna().any():
        return ""
    charts = []
    if all(s.get("revenue_share") is not None for s in segs):
        table = pd.DataFrame([{"id": s["id"], "name": s["name"], "share": s["share"],
                               "revenue_share": s["revenue_share"]} for s in segs])
        items = [t("alt_map_item", name=s["name"], share=data.shown[int(s["id"])]["share"],
                   index=numbers.integer(100 * s["revenue_share"] / s["share"] if s["share"] else None)) for s in segs]
        charts.append(_image(lambda: portfolio_views.segment_map(table, palette=data.palette, language=language),
                             t("alt_map", items=i18n.join(items, language)), language))
    if {"r_score", "f_score"} <= set(f.columns) and f["r_score"].notna().any():
        buyers = f.dropna(subset=["r_score", "f_score"])
        cells = buyers.groupby([buyers["r_score"].astype(int), buyers["f_score"].astype(int)])["monetary"].agg(["sum", "size"])
        (r, fs), top = cells["sum"].idxmax(), cells.loc[cells["sum"].idxmax()]
        alt = t("alt_rf", r=r, f=fs, customers=numbers.integer(top["size"]),
                share=numbers.percent(top["sum"] / buyers["monetary"].sum()))
        charts.append(_image(lambda: portfolio_views.rf_grid(f, language=language), alt, language))
    if "lifecycle" in f and f["lifecycle"].notna().any():
        n = f["lifecycle"].value_counts()
        revenue = f.groupby("lifecycle")["monetary"].sum()
        items = [t("alt_funnel_item", stage=i18n.value_label("lifecycle", st, language), customers=numbers.integer(n[st]),
                   share=numbers.percent(n[st] / n.sum()), revenue=numbers.percent(revenue[st] / revenue.sum()))
                 for st in portfolio_views.LIFECYCLE if st in n]
        charts.append(_image(lambda: portfolio_views.lifecycle_funnel(f, language=language),
                             t("alt_funnel", items=i18n.join(items, language)), language))
    column = "clv_predicted" if "clv_predicted" in f and f["clv_predicted"].notna().any() else "monetary"
    label = i18n.feature_label(column, language)
    values = f[column].dropna()
    charts.append(_image(lambda: portfolio_views.value_distribution(values, label=label, language=language),
                         t("alt_value", label=label, median=numbers.number(values.median()),
                           mean=numbers.number(values.mean())), language))
    return _render("portfolio", language, intro=t("portfolio_intro"), charts=charts)


def case_study(data: ReportData, language: str) -> str:
    """The case study's own analyses (``report.case_study``), from the run's customers and transactions."""
    name = data.cfg.report.case_study
    if not name or data.features is None or data.assignments is None:
        return ""
    customers = data.features.assign(customer_id=data.features["customer_id"].astype(str)).merge(
        data.assignments[["customer_id", "segment", "segment_name"]].astype({"customer_id": str}), on="customer_id")
    has_tx = data.run_dir is not None and (data.run_dir / "transactions_clean.parquet").exists()
    transactions = casestudy.transaction_table(data.run_dir) if has_tx else None
    parts = [{"title": p.title, "text": p.text, "table": p.table,
              "chart": _image(p.draw, p.alt, language) if p.draw else None}
             for p in casesections.parts(name, customers, transactions, language)]
    if not parts:
        return ""
    return _render("case_study", language, intro=i18n.t("case_intro", language), parts=parts)


def _rank(p) -> float:
    return float(p) if isinstance(p, (int, float)) else math.inf


def _money(data: ReportData, x, language: str) -> str:
    """An amount in the run's currency (``report.currency``), written one way everywhere."""
    currency = data.segments.get("base", {}).get("currency") or data.cfg.report.currency
    return numbers.money(x, currency, language)


def _currency_note(data: ReportData, language: str) -> Markup | None:
    """Said once where amounts appear when the params do not name the currency."""
    if data.segments.get("base", {}).get("currency") or data.cfg.report.currency:
        return None
    return _tm(language)("currency_missing", key=_code("report.currency"), example=_code("EUR"))


def _by_priority(data: ReportData) -> list[dict]:
    """Segments with the most urgent action first (then the larger)."""
    return sorted(data.segment_list, key=lambda s: (min((_rank(a.get("priority")) for a in s.get("actions", [])),
                                                        default=math.inf), -s["size"]))


def _noun(data: ReportData, language: str) -> str:
    """The report's audience noun (``report.audience``: customers, subscribers, learners …)."""
    return i18n.t(f"name_noun_{data.cfg.report.audience}", language)


def channel_text(a: dict, language: str, noun: str) -> str:
    """The action's channel, with how much of the segment uses it against the base."""
    if a.get("channel_share") is None:
        return a.get("channel") or ""
    return i18n.t("action_channel_share", language, channel=a["channel"], share=numbers.percent(a["channel_share"]),
                  base=numbers.percent(a.get("channel_base_share")), noun=noun)


def test_text(a: dict, language: str) -> str:
    """The action's test design in one line: control group, metric, duration, smallest lift shown."""
    test = a.get("test") or {}
    if not test:
        return ""
    t = _tr(language)
    text = t("action_test", share=numbers.percent(test["control_share"]), control=numbers.integer(test["control"]),
             metric=t(f"metric_{test['metric']}"), weeks=numbers.integer(test["duration_days"] / 7))
    if test.get("detectable_uplift") is not None:
        text += t("action_test_lift", lift=numbers.number(100 * test["detectable_uplift"], 1))
    return text if test["control"] else t("action_test_no_control", metric=t(f"metric_{test['metric']}"))


def opportunity_text(data: ReportData, s: dict, a: dict, language: str) -> str:
    """The assumption behind an action's opportunity, in words."""
    o = a.get("opportunity")
    if not o:
        return ""
    money = s.get("money") or {}
    t = _tr(language)
    if o["kind"] == "convert":
        return t("opportunity_convert", uplift=numbers.percent(o["uplift"]), n=numbers.integer(money.get("prospects")),
                 value=_money(data, money.get("base_buyer_yearly"), language))
    if o["kind"] == "retention":
        return t("opportunity_retention", points=numbers.number(100 * o["uplift"], 1))
    return t("opportunity_growth", uplift=numbers.percent(o["uplift"]))


def actions(data: ReportData, language: str) -> str:
    """Recommendations for every segment, highest priority first: what to do, what it is worth, how to test it."""
    t = _tr(language)
    rows, money_rows = [], []
    ordered = _by_priority(data)
    for s in ordered:
        for a in s.get("actions", []):
            rows.append([_priority(a.get("priority"), language), _segment_link(data, s), a.get("objective_text", ""),
                         channel_text(a, language, _noun(data, language)), a.get("offer"), a.get("message")])
            money = s.get("money") or {}
            money_rows.append([_segment_link(data, s), _money(data, money.get("revenue"), language),
                               _money(data, money.get("at_risk"), language),
                               _money(data, (a.get("opportunity") or {}).get("value"), language),
                               opportunity_text(data, s, a, language), test_text(a, language)])
    table = Table([t("col_priority"), t("col_segment"), t("col_objective"), t("col_channel"), t("col_offer"),
                   t("col_message")], rows, cls="actions-table")
    has_money = any(s.get("money") for s in ordered)
    if has_money:
        money_table = Table([t("col_segment"), t("col_revenue"), t("col_at_risk"), t("col_opportunity"),
                             t("col_assumption"), t("col_test")], money_rows, frozenset({1, 2, 3}), "money-table")
    else:
        money_table = Table([t("col_segment"), t("col_test")], [[r[0], r[5]] for r in money_rows], cls="money-table")
    notes = [t("actions_money_notes")] if has_money else []
    currency = _currency_note(data, language) if has_money else None
    return _render("actions", language, intro=t("actions_intro"), main_table=table,
                   money_title=t("actions_money_title"), money_table=money_table,
                   notes=notes + ([currency] if currency else []))


def campaign(data: ReportData, language: str) -> str:
    """From segments to campaigns: the audiences, the plan and the portable rules."""
    if data.plan is None or not data.targeting:
        return ""
    t = _tr(language)
    by_id = {int(s["id"]): s for s in data.segment_list}
    share = data.targeting.get("control_share", data.cfg.targeting.control_share)
    has_value = data.plan["expected_value"].notna().any()
    header = [t("col_priority"), t("col_segment"), t("col_offer"), t("col_channel"), t("col_kpi"),
              t("col_contacted"), t("col_held_back"), t("col_detectable")] + ([t("col_value_at_stake")] if has_value else [])
    rows = []
    for r in data.plan.itertuples():
        seg = by_id.get(int(r.segment), {"id": r.segment, "name": r.segment_name})
        row = [_priority(None if pd.isna(r.priority) else int(r.priority), language), _segment_link(data, seg),
               r.action, r.channel, r.kpi, i18n.integer(r.treatment), i18n.integer(r.control),
               "–" if pd.isna(r.detectable_uplift) else t("points", value=i18n.number(100 * r.detectable_uplift, 1))]
        if has_value:
            row.append(_money(data, r.expected_value, language) if pd.notna(r.expected_value) else "–")
        rows.append(row)
    plan = Table(header, rows, frozenset({5, 6, 7, 8}), "plan-table")
    tm = _tm(language)
    notes = [tm("targeting_detectable", rate=i18n.percent(data.targeting.get("expected_response_rate", 0.05)),
                key=_code("targeting.expected_response_rate"))]
    if has_value:
        notes.append(t("targeting_value", basis=data.plan["value_basis"].iloc[0]))
    warnings_ = []
    if not share:
        warnings_.append(tm("targeting_no_control", key=_code("targeting.control_share")))
    else:
        small = [str(r.segment_name) for r in data.plan.itertuples() if r.control < SMALL_CONTROL]
        if small:
            warnings_.append(tm("targeting_small_control", n=SMALL_CONTROL, names=i18n.join(small, language),
                                key=_code("targeting.control_share")))
    rules = data.rules
    agreement = None
    if rules.get("leaves"):
        agreement = tm("targeting_rules", depth=rules.get("depth"),
                       columns=i18n.join([i18n.feature_label(c, language) for c in rules.get("columns", [])], language),
                       agreement=i18n.percent(rules.get("agreement"), 1), cv=i18n.percent(rules.get("cv_agreement"), 1),
                       file=_code("targeting/segment_rules.sql"), column=_code("rule_segment"),
                       assignments=_code("assignments.csv"))
    # The manifest names the run as it will be called once finished (the report is written before).
    manifest = data.run_dir / "manifest.json" if data.run_dir is not None else None
    run_id = json.loads(manifest.read_text(encoding="utf-8")).get("run_id") if manifest and manifest.exists() else None
    command = (f"seglab measure reports/{run_id or data.cfg.run_name + '/<stamp>'} "
               "--responses FILE --start YYYY-MM-DD --end YYYY-MM-DD")
    return _render("targeting", language, plan=plan, notes=notes, warnings=warnings_, agreement=agreement,
                   intro=tm("targeting_intro", share=i18n.percent(share),
                            file=_code("targeting/audience_segment_<id>.csv")),
                   measure=tm("targeting_measure", command=_code(command)))


SMALL_CONTROL = 30  # a control group this small cannot show a segment's effect on its own


def changes(data: ReportData, language: str) -> str:
    """What changed since a previous run (``compare.json``); empty without one."""
    if not data.comparison:
        return ""
    return _render("changes", language, fragment=comparison_fragment(data.comparison, language))


def method(data: ReportData, language: str) -> str:
    """How the segments were made: features, the choice of k with its scores, stability."""
    t = _tr(language)
    seg = data.segmentation
    name = seg.get("method") or data.cfg.segmentation.method
    intro = [t("method_intro", method=i18n.get(f"method_{name}", language, name))]
    used = seg.get("features") or {}
    if isinstance(used, dict):
        used = [f for key in ("numeric", "categorical") for f in used.get(key, []) if isinstance(f, str)]
    used = used or data.cfg.segmentation.features
    if used:
        intro.append(t("method_features", features=i18n.join([i18n.feature_label(f, language) for f in used], language)))
    outside = seg.get("outside_segmentation")
    if outside:
        by_state = outside.get("by_state") or {}
        intro.append(t("method_outside", n=numbers.integer(outside["customers"]),
                       returns_only=numbers.integer(by_state.get("returns_only", 0)),
                       net_negative=numbers.integer(by_state.get("net_negative", 0)),
                       name=data.names.get(int(outside["segment"]), outside["name"])))
    as_of = data.features_meta.get("as_of") or data.segments.get("base", {}).get("as_of")
    if as_of:
        intro.append(t("method_as_of", date=as_of))
    k_text = reason = chart = table = None
    scores = pd.DataFrame(seg.get("scores") or [])
    if not scores.empty and "k" in scores:
        k = seg.get("k_fitted") or seg.get("k")
        given = (seg.get("k_choice") or {}).get("case") == "given"
        found = [s for s in data.segment_list if s.get("kind", "segment") == "segment"]  # not the returns group
        k_text = t("method_k_given" if given else "method_k", k=k, chosen=len(found),
                   min_share=numbers.percent(seg.get("min_segment_share", data.cfg.segmentation.min_segment_share)))
        if (seg.get("k_choice") or {}).get("case") in K_CASES:
            reason = k_reason_text(seg["k_choice"]["case"], seg["k_choice"], language)
        elif language == "en" and seg.get("k_reason"):
            reason = seg["k_reason"]
        if len(scores) > 1:
            alt = t("alt_k", items=i18n.join([t("alt_k_item", k=int(r.k), silhouette=numbers.number(getattr(r, "silhouette", None), SCORE_DIGITS),
                                                stability=numbers.number(getattr(r, "stability", None), SCORE_DIGITS))
                                              for r in scores.itertuples()], language))
            chart = _image(lambda: figures.k_scores(scores, chosen_k=k, language=language), alt, language)
        # One column per test of the rule, so that the reason above can be checked against the table.
        flags = ("eligible", "stable", "distinct", "elbow")
        cols = [c for c in ("k", "cost", "silhouette", "stability", "smallest_share", *flags) if c in scores]

        def yes_no(v):
            return t("yes") if v else t("no")

        fmt = {"k": lambda v: str(int(v)), "cost": lambda v: numbers.number(v), "silhouette": lambda v: numbers.number(v, SCORE_DIGITS),
               "stability": lambda v: numbers.number(v, SCORE_DIGITS), "smallest_share": lambda v: numbers.percent(v, 1),
               **dict.fromkeys(flags, yes_no)}
        table = Table([t(f"col_{c}") for c in cols],
                      [[fmt[c](r[c]) if r[c] is not None and r[c] == r[c] else "–" for c in cols]
                       for _, r in scores.iterrows()], frozenset(i for i, c in enumerate(cols) if c not in flags))
    notes = []
    stab = seg.get("stability") or {}
    if isinstance(stab, dict) and stab.get("mean_ari") is not None:
        notes.append(t("method_stability", ari=numbers.number(stab["mean_ari"], SCORE_DIGITS), runs=stab.get("runs", "–")))
    gamma = seg.get("gamma")
    if isinstance(gamma, dict) and gamma.get("value") is not None:
        notes.append(t("method_gamma", gamma=numbers.number(gamma["value"], 3)))
    base = data.segments.get("base", {})
    personas_note = t("method_personas", min_count=numbers.integer(base.get("min_count")),
                      min_lift=numbers.number(base.get("min_lift"), 2))
    return _render("method", language, intro=intro, k_text=k_text, reason=reason, chart=chart, main_table=table,
                   notes=notes, lifetime=_lifetime_value_method(data.features_meta, language),
                   personas_note=personas_note)


def _signed_percent(share) -> str:
    return ("+" if share > 0 else "") + numbers.percent(share)


def _lifetime_value_method(meta: dict, language: str) -> dict | None:
    """Which churn-risk model was used and why, with the holdout figure (features.json ``clv``)."""
    clv = meta.get("clv") or {}
    life = meta.get("lifecycle") or {}
    if not clv.get("horizon_days") or not life:
        return None
    t = _tr(language)
    days = {"active": numbers.integer(life.get("active_days")), "churned": numbers.integer(life.get("churned_days"))}
    holdout = (clv.get("health") or {}).get("holdout") or {}
    when = {"date": holdout.get("calibration_end"), "days": numbers.integer(holdout.get("holdout_days"))}
    total = holdout.get("total") or {}
    counts = {"predicted": numbers.integer(total.get("predicted")), "actual": numbers.integer(total.get("actual")),
              "error": _signed_percent(total["relative_error"]) if total.get("relative_error") is not None else "–"}
    parts = []
    if clv.get("used"):
        checked = holdout.get("passed") is True
        parts.append(t("method_clv_used", **when, **counts) if checked else t("method_clv_used_unchecked"))
        spend = (clv.get("gamma_gamma") or {}).get("used")
        parts.append(t("method_clv_spend_used" if spend else "method_clv_spend_not_used"))
        parts.append(t("method_clv_one_time", **days))
    elif clv.get("fitted"):
        reasons = []
        for check in clv["health"]["checks"]:
            if check["passed"] is not False:
                continue
            off = [b["frequency"] for b in holdout.get("buckets") or [] if b["within"] is False]
            if check["check"] != "holdout":
                reasons.append(t(f"clv_fail_{check['check']}"))
            elif total.get("within") is False:
                reasons.append(t("clv_fail_holdout_total", **when, **counts))
            elif off:
                reasons.append(t("clv_fail_holdout_buckets", **when, buckets=i18n.join(off, language)))
            else:
                reasons.append(t("clv_fail_predictions"))
        parts.append(t("method_clv_not_used", reasons=t("items_sep").join(reasons or [t("clv_fail_predictions")]),
                       **days))
    else:
        parts.append(t("method_clv_not_fitted", **days))
    risk = clv.get("churn_risk") or {}
    if risk.get("overdue_customers"):
        parts.append(t("method_clv_overdue", multiple=numbers.integer(risk.get("overdue_multiple")),
                       floor=numbers.percent(1 - risk.get("overdue_max_alive", 0.5)),
                       n=numbers.integer(risk["overdue_customers"])))
    buckets = pd.DataFrame(holdout.get("buckets") or [])
    chart = None
    if not buckets.empty:
        alt = t("alt_holdout", **when, items=i18n.join(
            [t("alt_holdout_item", frequency=b.frequency, predicted=numbers.number(b.predicted, 2),
               actual=numbers.number(b.actual, 2)) for b in buckets.itertuples()], language))
        parts.append(t("method_clv_figure", **when))
        chart = _image(lambda: figures.holdout_fit(buckets, language=language), alt, language)
    return {"title": t("method_clv_title"), "paragraphs": parts, "chart": chart}


GLOSSARY = ("segment", "persona", "index", "lift", "rfm", "recency", "frequency", "monetary", "lifecycle",
            "clv", "churn_risk", "value_risk", "control_group", "uplift", "silhouette", "stability", "quarantine",
            "imputation")


def glossary(data: ReportData, language: str) -> str:
    """The terms a client meets in the report, in plain words."""
    terms = [(i18n.t(f"term_{k}", language), i18n.t(f"define_{k}", language)) for k in GLOSSARY]
    return _render("glossary", language, terms=terms)


RENDERERS = {"summary": summary, "objectives": objectives, "quality": quality, "segments": segments,
             "portfolio": portfolio, "personas": persona_cards, "value_risk": value_risk, "case_study": case_study,
             "actions": actions,
             "targeting": campaign,
             "changes": changes,
             "method": method, "glossary": glossary}
