"""The files a run's stages hand to each other, read the one way every reader uses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_assignments(run_dir) -> pd.DataFrame:
    """assignments.csv with identifiers and names kept as text."""
    return pd.read_csv(Path(run_dir) / "assignments.csv", dtype={"customer_id": str, "segment_name": str})
