"""Standardise, validate, repair and de-duplicate the inputs, accounting for every row.

Segments are only as good as the table they are cut from, and a client must be able
to check that nothing was lost on the way: every input row ends up clean, merged into
a duplicate's survivor, or in ``quarantine.csv`` with the reason, and ``quality.json``
adds them up. This module applies the rules and runs the stage; values are parsed in
:mod:`seglab.standardise`, duplicates merged in :mod:`seglab.dedupe` and every row
recorded in a :class:`seglab.ledger.Ledger`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seglab import validation
from seglab.artifacts import write_artifact
from seglab.clean import plausibility
from seglab.clean.dedupe import merge_duplicates, merge_exact_copies
from seglab.clean.ledger import ID_MAP_COLUMNS, RULES, Ledger
from seglab.clean.missing import impute
from seglab.clean.standardise import (
    Parsed,
    arrow_strings,
    fold_text,
    mask_missing,
    missing_mask,
    normalise_categories,
    normalise_ids,
    normalise_pii,
    normalise_pii_text,
    normalise_text,
    parse_dates,
    parse_numbers,
    string_series,
    token_set,
)
from seglab.errors import DataError
from seglab.io import outputs, privacy, sources
from seglab.io.files import finite

log = logging.getLogger("seglab")

# =================================================================== customers

@dataclass
class Customers:
    """The cleaned customer table and what happened on the way."""

    table: pd.DataFrame  # one row per surviving customer (PII still in matching form)
    ledger: Ledger
    merged_to: dict  # merged id -> survivor id
    quarantined_ids: set
    info: dict


def _tokens(cfg):
    return token_set(cfg.cleaning.missing_tokens)


def clean_customers(cfg, raw: pd.DataFrame, info: dict, *, as_of: pd.Timestamp, future_after: pd.Timestamp,
                    id_column: str | None = None, source: str = "customers") -> Customers:
    """Standardise, validate, de-duplicate and impute the customer table.

    Parameters
    ----------
    cfg : RunConfig
    raw, info : from :func:`seglab.sources.read_source`
    as_of : Timestamp
        Reference date for ages derived from birth dates.
    future_after : Timestamp
        Dates after this are impossible (``data.as_of``, else today).
    id_column : str, optional
        Overrides ``columns.customer_id`` (a table derived from transactions).
    """
    cols, rules = cfg.columns, cfg.cleaning
    id_col = id_column or cols.customer_id
    tokens = _tokens(cfg)
    led = Ledger(source, raw, info)
    path = info.get("path", source)
    led.quarantine([("empty_row", None, _empty_rows(led.raw, tokens))])
    merge_exact_copies(led, id_col)

    work = pd.DataFrame(index=led.raw.index)
    if id_col:
        ids = normalise_ids(led.raw[id_col], tokens)
        led.count_missing(id_col, ids.isna().to_numpy())
    else:
        ids = pd.Series(led.rows.astype(str), index=led.raw.index, dtype="str")
    work["customer_id"] = ids
    led.quarantine([("missing_id", id_col, ids.isna().to_numpy())])

    match_keys, hash_inputs = {}, {}
    for col in cols.pii:
        norm, miss = mask_missing(normalise_text(led.raw[col]), tokens)
        led.count_missing(col, miss)
        key, country = normalise_pii(norm, col, rules.phone_country_code)
        if country:
            led.extra.setdefault("phone_country_code", {})[col] = country
        match_keys[col] = key
        hash_inputs[col] = key.fillna(normalise_pii_text(norm))
    for col in cols.numeric:
        if col == "age" and cols.birth_date and col not in led.raw:
            continue
        parsed = parse_numbers(led.raw[col], tokens)
        led.count_missing(col, parsed.missing)
        if parsed.info.get("reformatted"):
            led.extra.setdefault("reformatted_numbers", {})[col] = parsed.info["reformatted"]
        bad = np.flatnonzero(parsed.invalid & led.alive)
        led.flag_invalid(bad, col, "bad_number", led.raw_text(col, bad))
        work[col] = parsed.values
    for col in cols.categorical:
        values, miss, variant = normalise_categories(led.raw[col], rules.categories.get(col, {}), tokens)
        led.count_missing(col, miss)
        pos = np.flatnonzero(variant & led.alive)
        led.repair(pos, col, "category_variant", led.raw_text(col, pos), values.to_numpy(dtype=object)[pos])
        work[col] = values
        if col in rules.categories:
            known = {fold_text(str(v)) for v in rules.categories[col].values()} | {fold_text(str(k)) for k in rules.categories[col]}
            other = values[led.alive & ~miss & ~values.isin(list(known)).to_numpy()]
            if len(other):
                top = other.value_counts().head(10)
                led.extra.setdefault("unmapped_categories", {})[col] = {str(k): int(v) for k, v in top.items()}
    date_info = {}
    for col in list(cols.dates) + ([cols.birth_date] if cols.birth_date else []):
        parsed = parse_dates(led.raw[col], tokens, rules.date_formats.get(col))
        date_info[col] = parsed.info
        led.count_missing(col, parsed.missing)
        _flag_bad_dates(led, col, parsed)
        values = parsed.values.copy()
        future = np.flatnonzero((values > future_after.to_datetime64()) & led.alive)
        led.flag_invalid(future, col, "future_date", led.raw_text(col, future))
        values[future] = np.datetime64("NaT")
        work[col] = values
    if cols.birth_date:
        work["age"] = _age(work[cols.birth_date], as_of).where(work[cols.birth_date].notna(),
                                                               work["age"] if "age" in work else np.nan)
        led.derive_gaps("age", cols.birth_date, work["age"].isna().to_numpy())
    for col, (lo, hi) in rules.ranges.items():
        if col not in work:
            continue
        v = pd.to_numeric(work[col], errors="coerce") if not pd.api.types.is_datetime64_any_dtype(work[col]) else None
        if v is None:
            continue
        out = ((v < lo) if lo is not None else False) | ((v > hi) if hi is not None else False)
        pos = np.flatnonzero(np.asarray(out, bool) & led.alive)
        old = led.raw_text(col, pos) if col in led.raw else work[col].to_numpy()[pos]
        led.flag_invalid(pos, col, "out_of_range", old)
        work.loc[pos, col] = np.nan
    findings = plausibility.Findings(led)
    numeric = list(cols.numeric) + (["age"] if cols.birth_date and "age" not in cols.numeric else [])
    plausibility.check_customer_numbers(cfg, led, work, numeric, as_of=as_of, findings=findings)
    plausibility.check_customer_dates(cfg, led, work, list(cols.dates) + ([cols.birth_date] if cols.birth_date else []),
                                      findings=findings, personal=[cols.birth_date] if cols.birth_date else [])
    findings.save()
    for col in list(cols.numeric) + list(cols.categorical) + list(cols.dates):
        if col in work and led.alive.any() and work[col][led.alive].isna().all():
            raise DataError(f"{path}: column '{col}' has no usable value in any row; fill it or remove it from the params")
    checks = []
    for col in rules.required:
        values = match_keys.get(col, work.get(col))
        missing = values.isna().to_numpy() if values is not None else missing_mask(normalise_text(led.raw[col]), tokens)
        checks.append(("missing_required", col, missing))
    led.quarantine(checks)

    for col in rules.dedupe_on:  # keys that are not personal data match on their folded text
        if col not in match_keys:
            norm, _ = mask_missing(normalise_text(led.raw[col]), tokens)
            match_keys[col] = normalise_pii_text(norm)
    for col, key in match_keys.items():
        work[f"__key_{col}"] = key
        if col in hash_inputs:
            work[f"__pii_{col}"] = hash_inputs[col]
    merged_to = merge_duplicates(cfg, led, work)
    impute(cfg, led, work)
    led.extra["values"] = led.settle_values({col: work[col].to_numpy(dtype=object) for col in work.columns})
    led.extra["values_checked"] = int(led.n - led.quarantined_by_rule["empty_row"] - led.merged_by_rule["exact_duplicate"])
    table = work[led.alive]
    if table.empty:
        top = led.quarantined_by_rule.most_common(1)
        why = f" (most often: {RULES[top[0][0]]})" if top else ""
        raise DataError(f"{path}: no usable customer rows{why}; fix the file or the cleaning rules in the params")
    kept = set(table["customer_id"])
    # a record merged into a survivor that was then quarantined goes with it
    gone = set(work["customer_id"][~led.alive & ~led.merged].dropna()) | {m for m, s in merged_to.items() if s not in kept}
    merged_to = {m: s for m, s in merged_to.items() if s in kept}
    info = {"date_order": date_info, **info}
    return Customers(table.reset_index(drop=True), led, merged_to, gone - kept, info)


def _flag_bad_dates(led: Ledger, col: str, parsed: Parsed) -> None:
    """Unusable dates, each under its most precise rule (ambiguous, implausible year, else bad)."""
    other = np.zeros(led.n, bool)
    for rule, mask in parsed.why.items():
        pos = np.flatnonzero(mask & led.alive)
        led.flag_invalid(pos, col, rule, led.raw_text(col, pos))
        other |= mask
    bad = np.flatnonzero(parsed.invalid & ~other & led.alive)
    led.flag_invalid(bad, col, "bad_date", led.raw_text(col, bad))


def _empty_rows(raw: pd.DataFrame, tokens) -> np.ndarray:
    if raw.shape[1] == 0:
        return np.ones(len(raw), bool)
    empty = np.ones(len(raw), bool)
    for col in raw.columns:
        a = pc.utf8_trim_whitespace(arrow_strings(raw[col]))
        empty &= np.asarray(pc.or_kleene(pc.is_null(a), pc.equal(a, "")).to_numpy(zero_copy_only=False), bool)
        if not empty.any():
            break
    return empty


def _age(birth: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    b = pd.to_datetime(birth)
    years = as_of.year - b.dt.year
    before = (b.dt.month > as_of.month) | ((b.dt.month == as_of.month) & (b.dt.day > as_of.day))
    return (years - before.astype(int)).astype(float)


# =================================================================== transactions

@dataclass
class Lines:
    """Transaction lines after the line-level checks (customer ids not yet resolved)."""

    frame: pd.DataFrame  # customer_id, order_id?, date, amount, is_return, aligned with the ledger
    ledger: Ledger
    as_of: pd.Timestamp | None


def clean_lines(cfg, raw: pd.DataFrame, info: dict, *, future_after: pd.Timestamp) -> Lines:
    """Check each transaction line on its own: id, date, amount, returns, exact copies."""
    tx, rules = cfg.columns.transactions, cfg.cleaning
    tokens = _tokens(cfg)
    led = Ledger("transactions", raw, info)
    path = info.get("path", "transactions")
    led.quarantine([("empty_row", None, _empty_rows(led.raw, tokens))])
    merge_exact_copies(led, tx.customer_id)
    frame = pd.DataFrame(index=led.raw.index)
    frame["customer_id"] = normalise_ids(led.raw[tx.customer_id], tokens)
    led.count_missing(tx.customer_id, frame["customer_id"].isna().to_numpy())
    dates = parse_dates(led.raw[tx.date], tokens, rules.date_formats.get(tx.date))
    led.count_missing(tx.date, dates.missing)
    led.extra["date_order"] = {tx.date: dates.info}
    future = dates.values > future_after.to_datetime64()
    amount, bad_amount, missing_amount, qty_negative = _amounts(cfg, led, tokens, path)
    cancelled = np.zeros(led.n, bool)
    if tx.order_id:
        frame["order_id"] = normalise_ids(led.raw[tx.order_id], tokens)
        cancelled = np.array(frame["order_id"].str.startswith(rules.cancel_prefix).fillna(False), dtype=bool)
        if cancelled.mean() > 0.5:
            led.notes.append(f"most order ids start with '{rules.cancel_prefix}', so it is not read as a cancellation mark")
            cancelled[:] = False
    is_return = cancelled | qty_negative | ((amount < 0) & ~bool(tx.order_id))
    led.quarantine([
        ("missing_id", tx.customer_id, frame["customer_id"].isna().to_numpy()),
        ("missing_date", tx.date, dates.missing),
        *((rule, tx.date, mask) for rule, mask in dates.why.items()),
        ("bad_date", tx.date, dates.invalid & ~np.any([np.zeros(led.n, bool), *dates.why.values()], axis=0)),
        ("future_date", tx.date, future),
        ("missing_amount", tx.amount or tx.quantity, missing_amount),
        ("bad_amount", tx.amount or tx.quantity, bad_amount),
        ("zero_amount", tx.amount or tx.quantity, (amount == 0) & (rules.zero_amount == "quarantine")),
        ("negative_amount", tx.amount or tx.quantity, (amount < 0) & ~is_return),
    ])
    for col, mask in ((tx.date, dates.invalid | future), (tx.amount or tx.quantity, bad_amount)):
        led.invalid[col] += int(mask.sum())
    flip = np.flatnonzero(is_return & (amount > 0) & led.alive)
    if len(flip):
        led.repair(flip, tx.amount or tx.quantity, "return_sign", amount[flip], -amount[flip])
        amount[flip] = -amount[flip]
    frame["date"] = dates.values
    frame["amount"] = amount
    frame["is_return"] = is_return
    findings = plausibility.Findings(led)
    plausibility.check_lines(cfg, led, frame, amount_column=tx.amount or tx.quantity, date_column=tx.date,
                             findings=findings)
    findings.save()
    led.extra["returns"] = int((is_return & led.alive).sum())
    # free samples and 100 % vouchers: purchase occasions unless cleaning.zero_amount says otherwise
    led.extra["zero_amount_purchases"] = int(((amount == 0) & ~is_return & led.alive).sum())
    valid = frame["date"][led.alive]
    return Lines(frame, led, pd.Timestamp(valid.max()) if valid.notna().any() else None)


def _amounts(cfg, led: Ledger, tokens, path):
    tx = cfg.columns.transactions
    qty_negative = np.zeros(led.n, bool)
    if tx.quantity or tx.unit_price:
        q = parse_numbers(led.raw[tx.quantity], tokens)
        p = parse_numbers(led.raw[tx.unit_price], tokens)
        for col, parsed in ((tx.quantity, q), (tx.unit_price, p)):
            led.count_missing(col, parsed.missing)
        amount = q.values * p.values
        qty_negative = q.values < 0
        return amount, q.invalid | p.invalid, q.missing | p.missing, qty_negative
    a = parse_numbers(led.raw[tx.amount], tokens)
    led.count_missing(tx.amount, a.missing)
    return a.values.copy(), a.invalid, a.missing, qty_negative


def resolve_customers(lines: Lines, customers: Customers | None) -> pa.Table:
    """Map merged ids to survivors; lines of unknown or quarantined customers go to quarantine.

    Returns the clean lines as an Arrow table in the schema of ``transactions_clean.parquet``
    (Arrow filters twenty million rows several times faster than pandas).
    """
    led, frame = lines.ledger, lines.frame
    ids = frame["customer_id"]
    column = lines_id_column(led)
    if customers is not None:
        # One hash lookup per line: every known id (survivor, merged, quarantined) -> what it becomes.
        survivors = customers.table["customer_id"].astype("str").to_numpy(dtype=object)
        merged = list(customers.merged_to)
        gone_ids = sorted(customers.quarantined_ids - set(customers.merged_to))
        names = np.concatenate([survivors, np.array(merged, dtype=object), np.array(gone_ids, dtype=object)])
        target = np.concatenate([survivors, np.array([customers.merged_to[m] for m in merged], dtype=object)])
        a = arrow_strings(ids)
        where = pc.index_in(a, value_set=pa.array(names, type=a.type))
        found = np.asarray(pc.is_valid(where).to_numpy(zero_copy_only=False), bool)
        index = np.asarray(pc.fill_null(where, -1).to_numpy(zero_copy_only=False), np.int64)
        known = found & (index < len(target))
        gone = found & ~known
        live = led.alive & ids.notna().to_numpy()
        if live.any() and not (known & live).any():
            raise DataError(f"{led.info.get('path')}: column '{column}': no line names a kept customer of the "
                            "customer table; check that both files use the same ids (quarantine.csv says why "
                            "customers were set aside)")
        led.quarantine([("customer_quarantined", column, gone), ("unknown_customer", column, ~found)])
        if merged:  # unknown lines are quarantined: whatever id they get here is never used
            ids = string_series(pa.array(target, type=a.type).take(pa.array(np.where(known, index, 0))), ids.index)
    columns = {"customer_id": arrow_strings(ids)}
    if "order_id" in frame:
        columns["order_id"] = arrow_strings(frame["order_id"])
    columns.update(date=pa.array(frame["date"].to_numpy(dtype="datetime64[ns]")),
                   amount=pa.array(frame["amount"].to_numpy(dtype=float)),
                   is_return=pa.array(frame["is_return"].to_numpy(dtype=bool)))
    return pa.table(columns).filter(pa.array(led.alive))


def lines_id_column(led: Ledger) -> str:
    return led.extra.get("id_column", "customer_id")


def derive_customer_raw(cfg, lines: Lines) -> tuple[pd.DataFrame, dict]:
    """A customer table made from transactions: one row per customer id, with declared
    customer attributes taken from the customer's latest valid line."""
    led, frame = lines.ledger, lines.frame
    ok = led.alive & frame["customer_id"].notna().to_numpy()
    sub = frame[ok]
    latest = sub.sort_values("date", kind="stable").groupby("customer_id", sort=False).tail(1).index
    raw = led.raw.loc[latest].copy()
    raw[cfg.columns.transactions.customer_id] = frame.loc[latest, "customer_id"]
    info = {"path": led.info.get("path"), "row_numbers": led.rows[latest.to_numpy()], "malformed": []}
    return raw.reset_index(drop=True), info


