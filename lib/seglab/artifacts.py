"""The files a run's stages hand to each other: which stage writes each, and the typed
model of every JSON file, checked when it is written and when it is read.

Every JSON artifact of a run folder has a pydantic model here and is written with
:func:`write_artifact` and read with :func:`read_artifact` (or the typed attributes of
:class:`RunArtifacts`). A model forbids undeclared fields, so the files' format is
exactly what this module says: to add a field to an artifact, add one line to its model
(docs/architecture.md §4). Field order in a model is the order of keys in the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from seglab.errors import DataError, did_you_mean
from seglab.io.files import json_ready, write_json
from seglab.io.outputs import read_csv

#: A number kept as written: an integer stays an integer and a float a float, so a file
#: read and written again is byte-identical.
Number = int | float


class Block(BaseModel):
    """Base of every artifact model and of each of their parts.

    Undeclared fields are errors (the model is the format); NaN and infinity are
    errors (JSON has neither, and no client should read them).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, use_attribute_docstrings=True)


# ================================================================== quality.json (clean)

class DateOrder(Block):
    """How an ambiguous date column (06/05/2024) was read, and the evidence."""

    order: str
    basis: str | None = None
    format: str | None = None
    ambiguous: int | None = None
    """Values that read both ways in a column with evidence of both orders (set aside)."""
    assumed: bool | None = None
    """True when no value decided the order and day first was assumed (no date format given)."""


class Imputation(Block):
    """How a column's missing values were filled."""

    strategy: str
    value: Number | str | None = None
    explained_by: str | None = None
    """The column whose 0 explains every blank (strategy 'zero'; seglab.clean.missing)."""
    count: int | None = None
    column: str | None = None
    blanks: int | None = None
    share_zero_elsewhere: Number | None = None
    rank_correlation: Number | None = None
    others: Imputation | None = None
    """The strategy for the column's other gaps (unusable values), when blanks were explained by a zero."""


class ValueAccounting(Block):
    """One column's missing and unusable values: missing + unusable = filled + left_missing + set_aside."""

    missing: int
    unusable: int
    filled: int
    left_missing: int
    set_aside: int
    capped: int


class Fence(Block):
    """The robust outlier fence of a numeric column."""

    scale: str
    low: Number | None
    high: Number | None


class PlausibilityCheck(Block):
    """How one column was checked for plausibility."""

    policy: str | None = None
    """flag, cap, quarantine or ignore (cleaning.plausibility)."""
    range: list[Number] | None = None
    means: str | None = None
    fence: Fence | None = None
    earliest: str | None = None
    range_not_applied: str | None = None
    """Why a human range was not applied (the column holds something else)."""


class PlausibilityFinding(Block):
    """Values that failed a plausibility check, with what was done about them."""

    source: str
    column: str
    check: str
    count: int
    action: str
    examples: list[str]
    limit: Number | None = None
    range: list[Number] | None = None
    means: str | None = None
    earliest: str | None = None


class Plausibility(Block):
    checked: dict[str, dict[str, PlausibilityCheck]]
    """Per source and column: how it was checked."""
    findings: list[PlausibilityFinding]


class RowAccounting(Block):
    """What happened to the rows of one input: rows_in = rows_clean + duplicates_merged + rows_quarantined."""

    rows_in: int
    """Data rows read, malformed lines included."""
    rows_clean: int
    """Rows kept (one per customer, or per transaction line)."""
    duplicates_merged: int
    """Rows merged into a surviving duplicate (id_map.csv)."""
    rows_quarantined: int
    """Rows set aside with their reason (quarantine.csv)."""
    by_rule: dict[str, int]
    """Rows or values each cleaning rule met (seglab.clean.ledger.RULES)."""
    quarantined_by_rule: dict[str, int]
    """Quarantined rows by the first rule that took them out."""
    merged_by_rule: dict[str, int]
    """Merged rows by the rule that matched them."""
    missing: dict[str, int]
    """Per column: values missing as given."""
    invalid: dict[str, int]
    """Per column: values unusable as written (then treated as missing)."""
    imputed: dict[str, int]
    """Per column: missing values filled by the column's strategy."""
    repaired: dict[str, int]
    """Per column: values changed by a repair rule (repairs.csv)."""
    capped: dict[str, int] | None = None
    """Per column: outliers capped at their fence (seglab.clean.plausibility)."""


class SourceQuality(RowAccounting):
    """One input file: its row accounting and how it was read."""

    returns: int | None = None
    zero_amount_purchases: int | None = None
    """Purchase lines of amount 0 kept as purchases (cleaning.zero_amount: purchase)."""
    date_order: dict[str, DateOrder] | None = None
    notes: list[str] | None = None
    path: str | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None


class PersonalDataFinding(Block):
    """A column not declared as personal whose values look personal (seglab.validation); counts only, no value."""

    source: str
    column: str
    kinds: dict[str, int]
    """Kind (e-mail, phone, resident ID, bank card, personal name) -> distinct values of that shape."""
    handled: str | None = None
    """hashed, or kept (warning) (privacy.undeclared)."""
    path: str | None = None
    fix: str | None = None


