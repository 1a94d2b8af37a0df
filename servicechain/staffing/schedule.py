"""Shift, break and lunch scheduling with CP-SAT, and the intraday tools built on it.

The model, in the style of OR-Tools' ``shift_scheduling_sat.py``: hard rules are
constraints, wishes are penalties collected from one small builder per family,
the solver always runs with a time limit, and the result carries a penalty
breakdown.

Hard rules (per working agent)
    * exactly one shift ``(start, length)`` from the contract: allowed lengths,
      start on the contract's step, inside ``[earliest_start, latest_end]``;
    * inside it, in this order, the paid breaks before lunch, the lunch, the
      remaining paid breaks (e.g. break, lunch, break), each exactly once;
    * at least ``min_work_before_break`` on the phone before every break or
      lunch and ``min_work_after_break`` after it (so consecutive ones are at
      least the larger of the two apart), at most ``max_work_without_break``
      between them, and lunch starting within ``lunch_window`` of shift start;
    * locks (intraday): a fixed shift, fixed break starts, nothing free before
      ``not_before``.

Objective, lexicographic (two CP-SAT stages)
    1. service: minimise the cost of ``under_t = max(0, required_t -
       on_phone_t)`` missing agents, ``sl_cost`` per missing agent-interval or,
       convex, per k-th missing agent in an interval (scaled so the costliest
       first missing agent costs 1000 points);
    2. wishes, among plans as good as stage 1 on service: 10 points per unmet
       lunch wish (lunch wholly inside the wished window; weighted up by the
       days the wish recently went unmet), 5 per unmet start wish, 10 per agent
       with *both* unmet (fairness: disappointments spread, not stacked) and,
       intraday, 1 per break moved from the published plan.
    ``objective`` adds both stages' points; no wish is ever bought with service.

Formulation (what makes 200 agents x 96 intervals tractable)
    Agents with the same day-relevant contract (and lock) are interchangeable
    for coverage, so the model counts rather than names them (an implicit,
    Aykin-style model): ``shifts[g, o]`` agents of group ``g`` work shift ``o``
    and ``starts[g, o, i, t]`` of them start activity ``i`` at ``t`` inside
    their window. Cumulative-count constraints make the counts splittable
    into individual, rule-abiding days (sorted pairing of break and lunch
    starts, see :func:`_add_activity_sequencing`), so the model is exact, has
    no symmetry between identical agents and a tight LP relaxation. Coverage
    per interval is a sum of a few dozen aggregated counters. Wishes are a
    transportation problem from wish classes to (shift, lunch start) cells,
    also exact. Finally agents are matched to the day patterns within their
    group by a minimum-cost assignment (Hungarian algorithm) on the same
    points. Each stage runs one single-threaded LP-guided CP-SAT search per
    core with different seeds (a portfolio), which on this model beats the
    default multi-worker mix.

References
----------
Aykin, T. (1996). Optimal shift scheduling with multiple break windows.
*Management Science* 42(4), 591–602.
Dantzig, G. B. (1954). A comment on Edie's "Traffic delays at toll booths".
*Operations Research* 2(3), 339–341 (the set-covering shift model).
Gans, N., Koole, G. & Mandelbaum, A. (2003). Telephone call centers: tutorial,
review, and research prospects. *M&SOM* 5(2), 79–141, §5 (scheduling).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model
from scipy.optimize import linear_sum_assignment

from servicechain.staffing.erlang import service_level_day

__all__ = [
    "Agent",
    "Assignment",
    "BreakRules",
    "Contract",
    "Lock",
    "MoveImpact",
    "Preferences",
    "Problem",
    "Schedule",
    "allowed_shifts",
    "coverage_from_assignments",
    "evaluate_move",
    "marginal_sl_cost",
    "reoptimise_breaks",
    "schedule_from_assignments",
    "solve_schedule",
    "suggest_lunch_slots",
    "suggest_slots",
]

UNDERSTAFFING_SCALE = 1000  # points per missing agent-interval at the costliest interval
WISH_POINTS = 10  # points per unmet wish at weight 1


# =========================================================================== inputs


@dataclass(frozen=True)
class Contract:
    """What an agent's contract allows on a working day.

    Parameters
    ----------
    shift_lengths : tuple of int
        Allowed shift lengths in minutes, on site (unpaid lunch included).
    earliest_start, latest_end : str
        Clock times ``"HH:MM"`` (``"24:00"`` allowed for the end).
    working_days : tuple of int
        Weekdays worked, Monday = 0.
    paid_breaks : int
        Number of paid breaks of ``BreakRules.break_minutes`` per shift.
    lunch_minutes : int
        Lunch length: 0 (none, short shifts), 30 or 60.
    start_step_minutes : int
        Starts allowed every this many minutes from ``earliest_start``.
    """

    shift_lengths: tuple[int, ...] = (510,)
    earliest_start: str = "07:00"
    latest_end: str = "20:00"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    paid_breaks: int = 2
    lunch_minutes: int = 30
    start_step_minutes: int = 15

    def __post_init__(self):
        if self.lunch_minutes not in (0, 30, 60):
            raise ValueError(f"lunch_minutes must be 0, 30 or 60, got {self.lunch_minutes}")
        if not self.shift_lengths or min(self.shift_lengths) <= 0:
            raise ValueError("shift_lengths needs at least one positive length in minutes")
        if self.paid_breaks < 0:
            raise ValueError("paid_breaks must be >= 0")


@dataclass(frozen=True)
class BreakRules:
    """Rules for placing breaks and lunches inside a shift (all in minutes).

    Parameters
    ----------
    break_minutes : int
        Length of a paid break.
    breaks_per_shift : int, optional
        Overrides every contract's ``paid_breaks`` when given.
    lunch_window : (int, int)
        Earliest and latest lunch *start*, in minutes after shift start.
    min_work_before_break : int
        Minimum time on the phone before any break or lunch (from shift start
        or the end of the previous one).
    min_work_after_break : int
        Minimum time on the phone after any break or lunch (until the next one
        or shift end).
    max_work_without_break : int, optional
        Longest stretch on the phone without a break or lunch.
    """

    break_minutes: int = 15
    breaks_per_shift: int | None = None
    lunch_window: tuple[int, int] = (150, 330)
    min_work_before_break: int = 60
    min_work_after_break: int = 60
    max_work_without_break: int | None = 180


@dataclass(frozen=True)
class Preferences:
    """An agent's wishes for the day (soft: honoured when service allows).

    Parameters
    ----------
    lunch_window : (str, str), optional
        Clock window the lunch should lie wholly inside, e.g. ``("10:00", "12:00")``
        (the pie van).
    preferred_shift_start : str, optional
        Wished shift start ``"HH:MM"``.
    start_tolerance_minutes : int
        A start this close to the wish counts as met.
    unmet_lunch_days : int
        Recent days this agent's lunch wish went unmet; each adds one unit of
        weight to it (fairness over time).
    """

    lunch_window: tuple[str, str] | None = None
    preferred_shift_start: str | None = None
    start_tolerance_minutes: int = 30
    unmet_lunch_days: int = 0


@dataclass(frozen=True)
class Agent:
    """A person to schedule: an id, a contract and wishes."""

    id: str
    contract: Contract = field(default_factory=Contract)
    preferences: Preferences = field(default_factory=Preferences)


@dataclass(frozen=True)
class Lock:
    """What may no longer change for one agent (intraday or manual fixes).

    Parameters
    ----------
    shift : (int, int), optional
        Fixed shift as interval indices ``(start, end)``, end exclusive.
    activity_starts : tuple of (int, int)
        ``(activity index, start interval)`` pairs fixed; activities are indexed
        in shift order (e.g. 0 = first break, 1 = lunch, 2 = second break).
    not_before : int
        Activities not fixed must start at or after this interval ("now").
    """

    shift: tuple[int, int] | None = None
    activity_starts: tuple[tuple[int, int], ...] = ()
    not_before: int = 0


@dataclass
class Problem:
    """A day to schedule.

    Parameters
    ----------
    agents : sequence of Agent
        Everyone who might work.
    requirement : array of int
        Agents needed *on the phone* per interval (breaks excluded).
    interval_minutes : int
        Interval length; ``len(requirement)`` intervals from ``day_start``.
    day_start : str
        Clock time of interval 0.
    weekday : int, optional
        Day of week (Monday = 0); agents whose contract excludes it are off.
    break_rules : BreakRules
    sl_cost : array of float, optional
        Weight of one missing agent per interval (default 1 everywhere), or an
        ``(intervals, depth)`` array pricing the 1st, 2nd, ... missing agent
        (rows non-decreasing; the last column prices any further one); see
        :func:`marginal_sl_cost` for costs from the Erlang service level.
    time_limit_s : float
        Solver time limit (always set).
    relative_gap_limit : float
        Stop once (objective - bound) / objective is at most this.
    fairness_weight, lunch_preference_weight, start_preference_weight : float
        Multipliers of the wish penalties.
    change_weight : float
        Points per break moved from the published plan (intraday).
    locks : mapping of agent id to Lock
    calls, aht_s : array of float, optional
        Forecast per interval, for projected service levels in the output.
    answer_within_s, target_service_level : float
        Service-level definition used for projections.
    num_workers : int, optional
        Solver threads (default: all cores).
    random_seed : int
    work_limit : float, optional
        A further limit in CP-SAT's *deterministic* seconds (a count of work, not of
        time). With ``num_workers=1`` and only this limit binding, the same problem gives
        the same plan on any machine under any load, which wall-clock limits cannot
        promise (demos and tests use it); ``time_limit_s`` still always applies.
    """

    agents: Sequence[Agent]
    requirement: np.ndarray
    interval_minutes: int = 15
    day_start: str = "00:00"
    weekday: int | None = None
    break_rules: BreakRules = field(default_factory=BreakRules)
    sl_cost: np.ndarray | None = None
    time_limit_s: float = 10.0
    relative_gap_limit: float = 0.0
    fairness_weight: float = 1.0
    lunch_preference_weight: float = 1.0
    start_preference_weight: float = 0.5
    change_weight: float = 0.1
    locks: Mapping[str, Lock] = field(default_factory=dict)
    calls: np.ndarray | None = None
    aht_s: np.ndarray | None = None
    answer_within_s: float = 20.0
    target_service_level: float = 0.8
    num_workers: int | None = None
    random_seed: int = 0
    work_limit: float | None = None

    def __post_init__(self):
        self.requirement = np.asarray(self.requirement, dtype=np.int64)
        if self.requirement.ndim != 1 or (self.requirement < 0).any():
            raise ValueError("requirement must be a 1-d array of agents >= 0 per interval")
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be > 0: the solver always runs with a limit")
        ids = [a.id for a in self.agents]
        if len(set(ids)) != len(ids):
            raise ValueError("agent ids must be unique")
        unknown = set(self.locks) - set(ids)
        if unknown:
            raise ValueError(f"locks name unknown agents {sorted(unknown)}")

    @property
    def intervals(self) -> int:
        return len(self.requirement)

    def interval_index(self, clock: str) -> int:
        """Interval index of a clock time ``"HH:MM"`` (must fall on a boundary)."""
        offset = _clock_minutes(clock) - _clock_minutes(self.day_start)
        if offset % self.interval_minutes:
            raise ValueError(
                f"{clock} is not on a {self.interval_minutes}-minute boundary from {self.day_start}"
            )
        return offset // self.interval_minutes

    def interval_clock(self, index: int) -> str:
        """Clock time ``"HH:MM"`` at the start of interval ``index``."""
        minutes = _clock_minutes(self.day_start) + index * self.interval_minutes
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    def to_intervals(self, minutes: int, what: str) -> int:
        if minutes % self.interval_minutes:
            raise ValueError(
                f"{what} of {minutes} min is not a multiple of {self.interval_minutes}"
            )
        return minutes // self.interval_minutes


# =========================================================================== outputs


@dataclass(frozen=True)
class Assignment:
    """One agent's day: shift and off-phone periods as interval ``(start, end)``."""

    agent: str
    shift_start: int
    shift_end: int
    breaks: tuple[tuple[int, int], ...] = ()
    lunch: tuple[int, int] | None = None

    @property
    def activities(self) -> list[tuple[int, int]]:
        """Breaks and lunch in time order."""
        periods = list(self.breaks) + ([self.lunch] if self.lunch else [])
        return sorted(periods)


