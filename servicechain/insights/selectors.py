"""Reads of the insights app. Every number comes from a gated cell or a gated analysis.

Employee and customer results are read from each wave's published, already-gated cells
(`surveys.results`, published when the wave closes); analyses (driver
impact, linkage) start from those cells or check them before touching answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404
from django.utils import timezone

from servicechain.analytics import metrics
from servicechain.org.models import Employee, Unit
from servicechain.surveys.action_library import load_action_library
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import Wave, WaveSnapshot
from servicechain.surveys.results import (
    CSAT,
    DIMENSIONS,
    EFFORT,
    ENGAGEMENT,
    ENPS,
    MONTH,
    NPS,
    RESPONDENTS,
)
from servicechain.surveys.selectors import (  # noqa: F401  (re-exported for the pages and API)
    Cell,
    Results,
    cell_of,
    cell_record,
    cells,
    latest_shown_wave,
    published_results,
    respondents_of,
    withheld_text,
)

from .access import Audience
from .models import ActionPlan, AnalysisRun, PlanTask, ProgressUpdate

# ----------------------------------------------------------------------------- waves


def employee_waves(organization) -> list[Wave]:
    """Employee waves that have opened, newest first."""
    return list(
        Wave.objects.filter(organization=organization)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .exclude(status=Wave.Status.DRAFT)
        .select_related("organization", "instrument")
        .order_by("-opens_at", "-pk")
    )


def _pick(waves: list[Wave], wave_id, what: str, focus: Unit | None = None) -> Wave:
    """The wave with this id among `waves` (newest first); when none is asked for, the latest
    wave whose published results show `focus` (`latest_shown_wave`: every page opens on the
    same default), else the newest wave. 404 otherwise, so a wave of another organisation
    looks like no wave at all."""
    if wave_id in (None, ""):
        if not waves:
            raise Http404(f"No {what} has run yet.")
        return latest_shown_wave(waves, focus) or waves[0]
    for wave in waves:
        if str(wave.pk) == str(wave_id):
            return wave
    raise Http404(f"No such {what}.")


def wave_of(organization, wave_id, focus: Unit | None = None) -> Wave:
    """An employee wave of the organisation by id (by default the latest one with results
    shown for `focus`)."""
    return _pick(employee_waves(organization), wave_id, "survey", focus)


def latest_closed_wave_id(organization) -> int | None:
    closed = latest_shown_wave(employee_waves(organization), None)
    return closed.pk if closed else None


def previous_wave(wave: Wave) -> Wave | None:
    """The wave this one follows: its `previous`, else the latest employee wave before it."""
    if wave.previous_id and wave.previous.status != Wave.Status.DRAFT:
        return wave.previous
    return (
        Wave.objects.filter(organization_id=wave.organization_id, opens_at__lt=wave.opens_at)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .exclude(status=Wave.Status.DRAFT)
        .order_by("-opens_at", "-pk")
        .first()
    )


# ----------------------------------------------------------------------------- results


def wave_results(wave: Wave) -> Results:
    """The wave's published results (read only: pages publish a wave that has closed first,
    through `surveys.services.results_ensure`)."""
    return published_results(wave)


# ----------------------------------------------------------------------------- the dashboard


def scale_columns(snapshot: WaveSnapshot | None) -> list[tuple[str, str]]:
    """Engagement and eNPS first, then the wave's drivers in bank order."""
    if snapshot is None:
        return []
    names = dict(snapshot.scales)
    bank = load_bank()
    drivers = [code for code in bank.drivers("employee") if code in names]
    others = [code for code in names if code not in drivers and code not in (ENGAGEMENT, ENPS)]
    order = [c for c in (ENGAGEMENT, ENPS) if c in names] + drivers + others
    return [(code, names[code]) for code in order]


def driver_codes(snapshot: WaveSnapshot | None) -> list[str]:
    bank = load_bank()
    names = dict(snapshot.scales) if snapshot else {}
    return [code for code in bank.drivers("employee") if code in names]


@dataclass
class HeatmapRow:
    unit: Unit
    respondents: Cell
    cells: list[Cell]
    is_focus: bool = False
    can_open: bool = False


