"""Every check of params against the input files and the output folder, in one place.

``seglab validate`` and ``seglab run`` call :func:`validate` before any run folder
exists (``seglab assign`` too, on the new data), so that ``validate`` saying ok means
``run`` will not stop for a params or input reason (docs/architecture.md §3). Checks
that need no data are the params schema's (:mod:`seglab.config`); the stages do not
check params again.

Messages name the file, the column and the params key, and never echo a data value
that could be personal: a header row that looks like data is described, not printed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from seglab.clean.standardise import missing_mask, normalise_ids, normalise_text, parse_dates, parse_numbers, token_set
from seglab.conditions import condition_columns, parse_condition
from seglab.config import check_cleaning_keys, check_rule_params, date_format_problem
from seglab.errors import DataError, ParamsError, SeglabError, did_you_mean
from seglab.features.build import DERIVED_COLUMNS
from seglab.io import privacy
from seglab.io.files import file_sha256, files_sha256
from seglab.io.sources import as_spec, glob_root, read_source, source_files

log = logging.getLogger("seglab")

MAX_UNPARSEABLE_SHARE = 0.5  # above this, a column is mis-declared, not dirty
# Date formats tried on a column's values to suggest one (most specific first).
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y%m%d",
                "%d/%m/%y", "%m/%d/%y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M",
                "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%dT%H:%M:%S", "%d %b %Y", "%d %B %Y", "%b %d, %Y",
                "%B %d, %Y", "%Y年%m月%d日")


def validate(cfg, *, out: Path | None = None, check_output: bool = True, fitting: bool = True) -> list[dict]:
    """Check params against the inputs (and the output folder); returns what was read of each input.

    Parameters
    ----------
    cfg : RunConfig
    out : Path, optional
        The reports root given on the command line (``--out``); default ``cfg.reports_root()``.
    check_output : bool, default=True
        Also check that run folders can be written (``seglab assign`` writes none).
    fitting : bool, default=True
        The data will be segmented, so it needs more customers than segments
        (``seglab assign`` applies a fitted model to any number).

    Raises
    ------
    SeglabError
        One line naming the file, column or key and what to do.
    """
    check_rule_params(cfg.segmentation)
    _check_method_params(cfg)
    if check_output:
        check_output_root(Path(out) if out is not None else cfg.reports_root(),
                          "--out" if out is not None else "output_dir")
    tables = read_inputs(cfg)
    check_cleaning_keys(cfg)  # after the columns: a typo is blamed where it was written
    inputs = [info for _, info in tables.values()]
    check_segmentation_columns(cfg, inputs)
    check_values(cfg, tables)
    findings = check_personal_data(cfg, tables)
    if fitting:
        check_fit(cfg, tables, inputs)
    described = [_describe(cfg, role, info) for role, (_, info) in tables.items()]
    for item in described:
        item["personal_data"] = [f for f in findings if f["source"] == item["role"]]
    return described


def check_inputs(cfg) -> list[dict]:
    """Read every input and check its declared columns; what was read of each (for the manifest)."""
    return [_describe(cfg, role, info) for role, (_, info) in read_inputs(cfg).items()]


def _describe(cfg, role: str, info: dict) -> dict:
    """``role, path`` (SQL: URL without password), ``sha256`` (file bytes; query text), ``rows, encoding, delimiter, columns``."""
    spec = as_spec(getattr(cfg.data, role))
    return {"role": role, "path": info["path"], "sha256": _sha256(spec), "rows": info["rows"], "encoding": info["encoding"],
            "delimiter": info["delimiter"], "columns": info["columns"]}


# ------------------------------------------------------------ output folder

def check_output_root(root: Path, key: str = "output_dir") -> Path:
    """The reports root exists (or can be made) and a run folder can be written in it.

    Tried, not guessed: permissions say little to root or on network drives, and
    ``/sys`` or ``/proc`` refuse files whatever the mode bits say.
    """
    root = Path(root).expanduser().absolute()
    fix = f"give a writable folder with {key}" if key.startswith("--") else f"set {key} (or --out) to a writable folder"
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        where = "is a file" if existing == root else f"is under {existing}, which is a file"
        raise ParamsError(f"{root}: {where}, not a folder, so run folders cannot go there; {fix}")
    made = [p for p in (root, *root.parents) if not p.exists()]
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".seglab-write-test-", dir=root)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ParamsError(f"{root}: cannot write run folders here ({exc.strerror or type(exc).__name__}); {fix}") from None
    finally:
        for folder in made:  # leave no trace: the run makes them again
            with contextlib.suppress(OSError):
                folder.rmdir()
    try:
        privacy.project_key(root)  # made now if missing: a run must not fail on it half-way
    except SeglabError as exc:
        raise ParamsError(f"{exc}") from None
    return root


# ------------------------------------------------------------ reading and columns

def read_inputs(cfg) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every input read as text, its declared columns checked: ``{role: (table, info)}``.

    Raises
    ------
    DataError
        A file is missing or unreadable, has no data rows, or lacks a declared column
        (the message suggests the closest column name).
    """
    out = {}
    for role in ("customers", "transactions"):
        source = getattr(cfg.data, role)
        if source is None:
            continue
        table, info = read_source(as_spec(source), role=role, encoding=cfg.data.encoding,
                                  id_columns=id_columns(cfg, role), columns=[c for c, _ in declared_columns(cfg, role)])
        check_columns(cfg, role, info)
        if info["rows"] == 0:
            raise DataError(f"{info['path']}: has a header but no data rows; export the {role} again with its rows")
        out[role] = (table, info)
    return out


