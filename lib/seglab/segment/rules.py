"""Segments the analyst defines: ordered named conditions, or bins of one or two columns.

Conditions are parsed (never ``eval``-ed) by :mod:`seglab.conditions`; this module
evaluates them on a feature table and fits the segmenters.
"""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from seglab.conditions import COMPARISONS, condition_columns, parse_condition
from seglab.errors import DataError, ParamsError, did_you_mean
from seglab.segment.preprocess import as_text, column_kind

# ------------------------------------------------------------ conditions

def evaluate_condition(tree: ast.Expression, frame: pd.DataFrame, *, where: str) -> np.ndarray:
    """Boolean mask of the rows of ``frame`` that satisfy a parsed condition.

    Missing values compare as pandas does: false for ``==``, ``<``, ``in``...,
    true for ``!=`` and ``not in``; ``x is None`` tests for a missing value.
    """
    for name in condition_columns(tree):
        if name not in frame.columns:
            raise ParamsError(f"{where}: unknown column '{name}'{did_you_mean(name, frame.columns)}")
    try:
        out = _eval(tree.body, frame)
    except TypeError as exc:
        raise ParamsError(f"{where}: cannot evaluate the condition ({exc}); compare numbers with numbers "
                          "and text with quoted text") from None
    return _as_mask(out, frame, where)


def _eval(node, frame):
    if isinstance(node, ast.BoolOp):
        masks = [_as_mask(_eval(v, frame), frame, None) for v in node.values]
        return np.logical_and.reduce(masks) if isinstance(node.op, ast.And) else np.logical_or.reduce(masks)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return ~_as_mask(_eval(node.operand, frame), frame, None)
        return -node.operand.value
    if isinstance(node, ast.Name):
        return frame[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_eval(e, frame) for e in node.elts]
    # Compare: a chain a < b < c is (a < b) and (b < c).
    result = np.ones(len(frame), dtype=bool)
    operands = [node.left, *node.comparators]
    for op, left, right in zip(node.ops, operands, operands[1:]):
        a, b = _eval(left, frame), _eval(right, frame)
        if isinstance(op, (ast.In, ast.NotIn)):
            hit = _series(a, frame).isin(b).to_numpy(dtype=bool)
            part = hit if isinstance(op, ast.In) else ~hit
        elif isinstance(op, (ast.Is, ast.IsNot)):
            missing = _series(a, frame).isna().to_numpy(dtype=bool)
            part = missing if isinstance(op, ast.Is) else ~missing
        else:
            part = getattr(_series(a, frame), COMPARISONS[type(op)])(b)
            part = part.fillna(COMPARISONS[type(op)] == "ne").to_numpy(dtype=bool)
        result &= part
    return result


def _series(value, frame) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series([value] * len(frame), index=frame.index)


def _as_mask(value, frame, where) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, pd.Series):
        if not pd.api.types.is_bool_dtype(value.dtype):
            raise ParamsError(f"{where or 'segmentation.rules'}: column '{value.name}' is not true/false; "
                              "compare it, e.g. `" + str(value.name) + " == 'x'`")
        return value.fillna(False).to_numpy(dtype=bool)
    return np.full(len(frame), bool(value))


def fit_rules(features: pd.DataFrame, seg):
    """The fitted rule or bin segmenter that ``seg`` (``cfg.segmentation``) describes.

    ``seg`` has passed :func:`seglab.config.check_rule_params` (``seglab.validation``).
    """
    if seg.rules:
        return RuleSegmenter([(r.name, r.when) for r in seg.rules], seg.default_segment).fit(features)
    return BinSegmenter([s.model_dump() for s in seg.bins]).fit(features)


# ------------------------------------------------------------ segmenters

