"""CP-SAT scheduling: rules always hold, coverage adds up, service comes before wishes."""

import itertools
import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.simulate.contact_centre import PIE_VAN_WINDOW, simulate_agents
from servicechain.staffing.erlang import required_agents_day, service_level
from servicechain.staffing.schedule import (
    UNDERSTAFFING_SCALE,
    WISH_POINTS,
    Agent,
    BreakRules,
    Contract,
    Lock,
    Preferences,
    Problem,
    evaluate_move,
    marginal_sl_cost,
    reoptimise_breaks,
    schedule_from_assignments,
    solve_schedule,
    suggest_lunch_slots,
    suggest_slots,
)

SIX_HOURS = Contract((360,), "08:00", "18:00", paid_breaks=2, lunch_minutes=30)
EIGHT_HOURS = Contract((480, 510), "08:00", "18:00", paid_breaks=2, lunch_minutes=60)
FOUR_HOURS = Contract((240,), "08:00", "18:00", paid_breaks=1, lunch_minutes=0)
CONTRACTS = [SIX_HOURS, EIGHT_HOURS, FOUR_HOURS]
LUNCH_WISHES = [None, ("10:00", "12:00"), ("11:00", "12:00"), ("12:00", "13:30")]
START_WISHES = [None, "08:00", "09:30", "11:00"]


# ----------------------------------------------------------------------------- independent checks


def minutes_of(problem, index):
    return (int(problem.day_start[:2]) * 60 + int(problem.day_start[3:])) + index * 15


def clock_minutes(clock):
    return int(clock[:2]) * 60 + int(clock[3:])


def rule_violations(row, agent, problem):
    """Every hard rule, re-derived from the contract and break rules in minutes."""
    rules, contract = problem.break_rules, agent.contract
    iv = problem.interval_minutes
    found = []
    start, end = minutes_of(problem, row.shift_start), minutes_of(problem, row.shift_end)
    if end - start not in contract.shift_lengths:
        found.append("shift length not in contract")
    if start < clock_minutes(contract.earliest_start) or end > clock_minutes(contract.latest_end):
        found.append("shift outside contract hours")
    if (start - clock_minutes(contract.earliest_start)) % contract.start_step_minutes:
        found.append("start off the contract's step")
    breaks = sorted(row.breaks)
    if len(breaks) != contract.paid_breaks:
        found.append("wrong number of breaks")
    if any((b - a) * iv != rules.break_minutes for a, b in breaks):
        found.append("wrong break length")
    periods = sorted(breaks + ([row.lunch] if row.lunch is not None else []))
    if contract.lunch_minutes:
        if row.lunch is None or (row.lunch[1] - row.lunch[0]) * iv != contract.lunch_minutes:
            found.append("wrong lunch")
        else:
            offset = (row.lunch[0] - row.shift_start) * iv
            if not rules.lunch_window[0] <= offset <= rules.lunch_window[1]:
                found.append("lunch outside its window")
            before_lunch = sum(1 for a, _ in breaks if a < row.lunch[0])
            if before_lunch != math.ceil(contract.paid_breaks / 2):
                found.append("breaks on the wrong side of lunch")
    elif row.lunch is not None:
        found.append("lunch on a contract without one")
    edges = [row.shift_start] + [p for period in periods for p in period] + [row.shift_end]
    work = [(edges[i + 1] - edges[i]) * iv for i in range(0, len(edges), 2)]
    if any(w < 0 for w in work):
        found.append("periods overlap or leave the shift")
    if periods:
        if work[0] < rules.min_work_before_break:
            found.append("too little work before the first break")
        if work[-1] < rules.min_work_after_break:
            found.append("too little work after the last break")
        gap = max(rules.min_work_before_break, rules.min_work_after_break)
        if any(w < gap for w in work[1:-1]):
            found.append("breaks too close together")
        if rules.max_work_without_break is not None and max(work) > rules.max_work_without_break:
            found.append("too long without a break")
    return found


