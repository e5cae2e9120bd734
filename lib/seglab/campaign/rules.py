"""Portable segment rules: a few readable conditions per segment that anyone can apply without seglab.

A segmentation model lives in ``model.joblib``; a CRM team has SQL and a spreadsheet. A
shallow decision tree (depth 1–3, chosen by cross-validation with the one-standard-error
rule of Breiman et al., *Classification and Regression Trees*, 1984) is trained on the run's
customer features to reproduce the model's segments. Each leaf is a conjunction of at most
three conditions such as ``age <= 27 and interest = 'running'``; the leaves partition every
customer, missing values included, so the rules give every customer exactly one segment.

The rules are exported three ways that agree exactly (docs/architecture.md §5):
:meth:`SegmentRules.apply` in Python (the ``rule_segment`` column of assignments.csv),
:func:`to_sql` (one SELECT portable across SQLite, PostgreSQL and DuckDB) and the readable
text on each persona card. Thresholds are the shortest decimals that split the training data
where the tree split it (``age <= 27`` rather than ``age <= 27.5000003``), so every database
parses them to the same double as Python does.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

from seglab import i18n

MAX_DEPTH = 3
CV_FOLDS = 5
CRITERIA = ("gini", "entropy")  # entropy often isolates a small segment that gini merges away
MAX_LEVELS = 15  # categories per column the tree may name; rarer ones count as "other"
FIT_SAMPLE = 200_000  # customers the final tree is fitted on (the rules then apply to all)
CV_SAMPLE = 30_000  # customers the depth is chosen on
MIN_LEAF_SHARE = 0.005  # a leaf holds at least this share of customers (and at least 5)

# Labels seglab computes (scores and cells) are no CRM column: the tree uses their inputs instead.
DERIVED = {"rfm_segment", "rfm_score", "r_score", "f_score", "m_score", "value_tier", "risk_tier",
           "value_risk_cell", "lifecycle", "buyer_type", "churn_risk_basis"}
RFM_INPUTS = ("recency", "frequency", "monetary")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# ------------------------------------------------------------------ the rules

@dataclass(frozen=True)
class Condition:
    """One column's condition on a leaf's path.

    Numeric: ``low < x <= high`` (either end open when None). Category: ``x = equals``,
    or ``x`` not in ``excludes``. ``missing``: whether a missing value meets the condition.
    """

    column: str
    kind: str  # "numeric" or "category"
    low: str | None = None  # decimal literals, exactly as written in SQL
    high: str | None = None
    equals: str | None = None
    excludes: tuple[str, ...] = ()
    missing: bool = False

    def mask(self, values: pd.Series) -> np.ndarray:
        """Which values meet the condition (the Python twin of :meth:`sql`)."""
        if self.kind == "numeric":
            x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            miss = np.isnan(x)
            with np.errstate(invalid="ignore"):
                ok = np.ones(len(x), bool)
                if self.low is not None:
                    ok &= x > float(self.low)
                if self.high is not None:
                    ok &= x <= float(self.high)
        else:
            miss = values.isna().to_numpy()
            text = values.astype("str").to_numpy(dtype=object)
            if self.equals is not None:
                ok = (text == self.equals) & ~miss
            else:
                ok = ~pd.Series(text).isin(list(self.excludes)).to_numpy() & ~miss
        return np.where(miss, self.missing, ok)

    def sql(self) -> str:
        """The condition in SQL that SQLite, PostgreSQL and DuckDB read alike."""
        col = quote_identifier(self.column)
        if self.kind == "numeric":
            parts = ([f"{col} > {self.low}"] if self.low is not None else []) + \
                    ([f"{col} <= {self.high}"] if self.high is not None else [])
            text = " AND ".join(parts)
            if len(parts) > 1 and self.missing:
                text = f"({text})"
        elif self.equals is not None:
            text = f"{col} = {quote_text(self.equals)}"
        elif len(self.excludes) == 1:
            text = f"{col} <> {quote_text(self.excludes[0])}"
        else:
            text = f"{col} NOT IN ({', '.join(quote_text(v) for v in self.excludes)})"
        # NULL compares as unknown in SQL: say explicitly where a missing value belongs.
        return f"({text} OR {col} IS NULL)" if self.missing else text

    def as_dict(self) -> dict:
        out = {"column": self.column, "kind": self.kind, "missing": self.missing}
        if self.kind == "numeric":
            out.update(low=self.low, high=self.high)
        elif self.equals is not None:
            out["equals"] = self.equals
        else:
            out["excludes"] = list(self.excludes)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Condition":
        return cls(d["column"], d["kind"], d.get("low"), d.get("high"), d.get("equals"),
                   tuple(d.get("excludes", ())), bool(d.get("missing")))


@dataclass(frozen=True)
class Leaf:
    """One path of the tree: its conditions, the segment it gives, and how well it does."""

    segment: int
    conditions: tuple[Condition, ...]
    customers: int = 0  # customers the leaf takes
    correct: int = 0  # of them, in ``segment`` by the model

    def mask(self, features: pd.DataFrame) -> np.ndarray:
        out = np.ones(len(features), bool)
        for c in self.conditions:
            out &= c.mask(features[c.column])
        return out

    def sql(self) -> str:
        return " AND ".join(c.sql() for c in self.conditions) if self.conditions else "1 = 1"


@dataclass
class SegmentRules:
    """The fitted rules of one run and how far they agree with the model's segments."""

    leaves: list[Leaf]
    depth: int
    columns: list[str]
    cv: list[dict] = field(default_factory=list)  # per depth and criterion: mean and standard error of accuracy
    criterion: str = "gini"
    agreement: float = math.nan  # share of customers the rules put in the model's segment
    cv_agreement: float = math.nan  # the same, cross-validated: what to expect on new customers
    segments: list[dict] = field(default_factory=list)  # per segment: size, precision, recall
    notes: list[str] = field(default_factory=list)

    def apply(self, features: pd.DataFrame) -> np.ndarray:
        """The rules' segment of each customer (the first leaf that matches; the leaves partition)."""
        out = np.full(len(features), -1, dtype=np.int64)
        for leaf in self.leaves:
            free = out < 0
            if not free.any():
                break
            hit = free & leaf.mask(features)
            out[hit] = leaf.segment
        return out

    def as_dict(self) -> dict:
        """The content of ``segment_rules.json``."""
        return {"method": "decision tree", "max_depth": MAX_DEPTH, "depth": self.depth, "cv_folds": CV_FOLDS,
                "criterion": self.criterion,
                "depth_rule": "per depth the split criterion (gini or entropy) with the best cross-validated "
                              "accuracy; then the smallest depth whose accuracy is within one standard error "
                              "of the best depth's (one-standard-error rule, Breiman et al. 1984)",
                "columns": self.columns, "cv": self.cv, "agreement": _num(self.agreement),
                "cv_agreement": _num(self.cv_agreement), "segments": self.segments, "notes": self.notes,
                "leaves": [{"segment": lf.segment, "customers": lf.customers, "correct": lf.correct,
                            "conditions": [c.as_dict() for c in lf.conditions]} for lf in self.leaves]}

    @classmethod
    def from_dict(cls, d: dict) -> "SegmentRules":
        leaves = [Leaf(int(lf["segment"]), tuple(Condition.from_dict(c) for c in lf["conditions"]),
                       int(lf.get("customers", 0)), int(lf.get("correct", 0))) for lf in d["leaves"]]
        return cls(leaves, int(d["depth"]), list(d.get("columns", [])), list(d.get("cv", [])),
                   d.get("criterion", "gini"), _nan(d.get("agreement")), _nan(d.get("cv_agreement")), list(d.get("segments", [])),
                   list(d.get("notes", [])))


