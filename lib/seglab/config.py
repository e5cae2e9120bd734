"""The params of one run: schema, loading, overrides and clear errors.

A run is described by one YAML file (docs/architecture.md §3). This module turns it into a
validated, typed :class:`RunConfig` so that no stage ever meets a typo or a
wrong type: papermill itself would silently run a misspelt parameter with its
default.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from seglab import i18n
from seglab.conditions import parse_condition
from seglab.errors import ParamsError, did_you_mean

#: Environment variable naming the default reports root (see :meth:`RunConfig.reports_root`).
REPORTS_ENV = "SEGLAB_REPORTS"

# Who a run's segments are made of: the noun of names and text (report.audience).
AUDIENCES = ("customers", "clients", "accounts", "companies", "learners", "subscribers", "members", "guests",
             "users")
SECTIONS = ("summary", "objectives", "quality", "segments", "portfolio", "personas", "value_risk", "case_study",
            "actions", "targeting", "changes", "method", "glossary")
#: The case studies whose own analyses a report can hold (seglab.report.casesections.CASE_STUDIES).
CASE_STUDIES = ("b2b_software", "footwear", "online_education", "retail_chain", "subscription")


class _Strict(BaseModel):
    """Base model: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SqlSource(_Strict):
    """Rows read by a SQL query through SQLAlchemy."""

    sql: str = Field(description="The query; its result is the table.")
    url: str = Field("sqlite:///data.db", description="SQLAlchemy URL; sqlite paths are relative to the params file.")


class FileSource(_Strict):
    """A file with reading options that auto-detection cannot always guess."""

    path: Path = Field(description="The file; relative paths start at the params file's folder.")
    sheet: Union[str, int] = Field(0, description="Excel sheet name or 0-based index.")
    header_row: int | None = Field(None, ge=0, description="0-based row of the header (Excel title blocks); auto when null.")
    delimiter: str | None = Field(None, description="Column delimiter; sniffed when null.")
    encoding: str | None = Field(None, description="Overrides data.encoding for this file.")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v):
        return None if v is None else check_encoding_name(v)


Source = Union[Path, FileSource, SqlSource]


class DataConfig(_Strict):
    """The inputs of a run."""

    customers: Source | None = Field(None, description="Customer table (file path, {path: ...} or {sql, url}).")
    transactions: Source | None = Field(None, description="Transaction lines; enables RFM, lifecycle, value and risk.")
    encoding: str = Field("auto", description="auto detects utf-8, utf-8-sig, gb18030, utf-16.")
    as_of: date | None = Field(None, description="Reference date for recency and tenure; default: last transaction date.")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v):
        return check_encoding_name(v)

    @model_validator(mode="after")
    def _need_one(self) -> "DataConfig":
        if self.customers is None and self.transactions is None:
            raise ValueError("give data.customers, data.transactions or both")
        return self


class TransactionColumns(_Strict):
    """Which columns of the transactions file hold what (one row per purchase line)."""

    customer_id: str = Field("customer_id", description="Column naming the customer of each line (matches the customers' id).")
    date: str = Field("order_date", description="Column with the purchase date; its format is inferred or set in cleaning.date_formats.")
    amount: str | None = Field("amount", description="Line amount; or give quantity and unit_price.")
    order_id: str | None = Field(None, description="Groups lines into orders; a leading 'C' marks a cancellation.")
    quantity: str | None = Field(None, description="Units bought; with unit_price it gives the amount when amount is null. Negative: a return.")
    unit_price: str | None = Field(None, description="Price per unit; with quantity it gives the amount when amount is null.")


class ColumnsConfig(_Strict):
    """What the columns of the input files are: only declared columns are used."""

    customer_id: str | None = Field("customer_id", description="Customer id column; null numbers the rows (1, 2, ...) for files without one.")
    pii: list[str] = Field(default_factory=list, description="Personal data: used for de-duplication, never reported.")
    numeric: list[str] = Field(default_factory=list, description="Customer columns holding numbers (age, income); written as exports write them (¥1,234.50, 1.234,50 €).")
    categorical: list[str] = Field(default_factory=list, description="Customer columns holding categories (gender, city, channel); compared in lower case after cleaning.categories.")
    dates: list[str] = Field(default_factory=list, description="Customer columns holding dates (signup date); formats are inferred per column or set in cleaning.date_formats.")
    birth_date: str | None = Field(None, description="Column of birth dates from which `age` is derived.")
    transactions: TransactionColumns = Field(default_factory=TransactionColumns, description="Columns of the transactions file.")
    value_labels: Union[Path, dict[str, dict[str, dict[str, str]]]] = Field(
        default_factory=dict,
        description="How category values read in the report, per language: {zh: {city: {Shanghai: 上海}}}; or the "
                    "path of a YAML file of that form, e.g. beside the data. Values without a label show as written.")

    labels: dict[str, Union[str, dict[str, str]]] = Field(
        default_factory=dict,
        description="How columns are named in the report: {\"Annual Income (k$)\": annual income} for every language, "
                    "or per language {zh: {\"Annual Income (k$)\": 年收入}}. Unlabelled columns read as their header "
                    "in words (\"MntWines\" → spend on wines).")

    def value_labels_in(self, language: str) -> dict[str, dict[str, str]]:
        """``{column: {value: label}}`` for one report language (loaded by :func:`config_from_dict`)."""
        return self.value_labels.get(language, {}) if isinstance(self.value_labels, dict) else {}

    def column_labels(self, language: str) -> dict[str, str]:
        """``{column: label}`` for one report language: the labels for every language, then the language's own."""
        flat = {c: v for c, v in self.labels.items() if isinstance(v, str)}
        own = self.labels.get(language)
        return {**flat, **(own if isinstance(own, dict) else {})}

    @model_validator(mode="after")
    def _labels_by_language(self):
        for key, value in self.labels.items():
            if isinstance(value, dict) and key not in i18n.LANGUAGES:
                raise ValueError(f"labels: {key!r} maps to a table, so it must be a report language "
                                 f"({', '.join(i18n.LANGUAGES)}); write column: label, or language: {{column: label}}")
        return self