class PersonalDataReport(Block):
    """How personal data was kept out of the outputs (privacy in the params)."""

    ids_pseudonymised: bool
    undeclared: str
    findings: list[PersonalDataFinding]


class QualityReport(RowAccounting):
    """quality.json: the customers' row accounting (top level), each source's, and the cleaning record."""

    phone_country_code: dict[str, str] | None = None
    placeholder_keys: dict[str, int] | None = None
    unmapped_categories: dict[str, dict[str, int]] | None = None
    """Per column with a category map: the most common values the map does not name, and their counts."""
    reformatted_numbers: dict[str, int] | None = None
    """Per numeric column: values written with thousands separators, currency signs or a decimal comma."""
    plausibility: Plausibility | None = None
    imputation: dict[str, Imputation] | None = None
    values: dict[str, ValueAccounting] | None = None
    """Per column: the value accounting of the data-quality table."""
    values_checked: int | None = None
    """Rows checked value by value (after empty rows and exact copies left)."""
    notes: list[str]
    date_order: dict[str, DateOrder]
    derived_from_transactions: bool
    """True when there is no customer file: customers are the transactions' customer ids."""
    as_of: str | None
    """The reference date of the run (ISO)."""
    future_after: str
    """Dates after this day are in the future: bad data."""
    sources: dict[Literal["customers", "transactions"], SourceQuality]
    personal_data: PersonalDataReport | None = None


# ================================================================== features.json (features)

class Window(Block):
    lines_total: int
    lines_used: int
    lines_after_as_of: int
    first_date: str | None
    last_date: str | None
    order_ids: bool


class CustomerCounts(Block):
    total: int
    with_purchase: int
    without_purchase: int
    returns_only: int | None = None
    """Customers with return lines but no purchase in the window (lifecycle 'returns_only')."""
    net_negative: int | None = None
    """Customers whose returns cancel their purchases (lifecycle 'net_negative')."""
    zero_amount_purchases: int | None = None
    """Purchase lines of amount 0 in the window (free samples, 100 % vouchers)."""


class RfmRule(Block):
    name: str
    r: list[int]
    f: list[int]
    m: list[int]


class Rfm(Block):
    score_edges: dict[str, list[Number]]
    quintiles: list[Number]
    map: list[RfmRule]
    map_rule: str
    segment_counts: dict[str, int]


class Lifecycle(Block):
    new_days: Number
    active_days: Number
    churned_days: Number
    source: dict[str, str]
    rule: str
    basis: dict[str, Number]
    definition: str
    counts: dict[str, int]


class FitDiagnostics(Block):
    """How an optimiser's fit of a CLV model went."""

    log_likelihood: Number | None = None
    converged: bool
    n_iter: int | None = None
    message: str | None = None
    at_bounds: list[str] = []
    n_customers: int | None = None
    n_repeat_buyers: int | None = None


class HealthCheck(Block):
    check: str
    passed: bool | None
    detail: str | None


class HoldoutTotal(Block):
    predicted: Number
    actual: Number
    relative_error: Number | None
    within: bool | None = None
    customers: int | None = None


class HoldoutBucket(Block):
    """Customers by purchase count in the calibration period: predicted and actual holdout purchases."""

    frequency: str
    customers: int
    predicted: Number
    actual: Number
    standard_error: Number | None
    allowed_difference: Number
    judged: bool
    within: bool | None


class Holdout(Block):
    """A calibration/holdout check in the manner of Fader, Hardie & Lee (passed null: not run)."""

    passed: bool | None
    reason: str | None = None
    rule: str | None = None
    calibration_end: str | None = None
    holdout_days: int | None = None
    customers: int | None = None
    calibration_params: dict[str, Number] | None = None
    calibration_converged: bool | None = None
    total: HoldoutTotal | None = None
    buckets: list[HoldoutBucket] | None = None


class ModelHealth(Block):
    """Whether a fitted CLV model may be used: convergence, parameters, holdout."""

    passed: bool
    checks: list[HealthCheck]
    holdout: Holdout
    reason: str | None


class ChurnRisk(Block):
    """The one risk measure: its bases and rules, and how many customers each basis rated."""

    bases: list[str]
    recency_rule: str
    overdue_rule: str
    overdue_multiple: Number
    overdue_max_alive: Number
    basis_counts: dict[str, int] | None = None
    overdue_customers: int | None = None
    median_usual_gap_days: Number | None = None


class GammaGamma(Block):
    fitted: bool
    used: bool | None = None
    p: Number | None = None
    q: Number | None = None
    v: Number | None = None
    log_likelihood: Number | None = None
    converged: bool | None = None
    n_iter: int | None = None
    message: str | None = None
    at_bounds: list[str] | None = None
    n_customers: int | None = None
    health: ModelHealth | None = None
    population_mean_spend: Number | None = None
    corr_frequency_monetary: Number | None = None
    reason: str | None = None
    fallback: str | None = None