@dataclass
class Schedule:
    """A solved day.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per working agent: ``agent, shift_start, shift_end`` (interval
        indices, end exclusive), ``start_clock, end_clock``, ``breaks`` (list of
        ``(start, end)``), ``lunch`` (``(start, end)`` or None),
        ``lunch_preference_met`` and ``start_preference_met`` (nullable
        booleans; ``<NA>``: no such wish).
    coverage : pandas.DataFrame
        One row per interval: ``interval, clock, required, on_shift, on_break,
        scheduled`` (on the phone), ``under, over`` and
        ``projected_service_level`` (Erlang C with the problem's forecast; NaN
        without one).
    objective, best_bound, gap : float
        Objective points of the final plan (the sum of ``penalty_breakdown``),
        a proven lower bound and ``(objective - bound) / max(1, objective)``.
    understaffing_gap : float
        Relative gap of the first, service-only stage.
    status : str
        OPTIMAL when both lexicographic stages were proven optimal, else
        FEASIBLE (or KEPT_PUBLISHED, see :func:`reoptimise_breaks`).
    penalty_breakdown : dict
        Objective points per penalty family.
    lunch_preferences_met : float or None
        Share of agents with a lunch wish whose lunch lies in their window.
    solve_seconds : float
        Wall time of the solver; ``build_seconds`` is model construction.
    """

    assignments: pd.DataFrame
    coverage: pd.DataFrame
    objective: float
    best_bound: float
    gap: float
    status: str
    penalty_breakdown: dict
    lunch_preferences_met: float | None
    solve_seconds: float
    build_seconds: float = 0.0
    off_agents: list = field(default_factory=list)
    understaffing_gap: float = 0.0

    @property
    def understaffed_agent_intervals(self) -> int:
        """Sum over intervals of agents missing on the phone."""
        return int(self.coverage["under"].sum())

    def assignment(self, agent_id: str) -> Assignment:
        """The :class:`Assignment` of one agent."""
        row = self.assignments.set_index("agent").loc[agent_id]
        return Assignment(
            agent_id,
            int(row["shift_start"]),
            int(row["shift_end"]),
            tuple(tuple(b) for b in row["breaks"]),
            tuple(row["lunch"]) if row["lunch"] is not None else None,
        )


@dataclass
class MoveImpact:
    """Service-level effect of moving a lunch or break (see :func:`evaluate_move`).

    ``intervals`` lists every interval whose coverage changes (columns
    ``interval, clock, required, scheduled_before, scheduled_after,
    service_level_before, service_level_after``); ``stays_on_target`` is True
    when every one of them is at or above the target after the move or at
    least no worse than before; ``cost_change`` is the change in SL-weighted
    under-staffing points (negative is better). ``old_lunch``/``new_lunch`` are
    the agent's lunch before and after; ``activity``, ``old_period`` and
    ``new_period`` name the period that moved (index in shift order).
    """

    agent: str
    old_lunch: tuple[int, int] | None
    new_lunch: tuple[int, int] | None
    intervals: pd.DataFrame
    stays_on_target: bool
    cost_change: float
    allowed: bool
    reason: str = ""
    activity: int | None = None
    old_period: tuple[int, int] | None = None
    new_period: tuple[int, int] | None = None


# =========================================================================== helpers


def marginal_sl_cost(
    requirement,
    calls,
    aht_s,
    interval_minutes: int = 15,
    answer_within_s: float = 20.0,
    depth: int = 1,
) -> np.ndarray:
    """Service-level cost of missing agents per interval (Erlang C).

    ``cost[t, k-1] = calls_t * (SL(N_t - k + 1) - SL(N_t - k))`` is the expected
    number of calls no longer answered within ``answer_within_s`` because of the
    k-th missing agent in interval ``t`` (``N_t`` = requirement). The k-th costs
    more than the first: a queue one agent short still copes, one five short
    does not. Below the traffic, Erlang C's service level is already 0, so each
    row is made non-decreasing in ``k`` (its running maximum): every further
    missing agent costs at least as much as the one before, which keeps the
    scheduler's cost convex. Intervals without calls cost nothing. Costs are
    normalised so the costliest *first* missing agent of the day costs 1.

    Parameters
    ----------
    requirement, calls, aht_s : array_like
        Agents required, calls and AHT (s) per interval.
    interval_minutes : int
    answer_within_s : float
    depth : int, default 1
        Number of missing agents priced per interval. 1 returns a 1-d array
        (one weight per interval, linear in the shortfall); more returns an
        ``(intervals, depth)`` array, the last column pricing every agent
        beyond ``depth``.

    Returns
    -------
    numpy.ndarray
        1-d or 2-d costs, ready for ``Problem.sl_cost``.
    """
    requirement = np.asarray(requirement, dtype=np.int64)
    calls = np.asarray(calls, dtype=float)
    aht = np.where(calls > 0, np.asarray(aht_s, dtype=float), 1.0)
    interval_s = 60.0 * interval_minutes
    columns, previous = [], service_level_day(requirement, calls, aht, interval_s, answer_within_s)
    for k in range(1, depth + 1):
        level = service_level_day(
            np.maximum(requirement - k, 0), calls, aht, interval_s, answer_within_s
        )
        columns.append(np.where(requirement >= k, calls * (previous - level), 0.0))
        previous = level
    cost = np.maximum.accumulate(np.column_stack(columns), axis=1)
    top = cost[:, 0].max()
    if top > 0:
        cost = cost / top
    else:  # no calls anywhere: every missing agent counts the same
        cost = np.where(requirement[:, None] >= np.arange(1, depth + 1), 1.0, 0.0)
    return cost[:, 0] if depth == 1 else cost


