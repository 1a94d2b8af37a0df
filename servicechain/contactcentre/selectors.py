"""Reads of the contact centre: frames for the staffing library, day views, move previews."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from servicechain.staffing import erlang
from servicechain.staffing.forecast import reforecast_intraday

from . import dayplan
from .dayplan import DayPlan
from .models import (
    WEEKDAYS,
    Activity,
    Agent,
    BreakTaken,
    Forecast,
    ForecastInterval,
    IntervalVolume,
    MoveRequest,
    PlanningJob,
    Schedule,
    Shift,
    Team,
)

HISTORY_DAYS = 182  # half a year: ample for weekly seasonality and the back-test
FAIRNESS_DAYS = 14  # how far back an unmet lunch wish adds weight to the next one


# --------------------------------------------------------------------------- time


def local_today(team: Team, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(team.centre.zone).date()


def day_bounds(team: Team, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware start and end of the centre's local day."""
    zone = team.centre.zone
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
    return start, end


def open_interval_starts(team: Team, day: dt.date) -> list[dt.datetime]:
    """Aware starts of the day's open intervals on the centre's wall clock."""
    opens = dt.datetime.combine(day, team.centre.opens_at, tzinfo=team.centre.zone)
    step = dt.timedelta(minutes=team.interval_minutes)
    return [opens + i * step for i in range(team.intervals_per_day)]


def interval_now(team: Team, day: dt.date, now: dt.datetime | None = None) -> int:
    """Index of the first interval of ``day`` that has not started yet (0 for future days).

    An interval already under way counts as started: nothing new can begin in it.
    """
    now = now or timezone.now()
    opens = dt.datetime.combine(day, team.centre.opens_at, tzinfo=team.centre.zone)
    elapsed = (now - opens).total_seconds() / 60.0
    if elapsed <= 0:
        return 0
    return min(team.intervals_per_day, math.ceil(elapsed / team.interval_minutes))


# --------------------------------------------------------------------------- volumes


def volume_frame(team: Team, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Actual volumes in ``[start, end)`` on the centre's clock: interval_start, calls, aht_s."""
    rows = IntervalVolume.objects.filter(
        team=team, interval_start__gte=start, interval_start__lt=end
    ).values_list("interval_start", "calls", "aht_s")
    frame = pd.DataFrame(list(rows), columns=["interval_start", "calls", "aht_s"])
    frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True).dt.tz_convert(
        team.centre.time_zone
    )
    frame["calls"] = frame["calls"].astype(float)
    frame["aht_s"] = frame["aht_s"].astype(float)
    return frame


def volume_history(team: Team, *, before: dt.date, days: int = HISTORY_DAYS) -> pd.DataFrame:
    """The last ``days`` whole days of actuals before ``before`` (local dates)."""
    start, _ = day_bounds(team, before - dt.timedelta(days=days))
    end, _ = day_bounds(team, before)
    return volume_frame(team, start, end)


def volume_summary(team: Team) -> dict:
    """Rows, first and last interval of a team's actuals."""
    return IntervalVolume.objects.filter(team=team).aggregate(
        intervals=Count("pk"), first=Min("interval_start"), last=Max("interval_start")
    )


def daily_volumes(team: Team, *, unfinished: dt.date | None = None) -> pd.DataFrame:
    """Calls per local day over the stored history: ``day``, ``calls``, ``intervals``. The
    ``unfinished`` day (today) is left out, so that a day half over does not read as a
    collapse."""
    volumes = IntervalVolume.objects.filter(team=team)
    if unfinished is not None:
        start, end = day_bounds(team, unfinished)
        volumes = volumes.exclude(interval_start__gte=start, interval_start__lt=end)
    rows = (
        volumes.annotate(day=TruncDate("interval_start", tzinfo=team.centre.zone))
        .values("day")
        .annotate(calls=Sum("calls"), intervals=Count("pk"))
        .order_by("day")
    )
    frame = pd.DataFrame(list(rows), columns=["day", "calls", "intervals"])
    frame["calls"] = frame["calls"].astype(float)
    return frame


