"""The portfolio views (issue 12.5): legible at twelve segments (no label overlaps another; figures are
saved with a tight box, so none is cut off) and the R x F grid's numbers against a hand count."""

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest

from seglab.report import figures, portfolio

matplotlib.use("Agg")


def _texts(ax):
    """Every visible text of the figure with its box on the canvas (ticks, labels, legend, annotations)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = []
    for artist in fig.findobj(matplotlib.text.Text):
        if artist.get_visible() and artist.get_text().strip():
            out.append((artist.get_text(), artist.get_window_extent(renderer)))
    return fig.bbox, out


def _assert_legible(ax, allow_inside=()):
    # Figures are saved with a tight box (savefig.bbox: tight): nothing is cut off, so what matters is overlap.
    _, texts = _texts(ax)
    for (a, ba), (b, bb) in itertools.combinations(texts, 2):
        if a in allow_inside or b in allow_inside:
            continue
        overlap = min(ba.x1, bb.x1) - max(ba.x0, bb.x0), min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        assert not (overlap[0] > 1 and overlap[1] > 1), (a, b)


def _segments(k=12, seed=1):
    rng = np.random.default_rng(seed)
    share = rng.dirichlet(np.ones(k))
    revenue = rng.dirichlet(np.ones(k))
    names = [f"Segment {i} with a rather long descriptive name" for i in range(k)]
    return pd.DataFrame({"id": range(k), "name": names, "share": share, "revenue_share": revenue})


@pytest.mark.parametrize("language", ["en", "zh"])
def test_segment_map_is_legible_at_twelve_segments(language):
    data = _segments()
    with figures.figure_context(language):
        ax = portfolio.segment_map(data, palette=figures.segment_palette(data["id"]), language=language)
        # bubble numbers sit on their bubbles and may touch each other; names are in the legend, keyed 1..12
        _assert_legible(ax, allow_inside={str(i) for i in range(1, 13)})
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert [x.split()[0] for x in legend] == [str(i) for i in range(1, 13)]
        figures.close(ax)


def _features(n=2000, seed=2):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"r_score": rng.integers(1, 6, n), "f_score": rng.integers(1, 6, n),
                         "monetary": rng.gamma(2, 300, n), "clv_predicted": rng.gamma(2, 150, n),
                         "lifecycle": rng.choice(["new", "active", "dormant", "churned"], n, p=[.05, .6, .15, .2])})


@pytest.mark.parametrize("language", ["en", "zh"])
def test_base_wide_views_are_legible_and_the_grid_counts_by_hand(language):
    f = _features()
    with figures.figure_context(language):
        ax = portfolio.rf_grid(f, language=language)
        _assert_legible(ax)
        cells = {t.get_text() for t in ax.texts}
        count = int(((f["r_score"] == 5) & (f["f_score"] == 5)).sum())
        assert any(c.startswith(f"{count:,}\n") for c in cells)
        assert len(ax.texts) == 25
        figures.close(ax)
        for ax in (portfolio.lifecycle_funnel(f, language=language),
                   portfolio.value_distribution(f["clv_predicted"], label="predicted spend", language=language)):
            _assert_legible(ax)
            figures.close(ax)