MissingStrategy = Literal["median", "mean", "mode", "constant", "zero", "quarantine", "keep"]


class ColumnMissing(_Strict):
    """How one column's missing values are handled."""

    strategy: MissingStrategy = Field(description="median, mean, mode, constant (give value), quarantine (set the row aside) or keep (leave it missing).")
    value: Any = Field(None, description="The value filled in by strategy 'constant'.")


class MissingConfig(_Strict):
    """How missing values are handled, by kind of column; every filled value is counted in quality.json."""

    numeric: MissingStrategy = Field("median", description="For numeric columns: median, mean, mode, zero (a blank means none), constant, quarantine or keep.")
    categorical: MissingStrategy = Field("mode", description="For categorical columns: mode (most common), constant, quarantine or keep.")
    dates: MissingStrategy = Field("keep", description="For date columns: keep (leave missing), quarantine, mode, median or constant.")
    columns: dict[str, Union[MissingStrategy, ColumnMissing]] = Field(default_factory=dict, description="Per column, overriding its kind's strategy: a strategy name or {strategy, value}.")


PlausibilityPolicy = Literal["flag", "cap", "quarantine", "ignore"]


class PlausibilityConfig(_Strict):
    """What happens to implausible values found without cleaning.ranges (seglab.clean.plausibility)."""

    default: PlausibilityPolicy = Field(
        "flag", description="flag: report outliers and use them capped at the column's outlier fence, treat "
                            "impossible values (an age of 150, a placeholder date) as missing; cap: also cap "
                            "impossible numbers at the plausible range instead; quarantine: set the record or "
                            "line aside; ignore: no check (magnitudes of 1e15 or more are still never used).")
    columns: dict[str, PlausibilityPolicy] = Field(
        default_factory=dict, description="Per numeric or date column (transaction amount and date included): its own policy.")


def _date_format(fmt: str) -> str:
    problem = date_format_problem(fmt)
    if problem:
        raise ValueError(problem)
    return fmt


DateFormat = Annotated[str, AfterValidator(_date_format)]


class CleaningConfig(_Strict):
    """Stage 01: how values are repaired, duplicates merged and unusable rows set aside."""

    dedupe_on: list[str] = Field(default_factory=list, description="Records equal on all these keys after normalisation (emails, phones) are one customer.")
    fuzzy_names: bool = Field(False, description="Also merge records with near-identical names within a key block (records sharing one key).")
    fuzzy_threshold: float = Field(92.0, ge=0, le=100, description="Name similarity (0-100, rapidfuzz token sort ratio) at or above which fuzzy_names merges two records.")
    name_column: str | None = Field(None, description="Names compared by fuzzy_names; default: the first pii column called *name*.")
    dedupe_max_block: int = Field(10, ge=2, description="A key value shared by more records is a placeholder (e.g. 000000), not a person.")
    phone_country_code: str | None = Field(None, description="Country code of phones written without +/00; inferred from the column when null.")
    cancel_prefix: str = Field("C", min_length=1, description="Order ids starting with this mark cancellations (returns).")
    required: list[str] = Field(default_factory=list, description="Rows missing any of these are quarantined.")
    ranges: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict, description="Per numeric column [low, high] (null: open): values outside are invalid and handled as missing, e.g. {age: [16, 100]}.")
    categories: dict[str, dict[str, str]] = Field(default_factory=dict, description="Per column: raw value -> canonical value.")
    date_formats: dict[str, DateFormat] = Field(default_factory=dict, description="Per column strftime format; inferred when absent.")
    missing_tokens: list[str] = Field(default_factory=lambda: ["", "unknown", "n/a", "na", "-", "null", "none", "nan", "未知"], description="Values that mean 'missing' (compared trimmed and in lower case).")
    missing: MissingConfig = Field(default_factory=MissingConfig, description="How missing values are filled or set aside.")
    plausibility: PlausibilityConfig = Field(default_factory=PlausibilityConfig, description="What happens to implausible values (outliers, impossible ages, placeholder dates).")
    zero_amount: Literal["purchase", "quarantine"] = Field(
        "purchase", description="A transaction line with amount 0 (free sample, 100 % voucher): 'purchase' counts "
                                "it as a purchase occasion for recency and frequency; 'quarantine' sets it aside.")



class LifecycleConfig(_Strict):
    """Lifecycle stages by days since the first and the last purchase."""

    new_days: int | None = Field(None, gt=0, description="First purchase within this many days: new.")
    active_days: int | None = Field(None, gt=0, description="Last purchase within this many days: active.")
    churned_days: int | None = Field(None, gt=0, description="No purchase for this many days: churned.")

    @model_validator(mode="after")
    def _ordered(self) -> "LifecycleConfig":
        """The stages must nest: new <= active < churned (for the thresholds given)."""
        new, active, churned = self.new_days, self.active_days, self.churned_days
        if (new and active and new > active) or (active and churned and active >= churned) or (
                new and churned and new >= churned):
            raise ValueError(f"need new_days <= active_days < churned_days, got new_days={new}, "
                             f"active_days={active}, churned_days={churned}")
        return self