def coverage_from_assignments(assignments: pd.DataFrame, intervals: int) -> pd.DataFrame:
    """Agents on shift, on break and on the phone per interval, from assignments.

    The one place coverage is computed from a schedule (the solver's own
    coverage counters are checked against it in the tests).
    """
    on_shift = np.zeros(intervals, dtype=np.int64)
    on_break = np.zeros(intervals, dtype=np.int64)
    for row in assignments.itertuples():
        on_shift[row.shift_start : row.shift_end] += 1
        for start, end in _off_phone(row):
            on_break[start:end] += 1
    return pd.DataFrame(
        {"on_shift": on_shift, "on_break": on_break, "scheduled": on_shift - on_break}
    )


def _off_phone(row) -> list[tuple[int, int]]:
    periods = list(row.breaks)
    if row.lunch is not None:
        periods.append(row.lunch)
    return periods


# =========================================================================== discretisation


@dataclass(frozen=True)
class _Activity:
    kind: str  # "break" or "lunch"
    duration: int  # intervals


@dataclass
class _Group:
    """Agents interchangeable for coverage: same day-relevant contract terms and lock.

    ``options`` are the feasible shifts ``(start, length)``; ``windows[o][i]`` is
    the absolute start window ``(lo, hi)`` of activity ``i`` in shift ``o``.
    """

    agents: list[Agent]
    options: list[tuple[int, int]]
    activities: list[_Activity]
    windows: list[list[tuple[int, int]]]
    gap: int
    max_stretch: int | None
    lock: Lock | None

    @property
    def size(self) -> int:
        return len(self.agents)

    @property
    def lunch_index(self) -> int | None:
        for i, activity in enumerate(self.activities):
            if activity.kind == "lunch":
                return i
        return None


def _group_agents(problem: Problem, with_breaks: bool) -> tuple[list[_Group], list[str]]:
    """Working agents grouped by what coverage can tell apart; ids of agents off today."""
    members = defaultdict(list)
    off = []
    for agent in problem.agents:
        contract = agent.contract
        if problem.weekday is not None and problem.weekday not in contract.working_days:
            off.append(agent.id)
            continue
        day_terms = replace(contract, working_days=())
        members[(day_terms, problem.locks.get(agent.id))].append(agent)
    groups = [
        _plan_group(agents, contract, lock, problem, with_breaks)
        for (contract, lock), agents in members.items()
    ]
    return groups, off


def _plan_group(agents, contract, lock, problem: Problem, with_breaks: bool) -> _Group:
    rules = problem.break_rules
    activities = _activities(contract, rules, problem) if with_breaks else []
    before = math.ceil(rules.min_work_before_break / problem.interval_minutes)
    after = math.ceil(rules.min_work_after_break / problem.interval_minutes)
    max_stretch = (
        rules.max_work_without_break // problem.interval_minutes
        if rules.max_work_without_break is not None
        else None
    )
    lunch_window = (
        math.ceil(rules.lunch_window[0] / problem.interval_minutes),
        rules.lunch_window[1] // problem.interval_minutes,
    )
    options, windows = [], []
    for start, length in _shift_candidates(contract, problem, lock):
        window = _activity_windows(
            start, length, activities, before, after, max(before, after), max_stretch, lunch_window
        )
        if window is not None:
            window = _apply_lock_to_windows(window, lock)
        if window is not None:
            options.append((start, length))
            windows.append(window)
    if not options:
        names = ", ".join(a.id for a in agents)
        raise ValueError(
            f"no feasible shift for {names}: check the contract hours, shift lengths and "
            "break rules against the day's intervals"
        )
    return _Group(agents, options, activities, windows, max(before, after), max_stretch, lock)


def _activities(contract: Contract, rules: BreakRules, problem: Problem) -> list[_Activity]:
    breaks = rules.breaks_per_shift if rules.breaks_per_shift is not None else contract.paid_breaks
    brk = _Activity("break", problem.to_intervals(rules.break_minutes, "break_minutes"))
    if contract.lunch_minutes == 0:
        return [brk] * breaks
    lunch = _Activity("lunch", problem.to_intervals(contract.lunch_minutes, "lunch_minutes"))
    before_lunch = (breaks + 1) // 2
    return [brk] * before_lunch + [lunch] + [brk] * (breaks - before_lunch)


def _shift_candidates(contract: Contract, problem: Problem, lock: Lock | None):
    if lock is not None and lock.shift is not None:
        start, end = lock.shift
        return [(start, end - start)]
    first = problem.interval_index(contract.earliest_start)
    earliest = max(0, first)
    latest_end = min(problem.intervals, problem.interval_index(contract.latest_end))
    step = max(1, problem.to_intervals(contract.start_step_minutes, "start_step_minutes"))
    candidates = []
    for minutes in sorted(set(contract.shift_lengths)):
        length = problem.to_intervals(minutes, "shift length")
        for start in range(earliest, latest_end - length + 1):
            if (start - first) % step == 0:
                candidates.append((start, length))
    return candidates


def _activity_windows(start, length, activities, before, after, gap, max_stretch, lunch_window):
    """Absolute start windows of each activity for one shift, or None if infeasible."""
    if not activities:
        return []
    end = start + length
    lo = [start + before] * len(activities)
    hi = [end - after - activities[i].duration for i in range(len(activities))]
    for i, activity in enumerate(activities):
        if activity.kind == "lunch":
            lo[i] = max(lo[i], start + lunch_window[0])
            hi[i] = min(hi[i], start + lunch_window[1])
    if max_stretch is not None:
        hi[0] = min(hi[0], start + max_stretch)
        lo[-1] = max(lo[-1], end - max_stretch - activities[-1].duration)
    # Propagate the spacing rules until the windows are stable.
    for _ in range(len(activities) + 1):
        for i in range(len(activities) - 1):
            d = activities[i].duration
            lo[i + 1] = max(lo[i + 1], lo[i] + d + gap)
            hi[i] = min(hi[i], hi[i + 1] - d - gap)
            if max_stretch is not None:
                lo[i] = max(lo[i], lo[i + 1] - d - max_stretch)
                hi[i + 1] = min(hi[i + 1], hi[i] + d + max_stretch)
    if any(a > b for a, b in zip(lo, hi, strict=True)):
        return None
    return list(zip(lo, hi, strict=True))


def _apply_lock_to_windows(window, lock: Lock | None):
    if lock is None or not window:
        return window
    fixed = dict(lock.activity_starts)
    result = []
    for i, (lo, hi) in enumerate(window):
        if i in fixed:
            lo = hi = fixed[i]
        else:
            lo = max(lo, lock.not_before)
        if lo > hi:
            return None
        result.append((lo, hi))
    return result


# =========================================================================== model


@dataclass
class _PenaltyTerm:
    family: str
    name: str
    expression: object  # a linear expression or variable
    weight: int


@dataclass
class _GroupVars:
    """Counts for one group: agents per shift ``shifts[o]`` and, per shift and
    activity, agents starting it at ``t``: ``starts[o][i][t]``."""

    group: _Group
    shifts: list
    starts: list[list[dict[int, object]]]

    def activity_count(self, i: int, t: int):
        """Agents of the group starting activity ``i`` at ``t`` (any shift)."""
        return sum(by_time[i][t] for by_time in self.starts if t in by_time[i])


def _add_shift_counts(model: cp_model.CpModel, group: _Group, name: str) -> list:
    shifts = [
        model.new_int_var(0, group.size, f"shifts[{name},{s},{length}]")
        for s, length in group.options
    ]
    model.add(sum(shifts) == group.size)
    return shifts


def _add_activity_counts(model: cp_model.CpModel, group: _Group, shifts: list, name: str):
    """Per shift and activity: how many of the shift's agents start it at each time."""
    starts = []
    for o, (window, count) in enumerate(zip(group.windows, shifts, strict=True)):
        per_activity = []
        for i, (lo, hi) in enumerate(window):
            kind = group.activities[i].kind
            by_time = {
                t: model.new_int_var(0, group.size, f"{kind}{i}[{name},{o},{t}]")
                for t in range(lo, hi + 1)
            }
            model.add(sum(by_time.values()) == count)
            per_activity.append(by_time)
        starts.append(per_activity)
    return starts


