"""Customers of exactly two kinds, segmented with k=3: the case where a requested k collapses.

Shared by test_segment.py (every cluster still maps to a segment) and test_overflow.py (the
report says that k collapsed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from seglab.config import config_from_dict


def two_kinds_asked_three(tmp_path, method: str, **segmentation):
    """300 customers, half (30, 100, "a") and half (60, 400, "b"), and params asking ``method`` for k=3."""
    n = 300
    half = np.arange(n) < n // 2
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "age": np.where(half, 30.0, 60.0),
                          "income": np.where(half, 100.0, 400.0), "city": np.where(half, "a", "b")})
    cfg = config_from_dict({"run_name": "t", "data": {"customers": "c.csv"},
                            "columns": {"numeric": ["age", "income"], "categorical": ["city"]},
                            "segmentation": {"method": method, "k": 3, "min_segment_share": 0.0,
                                             "features": ["age", "income", "city"], "stability_runs": 0,
                                             **segmentation}},
                           base_dir=tmp_path)
    return frame, cfg