class FeaturesConfig(_Strict):
    """Stage 02: how the customer features are made from the transactions."""

    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig, description="Day thresholds of the lifecycle stages (new, active, dormant, churned); inferred from the data when null.")
    clv_horizon_days: int = Field(365, gt=0, description="Days ahead over which predicted lifetime value (BG/NBD + Gamma-Gamma) is summed.")
    value_tiers: tuple[float, float] | None = Field(None, description="Shares of customers in (high, mid) tiers; default (0.2, 0.3).")
    risk_tiers: tuple[float, float] | None = Field(None, description="Churn-risk cut points (low|medium, medium|high).")
    rfm_map: Union[Literal["standard", "eight_class"], list[dict[str, Any]], None] = Field(
        None, description="The named RFM map: 'standard' (Champions … Hibernating, the default), 'eight_class' (the "
                          "eight-class model common in China: 重要价值客户 … 一般挽留客户, R, F and M each high at a "
                          "score of 3 or more), or your own rules [{name, r, f, m}, ...].")


class RuleSegment(_Strict):
    """One named segment of method 'rules': customers meeting its condition (first match wins)."""

    name: str = Field(description="The segment's name, as the report shows it.")
    when: str = Field(description="Condition over columns, e.g. \"age < 27 and interest == 'running'\".")


class BinsSpec(_Strict):
    """One binned dimension of method 'rules': a column cut into ranges."""

    column: str = Field(description="The numeric column (or feature, e.g. monetary) to cut.")
    edges: list[float] | None = Field(None, description="Increasing cut points; null: quartiles of the data.")
    labels: list[str] | None = Field(None, description="One name per bin (edges minus one); default: the ranges.")


class SegmentationConfig(_Strict):
    """Stage 03: how customers are put into segments."""

    method: Literal["rules", "rfm", "kmeans", "kprototypes"] = Field(
        "kprototypes", description="rules: the analyst's conditions or bins; rfm: the named RFM map; kmeans: clusters "
        "of numeric features; kprototypes: clusters of numeric and categorical features together.")
    features: list[str] = Field(default_factory=list, description="Columns the model uses; default: numeric + categorical + RFM.")
    k: Union[Literal["auto"], int] = Field(
        "auto", description="Number of segments for kmeans/kprototypes: an integer >= 2, or auto to choose it in "
        "k_range by stability and the elbow of the cost curve.")
    k_range: tuple[int, int] = Field((2, 8), description="[low, high]: the numbers of segments k: auto tries.")
    min_segment_share: float = Field(0.05, ge=0, lt=1, description="Smallest share of customers a segment may hold; "
                                     "smaller clusters are merged into their nearest, and k: auto avoids k that makes them.")
    engine: Literal["seglab", "kmodes"] = Field("seglab", description="k-prototypes implementation: seglab (vectorised, default) or kmodes (the reference, slow beyond a few thousand customers).")
    gamma: float | None = Field(None, gt=0, description="Numeric vs categorical weight; estimated when null.")
    n_init: int = Field(4, ge=1, description="Starts of each clustering; the best (lowest cost) is kept.")
    stability_runs: int = Field(5, ge=0, description="Bootstrap refits used to measure stability per k.")
    silhouette_sample: int = Field(3000, ge=100, description="Customers (a seeded sample) on which the silhouette of each k is measured.")
    rules: list[RuleSegment] = Field(default_factory=list, description="For method 'rules': named conditions, tried in order; the first that holds gives the segment.")
    default_segment: str = Field("Other", description="For method 'rules': the segment of customers no rule matches.")
    bins: list[BinsSpec] = Field(default_factory=list, description="One or two binned dimensions (cross-tab).")
    gamma_rule: Literal["variance_ratio", "huang"] = Field(
        "variance_ratio", description="How gamma is estimated when null: clustMixType's variance ratio or Huang's rule.")
    log_transform: Union[Literal["auto"], list[str]] = Field(
        "auto", description="Numeric features to log-transform (sign kept); auto: those with skewness > 1 (money columns).")
    stability_sample: int = Field(5000, ge=100, description="Size of each bootstrap resample used to measure stability.")

    @field_validator("k")
    @classmethod
    def _k_at_least_two(cls, v):
        if isinstance(v, int) and v < 2:
            raise ValueError(f"must be 'auto' or an integer >= 2, got {v}")
        return v

    @field_validator("k_range")
    @classmethod
    def _k_range_ordered(cls, v):
        lo, hi = v
        if lo < 2 or hi < lo:
            raise ValueError(f"must be [low, high] with 2 <= low <= high, got {list(v)}")
        return v

    @model_validator(mode="after")
    def _rules_are_safe(self) -> "SegmentationConfig":
        # Conditions are parsed (never eval'd) by seglab.rules; unsafe ones fail at load time.
        if not (self.rules or self.bins):
            return self
        try:
            check_rule_params(self, method=False)
        except ParamsError as exc:
            raise ValueError(str(exc)) from None
        return self


class PersonasConfig(_Strict):
    """Stage 04: how segments are named and described."""

    names: dict[int, str] = Field(default_factory=dict, description="Segment id -> name chosen by the analyst.")
    notes: dict[int, str] = Field(default_factory=dict, description="Segment id -> analyst's note shown on its card.")
    min_count: int = Field(30, ge=1, description="Smallest category count read as a trait.")
    min_lift: float = Field(1.2, gt=1, description="Smallest lift (segment share / base share) listed as over-represented.")


