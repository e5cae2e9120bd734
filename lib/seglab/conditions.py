"""Conditions the analyst writes in params files ("age < 27 and interest == 'running'").

Params get shared and copied, so a condition is never ``eval``-ed: it is parsed with
:mod:`ast` and may hold only comparisons, ``and``/``or``/``not``, ``in`` lists, column
names and literals. Parsing needs no data, so the params schema checks every condition
when the file is loaded; :mod:`seglab.segment.rules` evaluates them on a table.
"""

from __future__ import annotations

import ast

from seglab.errors import ParamsError

COMPARISONS = {
    ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge",
}
_FORBIDDEN = {
    ast.Call: "function calls", ast.Attribute: "attribute access (x.y)", ast.Subscript: "indexing (x[...])",
    ast.Lambda: "lambda", ast.BinOp: "arithmetic", ast.IfExp: "if-expressions", ast.NamedExpr: "assignment (:=)",
    ast.Dict: "dictionaries", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.DictComp: "comprehensions", ast.JoinedStr: "f-strings",
    ast.Starred: "unpacking (*x)",
}
HINT = "use comparisons (== != < <= > >=), and/or/not, `in [...]`, `is None`, column names and literals"



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
        raise ParamsError(f"{where}: the condition is empty; {HINT}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParamsError(f"{where}: not a valid condition (got {text!r}: {exc.msg}); {HINT}") from None
    _check(tree.body, text, where, top=True)
    return tree


def condition_columns(tree: ast.Expression) -> list[str]:
    """Column names a parsed condition reads, in order of appearance."""
    names = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name)), key=lambda n: n.col_offset)
    return list(dict.fromkeys(n.id for n in names))


def _check(node, text, where, top=False):
    kind = type(node)
    if kind in _FORBIDDEN or not isinstance(node, (ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Constant,
                                                   ast.List, ast.Tuple, ast.Set)):
        what = _FORBIDDEN.get(kind, f"'{kind.__name__}' expressions")
        raise ParamsError(f"{where}: {what} cannot be used in a condition (got {text!r}); {HINT}")
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
            elif type(op) in COMPARISONS:
                _operand(left, text, where)
                _operand(right, text, where)
            else:
                raise ParamsError(f"{where}: operator '{type(op).__name__}' is not allowed (got {text!r}); {HINT}")
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        raise ParamsError(f"{where}: a list may only follow `in` (got {text!r})")
    elif isinstance(node, ast.Constant) and top and not isinstance(node.value, bool):
        raise ParamsError(f"{where}: a condition must compare something (got {text!r}); {HINT}")


def _operand(node, text, where):
    if isinstance(node, ast.Name) or _is_literal(node) or type(node) in _FORBIDDEN:
        _check(node, text, where)  # raises the specific message for forbidden constructs
        return
    raise ParamsError(f"{where}: compare column names and literals only (got {text!r}); {HINT}")


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float, bool)) or node.value is None
    return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool))