@dataclass
class Heatmap:
    wave: Wave
    focus: Unit
    columns: list[tuple[str, str]]
    rows: list[HeatmapRow]
    min_n: int
    dimension: str = ""
    category: str = ""
    comparison: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def suppressed_cells(self) -> int:
        return sum(c.suppressed for row in self.rows for c in row.cells)

    def as_records(self) -> list[dict]:
        """One record per row for CSV and JSON: withheld cells are empty, with the reason."""
        records = []
        for row in self.rows:
            record = {
                "unit_id": row.unit.pk,
                "unit": row.unit.name,
                "respondents": row.respondents.n if not row.respondents.suppressed else None,
            }
            for (code, _), cell in zip(self.columns, row.cells, strict=True):
                record |= cell_record(cell, code, self.min_n)
            records.append(record)
        return records


def heatmap(
    audience: Audience,
    results: Results,
    focus: Unit,
    *,
    dimension: str = "",
    category: str = "",
) -> Heatmap:
    """Units × scales for the focus and the units below it, each cell as the gate left it;
    `diff` compares each cell with the focus unit's own value."""
    if dimension and dimension not in DIMENSIONS:
        raise Http404("No such breakdown.")
    snapshot = results.snapshot
    columns = scale_columns(snapshot)
    units = audience.rows(focus)
    table = cells(snapshot, [u.pk for u in units], dimension=dimension, category=category)
    rows = []
    for unit in units:
        row_cells = [cell_of(table, unit.pk, code) for code, _ in columns]
        rows.append(
            HeatmapRow(
                unit=unit,
                respondents=cell_of(table, unit.pk, RESPONDENTS),
                cells=row_cells,
                is_focus=unit.pk == focus.pk,
                can_open=unit.pk != focus.pk
                and audience.can_focus(unit)
                and not audience.is_employee,
            )
        )
    if rows:
        baseline = {c.scale: c.value for c in rows[0].cells}
        for row in rows[1:]:
            for cell in row.cells:
                if cell.value is not None and baseline.get(cell.scale) is not None:
                    cell.diff = cell.value - baseline[cell.scale]
    return Heatmap(
        wave=results.wave,
        focus=focus,
        columns=columns,
        rows=rows,
        min_n=snapshot.min_group_size if snapshot else results.wave.organization.min_group_size,
        dimension=dimension,
        category=category,
    )


def change_between(code: str, now: Cell | None, before: Cell | None) -> metrics.Estimate | None:
    """The change of a scale between two waves with its interval (None unless both are shown).

    eNPS/NPS differences use their own variance (`metrics.nps_difference`); means and CSAT
    the Welch interval (`metrics.mean_difference`). The waves are treated as independent
    samples: confidential responses cannot be paired across waves.
    """
    if now is None or before is None:
        return None
    a, b = now.estimate(), before.estimate()
    if a is None or b is None:
        return None
    if code in (ENPS, NPS):
        return metrics.nps_difference(a, b)
    return metrics.mean_difference(a, b)


def focus_summary(results: Results, previous: Results | None, focus: Unit) -> dict:
    """The focus unit's engagement, eNPS and driver scores with CIs, and their change since
    the previous wave (shown only where both waves' cells are shown)."""
    current = cells(results.snapshot, [focus.pk])
    before = cells(previous.snapshot, [focus.pk]) if previous and previous.snapshot else {}
    scores = []
    for code, name in scale_columns(results.snapshot):
        cell = cell_of(current, focus.pk, code)
        old = before.get((focus.pk, code))
        scores.append(
            {
                "code": code,
                "name": name,
                "cell": cell,
                "previous": old,
                "change": change_between(code, cell, old),
            }
        )
    by_code = {s["code"]: s for s in scores}
    drivers = set(driver_codes(results.snapshot))
    return {
        "respondents": cell_of(current, focus.pk, RESPONDENTS),
        "engagement": by_code.get(ENGAGEMENT),
        "enps": by_code.get(ENPS),
        "drivers": [s for s in scores if s["code"] in drivers],
        "previous_wave": previous.wave if previous else None,
    }


# ----------------------------------------------------------------------------- plans vs no plans