class TargetingConfig(_Strict):
    """The hand-over to a campaign team: audiences with control groups (targeting/ in the run folder)."""

    control_share: float = Field(0.1, ge=0, le=0.5, description=(
        "Share of each segment held back from the campaign as a control group, so that "
        "`seglab measure` can tell what the campaign added; 0 holds nobody back (nothing can be measured)."))
    expected_response_rate: float = Field(0.05, gt=0, lt=1, description=(
        "Response rate expected without the campaign; only used to say in the plan how small an uplift "
        "each segment's split can detect."))


class PrivacyConfig(_Strict):
    """What happens to personal data that reaches an output (docs/architecture.md §3)."""

    pseudonymise_ids: bool = Field(False, description="Replace customer ids by keyed hashes in every output "
                                   "(customers, transactions, assignments, seglab assign), e.g. when the id is an "
                                   "e-mail address or a name.")
    undeclared: Literal["warn", "hash", "error"] = Field(
        "warn", description="Values that look like e-mails, phone numbers, Chinese resident ID or bank card numbers "
        "in a column not declared under columns.pii: warn (keep them, say so in the log and quality.json), "
        "hash (pseudonymise that column) or error (stop before the run).")


# An ISO 4217 code (EUR), a symbol (€, R$) or a letter-and-symbol form (US$, HK$).
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|[^\sA-Za-z0-9]{1,3}|[A-Za-z]{1,2}[^\sA-Za-z0-9]{1,2})$")


class ReportConfig(_Strict):
    """Stage 05: what the client report holds."""

    sections: list[Literal[SECTIONS]] = Field(default_factory=lambda: [s for s in SECTIONS if s != "changes"], description="The report's sections, in order; 'changes' is added when compare_to is set.")  # type: ignore[valid-type]
    objectives: Union[str, dict[str, str], None] = Field(None, description="The segmentation objective in SMART form; or one per language: "
                                                     "{en: ..., zh: ...}.")
    audience: Literal[AUDIENCES] = Field(  # type: ignore[valid-type]
        "customers", description="Who the segments are made of, the noun of names and text: "
                                 + ", ".join(AUDIENCES) + ".")
    currency: str | None = Field(None, description=(
        "Currency of the amounts in the data: an ISO code (EUR, USD, CNY) or a symbol (€, $, ¥); amounts "
        "in the report are written with it. Without it they are plain numbers and the report says so."))
    pdf: bool = Field(True, description="Also print report.pdf when Chromium is installed.")
    case_study: Union[Literal[CASE_STUDIES], None] = Field(None, description=(  # type: ignore[valid-type]
        "A case study whose own analyses (completion, seasonality, retention, win-back ...) the report "
        "adds as the 'case_study' section; null: none."))

    @field_validator("currency")
    @classmethod
    def _currency(cls, value):
        if value is None:
            return value
        text = str(value).strip()
        if not _CURRENCY.match(text):
            raise ValueError(f"write an ISO currency code such as EUR, USD or CNY, or a symbol such as €, $ or ¥; got {value!r}")
        return text


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text: str) -> int:
    """Bytes of a size such as ``'2GB'`` or ``'512 MiB'`` (a ParamsError-ready ValueError otherwise)."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"must be 'auto' or a size such as '2GB' or '512MB', got {text!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


class ComputeConfig(_Strict):
    """Where the run's heavy work happens (seglab.compute): this machine, out of core, or a Dask cluster."""

    engine: Literal["local", "dask"] = Field(
        "local", description="local: DuckDB and NumPy on this machine, out of core under memory_limit; "
                             "dask: the same per-customer work as tasks on a Dask cluster (see scheduler).")
    scheduler: str | None = Field(
        None, description="engine dask only. null: a local cluster of one worker process per core; 'local:N': a "
                          "local cluster of N worker processes; 'tcp://host:8786' (or tls://): join a running "
                          "cluster (dask-kubernetes, dask-jobqueue, `dask scheduler`; see the README).")
    memory_limit: str = Field(
        "auto", description="Memory for the aggregation: DuckDB spills to disk beyond it (engine local), the "
                            "limit of each local worker (engine dask, local:N); 'auto' = 2GB, or e.g. '4GB'.")
    partitions: Union[Literal["auto"], int] = Field(
        "auto", description="Customer hash buckets the work is split into; 'auto' sizes them from the data "
                            "(about 2 million lines each, at least two per worker).")

    @field_validator("scheduler")
    @classmethod
    def _scheduler_form(cls, v):
        if v is None:
            return v
        v = v.strip()
        if re.fullmatch(r"local:\d+", v):
            if int(v.split(":")[1]) < 1:
                raise ValueError(f"local:N needs at least one worker, got {v!r}")
            return v
        if re.fullmatch(r"(tcp|tls)://[^\s/]+:\d+/?", v):
            return v.rstrip("/")
        raise ValueError(f"must be null, 'local:N' (N worker processes here) or a scheduler address "
                         f"'tcp://host:8786', got {v!r}")

    @field_validator("memory_limit")
    @classmethod
    def _memory_form(cls, v):
        if v.strip().lower() == "auto":
            return "auto"
        if parse_size(v) < 64 * 2**20:
            raise ValueError(f"needs at least 64MB, got {v!r}")
        return v.strip()

    @field_validator("partitions")
    @classmethod
    def _partitions_form(cls, v):
        if isinstance(v, int) and not 1 <= v <= 65536:
            raise ValueError(f"must be 'auto' or a whole number from 1 to 65536, got {v}")
        return v

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> "ComputeConfig":
        if self.scheduler is not None and self.engine != "dask":
            raise ValueError(f"compute.scheduler {self.scheduler!r} is for engine 'dask' (got engine "
                             f"{self.engine!r}); set compute.engine: dask or remove the scheduler")
        return self


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _in_language(value, language: str, key: str):
    """A text given per language (``{en: ..., zh: ...}``) as the one for ``language`` (else English, else the first)."""
    if not isinstance(value, dict):
        return value
    unknown = [k for k in value if k not in i18n.LANGUAGES]
    if unknown or not value:
        raise ValueError(f"{key}: give the text, or one text per report language ({', '.join(i18n.LANGUAGES)}); "
                         f"{unknown[0]!r} is not one" if unknown else f"{key}: the table of texts is empty")
    text = value.get(language, value.get("en", next(iter(value.values()))))
    return None if text is None else str(text)


