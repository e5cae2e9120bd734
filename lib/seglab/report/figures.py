"""The report's figures, drawn with seaborn in one look and one colour per segment.

Each function takes data and keyword-only options, draws on ``ax`` (or a new
figure), returns the Axes and never saves: the caller decides where a figure
goes. Text comes from :mod:`seglab.i18n`; for Chinese, :func:`use_language`
(or :func:`figure_context`) sets a font that has the glyphs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import textwrap
import warnings
from functools import lru_cache
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter

from seglab import i18n, numbers
from seglab.errors import SeglabError

# Where a font with Chinese glyphs may be, in order: $SEGLAB_CJK_FONT; system
# fonts (Debian's fonts-noto-cjk, which .ci/run installs, or fonts-wqy-*;
# macOS; Windows); fonts matplotlib already knows; last, the Noto Sans CJK SC
# that the PyPI package mplfonts ships, for machines without root.
FONT_ENV = "SEGLAB_CJK_FONT"
SYSTEM_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", "SimHei")
PACKAGED_FONTS = (("mplfonts", "fonts/NotoSansCJKsc-Regular.otf"),)
FIGURE_WIDTH = 7.0   # inches: the text width of an A4 page, so print size ≈ drawn size
NEUTRAL = "#6b7b8c"  # for charts that are not about segments


# ------------------------------------------------------------------ fonts and style

def _packaged_font(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / relative
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The font file used for Chinese text.

    Looks at ``$SEGLAB_CJK_FONT``, then common system font files, fonts
    matplotlib already knows, and the font the ``mplfonts`` package ships.
    Raises :class:`~seglab.errors.SeglabError` naming the ways to install one
    when none is found.
    """
    env = os.environ.get(FONT_ENV)
    if env:
        if not Path(env).is_file():
            raise SeglabError(f"{FONT_ENV}={env}: no such font file; point it at a .ttf, .otf or .ttc with Chinese glyphs")
        return Path(env)
    for name in SYSTEM_FONT_FILES:
        if Path(name).is_file():
            return Path(name)
    for entry in font_manager.fontManager.ttflist:
        if entry.name in CJK_FAMILIES and Path(entry.fname).is_file():
            return Path(entry.fname)
    for package, relative in PACKAGED_FONTS:
        found = _packaged_font(package, relative)
        if found:
            return found
    raise SeglabError(
        "language: zh needs a font with Chinese glyphs and none was found; install one with "
        "`apt-get install fonts-noto-cjk` (Debian/Ubuntu; .ci/run does this) or `pip install mplfonts`, "
        f"or set {FONT_ENV} to a .ttf/.otf/.ttc file")


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the Chinese font with matplotlib and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    # Its bold face, where it sits beside it (Debian's fonts-noto-cjk): bold titles of English
    # figures with Chinese values then use it instead of asking for a weight that is not there.
    bold = path.with_name(path.name.replace("Regular", "Bold"))
    if bold != path and bold.is_file():
        font_manager.fontManager.addfont(str(bold))
    # A collection (.ttc) holds several faces: prefer the simplified-Chinese one.
    faces = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path}
    return next((f for f in CJK_FAMILIES if f in faces), font_manager.FontProperties(fname=str(path)).get_name())


def cjk_font_number(path: Path, family: str) -> int:
    """Index of ``family`` in a font collection (0 for a single font file)."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import (
        TTCollection,  # lazy: only pages in Chinese embed a font subset
    )

    with TTCollection(str(path), lazy=True) as collection:
        for i, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == family:
                return i
    return 0


def style(language: str = "en") -> dict:
    """matplotlib rc settings of every seglab figure: seaborn's whitegrid, print-sized text."""
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper", font_scale=1.25)}
    rc.update({"figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight", "axes.titleweight": "bold",
               "axes.titlelocation": "left", "axes.spines.right": False, "axes.spines.top": False,
               "legend.frameon": False})
    if language == "zh":
        # The packaged Chinese font has one weight: ask for no bold rather than a faked one.
        rc.update({"font.family": "sans-serif", "font.sans-serif": [cjk_font(), "DejaVu Sans"],
                   "axes.unicode_minus": False, "axes.titleweight": "normal"})
    elif language != "en":
        raise ValueError(f"language must be one of {', '.join(i18n.LANGUAGES)}; got {language!r}")
    elif (fallback := _cjk_fallback()) is not None:
        # Data values may be Chinese whatever the report's language (a Chinese stock list
        # in an English report): matplotlib takes each glyph from the first font of the
        # font.family list that has it (a generic "sans-serif" would use only one font).
        rc.update({"font.family": ["DejaVu Sans", fallback]})
    return rc