def interval_profile(team: Team, *, days: int = 28) -> pd.DataFrame:
    """The average day of the last ``days`` days of stored actuals: mean calls per interval
    start on the centre's clock (``clock``, ``calls``), in clock order. Each interval is
    averaged over the days it was recorded, so today's unfinished day does not drag the
    afternoon down."""
    last = IntervalVolume.objects.filter(team=team).aggregate(last=Max("interval_start"))["last"]
    if last is None:
        return pd.DataFrame(columns=["clock", "calls"])
    last_day = last.astimezone(team.centre.zone).date()
    frame = volume_history(team, before=last_day + dt.timedelta(days=1), days=days)
    return _opening_hours_profile(team, frame, last_day)


def _opening_hours_profile(team: Team, frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Mean calls per clock time over the intervals the centre is open (closed hours, stored
    as zeros by some exports, would flatten the average and stretch the chart)."""
    clocks = [f"{start:%H:%M}" for start in open_interval_starts(team, day)]
    frame = frame.assign(clock=frame["interval_start"].dt.strftime("%H:%M"))
    frame = frame[frame["clock"].isin(clocks)]
    profile = frame.groupby("clock", as_index=False)["calls"].mean()
    return profile.sort_values("clock").reset_index(drop=True)


# --------------------------------------------------------------------------- forecasts


def latest_forecast(team: Team, covering: dt.date | None = None) -> Forecast | None:
    forecasts = Forecast.objects.filter(team=team)
    if covering is not None:
        forecasts = [f for f in forecasts.filter(first_day__lte=covering) if f.last_day >= covering]
        return forecasts[0] if forecasts else None
    return forecasts.first()


def forecast_day(forecast: Forecast, day: dt.date) -> pd.DataFrame:
    """The forecast's open intervals of ``day``, one row per interval, in clock order."""
    team = forecast.team
    starts = open_interval_starts(team, day)
    rows = ForecastInterval.objects.filter(
        forecast=forecast, interval_start__gte=starts[0], interval_start__lte=starts[-1]
    ).values(
        "interval_start",
        "calls",
        "aht_s",
        "traffic_erlangs",
        "agents_on_phone",
        "required_agents",
        "service_level",
    )
    found = {row["interval_start"]: row for row in rows}
    frame = []
    for index, start in enumerate(starts):
        row = found.get(start)
        frame.append(
            {
                "interval": index,
                "interval_start": start,
                "clock": f"{start.hour:02d}:{start.minute:02d}",
                "calls": row["calls"] if row else 0.0,
                "aht_s": row["aht_s"] if row else 0.0,
                "traffic_erlangs": row["traffic_erlangs"] if row else 0.0,
                "agents_on_phone": row["agents_on_phone"] if row else 0,
                "required_agents": row["required_agents"] if row else 0,
                "service_level": row["service_level"] if row else 1.0,
            }
        )
    return pd.DataFrame(frame)


def forecast_frame(forecast: Forecast) -> pd.DataFrame:
    """Every interval of a forecast (local clock) with its requirement."""
    rows = ForecastInterval.objects.filter(forecast=forecast).values(
        "interval_start", "calls", "aht_s", "required_agents", "service_level"
    )
    frame = pd.DataFrame(
        list(rows),
        columns=["interval_start", "calls", "aht_s", "required_agents", "service_level"],
    )
    frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True).dt.tz_convert(
        forecast.team.centre.time_zone
    )
    return frame


def forecast_daily(forecast: Forecast) -> pd.DataFrame:
    """Forecast calls per local day: ``day``, ``calls``."""
    frame = forecast_frame(forecast)
    if frame.empty:
        return pd.DataFrame(columns=["day", "calls"])
    frame["day"] = frame["interval_start"].dt.date
    return frame.groupby("day", as_index=False)["calls"].sum()