def _add_activity_sequencing(model: cp_model.CpModel, gv: _GroupVars, name: str) -> None:
    """Make the counts splittable into agents who take activities in order, spaced.

    Pairing the r-th earliest start of activity ``i`` with the r-th earliest of
    ``i + 1`` (for every r) is feasible iff any pairing is, and it respects
    ``start[i+1] - start[i] in [d_i + gap, d_i + max_stretch]`` iff, for all t,
    ``#(i+1 started by t) <= #(i started by t - d_i - gap)`` and
    ``#(i started by t) <= #(i+1 started by t + d_i + max_stretch)``. These
    cumulative counts make the aggregate model exact (Aykin 1996 style).
    """
    group = gv.group
    for o, per_activity in enumerate(gv.starts):
        prefix = [
            _prefix_counts(model, by_time, gv.shifts[o], f"{name},{o},{i}")
            for i, by_time in enumerate(per_activity)
        ]
        for i in range(len(per_activity) - 1):
            d = group.activities[i].duration
            lo_next, hi_next = group.windows[o][i + 1]
            for t in range(lo_next, hi_next + 1):
                model.add(prefix[i + 1](t) <= prefix[i](t - d - group.gap))
            if group.max_stretch is not None:
                lo, hi = group.windows[o][i]
                for t in range(lo, hi + 1):
                    model.add(prefix[i](t) <= prefix[i + 1](t + d + group.max_stretch))


def _prefix_counts(model: cp_model.CpModel, by_time: dict, total, name: str):
    """Function ``t -> agents started by t`` as a plain sum of the start counts.

    Plain sums rather than running-sum variables: a large-neighbourhood move of
    one lunch then touches two counts, not a chain of auxiliary variables.
    """
    times = sorted(by_time)

    def started_by(t: int):
        if t < times[0]:
            return 0
        if t >= times[-1]:
            return total
        return sum(by_time[u] for u in times if u <= t)

    return started_by


def _coverage(model: cp_model.CpModel, gvs: list[_GroupVars], intervals: int) -> list:
    """On-phone expression per interval through aggregated integer counters."""
    shifts_by_type = defaultdict(list)
    starts_by_duration = defaultdict(lambda: defaultdict(list))
    for gv in gvs:
        for option, count in zip(gv.group.options, gv.shifts, strict=True):
            shifts_by_type[option].append(count)
        for per_activity in gv.starts:
            for activity, by_time in zip(gv.group.activities, per_activity, strict=True):
                for t, count in by_time.items():
                    starts_by_duration[activity.duration][t].append(count)
    on_shift = [[] for _ in range(intervals)]
    for (start, length), counts in shifts_by_type.items():
        total = _counter(model, counts, f"shifts[{start},{length}]")
        for t in range(start, start + length):
            on_shift[t].append(total)
    off_phone = [[] for _ in range(intervals)]
    for duration, by_start in starts_by_duration.items():
        for start, counts in by_start.items():
            total = _counter(model, counts, f"off[{duration},{start}]")
            for t in range(start, min(start + duration, intervals)):
                off_phone[t].append(total)
    on_phone = []
    for t in range(intervals):
        agents = model.new_int_var(-cp_model.INT32_MAX, cp_model.INT32_MAX, f"on_phone[{t}]")
        model.add(agents == sum(on_shift[t]) - sum(off_phone[t]))
        on_phone.append(agents)
    return on_phone


def _counter(model: cp_model.CpModel, counts: list, name: str):
    if len(counts) == 1:
        return counts[0]
    total = model.new_int_var(0, cp_model.INT32_MAX, name)
    model.add(total == sum(counts))
    return total


# --------------------------------------------------------------------------- wishes


@dataclass
class _WishClass:
    """Agents of one group with the same wishes (and weights)."""

    group: int
    agents: list[Agent]
    lunch_starts: tuple[int, int] | None  # lunch start range that meets the wish
    start_range: tuple[int, int] | None  # shift start range that meets the wish
    lunch_weight: int
    start_weight: int
    lunch_met: object = 0  # set by _add_wish_flows: agents whose wish is met
    start_met: object = 0
    both_met: object = 0
    flows: dict = field(default_factory=dict)  # (shift, lunch start) cell -> flow variable

    @property
    def size(self) -> int:
        return len(self.agents)


def _agent_weights(agent: Agent, problem: Problem) -> tuple[int, int, int]:
    """Points for an unmet lunch wish, unmet start wish and both unmet."""
    prefs = agent.preferences
    lunch = WISH_POINTS * problem.lunch_preference_weight * (1 + prefs.unmet_lunch_days)
    start = WISH_POINTS * problem.start_preference_weight
    return round(lunch), round(start), round(WISH_POINTS * problem.fairness_weight)


def _lunch_wish_starts(agent: Agent, group: _Group, problem: Problem):
    wish, lunch = agent.preferences.lunch_window, group.lunch_index
    if wish is None or lunch is None:
        return None
    first, last = (problem.interval_index(c) for c in wish)
    return first, last - group.activities[lunch].duration


def _start_wish_range(agent: Agent, problem: Problem):
    prefs = agent.preferences
    if prefs.preferred_shift_start is None:
        return None
    wished = problem.interval_index(prefs.preferred_shift_start)
    tolerance = prefs.start_tolerance_minutes // problem.interval_minutes
    return wished - tolerance, wished + tolerance


def _wish_classes(groups: list[_Group], problem: Problem) -> list[_WishClass]:
    classes = {}
    for g, group in enumerate(groups):
        for agent in group.agents:
            lunch_starts = _lunch_wish_starts(agent, group, problem)
            start_range = _start_wish_range(agent, problem)
            if lunch_starts is None and start_range is None:
                continue
            lunch_w, start_w, _ = _agent_weights(agent, problem)
            key = (g, lunch_starts, start_range, lunch_w, start_w)
            if key not in classes:
                classes[key] = _WishClass(g, [], lunch_starts, start_range, lunch_w, start_w)
            classes[key].agents.append(agent)
    return list(classes.values())


def _add_wish_flows(model, gvs: list[_GroupVars], classes: list[_WishClass]) -> None:
    """Match wishing agents to day patterns as a transportation problem.

    A *cell* of a group is a shift ``o`` with a lunch start ``t`` (or just ``o``
    without lunch); ``starts[o][lunch][t]`` agents have it. A flow from a wish
    class to a cell is an agent of the class given that cell; flows go only
    to cells meeting at least one of the class's wishes, at most the class size
    leave a class and at most the cell's count enter a cell. This is exactly the
    assignment of agents to (shift, lunch) pairs, so the met counts it sets on
    each class (lunch met, start met, both met) are attainable, not a bound.
    """
    capacity = defaultdict(list)
    for c, wish in enumerate(classes):
        gv = gvs[wish.group]
        lunch_met, start_met, both_met, flows = [], [], [], []
        for cell, count in _cells(gv):
            o, t = cell
            lunch_ok = wish.lunch_starts is not None and t is not None
            lunch_ok = lunch_ok and wish.lunch_starts[0] <= t <= wish.lunch_starts[1]
            start = gv.group.options[o][0]
            start_ok = wish.start_range is not None
            start_ok = start_ok and wish.start_range[0] <= start <= wish.start_range[1]
            if not (lunch_ok or start_ok):
                continue
            flow = model.new_int_var(0, wish.size, f"wish[{c},{o},{t}]")
            wish.flows[cell] = flow
            capacity[(wish.group, cell)].append((flow, count))
            flows.append(flow)
            lunch_met += [flow] * lunch_ok
            start_met += [flow] * start_ok
            both_met += [flow] * (lunch_ok and start_ok)
        model.add(sum(flows) <= wish.size)
        wish.lunch_met, wish.start_met, wish.both_met = (
            sum(lunch_met),
            sum(start_met),
            sum(both_met),
        )
    for pairs in capacity.values():
        model.add(sum(flow for flow, _ in pairs) <= pairs[0][1])


def _cells(gv: _GroupVars):
    """``((shift, lunch start), count)`` for every cell of a group (lunch None if none)."""
    lunch = gv.group.lunch_index
    for o, count in enumerate(gv.shifts):
        if lunch is None:
            yield (o, None), count
        else:
            for t, at_t in gv.starts[o][lunch].items():
                yield (o, t), at_t


def _lunch_preference_penalties(classes: list[_WishClass]) -> list[_PenaltyTerm]:
    """Agents whose lunch misses their wished window."""
    return [
        _PenaltyTerm("lunch_preferences", f"class{c}", w.size - w.lunch_met, w.lunch_weight)
        for c, w in enumerate(classes)
        if w.lunch_starts is not None
    ]


def _start_preference_penalties(classes: list[_WishClass]) -> list[_PenaltyTerm]:
    """Agents whose shift starts outside the tolerance of their wish."""
    return [
        _PenaltyTerm("start_preferences", f"class{c}", w.size - w.start_met, w.start_weight)
        for c, w in enumerate(classes)
        if w.start_range is not None
    ]