def _sha256(spec) -> str:
    """The input's fingerprint: its file's bytes, the files behind a folder or pattern, or the query."""
    if spec.kind != "file":
        return hashlib.sha256(spec.sql.encode("utf-8")).hexdigest()
    files = source_files(spec.path)
    if files is None:
        return file_sha256(spec.path)
    return files_sha256(files, spec.path if spec.path.is_dir() else glob_root(spec.path))


def declared_columns(cfg, role: str) -> list[tuple[str, str]]:
    """``(column, params key)`` pairs a file of this role must contain.

    When a run has no customer table, customer attributes (numeric, categorical …)
    may come from the transaction lines, so they are looked for there.
    """
    tx = cfg.columns.transactions
    if role == "transactions":
        out = [(tx.customer_id, "columns.transactions.customer_id"), (tx.date, "columns.transactions.date")]
        if tx.quantity or tx.unit_price:
            out += [(tx.quantity, "columns.transactions.quantity"), (tx.unit_price, "columns.transactions.unit_price")]
        elif tx.amount:
            out.append((tx.amount, "columns.transactions.amount"))
        if tx.order_id:
            out.append((tx.order_id, "columns.transactions.order_id"))
        if cfg.data.customers is None:
            out += [item for item in _customer_declared(cfg) if item[1] != "columns.customer_id"]
        return [(col, key) for col, key in out if col]
    return _customer_declared(cfg)


def _customer_declared(cfg) -> list[tuple[str, str]]:
    c, k = cfg.columns, cfg.cleaning
    derived = {"age"} if c.birth_date else set()
    out = [(c.customer_id, "columns.customer_id")] if c.customer_id else []
    for key in ("pii", "numeric", "categorical", "dates"):
        out += [(col, f"columns.{key}") for col in getattr(c, key)]
    if c.birth_date:
        out.append((c.birth_date, "columns.birth_date"))
    for key in ("dedupe_on", "required"):
        out += [(col, f"cleaning.{key}") for col in getattr(k, key)]
    for key in ("ranges", "categories", "date_formats"):
        out += [(col, f"cleaning.{key}") for col in getattr(k, key)]
    out += [(col, "cleaning.missing.columns") for col in k.missing.columns]
    if k.name_column:
        out.append((k.name_column, "cleaning.name_column"))
    seen, unique = set(), []
    for col, key in out:
        if col and col not in seen and col not in derived:
            seen.add(col)
            unique.append((col, key))
    return unique


def id_columns(cfg, role: str) -> tuple[str, ...]:
    """The identifier columns of a role: read as text, never as numbers."""
    tx = cfg.columns.transactions
    if role == "transactions":
        return tuple(c for c in (tx.customer_id, tx.order_id) if c)
    return (cfg.columns.customer_id,) if cfg.columns.customer_id else ()