class RunConfig(_Strict):
    """One segmentation run, as written in ``params/<run>.yaml``."""

    run_name: str = Field(description="Names the folder under reports/: lower-case letters, digits, _ and -.")
    # Given per language, these hold the report language's text after validation (_texts_in_the_report_language).
    title: Union[str, dict[str, str]] = Field("Customer segmentation", description="The report's title; or one per language: {en: ..., zh: ...}.")
    client: Union[str, dict[str, str]] = Field("", description="Who the report is for, shown under the title; or one per language: {en: ..., zh: ...}.")
    language: Literal[i18n.LANGUAGES] = Field("en", description="Language of the report and its figures: en (English) or zh (Chinese).")
    seed: int = Field(42, description="Seeds everything random: the same params, data and seed give the same segments.")
    output_dir: Path | None = Field(None, description="Root of run folders; default: $SEGLAB_REPORTS when set, else reports/ beside params/.")
    compare_to: str | None = Field(None, description="'previous' or a run folder to compare with.")
    data: DataConfig = Field(description="The input files (or SQL queries): customers, transactions or both.")
    columns: ColumnsConfig = Field(default_factory=ColumnsConfig, description="What the input columns are.")
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig, description="Stage 01: repairs, duplicates, missing values, plausibility.")
    features: FeaturesConfig = Field(default_factory=FeaturesConfig, description="Stage 02: RFM, lifecycle, lifetime value, tiers.")
    segmentation: SegmentationConfig = Field(default_factory=SegmentationConfig, description="Stage 03: the method, its features and k.")
    personas: PersonasConfig = Field(default_factory=PersonasConfig, description="Stage 04: segment names and notes.")
    targeting: TargetingConfig = Field(default_factory=TargetingConfig, description="Audiences with control groups for the campaign team.")
    report: ReportConfig = Field(default_factory=ReportConfig, description="Stage 05: the report's sections and objective.")
    compute: ComputeConfig = Field(default_factory=ComputeConfig, description="Where the features are aggregated: locally (DuckDB) or on a Dask cluster.")
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig, description="Personal data: pseudonymised ids and what happens to undeclared e-mails, phones, ID and card numbers.")

    @model_validator(mode="before")
    @classmethod
    def _ids_listed_as_personal_data(cls, raw):
        """An id column under columns.pii means: pseudonymise the ids (they are hashed as
        ids, consistently in every file, not as a personal column that is dropped)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
            return raw
        columns = raw["columns"]
        pii = columns.get("pii")
        if not isinstance(pii, list):
            return raw
        tx = columns.get("transactions") if isinstance(columns.get("transactions"), dict) else {}
        ids = {columns.get("customer_id", "customer_id"), tx.get("customer_id", "customer_id")} - {None}
        if not ids & set(pii):
            return raw
        privacy = raw.get("privacy") if isinstance(raw.get("privacy"), dict) else {}
        return {**raw, "columns": {**columns, "pii": [c for c in pii if c not in ids]},
                "privacy": {**privacy, "pseudonymise_ids": True}}

    @model_validator(mode="before")
    @classmethod
    def _texts_in_the_report_language(cls, raw):
        """``title``, ``client`` and ``report.objectives`` may be given per language
        (``{en: ..., zh: ...}``): the run keeps the report language's text, or the English
        one when there is none (:func:`untranslated` then names it)."""
        if not isinstance(raw, dict):
            return raw
        language = raw.get("language", "en")
        raw = dict(raw)
        for key in ("title", "client"):
            if key in raw:
                raw[key] = _in_language(raw[key], language, key)
        if isinstance(raw.get("report"), dict) and "objectives" in raw["report"]:
            raw["report"] = {**raw["report"],
                             "objectives": _in_language(raw["report"].get("objectives"), language, "report.objectives")}
        return raw

    def untranslated(self) -> list[str]:
        """The params' texts a reader of a Chinese report would read in another script (title, client,
        objectives written in English only): the report says so."""
        if self.language != "zh":
            return []
        texts = {"title": self.title, "client": self.client, "report.objectives": self.report.objectives}
        return [key for key, text in texts.items() if text and not _CJK.search(text)]

    @model_validator(mode="after")
    def _cleaning_names_declared_columns(self) -> "RunConfig":
        try:
            check_cleaning_keys(self, undeclared=False)
        except ParamsError as exc:
            raise ValueError(str(exc)) from None
        return self

    @field_validator("run_name")
    @classmethod
    def _folder_name(cls, v):
        if not re.fullmatch(r"[a-z0-9_-]+", v):
            raise ValueError(f"must use only a-z, 0-9, _ and - (it names a folder), got {v!r}")
        if v.startswith("_"):  # reports/_scratch and the like are seglab's own folders, never listed as runs
            raise ValueError(f"must not start with '_' (folders starting with _ are seglab's own), got {v!r}")
        return v

    # Set by load_config, not by the YAML: where relative paths were resolved from.
    source_path: Path | None = Field(None, exclude=True, description="internal")

    def reports_root(self) -> Path:
        """Folder that holds every run folder of every run name.

        ``output_dir`` when the params give one, else ``$SEGLAB_REPORTS`` when set (one place
        for the runs of a server or of a test session), else ``reports/`` beside ``params/``.
        """
        if self.output_dir is not None:
            return self.output_dir
        if os.environ.get(REPORTS_ENV):
            return Path(os.environ[REPORTS_ENV]).expanduser().resolve()
        base = self.source_path.parent if self.source_path else Path.cwd()
        return base.parent / "reports" if base.name == "params" else base / "reports"

    def input_paths(self) -> dict[str, Path]:
        """The input files of this run by role (SQL sources have none)."""
        out = {}
        for role in ("customers", "transactions"):
            src = getattr(self.data, role)
            if isinstance(src, Path):
                out[role] = src
            elif isinstance(src, FileSource):
                out[role] = src.path
        return out

    def to_yaml(self) -> str:
        """The resolved params, as written into the run folder."""
        return yaml.safe_dump(json.loads(self.model_dump_json(exclude={"source_path"})), sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------- loading

def load_config(path, overrides=()) -> RunConfig:
    """Read, override and validate a params file.

    Parameters
    ----------
    path : path-like
        The YAML params file; relative paths in it resolve against its folder.
    overrides : iterable of str
        ``key.path=value`` strings (values parsed as YAML), applied before validation.
    """
    path = Path(path)
    if not path.exists():
        raise ParamsError(f"{path}: params file not found; give the path of a YAML file such as params/demo.yaml")
    if path.is_dir():
        raise ParamsError(f"{path}: is a folder; give the path of a params YAML file in it (seglab run takes folders)")
    if not path.is_file():  # a FIFO or a device would block or never end
        raise ParamsError(f"{path}: is not a regular file (a pipe or a device?); save the params as a YAML file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParamsError(f"{path}: params file cannot be read ({exc.strerror or type(exc).__name__}); "
                          "check its permissions") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ParamsError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None
    except UnicodeDecodeError:
        raise ParamsError(f"{path}: params file is not UTF-8 text; save it as UTF-8") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: params must be a mapping of keys (run_name:, data:, ...), got {type(raw).__name__}")
    for item in overrides:
        _apply_override(raw, item, path)
    return config_from_dict(raw, base_dir=path.parent, source=path)


def config_from_dict(raw: dict, *, base_dir: Path, source: Path | None = None) -> RunConfig:
    """Validate a params mapping; relative paths resolve against ``base_dir``."""
    where = str(source) if source else "params"
    try:
        cfg = RunConfig.model_validate(raw)
    except ValidationError as exc:
        # In a union the deepest error is the one about what the user wrote.
        err = max(exc.errors(), key=lambda e: len(e["loc"]))
        raise ParamsError(f"{where}: {_describe(err, raw)}") from None
    cfg.source_path = source.resolve() if source else None
    _resolve_paths(cfg, base_dir.resolve())
    _load_value_labels(cfg, where)
    return cfg


def _resolve_paths(cfg: RunConfig, base: Path) -> None:
    def fix(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    for role in ("customers", "transactions"):
        src = getattr(cfg.data, role)
        if isinstance(src, Path):
            setattr(cfg.data, role, fix(src))
        elif isinstance(src, FileSource):
            src.path = fix(src.path)
        elif isinstance(src, SqlSource) and src.url.startswith("sqlite:///") and not src.url.startswith("sqlite:////"):
            rel = src.url[len("sqlite:///"):]
            if rel and rel != ":memory:":
                src.url = "sqlite:///" + str(fix(Path(rel)))
    if cfg.output_dir is not None:
        cfg.output_dir = fix(cfg.output_dir)
    if isinstance(cfg.columns.value_labels, Path):
        cfg.columns.value_labels = fix(cfg.columns.value_labels)


def _load_value_labels(cfg: RunConfig, where: str) -> None:
    """The labels of ``columns.value_labels``, read from their file when a path names one."""
    labels = cfg.columns.value_labels
    if isinstance(labels, Path):
        cfg.columns.value_labels = _read_value_labels(labels, f"{where}: columns.value_labels: {labels}")
    else:
        _check_value_labels(labels, f"{where}: columns.value_labels")


def _read_value_labels(path: Path, where: str) -> dict:
    """A value-labels file: YAML ``{language: {column: {value: label}}}``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{where}: file not found; give the path of a YAML file of labels, relative to the params "
                          "file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{where}: not a readable UTF-8 YAML file ({type(exc).__name__}); fix its syntax") from None
    labels = {} if raw is None else raw
    _check_value_labels(labels, where)
    # YAML reads keys such as 1 or 2024 as numbers: the data's values are text.
    return {str(lang): {str(col): {str(v): str(t) for v, t in values.items()} for col, values in cols.items()}
            for lang, cols in labels.items()}


