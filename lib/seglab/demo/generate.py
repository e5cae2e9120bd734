"""Generate and write a demo or case-study data set: the one entry point to the generators.

Each scenario is a module of this package: the retail demo (:mod:`seglab.demo.retail`), its
six-months-later shift (:mod:`seglab.demo.retail_shift`) and the five case studies (one
module each, on the case-study engine :mod:`seglab.demo.cases`), all drawn by the engine
:mod:`seglab.demo.engine`. This module registers them by name.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import yaml

from seglab.demo import (
    b2b_software,
    cases,
    footwear,
    online_education,
    retail,
    retail_chain,
    retail_shift,
    subscription,
)
from seglab.demo.engine import CALIBRATED_TRANSACTIONS, MIN_CUSTOMERS, DemoData
from seglab.errors import SeglabError, did_you_mean

_CASE_MODULES = (retail_chain, online_education, b2b_software, footwear, subscription)

#: The case studies' specs by scenario name.
CASE_SPECS = {m.SPEC.name: m.SPEC for m in _CASE_MODULES}
#: How the committed case-study data sets are made:
#: ``seglab demo-data --scenario NAME --customers N --seed 7 --out data/case_studies/NAME``.
CASE_STUDY_DATA = {m.SPEC.name: m.CUSTOMERS for m in _CASE_MODULES}
CASE_STUDY_SEED = 7

#: Scenario name -> generator(rng, n_customers, transactions_per_customer) -> DemoData.
SCENARIOS: dict[str, Callable[[np.random.Generator, int, float], DemoData]] = {
    "retail": retail.generate,
    "retail_shift": retail_shift.generate,
    **{name: cases.generator(spec) for name, spec in CASE_SPECS.items()},
}


def generate_demo(
    *, n_customers: int = 10_000, seed: int = 42, scenario: str = "retail",
    transactions_per_customer: float = CALIBRATED_TRANSACTIONS,
) -> DemoData:
    """Generate a demo data set in memory.

    Parameters
    ----------
    n_customers : int, default=10_000
        Customer records (distinct ``customer_id``), near-duplicate records of one person
        included; exact duplicate lines come on top. At least 100.
    seed : int, default=42
        The same seed gives the same data, byte for byte.
    scenario : str, default="retail"
        A key of :data:`SCENARIOS`.
    transactions_per_customer : float, default=15.0
        About how many transaction lines per customer record, returns and problem lines
        included.

    Returns
    -------
    DemoData
    """
    _check(n_customers, seed, scenario, transactions_per_customer)
    rng = np.random.default_rng(seed)
    return SCENARIOS[scenario](rng, int(n_customers), float(transactions_per_customer))


def write_demo_data(
    out_dir, *, n_customers: int = 10_000, seed: int = 42, scenario: str = "retail",
    transactions_per_customer: float = CALIBRATED_TRANSACTIONS,
) -> dict[str, pathlib.Path]:
    """Write a demo data set as UTF-8 CSV files under ``out_dir``.

    Writes ``customers.csv`` and ``transactions.csv``, the truth that tests check against,
    ``truth/customers_truth.csv`` and ``truth/transactions_truth.csv``, and, for data sets
    whose values have labels in other languages, ``value_labels.yaml`` (the params'
    ``columns.value_labels``). Parameters as in :func:`generate_demo`.

    Returns
    -------
    dict of str to pathlib.Path
        Keys ``customers``, ``transactions``, ``customers_truth``, ``transactions_truth``
        (and ``value_labels`` when written).
    """
    data = generate_demo(
        n_customers=n_customers, seed=seed, scenario=scenario,
        transactions_per_customer=transactions_per_customer,
    )
    out = pathlib.Path(out_dir)
    paths = {
        "customers": out / "customers.csv",
        "transactions": out / "transactions.csv",
        "customers_truth": out / "truth" / "customers_truth.csv",
        "transactions_truth": out / "truth" / "transactions_truth.csv",
    }
    for key, path in paths.items():
        _write_csv(getattr(data, key), path)
    if data.value_labels:
        paths["value_labels"] = out / "value_labels.yaml"
        _write_text(VALUE_LABELS_HEADER + yaml.safe_dump(data.value_labels, allow_unicode=True, sort_keys=False,
                                                         width=120), paths["value_labels"])
    return paths


def _check(n_customers, seed, scenario, transactions_per_customer) -> None:
    def is_int(x):
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    if not is_int(n_customers) or n_customers < MIN_CUSTOMERS:
        raise SeglabError(
            f"demo data: n_customers must be an int >= {MIN_CUSTOMERS}; got {n_customers!r}."
        )
    if not is_int(seed) or seed < 0:
        raise SeglabError(f"demo data: seed must be an int >= 0; got {seed!r}.")
    if not 1 <= transactions_per_customer <= 1000:
        raise SeglabError(
            "demo data: transactions_per_customer must be in [1, 1000]; "
            f"got {transactions_per_customer!r}."
        )
    if scenario not in SCENARIOS:
        raise SeglabError(
            f"demo data: unknown scenario {scenario!r}{did_you_mean(scenario, SCENARIOS)}; "
            f"choose one of: {', '.join(SCENARIOS)}."
        )


VALUE_LABELS_HEADER = ("# How this data set's category values read in a report in another language.\n"
                       "# Params name this file in columns.value_labels: language -> column -> value -> label.\n")


def _write_text(text: str, path: pathlib.Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def _write_csv(frame: pd.DataFrame, path: pathlib.Path) -> None:
    """Write ``frame`` the one way that makes equal frames equal bytes, replacing atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")
    os.replace(tmp, path)