class ClvModel(Block):
    """The BG/NBD (+ Gamma-Gamma) fit behind churn risk and predicted value, or why there is none."""

    model: str
    fitted: bool
    used: bool | None = None
    """Whether its numbers were used (fitted and healthy)."""
    params: dict[str, Number] | None
    time_unit: str
    horizon_days: Number
    horizon: Number
    discount_rate: Number
    purchase_occasion: str
    health_rule: str | None = None
    gamma_gamma: GammaGamma
    churn_risk: ChurnRisk
    fit: FitDiagnostics | None = None
    health: ModelHealth | None = None
    reason: str | None = None
    fallback: str | None = None


class Tiers(Block):
    basis: str
    shares: dict[str, Number] | None = None
    thresholds: dict[str, Number]
    rule: str
    no_purchase: str | None = None
    returns: str | None = None
    """Where customers whose returns cancel their purchases go (outside the grid)."""
    counts: dict[str, int]


class FeaturesMeta(Block):
    """features.json: how every feature was made (definitions, RFM edges, lifecycle, CLV model, tiers)."""

    transactions: bool
    """False: no transaction file, so no RFM, lifecycle, CLV or tiers."""
    as_of: str | None
    """The reference date every recency and tenure counts to (ISO)."""
    note: str | None = None
    as_of_source: str | None = None
    """'given' (data.as_of) or 'last transaction date'."""
    window: Window | None = None
    customers: CustomerCounts | None = None
    definitions: dict[str, str] | None = None
    """Each derived feature in words."""
    rfm: Rfm | None = None
    lifecycle: Lifecycle | None = None
    clv: ClvModel | None = None
    value_tiers: Tiers | None = None
    risk_tiers: Tiers | None = None
    value_risk_cells: dict[str, int] | None = None


# ================================================================== segmentation.json (segment)

class FeatureImputation(Block):
    """How the model fills a feature's gap, in training and for new customers."""

    numeric: str
    categorical: str
    values: dict[str, Number | str]
    imputed_in_training: dict[str, int]


class SegmentationFeatures(Block):
    """The features a segmentation used and how they were prepared."""

    numeric: list[str]
    categorical: list[str]
    date: list[str] | None = None
    transforms: dict[str, str] | None = None
    log_transformed: list[str] | None = None
    log_rule: str | None = None
    scaling: str | None = None
    imputation: FeatureImputation | None = None
    unseen_categories: str | None = None


class Gamma(Block):
    """k-prototypes' weight of a categorical mismatch against squared numeric distance."""

    value: Number
    source: str
    rule: str | None = None
    rule_text: str | None = None


class KScore(Block):
    """One candidate k of the search."""

    k: int
    cost: Number
    silhouette: Number | None
    stability: Number | None
    smallest_share: Number
    eligible: bool
    gain: Number | None = None
    gain_ratio: Number | None = None
    elbow: bool | None = None
    """Ends a step of the cost curve (or the next k is not distinct)."""
    stable: bool | None = None
    distinct: bool | None = None
    """No two of its segments are better described as one (seglab.segment.kchoice.separation)."""
    merge_gain: Number | None = None
    """Fall in ICL from merging its least distinct pair, per customer of the pair (> 0: better as one)."""
    considered: bool | None = None
    """Read from runs made under the earlier rule, which considered no k beyond the first one that is
    not distinct; no longer written (each k is judged on its own)."""
    passes: bool | None = None
    """Passes every test of the selection rule."""
    score: Number | None = None


class Stability(Block):
    k: int
    mean_ari: Number | None
    runs_ari: list[Number]
    runs: int
    resample_size: int
    method: str


class ClusterQuality(Block):
    silhouette: Number | None
    silhouette_sample: int
    cost: Number
    cost_one_segment: Number
    explained: Number | None


class Merge(Block):
    """A cluster below min_segment_share merged into its nearest cluster."""

    cluster: int
    into: int
    share: Number
    reason: str
    into_segment: int


class SegmentationWarning(Block):
    """What a reader must be told before trusting the segments (seglab.segment.kchoice.segmentation_warnings)."""

    code: Literal["weak_separation", "unstable", "no_clear_k", "collapsed"]
    silhouette: Number | None = None
    stability: Number | None = None
    threshold: Number | None = None
    k: int | None = None
    given: bool | None = None
    """collapsed: the k was given in segmentation.k (not chosen)."""
    asked: int | None = None
    found: int | None = None
    empty: int | None = None
    """collapsed: clusters that no customer is nearest to."""
    merged: int | None = None
    """collapsed: clusters merged for min_segment_share."""


class SegmentSize(Block):
    segment: int
    name: str | None
    n: int
    share: Number


class RuleCount(Block):
    segment: int
    name: str
    when: str
    matched: int
    assigned: int


class Bins(Block):
    """One dimension of a bins segmentation (segmentation.bins)."""

    column: str
    kind: Literal["numeric", "categorical"]
    edges: list[Number] | None = None
    categories: list[str] | None = None
    labels: list[str]
    missing_bin: int | None = None


class Crosstab(Block):
    """Customers per pair of bins of two dimensions."""

    rows: str
    columns: str
    row_labels: list[str]
    column_labels: list[str]
    counts: list[list[int]]


class DefaultSegment(Block):
    segment: int
    name: str
    assigned: int


class OutsideGroup(Block):
    """The group of customers whose returns cancel their purchases, segmented apart."""

    segment: int
    name: str
    customers: int
    share: Number
    by_state: dict[str, int]
    reason: str


