"""What to do with each segment, derived from the segment's own data.

An action has an **objective** (what the campaign is for), a message, an offer,
a channel, a KPI and a **test design** (control share, success metric,
duration, the smallest lift the split can show). It is built from:

- the segment's **lifecycle mix and risk tier**: a segment where at least
  :data:`LAPSING_LIMIT` of customers are dormant or churned, or whose risk tier
  is high, is never thanked for its loyalty — it is won back or retained;
- its **value tier** (how much effort it deserves: personal outreach for high
  value, automated flows for low value);
- its **distinctive traits** (interest, price orientation, membership, basket)
  as the offer's hooks and the message's theme;
- its dominant value in a **channel-like column** (channel, platform, device …)
  when the data has one, with that value's share against the base;
- its **money** (:func:`segment_money`): revenue to date, predicted spend over
  the CLV horizon, spend at risk, and an opportunity with its assumption.

Two segments never leave with the same message and offer unless their cell
and traits agree: :func:`make_distinct` adds what sets each apart.
The campaign plan (``seglab.campaign.audiences.campaign_plan``) reads these
actions as its one source.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from seglab import i18n, numbers
from seglab.campaign.audiences import control_size, detectable_uplift
from seglab.report.profiles import Trait

__all__ = [
    "LAPSING_LIMIT",
    "OPPORTUNITY_UPLIFT",
    "build_action",
    "channel_column",
    "is_entry_tier",
    "lapsing_share",
    "make_distinct",
    "objective",
    "segment_money",
]

#: Lifecycle stages of customers who have stopped buying or are slipping away.
LAPSING_STAGES = ("dormant", "churned")
#: At or above this share of lapsing customers a segment is won back or retained, never thanked.
LAPSING_LIMIT = 0.30
#: ... and at or above this share it is a win-back segment.
WIN_BACK_LIMIT = 0.50
#: Column names that say how customers are reached or buy.
CHANNEL_WORDS = re.compile(r"channel|platform|device|medium|touchpoint|source|渠道|平台|设备|终端|来源", re.IGNORECASE)
#: The improvement an opportunity is sized at: 5 points of retention, 5 % more spend, 5 % of prospects converted.
OPPORTUNITY_UPLIFT = 0.05
#: Shortest history over which a yearly spend is read (days), as for purchase_rate.
RATE_MIN_DAYS = 91
#: Test length: two typical gaps between purchases, at least 4 and at most 26 weeks.
TEST_MIN_DAYS, TEST_MAX_DAYS, TEST_DEFAULT_DAYS = 28, 182, 56
PRICE_WORDS = re.compile(r"deal|discount|sale|bargain|promo|coupon|voucher|offer|cheap|优惠|折扣|促销", re.IGNORECASE)
INTEREST_FEATURES = {"interest", "interests", "category", "preferred_category", "hobby"}
MEMBERSHIP_FEATURES = {"membership_tier", "membership", "plan", "tier"}
# Membership values that are the entry level: no status worth recognising.
ENTRY_TIERS = {"basic", "standard", "regular", "none", "free", "bronze", "普通"}


def is_entry_tier(value) -> bool:
    """A membership value at the entry level ("basic", "basic monthly", "free plan"): no status to recognise."""
    words = str(value).casefold().replace("_", " ").replace("-", " ").split()
    return bool(words) and (words[0] in ENTRY_TIERS or str(value).casefold() in ENTRY_TIERS)


# Objectives whose budget is automated flows only: no hooks that cost money.
LOW_COST = {"win_back_low_cost", "retain_low_cost", "investigate"}
KPI = {"convert": "first_purchase", "save": "reactivation", "win_back": "reactivation",
       "win_back_low_cost": "reactivation", "retain": "retention", "retain_low_cost": "retention",
       "reward": "revenue", "upgrade": "revenue", "develop": "revenue", "engage": "response",
       "investigate": "response"}


# ------------------------------------------------------------------ inputs

def channel_column(frame: pd.DataFrame, categorical: list[str]) -> str | None:
    """The customer column that says how customers are reached (channel, platform, device …).

    ``channel`` itself is preferred; otherwise the first categorical column whose
    name looks like one. None when the data has none.
    """
    candidates = [c for c in categorical if c in frame.columns and CHANNEL_WORDS.search(str(c))]
    exact = [c for c in candidates if str(c).casefold() == "channel"]
    return (exact or candidates or [None])[0]


def lapsing_share(entry: dict) -> float | None:
    """Share of the segment's customers who are dormant or churned (None without a lifecycle)."""
    mix = entry.get("lifecycle_mix")
    if not mix:
        return None
    return float(sum(mix.get(stage, 0.0) or 0.0 for stage in LAPSING_STAGES))