def _cjk_fallback() -> str | None:
    """The Chinese font's family for English figures, or None where no Chinese font is installed."""
    try:
        return cjk_font()
    except SeglabError:
        return None


def use_language(language: str) -> str | None:
    """Set the figure style (and for ``zh`` the Chinese font) for this session.

    For notebooks: call once before drawing. Returns the font family set for
    Chinese, or None for English.
    """
    mpl.rcParams.update(style(language))
    return cjk_font() if language == "zh" else None


@contextlib.contextmanager
def figure_context(language: str = "en"):
    """The seglab style within a ``with`` block only: draw and save inside it."""
    with plt.rc_context(style(language)):
        yield


def segment_palette(segment_ids) -> dict[int, tuple]:
    """One colour per segment, the same in every figure of a run.

    Colours follow the sorted ids (colour-blind-safe palette up to ten
    segments), so every figure that passes the run's segment ids agrees.
    """
    ids = sorted({int(i) for i in segment_ids})
    colours = sns.color_palette("colorblind" if len(ids) <= 10 else "husl", len(ids))
    return dict(zip(ids, colours))


def _axes(ax, size):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def wrap(text: str, width: int = 18) -> str:
    """Wrap a label on spaces, or every ``width`` characters in text without spaces (Chinese)."""
    text = str(text)
    if " " in text:
        return textwrap.fill(text, width)
    width = max(4, width // 2) if not text.isascii() else width
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


# ------------------------------------------------------------------ figures

def segment_sizes(data: pd.DataFrame, *, palette: dict, language: str = "en", ax=None):
    """Share of customers (solid) and of revenue (hatched) per segment.

    ``data`` has columns ``id``, ``name``, ``share`` and, when there are
    transactions, ``revenue_share``; ``share_label`` and ``revenue_label``,
    when given, are the percentages as the report prints them elsewhere.
    """
    data = data.reset_index(drop=True)
    with_revenue = "revenue_share" in data and data["revenue_share"].notna().any()
    ax = _axes(ax, (FIGURE_WIDTH, 0.55 * len(data) + 1.2))
    y = np.arange(len(data))
    height = 0.38 if with_revenue else 0.6
    colours = [palette[int(i)] for i in data["id"]]
    ax.barh(y - (height / 2 if with_revenue else 0), data["share"], height=height, color=colours,
            label=i18n.t("fig_customers", language))
    if with_revenue:
        ax.barh(y + height / 2, data["revenue_share"].fillna(0), height=height, color=colours, alpha=0.45,
                hatch="//", edgecolor=colours, label=i18n.t("fig_revenue", language))
    share_labels = data["share_label"] if "share_label" in data else data["share"].map(numbers.percent)
    revenue_labels = (data["revenue_label"] if "revenue_label" in data
                      else data.get("revenue_share", pd.Series(index=data.index, dtype=float)).map(numbers.percent))
    for i, row in data.iterrows():
        ax.annotate(share_labels[i], (row["share"], y[i] - (height / 2 if with_revenue else 0)),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize="small")
        if with_revenue and pd.notna(row["revenue_share"]):
            ax.annotate(revenue_labels[i], (max(row["revenue_share"], 0), y[i] + height / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize="small")
    ax.set_yticks(y, [wrap(n, 26) for n in data["name"]])
    ax.invert_yaxis()
    top = float(np.nanmax([data["share"].max(), data["revenue_share"].max() if with_revenue else 0]))
    ax.set_xlim(0, min(1.0, top * 1.18 + 0.02))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(i18n.t("fig_share_axis", language))
    ax.grid(axis="y", visible=False)
    handles = [Rectangle((0, 0), 1, 1, color="#555555")]
    labels = [i18n.t("fig_customers", language)]
    if with_revenue:
        handles.append(Rectangle((0, 0), 1, 1, facecolor="#55555570", hatch="//", edgecolor="#555555"))
        labels.append(i18n.t("fig_revenue", language))
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(i18n.t("fig_sizes_title", language))
    return ax


def profile_heatmap(matrix: pd.DataFrame, *, palette: dict, names: dict | None = None, mask: pd.DataFrame | None = None,
                    language: str = "en", title: str | None = None, ax=None):
    """Index of each segment (columns) on each trait (rows); 100 = the whole base.

    Colour is the index on a log scale (half and double equally far from
    average); each cell is annotated with the index; masked cells (too few
    customers to read) are left blank. A coloured band names each segment.
    """
    names = names or {}
    ax = _axes(ax, (FIGURE_WIDTH, 0.27 * len(matrix) + 1.8))
    colour = np.log2(matrix.astype(float).clip(lower=12.5, upper=800) / 100)
    annot = matrix.map(lambda v: "" if pd.isna(v) else numbers.integer(v))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # seaborn 0.13's own use of Colormap.set_bad
        sns.heatmap(colour, mask=mask if mask is not None else matrix.isna(), annot=annot, fmt="", cmap="vlag",
                    center=0, vmin=-2, vmax=2, linewidths=0.5, linecolor="white", ax=ax,
                    annot_kws={"fontsize": "x-small"},
                    cbar_kws={"label": i18n.t("fig_index", language), "ticks": [-2, -1, 0, 1, 2], "shrink": 0.6,
                              "format": FuncFormatter(lambda v, _: numbers.integer(100 * 2.0 ** float(v)))})
    ax.set_facecolor("#f2f2f2")
    for j, sid in enumerate(matrix.columns):
        ax.add_patch(Rectangle((j + 0.05, -0.45), 0.9, 0.35, color=palette[int(sid)], clip_on=False))
    ax.set_ylim(len(matrix), -0.5)
    ax.set_xticks(np.arange(len(matrix.columns)) + 0.5,
                  [wrap(names.get(int(s), str(s)), max(8, 60 // max(1, len(matrix.columns)))) for s in matrix.columns],
                  rotation=0, fontsize="x-small")
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", pad=14, length=0)
    ax.set_yticks(np.arange(len(matrix)) + 0.5, [wrap(r, 34) for r in matrix.index], rotation=0, fontsize="small")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(title or i18n.t("fig_heatmap_title", language), pad=ax.title.get_fontsize() * 4.5)
    return ax


def value_risk_grid(placements: pd.DataFrame, *, palette: dict, cell_names: dict | None = None,
                    language: str = "en", ax=None):
    """The value × risk grid with each segment placed at its customers' mean tiers.

    ``placements`` has ``id``, ``share``, ``value_score`` and ``risk_score``
    (0 = low … 2 = high); ``cell_names`` maps ``(value_tier, risk_tier)`` to
    the cell's name, printed in its corner. Bubble area is the segment's share.
    """
    ax = _axes(ax, (FIGURE_WIDTH, FIGURE_WIDTH * 0.78))
    value_tiers, risk_tiers = ("low", "mid", "high"), ("low", "medium", "high")
    for v in range(3):
        for r in range(3):
            shade = 0.93 + 0.02 * (v - r) / 2
            ax.add_patch(Rectangle((r - 0.5, v - 0.5), 1, 1, facecolor=(shade, shade, min(1, shade + 0.03)),
                                   edgecolor="white", linewidth=2, zorder=0))
            name = (cell_names or {}).get((value_tiers[v], risk_tiers[r]))
            if name:
                ax.text(r - 0.45, v + 0.45, wrap(name, 18), ha="left", va="top", fontsize="small",
                        color="#555555", zorder=1)
    data = placements.dropna(subset=["value_score", "risk_score"]).reset_index(drop=True)
    x, y = _spread(data["risk_score"].to_numpy(float), data["value_score"].to_numpy(float))
    sizes = 300 + 4000 * data["share"].astype(float)
    ax.scatter(x, y, s=sizes, c=[palette[int(i)] for i in data["id"]],
               alpha=0.85, edgecolor="white", linewidth=1.5, zorder=3)
    for xi, yi, sid in zip(x, y, data["id"]):
        ax.text(xi, yi, str(int(sid)), ha="center", va="center", fontsize="small",
                fontweight=mpl.rcParams["axes.titleweight"], color="black", zorder=4)
    ax.set_xlim(-0.5, 2.5)
    ax.set_ylim(-0.5, 2.5)
    ax.set_xticks(range(3), [i18n.t(f"tier_risk_{t}", language) for t in risk_tiers])
    ax.set_yticks(range(3), [i18n.t(f"tier_value_{t}", language) for t in value_tiers])
    ax.set_xlabel(i18n.t("fig_risk_axis", language))
    ax.set_ylabel(i18n.t("fig_value_axis", language))
    ax.grid(False)
    ax.set_aspect("equal")
    ax.set_title(i18n.t("fig_grid_title", language))
    return ax


def _spread(x: np.ndarray, y: np.ndarray, gap: float = 0.32) -> tuple[np.ndarray, np.ndarray]:
    """Nudge points apart that would hide each other (display only; at most ``gap`` / 2 each)."""
    x, y = x.copy(), y.copy()
    for _ in range(20):
        moved = False
        for i in range(len(x)):
            for j in range(i + 1, len(x)):
                dx, dy = x[j] - x[i], y[j] - y[i]
                dist = math.hypot(dx, dy)
                if dist < gap:
                    ux, uy = (dx / dist, dy / dist) if dist > 1e-9 else (1.0, 0.0)
                    push = (gap - dist) / 2
                    x[i], y[i], x[j], y[j] = x[i] - ux * push, y[i] - uy * push, x[j] + ux * push, y[j] + uy * push
                    moved = True
        if not moved:
            break
    return x, y


def segment_legend(ax, *, palette: dict, names: dict, **kwargs):
    """A legend naming each segment's colour (``id · name``) below ``ax``."""
    handles = [plt.Line2D([], [], marker="o", linestyle="", markersize=9, color=palette[int(i)]) for i in names]
    labels = [f"{int(i)} · {n}" for i, n in names.items()]
    kwargs = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.12), "ncol": 2, "fontsize": "small", **kwargs}
    ax.legend(handles, labels, **kwargs)
    return ax


def quarantine_reasons(counts: pd.Series, *, language: str = "en", ax=None):
    """Rows set aside, by reason (``counts``: reason label -> rows)."""
    counts = counts.sort_values(ascending=False)
    ax = _axes(ax, (FIGURE_WIDTH, 0.4 * len(counts) + 1.2))
    sns.barplot(x=counts.to_numpy(), y=[wrap(r, 34) for r in counts.index], color=NEUTRAL, orient="h", ax=ax)
    for i, v in enumerate(counts.to_numpy()):
        ax.annotate(numbers.integer(v), (v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize="small")
    ax.set_xlim(0, counts.max() * 1.15 if len(counts) and counts.max() > 0 else 1)
    ax.set_xlabel(i18n.t("fig_rows", language))
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    ax.set_title(i18n.t("fig_quarantine_title", language))
    return ax


def k_scores(scores: pd.DataFrame, *, chosen_k: int | None = None, language: str = "en", ax=None):
    """Silhouette and stability for each number of segments tried.

    ``scores`` has ``k`` and any of ``silhouette``, ``stability``; an
    ``eligible`` column (False: a segment would be too small) draws those k hollow.
    """
    ax = _axes(ax, (FIGURE_WIDTH, 3.4))
    eligible = scores["eligible"].astype(bool) if "eligible" in scores else pd.Series(True, index=scores.index)
    for col, colour, marker in (("silhouette", "#1f5f8b", "o"), ("stability", "#c0392b", "s")):
        if col not in scores or scores[col].isna().all():
            continue
        ax.plot(scores["k"], scores[col], color=colour, label=i18n.t(f"fig_{col}", language), zorder=2)
        ax.scatter(scores["k"][eligible], scores[col][eligible], color=colour, marker=marker, zorder=3)
        ax.scatter(scores["k"][~eligible], scores[col][~eligible], facecolor="white", edgecolor=colour,
                   marker=marker, zorder=3)
    if chosen_k is not None:
        ax.axvline(chosen_k, color="#333333", linestyle="--", linewidth=1)
        ax.annotate(i18n.t("fig_chosen_k", language, k=chosen_k), (chosen_k, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(4, -12), textcoords="offset points", fontsize="small")
    ax.set_xticks(sorted(scores["k"].astype(int).unique()))
    ax.set_xlabel(i18n.t("fig_k_axis", language))
    ax.set_ylabel(i18n.t("fig_score_axis", language))
    ax.legend(loc="best")
    ax.set_title(i18n.t("fig_k_title", language))
    return ax


def k_candidates(scores: pd.DataFrame, *, chosen: tuple | None = None, language: str = "en", title: str | None = None,
                 axes=None):
    """Candidate segmentations side by side: cost explained, silhouette and stability per k.

    ``scores`` has ``k``, ``features`` (the name of the feature set), ``explained`` (1 - cost /
    cost of one segment: the elbow shows where more segments stop paying), ``silhouette``,
    ``stability`` and ``eligible`` (False: a segment below the minimum share, drawn hollow);
    one line per feature set. ``chosen`` is ``(k, features)``, marked with a ring. Returns the
    three Axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(FIGURE_WIDTH * 1.35, 3.2), sharex=True)
    sets = list(dict.fromkeys(scores["features"]))
    colours = dict(zip(sets, sns.color_palette("dark", len(sets))))
    eligible = scores["eligible"].astype(bool) if "eligible" in scores else pd.Series(True, index=scores.index)
    for ax, col, label in zip(axes, ("explained", "silhouette", "stability"),
                              ("fig_explained", "fig_silhouette", "fig_stability")):
        for name in sets:
            part = scores[scores["features"] == name].sort_values("k")
            ok = eligible[part.index]
            ax.plot(part["k"], part[col], color=colours[name], label=wrap(name, 30), zorder=2)
            ax.scatter(part["k"][ok], part[col][ok], color=colours[name], zorder=3, s=18)
            ax.scatter(part["k"][~ok], part[col][~ok], facecolor="white", edgecolor=colours[name], zorder=3, s=18)
            if chosen is not None and chosen[1] == name and (part["k"] == chosen[0]).any():
                y = part.loc[part["k"] == chosen[0], col].iloc[0]
                ax.scatter([chosen[0]], [y], s=140, facecolor="none", edgecolor="#333333", linewidth=1.2, zorder=4)
        ax.set_title(i18n.t(label, language), fontsize="medium")
        ax.set_xlabel(i18n.t("fig_k_axis", language))
        ax.set_xticks(sorted(scores["k"].astype(int).unique()))
    if len(sets) > 1:
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    title = title or i18n.t("fig_candidates_title", language, features=", ".join(sets))
    axes[0].figure.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return axes


def trait_bars(traits: pd.DataFrame, *, color, language: str = "en", ax=None):
    """How one segment differs from the base: bars from 100 to each trait's index.

    ``traits`` has ``label`` and ``index`` (for categories, lift × 100); the
    axis is logarithmic so that index 50 and 200 are equally far from 100.
    """
    traits = traits.reset_index(drop=True)
    ax = _axes(ax, (FIGURE_WIDTH * 0.62, 0.34 * len(traits) + 1.0))
    y = np.arange(len(traits))
    idx = traits["index"].astype(float).clip(lower=5)
    ax.barh(y, idx - 100, left=100, color=color, height=0.6)
    ax.set_xscale("log")
    lo, hi = min(50.0, float(idx.min()) * 0.8), max(200.0, float(idx.max()) * 1.25)
    ax.set_xlim(lo, hi)
    ticks = [t for t in (25, 50, 100, 200, 400, 800, 1600) if lo <= t <= hi]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.axvline(100, color="#333333", linewidth=1)
    for i, v in enumerate(idx):
        ax.annotate(numbers.integer(v), (v, i), xytext=(3 if v >= 100 else -3, 0), textcoords="offset points",
                    va="center", ha="left" if v >= 100 else "right", fontsize="x-small")
    ax.set_yticks(y, [wrap(label, 30) for label in traits["label"]], fontsize="small")
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(i18n.t("fig_index", language))
    return ax


def holdout_fit(buckets: pd.DataFrame, *, language: str = "en", ax=None):
    """Predicted against actual purchases in the holdout period, per group of customers.

    ``buckets`` has ``frequency`` (repeat purchases in the calibration period, e.g. "0" …
    "7+"), ``predicted`` and ``actual`` (mean purchases per customer in the holdout) and
    optionally ``standard_error`` (drawn as ±2 standard errors around the actual mean):
    the check of Fader, Hardie & Lee (2005) that a purchase model tracks what happened next.
    """
    buckets = buckets.reset_index(drop=True)
    ax = _axes(ax, (FIGURE_WIDTH, 3.4))
    x = np.arange(len(buckets))
    actual = buckets["actual"].astype(float).to_numpy()
    err = None
    if "standard_error" in buckets:
        err = 2 * pd.to_numeric(buckets["standard_error"], errors="coerce").fillna(0).to_numpy()
    ax.bar(x, actual, width=0.6, color=NEUTRAL, alpha=0.55, label=i18n.t("fig_holdout_actual", language),
           yerr=err, error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})
    ax.plot(x, buckets["predicted"].astype(float), color="#c0392b", marker="o", linestyle="--",
            label=i18n.t("fig_holdout_predicted", language), zorder=3)
    ax.set_xticks(x, [str(f) for f in buckets["frequency"]])
    ax.set_xlabel(i18n.t("fig_holdout_x", language))
    ax.set_ylabel(i18n.t("fig_holdout_y", language))
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left")
    ax.set_title(i18n.t("fig_holdout_title", language))
    return ax


def close(ax) -> None:
    """Release a figure drawn by one of these functions (after saving it)."""
    plt.close(ax.figure)


__all__ = ["cjk_font", "cjk_font_number", "cjk_font_path", "close", "figure_context", "holdout_fit", "k_candidates",
           "k_scores",
           "profile_heatmap", "quarantine_reasons",
           "segment_legend", "segment_palette", "segment_sizes", "style", "trait_bars", "use_language",
           "value_risk_grid", "wrap"]


def uplift_intervals(data: pd.DataFrame, *, palette: dict, kind: str = "rate", cost: float = 0.0,
                     language: str = "en", ax=None):
    """Uplift per segment with its 95 % interval: a point and a bar, zero (and the cost) marked.

    ``data`` has columns ``segment``, ``name``, ``uplift``, ``low``, ``high``; ``kind`` is
    ``"rate"`` (differences of response rates, shown in percentage points) or ``"revenue"``
    (revenue per customer).
    """
    data = data.reset_index(drop=True)
    ax = _axes(ax, (FIGURE_WIDTH, 0.5 * len(data) + 1.3))
    y = np.arange(len(data))
    scale = 100.0 if kind == "rate" else 1.0
    for i, row in data.iterrows():
        colour = palette.get(int(row["segment"]), NEUTRAL)
        if pd.notna(row["low"]) and pd.notna(row["high"]):
            ax.plot([row["low"] * scale, row["high"] * scale], [y[i], y[i]], color=colour, lw=3, solid_capstyle="butt")
        if pd.notna(row["uplift"]):
            ax.plot(row["uplift"] * scale, y[i], "o", color=colour, markeredgecolor="white", markersize=8)
    ax.axvline(0, color="#333333", lw=1)
    if kind == "revenue" and cost:
        ax.axvline(cost, color="#333333", lw=1, ls="--", label=i18n.t("fig_cost_per_contact", language))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_yticks(y, [wrap(n, 26) for n in data["name"]])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(i18n.t("fig_uplift_rate_axis" if kind == "rate" else "fig_uplift_revenue_axis", language))
    ax.set_title(i18n.t("fig_uplift_rate_title" if kind == "rate" else "fig_uplift_revenue_title", language))
    return ax