def check_columns(cfg, role: str, info: dict) -> None:
    """Raise a one-line :class:`DataError` for the first declared column the file lacks."""
    have = info["columns"]
    for col, key in declared_columns(cfg, role):
        if col in have:
            if have.count(col) > 1:
                raise DataError(f"{info['path']}: column '{col}' appears {have.count(col)} times in the header; rename the copies")
            continue
        raise DataError(f"{info['path']}: column '{col}' ({key}) not found; {_column_hint(col, key, have, role)}")


def _header_is_data(have: list[str]) -> bool:
    """A "header" holding e-mails, phone numbers, numbers or dates is the first data row."""
    cells = [h for h in have if not h.startswith("Unnamed: ")]
    if not cells:
        return False
    looks = [privacy.personal_kind(h) is not None or _is_number_or_date(h) for h in cells]
    return any(privacy.personal_kind(h) for h in cells) or sum(looks) >= max(1, len(cells) / 2)


def _is_number_or_date(text: str) -> bool:
    t = text.strip()
    return bool(re.match(r"^[-+]?[\d.,/: -]+$", t)) and any(ch.isdigit() for ch in t)


def _column_hint(col: str, key: str, have: list[str], role: str) -> str:
    if _header_is_data(have):
        return (f"the file's first row looks like data, not column names (no header row?); add a header row "
                f"naming the {len(have)} columns, e.g. {col}")
    # Compared without case, spaces and punctuation: CustomerID is customer_id; name is not income.
    folded = {re.sub(r"[\W_]+", "", h.casefold()): h for h in reversed(have)}
    key_of = re.sub(r"[\W_]+", "", col.casefold())
    close = folded.get(key_of) or next((folded[m] for m in difflib.get_close_matches(key_of, list(folded), n=1,
                                                                                      cutoff=0.7)), None)
    if close:
        return f"did you mean '{close}'? (set {key} to the file's name)"
    if len(have) == 1:
        other = [d for d in (",", ";", "\t", "|", ":", " ") if d in have[0]]
        if other:
            shown = {"\t": "\\t", " ": " "}.get(other[0], other[0])
            return (f"the header was read as one column: the file seems separated by '{shown}'; "
                    f"give data.{role}: {{path: ..., delimiter: '{shown}'}}")
    if key == "columns.customer_id":
        return f"the file has columns {', '.join(have[:12])}; set columns.customer_id to one of them, or to null to number the rows"
    return f"the file has columns {', '.join(have[:12])}{' …' if len(have) > 12 else ''}; fix the name in the params"


# ------------------------------------------------------------ segmentation

def _check_method_params(cfg) -> None:
    """Segmentation keys that only make sense with other keys (no data read)."""
    seg, k = cfg.segmentation, cfg.cleaning
    if k.fuzzy_names:
        name = k.name_column or next((c for c in cfg.columns.pii
                                      if any(w in c.casefold() for w in ("name", "姓名", "名字"))), None)
        if name is None or (name not in cfg.columns.pii and name not in k.dedupe_on):
            raise ParamsError("cleaning.fuzzy_names: needs a name column to compare; set cleaning.name_column to a "
                              "column under columns.pii")
    if seg.method == "rfm" and cfg.data.transactions is None:
        raise ParamsError("segmentation.method: 'rfm' needs transactions (data.transactions); "
                          "choose kmeans, kprototypes or rules for a customer table alone")
    names = {}
    for sid, name in cfg.personas.names.items():
        if name.casefold() in names:
            raise ParamsError(f"personas.names: segments {names[name.casefold()]} and {sid} are both named {name!r}; "
                              "give each segment its own name")
        names[name.casefold()] = sid
    most = (len(seg.rules) + 1 if seg.rules else None) if seg.method == "rules" else (
        seg.k if isinstance(seg.k, int) else seg.k_range[1]) if seg.method != "rfm" else None
    for key in ("names", "notes"):
        for sid in getattr(cfg.personas, key):
            if most is not None and not 0 <= sid < most:
                raise ParamsError(f"personas.{key}: there is no segment {sid} (segments are numbered 0 to {most - 1}); "
                                  "fix the number")