def plan_effects(audience: Audience, results: Results, previous: Results | None) -> list[dict]:
    """For each driver with action plans made before this wave: the driver's change since the
    previous wave in units with a plan against comparable units without one.

    Units with a plan: the plan's unit and the units below it. Units without: units at the same
    depth with no plan on that driver above, at or below them. Only units whose cells the gate
    shows in both waves count; the means and their intervals come from `metrics.mean_ci`.
    """
    if previous is None or not results.ready or not previous.ready:
        return []
    wave = results.wave
    names = dict(results.snapshot.scales)
    plans = (
        ActionPlan.objects.filter(
            organization=wave.organization, created_at__lt=wave.opens_at, driver__in=list(names)
        )
        .exclude(status=ActionPlan.Status.CANCELLED)
        .select_related("unit")
    )
    by_driver: dict[str, list[Unit]] = {}
    for plan in plans:
        by_driver.setdefault(plan.driver, []).append(plan.unit)
    if not by_driver:
        return []
    depths = {u.depth for units in by_driver.values() for u in units}
    visible = audience.visible_units().filter(depth__in=depths).only("pk", "path", "depth", "name")
    visible = {u.pk: u for u in visible}
    out = []
    for driver, planned in sorted(by_driver.items()):
        depths = {u.depth for u in planned}
        candidates = [u for u in visible.values() if u.depth in depths]
        covered = {u.pk for u in candidates if any(u.path.startswith(p.path) for p in planned)}
        holds_plan = {u.pk for u in candidates if any(p.path.startswith(u.path) for p in planned)}
        ids = [u.pk for u in candidates]
        now = cells(results.snapshot, ids)
        before = cells(previous.snapshot, ids)
        with_plan, without_plan = [], []
        for unit in candidates:
            a, b = now.get((unit.pk, driver)), before.get((unit.pk, driver))
            if a is None or b is None or a.value is None or b.value is None:
                continue
            if unit.pk in covered:
                with_plan.append(a.value - b.value)
            elif unit.pk not in holds_plan:
                without_plan.append(a.value - b.value)
        if not with_plan:
            continue
        with_estimate = metrics.mean_ci(with_plan)
        without_estimate = metrics.mean_ci(without_plan) if without_plan else None
        out.append(
            {
                "driver": driver,
                "name": names[driver],
                "with_plan": with_estimate,
                "without_plan": without_estimate,
                "difference": with_estimate.value - without_estimate.value
                if without_estimate is not None
                else None,
                "previous_wave": previous.wave,
            }
        )
    return out