def recomputed_coverage(assignments, intervals):
    scheduled = np.zeros(intervals, dtype=int)
    for row in assignments.itertuples():
        scheduled[row.shift_start : row.shift_end] += 1
        for a, b in row.breaks:
            scheduled[a:b] -= 1
        if row.lunch is not None:
            scheduled[row.lunch[0] : row.lunch[1]] -= 1
    return scheduled


def cumulative_service_points(problem, most=64):
    """``points[t, u]``: cost of ``u`` missing agents in interval ``t``, from the
    documented rule: the k-th missing agent costs ``sl_cost[t, k]`` (the last
    column for any further one), scaled so the costliest first one is 1000."""
    cost = np.ones(problem.intervals) if problem.sl_cost is None else np.asarray(problem.sl_cost)
    cost = cost.reshape(problem.intervals, -1)
    scaled = np.maximum(1, np.rint(UNDERSTAFFING_SCALE * cost / cost[:, 0].max()))
    per_agent = scaled[:, np.minimum(np.arange(most), cost.shape[1] - 1)]
    return np.concatenate([np.zeros((problem.intervals, 1)), per_agent.cumsum(axis=1)], axis=1)


def service_points(under, problem):
    points = cumulative_service_points(problem)
    return points[np.arange(problem.intervals), np.asarray(under, dtype=int)].sum(axis=-1)


def wish_points(agent, start, lunch, problem):
    prefs = agent.preferences
    lunch_unmet = start_unmet = False
    if prefs.lunch_window is not None and lunch is not None:
        first, last = (clock_minutes(c) for c in prefs.lunch_window)
        lunch_unmet = not (
            first <= minutes_of(problem, lunch[0]) and minutes_of(problem, lunch[1]) <= last
        )
    if prefs.preferred_shift_start is not None:
        wished = clock_minutes(prefs.preferred_shift_start)
        start_unmet = abs(minutes_of(problem, start) - wished) > prefs.start_tolerance_minutes
    lunch_w = round(WISH_POINTS * problem.lunch_preference_weight * (1 + prefs.unmet_lunch_days))
    start_w = round(WISH_POINTS * problem.start_preference_weight)
    fair_w = round(WISH_POINTS * problem.fairness_weight)
    return lunch_w * lunch_unmet + start_w * start_unmet + fair_w * (lunch_unmet and start_unmet)


def objective_of(assignments, problem):
    scheduled = recomputed_coverage(assignments, problem.intervals)
    under = np.maximum(0, problem.requirement - scheduled)
    by_id = {a.id: a for a in problem.agents}
    wishes = sum(
        wish_points(by_id[r.agent], r.shift_start, r.lunch, problem)
        for r in assignments.itertuples()
    )
    return float(service_points(under, problem) + wishes)


def all_patterns(agent, problem):
    """Every (start, end, breaks, lunch) the rules allow, by brute-force enumeration."""
    contract = agent.contract
    n_breaks, lunch_len = contract.paid_breaks, contract.lunch_minutes // 15
    patterns = []
    for length in contract.shift_lengths:
        for start in range(problem.intervals):
            end = start + length // 15
            if end > problem.intervals:
                break
            spots = range(start, end)
            lunches = spots if lunch_len else [None]
            for lunch_at in lunches:
                for breaks in itertools.combinations(spots, n_breaks):
                    lunch = (lunch_at, lunch_at + lunch_len) if lunch_at is not None else None
                    row = pd.Series(
                        {
                            "shift_start": start,
                            "shift_end": end,
                            "breaks": [(b, b + 1) for b in breaks],
                            "lunch": lunch,
                        }
                    )
                    if not rule_violations(row, agent, problem):
                        patterns.append(row)
    return patterns


def pattern_coverage(pattern, intervals):
    frame = pd.DataFrame([pattern])
    return recomputed_coverage(frame, intervals)