def forecast_profile(forecast: Forecast) -> pd.DataFrame:
    """The forecast's average day: mean forecast calls per interval start (``clock``, ``calls``)."""
    frame = forecast_frame(forecast)
    if frame.empty:
        return pd.DataFrame(columns=["clock", "calls"])
    return _opening_hours_profile(forecast.team, frame, forecast.first_day)


def forecast_days(forecast: Forecast) -> list[dict]:
    """Per forecast day: calls, peak requirement and agent-hours required."""
    out = []
    for offset in range(forecast.horizon_days):
        day = forecast.first_day + dt.timedelta(days=offset)
        frame = forecast_day(forecast, day)
        out.append(
            {
                "day": day,
                "calls": float(frame["calls"].sum()),
                "peak_required": int(frame["required_agents"].max()) if len(frame) else 0,
                "agent_hours": float(frame["required_agents"].sum())
                * forecast.team.interval_minutes
                / 60.0,
            }
        )
    return out


# --------------------------------------------------------------------------- schedules


def published_schedule(team: Team, day: dt.date) -> Schedule | None:
    return (
        Schedule.objects.filter(team=team, day=day, status=Schedule.Status.PUBLISHED)
        .select_related("team__centre")
        .first()
    )


def recent_schedules(team: Team, limit: int = 30):
    return Schedule.objects.filter(team=team).select_related("created_by")[:limit]


def unmet_lunch_days(team: Team, *, before: dt.date, days: int = FAIRNESS_DAYS) -> dict[int, int]:
    """Published days in the last ``days`` on which each agent's lunch wish went unmet."""
    return _lunch_wish_days(team, before=before, days=days, met=False)


def _lunch_wish_days(team: Team, *, before: dt.date, days: int, met: bool) -> dict[int, int]:
    """Per agent, published days in the ``days`` before ``before`` with the wish (un)met."""
    rows = (
        Shift.objects.filter(
            schedule__team=team,
            schedule__status=Schedule.Status.PUBLISHED,
            schedule__day__lt=before,
            schedule__day__gte=before - dt.timedelta(days=days),
            lunch_preference_met=met,
        )
        .values("agent_id")
        .annotate(n=Count("pk"))
    )
    return {row["agent_id"]: row["n"] for row in rows}


@dataclass
class TimelineRow:
    agent: Agent
    shift: Shift
    cells: list[str]  # per interval: off, work, break, lunch
    label: str
    is_me: bool = False


def timeline(schedule: Schedule, *, me: Agent | None = None) -> list[TimelineRow]:
    """Agents × intervals of a schedule: what each agent is doing in each interval."""
    rows = []
    shifts = schedule.shifts.select_related("agent__employee").prefetch_related("activities")
    for shift in sorted(shifts, key=lambda s: (s.start_interval, str(s.agent))):
        cells = ["off"] * schedule.intervals
        for t in range(shift.start_interval, min(shift.end_interval, schedule.intervals)):
            cells[t] = "work"
        parts = []
        for activity in shift.activities.all():
            for t in range(activity.start_interval, min(activity.end_interval, schedule.intervals)):
                cells[t] = activity.kind
            parts.append(f"{activity.kind} {schedule.interval_clock(activity.start_interval)}")
        label = (
            f"{shift.agent}: {schedule.interval_clock(shift.start_interval)}–"
            f"{schedule.interval_clock(shift.end_interval)}; " + ", ".join(parts)
        )
        rows.append(
            TimelineRow(
                shift.agent, shift, cells, label, me is not None and shift.agent_id == me.pk
            )
        )
    return rows


OVERSTAFFED_SHARE = 0.25  # this many more agents than required (and at least 2) is flagged


def overstaffed(required: int, scheduled: int) -> bool:
    """Visibly more agents on the phone than the interval needs: at least 2 and a quarter
    more than required (one spare agent is ordinary slack)."""
    spare = scheduled - required
    return spare >= 2 and spare >= OVERSTAFFED_SHARE * required


