"""The boundary between the database and the pure staffing library.

The app stores a day as rows (shifts, activities as interval indices); the staffing library
works on dataclasses and DataFrames. Everything here translates one into the other and
nothing more: Erlang C, the schedule model, the move rules and the suggestions all stay in
``servicechain.staffing``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from servicechain.staffing import erlang
from servicechain.staffing import schedule as staffing

from .models import Agent, Schedule, Team, clock

ASSIGNMENT_COLUMNS = [
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


def minutes_of(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def break_rules(team: Team) -> staffing.BreakRules:
    return staffing.BreakRules(
        break_minutes=team.break_minutes,
        lunch_window=(team.lunch_earliest_after, team.lunch_latest_after),
        min_work_before_break=team.min_work_before_break,
        min_work_after_break=team.min_work_after_break,
        max_work_without_break=team.max_work_without_break,
    )


def _boundary(minutes: int, team: Team, *, up: bool) -> int:
    """Snap a clock time (minutes) onto the team's interval grid inside opening hours."""
    opens = minutes_of(team.centre.opens_at)
    closes = opens + team.centre.open_minutes
    step = team.interval_minutes
    offset = (math.ceil if up else math.floor)((minutes - opens) / step) * step
    return min(max(opens + offset, opens), closes)


def _clock_minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _clock_of(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def staffing_agent(agent: Agent, team: Team, *, unmet_lunch_days: int = 0) -> staffing.Agent | None:
    """The agent as the scheduler sees them, or None when no shift fits the opening hours.

    Contract hours are clipped to the centre's opening hours and snapped to the interval
    grid (the scheduler plans only the open day); wishes are snapped inwards.
    """
    earliest = _boundary(minutes_of(agent.earliest_start), team, up=True)
    latest = _boundary(minutes_of(agent.latest_end) or 24 * 60, team, up=False)
    step = team.interval_minutes
    lengths = tuple(sorted({m // step * step for m in agent.shift_lengths if m // step * step}))
    lengths = tuple(m for m in lengths if m <= latest - earliest)
    if not lengths:
        return None
    contract = staffing.Contract(
        shift_lengths=lengths,
        earliest_start=_clock_of(earliest),
        latest_end=_clock_of(latest),
        working_days=tuple(agent.working_days),
        paid_breaks=agent.paid_breaks,
        lunch_minutes=agent.lunch_minutes,
        start_step_minutes=max(step, agent.start_step_minutes // step * step),
    )
    lunch_window = None
    if agent.lunch_wish is not None:
        low = _boundary(minutes_of(agent.preferred_lunch_from), team, up=True)
        high = _boundary(minutes_of(agent.preferred_lunch_to) or 24 * 60, team, up=False)
        if high - low >= agent.lunch_minutes > 0:
            lunch_window = (_clock_of(low), _clock_of(high))
    preferred_start = None
    if agent.preferred_shift_start is not None:
        preferred_start = _clock_of(
            _boundary(minutes_of(agent.preferred_shift_start), team, up=False)
        )
    preferences = staffing.Preferences(
        lunch_window=lunch_window,
        preferred_shift_start=preferred_start,
        unmet_lunch_days=unmet_lunch_days,
    )
    return staffing.Agent(agent.code, contract, preferences)


def build_problem(
    *,
    team: Team,
    agents: list[staffing.Agent],
    requirement,
    calls,
    aht_s,
    weekday: int | None,
    time_limit_s: float,
    num_workers: int | None = None,
) -> staffing.Problem:
    """One open day of a team as a staffing ``Problem`` (service-level weighted)."""
    requirement = np.asarray(requirement, dtype=np.int64)
    calls = np.asarray(calls, dtype=float)
    aht = np.asarray(aht_s, dtype=float)
    return staffing.Problem(
        agents=agents,
        requirement=requirement,
        interval_minutes=team.interval_minutes,
        day_start=clock(team.centre.opens_at),
        weekday=weekday,
        break_rules=break_rules(team),
        sl_cost=staffing.marginal_sl_cost(
            requirement, calls, aht, team.interval_minutes, team.answer_within_s
        ),
        time_limit_s=time_limit_s,
        calls=calls,
        aht_s=aht,
        answer_within_s=float(team.answer_within_s),
        target_service_level=team.target_service_level,
        num_workers=num_workers,
    )


def coverage_frame(assignments: pd.DataFrame, problem: staffing.Problem) -> pd.DataFrame:
    """Coverage per interval with the columns of ``staffing.Schedule.coverage``.

    See requests-contactcentre.md item 1: this mirrors the library's private coverage table
    using its public parts until it offers ``schedule_from_assignments``.
    """
    table = staffing.coverage_from_assignments(assignments, problem.intervals)
    table.insert(0, "interval", np.arange(problem.intervals))
    table.insert(1, "clock", [problem.interval_clock(t) for t in range(problem.intervals)])
    table.insert(2, "required", problem.requirement)
    table["under"] = np.maximum(0, table["required"] - table["scheduled"])
    table["over"] = np.maximum(0, table["scheduled"] - table["required"])
    calls = np.asarray(problem.calls, dtype=float)
    aht = np.where(calls > 0, np.asarray(problem.aht_s, dtype=float), 1.0)
    table["projected_service_level"] = erlang.service_level_day(
        np.maximum(table["scheduled"].to_numpy(), 0),
        calls,
        aht,
        60.0 * problem.interval_minutes,
        problem.answer_within_s,
    )
    return table


@dataclass
class DayPlan:
    """A stored schedule together with its staffing ``Problem`` and ``Schedule``."""

    schedule: Schedule
    problem: staffing.Problem
    plan: staffing.Schedule
    agents: dict[str, Agent]

    def assignment(self, agent: Agent) -> staffing.Assignment:
        return self.plan.assignment(agent.code)

    def has(self, agent: Agent) -> bool:
        return agent.code in self.agents

    @property
    def coverage(self) -> pd.DataFrame:
        return self.plan.coverage


def assignments_from_rows(schedule: Schedule) -> tuple[pd.DataFrame, dict[str, Agent]]:
    """The stored shifts as the library's assignments frame (activities in shift order)."""
    rows, agents = [], {}
    shifts = schedule.shifts.select_related("agent__employee").prefetch_related("activities")
    for shift in shifts:
        agent = shift.agent
        agents[agent.code] = agent
        activities = sorted(shift.activities.all(), key=lambda a: a.position)
        breaks = [(a.start_interval, a.end_interval) for a in activities if a.kind == "break"]
        lunch = next(
            ((a.start_interval, a.end_interval) for a in activities if a.kind == "lunch"), None
        )
        rows.append(
            {
                "agent": agent.code,
                "shift_start": shift.start_interval,
                "shift_end": shift.end_interval,
                "start_clock": schedule.interval_clock(shift.start_interval),
                "end_clock": schedule.interval_clock(shift.end_interval),
                "breaks": breaks,
                "lunch": lunch,
                "lunch_preference_met": shift.lunch_preference_met,
                "start_preference_met": shift.start_preference_met,
            }
        )
    return pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS), agents


def load_day_plan(schedule: Schedule, *, time_limit_s: float | None = None) -> DayPlan:
    """Rebuild the staffing view of a stored schedule (for moves and intraday work)."""
    team = schedule.team
    assignments, agents = assignments_from_rows(schedule)
    # An agent whose contract changed since publication keeps a default contract here:
    # their stored shift is what counts, the contract only bounds new shifts.
    people = [
        staffing_agent(agent, team) or staffing.Agent(agent.code) for agent in agents.values()
    ]
    problem = build_problem(
        team=team,
        agents=people,
        requirement=schedule.requirement,
        calls=schedule.calls,
        aht_s=schedule.aht_s,
        weekday=None,
        time_limit_s=time_limit_s or team.schedule_time_limit_s,
    )
    # A stored schedule keeps the service-level definition it was planned with.
    problem.target_service_level = schedule.target_service_level
    problem.answer_within_s = float(schedule.answer_within_s)
    plan = staffing.Schedule(
        assignments=assignments,
        coverage=coverage_frame(assignments, problem),
        objective=schedule.objective or 0.0,
        best_bound=schedule.best_bound or 0.0,
        gap=schedule.gap or 0.0,
        status=schedule.solver_status,
        penalty_breakdown=dict(schedule.penalty_breakdown),
        lunch_preferences_met=schedule.lunch_preferences_met,
        solve_seconds=schedule.solve_seconds or 0.0,
    )
    return DayPlan(schedule=schedule, problem=problem, plan=plan, agents=agents)


# --------------------------------------------------------------------------- moves


def _as_lunch_move(day: DayPlan, agent: Agent, position: int):
    """Present break ``position`` to ``evaluate_move`` as the agent's "lunch".

    Adapter until the library moves breaks itself (requests-contactcentre.md item 2): the
    real lunch joins the breaks, the lunch window becomes the whole shift (breaks have none)
    and the agent's lunch wish is dropped; in-shift, spacing, order and longest-stretch
    rules then apply to the break unchanged.
    """
    mine = day.assignment(agent)
    periods = mine.activities
    if not 0 <= position < len(periods):
        raise ValueError(f"{agent} has no break number {position + 1} on this day")
    moving = periods[position]
    others = [p for i, p in enumerate(periods) if i != position]
    assignments = day.plan.assignments.copy()
    row = assignments.index[assignments["agent"] == agent.code][0]
    assignments.at[row, "breaks"] = others
    assignments.at[row, "lunch"] = moving
    plan = replace(day.plan, assignments=assignments)
    rules = replace(day.problem.break_rules, lunch_window=(0, 24 * 60))
    people = [
        replace(p, preferences=staffing.Preferences()) if p.id == agent.code else p
        for p in day.problem.agents
    ]
    problem = replace(day.problem, break_rules=rules, agents=people)
    return plan, problem


def evaluate(
    day: DayPlan,
    agent: Agent,
    *,
    position: int,
    new_start: int | None = None,
    colleague: Agent | None = None,
) -> staffing.MoveImpact:
    """Projected effect of moving one activity (or swapping lunches) on the stored plan."""
    mine = day.assignment(agent)
    is_lunch = mine.lunch is not None and mine.activities[position] == mine.lunch
    if colleague is not None:
        return staffing.evaluate_move(day.plan, day.problem, agent.code, swap_with=colleague.code)
    if is_lunch:
        return staffing.evaluate_move(day.plan, day.problem, agent.code, new_lunch_start=new_start)
    plan, problem = _as_lunch_move(day, agent, position)
    return staffing.evaluate_move(plan, problem, agent.code, new_lunch_start=new_start)


def slot_options(day: DayPlan, agent: Agent, *, position: int, k: int = 1000) -> pd.DataFrame:
    """Every start the rules allow for one activity, scored, cheapest first."""
    mine = day.assignment(agent)
    if mine.lunch is not None and mine.activities[position] == mine.lunch:
        return staffing.suggest_lunch_slots(day.plan, day.problem, agent.code, k=k)
    plan, problem = _as_lunch_move(day, agent, position)
    return staffing.suggest_lunch_slots(plan, problem, agent.code, k=k)


def lunch_wish_met(agent: Agent, team: Team, lunch: tuple[int, int] | None, day_start: dt.time):
    """Whether a lunch lies wholly inside the agent's wished window (the scheduler's rule)."""
    person = staffing_agent(agent, team)
    if person is None or person.preferences.lunch_window is None or lunch is None:
        return None
    first, last = (_clock_minutes(c) for c in person.preferences.lunch_window)
    opens = minutes_of(day_start)
    start = opens + lunch[0] * team.interval_minutes
    end = opens + lunch[1] * team.interval_minutes
    return first <= start and end <= last