def small_problem(agents, requirement, **kwargs):
    kwargs.setdefault("time_limit_s", 5.0)
    kwargs.setdefault("num_workers", 2)
    return Problem(agents, np.asarray(requirement), 15, "08:00", **kwargs)


# ----------------------------------------------------------------------------- strategies


@st.composite
def small_problems(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    agents = [
        Agent(
            f"a{k}",
            draw(st.sampled_from(CONTRACTS)),
            Preferences(
                lunch_window=draw(st.sampled_from(LUNCH_WISHES)),
                preferred_shift_start=draw(st.sampled_from(START_WISHES)),
                unmet_lunch_days=draw(st.integers(0, 2)),
            ),
        )
        for k in range(n)
    ]
    requirement = draw(st.lists(st.integers(0, 5), min_size=40, max_size=40))
    depth = draw(st.integers(1, 3))
    sl_cost = draw(st.lists(st.floats(0.1, 3.0), min_size=40 * depth, max_size=40 * depth))
    sl_cost = np.sort(np.reshape(sl_cost, (40, depth)), axis=1).squeeze(
        axis=1 if depth == 1 else None
    )
    return small_problem(agents, requirement, sl_cost=sl_cost, time_limit_s=3.0)


# ----------------------------------------------------------------------------- invariants


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=small_problems())
def test_schedules_never_break_shift_rules_and_coverage_adds_up(problem):
    schedule = solve_schedule(problem)
    by_id = {a.id: a for a in problem.agents}
    assert sorted(schedule.assignments["agent"]) == sorted(by_id)
    for row in schedule.assignments.itertuples():
        assert rule_violations(row, by_id[row.agent], problem) == []
    scheduled = recomputed_coverage(schedule.assignments, problem.intervals)
    np.testing.assert_array_equal(schedule.coverage["scheduled"], scheduled)
    np.testing.assert_array_equal(
        schedule.coverage["under"], np.maximum(0, problem.requirement - scheduled)
    )
    np.testing.assert_array_equal(
        schedule.coverage["over"], np.maximum(0, scheduled - problem.requirement)
    )
    assert schedule.objective == pytest.approx(objective_of(schedule.assignments, problem))
    assert schedule.best_bound <= schedule.objective + 1e-6
    assert schedule.penalty_breakdown["understaffing"] == pytest.approx(
        service_points(schedule.coverage["under"], problem)
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=small_problems(), now=st.integers(min_value=0, max_value=39), seed=st.integers(0, 9))
def test_intraday_reoptimisation_never_moves_taken_breaks_or_shifts(problem, now, seed):
    published = solve_schedule(problem)
    rng = np.random.default_rng(seed)
    surge = problem.requirement + rng.integers(0, 3, problem.intervals)
    replanned = reoptimise_breaks(published, problem, now, requirement=surge)
    before = published.assignments.set_index("agent")
    after = replanned.assignments.set_index("agent")
    by_id = {a.id: a for a in problem.agents}
    for agent_id, row in after.iterrows():
        old = before.loc[agent_id]
        assert (row.shift_start, row.shift_end) == (old.shift_start, old.shift_end)
        old_periods = sorted(old.breaks + ([old.lunch] if old.lunch else []))
        new_periods = sorted(row.breaks + ([row.lunch] if row.lunch else []))
        for was, now_is in zip(old_periods, new_periods, strict=True):
            if was[0] < now:
                assert now_is == was  # taken or under way: untouched
            elif now_is != was:
                assert now_is[0] >= now  # moved only into the future
        assert rule_violations(row, by_id[agent_id], problem) == []
    surge_problem = small_problem(problem.agents, surge, sl_cost=problem.sl_cost)
    assert replanned.objective <= objective_of(published.assignments, surge_problem) + 1e-6


# ----------------------------------------------------------------------------- optimality