def _fairness_penalties(classes: list[_WishClass], problem: Problem) -> list[_PenaltyTerm]:
    """Agents with two wishes and neither met: ``size - lunch - start + both``."""
    weight = round(WISH_POINTS * problem.fairness_weight)
    return [
        _PenaltyTerm(
            "fairness", f"class{c}", w.size - w.lunch_met - w.start_met + w.both_met, weight
        )
        for c, w in enumerate(classes)
        if w.lunch_starts is not None and w.start_range is not None and weight > 0
    ]


def _change_penalties(model, gvs, published, problem) -> list[_PenaltyTerm]:
    """Intraday: a point for every break or lunch that leaves its published start."""
    terms = []
    weight = max(1, round(WISH_POINTS * problem.change_weight))
    for g, gv in enumerate(gvs):
        planned = defaultdict(int)
        for agent in gv.group.agents:
            before = published.get(agent.id)
            if before is None:
                continue
            for i, (start, _) in enumerate(before.activities):
                planned[(i, start)] += 1
        for (i, t), count in planned.items():
            keep = model.new_int_var(0, count, f"kept[{g},{i},{t}]")
            if i < len(gv.group.activities) and _has_activity(gv, i, t):
                model.add(keep <= gv.activity_count(i, t))
            else:
                model.add(keep == 0)
            terms.append(_PenaltyTerm("changes", f"{g}:{i}@{t}", count - keep, weight))
    return terms


def _has_activity(gv: _GroupVars, i: int, t: int) -> bool:
    return any(t in by_time[i] for by_time in gv.starts)


def _understaffing_penalties(model, on_phone, problem: Problem) -> list[_PenaltyTerm]:
    """Missing agents per interval, priced by the cost of the k-th missing agent.

    ``under_t = sum_k short[t, k] >= required_t - on_phone_t`` with one
    segment per priced depth (0/1 each, the last one open-ended). Costs rise
    with ``k``, so the cheapest segments fill first: a convex cost that prefers
    two intervals one agent short to one interval two short.
    """
    table = _cost_table(problem)
    terms = []
    for t, required in enumerate(problem.requirement.tolist()):
        if required == 0:
            continue
        depth = min(required, table.shape[1])
        segments = []
        for k in range(depth):
            top = 1 if k < depth - 1 else required - depth + 1
            short = model.new_int_var(0, top, f"short[{t},{k + 1}]")
            segments.append(short)
            terms.append(
                _PenaltyTerm("understaffing", f"short[{t},{k + 1}]", short, int(table[t, k]))
            )
        model.add(sum(segments) >= required - on_phone[t])
    return terms


def _cost_table(problem: Problem) -> np.ndarray:
    """Integer points of the k-th missing agent per interval, ``(intervals, depth)``."""
    cost = (
        np.ones(problem.intervals)
        if problem.sl_cost is None
        else np.asarray(problem.sl_cost, float)
    )
    if cost.ndim == 1:
        cost = cost[:, None]
    if cost.shape[0] != problem.intervals or cost.ndim != 2 or (cost < 0).any():
        raise ValueError(
            "sl_cost needs one non-negative weight per interval (or one row of "
            "weights per interval, for the 1st, 2nd, ... missing agent)"
        )
    if (np.diff(cost, axis=1) < 0).any():
        raise ValueError(
            "sl_cost rows must not decrease: the k-th missing agent costs at least the (k-1)-th"
        )
    top = cost[:, 0].max() if cost[:, 0].max() > 0 else 1.0
    return np.maximum(1, np.rint(UNDERSTAFFING_SCALE * cost / top)).astype(np.int64)


def _understaffing_points(under: np.ndarray, problem: Problem) -> float:
    """Points of an under-staffing profile under the cost table (the stage-1 objective)."""
    table = _cost_table(problem)
    depth = table.shape[1]
    points = 0.0
    for t, missing in enumerate(np.asarray(under, dtype=np.int64).tolist()):
        if missing > 0:
            priced = table[t, : min(missing, depth)].sum()
            points += priced + max(0, missing - depth) * table[t, depth - 1]
    return float(points)


def schedule_from_assignments(
    assignments: pd.DataFrame,
    problem: Problem,
    *,
    status: str = "GIVEN",
    best_bound: float = math.nan,
    solve_seconds: float = 0.0,
    published: Mapping[str, Assignment] | None = None,
) -> Schedule:
    """A :class:`Schedule` for stored assignments, scored against ``problem``.

    For a day planned earlier (e.g. loaded from a database) so that
    :func:`evaluate_move`, :func:`suggest_slots` and :func:`reoptimise_breaks`
    can work on it. Coverage, wish flags, penalty points and objective are
    recomputed exactly as the solver's result computes them; the bound (and so
    the gap) is NaN unless given.

    Parameters
    ----------
    assignments : pandas.DataFrame
        At least ``agent, shift_start, shift_end, breaks, lunch`` (interval
        indices; ``breaks`` a list of ``(start, end)``, ``lunch`` one or None).
    problem : Problem
        The day; every agent named in ``assignments`` must be in it.
    status, best_bound, solve_seconds
        Carried over from the original solve, if known.
    published : mapping of agent id to Assignment, optional
        A plan to count moved breaks against (intraday).
    """
    by_id = {a.id: a for a in problem.agents}
    missing = sorted(set(assignments["agent"]) - set(by_id))
    if missing:
        raise ValueError(f"assignments name agents not in the problem: {missing}")
    rows = []
    for row in assignments.itertuples():
        lunch = row.lunch if isinstance(row.lunch, tuple | list) else None
        breaks = [tuple(b) for b in row.breaks]
        start, end = int(row.shift_start), int(row.shift_end)
        rows.append(
            _assignment_row(by_id[row.agent], start, end, breaks, lunch and tuple(lunch), problem)
        )
    return _schedule(
        _assignment_frame(rows),
        problem,
        published or {},
        status=status,
        bound=best_bound,
        solve_seconds=solve_seconds,
        build_seconds=0.0,
        off=[],
    )


def allowed_shifts(problem: Problem) -> list[tuple[int, int]]:
    """Every ``(start, length)`` in intervals that some working agent's contract allows.

    Useful to hand the same shift types to another (shift-only) tool.
    """
    groups, _ = _group_agents(problem, with_breaks=False)
    return sorted({option for group in groups for option in group.options})


# =========================================================================== solve


def solve_schedule(problem: Problem, *, breaks: bool = True) -> Schedule:
    """Schedule shifts, breaks and lunches for one day with CP-SAT.

    Two steps: the aggregate CP-SAT model above chooses how many agents of
    each group work each shift and take each break/lunch when, with wishes as
    an exact transportation problem onto (shift, lunch) cells; then within
    every group agents are matched to the resulting day patterns by a
    minimum-cost assignment on the same wish, fairness and change points. The
    reported ``best_bound`` is the CP-SAT bound of the first step, a valid
    lower bound for the whole objective; ``objective`` is recomputed from the
    final assignments, so ``gap`` would show anything lost in matching.

    Parameters
    ----------
    problem : Problem
    breaks : bool, default True
        False schedules shifts only (no breaks or lunches), e.g. to compare
        with shift-only tools.

    Returns
    -------
    Schedule
    """
    return _solve(problem, with_breaks=breaks, published=None)


def _solve(problem: Problem, with_breaks: bool, published) -> Schedule:
    started = time.perf_counter()
    groups, off = _group_agents(problem, with_breaks)
    model = cp_model.CpModel()
    gvs = []
    for g, group in enumerate(groups):
        shifts = _add_shift_counts(model, group, str(g))
        gv = _GroupVars(group, shifts, _add_activity_counts(model, group, shifts, str(g)))
        _add_activity_sequencing(model, gv, str(g))
        gvs.append(gv)
    on_phone = _coverage(model, gvs, problem.intervals)
    classes = _wish_classes(groups, problem)
    _add_wish_flows(model, gvs, classes)
    service = _understaffing_penalties(model, on_phone, problem)
    wishes = (
        _lunch_preference_penalties(classes)
        + _start_preference_penalties(classes)
        + _fairness_penalties(classes, problem)
    )
    if published:
        wishes += _change_penalties(model, gvs, published, problem)
    build_seconds = time.perf_counter() - started

    first = _minimise(model, service, problem, share=0.7)
    if first.values is None:
        raise RuntimeError(
            f"no schedule found ({first.status}) within {problem.time_limit_s} s; "
            "the rules may contradict each other or the time limit is too short"
        )
    # Lexicographic: wishes are optimised only among plans with the best coverage found.
    model.add(_weighted(service) <= round(first.objective))
    _hint(model, _with_matched_wishes(first, gvs, classes, problem, published or {}))
    # Presolve probing costs seconds on the (larger) wish stage and did not pay back
    # in our measurements (200 agents: optimal in ~15-25 s without, time-outs with).
    second = _minimise(model, wishes, problem, share=1.0, spent=first.seconds, probing=0)
    final = second if second.values is not None else first
    if first.status == "OPTIMAL":
        bound = first.objective + (second.bound if second.values is not None else 0.0)
    else:
        bound = first.bound
    status = "OPTIMAL" if first.status == second.status == "OPTIMAL" else "FEASIBLE"
    rows = []
    for gv in gvs:
        rows += _match_agents(gv.group, _patterns(final, gv), problem, published or {})
    schedule = _schedule(
        _assignment_frame(rows),
        problem,
        published or {},
        status=status,
        bound=bound,
        solve_seconds=first.seconds + second.seconds,
        build_seconds=build_seconds,
        off=off,
    )
    schedule.understaffing_gap = max(0.0, first.objective - first.bound) / max(1.0, first.objective)
    return schedule