# =================================================================== the stage

def clean_stage(cfg, run_dir: Path) -> dict:
    """Read the inputs, clean them, pseudonymise personal data and write the artifacts.

    Writes into ``run_dir``: ``customers_clean.parquet``, ``transactions_clean.parquet``
    (when there are transactions), ``quality.json``, ``quarantine.csv``, ``id_map.csv``
    and ``repairs.csv`` (every value changed, with its rule).

    Returns
    -------
    dict
        The content of ``quality.json``.
    """
    run_dir = Path(run_dir)
    today = pd.Timestamp(dt.date.today())
    future_after = pd.Timestamp(cfg.data.as_of) if cfg.data.as_of else today
    inputs = {}
    for role in ("customers", "transactions"):
        src = getattr(cfg.data, role)
        if src is None:
            continue
        raw, info = sources.read_source(src, role=role, encoding=cfg.data.encoding,
                                        id_columns=validation.id_columns(cfg, role),
                                        columns=[c for c, _ in validation.declared_columns(cfg, role)], as_text=False)
        inputs[role] = (raw, info)

    lines = None
    if "transactions" in inputs:
        lines = clean_lines(cfg, *inputs["transactions"], future_after=future_after)
        lines.ledger.extra["id_column"] = cfg.columns.transactions.customer_id
    as_of = pd.Timestamp(cfg.data.as_of) if cfg.data.as_of else (lines.as_of if lines and lines.as_of is not None else today)
    derived = "customers" not in inputs
    if derived:
        raw, info = derive_customer_raw(cfg, lines)
        if raw.empty:
            top = lines.ledger.quarantined_by_rule.most_common(1)
            why = f" (most often: {RULES[top[0][0]]})" if top else ""
            raise DataError(f"{lines.ledger.info.get('path')}: no usable transaction line{why}, so no customer; "
                            "fix the file or columns.transactions")
        customers = clean_customers(cfg, raw, info, as_of=as_of, future_after=future_after,
                                    id_column=cfg.columns.transactions.customer_id)
    else:
        customers = clean_customers(cfg, *inputs["customers"], as_of=as_of, future_after=future_after)
    tx_table = resolve_customers(lines, customers) if lines is not None else None

    guard = PersonalData(cfg, privacy.get_secret(cfg), validation.personal_data_findings(cfg, inputs))
    ledgers = ([customers.ledger] if not derived else []) + ([lines.ledger] if lines else [])
    _write_outputs(cfg, run_dir, customers, tx_table, ledgers, guard)
    quality = _quality(cfg, customers, lines, derived, as_of, future_after)
    quality["personal_data"] = guard.summary()
    write_artifact(run_dir, "quality.json", quality)
    return quality