def feature_columns(cfg, inputs: list[dict]) -> dict[str, str]:
    """The columns of the feature table and their kind: ``{name: numeric|categorical|date|derived}``."""
    c = cfg.columns
    has_tx = any(i["role"] == "transactions" for i in inputs)
    kinds = {col: "numeric" for col in c.numeric} | {col: "categorical" for col in c.categorical}
    kinds |= {col: "date" for col in c.dates}
    if c.birth_date:
        kinds["age"] = "numeric"
    if has_tx:
        kinds |= {col: "derived" for col in DERIVED_COLUMNS}
    for col in c.pii:
        kinds.pop(col, None)
    return kinds


def check_segmentation_columns(cfg, inputs: list[dict]) -> None:
    """Names in segmentation.features, rules and bins must be declared columns or derived features."""
    seg = cfg.segmentation
    kinds = feature_columns(cfg, inputs)
    has_tx = any(i["role"] == "transactions" for i in inputs)
    source_role = "customers" if any(i["role"] == "customers" for i in inputs) else "transactions"
    in_file = {col for i in inputs if i["role"] == source_role for col in i["columns"]}
    path = next((i["path"] for i in inputs if i["role"] == source_role), source_role)

    def unknown(name, key, *, dates_ok):
        if name in kinds and (dates_ok or kinds[name] != "date"):
            return
        if name in cfg.columns.pii:
            raise ParamsError(f"{key}: '{name}' is personal data (columns.pii) and is never used to segment; "
                              "remove it from " + key.split("[")[0])
        if name in kinds:
            raise ParamsError(f"{key}: '{name}' is a date column; use a number derived from it "
                              "(e.g. tenure_days or recency)")
        if name in in_file:
            raise ParamsError(f"{key}: '{name}' is a column of {path} but is not declared; declare it under "
                              "columns.numeric or columns.categorical")
        hint = did_you_mean(name, sorted(kinds)) or (
            " (transaction features need data.transactions)" if not has_tx and name in DERIVED_COLUMNS else "")
        raise ParamsError(f"{key}: unknown column '{name}'{hint}")

    for name in seg.features:
        unknown(name, "segmentation.features", dates_ok=False)
    if seg.method == "rules":
        for i, rule in enumerate(seg.rules):
            key = f"segmentation.rules[{i}].when"
            for name in condition_columns(parse_condition(rule.when, where=key)):
                unknown(name, key, dates_ok=True)
        for i, spec in enumerate(seg.bins):
            unknown(spec.column, f"segmentation.bins[{i}].column", dates_ok=False)
    if isinstance(seg.log_transform, list):
        features = set(seg.features) or {n for n, k in kinds.items() if k in ("numeric", "derived")}
        for name in seg.log_transform:
            if name not in features or kinds.get(name) not in ("numeric", "derived"):
                raise ParamsError(f"segmentation.log_transform: '{name}' is not a numeric feature of this run; "
                                  "list numeric columns of segmentation.features")


# ------------------------------------------------------------ values

def check_values(cfg, tables: dict) -> None:
    """Declared columns hold what their declaration says, and data.as_of fits the data.

    The same parsers as the clean stage, on every value, so that a column the stage
    would find mis-declared (more than half its values unreadable) stops here.
    """
    tokens = token_set(cfg.cleaning.missing_tokens)
    c, tx = cfg.columns, cfg.columns.transactions
    cust_role = "customers" if "customers" in tables else "transactions"
    table, info = tables[cust_role]
    id_col = c.customer_id if cust_role == "customers" else tx.customer_id
    if id_col and missing_mask(normalise_text(table[id_col]), tokens).all():
        raise DataError(f"{info['path']}: column '{id_col}' (the customer id) is empty in every row, so there are "
                        "no usable customer rows; fill it, or set columns.customer_id to null to number the rows")
    for col in cfg.cleaning.required:
        if col in table and missing_mask(normalise_text(table[col]), tokens).all():
            raise DataError(f"{info['path']}: column '{col}' (cleaning.required) is empty in every row, so every "
                            "row would be set aside; fill it or remove it from cleaning.required")
    numeric = [col for col in c.numeric if not (col == "age" and c.birth_date and col not in table)]
    for col in numeric:
        _check_numbers(table[col], tokens, info["path"], col,
                       "declare it under columns.categorical or fix the values")
    for col in c.categorical:
        if missing_mask(normalise_text(table[col]), tokens).all():
            raise DataError(f"{info['path']}: column '{col}' has no usable value in any row; fill it or remove it "
                            "from the params")
    for col in list(c.dates) + ([c.birth_date] if c.birth_date else []):
        _check_dates(cfg, table[col], tokens, info["path"], col, personal=col == c.birth_date)
    if "transactions" in tables:
        lines, tinfo = tables["transactions"]
        _check_dates(cfg, lines[tx.date], tokens, tinfo["path"], tx.date, personal=False, lines=True)
        amount_cols = [tx.quantity, tx.unit_price] if tx.quantity or tx.unit_price else [tx.amount]
        for col in amount_cols:
            _check_numbers(lines[col], tokens, tinfo["path"], col,
                           "fix the values or the column names under columns.transactions")
        if "customers" in tables:
            _check_ids_match(cfg, tables, tokens)


