"""Every check of params against the input files, in one place.

``seglab validate`` and ``seglab run`` call the same functions before any run folder
exists, and the clean stage uses the same column declarations, so a params or input
problem that would stop a run is found by ``validate``. Checks that need no data live
in the params schema (:mod:`seglab.config`).
"""

from __future__ import annotations

import difflib
import hashlib

from seglab.errors import DataError, ParamsError, did_you_mean
from seglab.features.build import DERIVED_COLUMNS
from seglab.io.files import file_sha256, files_sha256
from seglab.io.sources import as_spec, glob_root, read_source, source_files


def validate(cfg) -> list[dict]:
    """Check params against the input files; returns what was read of each input."""
    inputs = check_inputs(cfg)
    check_segmentation_columns(cfg, inputs)
    return inputs


def check_inputs(cfg) -> list[dict]:
    """Read every input of a run and check that the declared columns are there.

    Used by ``seglab validate`` and for the manifest, before any run folder exists.

    Returns
    -------
    list of dict
        Per input: ``role, path`` (or SQL URL without password), ``sha256`` (of the
        file bytes; of the query text for SQL), ``rows, encoding, delimiter, columns``.

    Raises
    ------
    DataError
        A file is missing or unreadable, has no data rows, or lacks a declared column
        (the message suggests the closest column name).
    """
    out = []
    for role in ("customers", "transactions"):
        source = getattr(cfg.data, role)
        if source is None:
            continue
        spec = as_spec(source)
        table, info = read_source(spec, role=role, encoding=cfg.data.encoding, id_columns=id_columns(cfg, role),
                                  columns=[c for c, _ in declared_columns(cfg, role)])
        check_columns(cfg, role, info)
        if info["rows"] == 0:
            raise DataError(f"{info['path']}: has a header but no data rows; export the {role} again with its rows")
        out.append({
            "role": role, "path": info["path"],
            "sha256": _sha256(spec),
            "rows": info["rows"], "encoding": info["encoding"], "delimiter": info["delimiter"],
            "columns": info["columns"],
        })
    return out


def _sha256(spec) -> str:
    """The input's fingerprint: its file's bytes, the files behind a folder or pattern, or the query."""
    if spec.kind != "file":
        return hashlib.sha256(spec.sql.encode("utf-8")).hexdigest()
    files = source_files(spec.path)
    if files is None:
        return file_sha256(spec.path)
    return files_sha256(files, spec.path if spec.path.is_dir() else glob_root(spec.path))


# ------------------------------------------------------- declared columns

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
        raise DataError(f"{info['path']}: column '{col}' ({key}) not found; {_column_hint(col, key, have)}")


def _column_hint(col: str, key: str, have: list[str]) -> str:
    folded = {h.casefold(): h for h in have}
    close = folded.get(col.casefold()) or next(iter(difflib.get_close_matches(col, have, n=1, cutoff=0.6)), None)
    if close:
        return f"did you mean '{close}'? (set {key} to the file's name)"
    if len(have) == 1:
        other = [d for d in (",", ";", "\t", "|", ":", " ") if d in have[0]]
        if other:
            shown = {"\t": "\\t", " ": " "}.get(other[0], other[0])
            return (f"the header was read as one column '{have[0][:60]}': the file seems separated by '{shown}'; "
                    f"give data.<role>: {{path: ..., delimiter: '{shown}'}}")
    if key == "columns.customer_id":
        return f"the file has columns {', '.join(have[:12])}; set columns.customer_id to one of them, or to null to number the rows"
    return f"the file has columns {', '.join(have[:12])}{' …' if len(have) > 12 else ''}; fix the name in the params"


def check_segmentation_columns(cfg, inputs: list[dict]) -> None:
    """Names in segmentation.features must be input columns or derived features."""
    has_customers = any(i["role"] == "customers" for i in inputs)
    has_tx = any(i["role"] == "transactions" for i in inputs)
    # Without a customer table, customers (and their attributes) come from the transactions.
    source_role = "customers" if has_customers else "transactions"
    customer_cols = set()
    for item in inputs:
        if item["role"] == source_role:
            customer_cols |= set(item.get("columns") or [])
    known = customer_cols | (set(DERIVED_COLUMNS) if has_tx else set()) | ({"age"} if cfg.columns.birth_date else set())
    known -= set(cfg.columns.pii)
    for name in cfg.segmentation.features:
        if name not in known:
            hint = did_you_mean(name, sorted(known)) or (
                " (transaction features need data.transactions)" if not has_tx else "")
            raise ParamsError(f"segmentation.features: unknown column '{name}'{hint}")