@pytest.mark.parametrize(("seed", "depth"), [(0, 1), (1, 1), (2, 3)])
def test_solution_is_as_good_as_brute_force_enumeration(seed, depth):
    rng = np.random.default_rng(seed)
    day = Contract((300,), "08:00", "14:00", paid_breaks=2, lunch_minutes=30)
    part = Contract((180,), "08:00", "14:00", paid_breaks=1, lunch_minutes=0)
    rules = BreakRules(min_work_before_break=45, min_work_after_break=45, lunch_window=(120, 180))
    agents = [
        Agent(
            "x", day, Preferences(lunch_window=("10:30", "11:30"), preferred_shift_start="08:00")
        ),
        Agent("y", day, Preferences(lunch_window=("11:30", "12:30"))),
        Agent("z", part, Preferences(preferred_shift_start="10:00")),
    ]
    requirement = rng.integers(0, 4, 24)
    cost = np.sort(rng.uniform(0.2, 2, (24, depth)), axis=1).squeeze()
    problem = small_problem(agents, requirement, break_rules=rules, sl_cost=cost)
    patterns = [all_patterns(a, problem) for a in agents]
    covers = [np.array([pattern_coverage(p, 24) for p in ps]) for ps in patterns]
    wishes = [
        np.array([wish_points(a, p.shift_start, p.lunch, problem) for p in ps])
        for a, ps in zip(agents, patterns, strict=True)
    ]
    pair = covers[0][:, None, :] + covers[1][None, :, :]
    best = math.inf
    for k in range(len(patterns[2])):
        under = service_points(np.maximum(0, requirement - pair - covers[2][k]), problem)
        total = under + wishes[0][:, None] + wishes[1][None, :] + wishes[2][k]
        best = min(best, total.min())
    schedule = solve_schedule(problem)
    assert schedule.status == "OPTIMAL"
    assert schedule.objective == pytest.approx(best)


# ----------------------------------------------------------------------------- behaviour


def test_service_comes_before_a_lunch_wish():
    # One agent on 08:00-14:00; nobody is needed 11:00-11:30, the wish is 10:00-11:00.
    agent = Agent("a", SIX_HOURS, Preferences(lunch_window=("10:00", "11:00")))
    requirement = np.zeros(40, dtype=int)
    requirement[0:24] = 1
    requirement[12:14] = 0
    problem = small_problem([agent], requirement)
    schedule = solve_schedule(problem)
    row = schedule.assignments.iloc[0]
    assert row.lunch == (12, 14)
    assert row.lunch_preference_met is not pd.NA and not row.lunch_preference_met
    assert schedule.coverage["under"].sum() == 2  # the two paid breaks, nothing more


def test_a_lunch_wish_is_honoured_when_service_allows():
    agent = Agent("a", SIX_HOURS, Preferences(lunch_window=("11:00", "12:00")))
    problem = small_problem([agent], np.zeros(40, dtype=int))
    schedule = solve_schedule(problem)
    assert schedule.assignments.iloc[0].lunch_preference_met
    assert schedule.lunch_preferences_met == 1.0
    assert schedule.objective == 0


def test_fairness_spreads_disappointment_over_agents():
    # Two identical agents wish to start 08:30-09:30 and lunch 12:15-12:45. Demand
    # at 09:30 needs one early starter, demand at 15:30 one late starter (>= 09:45),
    # and demand at 12:15-12:45 lets only one of them lunch then. Either the early
    # starter gets both wishes (and the late one none), or each gets one: the
    # same number of wishes, but fairness prefers the second.
    wish = Preferences(lunch_window=("12:15", "12:45"), preferred_shift_start="09:00")
    agents = [Agent("a", SIX_HOURS, wish), Agent("b", SIX_HOURS, wish)]
    requirement = np.zeros(40, dtype=int)
    requirement[[6, 17, 18, 30]] = 1
    for fairness, expected_both_unmet in [(0.0, None), (5.0, 0)]:
        problem = small_problem(agents, requirement, fairness_weight=fairness)
        schedule = solve_schedule(problem)
        met = schedule.assignments[["lunch_preference_met", "start_preference_met"]].astype(bool)
        assert schedule.coverage["under"].sum() == 0
        assert met.to_numpy().sum() == 2
        both_unmet = int((~met["lunch_preference_met"] & ~met["start_preference_met"]).sum())
        if expected_both_unmet is not None:
            assert both_unmet == expected_both_unmet
            assert schedule.penalty_breakdown["fairness"] == 0


