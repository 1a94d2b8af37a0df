"""The boundary between the database and the pure staffing library.

The app stores a day as rows (shifts, activities as interval indices); the staffing library
works on dataclasses and DataFrames. Everything here translates one into the other:
Erlang C, coverage, the schedule model, the move rules and the suggestions all stay in
``servicechain.staffing``. The one rule of the app's own is that a moved break keeps its
place in the shift, because the app names activities by that place.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from servicechain.staffing import schedule as staffing

from .models import Agent, Schedule, Team, clock

# What ``staffing.schedule.schedule_from_assignments`` needs to rescore a stored day.
ASSIGNMENT_COLUMNS = ["agent", "shift_start", "shift_end", "breaks", "lunch"]


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


def _clock_of(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def contract_window(agent: Agent, team: Team) -> tuple[int, int]:
    """Earliest start and latest end the scheduler may use, in minutes after midnight.

    The contract's hours clipped to the centre's opening hours and snapped inwards onto
    the interval grid (the scheduler plans only the open day).
    """
    earliest = _boundary(minutes_of(agent.earliest_start), team, up=True)
    latest = _boundary(minutes_of(agent.latest_end) or 24 * 60, team, up=False)
    return earliest, latest


def staffing_agent(agent: Agent, team: Team, *, unmet_lunch_days: int = 0) -> staffing.Agent | None:
    """The agent as the scheduler sees them, or None when no shift fits the opening hours.

    Contract hours are clipped to the centre's opening hours and snapped to the interval
    grid (the scheduler plans only the open day); wishes are snapped inwards.
    """
    earliest, latest = contract_window(agent, team)
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


def contract_errors(agent: Agent, team: Team) -> dict[str, str]:
    """Why the scheduler could not plan this contract, by field; empty when it can.

    For a contract that has passed ``Agent.full_clean``. Hours are on the centre's clock
    (``latest_end`` 00:00 is midnight); hours outside opening time are clipped, as
    :func:`staffing_agent` does. Whether a shift can hold its lunch and breaks is asked of
    the scheduler itself (:func:`plannable_length`), so the break rules live only in
    ``servicechain.staffing``.
    """
    start, end = minutes_of(agent.earliest_start), minutes_of(agent.latest_end) or 24 * 60
    if end <= start:
        return {
            "latest_end": f"The latest end ({clock(agent.latest_end)}) must be after the "
            f"earliest start ({clock(agent.earliest_start)}); 00:00 means midnight."
        }
    step = team.interval_minutes
    errors = {}
    if agent.start_step_minutes % step or not step <= agent.start_step_minutes <= 720:
        errors["start_step_minutes"] = (
            f"Shifts start on the team's {step}-minute grid: give {step} minutes or a "
            f"multiple of it up to 720, e.g. {step} or 60."
        )
    off_grid = [m for m in agent.shift_lengths if m % step]
    if off_grid:
        errors["shift_lengths"] = (
            f"Shifts are planned in whole {step}-minute intervals: "
            f"{_minutes_text(off_grid).lower()} {'is' if len(off_grid) == 1 else 'are'} not a "
            f"multiple of {step}."
        )
        return errors
    earliest, latest = contract_window(agent, team)
    centre = team.centre
    opening = f"{clock(centre.opens_at)}–{clock(centre.closes_at)}"
    if latest <= earliest:
        errors["earliest_start"] = (
            f"The centre is open {opening}: between {clock(agent.earliest_start)} and "
            f"{clock(agent.latest_end)} no shift can be planned."
        )
        return errors
    too_long = [m for m in agent.shift_lengths if m > latest - earliest]
    if too_long:
        errors["shift_lengths"] = (
            f"{_minutes_text(too_long)} do{'es' if len(too_long) == 1 else ''} not fit between "
            f"{_clock_of(earliest)} and {_clock_of(latest)} (the contract's hours inside the "
            f"opening hours {opening}): at most {latest - earliest} minutes fit."
        )
        return errors
    unplannable = [m for m in agent.shift_lengths if not plannable_length(agent, team, m)]
    if unplannable:
        errors["shift_lengths"] = (
            f"{_minutes_text(unplannable)} cannot hold {_activities_text(agent, team)} under "
            f"the team's break rules ({_rules_text(team)}). Choose a longer shift, fewer paid "
            "breaks or a shorter lunch."
        )
    return errors


def plannable_length(agent: Agent, team: Team, minutes: int) -> bool:
    """Whether the scheduler can place one shift of ``minutes`` with its breaks and lunch.

    A one-agent day with nobody required: the library refuses a contract without any
    feasible shift while building its model, and otherwise solves it in milliseconds.
    """
    person = staffing_agent(agent, team)
    if person is None or minutes not in person.contract.shift_lengths:
        return False
    alone = replace(person, contract=replace(person.contract, shift_lengths=(minutes,)))
    problem = staffing.Problem(
        agents=[alone],
        requirement=np.zeros(team.intervals_per_day, dtype=np.int64),
        interval_minutes=team.interval_minutes,
        day_start=clock(team.centre.opens_at),
        break_rules=break_rules(team),
        time_limit_s=1.0,
        num_workers=1,
    )
    try:
        staffing.solve_schedule(problem)
    except ValueError:
        return False
    return True


def _minutes_text(lengths: list[int]) -> str:
    shown = [f"{m}" for m in lengths]
    joined = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return f"A {joined}-minute shift" if len(shown) == 1 else f"Shifts of {joined} minutes"


def _activities_text(agent: Agent, team: Team) -> str:
    parts = []
    if agent.lunch_minutes:
        parts.append(f"a {agent.lunch_minutes}-minute lunch")
    if agent.paid_breaks:
        plural = "s" if agent.paid_breaks > 1 else ""
        parts.append(f"{agent.paid_breaks} paid break{plural} of {team.break_minutes} minutes")
    return " and ".join(parts) or "its breaks"


def _rules_text(team: Team) -> str:
    text = (
        f"lunch starts {team.lunch_earliest_after}–{team.lunch_latest_after} minutes into the "
        f"shift; at least {team.min_work_before_break} minutes of work before and "
        f"{team.min_work_after_break} after every break"
    )
    if team.max_work_without_break is not None:
        text += f"; at most {team.max_work_without_break} minutes without one"
    return text


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
    work_limit: float | None = None,
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
        work_limit=work_limit,
    )


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
                "breaks": breaks,
                "lunch": lunch,
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
    # The library rescores the stored day (coverage, projected service level, wish flags,
    # penalty points) exactly as it scores a solver result.
    plan = staffing.schedule_from_assignments(
        assignments,
        problem,
        status=schedule.solver_status,
        best_bound=math.nan if schedule.best_bound is None else schedule.best_bound,
        solve_seconds=schedule.solve_seconds or 0.0,
    )
    return DayPlan(schedule=schedule, problem=problem, plan=plan, agents=agents)


# --------------------------------------------------------------------------- moves


def evaluate(
    day: DayPlan,
    agent: Agent,
    *,
    position: int,
    new_start: int | None = None,
    colleague: Agent | None = None,
) -> staffing.MoveImpact:
    """Projected effect of moving one activity (or swapping lunches) on the stored plan."""
    if colleague is not None:
        return staffing.evaluate_move(day.plan, day.problem, agent.code, swap_with=colleague.code)
    return staffing.evaluate_move(
        day.plan, day.problem, agent.code, new_start=new_start, activity=position
    )


def slot_options(day: DayPlan, agent: Agent, *, position: int, k: int = 1000) -> pd.DataFrame:
    """Every start the rules allow for one activity, scored, cheapest first.

    Columns of ``staffing.schedule.suggest_slots`` (``start, end, start_clock, cost_change,
    stays_on_target, min_service_level_after, in_preferred_window``).
    """
    return staffing.suggest_slots(day.plan, day.problem, agent.code, activity=position, k=k)
