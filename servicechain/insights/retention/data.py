"""Reads for retention: employment spells, the months observed, units' published survey
scores and the leaver survey's answers, as frames. Reads only; nothing here is shown to
anyone before `gate` has decided what may be."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from servicechain.analytics.attrition import DAYS_PER_MONTH
from servicechain.org.models import Employee, Organization
from servicechain.surveys import results as pipeline
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import UnitScore, Wave, WaveSnapshot

#: Instruments asked at a moment of a person's working life, not of the organisation's.
LIFECYCLE_TEMPLATES = ("exit", "onboarding")
ENGAGEMENT = "engagement"
#: At most this many years of history are modelled (older records describe another firm).
HISTORY_MONTHS = 36


def driver_scales() -> dict[str, str]:
    """Employee driver scales of the item bank, code -> name, in bank order."""
    return {
        code: scale.name
        for code, scale in load_bank().scales.items()
        if scale.population == "employee" and scale.kind == "driver"
    }


def score_names() -> dict[str, str]:
    """The engagement index and every driver: the unit scores retention relates to leaving."""
    return {ENGAGEMENT: load_bank().scales[ENGAGEMENT].name, **driver_scales()}


@dataclass(frozen=True)
class Window:
    """The months with records: `first_month` to `last_month` (the last complete month).

    People hired before `first_month` are seen only from then (delayed entry); the "last
    12 months" of the turnover figures end with `last_month`.
    """

    first_month: pd.Timestamp
    last_month: pd.Timestamp

    @property
    def start(self) -> pd.Timestamp:
        return self.first_month

    @property
    def end(self) -> pd.Timestamp:
        """The last day observed."""
        return self.last_month + pd.offsets.MonthEnd(0)

    @property
    def months(self) -> int:
        return _months_between(self.first_month, self.last_month) + 1

    def year(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day of the last 12 observed months (fewer if fewer are observed)."""
        first = max(self.first_month, self.last_month - pd.DateOffset(months=11))
        return first, self.end

    def shifted(self, months: int) -> Window:
        """The window ending `months` earlier (for back-tests)."""
        return Window(self.first_month, self.last_month - pd.DateOffset(months=months))


def _months_between(first: pd.Timestamp, last: pd.Timestamp) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


SPELL_COLUMNS = [
    "person",
    "unit_id",
    "job_family",
    "is_manager",
    "hire_date",
    "leave_date",
    "leave_type",
    "leave_reason",
    "regretted",
]


def spell_rows(organization: Organization) -> list[list]:
    """Every employment spell as it is recorded now, one list per person (`SPELL_COLUMNS`),
    dates as ISO text: what a `RetentionPublication` freezes."""
    rows = Employee.objects.filter(organization=organization).values_list("pk", *SPELL_COLUMNS[1:])
    return [
        [
            *row[:4],
            row[4].isoformat(),
            None if row[5] is None else row[5].isoformat(),
            *row[6:],
        ]
        for row in rows.order_by("pk")
    ]


def spells_frame(rows: list[list]) -> pd.DataFrame:
    """`spell_rows` as a frame: `person` (row id, never shown), unit, job family, manager
    flag, hire and leave dates, leave type, reason and regretted."""
    frame = pd.DataFrame(list(rows), columns=SPELL_COLUMNS)
    frame["person"] = frame["person"].astype("int64")
    frame["unit_id"] = frame["unit_id"].astype("int64")
    frame["is_manager"] = frame["is_manager"].astype(bool)
    frame["hire_date"] = pd.to_datetime(frame["hire_date"])
    frame["leave_date"] = pd.to_datetime(frame["leave_date"])
    frame["regretted"] = frame["regretted"].astype("boolean")
    return frame


def spells(organization: Organization) -> pd.DataFrame:
    """Every employment spell of the organisation as recorded now (HR's own card); pages
    read `published_spells`."""
    return spells_frame(spell_rows(organization))