def coverage_rows(schedule: Schedule) -> list[dict]:
    """The stored per-interval coverage with flags: below target, short of agents, and
    visibly over-staffed."""
    target = schedule.target_service_level
    return [
        {
            **row,
            "below_target": row["projected_service_level"] < target - 1e-12,
            "short": max(0, row["required"] - row["scheduled"]),
            "spare": max(0, row["scheduled"] - row["required"]),
            "overstaffed": overstaffed(row["required"], row["scheduled"]),
        }
        for row in schedule.coverage
    ]


def schedule_summary(schedule: Schedule) -> dict:
    rows = schedule.coverage
    levels = [r["projected_service_level"] for r in rows if r["required"] > 0]
    calls = schedule.calls
    weighted = sum(c * r["projected_service_level"] for c, r in zip(calls, rows, strict=False))
    return {
        "agents": schedule.shifts.count(),
        "understaffed_intervals": sum(1 for r in rows if r["under"] > 0),
        "understaffed_agent_intervals": sum(r["under"] for r in rows),
        "overstaffed_intervals": sum(1 for r in rows if overstaffed(r["required"], r["scheduled"])),
        "intervals_below_target": sum(
            1 for r in rows if r["projected_service_level"] < schedule.target_service_level
        ),
        "min_service_level": min(levels) if levels else None,
        "day_service_level": weighted / sum(calls) if sum(calls) > 0 else None,
    }


@dataclass
class AgentDay:
    agent: Agent
    day: dt.date
    schedule: Schedule | None
    shift: Shift | None
    activities: list[Activity] = field(default_factory=list)
    taken: set[int] = field(default_factory=set)
    requests: list[MoveRequest] = field(default_factory=list)
    asked_of_me: list[MoveRequest] = field(default_factory=list)
    now_interval: int = 0

    def clock(self, index: int) -> str:
        return self.schedule.interval_clock(index) if self.schedule else ""

    @property
    def shift_start_clock(self) -> str:
        return self.clock(self.shift.start_interval) if self.shift else ""

    @property
    def shift_end_clock(self) -> str:
        return self.clock(self.shift.end_interval) if self.shift else ""

    def movable(self) -> list[Activity]:
        """Activities that have neither started nor been taken."""
        return [
            a
            for a in self.activities
            if a.position not in self.taken and a.start_interval >= self.now_interval
        ]

    def items(self) -> list[dict]:
        """The shift's breaks and lunch, ready to show, in shift order."""
        movable = {a.position for a in self.movable()}
        return [
            {
                "activity": a,
                "kind": a.kind,
                "position": a.position,
                "label": "Lunch" if a.kind == Activity.Kind.LUNCH else "Break",
                "start": self.clock(a.start_interval),
                "end": self.clock(a.end_interval),
                "taken": a.position in self.taken,
                "movable": a.position in movable,
                # Due: starting now or under way, and not yet recorded.
                "due": a.position not in self.taken
                and a.start_interval <= self.now_interval < a.end_interval + 1
                and self.now_interval > 0,
            }
            for a in self.activities
        ]


def agent_day(agent: Agent, day: dt.date, *, now: dt.datetime | None = None) -> AgentDay:
    schedule = published_schedule(agent.team, day)
    shift = schedule.shifts.filter(agent=agent).first() if schedule else None
    taken = set(BreakTaken.objects.filter(agent=agent, day=day).values_list("position", flat=True))
    requests = list(
        MoveRequest.objects.filter(agent=agent, day=day).select_related("colleague__employee")
    )
    asked = list(
        MoveRequest.objects.filter(
            colleague=agent, day=day, status=MoveRequest.Status.PENDING_COLLEAGUE
        ).select_related("agent__employee")
    )
    return AgentDay(
        agent=agent,
        day=day,
        schedule=schedule,
        shift=shift,
        activities=list(shift.activities.all()) if shift else [],
        taken=taken,
        requests=requests,
        asked_of_me=asked,
        now_interval=interval_now(agent.team, day, now),
    )