class PersonalData:
    """What of the inputs must not reach a file as written, and its keyed hash.

    - columns.pii: hashed in their matching form (``A@X.COM`` = ``a@x.com``);
    - customer ids when privacy.pseudonymise_ids (or an id column listed as pii): hashed
      as normalised ids, so customers, transactions, id_map, quarantine, assignments and
      ``seglab assign`` all carry the same hash for one customer;
    - undeclared columns whose values look personal (:func:`seglab.validation.personal_data_findings`):
      hashed with privacy.undeclared: hash, kept with a warning otherwise;
    - any other value that looks personal on its own (an e-mail typed into an income
      column) is hashed in quarantine.csv and repairs.csv.
    """

    def __init__(self, cfg, key: bytes, findings: list[dict]):
        self.cfg, self.key, self.findings = cfg, key, findings
        self.tokens = _tokens(cfg)
        self.pii = set(cfg.columns.pii)
        self.id_columns = {cfg.columns.customer_id, cfg.columns.transactions.customer_id, "customer_id"} - {None}
        flagged = {f["column"] for f in findings}
        hashing = cfg.privacy.undeclared == "hash"
        self.hash_ids = cfg.privacy.pseudonymise_ids or (hashing and bool(flagged & self.id_columns))
        typed = set(cfg.columns.numeric) | set(cfg.columns.dates) | {cfg.columns.birth_date} | {
            cfg.columns.transactions.date, cfg.columns.transactions.amount, cfg.columns.transactions.quantity,
            cfg.columns.transactions.unit_price}
        self.hashed = (flagged - self.id_columns - typed) if hashing else set()
        for f in findings:
            if not hashing:
                kinds = ", ".join(f"{n} {kind}" for kind, n in f["kinds"].items())
                log.warning("%s: column '%s' looks like personal data (%s distinct values) and reaches the outputs "
                            "as it is; %s", f["path"], f["column"], kinds, f["fix"])

    def ids(self, values: pd.Series) -> pd.Series:
        """Customer ids as every output writes them."""
        if not self.hash_ids:
            return values
        return privacy.pseudonymise(normalise_ids(values.astype("str"), self.tokens), self.key)

    def value(self, column: str, values: pd.Series) -> pd.Series:
        """A raw column of quarantine.csv or repairs.csv as it may be written."""
        if column in self.pii:
            norm, _ = mask_missing(normalise_text(values.astype("str")), self.tokens)
            matching, _ = normalise_pii(norm, column, self.cfg.cleaning.phone_country_code)
            return privacy.pseudonymise(matching.fillna(normalise_pii_text(norm)), self.key)
        if column in self.id_columns:
            return self.ids(values)  # raw ids stay as readable as in every other output
        if column in self.hashed:
            norm, _ = mask_missing(normalise_text(values.astype("str")), self.tokens)
            return privacy.pseudonymise(normalise_pii_text(norm), self.key)
        return privacy.mask_personal_values(values, self.key)

    def summary(self) -> dict:
        """For quality.json: what was found and done, with counts and no value."""
        return {"ids_pseudonymised": self.hash_ids, "undeclared": self.cfg.privacy.undeclared,
                "findings": [{k: f[k] for k in ("source", "column", "kinds")} | {
                    "handled": "hashed" if f["column"] in self.hashed or (
                        f["column"] in self.id_columns and self.hash_ids) else "kept (warning)"}
                             for f in self.findings]}