def publication_month(today: dt.date) -> dt.date:
    """The last closed month before `today`'s: the month retention figures run to."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def published_spells(organization: Organization, today: dt.date) -> pd.DataFrame:
    """The spells frozen for the last closed month (`services.retention_publish_due`
    publishes them before a page reads them; as recorded now if it has not)."""
    from servicechain.insights.models import RetentionPublication

    rows = (
        RetentionPublication.objects.filter(
            organization=organization, month=publication_month(today)
        )
        .values_list("spells", flat=True)
        .first()
    )
    return spells_frame(rows) if rows is not None else spells(organization)


def window(people: pd.DataFrame, today: dt.date) -> Window | None:
    """The months observed: from the first month with a recorded leaver (before it, people
    who left are missing from an HR extract) — at most `HISTORY_MONTHS` back — to the last
    complete month before `today`. None when there is nobody or no complete month yet."""
    last = pd.Timestamp(today).to_period("M").to_timestamp() - pd.DateOffset(months=1)
    if people.empty:
        return None
    left = people["leave_date"].dropna()
    earliest = left.min() if len(left) else people["hire_date"].min()
    first = max(
        pd.Timestamp(earliest).to_period("M").to_timestamp(),
        last - pd.DateOffset(months=HISTORY_MONTHS - 1),
    )
    if first > last:
        return None
    return Window(first, last)


def observed(people: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Spells overlapping the window, with tenure in months: `entry` (when the window
    opened, 0 for people hired inside it), `tenure` (at leaving or at the window's end) and
    `left` (left inside the window)."""
    overlap = (people["hire_date"] <= window.end) & (
        people["leave_date"].isna() | (people["leave_date"] >= window.start)
    )
    frame = people[overlap].copy()
    left = frame["leave_date"].notna() & (frame["leave_date"] <= window.end)
    until = frame["leave_date"].where(left, window.end)
    frame["left"] = left
    frame["tenure"] = (until - frame["hire_date"]).dt.days.clip(lower=0) / DAYS_PER_MONTH
    frame["entry"] = ((window.start - frame["hire_date"]).dt.days / DAYS_PER_MONTH).clip(lower=0)
    # A person hired and gone on the window's first day has no time at risk: give them a day.
    frame["tenure"] = np.maximum(frame["tenure"], frame["entry"] + 1 / 30)
    return frame


def unit_tree(organization: Organization) -> pd.DataFrame:
    return pipeline.unit_tree(organization)


def engagement_waves(organization: Organization, *, closed_before=None):
    """Closed employee waves that are not lifecycle surveys, oldest first."""
    waves = (
        Wave.objects.filter(organization=organization, status=Wave.Status.CLOSED)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .exclude(instrument__template__in=LIFECYCLE_TEMPLATES)
        .order_by("opens_at", "pk")
    )
    if closed_before is not None:
        waves = waves.filter(closes_at__lt=closed_before)
    return waves


def unit_scores(organization: Organization, tree: pd.DataFrame, *, closed_before=None):
    """Each unit's engagement and driver scores: the mean of its published (shown) cells
    over the closed waves, and where the gate withheld a unit every time, its nearest
    ancestor's. Indexed by unit id, one column per scale (NaN where no ancestor has one).

    Only published cells are read: the models see what the gate shows, nothing more."""
    names = score_names()
    snapshots = WaveSnapshot.objects.filter(
        wave__in=engagement_waves(organization, closed_before=closed_before),
        state=WaveSnapshot.State.READY,
    )
    rows = UnitScore.objects.filter(
        snapshot__in=snapshots, dimension="", scale__in=list(names), suppressed=False
    ).values_list("unit_id", "scale", "value")
    cells = pd.DataFrame(list(rows), columns=["unit_id", "scale", "value"])
    own = (
        cells.groupby(["unit_id", "scale"])["value"].mean().unstack()
        if len(cells)
        else pd.DataFrame()
    )
    own = own.reindex(index=tree.index, columns=list(names)).astype("float64")
    filled = own.copy()
    for unit_id, path in tree["path"].items():  # parents come first in path order
        ancestors = [int(s, 36) for s in path.split(".") if s][:-1]
        for scale in names:
            if np.isnan(filled.at[unit_id, scale]) and ancestors:
                filled.at[unit_id, scale] = filled.at[ancestors[-1], scale]
    return filled


def latest_exit_wave(organization: Organization) -> Wave | None:
    """The latest closed leaver-survey wave whose results are published."""
    return (
        Wave.objects.filter(
            organization=organization,
            status=Wave.Status.CLOSED,
            instrument__template="exit",
            results_snapshot__state=WaveSnapshot.State.READY,
        )
        .order_by("-closes_at", "-pk")
        .first()
    )


def exit_answers(wave: Wave, tree: pd.DataFrame) -> pd.DataFrame:
    """A closed leaver-survey wave's answers: unit, the reason given and the exit-experience
    score (0-100), one row per response (not person-facing until gated)."""
    data = pipeline.wave_data(wave, tree)
    frame = pd.DataFrame(
        {
            "unit_id": data.frame["unit_id"].astype("int64"),
            "reason": data.frame.get("EXT_REASON", pd.Series(index=data.frame.index)),
            "exit_score": data.scores.get("exit", pd.Series(index=data.frame.index)),
        }
    )
    return frame.reset_index(drop=True)