def objective(entry: dict) -> str:
    """What the segment's campaign is for, from its lifecycle mix, risk tier and value tier.

    ``convert`` prospects; ``save`` / ``win_back`` / ``win_back_low_cost`` when at least
    half are lapsing or the risk tier is high; ``retain`` / ``retain_low_cost`` when at
    least 30 % are lapsing or the risk is medium; ``reward`` / ``upgrade`` / ``develop``
    low-risk segments by value; ``investigate`` customers whose returns cancel their
    purchases; ``engage`` when the run has no value or risk at all.
    """
    vr = entry.get("value_risk") or {}
    lapsing = lapsing_share(entry)
    if vr.get("cell") == "prospect":
        return "convert"
    if vr.get("cell") == "returns" or entry.get("kind") == "returns":
        return "investigate"
    value, risk = vr.get("value_tier"), vr.get("risk_tier")
    if value is None:
        if lapsing is None:
            return "engage"
        value = "mid"
    lapsing = lapsing or 0.0
    if lapsing >= WIN_BACK_LIMIT or risk == "high":
        return {"high": "save", "mid": "win_back", "low": "win_back_low_cost"}[value]
    if lapsing >= LAPSING_LIMIT or risk == "medium":
        return "retain_low_cost" if value == "low" else "retain"
    return {"high": "reward", "mid": "upgrade", "low": "develop"}[value]


def _yearly_spend(part: pd.DataFrame) -> pd.Series | None:
    """Each customer's spend per year at their past pace: revenue / years since the first purchase."""
    if "monetary" not in part.columns or "tenure_days" not in part.columns:
        return None
    spend = pd.to_numeric(part["monetary"], errors="coerce")
    days = pd.to_numeric(part["tenure_days"], errors="coerce").clip(lower=RATE_MIN_DAYS)
    return (spend * 365.25 / days).where(spend.notna() & days.notna(), 0.0).clip(lower=0.0)


def segment_money(part: pd.DataFrame, *, horizon_days: int | None, base_buyer_yearly: float | None) -> dict | None:
    """The segment's money: revenue, predicted spend, spend at risk (None without transactions).

    - ``revenue``: revenue to date (``monetary``);
    - ``clv_predicted``: predicted spend over the CLV horizon, where the model was used;
    - ``yearly_spend``: spend per year at each customer's past pace, summed;
    - ``at_risk``: that yearly spend weighted by each customer's churn risk — what
      the segment is expected to stop spending in a year if nothing is done;
    - ``prospects`` and ``base_buyer_yearly``: for the value of converting prospects.
    """
    if "monetary" not in part.columns:
        return None
    # Positive net revenue, as the base's: returns that cancel a customer's purchases count as 0.
    revenue = float(pd.to_numeric(part["monetary"], errors="coerce").fillna(0.0).clip(lower=0).sum())
    clv = pd.to_numeric(part["clv_predicted"], errors="coerce") if "clv_predicted" in part.columns else None
    yearly = _yearly_spend(part)
    risk = pd.to_numeric(part["churn_risk"], errors="coerce") if "churn_risk" in part.columns else None
    at_risk = float((yearly * risk.fillna(0.0)).sum()) if yearly is not None and risk is not None else None
    buyers = int((pd.to_numeric(part["monetary"], errors="coerce").fillna(0) > 0).sum())
    return {
        "revenue": numbers.stored(revenue, 2),
        "revenue_per_customer": numbers.stored(revenue / len(part), 2) if len(part) else None,
        "clv_predicted": numbers.stored(float(clv.sum()), 2) if clv is not None and clv.notna().any() else None,
        "horizon_days": horizon_days if clv is not None and clv.notna().any() else None,
        "yearly_spend": numbers.stored(float(yearly.sum()), 2) if yearly is not None else None,
        "at_risk": numbers.stored(at_risk, 2),
        "mean_churn_risk": numbers.stored(float(risk.mean()), 4) if risk is not None and risk.notna().any() else None,
        "prospects": int(len(part) - buyers),
        "base_buyer_yearly": numbers.stored(base_buyer_yearly, 2),
    }