class RuleSegmenter(BaseEstimator):
    """Ordered named conditions: a customer joins the first rule it satisfies, else the default.

    Segment ``i`` is rule ``i``; the default segment comes last. The rules
    are kept as text and parsed again after unpickling, so a saved model holds
    no code.

    Parameters
    ----------
    rules : list of (name, condition)
    default : str
        Name of the segment of customers no rule matches.
    """

    def __init__(self, rules, default="Other"):
        self.rules = rules
        self.default = default

    def fit(self, features: pd.DataFrame, y=None):
        """Check every condition against the columns of ``features`` and count its matches."""
        for i, tree in enumerate(self._parsed()):
            for name in condition_columns(tree):
                if name not in features.columns:
                    raise ParamsError(f"segmentation.rules[{i}].when: unknown column '{name}'"
                                      f"{did_you_mean(name, features.columns)}")
        self.names_ = {i: name for i, (name, _) in enumerate(self.rules)} | {len(self.rules): self.default}
        columns = list(dict.fromkeys(c for t in self._parsed() for c in condition_columns(t)))
        self.columns_ = {kind: [c for c in columns if column_kind(features[c]) == kind]
                         for kind in ("numeric", "categorical", "date")}
        _, self.n_matched_, self.n_assigned_ = self._assign(features)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Segment of each customer: the first matching rule, else the default segment."""
        check_is_fitted(self, "names_")
        return self._assign(features)[0]

    def describe(self, labels) -> dict:
        """Each rule with how many training customers matched it and how many it took."""
        return {"engine": None,
                "k_reason": f"{len(self.rules)} rules from segmentation.rules, applied in order, and the default "
                            f"segment '{self.default}'",
                "features": {k: v for k, v in self.columns_.items() if v or k != "date"},
                "rules": [{"segment": i, "name": name, "when": when, "matched": m, "assigned": a}
                          for i, ((name, when), m, a) in enumerate(zip(self.rules, self.n_matched_, self.n_assigned_))],
                "default_segment": {"segment": len(self.rules), "name": self.default,
                                    "assigned": int(np.sum(labels == len(self.rules)))}}

    def _parsed(self):
        return [parse_condition(when, where=f"segmentation.rules[{i}].when") for i, (_, when) in enumerate(self.rules)]

    def _assign(self, features):
        labels = np.full(len(features), len(self.rules), dtype=np.int64)
        free = np.ones(len(features), dtype=bool)
        matched, assigned = [], []
        for i, tree in enumerate(self._parsed()):
            for name in condition_columns(tree):
                if name not in features.columns:
                    raise DataError(f"the data lacks column '{name}' that rule '{self.rules[i][0]}' reads")
            mask = evaluate_condition(tree, features, where=f"segmentation.rules[{i}].when")
            take = mask & free
            labels[take] = i
            free &= ~mask
            matched.append(int(mask.sum()))
            assigned.append(int(take.sum()))
        return labels, matched, assigned


class BinSegmenter(BaseEstimator):
    """Bins of one column, or the cross-tab of two, as segments.

    Numeric columns: with ``edges``, bins ``[e0, e1), [e1, e2) ... [e_m-1, e_m]``
    and values outside the outer edges fall in the first or last bin; without,
    the training quartiles. Categorical columns: one bin per category, by
    descending count. Missing values get a bin "<column> missing" when the
    training data had any; otherwise (at predict) they, and categories unseen
    in training, go to the most populated training bin. Two dimensions give
    segment ``i * n_bins_2 + j`` for bin ``i`` of the first and ``j`` of the
    second, named "label1 × label2", so a cell keeps its number across runs.

    Parameters
    ----------
    specs : list of dict
        ``{column, edges, labels}``, one or two.
    """

    def __init__(self, specs):
        self.specs = specs

    def fit(self, features: pd.DataFrame, y=None):
        """Learn the bins of each dimension."""
        self.dims_ = []
        for i, spec in enumerate(self.specs):
            col = spec["column"]
            where = f"segmentation.bins[{i}]"
            if col not in features.columns:
                raise ParamsError(f"{where}.column: unknown column '{col}'{did_you_mean(col, features.columns)}")
            series = features[col]
            kind = column_kind(series)
            if kind == "date":
                raise ParamsError(f"{where}.column: '{col}' is a date; bin a number derived from it (e.g. tenure_days)")
            dim = {"column": col, "kind": kind}
            if kind == "numeric":
                values = pd.to_numeric(series, errors="coerce")
                edges = spec.get("edges")
                if edges is None:
                    if values.notna().sum() == 0:
                        raise DataError(f"{where}: column '{col}' has no values to bin")
                    edges = sorted(set(np.nanquantile(values, [0, 0.25, 0.5, 0.75, 1]).tolist()))
                    if len(edges) < 2:
                        edges = [edges[0], edges[0]]
                dim["edges"] = [float(e) for e in edges]
                labels = spec.get("labels") or [_interval(col, a, b, last=(j == len(edges) - 2))
                                                for j, (a, b) in enumerate(zip(edges, edges[1:]))]
                dim["labels"] = list(labels)
            else:
                if spec.get("edges") is not None:
                    raise ParamsError(f"{where}.edges: column '{col}' is categorical; leave out edges")
                counts = as_text(series).value_counts()
                dim["categories"] = sorted(counts.index, key=lambda c: (-counts[c], c))
                dim["labels"] = list(spec.get("labels") or [f"{col} {c}" for c in dim["categories"]])
                if len(dim["labels"]) != len(dim["categories"]):
                    raise ParamsError(f"{where}.labels: column '{col}' has {len(dim['categories'])} categories "
                                      f"({', '.join(dim['categories'])}), so give that many labels "
                                      f"(got {len(dim['labels'])})")
            if series.isna().any():
                dim["labels"].append(f"{col} missing")
                dim["missing_bin"] = len(dim["labels"]) - 1
            self.dims_.append(dim)
            codes = self._codes(dim, features, fallback=False)
            dim["fallback"] = int(np.argmax(np.bincount(codes, minlength=len(dim["labels"]))))
        sizes = [len(d["labels"]) for d in self.dims_]
        if len(sizes) == 1:
            self.names_ = dict(enumerate(self.dims_[0]["labels"]))
        else:
            self.names_ = {i * sizes[1] + j: f"{a} × {b}" for i, a in enumerate(self.dims_[0]["labels"])
                           for j, b in enumerate(self.dims_[1]["labels"])}
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Segment of each customer: its bin, or its cell of the cross-tab."""
        check_is_fitted(self, "dims_")
        codes = [self._codes(d, features, fallback=True) for d in self.dims_]
        if len(codes) == 1:
            return codes[0]
        return codes[0] * len(self.dims_[1]["labels"]) + codes[1]

    def describe(self, labels) -> dict:
        """The bins, and for two dimensions the cross-tab of counts."""
        out = {"engine": None,
               "k_reason": ("bins of " + " × ".join(d["column"] for d in self.dims_) + " from segmentation.bins"),
               "features": {"numeric": [d["column"] for d in self.dims_ if d["kind"] == "numeric"],
                            "categorical": [d["column"] for d in self.dims_ if d["kind"] == "categorical"]},
               "bins": [{k: v for k, v in d.items() if k != "fallback"} for d in self.dims_]}
        if len(self.dims_) == 2:
            n2 = len(self.dims_[1]["labels"])
            counts = np.bincount(labels, minlength=len(self.dims_[0]["labels"]) * n2).reshape(-1, n2)
            out["crosstab"] = {"rows": self.dims_[0]["column"], "columns": self.dims_[1]["column"],
                               "row_labels": self.dims_[0]["labels"], "column_labels": self.dims_[1]["labels"],
                               "counts": counts.tolist()}
        return out

    @staticmethod
    def _codes(dim, features, *, fallback) -> np.ndarray:
        col = dim["column"]
        if col not in features.columns:
            raise DataError(f"the data lacks column '{col}' that segmentation.bins reads")
        series = features[col]
        missing = series.isna().to_numpy().copy()
        if dim["kind"] == "numeric":
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            missing |= ~np.isfinite(values)
            inner = np.asarray(dim["edges"][1:-1])
            codes = np.searchsorted(inner, np.where(missing, 0.0, values), side="right").astype(np.int64)
        else:
            codes = pd.Categorical(as_text(series), categories=dim["categories"]).codes.astype(np.int64)
            missing |= codes < 0
        if "missing_bin" in dim:
            codes[series.isna().to_numpy()] = dim["missing_bin"]
            missing &= ~series.isna().to_numpy()
        if fallback:
            codes[missing] = dim["fallback"]
        return codes


def _interval(col, a, b, *, last) -> str:
    return f"{col} {_num(a)} to {_num(b)}" if last else f"{col} {_num(a)} to under {_num(b)}"


def _num(x) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.3g}"