class SegmentationReport(Block):
    """segmentation.json: the method, the choice of k with its scores, stability and sizes."""

    method: str
    """rules, bins, rfm, kmeans or kprototypes."""
    engine: str | None = None
    estimator: str | None = None
    features: SegmentationFeatures
    gamma: Gamma | None = None
    k: int
    """Segments with customers."""
    k_fitted: int | None = None
    """Clusters fitted, before small ones were merged."""
    k_requested: int | Literal["auto"] | None = None
    k_range: list[int] | None = None
    k_reason: str
    """Why this k, in words (the method section)."""
    rules: list[RuleCount] | None = None
    default_segment: DefaultSegment | None = None
    bins: list[Bins] | None = None
    crosstab: Crosstab | None = None
    selection_rule: str | None = None
    scores: list[KScore] | None = None
    search_sample: int | None = None
    """Customers the k search ran on, when it ran on a sample."""
    stability: Stability | None = None
    quality: ClusterQuality | None = None
    merges: list[Merge] | None = None
    min_segment_share: Number | None = None
    notes: list[str] | None = None
    sizes: list[SegmentSize]
    smallest_share: Number
    below_min_share: list[int]
    seed: int
    n_customers: int
    seconds: Number
    k_choice: dict[str, Any] | None = None
    """The facts the reason for k is told from (case and numbers), for every language."""
    empty_clusters: int | None = None
    """Fitted clusters that no customer is nearest to (folded away)."""
    warnings: list[SegmentationWarning] | None = None
    """Weak separation, instability, no clear k, fewer segments than asked: said in the summary."""
    method_text: str | None = None
    outside_segmentation: OutsideGroup | None = None
    """Customers kept out of the segmentation as their own group (seglab.segment.outside)."""


# ================================================================== segment_rules.json (segment)

class RuleCondition(Block):
    """One column's condition on a leaf's path (seglab.campaign.rules.Condition)."""

    column: str
    kind: Literal["numeric", "category"]
    missing: bool
    """Whether a missing value meets the condition."""
    low: str | None = None
    """Numeric: low < x (a decimal literal, exactly as written in SQL)."""
    high: str | None = None
    """Numeric: x <= high."""
    equals: str | None = None
    excludes: list[str] | None = None


class RuleLeaf(Block):
    segment: int
    customers: int
    correct: int
    conditions: list[RuleCondition]


class RuleScore(Block):
    """Cross-validated accuracy of one depth and split criterion."""

    depth: int
    criterion: str
    accuracy: Number
    se: Number


class RuleSegment(Block):
    segment: int
    customers: int
    matched: int
    precision: Number | None
    recall: Number | None


class SegmentRulesDoc(Block):
    """segment_rules.json: the portable rules (a shallow decision tree) that reproduce the segments."""

    method: str
    max_depth: int
    depth: int
    cv_folds: int
    criterion: str
    depth_rule: str
    columns: list[str]
    cv: list[RuleScore]
    agreement: Number | None
    """Share of customers the rules put in the model's segment."""
    cv_agreement: Number | None
    """The same, cross-validated: what to expect on new customers."""
    segments: list[RuleSegment]
    notes: list[str]
    leaves: list[RuleLeaf]


# ================================================================== segments.json (personas)

class NumericProfile(Block):
    """A number of the profile: the segment's typical value against the base's (seglab.report.profiles)."""

    feature: str
    statistic: Literal["median", "mean"]
    """Which typical value: the median, or the mean with the extreme 1 % at each end capped."""
    typical: Number | None
    base_typical: Number | None
    index: Number | None
    """typical / base_typical × 100."""
    p25: Number | None
    p75: Number | None
    mean: Number | None
    """The plain mean, for reference."""
    base_mean: Number | None


class CategoryProfile(Block):
    feature: str
    value: str
    count: int
    share: Number
    base_share: Number
    lift: Number
    index: Number
    """lift × 100, as the report shows it."""


class Profile(Block):
    numeric: list[NumericProfile]
    categorical: list[CategoryProfile]


class CellShare(Block):
    cell: str
    name: str
    share: Number | None
    revenue_share: Number | None


class Placement(Block):
    """A segment's cell on the value × risk grid and the strategy that goes with it."""

    cell: str
    value_tier: str | None
    risk_tier: str | None
    name: str
    strategy: str
    priority: int | None
    cell_share: Number | None
    """Share of the segment's customers in the cell."""
    cell_revenue_share: Number | None
    """Share of the segment's revenue in the cell."""
    basis: Literal["most_customers", "top_revenue", "top_value_per_customer"]
    """Why the segment is in this cell (seglab.report.placement)."""
    revenue_per_customer_multiple: Number | None
    majority: bool
    """At least half of the segment's customers are in the cell."""
    spread: list[CellShare]
    """Every cell holding customers of the segment, largest first."""
    value_score: Number | None
    """The cell's place on the grid figure (0 = low … 2 = high); null for prospects."""
    risk_score: Number | None


class Persona(Block):
    who: str
    needs: str
    behaviour: str
    narrative: str
    summary: str


