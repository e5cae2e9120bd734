"""The value x risk grid: every tier pair has exactly one cell, with text in both languages."""

import itertools
import re

import pytest
from seglab.features import value_risk as targeting
from seglab.features.value_risk import CELLS, PROSPECT, cell_info, cell_key

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_tier_pair_maps_to_exactly_one_cell():
    pairs = list(itertools.product(targeting.VALUE_TIERS, targeting.RISK_TIERS))
    keys = [cell_key(v, r) for v, r in pairs]
    assert len(set(keys)) == len(pairs) == 9
    assert sorted(keys) == sorted(c.key for c in CELLS)
    for (v, r), key in zip(pairs, keys):
        matching = [c for c in CELLS if (c.value_tier, c.risk_tier) == (v, r)]
        assert len(matching) == 1 and matching[0].key == key == f"{v}_value_{r}_risk"


@pytest.mark.parametrize("key", [c.key for c in CELLS] + [PROSPECT.key])
def test_cell_text_in_both_languages(key):
    en, zh = cell_info(key, "en"), cell_info(key, language="zh")
    assert en["key"] == zh["key"] == key
    assert en["priority"] == zh["priority"]
    for text in (en["name"], en["strategy"]):
        assert text.strip() and text.isascii()
    for text in (zh["name"], zh["strategy"]):
        assert CJK.search(text)


def test_priorities_rank_the_nine_cells():
    assert [c.priority for c in CELLS] == list(range(1, 10))  # CELLS is in priority order
    assert cell_info("high_value_high_risk")["priority"] == 1
    assert cell_info("high_value_high_risk")["name"] == "Win back first"
    assert cell_info("high_value_low_risk")["name"] == "Grow"
    assert cell_info("low_value_high_risk")["name"].startswith("Let go")
    assert PROSPECT.priority > max(c.priority for c in CELLS)


def test_cells_are_read_only():
    with pytest.raises(AttributeError):
        CELLS[0].priority = 99


def test_bad_inputs_name_the_value():
    with pytest.raises(ValueError, match="'medum'.*did you mean 'medium'"):
        cell_key("high", "medum")
    with pytest.raises(ValueError, match="value_tier .*'hihg'"):
        cell_key("hihg", "low")
    with pytest.raises(ValueError, match="unknown value x risk cell 'high_value_hi_risk'"):
        cell_info("high_value_hi_risk")
    with pytest.raises(ValueError, match="language"):
        cell_info("prospect", "fr")
