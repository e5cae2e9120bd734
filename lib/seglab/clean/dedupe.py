"""Find the records that are one customer (exact copies, same id, same keys, similar names), choose
the survivor and fill its gaps from the merged records; the ledger records who merged into whom."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.lib.stride_tricks import as_strided
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from seglab.clean.ledger import Ledger
from seglab.clean.standardise import arrow_strings, pii_kind
from seglab.errors import DataError


def merge_exact_copies(led: Ledger, id_col: str | None) -> None:
    """Identical rows: the later copies merge into the first.

    A cheap fingerprint per row finds the candidates (a collision only adds a
    candidate), and the few candidates are compared whole; hashing whole rows of
    twenty million lines with pandas would take a minute.
    """
    alive = np.flatnonzero(led.alive)
    if len(alive) < 2:
        return
    prints = _row_fingerprints(led.raw)[alive]
    cand = alive[pd.Series(prints).duplicated(keep=False).to_numpy()]
    if len(cand) < 2:
        return
    sub = led.raw.iloc[cand]
    dup = sub.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    group = sub.groupby(list(sub.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(cand).groupby(group).transform("min").to_numpy()
    pos, anchors = cand[dup], first[dup]
    ids = led.raw[id_col].to_numpy(dtype=object, na_value=None) if id_col else led.rows.astype(str)
    led.merge(pos, ids[pos], ids[anchors], "exact_duplicate", "all columns", anchors)


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _row_fingerprints(raw: pd.DataFrame) -> np.ndarray:
    """A 64-bit fingerprint per row: equal rows always get equal ones."""
    h = np.zeros(len(raw), np.uint64)
    for col in raw.columns:
        s = raw[col]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            arr = arrow_strings(s)
            part = np.concatenate([_string_prints(c) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, np.uint64)
        else:
            part = pd.util.hash_array(s.to_numpy())
        h = h * np.uint64(0x100000001B3) ^ part
    return h


def _string_prints(chunk: pa.Array) -> np.ndarray:
    """Length, first and last 8 bytes of each string, mixed: read straight from Arrow's buffers."""
    n = len(chunk)
    if n == 0:
        return np.zeros(0, np.uint64)
    validity, offsets_buf, data_buf = chunk.buffers()[:3]
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width)[chunk.offset: chunk.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8)[: offsets[-1]] if data_buf is not None else np.zeros(0, np.uint8)
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    words = as_strided(padded, shape=(len(padded) - 7, 8), strides=(1, 1))
    start, length = offsets[:-1], np.diff(offsets)
    mask = _MASKS[np.minimum(length, 8)]
    first = words[start].copy().view("<u8").ravel() & mask
    last = words[np.maximum(offsets[1:] - 8, start)].copy().view("<u8").ravel() & mask
    h = (first * np.uint64(0x9E3779B97F4A7C15)) ^ (last * np.uint64(0xC2B2AE3D27D4EB4F)) ^ \
        (length.astype(np.uint64) * np.uint64(0x165667B19E3779F9))
    if chunk.null_count:
        h[~np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), bool)] = np.uint64(0xDEADBEEFCAFEF00D)
    return h


def merge_duplicates(cfg, led: Ledger, work: pd.DataFrame) -> dict:
    """Merge records of one customer; returns merged id -> survivor id.

    Records are one customer when they have the same id, or are equal on every
    ``dedupe_on`` key after normalisation, or (``fuzzy_names``) share one key and have
    names scoring at least ``fuzzy_threshold`` (rapidfuzz ``token_sort_ratio``). Key
    values shared by more than ``dedupe_max_block`` records are placeholders and link
    nobody. The survivor is the most complete record, then the most recent.
    """
    rules = cfg.cleaning
    pos = np.flatnonzero(led.alive)
    n = len(pos)
    if n < 2:
        return {}
    sub = work.iloc[pos].reset_index(drop=True)
    edges = [_block_edges(pd.factorize(sub["customer_id"])[0], None)]
    keys = list(rules.dedupe_on)
    key_codes = {c: pd.factorize(sub[f"__key_{c}"])[0] for c in keys}
    placeholders = {}
    if keys:
        frame = pd.DataFrame(key_codes)
        whole = np.array(frame.groupby(keys, sort=False).ngroup(), dtype=np.int64)
        whole[(frame < 0).any(axis=1).to_numpy()] = -1
        edges.append(_block_edges(whole, rules.dedupe_max_block, placeholders, "+".join(keys)))
    fuzzy_edges = None
    if rules.fuzzy_names and keys:
        names = _name_series(cfg, sub, led.info.get("path"))
        fuzzy_edges = _fuzzy_edges(key_codes, names, rules, placeholders)
        edges.append(fuzzy_edges)
    if placeholders:
        led.extra["placeholder_keys"] = placeholders
    i = np.concatenate([e[0] for e in edges])
    j = np.concatenate([e[1] for e in edges])
    if not len(i):
        return {}
    _, comp = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)), directed=False)
    sizes = np.bincount(comp)
    multi = sizes[comp] > 1
    if not multi.any():
        return {}
    completeness = _completeness(cfg, sub)
    recency = _recency(cfg, sub)
    order = np.lexsort((-np.arange(n), -recency, -completeness, comp))
    survivor = np.empty(sizes.shape[0], np.int64)
    first_in_comp = np.r_[True, comp[order][1:] != comp[order][:-1]]
    survivor[comp[order][first_in_comp]] = order[first_in_comp]
    surv_of = survivor[comp]
    merged = np.flatnonzero(multi & (surv_of != np.arange(n)))
    _coalesce(led, work, sub, pos, comp, order, multi)
    ids = sub["customer_id"].to_numpy(dtype=object)
    same_id = ids[merged] == ids[surv_of[merged]]
    same_keys = np.ones(len(merged), bool) if keys else np.zeros(len(merged), bool)
    for c in keys:
        same_keys &= (key_codes[c][merged] == key_codes[c][surv_of[merged]]) & (key_codes[c][merged] >= 0)
    linked = "fuzzy_name" if fuzzy_edges is not None else "duplicate_key"  # directly or through another record
    rule = np.where(same_id, "duplicate_id", np.where(same_keys, "duplicate_key", linked))
    matched = np.where(same_id, "customer_id", np.where(same_keys, "+".join(keys), "shared key and similar name"))
    led.merge(pos[merged], ids[merged], ids[surv_of[merged]], rule, matched, pos[surv_of[merged]])
    return {m: s for m, s in zip(ids[merged], ids[surv_of[merged]]) if m != s}