@dataclass
class _Stage:
    """Outcome of one lexicographic stage: status, values of every variable, timing."""

    status: str
    objective: float
    bound: float
    seconds: float
    values: list | None

    def value(self, var) -> int:
        return self.values[var.index]


def _weighted(terms: list[_PenaltyTerm]):
    return sum(term.weight * term.expression for term in terms)


def _minimise(
    model, terms, problem: Problem, share: float, spent: float = 0.0, probing: int = 2
) -> _Stage:
    """Solve with the stage's share of the time limit (always a limit).

    A portfolio of single-threaded CP-SAT searches, one per worker, each with
    its own seed: on this model one LP-guided search per core beats CP-SAT's
    own multi-worker mix (which gives one core to large-neighbourhood search).
    The first search to prove optimality stops the others; the best solution
    and the best bound of all searches are kept. ``probing`` is CP-SAT's
    ``cp_model_probing_level``.
    """
    model.minimize(_weighted(terms))
    remaining = max(0.05, problem.time_limit_s * share - spent)
    workers = problem.num_workers or os.cpu_count() or 1
    solvers = [cp_model.CpSolver() for _ in range(workers)]
    for k, solver in enumerate(solvers):
        solver.parameters.max_time_in_seconds = float(remaining)
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = problem.random_seed + k
        solver.parameters.relative_gap_limit = problem.relative_gap_limit
        solver.parameters.cp_model_probing_level = probing
        if problem.work_limit is not None:
            solver.parameters.max_deterministic_time = float(problem.work_limit * share)
    statuses = [None] * workers
    proven = threading.Event()

    def run(k: int) -> None:
        if proven.is_set():
            return  # another search already proved optimality
        statuses[k] = solvers[k].solve(model)
        if statuses[k] == cp_model.OPTIMAL:
            proven.set()

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(workers)]
    for thread in threads:
        thread.start()
    while alive := [thread for thread in threads if thread.is_alive()]:
        if proven.is_set():
            # Repeated because a search may only just be starting when asked to stop.
            for solver in solvers:
                solver.stop_search()
        alive[0].join(timeout=0.01)
    seconds = time.perf_counter() - started
    ran = [k for k in range(workers) if statuses[k] is not None]
    found = [k for k in ran if statuses[k] in (cp_model.OPTIMAL, cp_model.FEASIBLE)]
    bound = max(float(solvers[k].best_objective_bound) for k in ran)
    if not found:
        return _Stage(solvers[0].status_name(statuses[0]), math.inf, bound, seconds, None)
    best = min(found, key=lambda k: solvers[k].objective_value)
    solver = solvers[best]
    count = len(model.proto.variables)
    values = [solver.value(model.get_int_var_from_proto_index(i)) for i in range(count)]
    objective = float(solver.objective_value)
    status = "OPTIMAL" if objective <= bound + 1e-9 else "FEASIBLE"
    return _Stage(status, objective, bound, seconds, values)


def _with_matched_wishes(first: _Stage, gvs, classes, problem, published) -> list:
    """Stage-1 values with the wish flows of the best matching of agents to its patterns.

    Stage 1 ignores wishes, so its flows are arbitrary; matching agents to its
    day patterns (as the final step does) gives the best wish score that
    coverage plan allows, a much better starting point for stage 2.
    """
    values = list(first.values)
    class_of = {agent.id: wish for wish in classes for agent in wish.agents}
    for wish in classes:
        for flow in wish.flows.values():
            values[flow.index] = 0
    for gv in gvs:
        options = {option: o for o, option in enumerate(gv.group.options)}
        lunch = gv.group.lunch_index
        for row in _match_agents(gv.group, _patterns(first, gv), problem, published):
            wish = class_of.get(row["agent"])
            if wish is None:
                continue
            o = options[(row["shift_start"], row["shift_end"] - row["shift_start"])]
            cell = (o, row["lunch"][0] if lunch is not None else None)
            if cell in wish.flows:
                values[wish.flows[cell].index] += 1
    return values


def _hint(model: cp_model.CpModel, values: list) -> None:
    model.clear_hints()
    for i, value in enumerate(values):
        model.add_hint(model.get_int_var_from_proto_index(i), value)


def _schedule(assignments, problem, published, status, bound, solve_seconds, build_seconds, off):
    """Score assignments against the problem: coverage, penalties, objective, gap."""
    coverage = _coverage_table(assignments, problem)
    breakdown = _penalty_breakdown(assignments, coverage, problem, published)
    objective = float(sum(breakdown.values()))
    return Schedule(
        assignments=assignments,
        coverage=coverage,
        objective=objective,
        best_bound=bound,
        gap=max(0.0, objective - bound) / max(1.0, abs(objective)) if bound == bound else bound,
        status=status,
        penalty_breakdown=breakdown,
        lunch_preferences_met=_share_met(assignments["lunch_preference_met"]),
        solve_seconds=solve_seconds,
        build_seconds=build_seconds,
        off_agents=off,
    )


def _patterns(solution: _Stage, gv: _GroupVars) -> list[tuple[int, int, list[int]]]:
    """Split the group's counts into day patterns ``(start, length, activity starts)``.

    Within a shift, the r-th earliest start of every activity goes to the r-th
    pattern: the sequencing constraints guarantee every pattern obeys the rules.
    """
    patterns = []
    for o, (start, length) in enumerate(gv.group.options):
        count = solution.value(gv.shifts[o])
        if count == 0:
            continue
        ordered = []
        for by_time in gv.starts[o]:
            times = []
            for t in sorted(by_time):
                times += [t] * solution.value(by_time[t])
            ordered.append(times)
        for r in range(count):
            patterns.append((start, length, [times[r] for times in ordered]))
    return patterns


def _match_agents(group: _Group, patterns, problem: Problem, published) -> list[dict]:
    """Give each agent of the group one pattern, minimising wish, fairness and change points."""
    cost = np.zeros((group.size, len(patterns)))
    for a, agent in enumerate(group.agents):
        for p, (start, _length, starts) in enumerate(patterns):
            cost[a, p] = _agent_points(agent, group, start, starts, problem, published)
    agent_index, pattern_index = linear_sum_assignment(cost)
    rows = []
    for a, p in zip(agent_index, pattern_index, strict=True):
        start, length, starts = patterns[p]
        breaks = tuple(
            (t, t + act.duration)
            for t, act in zip(starts, group.activities, strict=True)
            if act.kind == "break"
        )
        lunch = next(
            (
                (t, t + act.duration)
                for t, act in zip(starts, group.activities, strict=True)
                if act.kind == "lunch"
            ),
            None,
        )
        rows.append(_assignment_row(group.agents[a], start, start + length, breaks, lunch, problem))
    return rows


def _agent_points(agent, group: _Group, start, starts, problem, published) -> float:
    """Wish, fairness and change points of one agent on one pattern (the true objective)."""
    lunch_w, start_w, fair_w = _agent_weights(agent, problem)
    points = 0
    lunch_range = _lunch_wish_starts(agent, group, problem)
    lunch_unmet = lunch_range is not None and not (
        lunch_range[0] <= starts[group.lunch_index] <= lunch_range[1]
    )
    start_range = _start_wish_range(agent, problem)
    start_unmet = start_range is not None and not start_range[0] <= start <= start_range[1]
    points += lunch_w * lunch_unmet + start_w * start_unmet + fair_w * (lunch_unmet and start_unmet)
    before = published.get(agent.id)
    if before is not None:
        planned = [s for s, _ in before.activities]
        moved = sum(1 for i, s in enumerate(planned) if i >= len(starts) or starts[i] != s)
        points += max(1, round(WISH_POINTS * problem.change_weight)) * moved
    return points


