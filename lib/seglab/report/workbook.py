"""segments.xlsx: the consultant's workbook, laid out for people who build target lists in Excel.

One sheet per table — segments, personas, actions, the campaign plan, one row per customer —
and a data dictionary that says what every column means. Headers and values read in the
report's language (display labels, never snake_case codes); shares are percentages, money
carries the run's currency, counts have thousands separators; every sheet has a frozen
header, filters and column widths that fit. The customer sheet carries each customer's
spend, predicted spend and churn risk, so that a list ("high value, high risk") is a filter
away. Written through the one neutralising writer (:func:`seglab.io.outputs.write_workbook`):
no cell from data becomes a formula.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill

from seglab import i18n
from seglab.io.outputs import write_workbook as write_sheets
from seglab.report.sections import ReportData, load_report_data

WORKBOOK_MAX_ROWS = 100_000  # Excel holds ~1M rows; openpyxl writes ~10k rows a second
WRAP_WIDTH = 60              # characters: long text wraps in a column this wide
MAX_WIDTH = 40               # characters: the widest a column of short values gets
WIDTH_SAMPLE = 500           # rows read to size a column

# Excel number formats by kind of column.
FORMATS = {"int": "#,##0", "percent": "0.0%", "number": "#,##0.00", "text": "@", "wrap": "@"}
HEADER_FILL = PatternFill("solid", start_color="FFE8EEF4")
SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "INR": "₹"}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its key (for the dictionary), header, kind of value and meaning."""

    key: str
    header: str
    kind: str        # int, percent, money, number, text, wrap
    meaning: str


def money_format(currency: str | None) -> str:
    """Excel's number format for money in ``currency`` (a code such as CNY or a symbol such as ¥)."""
    if not currency:
        return "#,##0"
    code = str(currency).strip()
    symbol = SYMBOLS.get(code.upper(), code if len(code) <= 3 and not code.isalpha() else None)
    if symbol:
        return f'"{symbol}"#,##0'
    return f'#,##0" {code.upper()}"'


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


class _Words:
    """Headers and meanings in one language: seglab's i18n table, else the column in words."""

    def __init__(self, language: str):
        self.language = language

    def t(self, key: str, **fields) -> str:
        return i18n.t(key, self.language, **fields)

    def column(self, key: str, kind: str, header_key: str | None = None, meaning_key: str | None = None,
               **fields) -> Column:
        header = _capital(self.t(header_key, **fields) if header_key else i18n.feature_label(key, self.language))
        meaning_key = meaning_key or next((k for k in (f"xl_def_{key}", f"define_{key}")
                                           if i18n.has(k, self.language)), None)
        meaning = self.t(meaning_key, **fields) if meaning_key else ""
        return Column(key, header, kind, meaning)