def buyer_yearly_median(frame: pd.DataFrame) -> float | None:
    """The base's median yearly spend among customers who bought (what a converted prospect is worth)."""
    yearly = _yearly_spend(frame)
    if yearly is None:
        return None
    bought = yearly[pd.to_numeric(frame["monetary"], errors="coerce").fillna(0) > 0]
    return float(bought.median()) if len(bought) else None


def _opportunity(goal: str, money: dict | None) -> dict | None:
    """What a modest success of the action is worth in a year, with its assumption.

    Retention objectives: 5 more in every 100 customers kept (at most the segment's
    churn risk), worth their yearly spend. Growth objectives: 5 % more yearly spend.
    Prospects: 5 % of them buying, worth the base's median yearly spend of a buyer.
    """
    if not money or money.get("yearly_spend") is None or goal == "investigate":
        return None
    if goal == "convert":
        if not money.get("prospects") or not money.get("base_buyer_yearly"):
            return None
        value = OPPORTUNITY_UPLIFT * money["prospects"] * money["base_buyer_yearly"]
        return {"value": numbers.stored(value, 2), "kind": "convert", "uplift": OPPORTUNITY_UPLIFT}
    if KPI.get(goal) in ("reactivation", "retention"):
        points = min(OPPORTUNITY_UPLIFT, money.get("mean_churn_risk") or OPPORTUNITY_UPLIFT)
        return {"value": numbers.stored(points * money["yearly_spend"], 2), "kind": "retention",
                "uplift": numbers.stored(points, 4)}
    return {"value": numbers.stored(OPPORTUNITY_UPLIFT * money["yearly_spend"], 2), "kind": "growth",
            "uplift": OPPORTUNITY_UPLIFT}


def _test_design(goal: str, part: pd.DataFrame, *, control_share: float, response_rate: float) -> dict:
    """Control share, success metric, duration and the smallest lift the split can show.

    The test runs for two of the segment's typical gaps between purchases (median of
    365 / purchases per year), between 4 and 26 weeks, rounded up to whole weeks;
    8 weeks without purchase history.
    """
    days = TEST_DEFAULT_DAYS
    if "purchase_rate" in part.columns:
        rate = pd.to_numeric(part["purchase_rate"], errors="coerce")
        rate = rate[rate > 0]
        if len(rate):
            gap = 365.25 / float(rate.median())
            days = int(min(TEST_MAX_DAYS, max(TEST_MIN_DAYS, 7 * math.ceil(2 * gap / 7))))
    size = len(part)
    held = control_size(size, control_share)
    lift = detectable_uplift(size - held, held, response_rate)
    return {"control_share": numbers.stored(control_share), "control": int(held), "treatment": int(size - held),
            "metric": KPI[goal], "duration_days": days,
            "detectable_uplift": numbers.stored(lift) if lift is not None else None}


# ------------------------------------------------------------------ words

def _hooks(traits: list[Trait], lang: str) -> tuple[list[str], str]:
    """Offer hooks and the message's theme from the segment's distinctive traits."""
    hooks, themes = [], {}
    for tr in traits:
        if tr.kind == "category" and PRICE_WORDS.search(str(tr.value)):
            hook = i18n.t("offer_price", lang)
            themes.setdefault("price", i18n.t("theme_price", lang))
        elif tr.kind == "category" and tr.feature in INTEREST_FEATURES:
            value = i18n.value_label(tr.feature, tr.value, lang)
            hook = i18n.t("offer_interest", lang, value=value)
            themes.setdefault("interest", i18n.t("theme_interest", lang, value=value))
        elif (tr.kind == "category" and tr.feature in MEMBERSHIP_FEATURES
              and not is_entry_tier(tr.value)):
            value = i18n.value_label(tr.feature, tr.value, lang)
            hook = i18n.t("offer_membership", lang, value=value)
            themes.setdefault("membership", i18n.t("theme_membership", lang, value=value))
        elif tr.kind == "numeric" and (tr.feature, tr.high) in {("aov", True), ("income", True)}:
            hook = i18n.t("offer_premium", lang)
            themes.setdefault("premium", i18n.t("theme_premium", lang))
        elif tr.kind == "numeric" and (tr.feature, tr.high) in {("aov", False), ("income", False)}:
            hook = i18n.t("offer_price", lang)
            themes.setdefault("price", i18n.t("theme_price", lang))
        elif tr.kind == "numeric" and (tr.feature, tr.high) == ("n_returns", True):
            hook = i18n.t("offer_returns", lang)
        else:
            continue
        if hook not in hooks:
            hooks.append(hook)
    # What they care about reads best in a message; their status and price sense next.
    theme = next((themes[k] for k in ("interest", "membership", "premium", "price") if k in themes), "")
    return hooks[:2], theme