def upcoming_days(agent: Agent, *, today: dt.date, days: int = 7) -> list[dt.date]:
    return list(
        Shift.objects.filter(
            agent=agent,
            schedule__status=Schedule.Status.PUBLISHED,
            schedule__day__gte=today,
            schedule__day__lt=today + dt.timedelta(days=days),
        )
        .order_by("schedule__day")
        .values_list("schedule__day", flat=True)
    )


@dataclass(frozen=True)
class SwapPartner:
    """A colleague whose lunch an agent may ask to swap with: who, and when their lunch is."""

    agent: Agent
    start: int
    clock: str


def swap_partners(schedule: Schedule, agent: Agent, *, now_interval: int = 0) -> list[SwapPartner]:
    """Colleagues on the same day whose lunch has not started and differs from the agent's,
    by lunch start, then name."""
    mine = Activity.objects.filter(
        shift__schedule=schedule, shift__agent=agent, kind=Activity.Kind.LUNCH
    ).values_list("start_interval", flat=True)
    lunches = (
        Activity.objects.filter(
            shift__schedule=schedule,
            kind=Activity.Kind.LUNCH,
            start_interval__gte=now_interval,
        )
        .exclude(shift__agent=agent)
        .exclude(start_interval__in=list(mine))
        .select_related("shift__agent__employee")
    )
    partners = [
        SwapPartner(a.shift.agent, a.start_interval, schedule.interval_clock(a.start_interval))
        for a in lunches
    ]
    return sorted(partners, key=lambda p: (p.start, str(p.agent)))


# --------------------------------------------------------------------------- intraday


def closed_intervals(team: Team, day: dt.date, now: dt.datetime) -> int:
    """How many of the day's open intervals have ended by ``now``."""
    step = dt.timedelta(minutes=team.interval_minutes)
    return sum(1 for start in open_interval_starts(team, day) if start + step <= now)