class Trial(Block):
    """How an action is tested: a held-back control group, a metric and a duration."""

    control_share: Number
    control: int
    treatment: int
    metric: Literal["first_purchase", "reactivation", "retention", "revenue", "response"]
    duration_days: int
    """Two of the segment's typical gaps between purchases, 4 to 26 weeks."""
    detectable_uplift: Number | None
    """Smallest response-rate lift the split shows (80 % power, 5 % two-sided)."""


class Opportunity(Block):
    """What a modest success of an action is worth in a year (seglab.report.actions)."""

    value: Number | None
    kind: Literal["retention", "growth", "convert"]
    uplift: Number
    """The assumed improvement: retention points, share more spend, or share of prospects converted."""


class Action(Block):
    """A segment's action, derived from its own data (seglab.report.actions)."""

    objective: str
    """convert, save, win_back, win_back_low_cost, retain, retain_low_cost, reward, upgrade, develop or engage."""
    objective_text: str
    message: str
    offer: str
    channel: str
    channel_column: str | None
    """The channel-like column the channel was read from; null when the data has none."""
    channel_share: Number | None
    channel_base_share: Number | None
    kpi: str
    test: Trial
    opportunity: Opportunity | None
    priority: int | None


class Money(Block):
    """A segment's money, in report.currency (seglab.report.actions.segment_money)."""

    revenue: Number | None
    """Revenue to date."""
    revenue_per_customer: Number | None
    clv_predicted: Number | None
    """Predicted spend over horizon_days, where the lifetime-value model was used."""
    horizon_days: int | None
    yearly_spend: Number | None
    """Spend per year at each customer's past pace, summed."""
    at_risk: Number | None
    """Yearly spend weighted by each customer's churn risk."""
    mean_churn_risk: Number | None
    prospects: int
    base_buyer_yearly: Number | None


class Segment(Block):
    """One segment: size, profile against the base, placement, persona and actions."""

    id: int
    """The segment number in assignments.csv."""
    kind: Literal["segment", "returns"] = "segment"
    """'returns': the group of customers whose returns cancel their purchases, not a segment found in data."""
    net_spend: Number | None = None
    """Of the 'returns' group: its net spend (at or below zero)."""
    name: str
    size: int
    """Customers."""
    share: Number
    """Share of all customers."""
    revenue_share: Number | None
    """Share of revenue (monetary); null without transactions."""
    profile: Profile
    rfm_mix: dict[str, Number] | None
    lifecycle_mix: dict[str, Number] | None
    value_risk: Placement | None
    notes: str | None
    money: Money | None
    """Null without transactions."""
    persona: Persona
    actions: list[Action]


class BaseMean(Block):
    feature: str
    statistic: Literal["median", "mean"]
    typical: Number | None
    mean: Number | None


class Base(Block):
    """The whole customer base the segments are compared with."""

    customers: int
    revenue: Number | None
    """Positive net revenue: each customer's net spend, 0 where returns cancel the purchases."""
    revenue_net: Number | None = None
    """Net revenue of all customers (purchases minus returns)."""
    revenue_rule: str | None = None
    currency: str | None
    """report.currency: what the amounts are in."""
    channel_column: str | None
    """The channel-like column actions read their channel from."""
    as_of: str | None
    language: str
    min_count: int
    min_lift: Number
    numeric: list[BaseMean]


class Segments(Block):
    """segments.json: the base and one entry per segment, in id order."""

    base: Base
    segments: list[Segment]


# ================================================================== targeting/targeting.json (personas)

class AudienceFile(Block):
    segment: int
    name: str
    audience: int
    treatment: int
    control: int
    file: str


class Targeting(Block):
    """targeting/targeting.json: how the audiences and their control groups were made."""

    control_share: Number
    seed: int
    split: str
    customers: int
    treatment: int
    control: int
    value_basis: str
    horizon_days: Number
    expected_response_rate: Number
    """targeting.expected_response_rate, for the plan's detectable uplift."""
    detectable_uplift: str
    """What the plan's detectable_uplift column means."""
    segments: list[AudienceFile]
    files: dict[str, str]


# ================================================================== measure.json (seglab measure)

class MeasuredGroup(Block):
    """Treatment versus control for a segment, or for all segments (seglab.campaign.measure)."""

    treated: int
    control: int
    responders_treated: int
    responders_control: int
    rate_treated: Number | None
    rate_control: Number | None
    rate_uplift: Number | None
    """Response rate of the treated minus the control group's."""
    rate_uplift_low: Number | None
    rate_uplift_high: Number | None
    revenue_treated: Number | None
    """Campaign revenue per treated customer (non-responders at zero)."""
    revenue_control: Number | None
    revenue_uplift: Number | None
    revenue_uplift_low: Number | None
    revenue_uplift_high: Number | None
    incremental_responses: Number | None
    incremental_responses_low: Number | None
    incremental_responses_high: Number | None
    revenue_total_treated: Number | None
    incremental_revenue: Number | None = None
    incremental_revenue_low: Number | None = None
    incremental_revenue_high: Number | None = None
    net_value: Number | None = None
    """Incremental revenue minus the cost per contact times the treated customers."""
    net_value_low: Number | None = None
    net_value_high: Number | None = None
    verdict: Literal["paid_off", "responses_up", "no_effect_shown", "responses_down", "did_not_pay_off",
                     "not_measurable"]
    notes: list[str]