def _check_value_labels(labels, where: str) -> None:
    if not isinstance(labels, dict) or not all(isinstance(c, dict) and all(isinstance(v, dict) for v in c.values())
                                               for c in labels.values()):
        raise ParamsError(f"{where}: write labels as language -> column -> value -> label, "
                          "e.g. {zh: {city: {Shanghai: 上海}}}")
    for lang in labels:
        if lang not in i18n.LANGUAGES:
            raise ParamsError(f"{where}: {lang!r} is not a report language{did_you_mean(lang, i18n.LANGUAGES)} "
                              f"(one of {', '.join(i18n.LANGUAGES)})")


def _apply_override(raw: dict, item: str, path: Path) -> None:
    if "=" not in item:
        raise ParamsError(f"--set {item!r}: write key.path=value, e.g. --set segmentation.k=5")
    key, _, value = item.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ParamsError(f"--set {item!r}: the key is empty; write key.path=value")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    parsed = _cwd_relative(".".join(parts), parsed)
    node = raw
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ParamsError(f"--set {item!r}: {'.'.join(parts[:i + 1])} is not a section")
        node = child
    node[parts[-1]] = parsed


_PATH_KEYS = {"data.customers", "data.transactions", "data.customers.path", "data.transactions.path", "output_dir",
              "columns.value_labels"}


