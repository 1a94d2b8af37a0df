"""Gini and top share: known values and the invariants that make them fair measures."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicechain.analytics.concentration import gini, top_share

counts = st.lists(st.integers(0, 50), min_size=1, max_size=60)


def test_known_values():
    assert gini([3, 3, 3, 3]) == 0
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)  # one of four gets everything: 1 - 1/n
    assert top_share([0, 0, 0, 0, 0, 0, 0, 0, 1, 9]) == pytest.approx(0.9)
    assert top_share([1] * 20) == pytest.approx(0.1)  # the top 10 % of 20 people is 2 of them


def test_nothing_to_share_is_not_a_number():
    assert math.isnan(gini([0, 0, 0]))
    assert math.isnan(top_share([]))


def test_negative_or_missing_counts_are_refused():
    with pytest.raises(ValueError):
        gini([1, -1])
    with pytest.raises(ValueError):
        top_share([1, float("nan")])


@given(counts)
def test_gini_lies_between_zero_and_one_minus_one_over_n(values):
    g = gini(values)
    if sum(values) == 0:
        assert math.isnan(g)
        return
    assert -1e-12 <= g <= 1 - 1 / len(values) + 1e-12


@given(counts, st.integers(1, 5), st.randoms(use_true_random=False))
def test_gini_ignores_order_and_scale(values, factor, random):
    if sum(values) == 0:
        return
    shuffled = list(values)
    random.shuffle(shuffled)
    assert gini(shuffled) == pytest.approx(gini(values))
    assert gini(np.array(values) * factor) == pytest.approx(gini(values))


@given(counts)
def test_top_share_lies_between_the_top_groups_size_and_one(values):
    share = top_share(values)
    if sum(values) == 0:
        assert math.isnan(share)
        return
    k = max(1, math.ceil(0.1 * len(values)))
    assert k / len(values) - 1e-12 <= share <= 1 + 1e-12