def _block_edges(codes: np.ndarray, max_block, placeholders=None, label="") -> tuple[np.ndarray, np.ndarray]:
    """Link every member of a block of equal codes to the block's first member."""
    ok = codes >= 0
    if max_block is not None and ok.any():
        counts = np.bincount(codes[ok])
        big = counts > max_block
        if big.any():
            if placeholders is not None:
                placeholders[label] = int(big.sum())
            ok &= ~big[np.maximum(codes, 0)]
    idx = np.flatnonzero(ok)
    if not len(idx):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    first = pd.Series(idx).groupby(codes[idx]).transform("min").to_numpy()
    keep = first != idx
    return idx[keep], first[keep]


def _name_series(cfg, sub: pd.DataFrame, path) -> pd.Series:
    name = cfg.cleaning.name_column or next((c for c in cfg.columns.pii if pii_kind(c) == "name"), None)
    if name is None or f"__key_{name}" not in sub:
        raise DataError(f"{path}: cleaning.fuzzy_names needs a name column; set cleaning.name_column to a pii column")
    return sub[f"__key_{name}"]


def _fuzzy_edges(key_codes: dict, names: pd.Series, rules, placeholders) -> tuple[np.ndarray, np.ndarray]:
    """Pairs sharing one key whose names are near-identical (all pairs within each block)."""
    left, right = [], []
    for col, codes in key_codes.items():
        ok = codes >= 0
        counts = np.bincount(codes[ok]) if ok.any() else np.zeros(0, int)
        ok &= (counts[np.maximum(codes, 0)] <= rules.dedupe_max_block) if len(counts) else ok
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(codes[idx], kind="stable")]
        c = codes[idx]
        for k in range(1, rules.dedupe_max_block):
            same = c[k:] == c[:-k]
            left.append(idx[:-k][same])
            right.append(idx[k:][same])
    i, j = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (left, right))
    text = names.to_numpy(dtype=object, na_value=None)
    has = np.array([text[a] is not None and text[b] is not None for a, b in zip(i, j)], bool) if len(i) else np.zeros(0, bool)
    i, j = i[has], j[has]
    if not len(i):
        return i, j
    scores = process.cpdist(list(text[i]), list(text[j]), scorer=fuzz.token_sort_ratio, workers=1)
    keep = scores >= rules.fuzzy_threshold
    return i[keep], j[keep]


def _declared(cfg) -> list[str]:
    c = cfg.columns
    return list(dict.fromkeys([*c.numeric, *c.categorical, *c.dates, *([c.birth_date] if c.birth_date else [])]))


def _completeness(cfg, sub: pd.DataFrame) -> np.ndarray:
    cols = [c for c in _declared(cfg) if c in sub] + [f"__pii_{c}" for c in cfg.columns.pii if f"__pii_{c}" in sub]
    return sub[cols].notna().sum(axis=1).to_numpy() if cols else np.zeros(len(sub))


def _recency(cfg, sub: pd.DataFrame) -> np.ndarray:
    date = next((c for c in cfg.columns.dates if c in sub), None)
    if date is None:
        return np.zeros(len(sub))
    v = sub[date].to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    v[np.isnat(sub[date].to_numpy(dtype="datetime64[ns]"))] = -np.inf
    return v


def _coalesce(led, work, sub, pos, comp, order, multi) -> None:
    """Fill a survivor's gaps from its merged records, best record first."""
    cols = [c for c in work.columns if c != "customer_id"]
    members = order[multi[order]]
    ranked = sub.iloc[members]
    best = ranked[cols].groupby(comp[members], sort=False).first()
    surv_rows = members[np.r_[True, comp[members][1:] != comp[members][:-1]]]
    for col in cols:
        current = sub[col].to_numpy()[surv_rows]
        fill = best.loc[comp[surv_rows], col].to_numpy()
        gap = pd.isna(current) & ~pd.isna(fill)
        if not gap.any():
            continue
        where = pos[surv_rows[gap]]
        work.loc[where, col] = fill[gap]
        if not col.startswith("__key_"):
            name = col.removeprefix("__pii_")
            shown = "(personal data)" if col.startswith("__pii_") else fill[gap]
            old = "" if col.startswith("__pii_") else led.raw_text(name, where)
            led.repair(where, name, "filled_from_duplicate", old, shown)