def _cwd_relative(key: str, value):
    """A path typed on the command line means a path from where the user stands."""
    if key not in _PATH_KEYS:
        return value
    if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
        return str(Path.cwd() / value)
    if isinstance(value, dict) and isinstance(value.get("path"), str) and not Path(value["path"]).is_absolute():
        return {**value, "path": str(Path.cwd() / value["path"])}
    return value


def _describe(err: dict, raw: dict) -> str:
    """One line naming the key path, the bad value and what to do."""
    loc = [str(p) for p in err["loc"] if not _is_union_tag(p)]
    dotted = ".".join(loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(RunConfig, loc[:-1])
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(loc[-1], list(parent.model_fields), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed keys: {', '.join(k for k in parent.model_fields if k != 'source_path')}"
        return f"unknown key '{dotted}'{hint}"
    if kind == "missing":
        return f"missing required key '{dotted}'"
    value = _value_at(raw, loc)
    msg = err["msg"]
    msg = re.sub(r"^Value error, ", "", msg)
    if not loc or re.match(rf"{re.escape(dotted)}[.:\[]", msg):  # a check that names its own keys
        return msg
    return f"{dotted}: {msg}" if "got" in msg else f"{dotted}: {msg} (got {value!r})"


def _is_union_tag(p) -> bool:
    return isinstance(p, str) and (p in {"FileSource", "SqlSource", "Path", "int", "str", "float"} or p.startswith(("literal[", "function-")) or "[" in p)


def _model_at(model, loc):
    for part in loc:
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return None
    return model


def _value_at(raw, loc):
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def json_schema() -> dict:
    """JSON Schema of the params file, for editors' completion and checking."""
    schema = RunConfig.model_json_schema()
    schema["properties"].pop("source_path", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "seglab run params"
    return schema


# --------------------------------------------------------------------- rules and bins

def check_rule_params(seg, *, method: bool = True) -> None:
    """Check the rules/bins part of the segmentation params, before any data is read.

    ``method=False`` skips the checks that relate several keys to
    ``method: rules`` (the params schema runs this on every assignment, when
    keys may be set one at a time).

    Raises
    ------
    ParamsError
        A condition is unsafe or invalid, rules and bins are both or neither
        given for ``method: rules``, more than two bins, or bin labels that do
        not fit the edges.
    """
    for i, rule in enumerate(seg.rules):
        parse_condition(rule.when, where=f"segmentation.rules[{i}].when")
    names = [r.name for r in seg.rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParamsError(f"segmentation.rules: segment name '{dup[0]}' is used twice; give each rule its own name")
    if seg.default_segment in names:
        raise ParamsError(f"segmentation.default_segment: '{seg.default_segment}' is also a rule's name")
    if len(seg.bins) > 2:
        raise ParamsError(f"segmentation.bins: one or two dimensions are supported (got {len(seg.bins)})")
    for i, spec in enumerate(seg.bins):
        where = f"segmentation.bins[{i}]"
        if spec.edges is not None:
            if len(spec.edges) < 2 or any(b <= a for a, b in zip(spec.edges, spec.edges[1:])):
                raise ParamsError(f"{where}.edges: give at least two increasing edges (got {spec.edges})")
            if spec.labels is not None and len(spec.labels) != len(spec.edges) - 1:
                raise ParamsError(f"{where}.labels: {len(spec.edges)} edges make {len(spec.edges) - 1} bins, "
                                  f"so give {len(spec.edges) - 1} labels (got {len(spec.labels)})")
    if len(seg.bins) == 2 and seg.bins[0].column == seg.bins[1].column:
        raise ParamsError(f"segmentation.bins: both dimensions use column '{seg.bins[0].column}'")
    if method and seg.method == "rules":
        if seg.rules and seg.bins:
            raise ParamsError("segmentation: give either rules or bins for method 'rules', not both")
        if not seg.rules and not seg.bins:
            raise ParamsError("segmentation: method 'rules' needs segmentation.rules (named conditions) or "
                              "segmentation.bins (one or two binned columns)")


def check_cleaning_keys(cfg, *, undeclared: bool = True) -> None:
    """Cleaning rules must name columns of the right kind.

    Parameters
    ----------
    undeclared : bool, default=True
        Also refuse a column that no ``columns.*`` key declares. The params schema
        passes False: whether ``cleaning.ranges.age`` or ``columns.numeric: [agee]`` holds
        the typo only the file can tell, so :mod:`seglab.validation` checks the files'
        columns first and then calls this with True.
    """
    c, k = cfg.columns, cfg.cleaning
    kinds = {"numeric": set(c.numeric) | ({"age"} if c.birth_date else set()), "categorical": set(c.categorical),
             "dates": set(c.dates) | {c.birth_date, c.transactions.date} - {None}}
    tx = c.transactions
    declared = set().union(*kinds.values(), c.pii, {c.customer_id, tx.customer_id, tx.amount, tx.quantity,
                                                     tx.unit_price, tx.order_id} - {None})
    named = [col for key in ("ranges", "categories", "date_formats", "plausibility") for col in (
        getattr(k, key).columns if key == "plausibility" else getattr(k, key))] + list(k.missing.columns)
    if not undeclared and any(col not in declared for col in named):
        k = k.model_copy(update={key: {col: v for col, v in getattr(k, key).items() if col in declared}
                                 for key in ("ranges", "categories", "date_formats")} | {
            "missing": k.missing.model_copy(update={"columns": {col: v for col, v in k.missing.columns.items()
                                                                if col in declared}}),
            "plausibility": k.plausibility.model_copy(update={"columns": {
                col: v for col, v in k.plausibility.columns.items() if col in declared}})})
    for key, kind in (("ranges", "numeric"), ("categories", "categorical"), ("date_formats", "dates")):
        for col in getattr(k, key):
            if col not in kinds[kind]:
                raise ParamsError(f"cleaning.{key}.{col}: '{col}' is not declared under columns.{kind}; declare it there")
    for col, (lo, hi) in k.ranges.items():
        if lo is not None and hi is not None and lo > hi:
            raise ParamsError(f"cleaning.ranges.{col}: the low end {lo} is above the high end {hi}")
    for col, spec in k.missing.columns.items():
        if not any(col in cols for cols in kinds.values()):
            raise ParamsError(f"cleaning.missing.columns.{col}: '{col}' is not a declared numeric, categorical or date column")
        strategy = spec if isinstance(spec, str) else spec.strategy
        if strategy == "constant" and getattr(spec, "value", None) is None:
            raise ParamsError(f"cleaning.missing.columns.{col}: strategy constant needs a value; "
                              f"write {col}: {{strategy: constant, value: ...}}")
        if strategy == "constant" and col in kinds["numeric"] and (
                isinstance(spec.value, bool) or not isinstance(spec.value, (int, float))):
            raise ParamsError(f"cleaning.missing.columns.{col}: the constant {spec.value!r} is not a number")
        if strategy == "constant" and col in kinds["dates"] and not _is_date(spec.value):
            raise ParamsError(f"cleaning.missing.columns.{col}: the constant {spec.value!r} is not a date "
                              "(write it as YYYY-MM-DD)")
        if strategy == "zero" and col not in kinds["numeric"]:
            raise ParamsError(f"cleaning.missing.columns.{col}: strategy zero fills numbers; '{col}' is not declared "
                              "under columns.numeric")
    for kind in ("categorical", "dates"):
        if getattr(k.missing, kind) == "zero":
            raise ParamsError(f"cleaning.missing.{kind}: strategy zero fills numbers; choose another for {kind} columns")
    checked = kinds["numeric"] | kinds["dates"] | ({tx.amount or tx.quantity} - {None})
    for col in k.plausibility.columns:
        if col not in checked:
            raise ParamsError(f"cleaning.plausibility.columns.{col}: '{col}' is not a declared numeric or date column "
                              "(or the transaction amount); declare it under columns.numeric or columns.dates")


def _is_date(value) -> bool:
    if isinstance(value, date):
        return True
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


# strptime's directives (what pandas' to_datetime(format=...) accepts), and pandas' own two formats.
_DATE_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
_PANDAS_FORMATS = {"ISO8601", "mixed"}


def date_format_problem(fmt: str) -> str | None:
    """What is wrong with a strftime format for reading dates, or None."""
    if fmt in _PANDAS_FORMATS:
        return None
    directives = re.findall(r"%(:?.)", fmt)
    for d in directives:
        if d.lstrip(":") not in _DATE_DIRECTIVES or (d.startswith(":") and d != ":z"):
            return (f"'%{d}' is not a date directive; use e.g. %Y-%m-%d, %d/%m/%Y or %m/%d/%y "
                    "(https://docs.python.org/3/library/datetime.html#format-codes)")
    if fmt.endswith("%") and not fmt.endswith("%%"):
        return "the format ends with a lone '%'; use e.g. %Y-%m-%d"
    if not set(directives) & set("dbBmyYjUWcxGuVaA"):
        return "the format has no day, month or year directive; use e.g. %Y-%m-%d or %d/%m/%Y"
    return None


def check_encoding_name(name: str) -> str:
    """An encoding Python knows (or ``auto``); raises :class:`ValueError` with the fix."""
    if name == "auto":
        return name
    try:
        codecs.lookup(name)
    except LookupError:
        close = difflib.get_close_matches(name.lower().replace("_", "-"),
                                          ["utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk", "big5", "cp1252",
                                           "latin-1", "mac-roman", "shift-jis", "euc-kr", "auto"], n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"unknown encoding; {hint}use e.g. utf-8, utf-8-sig, gb18030, utf-16, mac_roman "
                         "or auto") from None
    return name