class MeasuredSegment(MeasuredGroup):
    segment: int
    name: str
    action: str | None
    channel: str | None
    kpi: str | None


class CampaignWindow(Block):
    start: str | None
    start_source: str
    """"given", or how the start was chosen when --start was not given."""
    end: str | None


class ResponsesRead(RowAccounting):
    """The campaign results file: how it was read and what happened to each row."""

    path: str
    format: str | None
    columns: dict[str, str | None]
    """The column read for each role (customer_id, responded, revenue, date, group)."""
    customers_with_several_rows: int
    """Customers with more than one response row (their revenue is summed)."""
    responses_only: bool
    """The file had neither a responded nor a revenue column: every listed customer responded."""


class AudienceCounts(Block):
    customers: int
    treatment: int
    control: int
    control_share: Number
    responding_customers: int


class GroupCheck(Block):
    """A group column in the results, compared with the plan's groups."""

    compared: int
    unrecognised: int
    differ: int


class Measurement(Block):
    """measure.json: a campaign's results per segment, treatment versus control (seglab measure)."""

    run: str
    title: str
    client: str
    language: str
    measured_on: str
    campaign: CampaignWindow
    responses: ResponsesRead
    audience: AudienceCounts
    segments: list[MeasuredSegment]
    overall: MeasuredGroup
    basis: Literal["revenue", "response_rate"]
    """What the verdicts are judged on."""
    cost_per_contact: Number
    confidence: Number
    methods: dict[str, str | int | None]
    notes: list[str]
    group_check: GroupCheck | None = None


# ================================================================== manifest.json (the run)

class InputFile(Block):
    """One input of a run, as validated before the run began."""

    role: str
    path: str
    sha256: str | None = None
    rows: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    columns: list[str] | None = None
    personal_data: list[PersonalDataFinding] | None = None
    """Columns whose values look personal but are not declared as such (seglab validate warns)."""


class Host(Block):
    platform: str
    pid: int


class ComputeRecord(Block):
    """How the heavy work ran (``compute:`` in the params): engine, cluster and versions."""

    engine: Literal["local", "dask"]
    scheduler: str | None
    memory_limit: str
    partitions: str | int
    versions: dict[str, str | None]
    """duckdb, dask and distributed in the process that ran the stages."""
    workers: int
    threads: int | None
    scheduler_address: str | None = None
    worker_memory: list[int] | None = None
    """Memory limit of each worker (bytes; distinct values)."""
    worker_versions: dict[str, str | None] | None = None
    """Versions of the packages that decide the numbers, on the workers."""
    version_mismatch: list[str] | None = None
    """Packages whose versions differ between the workers and this process."""


class RunSummary(Block):
    """The few numbers the runs list shows."""

    k: int | None = None
    method: str | None = None
    customers: int | None = None


class ModelRecord(Block):
    """What seglab assign checks before it opens model.joblib (seglab.io.models)."""

    file: str
    sha256: str


class Manifest(Block):
    """manifest.json: a run's status, resolved params, inputs, versions and timings."""

    run_id: str
    run_name: str
    status: Literal["running", "complete", "failed"]
    error: str | None
    """The one-line error of a failed run."""
    started: str
    finished: str | None
    seconds: Number | None
    seed: int
    params: dict[str, Any]
    inputs: list[InputFile]
    versions: dict[str, str | None]
    host: Host
    compute: ComputeRecord | None = None
    """Engine, workers and versions (absent in runs made before the compute block)."""
    stages: dict[str, Number]
    """Seconds per stage."""
    warnings: list[str] | None = None
    """What the run could not do as asked (e.g. the PDF), also in run.log."""
    summary: RunSummary | None = None
    model: ModelRecord | None = None
    """The SHA-256 of model.joblib as the run saved it."""


# ================================================================== compare.json (report)

class CustomersCompared(Block):
    a: int
    b: int
    in_both: int
    only_a: int
    only_b: int


class MeanChange(Block):
    feature: str
    a: Number | None
    b: Number | None


class SegmentMatch(Block):
    """A segment of run A that is the same group as a segment of run B."""

    segment_a: int
    segment_b: int
    name_a: str
    name_b: str
    distance: Number
    size_a: int | None
    share_a: Number | None
    revenue_share_a: Number | None
    size_b: int | None
    share_b: Number | None
    revenue_share_b: Number | None
    size_change: int
    stayed: int
    retention: Number | None
    numeric_means: list[MeanChange]


class UnmatchedSegment(Block):
    segment: int
    name: str
    size: int | None
    share: Number | None


class Flow(Block):
    """Customers of one segment in the other run: how many, and their share of the run-A segment's returning customers."""

    segment: int
    name: str | None = None
    customers: int
    share: Number


class EmergedSegment(UnmatchedSegment):
    """A segment of run B that is no merge, split or continuation of run A's segments."""

    new_customers: Number | None = None
    """Share of its customers who were not customers in run A."""
    sources: list[Flow] = []
    """Segments of run A that gave it at least SPLIT_PART of their returning customers."""