def _frame(columns: list[Column], values: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({c.header: values[c.key] for c in columns})


def _cell_label(code, language: str) -> str | None:
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return None
    return i18n.get(f"cell_{code}_name", language, str(code))


def _tier_label(kind: str, code, language: str) -> str | None:
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return None
    return i18n.get(f"tier_{kind}_{code}", language, str(code))


def _horizon_months(data: ReportData) -> int | None:
    days = (data.features_meta.get("clv") or {}).get("horizon_days")
    return max(1, round(days / 30.4375)) if days else None


def _by_segment(data: ReportData) -> pd.DataFrame | None:
    """Per segment, from the customers: revenue, mean churn risk, predicted spend per customer."""
    if data.assignments is None or data.features is None:
        return None
    joined = data.assignments[["customer_id", "segment"]].merge(data.features, on="customer_id", how="left")
    out = pd.DataFrame(index=sorted(joined["segment"].unique()))
    if "monetary" in joined:
        out["revenue"] = joined.groupby("segment")["monetary"].sum(min_count=1)
    if "churn_risk" in joined and joined["churn_risk"].notna().any():
        out["churn_risk"] = joined.groupby("segment")["churn_risk"].mean()
    if "clv_predicted" in joined and joined["clv_predicted"].notna().any():
        out["clv_predicted"] = joined.groupby("segment")["clv_predicted"].mean()
    return out


def segments_sheet(data: ReportData, w: _Words) -> tuple[pd.DataFrame, list[Column]]:
    """One row per segment: size, shares, revenue, lifecycle mix, risk, predicted spend, its cell."""
    lang = w.language
    segs = data.segment_list
    per = _by_segment(data)
    cols = [w.column("segment_id", "int", "xl_segment_id"), w.column("segment", "text", "col_segment"),
            w.column("customers", "int", "col_customers"), w.column("share", "percent", "col_share")]
    values = {"segment_id": [int(s["id"]) for s in segs], "segment": [s["name"] for s in segs],
              "customers": [int(s["size"]) for s in segs], "share": [s["share"] for s in segs]}
    if per is not None and "revenue" in per and per["revenue"].notna().any():
        cols += [w.column("revenue", "money", "xl_revenue"), w.column("revenue_share", "percent", "col_revenue_share"),
                 w.column("revenue_per_customer", "money", "xl_revenue_per_customer")]
        revenue = [float(per["revenue"].get(int(s["id"]), 0.0)) for s in segs]
        values |= {"revenue": revenue, "revenue_share": [s.get("revenue_share") for s in segs],
                   "revenue_per_customer": [r / s["size"] if s["size"] else None for r, s in zip(revenue, segs)]}
    stages = [st for st in ("new", "active", "dormant", "churned")
              if any((s.get("lifecycle_mix") or {}).get(st) for s in segs)]
    for st in stages:
        cols.append(w.column(f"lifecycle_{st}", "percent", "xl_lifecycle_share", "xl_def_lifecycle_share",
                             stage=i18n.value_label("lifecycle", st, lang)))
        values[f"lifecycle_{st}"] = [(s.get("lifecycle_mix") or {}).get(st, 0.0) for s in segs]
    if per is not None and "churn_risk" in per:
        cols.append(w.column("churn_risk_mean", "percent", "xl_churn_risk_mean", "define_churn_risk"))
        values["churn_risk_mean"] = [per["churn_risk"].get(int(s["id"])) for s in segs]
    months = _horizon_months(data)
    if per is not None and "clv_predicted" in per and months:
        cols.append(w.column("clv_predicted_mean", "money", "xl_clv_predicted_mean", "xl_def_clv_predicted",
                             months=months))
        values["clv_predicted_mean"] = [per["clv_predicted"].get(int(s["id"])) for s in segs]
    if any(s.get("value_risk") for s in segs):
        cols += [w.column("cell", "text", "col_cell", "define_value_risk"),
                 w.column("cell_share", "percent", "col_cell_share", "xl_def_cell_share"),
                 w.column("priority", "int", "col_priority", "xl_def_priority")]
        vr = [s.get("value_risk") or {} for s in segs]
        values |= {"cell": [v.get("name") for v in vr], "cell_share": [v.get("cell_share") for v in vr],
                   "priority": [v.get("priority") for v in vr]}
    return _frame(cols, values), cols


def personas_sheet(data: ReportData, w: _Words) -> tuple[pd.DataFrame, list[Column]]:
    """One row per segment: who they are, what they need, how they behave, in one sentence."""
    segs = data.segment_list
    cols = [w.column("segment_id", "int", "xl_segment_id"), w.column("segment", "text", "col_segment"),
            w.column("who", "wrap", "card_who", "xl_def_who"), w.column("needs", "wrap", "card_needs", "xl_def_needs"),
            w.column("behaviour", "wrap", "card_behaviour", "xl_def_behaviour"),
            w.column("summary", "wrap", "xl_summary", "xl_def_summary")]
    persona = [s.get("persona") or {} for s in segs]
    values = {"segment_id": [int(s["id"]) for s in segs], "segment": [s["name"] for s in segs],
              **{k: [p.get(k) for p in persona] for k in ("who", "needs", "behaviour", "summary")}}
    if any(s.get("notes") for s in segs):
        cols.append(w.column("notes", "wrap", "card_note", "xl_def_notes"))
        values["notes"] = [s.get("notes") for s in segs]
    return _frame(cols, values), cols


ACTION_KINDS = {"priority": "int", "control_share": "percent", "duration_days": "int"}


def _action_text(value) -> str | float | int | None:
    """A field of an action as a cell: nested fields (a test design) as "key: value" lines."""
    if isinstance(value, dict):
        return "\n".join(f"{str(k).replace('_', ' ')}: {_action_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value


def actions_sheet(data: ReportData, w: _Words) -> tuple[pd.DataFrame, list[Column]] | None:
    """One row per recommended action, its fields in columns (never one slash-joined string)."""
    rows = [(s, a) for s in data.segment_list for a in s.get("actions") or []]
    if not rows:
        return None
    keys: list[str] = []
    for _, a in rows:
        keys += [k for k in a if k not in keys]
    keys.sort(key=lambda k: k != "priority")
    cols = [w.column("segment_id", "int", "xl_segment_id"), w.column("segment", "text", "col_segment")]
    for k in keys:
        header = f"col_{k}" if i18n.has(f"col_{k}", w.language) else None
        kind = ACTION_KINDS.get(k, "wrap" if k in ("message", "offer", "objective") else "text")
        col = w.column(k, kind, header, f"xl_def_action_{k}" if i18n.has(f"xl_def_action_{k}", w.language) else None)
        cols.insert(0, col) if k == "priority" else cols.append(col)
    values = {"segment_id": [int(s["id"]) for s, _ in rows], "segment": [s["name"] for s, _ in rows],
              **{k: [_action_text(a.get(k)) for _, a in rows] for k in keys}}
    return _frame(cols, values), cols


PLAN_COLUMNS = {  # campaign_plan.csv column -> (header key, kind)
    "priority": ("col_priority", "int"), "segment": ("xl_segment_id", "int"), "segment_name": ("col_segment", "text"),
    "objective": ("col_objective", "wrap"), "test_days": ("col_test_days", "int"),
    "action": ("col_offer", "wrap"), "message": ("col_message", "wrap"), "channel": ("col_channel", "text"),
    "kpi": ("col_kpi", "text"), "audience": ("xl_audience", "int"), "treatment": ("col_contacted", "int"),
    "control": ("col_held_back", "int"), "detectable_uplift": ("col_detectable", "percent"),
    "expected_value": ("col_value_at_stake", "money"), "value_basis": ("xl_value_basis", "text"),
    "audience_file": ("xl_audience_file", "text"),
}


def plan_sheet(data: ReportData, w: _Words) -> tuple[pd.DataFrame, list[Column]] | None:
    """The campaign plan (targeting/campaign_plan.csv) with display headers."""
    if data.plan is None:
        return None
    cols = []
    for key in data.plan.columns:
        header, kind = PLAN_COLUMNS.get(key, (None, "text"))
        cols.append(w.column(key, kind, header, f"xl_def_plan_{key}" if i18n.has(f"xl_def_plan_{key}", w.language)
                             else None))
    return _frame(cols, {k: data.plan[k].tolist() for k in data.plan.columns}), cols


CUSTOMER_FIELDS = (  # features.parquet column -> kind, in the order shown
    ("monetary", "money"), ("frequency", "int"), ("recency", "int"), ("clv_predicted", "money"),
    ("churn_risk", "percent"), ("p_alive", "percent"),
)


def customers_sheet(data: ReportData, w: _Words) -> tuple[pd.DataFrame, list[Column]] | None:
    """One row per customer: segment, lifecycle, tiers and cell in words, spend, predicted spend and risk."""
    a = data.assignments
    if a is None:
        return None
    lang = w.language
    if len(a) > WORKBOOK_MAX_ROWS:
        col = w.column("note", "wrap", "xl_note", "xl_def_note")
        return pd.DataFrame({col.header: [w.t("xl_too_many", customers=i18n.integer(len(a)))]}), [col]
    names = data.names
    cols = [w.column("customer_id", "text"), w.column("segment_id", "int", "xl_segment_id"),
            w.column("segment", "text", "col_segment")]
    values = {"customer_id": a["customer_id"].tolist(), "segment_id": a["segment"].astype(int).tolist(),
              "segment": [names.get(int(s), n) for s, n in zip(a["segment"], a["segment_name"])]}
    if "rule_segment" in a:
        cols.append(w.column("rule_segment", "int", "xl_rule_segment", "xl_def_rule_segment"))
        values["rule_segment"] = a["rule_segment"].tolist()
    labelled = {"lifecycle": lambda v: None if pd.isna(v) else i18n.value_label("lifecycle", v, lang),
                "rfm_segment": lambda v: None if pd.isna(v) else i18n.value_label("rfm_segment", v, lang),
                "value_tier": lambda v: _tier_label("value", v, lang),
                "value_risk_cell": lambda v: _cell_label(v, lang)}
    features = data.features.set_index("customer_id") if data.features is not None else pd.DataFrame()
    for key, label in labelled.items():
        if key in a:
            cols.append(w.column(key, "text", "col_cell" if key == "value_risk_cell" else None,
                                 "define_value_risk" if key == "value_risk_cell" else None))
            values[key] = [label(v) for v in a[key]]
        if key == "value_tier" and "risk_tier" in features:
            cols.append(w.column("risk_tier", "text"))
            values["risk_tier"] = [_tier_label("risk", v, lang)
                                   for v in features["risk_tier"].reindex(a["customer_id"]).tolist()]
    months = _horizon_months(data)
    for key, kind in CUSTOMER_FIELDS:
        if key not in features or not features[key].notna().any():
            continue
        if key == "clv_predicted":
            if not months:
                continue
            cols.append(w.column(key, kind, "xl_clv_predicted", "xl_def_clv_predicted", months=months))
        else:
            cols.append(w.column(key, kind))
        values[key] = features[key].reindex(a["customer_id"]).tolist()
    return _frame(cols, values), cols


def dictionary_sheet(sheets: dict[str, list[Column]], w: _Words) -> tuple[pd.DataFrame, list[Column]]:
    """What every column of every sheet holds, and how its numbers are written."""
    cols = [w.column("sheet", "text", "xl_dict_sheet"), w.column("column", "text", "xl_dict_column"),
            w.column("meaning", "wrap", "xl_dict_meaning"), w.column("unit", "text", "xl_dict_unit")]
    rows = [(sheet, c.header, c.meaning, w.t(f"xl_unit_{c.kind}")) for sheet, columns in sheets.items() for c in columns]
    return pd.DataFrame(rows, columns=[c.header for c in cols]), cols


def _display_width(value) -> int:
    """Characters a value takes on screen (a Chinese character takes two)."""
    text = value if isinstance(value, str) else f"{value:,.2f}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text.split("\n")[0])


def _layout(columns: list[Column], money: str):
    """``finish(name, worksheet)`` for the writer: formats, widths, wrapped text, frozen header, filters."""
    def finish(_name: str, ws) -> None:
        for j, col in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=j).column_letter
            fmt = money if col.kind == "money" else FORMATS[col.kind]
            cells = ws.iter_rows(min_row=2, min_col=j, max_col=j)
            sample = []
            for (cell,) in cells:
                if fmt != "@":
                    cell.number_format = fmt
                if col.kind == "wrap":
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif len(sample) < WIDTH_SAMPLE:
                    sample.append(cell.value)
            header_width = max(_display_width(part) for part in col.header.split())
            longest = max((_display_width(v) for v in sample if v is not None), default=0)
            if fmt in ("0.0%",):
                longest = max(longest, 6)
            elif col.kind == "money":
                longest = max(longest + 3, 10)
            width = WRAP_WIDTH if col.kind == "wrap" else min(MAX_WIDTH, max(longest, header_width, 6))
            ws.column_dimensions[letter].width = width + 2
            head = ws.cell(row=1, column=j)
            head.font = Font(bold=True)
            head.fill = HEADER_FILL
            head.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "C2" if len(columns) > 4 else "A2"
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
    return finish


def write_workbook(run_dir: Path) -> Path:
    """segments.xlsx beside the run's other outputs, in the report's language."""
    run_dir = Path(run_dir)
    data = load_report_data(run_dir)
    language = data.cfg.language
    w = _Words(language)
    with i18n.value_labels(data.cfg.columns.value_labels_in(language), data.cfg.columns.column_labels(language)):
        built = {"xl_sheet_segments": segments_sheet(data, w), "xl_sheet_personas": personas_sheet(data, w),
                 "xl_sheet_actions": actions_sheet(data, w), "xl_sheet_plan": plan_sheet(data, w),
                 "xl_sheet_customers": customers_sheet(data, w)}
    built = {w.t(k): v for k, v in built.items() if v is not None}
    built[w.t("xl_sheet_dictionary")] = dictionary_sheet({name: cols for name, (_, cols) in built.items()}, w)
    money = money_format(getattr(data.cfg.report, "currency", None))
    layouts = {name: _layout(cols, money) for name, (_, cols) in built.items()}
    return write_sheets(run_dir / "segments.xlsx", {name: frame for name, (frame, _) in built.items()},
                        finish=lambda name, ws: layouts[name](name, ws))