def test_convex_service_cost_spreads_breaks_instead_of_stacking_them():
    morning = Contract((240,), "08:00", "12:00", paid_breaks=1, lunch_minutes=0)
    agents = [Agent(f"a{k}", morning) for k in range(3)]
    steep = np.tile([1.0, 5.0, 25.0], (16, 1))
    problem = Problem(agents, np.full(16, 3), 15, "08:00", sl_cost=steep, time_limit_s=5.0)
    schedule = solve_schedule(problem)
    assert schedule.coverage["on_break"].max() == 1
    assert schedule.coverage["under"].sum() == 3
    assert schedule.penalty_breakdown["understaffing"] == 3 * UNDERSTAFFING_SCALE


def test_shift_only_schedules_have_no_breaks_and_cover_whole_shifts():
    agents = [Agent(f"a{k}", SIX_HOURS) for k in range(3)]
    problem = small_problem(agents, np.full(40, 2))
    schedule = solve_schedule(problem, breaks=False)
    assert all(b == [] for b in schedule.assignments["breaks"])
    assert schedule.assignments["lunch"].isna().all()
    np.testing.assert_array_equal(schedule.coverage["scheduled"], schedule.coverage["on_shift"])


def test_agents_whose_contract_excludes_the_weekday_are_off():
    weekend = Contract((360,), "08:00", "18:00", working_days=(5, 6))
    agents = [Agent("weekday", SIX_HOURS), Agent("weekend", weekend)]
    schedule = solve_schedule(small_problem(agents, np.ones(40, dtype=int), weekday=2))
    assert schedule.assignments["agent"].tolist() == ["weekday"]
    assert schedule.off_agents == ["weekend"]


def test_locks_fix_the_shift_and_named_breaks():
    agents = [Agent("a", SIX_HOURS), Agent("b", SIX_HOURS)]
    lock = Lock(shift=(8, 32), activity_starts=((0, 13),))
    schedule = solve_schedule(small_problem(agents, np.full(40, 2), locks={"a": lock}))
    row = schedule.assignment("a")
    assert (row.shift_start, row.shift_end) == (8, 32)
    assert row.activities[0] == (13, 14)


def test_problems_explain_what_is_wrong():
    with pytest.raises(ValueError, match="unknown agents"):
        small_problem([Agent("a")], np.ones(40, dtype=int), locks={"b": Lock()})
    with pytest.raises(ValueError, match="lunch_minutes"):
        Contract(lunch_minutes=45)
    with pytest.raises(ValueError, match="no feasible shift"):
        solve_schedule(small_problem([Agent("a", Contract((600,), "08:00", "12:00"))], np.ones(40)))
    with pytest.raises(ValueError, match="time_limit_s"):
        small_problem([Agent("a")], np.ones(40, dtype=int), time_limit_s=0)


def test_marginal_sl_cost_prices_each_further_missing_agent_at_least_as_high():
    calls, aht = np.array([40.0, 200.0, 0.0]), np.array([240.0, 240.0, 240.0])
    requirement = np.r_[required_agents_day(calls[:2], aht[:2], 900, 0.8, 20), 2]

    def lost(interval, k):
        n, c = requirement[interval], calls[interval]
        return c * (
            service_level(n - k + 1, c, 240, 900, 20) - service_level(n - k, c, 240, 900, 20)
        )

    cost = marginal_sl_cost(requirement, calls, aht, 15, 20, depth=6)
    assert cost.shape == (3, 6)
    assert (np.diff(cost, axis=1) >= 0).all()
    top = max(lost(0, 1), lost(1, 1))
    for interval in (0, 1):
        expected = np.maximum.accumulate([lost(interval, k) for k in range(1, 7)]) / top
        np.testing.assert_allclose(cost[interval], expected)
    assert (cost[2] == 0).all()


