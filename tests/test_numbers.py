"""One rounding rule for every number a client reads; shares shown side by side add up to 100 %."""

from __future__ import annotations

import math

import pytest
from seglab import i18n, numbers


@pytest.mark.parametrize("x, digits, want", [
    (207.5, 0, 208.0), (206.5, 0, 207.0), (-2.5, 0, -3.0), (2.675, 2, 2.68), (0.125, 2, 0.13), (207.46, 0, 207.0),
])
def test_rounding_is_half_away_from_zero_on_the_value_as_written(x, digits, want):
    assert numbers.rounded(x, digits) == want


def test_one_value_reads_the_same_as_an_integer_a_number_and_a_percent():
    assert numbers.integer(207.5) == "208" and numbers.integer(206.5) == "207"
    assert numbers.number(1234.5) == "1,235" and numbers.number(4.45) == "4.5" and numbers.number(0.125) == "0.13"
    assert numbers.percent(0.125) == "13%" and numbers.percent(0.004) == "<1%" and numbers.percent(0) == "0%"
    assert numbers.integer(-0.4) == "0" and numbers.number(-0.04, 1) == "0"
    assert numbers.number(None) == numbers.integer(math.nan) == numbers.percent(float("inf")) == "–"
    # the language tables format through the same functions
    assert i18n.integer is numbers.integer and i18n.percent is numbers.percent and i18n.number is numbers.number


def test_stored_values_are_rounded_once_and_json_safe():
    assert numbers.stored(207.46, 1) == 207.5 and numbers.stored(math.nan) is None and numbers.stored(None) is None
    assert numbers.stored(float("-inf")) is None


def _largest_remainder_by_hand(shares):
    pct = [100 * s for s in shares]
    floors = [math.floor(p) for p in pct]
    rest = 100 - sum(floors)
    # the points left go to the largest remainders; ties to the larger share, then the earlier one
    for i in sorted(range(len(pct)), key=lambda i: (-round(pct[i] - floors[i], 9), -pct[i], i))[:rest]:
        floors[i] += 1
    return floors


@pytest.mark.parametrize("shares", [
    [0.153, 0.278, 0.015, 0.031, 0.523],     # the demo's revenue shares: 15+28+1+3+52 = 99 when rounded alone
    [0.705, 0.045, 0.205, 0.045],            # rounded alone: 71 + 5 + 21 + 5 = 102
    [1 / 3, 1 / 3, 1 / 3],
    [0.2531, 0.2032, 0.2025, 0.1943, 0.1469],
])
def test_percents_add_up_to_100_by_largest_remainder(shares):
    shown = numbers.percents(shares)
    assert sum(int(s.rstrip("%")) for s in shown) == 100
    assert [int(s.rstrip("%")) for s in shown] == _largest_remainder_by_hand(shares)


def test_percents_keep_small_shares_visible_and_do_not_force_a_whole_that_is_not_there():
    assert numbers.percents([0.996, 0.004]) == ["100%", "<1%"]
    assert numbers.percents([0.5, None, 0.5]) == ["50%", "–", "50%"]
    # returns-only segments (negative revenue) make no whole: each share is rounded on its own
    assert numbers.percents([1.02, -0.02]) == ["102%", "-2%"]
