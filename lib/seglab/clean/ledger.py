"""What happened to every input row (kept, merged, repaired or quarantined), so the stage can prove
that its row counts add up and give the lines of quarantine.csv, id_map.csv and repairs.csv."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

# Every rule a row or value can meet, in plain words (the reason column of quarantine.csv).
RULES = {
    "malformed_line": "the line could not be split into the header's columns",
    "empty_row": "every cell is empty",
    "missing_id": "no customer id",
    "missing_required": "a required value is missing",
    "missing_value": "the value is missing and the column's missing-value strategy is quarantine",
    "exact_duplicate": "an identical row appears earlier in the file",
    "duplicate_id": "another record has the same customer id",
    "duplicate_key": "another record has the same de-duplication keys",
    "fuzzy_name": "another record shares a key and has a near-identical name",
    "bad_number": "not a number",
    "out_of_range": "outside the allowed range",
    "bad_date": "not a valid date",
    "future_date": "a date in the future",
    "ambiguous_date": "can be read day first or month first, and the column holds both orders",
    "implausible_date": "a year outside 1900-2200 (a placeholder such as 9999-12-31, or a typing error)",
    "placeholder_date": "a placeholder date such as 1900-01-01 or 1970-01-01, not a real one",
    "early_date": "far earlier than the rest of the column",
    "absurd_magnitude": "a magnitude no value can have (1e15 or more)",
    "implausible_value": "outside the range the column's quantity can take (an age is 0-120)",
    "implausible_capped": "outside the range the column's quantity can take, set to the nearest plausible value",
    "outlier": "far beyond the rest of the column (outside its outlier fence)",
    "outlier_capped": "far beyond the rest of the column, capped at its outlier fence for the analysis",
    "explained_zero": "missing where another column shows it is zero, so filled with 0",
    "category_variant": "a variant spelling of a category, standardised",
    "imputed": "missing, filled by the column's missing-value strategy",
    "filled_from_duplicate": "missing, taken from a merged duplicate record",
    "missing_date": "no date",
    "missing_amount": "no amount",
    "bad_amount": "the amount is not a number",
    "zero_amount": "the amount is zero",
    "negative_amount": "a negative amount on an order not marked as a return",
    "return_sign": "a return with a positive amount, made negative",
    "unknown_customer": "the customer id is not in the customer table",
    "customer_quarantined": "the customer's own record was quarantined",
    # campaign results (seglab measure)
    "not_in_audience": "the customer id is in none of the run's audiences",
    "before_campaign": "dated before the campaign started",
    "after_campaign": "dated after the campaign ended",
    "missing_response_date": "a response without a date",
    "bad_flag": "the responded value is not yes/no, true/false or 1/0",
    "revenue_without_response": "revenue on a row marked as no response",
}
FILL_RULES = {"imputed", "explained_zero", "filled_from_duplicate"}  # a missing value filled
CAP_RULES = {"outlier_capped", "implausible_capped"}  # a value kept, limited to a plausible one
ID_MAP_COLUMNS = ["merged_id", "survivor_id", "rule", "source", "source_row", "survivor_row", "matched_on"]


class Ledger:
    """What happened to every row of one input: kept, merged, repaired or quarantined.

    Rows are addressed by position in the raw table; ``rows`` holds their 1-based
    data row numbers in the source file.
    """

    def __init__(self, source: str, raw: pd.DataFrame, info: dict):
        self.source = source
        self.raw = raw.reset_index(drop=True)
        self.info = info
        self.n = len(self.raw)
        self.rows = np.asarray(info.get("row_numbers", np.arange(1, self.n + 1)), dtype=np.int64)
        self.malformed = list(info.get("malformed", []))
        self.alive = np.ones(self.n, bool)
        self.merged = np.zeros(self.n, bool)
        self.q_event = np.full(self.n, -1, np.int32)
        self.events: list[tuple[np.ndarray, str, str | None]] = []
        self.by_rule, self.quarantined_by_rule, self.merged_by_rule = Counter(), Counter(), Counter()
        self.missing, self.invalid, self.imputed, self.repaired = Counter(), Counter(), Counter(), Counter()
        self.capped = Counter()
        # Per column, the cells that were missing or unusable when the values were checked, and
        # the cells filled later: what the value accounting of quality.json adds up.
        self.gaps: dict[str, dict[str, np.ndarray]] = {}
        self.repairs: list[pd.DataFrame] = []
        self.id_map: list[pd.DataFrame] = []
        self.notes: list[str] = []
        self.extra: dict = {}
        if self.malformed:
            self.by_rule["malformed_line"] = self.quarantined_by_rule["malformed_line"] = len(self.malformed)

    def quarantine(self, checks) -> None:
        """Take rows out, each under the first rule it meets; every rule met is a reason.

        ``checks`` is a sequence of ``(rule, column, mask)`` over all rows.
        """
        alive0 = self.alive.copy()
        for rule, column, mask in checks:
            pos = np.flatnonzero(np.asarray(mask, bool) & alive0)
            if not len(pos):
                continue
            self.by_rule[rule] += len(pos)
            self.events.append((pos, rule, column))
            new = pos[self.alive[pos]]
            self.q_event[new] = len(self.events) - 1
            self.alive[new] = False
            self.quarantined_by_rule[rule] += len(new)

    def merge(self, pos: np.ndarray, merged_id, survivor_id, rule, matched_on, survivor_pos) -> None:
        """Rows absorbed by a surviving row (``rule`` says why they are the same), for ``id_map.csv``."""
        if not len(pos):
            return
        self.alive[pos] = False
        self.merged[pos] = True
        rules = pd.Series(rule, index=range(len(pos))) if isinstance(rule, str) else pd.Series(np.asarray(rule))
        for r, k in rules.value_counts().items():
            self.by_rule[r] += int(k)
            self.merged_by_rule[r] += int(k)
        self.id_map.append(pd.DataFrame({
            "merged_id": np.asarray(merged_id, dtype=object), "survivor_id": np.asarray(survivor_id, dtype=object),
            "rule": rules.to_numpy(dtype=object), "source": self.source, "source_row": self.rows[pos],
            "survivor_row": self.rows[survivor_pos],
            "matched_on": np.broadcast_to(np.asarray(matched_on, dtype=object), (len(pos),)),
        }))

    def log(self, pos: np.ndarray, column: str, rule: str, old, new) -> None:
        """A changed value in a kept row, for ``repairs.csv``."""
        if not len(pos):
            return
        self.by_rule[rule] += len(pos)
        self.repairs.append(pd.DataFrame({
            "source": self.source, "source_row": self.rows[pos], "column": column, "rule": rule,
            "old": _texts(old, len(pos)), "new": _texts(new, len(pos)),
        }))

    def repair(self, pos: np.ndarray, column: str, rule: str, old, new) -> None:
        """Values repaired, capped or filled in kept rows."""
        self.log(pos, column, rule, old, new)
        if not len(pos):
            return
        if rule in FILL_RULES:
            self.imputed[column] += len(pos)
        elif rule in CAP_RULES:
            self.capped[column] += len(pos)
        else:
            self.repaired[column] += len(pos)

    def count_missing(self, column: str, mask) -> None:
        """Cells missing as written, among the rows still in play (the point where values are checked)."""
        miss = np.asarray(mask, bool) & self.alive
        self._gap(column, "missing")[miss] = True
        self.missing[column] += int(miss.sum())

    def flag_invalid(self, pos: np.ndarray, column: str, rule: str, old) -> None:
        """Values unusable as written: counted, logged, then treated as missing."""
        self.log(pos, column, rule, old, None)
        if len(pos):
            self.invalid[column] += len(pos)
            self._gap(column, "unusable")[pos] = True

    def derive_gaps(self, column: str, source: str, still_missing) -> None:
        """A column computed from another (age from a birth date): where it is still missing,
        the gap is the source's (unusable when the source value was)."""
        m0, u0 = self._gap(column, "missing"), self._gap(column, "unusable")
        new = np.asarray(still_missing, bool) & self.alive & ~(m0 | u0)
        from_unusable = new & self._gap(source, "unusable")
        m0 |= new & ~from_unusable
        u0 |= from_unusable
        self.missing[column] = int(m0.sum())
        self.invalid[column] += int(from_unusable.sum())

    def _gap(self, column: str, kind: str) -> np.ndarray:
        masks = self.gaps.setdefault(column, {"missing": np.zeros(self.n, bool), "unusable": np.zeros(self.n, bool)})
        return masks[kind]

    def settle_values(self, values: dict) -> dict:
        """Where every missing or unusable cell ended: filled, left missing, or set aside with its row.

        ``values`` maps each column to its final values (aligned with the raw rows). The
        counts add up by construction: ``missing + unusable = filled + left_missing + set_aside``,
        over the rows checked value by value (after empty rows and exact copies left).
        """
        out = {}
        for column in sorted(set(self.gaps) | {c for c, n in self.capped.items() if n}):
            masks = {kind: self._gap(column, kind) for kind in ("missing", "unusable")}
            gap = masks["missing"] | masks["unusable"]
            if not gap.any() and not self.capped[column]:
                continue
            final = values.get(column)
            empty = pd.isna(np.asarray(final, dtype=object)) if final is not None else np.ones(self.n, bool)
            kept = gap & self.alive
            row = {"missing": int(masks["missing"].sum()), "unusable": int(masks["unusable"].sum()),
                   "filled": int((kept & ~empty).sum()), "left_missing": int((kept & empty).sum()),
                   "set_aside": int((gap & ~self.alive).sum()), "capped": int(self.capped[column])}
            if row["missing"] + row["unusable"] != row["filled"] + row["left_missing"] + row["set_aside"]:
                raise RuntimeError(f"{self.source}: value accounting of '{column}' does not add up: {row}")  # a bug
            out[column] = row
        return out

    def raw_text(self, column: str, pos) -> np.ndarray:
        if column not in self.raw:
            return np.full(len(pos), None)
        return self.raw[column].iloc[pos].to_numpy(dtype=object, na_value=None)

    # ---- outputs

    def accounting(self) -> dict:
        rows_in = self.n + len(self.malformed)
        quarantined = int((~self.alive & ~self.merged).sum()) + len(self.malformed)
        out = {
            "rows_in": rows_in, "rows_clean": int(self.alive.sum()), "duplicates_merged": int(self.merged.sum()),
            "rows_quarantined": quarantined,
            "by_rule": dict(sorted(self.by_rule.items())),
            "quarantined_by_rule": dict(sorted(self.quarantined_by_rule.items())),
            "merged_by_rule": dict(sorted(self.merged_by_rule.items())),
            "missing": dict(self.missing), "invalid": dict(self.invalid),
            "imputed": dict(self.imputed), "repaired": dict(self.repaired), "capped": dict(self.capped),
        }
        if out["rows_in"] != out["rows_clean"] + out["duplicates_merged"] + out["rows_quarantined"]:
            raise RuntimeError(f"{self.source}: row accounting does not add up: {out}")  # a bug, not bad data
        return out

    def quarantine_frame(self, hash_value) -> pd.DataFrame:
        """One line per quarantined row: where it came from, why, and its values."""
        pos = np.flatnonzero(~self.alive & ~self.merged)
        reasons: dict[int, list[str]] = {}
        for epos, rule, column in self.events:
            hit = epos[~self.alive[epos] & ~self.merged[epos]]
            for p in hit.tolist():
                reasons.setdefault(p, []).append(_reason(rule, column))
        first = [self.events[e] for e in self.q_event[pos]]
        frame = pd.DataFrame({
            "source": self.source, "source_row": self.rows[pos],
            "rule": [e[1] for e in first], "column": [e[2] or "" for e in first],
            "reason": ["; ".join(dict.fromkeys(reasons.get(p, []))) for p in pos.tolist()],
        })
        values = self.raw.iloc[pos].reset_index(drop=True)
        for col in values.columns:
            values[col] = hash_value(col, values[col])
        frame = pd.concat([frame, values], axis=1)
        if self.malformed:
            bad = pd.DataFrame({"source": self.source, "source_row": [r for r, _ in self.malformed],
                                "rule": "malformed_line", "column": "",
                                "reason": [m for _, m in self.malformed]})
            frame = pd.concat([frame, bad], ignore_index=True)
        return frame.sort_values("source_row", kind="stable")


def _texts(values, n) -> np.ndarray:
    if values is None:
        return np.full(n, "", dtype=object)
    arr = np.asarray(values, dtype=object) if not np.isscalar(values) else np.full(n, values, dtype=object)
    out = np.empty(len(arr), dtype=object)
    for i, v in enumerate(arr):  # only the logged subset
        out[i] = "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else \
            (str(v)[:10] if isinstance(v, (pd.Timestamp, np.datetime64)) and str(v).endswith("00:00:00") else str(v))
    return out


def _reason(rule: str, column: str | None) -> str:
    return f"{column}: {RULES[rule]}" if column else RULES[rule]