def _channel(part: pd.DataFrame, frame: pd.DataFrame, column: str | None, lang: str) -> dict:
    """The segment's most common value of the channel-like column, with its share against the base."""
    if column is None or column not in part.columns or part[column].notna().sum() == 0:
        return {"channel": i18n.t("channel_default", lang), "channel_column": None,
                "channel_share": None, "channel_base_share": None}
    values = part[column].astype("string").dropna()
    shares = values.value_counts(normalize=True)
    top = str(shares.index[0])
    base = frame[column].astype("string").dropna()
    base_share = float((base == top).mean()) if len(base) else None
    return {"channel": i18n.value_label(column, top, lang), "channel_column": str(column),
            "channel_share": numbers.stored(float(shares.iloc[0])), "channel_base_share": numbers.stored(base_share)}


def build_action(entry: dict, traits: list[Trait], part: pd.DataFrame, frame: pd.DataFrame, *, lang: str,
                 channel_col: str | None, control_share: float, response_rate: float,
                 money: dict | None) -> dict:
    """One segment's action: objective, message, offer, channel, KPI, test design and opportunity."""
    goal = objective(entry)
    hooks, theme = _hooks(traits, lang)
    offer = i18n.t(f"offer_{goal}", lang)
    if hooks and goal not in LOW_COST:
        offer = i18n.t("offer_with_hooks", lang, offer=offer, hooks=i18n.t("items_sep", lang).join(hooks))
    vr = entry.get("value_risk") or {}
    return {
        "objective": goal,
        "objective_text": i18n.t(f"objective_{goal}", lang),
        "message": i18n.t("message_returns" if goal == "investigate" else f"message_{goal}", lang, theme=theme),
        "offer": offer,
        **_channel(part, frame, channel_col, lang),
        "kpi": i18n.t(f"kpi_{KPI[goal]}", lang),
        "test": _test_design(goal, part, control_share=control_share, response_rate=response_rate),
        "opportunity": _opportunity(goal, money),
        "priority": vr.get("priority"),
    }


def _signature(entry: dict, traits: list[Trait]) -> tuple:
    """What must agree for two segments to share an action: their cell and their traits."""
    cell = (entry.get("value_risk") or {}).get("cell")
    return cell, frozenset((tr.feature, tr.value if tr.kind == "category" else tr.high) for tr in traits[:5])


def make_distinct(items: list[tuple[dict, list[Trait]]], lang: str, describe) -> None:
    """Give segments that would share a message and offer the trait that sets each apart.

    ``items``: each segment's entry (with its ``actions``) and traits, changed in place;
    ``describe(trait)``: a trait's short words. Segments whose cell and traits agree
    keep the same action.
    """
    groups: dict[tuple, list] = {}
    for entry, traits in items:
        action = entry["actions"][0]
        groups.setdefault((action["message"], action["offer"]), []).append((entry, traits))
    for same in groups.values():
        if len({_signature(e, t) for e, t in same}) < 2:
            continue
        seen = [{(tr.feature, tr.value, tr.high) for tr in t} for _, t in same]
        for i, (entry, traits) in enumerate(same):
            others = set().union(*(s for j, s in enumerate(seen) if j != i))
            # What no other segment of the group has; else its two strongest traits, which together differ.
            own = [tr for tr in traits if (tr.feature, tr.value, tr.high) not in others] or traits[:2]
            if not own:
                continue
            action = entry["actions"][0]
            lead = i18n.join([describe(tr) for tr in own[:2]], lang)
            action["offer"] = i18n.t("offer_lead", lang, offer=action["offer"], traits=lead)