def _num(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _nan(x):
    return math.nan if x is None else float(x)


# ------------------------------------------------------------------ fitting

def rule_columns(features: pd.DataFrame, model_features: dict | None) -> list[str]:
    """The columns the rules may use: the model's own features, with seglab's labels replaced by
    the raw columns they come from (a CRM holds recency, not "Champions"), numbers and text only."""
    wanted = []
    if model_features:
        wanted = [c for kind in ("numeric", "categorical") for c in model_features.get(kind, [])]
    if not wanted:
        wanted = list(features.columns)
    if any(c in DERIVED for c in wanted):
        wanted += [c for c in RFM_INPUTS if c in features.columns]
    out = []
    for col in dict.fromkeys(wanted):
        if col == "customer_id" or col in DERIVED or col not in features.columns:
            continue
        if _kind(features[col]) is not None and features[col].notna().any():
            out.append(col)
    return out


def _kind(s: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return None if np.isinf(x).any() else "numeric"
    if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
        return "category"
    return None


@dataclass(frozen=True)
class _Encoded:
    column: str
    kind: str
    value: str | None = None  # the category of a one-hot column


def _encode(features: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[_Encoded]]:
    """Numbers as they are (missing as NaN, which the tree routes), categories one-hot."""
    blocks, spec = [], []
    n = len(features)
    for col in columns:
        s = features[col]
        if _kind(s) == "numeric":
            blocks.append(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)[:, None])
            spec.append(_Encoded(col, "numeric"))
            continue
        text = s.astype("str").where(s.notna())
        counts = text.value_counts()
        # Values a SQL literal cannot carry safely, and rare ones, are "other".
        counts = counts[[not _CONTROL.search(str(v)) for v in counts.index]]
        levels = list(counts[counts >= max(5, MIN_LEAF_SHARE * n)].index[:MAX_LEVELS])
        if len(levels) < 2 and len(counts) < 2:
            continue
        arr = text.to_numpy(dtype=object)
        for v in levels:
            blocks.append((arr == v).astype(float)[:, None])
            spec.append(_Encoded(col, "category", str(v)))
    x = np.hstack(blocks) if blocks else np.zeros((n, 0))
    return x, spec


def fit_rules(features: pd.DataFrame, labels, *, model_features: dict | None = None, seed: int = 0) -> SegmentRules:
    """Train the shallow tree that reproduces ``labels`` and turn it into rules.

    Parameters
    ----------
    features : DataFrame
        ``features.parquet`` of the run (one row per customer).
    labels : array of int
        The model's segment of each customer.
    model_features : dict, optional
        ``segmentation.json``'s ``features`` (``numeric``/``categorical`` lists): the
        columns the model used, which the rules use too.
    seed : int
        The run's seed: folds and samples are drawn from it.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    columns = rule_columns(features, model_features)
    x, spec = _encode(features, columns)
    classes, counts = np.unique(labels, return_counts=True)
    notes = []
    if len(classes) < 2 or x.shape[1] == 0:
        top = int(classes[np.argmax(counts)]) if len(classes) else 0
        notes.append("one segment only" if len(classes) < 2 else "no column the rules could use")
        rules = SegmentRules([Leaf(top, ())], 0, columns, notes=notes)
        return _measure(rules, features, labels, math.nan)
    rng = np.random.default_rng(seed)
    min_leaf = max(5, int(math.ceil(MIN_LEAF_SHARE * n)))
    cv, cv_rows = _cross_validate(x, labels, rng, min_leaf, seed)
    chosen = _choose(cv)
    fit_rows = _sample(labels, FIT_SAMPLE, rng)
    tree = _tree(chosen["depth"], chosen["criterion"], min_leaf, len(fit_rows), seed).fit(x[fit_rows], labels[fit_rows])
    leaves = _leaves(tree, spec, x[fit_rows])
    if n > len(fit_rows):
        notes.append(f"the tree was fitted on a seeded sample of {len(fit_rows):,} customers and applied to all")
    if cv_rows < n:
        notes.append(f"the depth was chosen on a seeded sample of {cv_rows:,} customers")
    rules = SegmentRules(leaves, chosen["depth"], columns, cv, criterion=chosen["criterion"], notes=notes)
    return _measure(rules, features, labels, chosen["accuracy"])


def _sample(labels: np.ndarray, size: int, rng) -> np.ndarray:
    if len(labels) <= size:
        return np.arange(len(labels))
    return np.sort(rng.choice(len(labels), size=size, replace=False))


def _cross_validate(x, labels, rng, min_leaf, seed) -> tuple[list[dict], int]:
    """Accuracy on held-out folds for each depth and split criterion (folds stratified by
    segment when every segment has a customer per fold).

    One tree of the largest depth is grown per fold and criterion; the shallower trees are
    its top levels (a greedy tree splits each node the same whatever the depth limit), so
    they are scored by stopping the descent early.
    """
    rows = _sample(labels, CV_SAMPLE, rng)
    xs, ys = x[rows], labels[rows]
    smallest = int(np.unique(ys, return_counts=True)[1].min())
    folds = max(2, min(CV_FOLDS, len(ys) // 2))
    splitter = (StratifiedKFold if smallest >= folds else KFold)(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(xs, ys))
    scores = {(d, c): [] for d in range(1, MAX_DEPTH + 1) for c in CRITERIA}
    for criterion in CRITERIA:
        for train, test in splits:
            tree = _tree(MAX_DEPTH, criterion, min_leaf, len(train), seed).fit(xs[train], ys[train])
            for depth in range(1, MAX_DEPTH + 1):
                scores[depth, criterion].append(float((_predict_at_depth(tree, xs[test], depth) == ys[test]).mean()))
    out = [{"depth": d, "criterion": c, "accuracy": float(np.mean(v)),
            "se": float(np.std(v, ddof=1) / math.sqrt(len(v)))} for (d, c), v in scores.items()]
    return out, len(rows)


def _predict_at_depth(tree: DecisionTreeClassifier, x: np.ndarray, depth: int) -> np.ndarray:
    """The class of the node each row reaches after at most ``depth`` splits."""
    t = tree.tree_
    node = np.zeros(len(x), dtype=np.intp)
    for _ in range(depth):
        inner = t.children_left[node] != -1
        if not inner.any():
            break
        feature = t.feature[node[inner]]
        value = x[np.flatnonzero(inner), feature]
        left = np.where(np.isnan(value), t.missing_go_to_left[node[inner]].astype(bool),
                        value <= t.threshold[node[inner]])
        node[inner] = np.where(left, t.children_left[node[inner]], t.children_right[node[inner]])
    return tree.classes_[np.argmax(t.value[node][:, 0, :], axis=1)]


def _tree(depth: int, criterion: str, min_leaf: int, n: int, seed: int) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(max_depth=depth, criterion=criterion, min_samples_leaf=min(min_leaf, max(1, n // 20)),
                                  random_state=seed)


def _choose(cv: list[dict]) -> dict:
    """The best criterion per depth, then the smallest depth within one standard error of the best."""
    per_depth = {}
    for r in cv:
        if r["depth"] not in per_depth or r["accuracy"] > per_depth[r["depth"]]["accuracy"]:
            per_depth[r["depth"]] = r
    best = max(per_depth.values(), key=lambda r: r["accuracy"])
    return min((r for r in per_depth.values() if r["accuracy"] >= best["accuracy"] - best["se"]),
               key=lambda r: r["depth"])


# ------------------------------------------------------------------ tree -> leaves

def _leaves(tree: DecisionTreeClassifier, spec: list[_Encoded], x: np.ndarray) -> list[Leaf]:
    """Every leaf of the tree as a list of per-column conditions (siblings giving the same
    segment are merged first, so no condition is there for nothing)."""
    t = tree.tree_
    classes = tree.classes_
    predicted = {}

    def label(node):
        if node in predicted:
            return predicted[node]
        if t.children_left[node] == -1:
            out = int(classes[int(np.argmax(t.value[node][0]))])
        else:
            left, right = label(t.children_left[node]), label(t.children_right[node])
            out = left if left == right and left is not None else None
        predicted[node] = out
        return out

    leaves = []

    def walk(node, rows, path):
        if label(node) is not None:
            leaves.append(Leaf(label(node), _merge(path)))
            return
        enc = spec[t.feature[node]]
        goes_left = bool(t.missing_go_to_left[node])
        if enc.kind == "numeric":
            col = x[rows, t.feature[node]]
            cut = _threshold(col[~np.isnan(col)], float(t.threshold[node]))
            left = Condition(enc.column, "numeric", high=cut, missing=goes_left)
            right = Condition(enc.column, "numeric", low=cut, missing=not goes_left)
            with np.errstate(invalid="ignore"):
                to_left = np.where(np.isnan(col), goes_left, col <= float(cut))
        else:
            left = Condition(enc.column, "category", excludes=(enc.value,), missing=True)
            right = Condition(enc.column, "category", equals=enc.value)
            to_left = x[rows, t.feature[node]] <= 0.5
        walk(t.children_left[node], rows[to_left], path + [left])
        walk(t.children_right[node], rows[~to_left], path + [right])

    walk(0, np.arange(len(x)), [])
    return leaves


def _threshold(values: np.ndarray, cut: float) -> str:
    """The shortest decimal ``s`` with the tree's split: every value ``<= cut`` is ``<= s`` and
    every larger value is ``> s``.

    The tree compares in float32; the gap is taken from the data itself, in float64, so the
    rule splits the data exactly where the tree did. At most 15 significant digits, which
    every database parses to the same double.
    """
    f32 = values.astype(np.float32).astype(np.float64) <= cut if values.size else np.zeros(0, bool)
    lo = float(values[f32].max()) if f32.any() else cut
    hi = float(values[~f32].min()) if (~f32).any() else math.inf
    a = Decimal(repr(lo))
    for digits in range(1, 16):
        exp = a.adjusted() - digits + 1 if a != 0 else -digits
        step = Decimal(1).scaleb(max(exp, -20))
        s = (a / step).to_integral_value(rounding=ROUND_CEILING) * step
        if lo <= float(s) < hi:
            return _literal(s)
    return repr(lo)


def _literal(d: Decimal) -> str:
    """A plain decimal literal (no exponent, no trailing zeros): ``27``, ``0.35``, ``-1250``."""
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _merge(path: list[Condition]) -> tuple[Condition, ...]:
    """One condition per column: numeric bounds intersected, categories combined."""
    out: dict[str, Condition] = {}
    for c in path:
        prev = out.get(c.column)
        if prev is None:
            out[c.column] = c
        elif c.kind == "numeric":
            low = max((v for v in (prev.low, c.low) if v is not None), key=float, default=None)
            high = min((v for v in (prev.high, c.high) if v is not None), key=float, default=None)
            out[c.column] = Condition(c.column, "numeric", low, high, missing=prev.missing and c.missing)
        elif prev.equals is not None or c.equals is not None:
            out[c.column] = Condition(c.column, "category", equals=prev.equals or c.equals)
        else:
            out[c.column] = Condition(c.column, "category",
                                      excludes=tuple(dict.fromkeys(prev.excludes + c.excludes)), missing=True)
    return tuple(out.values())


# ------------------------------------------------------------------ agreement

def _measure(rules: SegmentRules, features: pd.DataFrame, labels: np.ndarray, cv_agreement: float) -> SegmentRules:
    """Counts per leaf, precision and recall per segment, overall agreement, on every customer."""
    got = rules.apply(features)
    leaves = []
    taken = np.zeros(len(labels), bool)
    for leaf in rules.leaves:
        hit = ~taken & leaf.mask(features)
        taken |= hit
        leaves.append(Leaf(leaf.segment, leaf.conditions, int(hit.sum()), int((hit & (labels == leaf.segment)).sum())))
    segments = []
    for s in sorted(set(labels.tolist()) | {lf.segment for lf in leaves}):
        model, rule = labels == s, got == s
        both = int((model & rule).sum())
        segments.append({"segment": int(s), "customers": int(model.sum()), "matched": int(rule.sum()),
                         "precision": _num(both / rule.sum()) if rule.any() else None,
                         "recall": _num(both / model.sum()) if model.any() else None})
    rules.leaves = sorted(leaves, key=lambda lf: (lf.segment, -lf.customers))
    rules.segments = segments
    rules.agreement = float((got == labels).mean()) if len(labels) else math.nan
    rules.cv_agreement = cv_agreement if not math.isnan(cv_agreement) else rules.agreement
    return rules


# ------------------------------------------------------------------ SQL and words

def quote_identifier(name: str) -> str:
    """A column name in double quotes (SQL standard; SQLite, PostgreSQL and DuckDB)."""
    return '"' + str(name).replace('"', '""') + '"'


def quote_text(value: str) -> str:
    """A text literal in single quotes, quotes doubled (no backslash escapes anywhere)."""
    return "'" + str(value).replace("'", "''") + "'"


def _comment(text: str) -> str:
    """Text safe inside a ``--`` comment: no line break can end the comment early."""
    return _CONTROL.sub(" ", str(text))


def to_sql(rules: SegmentRules, *, names: dict[int, str] | None = None, run_id: str = "",
           table: str = "features") -> str:
    """One SELECT over ``table`` (the columns of features.parquet) returning ``customer_id, rule_segment``.

    Written for SQLite, PostgreSQL and DuckDB alike: double-quoted column names, text in
    single quotes, plain decimal literals, and explicit ``IS NULL`` wherever a missing value
    belongs to a branch (a bare comparison with NULL is never true).
    """
    names = names or {}
    head = [f"-- seglab segment rules{' for run ' + _comment(run_id) if run_id else ''}",
            f"-- A decision tree of depth {rules.depth} reproduces the model's segments for "
            f"{_pct(rules.agreement)} of this run's customers "
            f"({_pct(rules.cv_agreement)} when cross-validated: what to expect on new customers).",
            f"-- Load features.parquet as a table named {table}; the query returns customer_id and rule_segment.",
            "-- rule_segment is the segment id:"]
    for seg in rules.segments:
        name = names.get(seg["segment"])
        head.append(f"--   {seg['segment']}: {_comment(name) if name else 'segment ' + str(seg['segment'])}"
                    f"  (precision {_pct(seg['precision'])}, recall {_pct(seg['recall'])})")
    if len(rules.leaves) == 1 and not rules.leaves[0].conditions:
        body = f"  {rules.leaves[0].segment} AS rule_segment"
    else:
        whens = "\n".join(f"    WHEN {leaf.sql()} THEN {leaf.segment}" for leaf in rules.leaves)
        body = f"  CASE\n{whens}\n  END AS rule_segment"
    return "\n".join(head) + f"\nSELECT\n  {quote_identifier('customer_id')},\n{body}\nFROM {quote_identifier(table)};\n"


def _pct(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * float(x):.1f} %"


def condition_text(c: Condition, language: str = "en", *, missing_seen: bool = True) -> str:
    """A condition as a client reads it: "age ≤ 27", "interest is running or hiking"."""
    label = i18n.feature_label(c.column, language)
    if c.kind == "numeric":
        if c.low is not None and c.high is not None:
            text = i18n.t("rule_between", language, low=_shown(c.low), label=label, high=_shown(c.high))
        elif c.high is not None:
            text = i18n.t("rule_at_most", language, label=label, value=_shown(c.high))
        else:
            text = i18n.t("rule_above", language, label=label, value=_shown(c.low))
    elif c.equals is not None:
        text = i18n.t("rule_is", language, label=label, value=i18n.value_label(c.column, c.equals, language))
    else:
        values = [i18n.value_label(c.column, v, language) for v in c.excludes]
        if len(values) > 1:
            values = [i18n.t("rule_list_or", language, head=i18n.t("list_sep", language).join(values[:-1]),
                             last=values[-1])]
        text = i18n.t("rule_is_not", language, label=label, value=values[0])
    if c.missing and missing_seen and c.kind == "numeric":
        text = i18n.t("rule_or_missing", language, rule=text)
    return text


def _shown(literal: str) -> str:
    """A threshold as written in the SQL, with thousands separators for large ones."""
    d = Decimal(literal)
    if abs(d) < 10_000:
        return literal
    whole, _, frac = literal.lstrip("-").partition(".")
    return ("-" if literal.startswith("-") else "") + f"{int(whole):,}" + (f".{frac}" if frac else "")


def leaf_text(leaf: Leaf, language: str = "en", *, missing_columns=()) -> str:
    """A leaf's conditions joined by "and"; "every customer" for a rule without conditions."""
    if not leaf.conditions:
        return i18n.t("rule_everyone", language)
    return i18n.t("rule_and", language).join(
        condition_text(c, language, missing_seen=c.column in missing_columns) for c in leaf.conditions)


def describe_segment(rules: SegmentRules, segment: int, language: str = "en", *, missing_columns=(),
                     limit: int = 3) -> dict:
    """What a persona card says about finding a segment: its largest leaves as text, each with
    the share of the segment it finds, and the segment's precision and recall.

    Returns ``{"leaves": [{"text", "finds", "precision"}], "more": int, "precision", "recall"}``;
    no leaves when the rules never give this segment.
    """
    stats = next((s for s in rules.segments if s["segment"] == segment), {})
    size = stats.get("customers") or 0
    mine = sorted((lf for lf in rules.leaves if lf.segment == segment), key=lambda lf: -lf.correct)
    leaves = [{"text": leaf_text(lf, language, missing_columns=missing_columns),
               "finds": lf.correct / size if size else None,
               "precision": lf.correct / lf.customers if lf.customers else None} for lf in mine[:limit]]
    return {"leaves": leaves, "more": max(0, len(mine) - limit),
            "precision": stats.get("precision"), "recall": stats.get("recall")}