class VanishedSegment(UnmatchedSegment):
    why: Literal["left", "spread"] | None = None
    """left: most of its customers are gone; spread: they went to several segments, no merge or split."""
    still_here: Number | None = None


class MergedSegments(Block):
    """Segments of run A absorbed by one segment of run B (many to one)."""

    segment_b: int
    name_b: str
    survivor: int | None
    """The run-A segment matched to segment_b by profile, if any (listed in sources too)."""
    sources: list[Flow]


class SplitSegment(Block):
    """A segment of run A divided between segments of run B (one to many)."""

    segment_a: int
    name_a: str
    survivor: int | None
    """The run-B segment matched to segment_a by profile, if any (listed in into too)."""
    into: list[Flow]


class ContinuedSegment(Block):
    """A segment of run A whose customers stayed together in a segment of B with a changed profile."""

    segment_a: int
    segment_b: int
    name_a: str
    name_b: str
    customers: int
    share: Number


class Migration(Block):
    """Customers present in both runs: counts and row shares from A's segments (rows) to B's (columns)."""

    rows: list[int]
    columns: list[int]
    counts: list[list[int]]
    shares: list[list[Number]]


class Comparison(Block):
    """compare.json: what changed from run A to run B."""

    run_a: str
    run_b: str
    match_rule: str
    threshold: Number
    customers: CustomersCompared
    transition_rule: str | None = None
    """How merges, splits, emergence and disappearance are read from the migration."""
    matches: list[SegmentMatch]
    merged: list[MergedSegments] = []
    split: list[SplitSegment] = []
    continued: list[ContinuedSegment] = []
    emerged: list[EmergedSegment]
    """Segments of run B that are new: no match, merge, split or continuation of run A's."""
    vanished: list[VanishedSegment]
    """Segments of run A that are gone: no match, merge, split or continuation in run B."""
    migration: Migration
    distances: list[list[Number]]


# ================================================================== the registry

@dataclass(frozen=True)
class Artifact:
    """One file of a run folder.

    Attributes
    ----------
    name : str
        File name in the run folder.
    writer : str
        The one stage that writes it (``run``: the run itself, seglab.pipeline).
    what : str
        What it holds, in a line.
    model : type of Block, optional
        The JSON file's model.
    always : bool
        False for files only some runs have (transactions, a comparison, a PDF).
    """

    name: str
    writer: str
    what: str
    model: type[Block] | None = None
    always: bool = True


ARTIFACTS: dict[str, Artifact] = {a.name: a for a in (
    Artifact("manifest.json", "run", "status, error, resolved params, inputs with sha256, versions, timings",
             Manifest),
    Artifact("params.yaml", "run", "the resolved params"),
    Artifact("run.log", "run", "the log"),
    Artifact("customers_clean.parquet", "clean", "one clean row per customer, personal data pseudonymised"),
    Artifact("transactions_clean.parquet", "clean", "clean transaction lines", always=False),
    Artifact("quality.json", "clean", "row accounting per source and the cleaning record", QualityReport),
    Artifact("quarantine.csv", "clean", "every unused row with its reason"),
    Artifact("id_map.csv", "clean", "merged duplicates and their survivors"),
    Artifact("repairs.csv", "clean", "every value changed, with its rule"),
    Artifact("features.parquet", "features", "one row of features per customer"),
    Artifact("features.json", "features", "how the features were made", FeaturesMeta),
    Artifact("assignments.csv", "segment", "one row per customer: segment and its context columns"),
    Artifact("assignments.parquet", "segment", "the assignments for machines and any size of base: segment "
                                               "number and context columns; segments.json names the segments"),
    Artifact("model.joblib", "segment", "the fitted segmentation model, for seglab assign"),
    Artifact("model.joblib.sig", "segment", "the model's signature with the project key (seglab.io.models)"),
    Artifact("segmentation.json", "segment", "method, k choice with scores, stability, sizes", SegmentationReport),
    Artifact("segment_rules.json", "segment", "portable rules reproducing the segments, with their agreement",
             SegmentRulesDoc),
    Artifact("segments.json", "personas", "profiles, names, personas, placements and actions", Segments),
    Artifact("targeting/audience_segment_*.csv", "personas", "one audience per segment, treatment or control"),
    Artifact("targeting/campaign_plan.csv", "personas", "action, channel, KPI, sizes and value per segment"),
    Artifact("targeting/segment_rules.sql", "personas", "the segment rules as one portable SELECT"),
    Artifact("targeting/targeting.json", "personas", "how the audiences were made, for seglab measure",
             Targeting),
    Artifact("compare.json", "report", "what changed since the run compare_to names", Comparison, always=False),
    Artifact("measure.json", "measure", "a campaign's uplift per segment (seglab measure)", Measurement,
             always=False),
    Artifact("measure.html", "measure", "the measured campaign as a page", always=False),
    Artifact("measure_quarantine.csv", "measure", "campaign result rows set aside, with their reason",
             always=False),
    Artifact("compare.html", "report", "the comparison as a page", always=False),
    Artifact("report.html", "report", "the client report"),
    Artifact("report.pdf", "report", "the client report as PDF (report.pdf: true, Chromium installed)",
             always=False),
    Artifact("segments.xlsx", "report", "segments, personas, actions, the campaign plan and one row per customer, with a data dictionary, for consultants"),
)}