def _check_numbers(values: pd.Series, tokens, path, col: str, todo: str) -> None:
    parsed = parse_numbers(values, tokens)
    present = int((~parsed.missing).sum())
    if not present:
        raise DataError(f"{path}: column '{col}' has no usable value in any row; fill it or remove it from the params")
    bad = int(parsed.invalid.sum())
    if bad > MAX_UNPARSEABLE_SHARE * present:
        raise DataError(f"{path}: column '{col}': {bad} of {present} values are not numbers; {todo}")


def _check_dates(cfg, values: pd.Series, tokens, path, col: str, *, personal: bool, lines: bool = False) -> None:
    """Dates that parse (with cleaning.date_formats when given) and that fit data.as_of."""
    fmt = cfg.cleaning.date_formats.get(col)
    parsed = parse_dates(values, tokens, fmt)
    present = int((~parsed.missing).sum())
    if not present:
        raise DataError(f"{path}: column '{col}' has no usable value in any row; fill it or remove it from the params")
    # ambiguous dates (06/05/2024 in a column with both orders) are set aside one by one, not a misdeclaration
    unreadable = parsed.invalid & ~parsed.why.get("ambiguous_date", np.zeros(len(values), bool))
    bad = int(unreadable.sum())
    if bad > MAX_UNPARSEABLE_SHARE * present:
        texts = normalise_text(values[unreadable]).dropna()
        example = _shape(texts.iloc[0]) if personal else texts.iloc[0]
        suggestion = suggest_date_format(normalise_text(values[~parsed.missing]).dropna())
        advice = (f"the values look like '{suggestion}'; set cleaning.date_formats.{col}: '{suggestion}'" if suggestion
                  else f"set cleaning.date_formats.{col} to the format of the values, or fix them")
        if fmt:
            raise ParamsError(f"cleaning.date_formats.{col}: '{fmt}' cannot read {bad} of {present} values of "
                              f"column '{col}' in {path} (e.g. '{example}'); {advice}")
        raise DataError(f"{path}: column '{col}': {bad} of {present} values are not dates (e.g. '{example}'); {advice}")
    valid = parsed.values[~np.isnat(parsed.values)]
    first = pd.Timestamp(valid.min())
    limit = pd.Timestamp(cfg.data.as_of) if cfg.data.as_of else pd.Timestamp(dt.date.today())
    if first > limit:
        what = "every transaction" if lines else f"every value of column '{col}'"
        if cfg.data.as_of:
            raise ParamsError(f"data.as_of: {cfg.data.as_of} is before {what} in {path} (the first is "
                              f"{first.date()}), so all of them would count as future dates; set data.as_of to "
                              "a date after the data, or remove it to use the last transaction date")
        raise DataError(f"{path}: column '{col}': {what} is after today ({limit.date()}); check the machine's clock "
                        "or the column's date format, or set data.as_of")


def _shape(text: str) -> str:
    """A personal value described by its shape (``12/03/1981`` → ``NN/NN/NNNN``)."""
    return "".join("N" if ch.isdigit() else "A" if ch.isalpha() else ch for ch in text)


def suggest_date_format(texts: pd.Series, sample: int = 2000) -> str | None:
    """The format of :data:`DATE_FORMATS` that reads the most of ``texts`` (at least 90 %).

    When day-first and month-first both read everything, no value decides between them
    and neither is suggested as if it were sure: the day-first one is returned with the
    month-first one after " or ".
    """
    probe = texts.drop_duplicates()
    probe = probe.sample(sample, random_state=0) if len(probe) > sample else probe
    if not len(probe):
        return None
    scores = {}
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(probe, format=fmt, errors="coerce")
        scores[fmt] = float(parsed.notna().mean())
    best = max(scores.values())
    if best < 0.9:
        return None
    winners = [f for f in DATE_FORMATS if scores[f] == best]
    if len(winners) > 1 and {"%d/%m/%Y", "%m/%d/%Y"} <= set(winners) or {"%d/%m/%y", "%m/%d/%y"} <= set(winners):
        return f"{winners[0]}' or '{winners[1]}"
    return winners[0]


