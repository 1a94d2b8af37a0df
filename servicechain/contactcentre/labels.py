"""Plain words for the names the planning code uses internally.

A team lead reads "Best possible plan", not ``OPTIMAL``; "Lunch wishes not met", not
``lunch_preferences``. Each entry is a short label and, where a planner may want it, a
sentence that says what lies behind it (shown in a tooltip or a "details" block). Unknown
names fall back to the name with underscores turned into spaces, never to an empty cell.
"""

from __future__ import annotations

FORECAST_METHODS = {
    "seasonal_naive": (
        "Same as last week",
        "Each interval repeats the same interval one week earlier (seasonal naive).",
    ),
    "holt_winters_weekly": (
        "Trend and weekly pattern",
        "Every interval is smoothed with a trend and a weekly cycle (Holt–Winters).",
    ),
    "holt_winters_top_down": (
        "Daily trend, usual shape of the day",
        "Daily totals are forecast with a trend and a weekly cycle (Holt–Winters), then "
        "spread over the day by the recent pattern of each weekday (top-down).",
    ),
}

PLAN_OUTCOMES = {
    "OPTIMAL": ("Best possible plan", "The planner proved that no plan scores better."),
    "FEASIBLE": (
        "Good plan, time limit reached",
        "The planner stopped at its time limit; a slightly better plan may exist (the gap "
        "below says how much better at most).",
    ),
    "KEPT_PUBLISHED": (
        "Published plan kept",
        "No better arrangement of the remaining breaks was found, so the published plan stays.",
    ),
    "MANUAL": ("Made by hand", "This plan was entered, not generated."),
    "INFEASIBLE": (
        "No plan fits the rules",
        "The contracts and break rules cannot all hold on this day.",
    ),
    "UNKNOWN": ("No plan found in time", "Give the planner more time or fewer agents."),
    "MODEL_INVALID": ("Planning failed", "The planning problem was malformed; see the logs."),
}

PENALTIES = {
    "understaffing": (
        "Agents missing",
        "Up to 1,000 points per agent missing in an interval, weighted by the service level "
        "the gap costs.",
    ),
    "lunch_preferences": (
        "Lunch wishes not met",
        "10 points per agent whose lunch misses the wish.",
    ),
    "start_preferences": (
        "Start-time wishes not met",
        "Points per agent whose shift does not start at the wished time.",
    ),
    "fairness": (
        "Both wishes missed for one person",
        "Extra points when the same agent loses both the lunch and the start wish, so "
        "disappointments are spread.",
    ),
    "changes": ("Changes to the published plan", "Points per break or lunch moved."),
}

JOB_STATUSES = {
    "queued": "Waiting to start",
    "running": "Running",
    "succeeded": "Done",
    "failed": "Failed",
}

SCHEDULE_STATUSES = {
    "draft": "Draft",
    "published": "Published",
    "superseded": "Replaced",
}

SCHEDULE_KINDS = {"plan": "Day plan", "intraday": "Intraday update"}


def _fallback(name: str) -> str:
    return (name or "—").replace("_", " ").capitalize()


def forecast_method(name: str) -> str:
    return FORECAST_METHODS.get(name, (_fallback(name), ""))[0]


def forecast_method_explained(name: str) -> str:
    return FORECAST_METHODS.get(name, ("", ""))[1]


def plan_outcome(status: str) -> str:
    return PLAN_OUTCOMES.get(status, (_fallback(status), ""))[0]


def plan_outcome_explained(status: str) -> str:
    return PLAN_OUTCOMES.get(status, ("", ""))[1]


def penalty(family: str) -> str:
    return PENALTIES.get(family, (_fallback(family), ""))[0]


def penalty_explained(family: str) -> str:
    return PENALTIES.get(family, ("", ""))[1]


def job_status(status: str) -> str:
    return JOB_STATUSES.get(status, _fallback(status))


def schedule_status(status: str) -> str:
    return SCHEDULE_STATUSES.get(status, _fallback(status))


def schedule_kind(kind: str) -> str:
    return SCHEDULE_KINDS.get(kind, _fallback(kind))


def person(user) -> str:
    """A user as people know them: full name, else the username; "—" for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