def _write_outputs(cfg, run_dir, customers: Customers, tx_table, ledgers, guard: PersonalData) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    c = cfg.columns
    key = guard.key
    table = customers.table
    out = pd.DataFrame({"customer_id": guard.ids(table["customer_id"].astype("str"))})
    for col in c.pii:
        if f"__pii_{col}" in table:
            out[col] = privacy.pseudonymise(table[f"__pii_{col}"], key)
    for col in c.numeric:
        if col in table:
            out[col] = pd.to_numeric(table[col]).astype("float64")
    for col in c.categorical:
        if col in table:
            out[col] = guard.value(col, table[col].astype("str")) if col in guard.hashed else table[col].astype("str")
    for col in c.dates:
        if col in table:
            out[col] = pd.to_datetime(table[col]).astype("datetime64[ns]")
    if c.birth_date and "age" not in out:
        out["age"] = pd.to_numeric(table["age"]).astype("float64")
    out.to_parquet(run_dir / "customers_clean.parquet", index=False)
    if tx_table is not None:
        if guard.hash_ids:
            ids = guard.ids(tx_table.column("customer_id").to_pandas())
            tx_table = tx_table.set_column(0, "customer_id", pa.array(ids.to_numpy(dtype=object), type=pa.string()))
        pq.write_table(tx_table, run_dir / "transactions_clean.parquet")
    quarantine = [led.quarantine_frame(guard.value) for led in ledgers]
    q_cols = ["source", "source_row", "rule", "column", "reason"]
    q = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame(columns=q_cols)
    outputs.write_csv(q, run_dir / "quarantine.csv")
    maps = [m for led in ledgers for m in led.id_map]
    id_map = pd.concat(maps, ignore_index=True) if maps else pd.DataFrame(columns=ID_MAP_COLUMNS)
    id_map = id_map.reindex(columns=ID_MAP_COLUMNS)
    for col in ("merged_id", "survivor_id"):
        id_map[col] = guard.ids(id_map[col])
    outputs.write_csv(id_map, run_dir / "id_map.csv")
    repairs = [r for led in ledgers for r in led.repairs]
    rep = pd.concat(repairs, ignore_index=True) if repairs else pd.DataFrame(
        columns=["source", "source_row", "column", "rule", "old", "new"])
    for col in set(rep["column"]) if len(rep) else ():
        is_col = (rep["column"] == col).to_numpy()
        for side in ("old", "new"):
            values = rep.loc[is_col, side]
            written = guard.value(col, values.astype("str")) if col in guard.pii | guard.hashed else \
                privacy.mask_personal_values(values, key)
            rep.loc[is_col, side] = pd.Series(written, index=values.index).where(values.notna()).to_numpy(dtype=object)
    outputs.write_csv(rep, run_dir / "repairs.csv")


