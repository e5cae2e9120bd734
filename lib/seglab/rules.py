"""Segments the analyst defines: ordered named conditions, or bins of one or two columns.

Conditions come from params files that get shared and copied, so they are never
``eval``-ed: :func:`parse_condition` parses them with :mod:`ast` and allows only
comparisons, ``and``/``or``/``not``, ``in`` lists, column names and literals.
"""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from seglab.errors import DataError, ParamsError, did_you_mean
from seglab.preprocess import as_text, column_kind

_COMPARE = {
    ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge",
}
_FORBIDDEN = {
    ast.Call: "function calls", ast.Attribute: "attribute access (x.y)", ast.Subscript: "indexing (x[...])",
    ast.Lambda: "lambda", ast.BinOp: "arithmetic", ast.IfExp: "if-expressions", ast.NamedExpr: "assignment (:=)",
    ast.Dict: "dictionaries", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.DictComp: "comprehensions", ast.JoinedStr: "f-strings",
    ast.Starred: "unpacking (*x)",
}
_HINT = "use comparisons (== != < <= > >=), and/or/not, `in [...]`, `is None`, column names and literals"


# ------------------------------------------------------------ conditions

def parse_condition(text: str, *, where: str) -> ast.Expression:
    """Parse a rule condition and check that it uses only the allowed constructs.

    Parameters
    ----------
    text : str
        For example ``"age < 27 and interest in ['running', 'fitness']"``.
    where : str
        The params key of the condition, named in errors
        (``"segmentation.rules[0].when"``).

    Returns
    -------
    ast.Expression
        The checked tree, for :func:`evaluate_condition`.

    Raises
    ------
    ParamsError
        Syntax errors and anything beyond comparisons, boolean operators,
        ``in`` lists, ``is None``, column names and literals.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParamsError(f"{where}: the condition is empty; {_HINT}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParamsError(f"{where}: not a valid condition (got {text!r}: {exc.msg}); {_HINT}") from None
    _check(tree.body, text, where, top=True)
    return tree


def condition_columns(tree: ast.Expression) -> list[str]:
    """Column names a parsed condition reads, in order of appearance."""
    names = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name)), key=lambda n: n.col_offset)
    return list(dict.fromkeys(n.id for n in names))


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


def _check(node, text, where, top=False):
    kind = type(node)
    if kind in _FORBIDDEN or not isinstance(node, (ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Constant,
                                                   ast.List, ast.Tuple, ast.Set)):
        what = _FORBIDDEN.get(kind, f"'{kind.__name__}' expressions")
        raise ParamsError(f"{where}: {what} cannot be used in a condition (got {text!r}); {_HINT}")
    if isinstance(node, ast.Name) and node.id.startswith("__"):
        raise ParamsError(f"{where}: names starting with '__' are not allowed in a condition (got {text!r})")
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, text, where, top=True)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            _check(node.operand, text, where, top=True)
        elif isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
                and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            pass
        else:
            raise ParamsError(f"{where}: only 'not' and a minus sign on a number are allowed as unary operators "
                              f"(got {text!r})")
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
                    raise ParamsError(f"{where}: `in` needs a list of literals on its right, e.g. "
                                      f"`city in ['Beijing', 'Shanghai']` (got {text!r})")
                _operand(left, text, where)
                for item in right.elts:
                    if not _is_literal(item):
                        raise ParamsError(f"{where}: the list after `in` may hold only literals (got {text!r})")
            elif isinstance(op, (ast.Is, ast.IsNot)):
                if not (isinstance(right, ast.Constant) and right.value is None):
                    raise ParamsError(f"{where}: `is` only tests for a missing value: `x is None` or "
                                      f"`x is not None` (got {text!r})")
                _operand(left, text, where)
            elif type(op) in _COMPARE:
                _operand(left, text, where)
                _operand(right, text, where)
            else:
                raise ParamsError(f"{where}: operator '{type(op).__name__}' is not allowed (got {text!r}); {_HINT}")
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        raise ParamsError(f"{where}: a list may only follow `in` (got {text!r})")
    elif isinstance(node, ast.Constant) and top and not isinstance(node.value, bool):
        raise ParamsError(f"{where}: a condition must compare something (got {text!r}); {_HINT}")


def _operand(node, text, where):
    if isinstance(node, ast.Name) or _is_literal(node) or type(node) in _FORBIDDEN:
        _check(node, text, where)  # raises the specific message for forbidden constructs
        return
    raise ParamsError(f"{where}: compare column names and literals only (got {text!r}); {_HINT}")


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float, bool)) or node.value is None
    return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool))


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
            part = getattr(_series(a, frame), _COMPARE[type(op)])(b)
            part = part.fillna(_COMPARE[type(op)] == "ne").to_numpy(dtype=bool)
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


# ------------------------------------------------------------ params check

def check_rule_params(seg, *, method: bool = True) -> None:
    """Check the rules/bins part of the segmentation params, before any data is read.

    ``method=False`` skips the checks that relate several keys to
    ``method: rules`` (the params schema runs this on every assignment, when
    keys may be set one at a time).

    Raises
    ------
    ParamsError
        A condition is unsafe or invalid, rules and bins are both or neither
        given for ``method: rules``, more than two bins, or bin labels that do
        not fit the edges.
    """
    for i, rule in enumerate(seg.rules):
        parse_condition(rule.when, where=f"segmentation.rules[{i}].when")
    names = [r.name for r in seg.rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParamsError(f"segmentation.rules: segment name '{dup[0]}' is used twice; give each rule its own name")
    if seg.default_segment in names:
        raise ParamsError(f"segmentation.default_segment: '{seg.default_segment}' is also a rule's name")
    if len(seg.bins) > 2:
        raise ParamsError(f"segmentation.bins: one or two dimensions are supported (got {len(seg.bins)})")
    for i, spec in enumerate(seg.bins):
        where = f"segmentation.bins[{i}]"
        if spec.edges is not None:
            if len(spec.edges) < 2 or any(b <= a for a, b in zip(spec.edges, spec.edges[1:])):
                raise ParamsError(f"{where}.edges: give at least two increasing edges (got {spec.edges})")
            if spec.labels is not None and len(spec.labels) != len(spec.edges) - 1:
                raise ParamsError(f"{where}.labels: {len(spec.edges)} edges make {len(spec.edges) - 1} bins, "
                                  f"so give {len(spec.edges) - 1} labels (got {len(spec.labels)})")
    if len(seg.bins) == 2 and seg.bins[0].column == seg.bins[1].column:
        raise ParamsError(f"segmentation.bins: both dimensions use column '{seg.bins[0].column}'")
    if method and seg.method == "rules":
        if seg.rules and seg.bins:
            raise ParamsError("segmentation: give either rules or bins for method 'rules', not both")
        if not seg.rules and not seg.bins:
            raise ParamsError("segmentation: method 'rules' needs segmentation.rules (named conditions) or "
                              "segmentation.bins (one or two binned columns)")


def fit_rules(features: pd.DataFrame, seg):
    """The fitted rule or bin segmenter that ``seg`` (``cfg.segmentation``) describes."""
    check_rule_params(seg)
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
