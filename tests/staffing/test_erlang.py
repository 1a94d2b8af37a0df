"""Erlang B/C/A: exact against independent computations, monotone, stable at scale."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, special

from servicechain.staffing.erlang import (
    abandon_rate,
    average_speed_of_answer,
    erlang_a_service_level,
    erlang_a_wait_probability,
    erlang_b,
    erlang_c,
    occupancy,
    required_agents,
    required_agents_day,
    service_level,
    service_level_day,
    traffic_intensity,
)

# ----------------------------------------------------------------------------- independent oracles


def exact_erlang_b(traffic, agents):
    """Erlang B from its defining sum, in 60-digit arithmetic."""
    with mpmath.workdps(60):
        a = mpmath.mpf(traffic)
        terms = [a**k / mpmath.factorial(k) for k in range(agents + 1)]
        return float(terms[-1] / mpmath.fsum(terms))


def exact_erlang_c(traffic, agents):
    """Erlang C from its defining sum, in 60-digit arithmetic."""
    with mpmath.workdps(60):
        a, n = mpmath.mpf(traffic), agents
        head = mpmath.fsum(a**k / mpmath.factorial(k) for k in range(n))
        tail = a**n / mpmath.factorial(n) * n / (n - a)
        return float(tail / (head + tail))


def palm_by_markov_chain(agents, calls, aht_s, interval_s, answer_within_s, patience_s):
    """Erlang A by brute force: a truncated birth–death chain solved directly, and
    each waiting caller's fate from the matrix exponential of its own absorbing chain.
    Shares no formula with the library (no Erlang B, no incomplete beta)."""
    lam, mu, theta = calls / interval_s, 1.0 / aht_s, 1.0 / patience_s
    top = agents + 150
    weights = np.ones(top + 1)
    for n in range(1, top + 1):
        weights[n] = weights[n - 1] * lam / (min(n, agents) * mu + max(n - agents, 0) * theta)
    stationary = weights / weights.sum()
    # Tagged caller's chain: state i = callers still in front of it (0..K), then
    # "answered" (K + 1) and "abandoned" (K + 2). A caller arriving with k in the
    # queue starts in state k.
    k_max = top - agents
    answered, gone = k_max + 1, k_max + 2
    generator = np.zeros((k_max + 3, k_max + 3))
    for in_front in range(k_max + 1):
        advance = agents * mu + in_front * theta
        generator[in_front, in_front - 1 if in_front > 0 else answered] += advance
        generator[in_front, gone] += theta
        generator[in_front, in_front] = -(advance + theta)
    fate_by_t = linalg.expm(generator * answer_within_s)
    fate_forever = linalg.expm(generator * 1e5)
    queued = stationary[agents:]
    answered_in_time = stationary[:agents].sum() + queued @ fate_by_t[: k_max + 1, answered]
    abandoned = queued @ fate_forever[: k_max + 1, gone]
    return answered_in_time, abandoned, queued.sum()


def mandelbaum_zeltyn_abandonment(agents, calls, aht_s, interval_s, patience_s):
    """P(Ab) from the closed form of Mandelbaum & Zeltyn (2007) via the incomplete gamma:
    A(x, y) = x e^y y^-x gamma(x, y); P(W>0) = A E / (1 + (A - 1) E);
    P(Ab | W>0) = 1 / (rho A) + 1 - 1 / rho."""
    lam, mu, theta = calls / interval_s, 1.0 / aht_s, 1.0 / patience_s
    x, y, rho = agents * mu / theta, lam / theta, lam / (agents * mu)
    big_a = math.exp(
        math.log(x) + y - x * math.log(y) + special.gammaln(x) + math.log(special.gammainc(x, y))
    )
    e1 = exact_erlang_b(lam / mu, agents)
    wait = big_a * e1 / (1 + (big_a - 1) * e1)
    return wait * (1 / (rho * big_a) + 1 - 1 / rho)


# ----------------------------------------------------------------------------- published examples


def test_westbay_example_360_calls_per_half_hour_with_55_agents():
    # Westbay Engineers, "The Erlang-C formula" (erlang.com): 360 calls per half
    # hour, 4-minute average duration, 55 agents, 15-second answer target.
    # Values checked against the exact 60-digit sums above.
    assert traffic_intensity(360, 240, 1800) == 48.0
    assert erlang_c(48, 55) == pytest.approx(0.23870, abs=1e-5)
    assert average_speed_of_answer(55, 360, 240, 1800) == pytest.approx(8.184, abs=1e-3)
    assert service_level(55, 360, 240, 1800, 15) == pytest.approx(0.8459, abs=1e-4)
    assert occupancy(55, 360, 240, 1800) == pytest.approx(48 / 55)


def test_westbay_load_needs_55_agents_for_80_in_15_and_54_for_80_in_20():
    # At 80/15 the page's 55 agents are the minimum (54 give 79.29 %); at 80/20
    # 54 agents already give 81.7 %, so 55 is one more than needed there.
    assert required_agents(360, 240, 1800, 0.80, 15) == 55
    assert service_level(54, 360, 240, 1800, 15) == pytest.approx(0.7929, abs=1e-4)
    assert required_agents(360, 240, 1800, 0.80, 20) == 54
    assert service_level(54, 360, 240, 1800, 20) == pytest.approx(0.8172, abs=1e-4)


def test_call_centre_helper_example_100_calls_180_s_aht():
    # Call Centre Helper, "Erlang C formula - made simple": 100 calls in 30 min,
    # AHT 180 s, 80/20, max occupancy 85 %, shrinkage 30 % -> 14 agents on the
    # phones (SL 88.8 %, 13 give 79.6 %) and 20 scheduled.
    assert required_agents(100, 180, 1800, 0.80, 20) == 14
    assert service_level(14, 100, 180, 1800, 20) == pytest.approx(0.8884, abs=1e-4)
    assert service_level(13, 100, 180, 1800, 20) == pytest.approx(0.7956, abs=1e-4)
    assert required_agents(100, 180, 1800, 0.80, 20, max_occupancy=0.85, shrinkage=0.30) == 20


# ----------------------------------------------------------------------------- exactness


@pytest.mark.parametrize(
    ("traffic", "agents"), [(0.5, 1), (2.0, 5), (10.0, 14), (48.0, 55), (30.0, 30), (80.5, 70)]
)
def test_erlang_b_matches_exact_sum(traffic, agents):
    assert erlang_b(traffic, agents) == pytest.approx(exact_erlang_b(traffic, agents), rel=1e-12)


@pytest.mark.parametrize(
    ("traffic", "agents"), [(0.5, 1), (2.0, 5), (10.0, 11), (48.0, 55), (99.5, 100), (150.0, 170)]
)
def test_erlang_c_matches_exact_sum(traffic, agents):
    assert erlang_c(traffic, agents) == pytest.approx(exact_erlang_c(traffic, agents), rel=1e-11)


def test_erlang_c_is_stable_for_thousands_of_agents():
    value = erlang_c(5000.0, 5100)
    assert value == pytest.approx(exact_erlang_c(5000.0, 5100), rel=1e-9)
    assert required_agents(100_000, 300, 1800, 0.8, 20) > 16_667


def test_unstable_queue_waits_always_and_serves_nobody_in_time():
    assert erlang_c(10.0, 10) == 1.0
    assert service_level(10, 100, 180, 1800, 20) == 0.0
    assert average_speed_of_answer(9, 100, 180, 1800) == math.inf


def test_no_calls_means_perfect_service_and_no_agents():
    assert service_level(0, 0, 180, 1800, 20) == 1.0
    assert required_agents(0, 180, 1800, 0.8, 20) == 0
    assert erlang_a_service_level(3, 0, 180, 1800, 20, 60) == 1.0
    assert abandon_rate(3, 0, 180, 1800, 60) == 0.0


def test_invalid_inputs_are_rejected_with_a_reason():
    with pytest.raises(ValueError, match="aht_s"):
        service_level(5, 10, 0, 1800, 20)
    with pytest.raises(ValueError, match="target_service_level"):
        required_agents(10, 180, 1800, 1.0, 20)
    with pytest.raises(ValueError, match="shrinkage"):
        required_agents(10, 180, 1800, 0.8, 20, shrinkage=1.0)
    with pytest.raises(ValueError, match="agents"):
        erlang_c(3.0, -1)


# ----------------------------------------------------------------------------- properties

loads = st.floats(min_value=0.05, max_value=400.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(traffic=loads, extra=st.integers(min_value=1, max_value=60))
def test_probability_of_waiting_is_a_probability_that_falls_with_agents(traffic, extra):
    agents = math.floor(traffic) + extra
    now, more = erlang_c(traffic, agents), erlang_c(traffic, agents + 1)
    assert 0.0 <= more <= now <= 1.0
    assert 0.0 <= erlang_b(traffic, agents) <= now


@settings(max_examples=60, deadline=None)
@given(
    calls=st.floats(min_value=1, max_value=2000),
    aht=st.floats(min_value=30, max_value=900),
    extra=st.integers(min_value=0, max_value=60),
    within=st.floats(min_value=0, max_value=120),
)
def test_service_level_rises_with_agents(calls, aht, extra, within):
    agents = math.floor(calls * aht / 1800) + extra
    now = service_level(agents, calls, aht, 1800, within)
    assert 0.0 <= now <= service_level(agents + 1, calls, aht, 1800, within) <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    calls=st.floats(min_value=0.5, max_value=3000),
    aht=st.floats(min_value=30, max_value=900),
    target=st.floats(min_value=0.5, max_value=0.98),
    within=st.floats(min_value=5, max_value=60),
    max_occ=st.one_of(st.none(), st.floats(min_value=0.6, max_value=1.0)),
)
def test_required_agents_is_the_smallest_number_meeting_every_target(
    calls, aht, target, within, max_occ
):
    n = required_agents(calls, aht, 1800, target, within, max_occupancy=max_occ)
    traffic = calls * aht / 1800

    def meets(agents):
        ok = service_level(agents, calls, aht, 1800, within) >= target
        return ok and (max_occ is None or traffic / agents <= max_occ + 1e-9)

    assert meets(n)
    assert n - 1 <= traffic or not meets(n - 1)


@settings(max_examples=40, deadline=None)
@given(raw=st.integers(min_value=1, max_value=500), shrinkage=st.floats(0.0, 0.6))
def test_shrinkage_divides_and_rounds_up(raw, shrinkage):
    calls = 0.0
    # pick the volume whose bare requirement is `raw` agents: search a little
    for calls in np.linspace(raw * 2.0, raw * 12.0, 25):
        if required_agents(calls, 150, 1800, 0.8, 20) == raw:
            break
    bare = required_agents(calls, 150, 1800, 0.8, 20)
    shrunk = required_agents(calls, 150, 1800, 0.8, 20, shrinkage=shrinkage)
    assert shrunk == math.ceil(round(bare / (1 - shrinkage), 9))


def test_day_vectorised_forms_match_the_scalar_forms():
    rng = np.random.default_rng(3)
    calls = np.concatenate([[0.0, 0.4], rng.uniform(0, 900, 94)])
    aht = rng.uniform(120, 480, 96)
    day = required_agents_day(calls, aht, 900, 0.8, 20, max_occupancy=0.88, shrinkage=0.25)
    one_by_one = [
        required_agents(c, a, 900, 0.8, 20, max_occupancy=0.88, shrinkage=0.25)
        for c, a in zip(calls, aht, strict=True)
    ]
    assert day.tolist() == one_by_one
    agents = day - rng.integers(0, 4, 96)
    levels = service_level_day(np.maximum(agents, 0), calls, aht, 900, 20)
    expected = [
        service_level(max(n, 0), c, a, 900, 20) for n, c, a in zip(agents, calls, aht, strict=True)
    ]
    np.testing.assert_allclose(levels, expected, rtol=1e-12, atol=1e-14)


def test_required_agents_day_is_fast_for_96_intervals():
    import time

    rng = np.random.default_rng(0)
    calls, aht = rng.uniform(0, 800, 96), rng.uniform(180, 420, 96)
    required_agents_day(calls, aht, 900, 0.8, 20, 0.9, 0.3)
    start = time.perf_counter()
    for _ in range(20):
        required_agents_day(calls, aht, 900, 0.8, 20, 0.9, 0.3)
    assert (time.perf_counter() - start) / 20 < 0.010


# ----------------------------------------------------------------------------- Erlang A


@pytest.mark.parametrize(
    ("agents", "calls", "aht", "within", "patience"),
    [(3, 40, 180, 20, 60), (5, 120, 150, 30, 120), (8, 200, 200, 20, 300), (4, 200, 120, 10, 45)],
)
def test_erlang_a_matches_a_brute_force_markov_chain(agents, calls, aht, within, patience):
    in_time, abandoned, waited = palm_by_markov_chain(agents, calls, aht, 1800, within, patience)
    assert erlang_a_service_level(agents, calls, aht, 1800, within, patience) == pytest.approx(
        in_time, abs=1e-9
    )
    assert abandon_rate(agents, calls, aht, 1800, patience) == pytest.approx(abandoned, abs=1e-9)
    assert erlang_a_wait_probability(agents, calls, aht, 1800, patience) == pytest.approx(
        waited, abs=1e-9
    )


@pytest.mark.parametrize(
    ("agents", "calls", "aht", "patience"),
    [(10, 300, 60, 30), (55, 360, 240, 180), (40, 360, 240, 120), (500, 5000, 200, 90)],
)
def test_abandonment_matches_the_incomplete_gamma_closed_form(agents, calls, aht, patience):
    expected = mandelbaum_zeltyn_abandonment(agents, calls, aht, 1800, patience)
    assert abandon_rate(agents, calls, aht, 1800, patience) == pytest.approx(expected, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(
    calls=st.floats(min_value=5, max_value=1500),
    aht=st.floats(min_value=60, max_value=600),
    extra=st.integers(min_value=1, max_value=30),
    within=st.floats(min_value=5, max_value=60),
)
def test_erlang_a_tends_to_erlang_c_as_patience_grows(calls, aht, extra, within):
    agents = math.floor(calls * aht / 1800) + extra
    erlang_c_level = service_level(agents, calls, aht, 1800, within)
    gap = {
        patience: abs(
            erlang_a_service_level(agents, calls, aht, 1800, within, patience) - erlang_c_level
        )
        for patience in (1e9, 1e10, 1e12)
    }
    # The gap shrinks like 1 / patience (its constant is large only near N = A); far from
    # N = A it is already at the ~1e-10 floor of the floating-point sums, hence the slack.
    assert gap[1e10] <= gap[1e9] / 5 + 1e-9
    assert gap[1e12] < 1e-6
    assert erlang_a_service_level(agents, calls, aht, 1800, within, math.inf) == erlang_c_level
    assert abandon_rate(agents, calls, aht, 1800, 1e9) < 1e-4


@settings(max_examples=30, deadline=None)
@given(
    calls=st.floats(min_value=5, max_value=1500),
    aht=st.floats(min_value=60, max_value=600),
    agents=st.integers(min_value=1, max_value=400),
    patience=st.floats(min_value=5, max_value=2000),
)
def test_erlang_a_is_stable_even_when_overloaded_and_improves_with_agents(
    calls, aht, agents, patience
):
    level = erlang_a_service_level(agents, calls, aht, 1800, 20, patience)
    more = erlang_a_service_level(agents + 1, calls, aht, 1800, 20, patience)
    lost = abandon_rate(agents, calls, aht, 1800, patience)
    assert 0.0 <= level <= more + 1e-12 <= 1.0 + 1e-12
    assert 0.0 <= abandon_rate(agents + 1, calls, aht, 1800, patience) <= lost + 1e-12 <= 1.0
    # answered within t, abandoned and answered late are disjoint shares of all offered calls
    assert level + lost <= 1.0 + 1e-9