def action_plans(audience: Audience, *, unit: Unit | None = None, driver: str = ""):
    """Plans the member may see, each with `tasks_total` and `tasks_done`, open plans first.

    HR and admins see every plan; managers the plans of their subtree; and everyone, read
    only, the plans shared with the team of their own unit or of a unit above it ("what my
    manager committed to").
    """
    scope = audience.scope
    if scope.sees_whole_organisation:
        visible = Q()
    else:
        team_units = [*scope.unit.ancestor_ids(), scope.unit.pk]
        visible = Q(shared_with_team=True, unit__in=team_units)
        if audience.can_plan:
            visible |= scope.unit_filter("unit")
    plans = (
        ActionPlan.objects.filter(visible, organization=scope.organization)
        .select_related("unit", "owner", "wave")
        .annotate(
            tasks_total=Count("tasks", distinct=True),
            tasks_done=Count("tasks", filter=Q(tasks__done=True), distinct=True),
            open_first=Case(
                When(status__in=ActionPlan.OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
    )
    if unit is not None:
        plans = plans.filter(unit__path__startswith=unit.path)
    if driver:
        plans = plans.filter(driver=driver)
    return plans.order_by("open_first", "due_date", "pk")


def plan_rollup(plans) -> dict:
    """How a list of plans stands: the count per status (in the workflow's order), how many
    open plans are overdue, and tasks done out of all tasks."""
    plans = list(plans)
    counts = {status: 0 for status in ActionPlan.Status.values}
    for plan in plans:
        counts[plan.status] += 1
    return {
        "total": len(plans),
        "by_status": [
            {"status": status, "label": ActionPlan.Status(status).label, "count": counts[status]}
            for status in ActionPlan.Status.values
        ],
        "overdue": sum(1 for plan in plans if plan.overdue),
        "tasks_done": sum(plan.tasks_done for plan in plans),
        "tasks_total": sum(plan.tasks_total for plan in plans),
    }


def plan_follow_up(audience: Audience, plan: ActionPlan) -> dict | None:
    """How the plan's driver moved at the first wave after the plan was made, in units with a
    plan on that driver against units without (see `plan_effects`); None before that wave."""
    after = [w for w in employee_waves(plan.organization) if w.opens_at > plan.created_at]
    if not after:
        return None
    wave = after[-1]  # the waves are newest first: the earliest one after the plan
    before = previous_wave(wave)
    if before is None:
        return None
    effects = plan_effects(audience, wave_results(wave), wave_results(before))
    return next((e | {"wave": wave} for e in effects if e["driver"] == plan.driver), None)


def action_plan_of(audience: Audience, plan_id) -> ActionPlan:
    try:
        return action_plans(audience).get(pk=plan_id)
    except (ActionPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such action plan.") from None


def plan_tasks(plan: ActionPlan) -> list[PlanTask]:
    return list(plan.tasks.select_related("assignee").order_by("due_date", "pk"))


def plan_task_of(plan: ActionPlan, task_id) -> PlanTask:
    try:
        return plan.tasks.select_related("assignee").get(pk=task_id)
    except (PlanTask.DoesNotExist, ValueError, TypeError):
        raise Http404("No such task in this plan.") from None


def plan_progress(plan: ActionPlan) -> list[ProgressUpdate]:
    """The plan's progress updates, newest first, with their authors."""
    return list(plan.progress_updates.select_related("author"))


def plan_assignees(plan: ActionPlan):
    """People a plan's owner may give a task to, besides themself: the current employees of
    the plan's unit and the managers of the units directly below it."""
    today = timezone.localdate()
    return (
        Employee.objects.filter(organization_id=plan.organization_id)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gt=today))
        .filter(Q(unit_id=plan.unit_id) | Q(unit__parent_id=plan.unit_id, is_manager=True))
        .exclude(user_id=plan.owner_id)
        .select_related("unit")
        .order_by("last_name", "first_name", "pk")
    )


def plan_assignee_check(plan: ActionPlan, employee_id) -> None:
    """Refuse, with a clear error, a task owner who is neither in the plan unit's team (see
    `plan_assignees`) nor the plan's owner (None)."""
    from django.core.exceptions import ValidationError

    if employee_id is None or plan_assignees(plan).filter(pk=employee_id).exists():
        return
    raise ValidationError(
        {
            "assignee": f"A task's owner must be in the team of {plan.unit.name} "
            "or be the plan's owner."
        }
    )


def employee_or_none(organization, employee_id) -> Employee | None:
    """An employee of the organisation by id (None for none), else a clear error."""
    from django.core.exceptions import ValidationError

    if employee_id is None:
        return None
    employee = Employee.objects.filter(organization=organization, pk=employee_id).first()
    if employee is None:
        raise ValidationError({"assignee": f"No employee {employee_id} in this organisation."})
    return employee


def plan_suggestions(driver: str):
    """The action library's entry for a driver (rationale, references, suggested actions),
    or None for a driver it does not cover."""
    return load_action_library().get(driver)


def suggested_tasks(
    driver: str, codes, *, due_date: dt.date, today: dt.date | None = None
) -> list[dict]:
    """Tasks for the chosen library actions of a driver (arguments of `plan_task_add`): each
    due when the library says it should be in place, never after the plan itself."""
    from django.core.exceptions import ValidationError

    entry = plan_suggestions(driver)
    actions = {a.code: a for a in (entry.actions if entry else ())}
    unknown = [code for code in codes if code not in actions]
    if unknown:
        raise ValidationError(
            {"suggestions": f"Not suggested actions for {driver!r}: {', '.join(unknown)}."}
        )
    today = today or timezone.localdate()
    return [
        {
            "title": actions[code].title,
            "due_date": min(due_date, today + dt.timedelta(weeks=actions[code].weeks)),
            "suggestion": code,
        }
        for code in actions
        if code in set(codes)
    ]


def driver_impact_focus(wave: Wave, unit: Unit) -> set[str]:
    """Employee drivers in the "Focus here" quadrant (important, scoring low) of the latest
    computed driver impact of this unit and wave; empty when none was computed."""
    from .charts import quadrants_of

    run = (
        AnalysisRun.objects.filter(
            kind=AnalysisRun.Kind.DRIVER_IMPACT,
            wave=wave,
            unit=unit,
            status=AnalysisRun.Status.DONE,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    drivers = ((run.result if run else {}).get("employee") or {}).get("drivers") or []
    return {code for code, label in quadrants_of(drivers).items() if label == "Focus here"}


def plan_candidates(audience: Audience, results: Results, focus: Unit) -> list[str]:
    """Drivers of `focus` for which offering an action plan makes sense, in bank order.

    The member may plan for the unit; the driver's score is shown in this wave (not
    withheld); and either the score is below the organisation's (for the organisation
    itself: below the mean of its own driver scores), or driver impact, when computed for
    this unit and wave, put the driver in "Focus here".
    """
    if not results.ready or not audience.can_plan_for(focus):
        return []
    codes = driver_codes(results.snapshot)
    root = audience.organisation_unit
    compare_with_root = root is not None and root.pk != focus.pk
    table = cells(results.snapshot, [focus.pk, root.pk] if compare_with_root else [focus.pk])

    def shown(unit_id: int, code: str) -> float | None:
        cell = table.get((unit_id, code))
        return None if cell is None or cell.suppressed else cell.value

    scores = {c: shown(focus.pk, c) for c in codes if shown(focus.pk, c) is not None}
    if not scores:
        return []
    if compare_with_root:
        below = {
            c for c, v in scores.items() if shown(root.pk, c) is not None and v < shown(root.pk, c)
        }
    else:
        mean = sum(scores.values()) / len(scores)
        below = {c for c, v in scores.items() if v < mean}
    focus_here = driver_impact_focus(results.wave, focus)
    return [c for c in codes if c in scores and (c in below or c in focus_here)]


HOME_FOCUS_DRIVERS = 3


def home_focus(audience: Audience) -> list[dict] | None:
    """Where a manager (or HR, for the organisation) should focus: up to three drivers of
    their unit, from the newest published wave that shows it, for which a plan makes sense
    (`plan_candidates`: shown, and below the organisation or in driver impact's "Focus
    here"), furthest below the organisation first. None before any wave shows the unit."""
    from django.urls import reverse
    from django.utils.http import urlencode

    focus = audience.default_focus
    wave = latest_shown_wave(employee_waves(audience.scope.organization), focus)
    if focus is None or wave is None:
        return None
    results = wave_results(wave)
    if not respondents_of(results, focus):
        return None
    candidates = plan_candidates(audience, results, focus)
    root = audience.organisation_unit
    ids = [focus.pk] + ([root.pk] if root and root.pk != focus.pk else [])
    table = cells(results.snapshot, ids)
    names = dict(scale_columns(results.snapshot))
    slug = audience.scope.organization.slug

    def gap(code: str) -> float:
        mine, theirs = table.get((focus.pk, code)), table.get((ids[-1], code))
        return (mine.value - theirs.value) if mine and theirs and theirs.value is not None else 0

    out = []
    for code in sorted(candidates, key=gap)[:HOME_FOCUS_DRIVERS]:
        mine, theirs = table[(focus.pk, code)], table.get((ids[-1], code))
        compared = (
            f", organisation {theirs.value:.0f}"
            if len(ids) > 1 and theirs is not None and theirs.value is not None
            else ""
        )
        query = urlencode({"unit": focus.pk, "wave": wave.pk, "driver": code})
        out.append(
            {
                "name": names.get(code, code),
                "unit": focus.name,
                "detail": f"{mine.value:.0f} of 100 in {wave.name}{compared}",
                "url": reverse("insights:plan-create", args=[slug]) + f"?{query}",
            }
        )
    return out


# ----------------------------------------------------------------------------- customers

CUSTOMER_HEADLINE = (
    (CSAT, "CSAT", "% satisfied (4-5 of 5)"),
    (NPS, "NPS", "promoters − detractors"),
    (EFFORT, "Effort", "mean of 1-7, lower is easier"),
)
TEAM_KINDS = (Unit.Kind.STORE, Unit.Kind.TEAM, Unit.Kind.CONTACT_CENTRE)


def customer_waves(organization) -> list[Wave]:
    return list(
        Wave.objects.filter(organization=organization, kind=Wave.Kind.CUSTOMER)
        .exclude(status=Wave.Status.DRAFT)
        .select_related("organization", "instrument")
        .order_by("-opens_at", "-pk")
    )


def customer_wave_of(organization, wave_id, focus: Unit | None = None) -> Wave:
    """A customer wave of the organisation by id (by default the latest one with results
    shown for `focus`)."""
    return _pick(customer_waves(organization), wave_id, "customer survey", focus)


def _unit_rows(results: Results, units: list[Unit], codes: list[str]) -> list[dict]:
    table = cells(results.snapshot, [u.pk for u in units])
    return [
        {
            "unit": unit,
            "respondents": cell_of(table, unit.pk, RESPONDENTS),
            "cells": [cell_of(table, unit.pk, code) for code in codes],
        }
        for unit in units
    ]


def customer_trends(units: list[Unit], waves: list[Wave]) -> dict[str, list[dict]]:
    """Monthly CSAT, NPS and effort of each unit (the gate's month cells), oldest first."""
    codes = [code for code, _, _ in CUSTOMER_HEADLINE]
    kept: dict[tuple[str, int, str], Cell] = {}  # (scale, unit, month) -> cell
    ids = [u.pk for u in units]
    for wave in waves:
        results = wave_results(wave)
        if not results.ready:
            continue
        for month in results.snapshot.categories.get(MONTH, []):
            table = cells(results.snapshot, ids, dimension=MONTH, category=month)
            for (unit_id, code), cell in table.items():
                if code not in codes or cell.suppressed:
                    continue
                # A month split across two waves shows the part with more responses.
                previous = kept.get((code, unit_id, month))
                if previous is None or cell.n > previous.n:
                    kept[(code, unit_id, month)] = cell
    names = {u.pk: u.name for u in units}
    return {
        code: [
            {
                "month": f"{month}-01",
                "series": names[unit_id],
                "value": cell.value,
                "lower": cell.lower,
                "upper": cell.upper,
                "n": cell.n,
            }
            for (scale, unit_id, month), cell in sorted(
                kept.items(), key=lambda item: (ids.index(item[0][1]), item[0][2])
            )
            if scale == code
        ]
        for code in codes
    }


def service_driver_importance(focus: Unit, wave: Wave) -> dict[str, dict]:
    """Service-driver importance for this unit and customer wave, from the latest finished
    driver-impact run that analysed them (empty when none has yet, or when that run could
    not tell the drivers apart)."""
    runs = AnalysisRun.objects.filter(
        organization_id=wave.organization_id,
        kind=AnalysisRun.Kind.DRIVER_IMPACT,
        unit=focus,
        status=AnalysisRun.Status.DONE,
    ).order_by("-finished_at")
    for run in runs[:10]:
        if run.result.get("customer_wave") == wave.name:
            part = run.result.get("customer") or {}
            if not part.get("distinguishable", True):
                return {}
            return {d["code"]: d for d in part.get("drivers", [])}
    return {}


def customer_dashboard(audience: Audience, wave: Wave, focus: Unit) -> dict:
    """CSAT, NPS and effort of the focus unit with change since the previous customer wave,
    the same by unit and by team, service-driver scores, monthly trends and comments."""
    waves = customer_waves(wave.organization)
    results = wave_results(wave)
    earlier = [w for w in waves if w.opens_at < wave.opens_at]
    previous = wave_results(earlier[0]) if earlier else None
    codes = [code for code, _, _ in CUSTOMER_HEADLINE]
    mine = cells(results.snapshot, [focus.pk])
    before = cells(previous.snapshot, [focus.pk]) if previous and previous.ready else {}
    headline = [
        {
            "code": code,
            "label": label,
            "note": note,
            "cell": cell_of(mine, focus.pk, code),
            "change": change_between(
                code, mine.get((focus.pk, code)), before.get((focus.pk, code))
            ),
        }
        for code, label, note in CUSTOMER_HEADLINE
    ]
    bank = load_bank()
    names = dict(results.snapshot.scales) if results.ready else {}
    drivers = [(code, names[code]) for code in bank.drivers("customer") if code in names]
    children = audience.rows(focus)[1:]
    teams = (
        []
        if audience.is_employee
        else list(Unit.objects.subtree(focus).filter(kind__in=TEAM_KINDS).exclude(pk=focus.pk))
    )
    return {
        "wave": wave,
        "waves": waves,
        "results": results,
        "importance": service_driver_importance(focus, wave),
        "previous": previous.wave if previous else None,
        "headline": headline,
        "drivers": [
            {"code": code, "name": name, "cell": cell_of(mine, focus.pk, code)}
            for code, name in drivers
        ],
        "columns": [(code, label) for code, label, _ in CUSTOMER_HEADLINE],
        "by_unit": _unit_rows(results, children, codes),
        "by_team": _unit_rows(results, teams, codes),
        "trends": customer_trends(audience.rows(focus), list(reversed(waves))),
        "min_n": results.snapshot.min_group_size
        if results.ready
        else wave.organization.min_group_size,
    }


# ----------------------------------------------------------------------------- runs, records


def latest_run(organization, kind: str, fingerprint: str, *, wave=None, unit=None):
    """The newest run of an analysis for exactly these inputs, or None."""
    return (
        AnalysisRun.objects.filter(
            organization=organization, kind=kind, wave=wave, unit=unit, fingerprint=fingerprint
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def analysis_run_of(audience: Audience, run_id) -> AnalysisRun:
    """A run the member may follow: of their organisation, about a unit they may open."""
    try:
        run = AnalysisRun.objects.select_related("unit").get(
            pk=run_id, organization=audience.scope.organization
        )
    except (AnalysisRun.DoesNotExist, ValueError, TypeError):
        raise Http404("No such analysis.") from None
    analysts = audience.scope.sees_whole_organisation
    if run.kind != AnalysisRun.Kind.DRIVER_IMPACT and not analysts:
        raise Http404("No such analysis.")
    if run.unit is not None and not audience.can_focus(run.unit):
        raise Http404("No such analysis.")
    return run


def wave_or_none(organization, wave_id) -> Wave | None:
    if not wave_id:
        return None
    return (
        Wave.objects.filter(organization=organization, pk=wave_id).first()
        if str(wave_id).isdigit()
        else None
    )


def customer_tables(page: dict) -> dict:
    """The customer dashboard's tables as CSV records (withheld cells empty, with the reason)."""
    codes = [code for code, _ in page["columns"]]

    def unit_records(rows):
        def build():
            out = []
            for row in rows:
                record = {"unit_id": row["unit"].pk, "unit": row["unit"].name}
                for code, cell in zip(codes, row["cells"], strict=True):
                    record |= cell_record(cell, code, page["min_n"])
                out.append(record)
            return out

        return build

    def trend_records():
        return [
            {"scale": code, **point} for code, points in page["trends"].items() for point in points
        ]

    return {
        "by_unit": unit_records(page["by_unit"]),
        "by_team": unit_records(page["by_team"]),
        "trends": trend_records,
    }


def plan_records(plans) -> list[dict]:
    return [
        {
            "id": p.pk,
            "unit": p.unit.name,
            "driver": p.driver_name,
            "title": p.title,
            "goal": p.goal,
            "owner": p.owner.get_full_name() or p.owner.get_username(),
            "due_date": p.due_date.isoformat(),
            "status": p.get_status_display(),
            "overdue": p.overdue,
            "tasks_done": p.tasks_done,
            "tasks_total": p.tasks_total,
            "shared_with_team": p.shared_with_team,
            "notes": p.notes,
            "wave": p.wave.name if p.wave else "",
        }
        for p in plans
    ]


def planners(organization):
    """People who may own a plan: the organisation's admins, HR analysts and managers."""
    from django.contrib.auth import get_user_model

    from servicechain.org.access import Role
    from servicechain.org.models import Membership

    members = Membership.objects.filter(
        organization=organization, role__in=(Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
    ).values_list("user_id", flat=True)
    return get_user_model().objects.filter(pk__in=members).order_by("first_name", "username")


def planner_of(organization, user_id):
    """A person who may own a plan (admin, HR analyst or manager of the organisation)."""
    from django.core.exceptions import ValidationError

    owner = planners(organization).filter(pk=user_id).first()
    if owner is None:
        raise ValidationError({"owner": "The owner must be an admin, HR analyst or manager here."})
    return owner