def _quality(cfg, customers: Customers, lines: Lines | None, derived: bool, as_of, future_after) -> dict:
    cust = customers.ledger.accounting()
    extra = {k: v for k, v in customers.ledger.extra.items()}
    top = {**cust, **extra, "notes": customers.ledger.notes, "date_order": customers.info.get("date_order", {}),
           "derived_from_transactions": derived,
           "as_of": as_of.date().isoformat() if as_of is not None else None,
           "future_after": future_after.date().isoformat()}
    sources_out = {}
    if not derived:
        sources_out["customers"] = {**cust, **_source_info(customers.ledger.info)}
    if lines is not None:
        led = lines.ledger
        sources_out["transactions"] = {**led.accounting(), "returns": led.extra.get("returns", 0),
                                       "zero_amount_purchases": led.extra.get("zero_amount_purchases", 0),
                                       "date_order": led.extra.get("date_order", {}), "notes": led.notes,
                                       **_source_info(led.info)}
    top["sources"] = sources_out
    top["plausibility"] = _plausibility(customers.ledger, lines.ledger if lines is not None else None)
    return json.loads(json.dumps(finite(top), default=_plain, ensure_ascii=False, allow_nan=False))


def _plausibility(customers: Ledger, lines: Ledger | None) -> dict:
    """Every source's plausibility checks in one place: what was checked and what was found."""
    out = {"checked": {}, "findings": []}
    for led in (customers, lines):
        if led is None or "plausibility" not in led.extra:
            continue
        found = led.extra["plausibility"]
        out["checked"][led.source] = found["checked"]
        out["findings"] += [{"source": led.source, **f} for f in found["findings"]]
    return out


def _source_info(info: dict) -> dict:
    return {k: info.get(k) for k in ("path", "format", "encoding", "delimiter", "header_row")}


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
