"""Customers kept out of the segmentation: their own named group, not a segment found in data.

Customers whose returns cancel their purchases (only returns in the window, or net spend
at or below zero; lifecycle ``returns_only`` / ``net_negative``, see
:mod:`seglab.features.build`) are not prospects and not ordinary low-value buyers.  Left in a
clustering they form a micro-cluster of refunds that blocks larger k, or drag a real
segment's averages below zero; so the clustering and the RFM map see only the other
customers and these form one group after the segments, named and explained.  Rules written
by the analyst see everybody: the analyst decides there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from seglab.errors import DataError
from seglab.features.build import REFUND_STAGES

__all__ = ["STATES", "GROUP_NAME", "REASON", "outside_mask", "OutsideGroup", "with_outside_group"]

#: The lifecycle values of customers kept out of the segmentation.
STATES = REFUND_STAGES
#: The group's provisional name (the personas stage names it in the report's language).
GROUP_NAME = "Returned all they bought"
REASON = ("customers whose returns cancel their purchases (only returns in the window, or net "
          "spend at or below zero) are kept out of the segmentation: they are neither prospects "
          "nor low-value buyers, and as a cluster of their own they would block larger k or, "
          "inside another segment, pull its spend below what its buyers bring")


def outside_mask(features: pd.DataFrame, method: str) -> np.ndarray:
    """Customers the segmentation ``method`` leaves out (none for analyst rules)."""
    if method == "rules" or "lifecycle" not in features.columns:
        return np.zeros(len(features), bool)
    return features["lifecycle"].isin(STATES).to_numpy()


class OutsideGroup(BaseEstimator):
    """A fitted segmentation plus the group of customers it was not fitted on.

    ``predict`` gives customers in :data:`STATES` the group's number and asks the inner
    model for everybody else, so ``seglab assign`` reproduces the run.

    Parameters
    ----------
    model : object
        The inner fitted segmentation.
    segment : int
        The group's segment number.
    method : str
        The segmentation method (decides who is outside, see :func:`outside_mask`).
    """

    def __init__(self, model, segment: int, method: str):
        self.model = model
        self.segment = segment
        self.method = method

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Segment of each customer: the group for those outside, the inner model's otherwise."""
        outside = outside_mask(features, self.method)
        labels = np.full(len(features), self.segment, dtype=np.int64)
        if (~outside).any():  # predict on the inside customers only, as the model was fitted
            labels[~outside] = self.model.predict(features[~outside])
        return labels


def with_outside_group(features: pd.DataFrame, outside: np.ndarray, cfg, fit):
    """Fit ``fit(inside_features)`` on the customers inside and add the outside group.

    Returns the inner result with labels for every customer, the group's name, the
    wrapping :class:`OutsideGroup` model, and in the report the sizes of every segment
    (the group included, but never counted as below ``min_segment_share``: it is not a
    cluster) and ``outside_segmentation``: its number, size per state and the reason.
    """
    inside = ~outside
    if not inside.any():
        raise DataError(f"all {len(features)} customers' returns cancel their purchases (only returns, or net "
                        "spend at or below zero), so there is nobody to segment; check the amounts and "
                        "columns.transactions (a sign or cancellation mark read the wrong way?)")
    states = features.loc[outside, "lifecycle"].value_counts()
    result = fit(features[inside].reset_index(drop=True))
    group = int(max(max(result.names, default=-1), int(result.labels.max())) + 1)
    labels = np.full(len(features), group, dtype=np.int64)
    labels[inside] = result.labels
    names = {**result.names, group: GROUP_NAME}
    report = dict(result.report)
    n = len(labels)
    counts = np.bincount(labels, minlength=group + 1)
    report["sizes"] = [{"segment": int(s), "name": names.get(int(s)), "n": int(c), "share": float(c / n)}
                       for s, c in enumerate(counts) if c or s in names]
    clusters = [s for s in report["sizes"] if s["segment"] != group and s["n"]]
    report["smallest_share"] = float(min((s["share"] for s in clusters), default=0.0))
    report["below_min_share"] = [s["segment"] for s in clusters if s["share"] < cfg.segmentation.min_segment_share]
    report["n_customers"] = int(n)
    report["outside_segmentation"] = {
        "segment": group, "name": GROUP_NAME, "customers": int(outside.sum()),
        "share": float(outside.mean()), "by_state": {str(k): int(v) for k, v in states.items()},
        "reason": REASON}
    model = OutsideGroup(result.model, group, cfg.segmentation.method)
    return type(result)(labels=labels, names=names, model=model, report=report)
