"""Figures: seaborn conventions, one colour per segment everywhere, Chinese glyphs that render."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from seglab import i18n  # noqa: E402
from seglab.errors import SeglabError  # noqa: E402
from seglab.report import figures
from seglab.report.personas import build_personas  # noqa: E402
from seglab.report.profiles import profile_matrix  # noqa: E402
from test_personas import make_cfg, synthetic_run  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    features, assignments = synthetic_run()
    cfg = make_cfg(tmp_path_factory.mktemp("cfg"))
    return features, assignments, cfg, build_personas(features, assignments, cfg)


def _draw_all(run, language):
    """Every figure once, each on its own new axes, as (name, Axes)."""
    features, assignments, cfg, result = run
    segs = result["segments"]
    palette = figures.segment_palette([s["id"] for s in segs])
    names = {s["id"]: s["name"] for s in segs}
    sizes = pd.DataFrame([{k: s[k] for k in ("id", "name", "share", "revenue_share")} for s in segs])
    matrix, mask = profile_matrix(features, assignments, cfg, language=language)
    grid = pd.DataFrame([{"id": s["id"], "share": s["share"], **{k: s["value_risk"][k] for k in ("value_score", "risk_score")}}
                         for s in segs])
    scores = pd.DataFrame({"k": [2, 3, 4, 5], "silhouette": [0.3, 0.35, 0.42, 0.3], "stability": [0.9, 0.85, 0.93, 0.6],
                           "eligible": [True, True, True, False]})
    traits = pd.DataFrame({"label": ["age", "interest: running"], "index": [58.0, 300.0]})
    return [
        ("sizes", figures.segment_sizes(sizes, palette=palette, language=language)),
        ("heatmap", figures.profile_heatmap(matrix, palette=palette, names=names, mask=mask, language=language)),
        ("grid", figures.segment_legend(figures.value_risk_grid(grid, palette=palette, language=language,
                                                                cell_names={("high", "low"): "成长" if language == "zh" else "Grow"}),
                                        palette=palette, names=names)),
        ("quarantine", figures.quarantine_reasons(pd.Series({"missing id": 9, "bad date": 4}), language=language)),
        ("k", figures.k_scores(scores, chosen_k=4, language=language)),
        ("traits", figures.trait_bars(traits, color=palette[3], language=language)),
    ]


def test_every_figure_returns_its_axes_and_saves_nothing(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with figures.figure_context("en"):
        drawn = _draw_all(run, "en")
    for name, ax in drawn:
        assert isinstance(ax, Axes), name
        assert ax.get_title(loc="left") or name == "traits", name
    assert list(tmp_path.iterdir()) == []


def test_figures_draw_on_the_axes_they_are_given(run):
    features, assignments, cfg, result = run
    fig, (a, b) = plt.subplots(1, 2)
    segs = result["segments"]
    palette = figures.segment_palette([s["id"] for s in segs])
    sizes = pd.DataFrame([{k: s[k] for k in ("id", "name", "share", "revenue_share")} for s in segs])
    assert figures.segment_sizes(sizes, palette=palette, ax=b) is b
    assert figures.quarantine_reasons(pd.Series({"x": 1}), ax=a) is a
    assert len(fig.axes) == 2


def test_palette_gives_each_segment_one_stable_colour(run):
    ids = [3, 0, 2, 1]
    palette = figures.segment_palette(ids)
    assert palette == figures.segment_palette(sorted(ids)) == figures.segment_palette(ids[::-1])
    assert len({tuple(c) for c in palette.values()}) == len(ids)
    # the bars of the sizes chart carry the palette colour of their segment
    _, _, _, result = run
    segs = result["segments"]
    sizes = pd.DataFrame([{k: s[k] for k in ("id", "name", "share", "revenue_share")} for s in segs])
    ax = figures.segment_sizes(sizes, palette=palette)
    solid = [p for p in ax.patches if p.get_alpha() in (None, 1)][: len(segs)]
    assert [to_rgb(p.get_facecolor()) for p in solid] == [to_rgb(palette[s["id"]]) for s in segs]


def test_chinese_figures_render_every_glyph(run):
    figures.use_language("en")  # a global setting must not be needed: the context sets the font
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        with figures.figure_context("zh"):
            drawn = _draw_all(run, "zh")
            for name, ax in drawn:
                ax.set_xlabel(ax.get_xlabel() + " 中文")
                ax.figure.savefig(io.BytesIO(), format="png")
    texts = [t.get_text() for _, ax in drawn for t in ax.figure.findobj(matplotlib.text.Text)]
    assert any(i18n.t("fig_sizes_title", "zh") in t for t in texts)


def test_chinese_font_covers_every_character_of_the_chinese_table():
    from fontTools.ttLib import TTFont

    path = figures.cjk_font_path()
    cmap = TTFont(str(path), fontNumber=figures.cjk_font_number(path, figures.cjk_font()), lazy=True).getBestCmap()
    chars = {c for text in i18n.table("zh").values() for c in text}
    missing = sorted(c for c in chars if ord(c) not in cmap and not c.isspace())
    assert not missing, missing
    assert figures.cjk_font() in figures.style("zh")["font.sans-serif"]


def test_use_language_sets_the_font_for_notebooks():
    try:
        family = figures.use_language("zh")
        assert matplotlib.rcParams["font.sans-serif"][0] == family
    finally:
        figures.use_language("en")
        matplotlib.rcdefaults()


def test_missing_chinese_font_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(figures.FONT_ENV, raising=False)
    monkeypatch.setattr(figures, "PACKAGED_FONTS", (("no_such_package_xyz", "fonts/none.otf"),))
    monkeypatch.setattr(figures, "SYSTEM_FONT_FILES", ())
    monkeypatch.setattr(figures, "CJK_FAMILIES", ())
    figures.cjk_font_path.cache_clear()
    figures.cjk_font.cache_clear()
    try:
        with pytest.raises(SeglabError, match="font with Chinese glyphs"):
            figures.style("zh")
    finally:
        figures.cjk_font_path.cache_clear()
        figures.cjk_font.cache_clear()


def test_packaged_font_is_the_fallback_without_system_fonts(monkeypatch):
    import importlib.util

    if importlib.util.find_spec("mplfonts") is None:
        pytest.skip("mplfonts (the optional packaged font) is not installed")
    monkeypatch.delenv(figures.FONT_ENV, raising=False)
    monkeypatch.setattr(figures, "SYSTEM_FONT_FILES", ())
    monkeypatch.setattr(figures, "CJK_FAMILIES", ())
    figures.cjk_font_path.cache_clear()
    try:
        assert figures.cjk_font_path().name == "NotoSansCJKsc-Regular.otf"
    finally:
        figures.cjk_font_path.cache_clear()


def test_font_override_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(figures.FONT_ENV, str(tmp_path / "nope.ttf"))
    figures.cjk_font_path.cache_clear()
    try:
        with pytest.raises(SeglabError, match="SEGLAB_CJK_FONT"):
            figures.cjk_font_path()
    finally:
        figures.cjk_font_path.cache_clear()


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="language"):
        figures.style("fr")


def test_wrap_handles_text_without_spaces():
    assert figures.wrap("Young running app shoppers", 12).count("\n") >= 1
    assert "\n" in figures.wrap("年轻跑步移动端购物者年轻跑步", 12)


def test_english_figures_draw_chinese_data_values(run):
    """An English report on Chinese data (a stock list's industries) draws the values, not empty boxes."""
    features, assignments, cfg, result = run
    palette = figures.segment_palette([s["id"] for s in result["segments"]])
    sizes = pd.DataFrame([{"id": s["id"], "name": f"元器件 customers {s['id']}", "share": s["share"],
                           "revenue_share": s["revenue_share"]} for s in result["segments"]])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        with figures.figure_context("en"):
            ax = figures.segment_sizes(sizes, palette=palette, language="en")
            ax.figure.savefig(io.BytesIO(), format="png")
    assert figures.style("en")["font.family"] == ["DejaVu Sans", figures.cjk_font()]