def intraday_reforecast(schedule: Schedule, now: dt.datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rest of the day re-forecast from the actuals of the intervals closed by ``now``.

    Returns ``(updated, actuals)``: ``staffing.forecast.reforecast_intraday`` applied to the
    calls and AHT the published plan was made for (``attrs`` carry the volume and AHT
    ratios), and the actual volumes it saw.
    """
    team = schedule.team
    starts = open_interval_starts(team, schedule.day)
    closed = closed_intervals(team, schedule.day, now)
    if closed:
        actuals = volume_frame(team, starts[0], starts[closed - 1] + dt.timedelta(seconds=1))
    else:
        actuals = pd.DataFrame(columns=["interval_start", "calls", "aht_s"])
    planned = pd.DataFrame(
        {
            "interval_start": pd.DatetimeIndex(starts).tz_convert(team.centre.time_zone),
            "calls": np.asarray(schedule.calls, dtype=float),
            "aht_s": np.asarray(schedule.aht_s, dtype=float),
        }
    )
    updated = reforecast_intraday(planned, actuals)
    return updated, actuals


def intraday_status(team: Team, day: dt.date, now: dt.datetime | None = None) -> dict:
    """What the intraday page shows: plan vs actuals so far and the re-forecast ratios."""
    now = now or timezone.now()
    published = published_schedule(team, day)
    status = {
        "published": published,
        "drafts": Schedule.objects.filter(team=team, day=day, kind=Schedule.Kind.INTRADAY)[:5],
        "breaks_taken": BreakTaken.objects.filter(team=team, day=day).count(),
    }
    if published is None:
        return status
    updated, actuals = intraday_reforecast(published, now)
    by_start = {row.interval_start: row for row in actuals.itertuples()}
    starts = open_interval_starts(team, day)
    expected_levels = _expected_service_levels(published, updated)
    rows = []
    for index, start in enumerate(starts):
        actual = by_start.get(pd.Timestamp(start).tz_convert(team.centre.time_zone))
        coverage = published.coverage[index] if index < len(published.coverage) else {}
        rows.append(
            {
                "clock": published.interval_clock(index),
                "planned_calls": published.calls[index],
                "actual_calls": None if actual is None else actual.calls,
                "updated_calls": float(updated["calls"].iloc[index]),
                "source": updated["source"].iloc[index],
                "required": published.requirement[index],
                "scheduled": coverage.get("scheduled", 0),
                "planned_service_level": coverage.get("projected_service_level"),
                "expected_service_level": expected_levels[index],
                "below_target": expected_levels[index] < published.target_service_level - 1e-12,
            }
        )
    status |= {
        "now_clock": published.interval_clock(interval_now(team, day, now))
        if interval_now(team, day, now) < published.intervals
        else "closed",
        "closed": closed_intervals(team, day, now),
        "volume_ratio": float(updated.attrs.get("volume_ratio", 1.0)),
        "aht_ratio": float(updated.attrs.get("aht_ratio", 1.0)),
        "rows": rows,
    }
    return status


def _expected_service_levels(published: Schedule, updated: pd.DataFrame) -> list[float]:
    """Projected service level per interval with the agents on the phone in the published
    plan and the calls and handling time now expected (Erlang C, as the plan's own)."""
    scheduled = [row.get("scheduled", 0) for row in published.coverage]
    planned_aht = np.asarray(published.aht_s, dtype=float)
    aht = updated["aht_s"].to_numpy(dtype=float)
    # An interval without calls has no handling time; the plan's stands in (no calls, SL 1).
    aht = np.where(np.isfinite(aht) & (aht > 0), aht, planned_aht)
    aht = np.where(np.isfinite(aht) & (aht > 0), aht, 1.0)
    calls = np.nan_to_num(updated["calls"].to_numpy(dtype=float), nan=0.0).clip(min=0)
    levels = erlang.service_level_day(
        np.asarray(scheduled, dtype=float),
        calls,
        aht,
        published.interval_minutes * 60.0,
        float(published.answer_within_s),
    )
    return [float(v) if np.isfinite(v) else 1.0 for v in levels]


# --------------------------------------------------------------------------- moves


@dataclass
class MovePreview:
    """What a proposed move would do, and what would happen to the request."""

    kind: str
    agent: Agent
    position: int
    from_start: int
    to_start: int
    colleague: Agent | None
    colleague_from_start: int | None
    allowed: bool
    reason: str
    stays_on_target: bool
    cost_change: float
    intervals: list[dict]
    target: float
    from_clock: str = ""
    to_clock: str = ""
    suggestions: list[dict] = field(default_factory=list)

    @property
    def min_service_level_after(self) -> float | None:
        levels = [r["service_level_after"] for r in self.intervals]
        levels = [v for v in levels if v is not None and not math.isnan(v)]
        return min(levels) if levels else None

    @property
    def intervals_below_target(self) -> int:
        return sum(1 for r in self.intervals if r["below_target_after"])

    @property
    def verdict(self) -> str:
        """``not_allowed``, ``auto_approve`` or ``needs_lead`` (a swap first asks the colleague)."""
        if not self.allowed:
            return "not_allowed"
        return "auto_approve" if self.stays_on_target else "needs_lead"


def _impact_rows(impact, target: float) -> list[dict]:
    rows = []
    for row in impact.intervals.to_dict("records"):
        before, after = row["service_level_before"], row["service_level_after"]
        rows.append(
            {
                "interval": int(row["interval"]),
                "clock": row["clock"],
                "required": int(row["required"]),
                "scheduled_before": int(row["scheduled_before"]),
                "scheduled_after": int(row["scheduled_after"]),
                "service_level_before": None if pd.isna(before) else float(before),
                "service_level_after": None if pd.isna(after) else float(after),
                "below_target_after": bool(not pd.isna(after) and after < target),
            }
        )
    return rows


def _readable(reason: str, day: DayPlan, agent: Agent) -> str:
    """The library names agents by id ("7: lunch outside …"); people read names."""

    def name(match: re.Match) -> str:
        code = match.group(2)
        if code == agent.code or code not in day.agents:
            return match.group(1)
        return f"{match.group(1)}{day.agents[code]}: "

    return re.sub(r"(^|; )(\d+): ", name, reason)


def _timing_problem(day: DayPlan, agent_day_view: AgentDay | None, position, to_start, colleague):
    """Moves that the clock forbids: the activity has started, or the new slot has passed."""
    if agent_day_view is None:
        return ""
    now = agent_day_view.now_interval
    mine = day.assignment(agent_day_view.agent).activities[position]
    if position in agent_day_view.taken or mine[0] < now:
        return "this break has already started"
    if to_start is not None and to_start < now:
        return "the new time has already passed"
    if colleague is not None:
        theirs = day.assignment(colleague).lunch
        taken = BreakTaken.objects.filter(
            agent=colleague, day=day.schedule.day, kind=Activity.Kind.LUNCH
        ).exists()
        if theirs is None or theirs[0] < now or taken:
            return f"{colleague}'s lunch has already started"
    return ""


def move_preview(
    day: DayPlan,
    agent: Agent,
    *,
    position: int,
    to_start: int | None = None,
    colleague: Agent | None = None,
    now: dt.datetime | None = None,
    suggest: int = 3,
) -> MovePreview:
    """Projected service level of every interval a move touches (``evaluate_move``).

    Raises ValueError when the agent (or colleague) has no shift or no such activity.
    """
    if not day.has(agent):
        raise ValueError(f"{agent} has no shift on {day.schedule.day}")
    if colleague is not None and not day.has(colleague):
        raise ValueError(f"{colleague} has no shift on {day.schedule.day}")
    mine = day.assignment(agent)
    if not 0 <= position < len(mine.activities):
        raise ValueError(f"{agent} has no activity number {position + 1} on this day")
    current = mine.activities[position]
    is_lunch = mine.lunch is not None and current == mine.lunch
    if colleague is not None and not is_lunch:
        raise ValueError("only lunches can be swapped")
    if colleague is None and to_start is None:
        raise ValueError("say where to move it (to_start) or whom to swap with (colleague)")
    impact = dayplan.evaluate(
        day, agent, position=position, new_start=to_start, colleague=colleague
    )
    view = agent_day(agent, day.schedule.day, now=now)
    timing = _timing_problem(day, view, position, to_start, colleague)
    if colleague is None and to_start == current[0]:
        timing = "that is when it already is"
    target = day.schedule.target_service_level
    preview = MovePreview(
        kind="swap" if colleague else ("lunch" if is_lunch else "break"),
        agent=agent,
        position=position,
        from_start=current[0],
        to_start=day.assignment(colleague).lunch[0] if colleague else int(to_start),
        colleague=colleague,
        colleague_from_start=day.assignment(colleague).lunch[0] if colleague else None,
        allowed=impact.allowed and not timing,
        reason="; ".join(r for r in (_readable(impact.reason, day, agent), timing) if r),
        stays_on_target=bool(impact.stays_on_target),
        cost_change=float(impact.cost_change),
        intervals=_impact_rows(impact, target),
        target=target,
    )
    preview.from_clock = day.schedule.interval_clock(preview.from_start)
    preview.to_clock = day.schedule.interval_clock(preview.to_start)
    if preview.verdict == "needs_lead" and suggest:
        preview.suggestions = suggestions(
            day,
            agent,
            position=position,
            now_interval=view.now_interval,
            k=suggest,
            instead_of=preview.to_start,
        )
    return preview


def slot_options(day: DayPlan, agent: Agent, *, position: int, now_interval: int = 0) -> list[dict]:
    """Every allowed new start of one activity with its verdict, in clock order."""
    table = dayplan.slot_options(day, agent, position=position)
    if table.empty:
        return []
    current = day.assignment(agent).activities[position][0]
    options = []
    for row in table.sort_values("start").to_dict("records"):
        start = int(row["start"])
        if start < now_interval or start == current:
            continue
        options.append(
            {
                "start": start,
                "clock": row["start_clock"],
                "end_clock": day.schedule.interval_clock(int(row["end"])),
                "stays_on_target": bool(row["stays_on_target"]),
                "min_service_level_after": None
                if pd.isna(row["min_service_level_after"])
                else float(row["min_service_level_after"]),
                "in_preferred_window": bool(row["in_preferred_window"]),
                "cost_change": float(row["cost_change"]),
            }
        )
    return options


def suggestions(
    day: DayPlan,
    agent: Agent,
    *,
    position: int,
    now_interval: int,
    k: int = 3,
    instead_of: int | None = None,
):
    """Up to ``k`` alternatives to a move that needs the lead: allowed slots other than the
    one asked for (``instead_of``), only those that keep service on target when there are
    any (an alternative that also needs the lead is no alternative), wished window first,
    then cheapest."""
    options = [
        o
        for o in slot_options(day, agent, position=position, now_interval=now_interval)
        if o["start"] != instead_of
    ]
    on_target = [o for o in options if o["stays_on_target"]]
    options = on_target or options
    options.sort(key=lambda o: (not o["in_preferred_window"], o["cost_change"]))
    return options[:k]


def pending_for_lead(team: Team):
    return (
        MoveRequest.objects.filter(team=team, status=MoveRequest.Status.PENDING_LEAD)
        .select_related("agent__employee", "colleague__employee", "schedule")
        .order_by("day", "created_at")
    )


def recent_decisions(team: Team, limit: int = 20):
    return (
        MoveRequest.objects.filter(team=team)
        .exclude(status__in=MoveRequest.OPEN)
        .select_related("agent__employee", "colleague__employee", "decided_by")
        .order_by("-created_at")[:limit]
    )


def request_counts(team: Team, day: dt.date) -> dict:
    rows = MoveRequest.objects.filter(team=team, day=day).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def agent_roster(team: Team, *, today: dt.date) -> list[dict]:
    """Every agent with contract, wishes and how often the lunch wish was met lately."""
    unmet = unmet_lunch_days(team, before=today)
    met = _lunch_wish_days(team, before=today, days=FAIRNESS_DAYS, met=True)
    return [
        {
            "agent": agent,
            "days": ", ".join(WEEKDAYS[d] for d in sorted(agent.working_days)),
            "shift_hours": ", ".join(f"{m / 60:g} h" for m in agent.shift_lengths),
            "wish_met": met.get(agent.pk, 0),
            "wish_unmet": unmet.get(agent.pk, 0),
        }
        for agent in agents_of_team(team)
    ]


def job_schedules(job: PlanningJob) -> list[Schedule]:
    """The plans a finished job made, by day."""
    ids = (job.result or {}).get("schedules") or []
    return list(Schedule.objects.filter(pk__in=ids, team=job.team).order_by("day"))


def jobs(team: Team, limit: int = 10):
    return PlanningJob.objects.filter(team=team).select_related("created_by")[:limit]


def agents_of_team(team: Team):
    return (
        Agent.objects.filter(team=team)
        .select_related("employee")
        .order_by("employee__last_name", "employee__first_name")
    )


def open_requests_of_day(team: Team, day: dt.date):
    return MoveRequest.objects.filter(team=team, day=day).filter(
        Q(status=MoveRequest.Status.PENDING_LEAD) | Q(status=MoveRequest.Status.PENDING_COLLEAGUE)
    )