def _penalty_breakdown(assignments, coverage, problem: Problem, published) -> dict:
    """Objective points per family, recomputed from the final assignments."""
    breakdown = {"understaffing": _understaffing_points(coverage["under"].to_numpy(), problem)}
    lunch = start = fairness = changes = 0
    by_id = {a.id: a for a in problem.agents}
    change_w = max(1, round(WISH_POINTS * problem.change_weight))
    for row in assignments.itertuples():
        lunch_w, start_w, fair_w = _agent_weights(by_id[row.agent], problem)
        lunch_unmet = _unmet(row.lunch_preference_met)
        start_unmet = _unmet(row.start_preference_met)
        lunch += lunch_w * lunch_unmet
        start += start_w * start_unmet
        fairness += fair_w * (lunch_unmet and start_unmet)
        before = published.get(row.agent)
        if before is not None:
            now = sorted([*row.breaks, *([row.lunch] if row.lunch else [])])
            planned = before.activities
            changes += change_w * sum(
                1 for i, (s, _) in enumerate(planned) if i >= len(now) or now[i][0] != s
            )
    breakdown.update(
        lunch_preferences=float(lunch), start_preferences=float(start), fairness=float(fairness)
    )
    if published:
        breakdown["changes"] = float(changes)
    return breakdown


def _unmet(flag) -> bool:
    """True for a wish known to be unmet (False), not for a missing wish (NA)."""
    return flag is not None and not pd.isna(flag) and not bool(flag)


def _assignment_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=_ASSIGNMENT_COLUMNS)
    # Nullable booleans: True / False / <NA> (no wish), whatever the mix of rows.
    for column in ("lunch_preference_met", "start_preference_met"):
        frame[column] = frame[column].astype("boolean")
    return frame


_ASSIGNMENT_COLUMNS = [
    "agent",
    "shift_start",
    "shift_end",
    "start_clock",
    "end_clock",
    "breaks",
    "lunch",
    "lunch_preference_met",
    "start_preference_met",
]


def _assignment_row(agent: Agent, start, end, breaks, lunch, problem: Problem) -> dict:
    return {
        "agent": agent.id,
        "shift_start": start,
        "shift_end": end,
        "start_clock": problem.interval_clock(start),
        "end_clock": problem.interval_clock(end),
        "breaks": list(breaks),
        "lunch": lunch,
        "lunch_preference_met": _lunch_wish_met(agent, lunch, problem),
        "start_preference_met": _start_wish_met(agent, start, problem),
    }


def _lunch_wish_met(agent: Agent, lunch, problem: Problem) -> bool | None:
    wish = agent.preferences.lunch_window
    if wish is None or lunch is None:
        return None
    first, last = (problem.interval_index(c) for c in wish)
    return bool(first <= lunch[0] and lunch[1] <= last)


def _start_wish_met(agent: Agent, start: int, problem: Problem) -> bool | None:
    wished = _start_wish_range(agent, problem)
    if wished is None:
        return None
    return bool(wished[0] <= start <= wished[1])


def _share_met(flags: pd.Series) -> float | None:
    known = flags.dropna()
    return float(known.astype(bool).mean()) if len(known) else None


def _coverage_table(assignments: pd.DataFrame, problem: Problem) -> pd.DataFrame:
    table = coverage_from_assignments(assignments, problem.intervals)
    table.insert(0, "interval", np.arange(problem.intervals))
    table.insert(1, "clock", [problem.interval_clock(t) for t in range(problem.intervals)])
    table.insert(2, "required", problem.requirement)
    table["under"] = np.maximum(0, table["required"] - table["scheduled"])
    table["over"] = np.maximum(0, table["scheduled"] - table["required"])
    table["projected_service_level"] = _projected_service_level(table["scheduled"], problem)
    return table


def _projected_service_level(scheduled, problem: Problem) -> np.ndarray:
    if problem.calls is None or problem.aht_s is None:
        return np.full(problem.intervals, np.nan)
    calls = np.asarray(problem.calls, dtype=float)
    aht = np.where(calls > 0, np.asarray(problem.aht_s, dtype=float), 1.0)
    return service_level_day(
        np.maximum(np.asarray(scheduled), 0),
        calls,
        aht,
        60.0 * problem.interval_minutes,
        problem.answer_within_s,
    )


# =========================================================================== intraday


def reoptimise_breaks(
    schedule: Schedule,
    problem: Problem,
    now_interval: int,
    requirement=None,
    calls=None,
    aht_s=None,
) -> Schedule:
    """Re-place the breaks and lunches not yet started, keeping everything else.

    Shifts are fixed as published; a break or lunch whose start is before
    ``now_interval`` (taken or in progress) is fixed; the others are re-placed
    at or after ``now_interval`` under the same rules, against ``requirement``
    (e.g. from :func:`~servicechain.staffing.forecast.reforecast_intraday`; the
    published requirement when omitted). Moving a published break costs
    ``problem.change_weight`` wish points, so nothing moves without a
    service-level or wish gain. The published plan itself is always a
    feasible answer (its untaken breaks start at or after ``now_interval``), so
    re-optimising never fails for lack of room and never does worse than it.

    Returns
    -------
    Schedule
        The new plan; earlier intervals are kept in the objective as they are
        fixed (their under-staffing is a constant).
    """
    published = {row: schedule.assignment(row) for row in schedule.assignments["agent"]}
    locks = {}
    for agent_id, assignment in published.items():
        taken = tuple(
            (i, start) for i, (start, _) in enumerate(assignment.activities) if start < now_interval
        )
        locks[agent_id] = Lock(
            shift=(assignment.shift_start, assignment.shift_end),
            activity_starts=taken,
            not_before=now_interval,
        )
    intraday = replace(
        problem,
        locks=locks,
        weekday=None,
        agents=[a for a in problem.agents if a.id in published],
        requirement=problem.requirement if requirement is None else np.asarray(requirement),
        calls=problem.calls if calls is None else calls,
        aht_s=problem.aht_s if aht_s is None else aht_s,
    )
    replanned = _solve(intraday, with_breaks=True, published=published)
    # Matching agents to patterns can lose a little against the bound; never hand
    # back a plan that scores worse than simply keeping the published one.
    kept = _schedule(
        schedule.assignments.copy(),
        intraday,
        published,
        status="KEPT_PUBLISHED",
        bound=replanned.best_bound,
        solve_seconds=replanned.solve_seconds,
        build_seconds=replanned.build_seconds,
        off=replanned.off_agents,
    )
    return kept if kept.objective < replanned.objective else replanned


# =========================================================================== moves


def evaluate_move(
    schedule: Schedule,
    problem: Problem,
    agent: str,
    new_lunch_start: int | None = None,
    swap_with: str | None = None,
    *,
    new_start: int | None = None,
    activity: int | None = None,
) -> MoveImpact:
    """Service-level effect of moving one agent's lunch or break (or swapping two).

    Pure and fast (no solver): coverage changes by -1/+1 in the affected
    intervals and Erlang C gives the service level before and after. The move
    is ``allowed`` only if the agent's day still obeys every break rule (inside
    the shift, order of breaks and lunch, spacing, longest stretch without a
    break, lunch window).

    Parameters
    ----------
    schedule : Schedule
    problem : Problem
        Must carry ``calls`` and ``aht_s`` for service levels (under-staffing
        is reported either way).
    agent : str
        Whose break or lunch moves.
    new_lunch_start : int, optional
        New lunch start interval (same as ``new_start`` with ``activity=None``).
    swap_with : str, optional
        Another agent whose period (lunch, or the same ``activity`` index) is
        exchanged with ``agent``'s.
    new_start : int, optional
        New start interval of the moved period.
    activity : int, optional
        Index of the period in shift order (e.g. 0 = first break, 1 = lunch,
        2 = second break); None moves the lunch.

    Raises
    ------
    ValueError
        Neither a new start nor ``swap_with``, or a new start that puts the
        period before or after the day's intervals.
    """
    mine = schedule.assignment(agent)
    index = _period_index(mine, activity, agent)
    start = new_start if new_start is not None else new_lunch_start
    if swap_with is not None:
        theirs = schedule.assignment(swap_with)
        other = _period_index(theirs, activity, swap_with)
        moves = [
            (mine, index, theirs.activities[other][0]),
            (theirs, other, mine.activities[index][0]),
        ]
    elif start is not None:
        moves = [(mine, index, int(start))]
    else:
        raise ValueError("give a new start (new_start or new_lunch_start) or swap_with")
    scheduled = schedule.coverage["scheduled"].to_numpy().copy()
    after = scheduled.copy()
    reasons, touched, moved = [], set(), {}
    for assignment, i, begin in moves:
        old = assignment.activities[i]
        new = (begin, begin + old[1] - old[0])
        if new[0] < 0 or new[1] > len(scheduled):
            raise ValueError(
                f"a start at interval {begin} is outside the day "
                f"(intervals 0 to {len(scheduled) - (new[1] - new[0])})"
            )
        changed = _with_period(assignment, i, new)
        reason = _day_rule_violation(changed, problem, assignment)
        if reason:
            reasons.append(f"{assignment.agent}: {reason}")
        after[old[0] : old[1]] += 1
        after[new[0] : new[1]] -= 1
        touched.update(range(*old), range(*new))
        moved[assignment.agent] = changed
    intervals = sorted(t for t in touched if after[t] != scheduled[t])
    table = _impact_table(intervals, scheduled, after, problem)
    under_before = np.maximum(0, problem.requirement - scheduled)
    under_after = np.maximum(0, problem.requirement - after)
    cost_change = _understaffing_points(under_after, problem) - _understaffing_points(
        under_before, problem
    )
    return MoveImpact(
        agent=agent,
        old_lunch=mine.lunch,
        new_lunch=moved[agent].lunch,
        intervals=table,
        stays_on_target=_stays_on_target(table, problem),
        cost_change=cost_change,
        allowed=not reasons,
        reason="; ".join(reasons),
        activity=index,
        old_period=mine.activities[index],
        new_period=moved[agent].activities[index],
    )