def test_marginal_sl_cost_is_the_calls_lost_by_one_missing_agent():
    calls, aht = np.array([0.0, 100.0, 300.0]), np.array([300.0, 240.0, 240.0])
    requirement = required_agents_day(calls, aht, 900, 0.8, 20)
    cost = marginal_sl_cost(requirement, calls, aht, 15, 20)
    raw = [
        c * (service_level(n, c, a, 900, 20) - service_level(n - 1, c, a, 900, 20))
        for n, c, a in zip(requirement[1:], calls[1:], aht[1:], strict=True)
    ]
    np.testing.assert_allclose(cost, np.r_[0.0, raw] / max(raw))


# ----------------------------------------------------------------------------- self-organised lunches


@pytest.fixture(scope="module")
def team_day():
    agents = simulate_agents(24, seed=3)
    calls = np.zeros(48)
    calls[:] = 60 * np.exp(-0.5 * ((np.arange(48) - 10) / 6) ** 2) + 20
    aht = np.full(48, 300.0)
    requirement = required_agents_day(calls, aht, 900, 0.8, 20)
    problem = Problem(
        agents,
        requirement,
        15,
        "08:00",
        sl_cost=marginal_sl_cost(requirement, calls, aht),
        time_limit_s=5.0,
        calls=calls,
        aht_s=aht,
    )
    return problem, solve_schedule(problem)


def test_simulated_team_wants_lunch_at_the_pie_van():
    agents = simulate_agents(300, seed=1)
    wishes = [a.preferences.lunch_window for a in agents]
    van = sum(w in (PIE_VAN_WINDOW, ("11:00", "12:00")) for w in wishes)
    assert van > 0.1 * len(agents)
    assert len({a.id for a in agents}) == 300


def test_moving_a_lunch_shifts_one_agent_of_coverage_and_is_priced_by_erlang(team_day):
    problem, schedule = team_day
    agent = schedule.assignments.dropna(subset=["lunch"]).agent.iloc[0]
    lunch = schedule.assignment(agent).lunch
    slots = suggest_lunch_slots(schedule, problem, agent, k=50)
    target = int(slots.lunch_start.iloc[-1])
    start = time.perf_counter()
    impact = evaluate_move(schedule, problem, agent, new_lunch_start=target)
    assert time.perf_counter() - start < 0.05
    assert impact.allowed
    length = lunch[1] - lunch[0]
    old, new = set(range(*lunch)), set(range(target, target + length))
    for row in impact.intervals.itertuples():
        delta = (row.interval in old) - (row.interval in new)
        assert row.scheduled_after - row.scheduled_before == delta
        assert row.service_level_after == pytest.approx(
            service_level(row.scheduled_after, problem.calls[row.interval], 300.0, 900, 20)
        )
    assert set(impact.intervals.interval) == old ^ new


def test_moves_outside_the_rules_are_refused(team_day):
    problem, schedule = team_day
    agent = schedule.assignments.dropna(subset=["lunch"]).agent.iloc[0]
    row = schedule.assignment(agent)
    impact = evaluate_move(schedule, problem, agent, new_lunch_start=row.shift_start)
    assert not impact.allowed and impact.reason


def test_lunch_suggestions_are_allowed_alternatives_cheapest_first(team_day):
    problem, schedule = team_day
    agent = schedule.assignments.dropna(subset=["lunch"]).agent.iloc[1]
    current = schedule.assignment(agent).lunch[0]
    slots = suggest_lunch_slots(schedule, problem, agent, k=3)
    assert 0 < len(slots) <= 3
    assert current not in slots.lunch_start.tolist()
    assert slots.cost_change.is_monotonic_increasing
    for start in slots.lunch_start:
        assert evaluate_move(schedule, problem, agent, new_lunch_start=int(start)).allowed


