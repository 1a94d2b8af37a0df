"""Import kind "volumes": calls offered and average handling time per interval (ACD export).

Columns:

* ``interval_start`` — ISO 8601 date-time of the interval's start. Times without an offset
  are read on the centre's own wall clock (ACD exports are local), e.g. ``2026-03-02 10:15``.
* ``calls`` — calls offered in the interval (whole number, 0 or more).
* ``aht_s`` — average handling time in seconds (talk + hold + wrap-up); required when
  ``calls`` > 0, empty when no call was handled.
* ``team`` — optional: the team's short name. An upload for one team (the API/page option
  ``team``, which the caller has been checked to plan) writes only that team: a row naming
  any other team is a row error, and the message names no other team, so a lead can neither
  write into another centre nor learn its teams' names. Without the option (an organisation-wide
  import by HR or an administrator) the column routes each row to any team of the organisation.

Atomic like every import: a bad value, an interval not on the team's 15/30-minute grid or the
same interval twice is reported by row and column, and nothing is written. An interval
already stored is updated (re-importing a corrected export is safe).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import connection
from django.utils import timezone

from servicechain.org import imports
from servicechain.org.imports import CellError, Column, ErrorLog, Importer, SeenIds, register

from .models import IntervalVolume, Team


def local_datetime(value: Any) -> dt.datetime:
    """A date-time, naive when the file gave no offset (the centre's zone applies later)."""
    if isinstance(value, dt.datetime):
        return value
    raw = str(value).strip()
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise CellError(
            f"{value!r} is not a date-time; write it as ISO 8601, e.g. 2026-03-02T10:15"
        ) from None


def seconds(value: Any) -> float:
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise CellError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(number) or number <= 0:
        raise CellError(f"{value!r} must be a positive number of seconds")
    if number > 86_400:
        raise CellError(f"{value!r} seconds is longer than a day")
    return number


@register
class VolumeImporter(Importer):
    kind = "volumes"
    model = IntervalVolume
    columns = (
        Column("interval_start", local_datetime),
        Column("calls", imports.integer(minimum=0, maximum=1_000_000)),
        Column("aht_s", seconds, required=False),
        Column("team", imports.identifier, required=False),
    )

    def __init__(self, organization, **options):
        super().__init__(organization, **options)
        teams = Team.objects.filter(organization=organization).select_related("centre")
        given = str(options.get("team") or "")
        if given:
            # Deny by default: an upload for one team may write that team and nothing else.
            teams = teams.filter(slug=given)
        self.teams = {t.slug: t for t in teams}
        self.default_team = self.teams.get(given)
        self.written: set[str] = set()
        self.has_team_column = False
        self.seen: SeenIds | None = None

    def written_to(self) -> dict[str, list[str]]:
        return {"teams": sorted(self.written)}

    def count(self) -> int:
        return IntervalVolume.objects.filter(team__organization=self.organization).count()

    def check_header(self, header: list[str], errors: ErrorLog) -> None:
        super().check_header(header, errors)
        self.has_team_column = "team" in header
        given = self.options.get("team")
        if given and self.default_team is None:
            errors.add(None, None, f"unknown team {given!r}")
        elif not given and not self.has_team_column:
            errors.add(1, "team", "say which team the volumes belong to: a `team` column or option")

    def _team(self, number: int, values: dict, errors: ErrorLog) -> Team | None:
        slug = values.get("team")
        if not slug:
            if self.default_team is None:
                errors.add(number, "team", "is empty and no team was chosen for the upload")
            return self.default_team
        team = self.teams.get(slug)
        if team is None and self.default_team is not None:
            errors.add(
                number,
                "team",
                f"{slug!r} is not the team of this upload; every row must be for team "
                f"{self.default_team.slug!r} (or leave the column empty)",
            )
        elif team is None:
            errors.add(number, "team", f"unknown team {slug!r}; use one of {', '.join(self.teams)}")
        return team

    def write(self, rows, errors, *, write):
        if self.seen is None:
            self.seen = SeenIds()
        objects, keys = [], []
        for number, values in rows:
            team = self._team(number, values, errors)
            if team is None:
                continue
            start = values["interval_start"]
            if timezone.is_naive(start):
                start = start.replace(tzinfo=team.centre.zone)
            local = start.astimezone(team.centre.zone)
            if local.second or local.microsecond or local.minute % team.interval_minutes:
                errors.add(
                    number,
                    "interval_start",
                    f"{local:%H:%M:%S} is not the start of a {team.interval_minutes}-minute "
                    f"interval of team {team.slug}",
                )
                continue
            if values["calls"] > 0 and values["aht_s"] is None:
                errors.add(number, "aht_s", "is empty but the interval had calls")
                continue
            aht = values["aht_s"] if values["calls"] > 0 else None
            keys.append((number, f"{team.pk}|{start.astimezone(dt.UTC).isoformat()}"))
            objects.append(
                IntervalVolume(team=team, interval_start=start, calls=values["calls"], aht_s=aht)
            )
        for number, first in self.seen.check_and_add(keys).items():
            errors.add(number, "interval_start", f"the same interval is already on row {first}")
        if not write or errors:
            return 0
        self.written.update(obj.team.slug for obj in objects)
        return _upsert(objects)

    def finish(self, errors: ErrorLog, *, write: bool) -> None:
        if self.seen is not None:
            self.seen.drop()


def _upsert(objects: list[IntervalVolume]) -> int:
    """INSERT … ON CONFLICT (team, interval_start) DO UPDATE, 300 rows per statement."""
    if not objects:
        return 0
    ops = connection.ops
    table = ops.quote_name(IntervalVolume._meta.db_table)
    # The table name is the model's, quoted by the backend; every value is a %s parameter.
    head = f"INSERT INTO {table} (team_id, interval_start, calls, aht_s) VALUES "  # nosec B608
    tail = (
        " ON CONFLICT (team_id, interval_start) DO UPDATE SET "
        "calls = EXCLUDED.calls, aht_s = EXCLUDED.aht_s"
    )
    with connection.cursor() as cursor:
        for first in range(0, len(objects), 300):
            chunk = objects[first : first + 300]
            params = []
            for obj in chunk:
                params += [
                    obj.team_id,
                    ops.adapt_datetimefield_value(obj.interval_start),
                    obj.calls,
                    obj.aht_s,
                ]
            cursor.execute(head + ", ".join(["(%s, %s, %s, %s)"] * len(chunk)) + tail, params)
    return len(objects)