def _check_ids_match(cfg, tables: dict, tokens) -> None:
    customers, cinfo = tables["customers"]
    lines, tinfo = tables["transactions"]
    tx_col = cfg.columns.transactions.customer_id
    if not cfg.columns.customer_id:
        raise ParamsError("columns.customer_id: transactions need a customer id column in the customer table; "
                          "name it instead of null")
    known = normalise_ids(customers[cfg.columns.customer_id], tokens).dropna().unique()
    ids = normalise_ids(lines[tx_col], tokens).dropna()
    if len(ids) and not ids.isin(known).any():
        raise DataError(f"{tinfo['path']}: column '{tx_col}': no line names a customer of {cinfo['path']}; "
                        "check that both files use the same ids")


def check_fit(cfg, tables: dict, inputs: list[dict]) -> None:
    """Something to segment on, and more distinct customers than segments asked for."""
    seg = cfg.segmentation
    if seg.method not in ("kmeans", "kprototypes"):
        return
    if not seg.features:
        kinds = feature_columns(cfg, inputs)
        if not any(k in ("numeric", "categorical", "derived") for k in kinds.values()):
            raise ParamsError("segmentation.features: none given and no declared numeric or categorical column "
                              "(nor recency/frequency/monetary) is in the feature table; list the columns to use")
    tokens = token_set(cfg.cleaning.missing_tokens)
    if "customers" in tables:
        table, info = tables["customers"]
        col = cfg.columns.customer_id
    else:
        table, info = tables["transactions"]
        col = cfg.columns.transactions.customer_id
    n = normalise_ids(table[col], tokens).nunique() if col else len(table)
    k, key = (seg.k, "segmentation.k") if isinstance(seg.k, int) else (seg.k_range[0], "segmentation.k_range")
    if n <= k:
        raise DataError(f"{key}: {info['path']} has {n} customer(s), too few for {k} segments; give more customers "
                        f"or a smaller {key.split('.')[1]}")


# ------------------------------------------------------------ personal data

def personal_data_findings(cfg, tables: dict) -> list[dict]:
    """Columns not declared under columns.pii whose values look like personal data.

    Returns
    -------
    list of dict
        ``{"source", "column", "kinds": {kind: distinct values}}`` per column; no value.
    """
    declared = set(cfg.columns.pii)
    if cfg.privacy.pseudonymise_ids:  # hashed as ids in every file
        declared |= {cfg.columns.customer_id, cfg.columns.transactions.customer_id} - {None}
    out = []
    for role, (table, info) in tables.items():
        for col in table.columns:
            if col in declared:
                continue
            kinds = privacy.find_personal_data(table[col])
            if kinds:
                fix = ("set privacy.pseudonymise_ids: true" if col in id_columns(cfg, role)[:1] else
                       "declare it under columns.pii or set privacy.undeclared: hash")
                out.append({"source": role, "path": info["path"], "column": col, "kinds": kinds, "fix": fix})
    return out


def check_personal_data(cfg, tables: dict) -> list[dict]:
    """``privacy.undeclared: error`` stops here; ``warn`` and ``hash`` are the clean stage's."""
    findings = personal_data_findings(cfg, tables)
    ids = {cfg.columns.customer_id, cfg.columns.transactions.customer_id} - {None}
    if cfg.privacy.undeclared == "error" and findings:
        first = findings[0]
        kinds = ", ".join(f"{n} {kind} value(s)" for kind, n in first["kinds"].items())
        fix = ("set privacy.pseudonymise_ids: true" if first["column"] in ids else
               "declare it under columns.pii, remove the column from the export")
        raise DataError(f"{first['path']}: column '{first['column']}' holds personal data ({kinds}) but is not "
                        f"declared as such; {fix}, or set privacy.undeclared: hash")
    return findings