def test_swapping_two_lunches_keeps_coverage_when_they_are_the_same_length(team_day):
    problem, schedule = team_day
    with_lunch = schedule.assignments.dropna(subset=["lunch"])
    same = with_lunch[with_lunch.lunch.map(lambda p: p[1] - p[0]) == 2].agent.tolist()
    impact = evaluate_move(schedule, problem, same[0], swap_with=same[1])
    assert impact.cost_change == 0
    assert (impact.intervals.scheduled_after == impact.intervals.scheduled_before).all()


def test_break_moves_are_offered_exactly_where_the_rules_allow_them(team_day):
    problem, schedule = team_day
    by_id = {a.id: a for a in problem.agents}
    full_days = schedule.assignments[schedule.assignments.breaks.map(len) == 2]
    agent = full_days.agent.iloc[0]
    mine = schedule.assignment(agent)
    first_break = mine.activities[0]

    def moved_to(start):
        breaks = [(start, start + 1)] + [b for b in mine.breaks if b != first_break]
        return pd.Series(
            {
                "shift_start": mine.shift_start,
                "shift_end": mine.shift_end,
                "breaks": breaks,
                "lunch": mine.lunch,
            }
        )

    allowed = {
        start
        for start in range(mine.shift_start, mine.shift_end)
        if start != first_break[0] and not rule_violations(moved_to(start), by_id[agent], problem)
    }
    slots = suggest_slots(schedule, problem, agent, activity=0, k=100)
    assert set(slots.start) == allowed
    impact = evaluate_move(schedule, problem, agent, new_start=int(slots.start.iloc[0]), activity=0)
    assert impact.allowed and impact.activity == 0
    assert impact.old_period == first_break and impact.new_lunch == mine.lunch
    refused = evaluate_move(schedule, problem, agent, new_start=mine.lunch[1] + 5, activity=0)
    assert not refused.allowed and refused.reason


def test_a_stored_day_rebuilds_into_the_same_scored_schedule(team_day):
    problem, schedule = team_day
    stored = schedule.assignments[["agent", "shift_start", "shift_end", "breaks", "lunch"]]
    rebuilt = schedule_from_assignments(stored, problem, status="OPTIMAL")
    pd.testing.assert_frame_equal(rebuilt.coverage, schedule.coverage)
    pd.testing.assert_frame_equal(rebuilt.assignments, schedule.assignments)
    assert rebuilt.penalty_breakdown == schedule.penalty_breakdown
    assert rebuilt.objective == schedule.objective
    assert math.isnan(rebuilt.gap) and rebuilt.status == "OPTIMAL"
    with pytest.raises(ValueError, match="not in the problem"):
        schedule_from_assignments(stored.assign(agent="nobody"), problem)


def test_a_break_keeps_its_place_in_shift_order_on_a_day_without_lunch():
    # 08:00-14:00, two 15-minute breaks at 09:00 and 11:00, no lunch.
    agent = Agent("a", Contract(shift_lengths=(360,), paid_breaks=2, lunch_minutes=0))
    rules = BreakRules(
        min_work_before_break=30, min_work_after_break=30, max_work_without_break=None
    )
    problem = small_problem([agent], np.ones(24, dtype=int), break_rules=rules)
    stored = pd.DataFrame(
        [
            {
                "agent": "a",
                "shift_start": 0,
                "shift_end": 24,
                "breaks": [(4, 5), (12, 13)],
                "lunch": None,
            }
        ]
    )
    day = schedule_from_assignments(stored, problem)

    jump = evaluate_move(day, problem, "a", new_start=17, activity=0)
    stay = evaluate_move(day, problem, "a", new_start=7, activity=0)
    slots = suggest_slots(day, problem, "a", activity=0, k=100)

    assert not jump.allowed and "order" in jump.reason
    assert stay.allowed
    assert slots.start.max() < 12, "the first break is never offered after the second"