def _key(name: str) -> str:
    return name.rsplit("/", 1)[-1].removesuffix(".json")


#: The JSON artifacts by their schema name (``seglab schema --artifact NAME``).
MODELS: dict[str, type[Block]] = {_key(a.name): a.model for a in ARTIFACTS.values() if a.model}
_BY_KEY = {_key(a.name): a.name for a in ARTIFACTS.values() if a.model}


def artifact_spec(path: str) -> Artifact | None:
    """The registry entry of a file of a run folder (its path relative to the folder)."""
    return ARTIFACTS.get(path) or next((a for a in ARTIFACTS.values() if fnmatch(path, a.name)), None)


def stage_outputs(stage: str, *, always: bool = True) -> tuple[str, ...]:
    """The files ``stage`` writes: those every run has (fixed names), or all with ``always=False``."""
    return tuple(a.name for a in ARTIFACTS.values()
                 if a.writer == stage and (not always or (a.always and "*" not in a.name)))


def artifact_schema(name: str) -> dict:
    """The JSON Schema of a JSON artifact (``quality``, ``features``… or the file name)."""
    key = _key(name)
    if key not in MODELS:
        raise DataError(f"--artifact: no artifact named {name!r}{did_you_mean(key, MODELS)} "
                        f"(one of {', '.join(MODELS)}; 'list' describes them)")
    schema = MODELS[key].model_json_schema()
    schema["$id"] = f"seglab:{_BY_KEY[key]}"
    schema["title"] = _BY_KEY[key]
    return schema


class ArtifactContractError(RuntimeError):
    """A stage produced an artifact that does not match its model: a bug in seglab."""


def _model(name: str) -> type[Block]:
    spec = ARTIFACTS.get(name)
    if spec is None or spec.model is None:
        raise KeyError(f"{name} is not a JSON artifact of seglab.artifacts")
    return spec.model


def validate_artifact(name: str, data) -> Block:
    """``data`` (a dict or a model) as the artifact's model; ArtifactContractError if it does not fit."""
    model = _model(name)
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(json_ready(data))
    except ValidationError as exc:
        raise ArtifactContractError(
            f"{name} does not match its model seglab.artifacts.{model.__name__} at {_first_error(exc)}; "
            "a new field is one line in the model (docs/architecture.md §4)") from None


def write_artifact(run_dir, name: str, data) -> Block:
    """Check ``data`` against the artifact's model and write it atomically into ``run_dir``."""
    doc = validate_artifact(name, data)
    path = Path(run_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, dump_artifact(doc))
    return doc


def dump_artifact(doc: Block) -> dict:
    """The artifact as JSON-ready data: only the fields that were given, in model order."""
    return doc.model_dump(mode="json", exclude_unset=True)


def read_artifact(run_dir, name: str) -> Block:
    """A JSON artifact of a run folder as its model.

    Raises
    ------
    DataError
        The file is missing, not JSON, or not in this seglab version's format
        (a run folder made by another version, or edited by hand).
    """
    path = Path(run_dir) / name
    model = _model(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path.parent}: {name} is missing; not a complete seglab run folder") from None
    except ValueError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); re-run the run") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DataError(f"{path}: not in the format of this seglab version ({_first_error(exc)}); "
                        "re-run it with this version") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f"; {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


# ================================================================== reading a run

def read_assignments(run_dir) -> pd.DataFrame:
    """assignments.csv with identifiers and names kept as text."""
    return read_csv(Path(run_dir) / "assignments.csv", dtype={"customer_id": str, "segment_name": str})


class RunArtifacts:
    """The artifacts of one run folder as typed objects, each read once when first used.

    >>> run = RunArtifacts("reports/demo/20260101-120000")  # doctest: +SKIP
    >>> run.segmentation.k, run.segments.segments[0].name     # doctest: +SKIP
    """

    def __init__(self, run_dir):
        self.path = Path(run_dir)

    def exists(self, name: str) -> bool:
        return (self.path / name).is_file()

    @cached_property
    def manifest(self) -> Manifest:
        return read_artifact(self.path, "manifest.json")

    @cached_property
    def quality(self) -> QualityReport:
        return read_artifact(self.path, "quality.json")

    @cached_property
    def features_meta(self) -> FeaturesMeta:
        return read_artifact(self.path, "features.json")

    @cached_property
    def segmentation(self) -> SegmentationReport:
        return read_artifact(self.path, "segmentation.json")

    @cached_property
    def segments(self) -> Segments:
        return read_artifact(self.path, "segments.json")

    @cached_property
    def comparison(self) -> Comparison | None:
        """compare.json, or None when the run did not compare itself with another."""
        return read_artifact(self.path, "compare.json") if self.exists("compare.json") else None

    @cached_property
    def features(self) -> pd.DataFrame:
        """features.parquet, with customer ids as text."""
        table = pd.read_parquet(self.path / "features.parquet")
        table["customer_id"] = table["customer_id"].astype(str)
        return table

    @cached_property
    def assignments(self) -> pd.DataFrame:
        return read_assignments(self.path)