def suggest_slots(
    schedule: Schedule, problem: Problem, agent: str, activity: int | None = None, k: int = 3
) -> pd.DataFrame:
    """The ``k`` best alternative starts for one of an agent's breaks or lunch.

    Every start the break rules allow (other than the current one) is scored
    with :func:`evaluate_move`; ties in service-level cost are broken in favour
    of the agent's wished lunch window (lunch only), then of the smallest move.

    Parameters
    ----------
    activity : int, optional
        Index of the period in shift order; None is the lunch.

    Returns
    -------
    pandas.DataFrame
        ``start, end, start_clock, cost_change, stays_on_target,
        min_service_level_after, in_preferred_window``, cheapest first.
    """
    mine = schedule.assignment(agent)
    index = _period_index(mine, activity, agent)
    current = mine.activities[index]
    length = current[1] - current[0]
    person = next(a for a in problem.agents if a.id == agent)
    is_lunch = current == mine.lunch
    rows = []
    for start in range(mine.shift_start, mine.shift_end - length + 1):
        new = (start, start + length)
        moved = _with_period(mine, index, new)
        if start == current[0] or _day_rule_violation(moved, problem, mine):
            continue
        impact = evaluate_move(schedule, problem, agent, new_start=start, activity=index)
        levels = impact.intervals["service_level_after"]
        rows.append(
            {
                "start": start,
                "end": start + length,
                "start_clock": problem.interval_clock(start),
                "cost_change": impact.cost_change,
                "stays_on_target": impact.stays_on_target,
                "min_service_level_after": float(levels.min()) if len(levels) else np.nan,
                "in_preferred_window": bool(is_lunch and _lunch_wish_met(person, new, problem)),
                "distance": abs(start - current[0]),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(
        ["cost_change", "in_preferred_window", "distance"], ascending=[True, False, True]
    )
    return table.drop(columns="distance").head(k).reset_index(drop=True)


def suggest_lunch_slots(
    schedule: Schedule, problem: Problem, agent: str, k: int = 3
) -> pd.DataFrame:
    """The ``k`` best alternative lunch starts for one agent, cheapest first.

    :func:`suggest_slots` for the lunch, with the columns ``lunch_start,
    lunch_end, start_clock, cost_change, stays_on_target,
    min_service_level_after, in_preferred_window``.
    """
    if schedule.assignment(agent).lunch is None:
        raise ValueError(f"agent {agent} has no lunch to move")
    table = suggest_slots(schedule, problem, agent, activity=None, k=k)
    return table.rename(columns={"start": "lunch_start", "end": "lunch_end"})


def _period_index(assignment: Assignment, activity: int | None, agent: str) -> int:
    periods = assignment.activities
    if activity is None:
        if assignment.lunch is None:
            raise ValueError(f"agent {agent} has no lunch to move")
        return periods.index(assignment.lunch)
    if not 0 <= activity < len(periods):
        raise ValueError(
            f"agent {agent} has {len(periods)} breaks and lunches, no index {activity}"
        )
    return activity


def _with_period(assignment: Assignment, index: int, new: tuple[int, int]) -> Assignment:
    """The assignment with period ``index`` (shift order) moved to ``new``."""
    old = assignment.activities[index]
    if old == assignment.lunch:
        return replace(assignment, lunch=new)
    breaks = list(assignment.breaks)
    breaks[breaks.index(old)] = new
    return replace(assignment, breaks=tuple(breaks))


def _day_rule_violation(assignment: Assignment, problem: Problem, before: Assignment) -> str:
    """The first break rule a moved day breaks, in words ("" if none).

    ``before`` is the day before the move: a moved break or lunch keeps its
    place in shift order (it may not jump over another break or the lunch), so
    the plan's break, lunch, break order holds and "the second break" still
    names the same period after the move.
    """
    rules, iv = problem.break_rules, problem.interval_minutes
    periods = sorted([*assignment.breaks, *([assignment.lunch] if assignment.lunch else [])])
    if not periods:
        return ""
    if periods[0][0] < assignment.shift_start or periods[-1][1] > assignment.shift_end:
        return "outside the shift"
    if any(a[1] > b[0] for a, b in zip(periods, periods[1:], strict=False)):
        return "overlaps another break"
    if assignment.lunch is not None:
        offset = (assignment.lunch[0] - assignment.shift_start) * iv
        if not rules.lunch_window[0] <= offset <= rules.lunch_window[1]:
            return "lunch outside the allowed window after shift start"
    if not _keeps_order(before, assignment):
        return "would change the order of breaks and lunch"
    work_before = math.ceil(rules.min_work_before_break / iv)
    work_after = math.ceil(rules.min_work_after_break / iv)
    if periods[0][0] - assignment.shift_start < work_before:
        return "too little work at the start of the shift"
    if assignment.shift_end - periods[-1][1] < work_after:
        return "too little work at the end of the shift"
    gaps = [b[0] - a[1] for a, b in zip(periods, periods[1:], strict=False)]
    if any(gap < max(work_before, work_after) for gap in gaps):
        return "too close to another break"
    if rules.max_work_without_break is not None:
        stretches = [periods[0][0] - assignment.shift_start, *gaps]
        stretches.append(assignment.shift_end - periods[-1][1])
        if max(stretches) > rules.max_work_without_break // iv:
            return "leaves too long without a break"
    return ""


def _keeps_order(before: Assignment, after: Assignment) -> bool:
    """Whether the periods that moved kept their places in shift order."""
    old, new = before.activities, after.activities
    gone = [i for i, p in enumerate(old) if p not in new]
    came = [i for i, p in enumerate(new) if p not in old]
    return gone == came


def _impact_table(intervals, before, after, problem: Problem) -> pd.DataFrame:
    index = np.asarray(intervals, dtype=np.int64)
    table = pd.DataFrame(
        {
            "interval": index,
            "clock": [problem.interval_clock(int(t)) for t in index],
            "required": problem.requirement[index],
            "scheduled_before": before[index],
            "scheduled_after": after[index],
        }
    )
    if problem.calls is None or problem.aht_s is None or not len(index):
        table["service_level_before"] = np.nan
        table["service_level_after"] = np.nan
        return table
    calls = np.asarray(problem.calls, dtype=float)[index]
    aht = np.where(calls > 0, np.asarray(problem.aht_s, dtype=float)[index], 1.0)
    interval_s = 60.0 * problem.interval_minutes
    within = problem.answer_within_s
    table["service_level_before"] = service_level_day(
        np.maximum(before[index], 0), calls, aht, interval_s, within
    )
    table["service_level_after"] = service_level_day(
        np.maximum(after[index], 0), calls, aht, interval_s, within
    )
    return table


def _stays_on_target(table: pd.DataFrame, problem: Problem) -> bool:
    if table.empty:
        return True
    if table["service_level_after"].isna().all():
        ok = table["scheduled_after"] >= table["required"]
        was_short = table["scheduled_before"] < table["required"]
        no_worse = table["scheduled_after"] >= table["scheduled_before"]
        return bool((ok | (was_short & no_worse)).all())
    target = problem.target_service_level
    ok = table["service_level_after"] >= target
    no_worse = table["service_level_after"] >= table["service_level_before"] - 1e-12
    return bool((ok | no_worse).all())


# =========================================================================== clock


def _clock_minutes(clock: str) -> int:
    try:
        hours, minutes = str(clock).split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise ValueError(f"clock times look like 'HH:MM', got {clock!r}") from None
    if not 0 <= value <= 24 * 60:
        raise ValueError(f"clock time {clock!r} is outside 00:00-24:00")
    return value
