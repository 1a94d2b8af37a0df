"""Writes of the insights app: keyword-only, validated, one transaction each, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from servicechain.org.models import Organization, Unit
from servicechain.org.services import audit_record
from servicechain.surveys.models import Wave

from . import aggregates
from .models import ActionPlan, AnalysisRun, WaveSnapshot

# Below this much work an analysis runs inline: queueing it would only add a wait.
INLINE_ANALYSIS_ROWS = 5_000


def bootstrap_replicates() -> int:
    """Bootstrap replicates for driver-impact and linkage intervals (tests use fewer)."""
    return int(getattr(settings, "INSIGHTS_BOOTSTRAP_REPLICATES", 1000))


# ----------------------------------------------------------------------------- results


def results_refresh(*, wave: Wave) -> WaveSnapshot:
    """Gate a wave's results again from its responses and store them."""
    return aggregates.build_snapshot(wave)


def results_mark_stale(*, wave: Wave) -> None:
    """Responses of the wave changed: its stored results are rebuilt on the next read."""
    WaveSnapshot.objects.filter(wave=wave).update(stale=True)


def results_refresh_request(*, wave: Wave) -> AnalysisRun:
    """Queue a rebuild of a large wave's results, unless one is already waiting."""
    pending = AnalysisRun.objects.filter(
        kind=AnalysisRun.Kind.RESULTS,
        wave=wave,
        status__in=(AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING),
    ).first()
    if pending is not None:
        return pending
    run = AnalysisRun.objects.create(
        organization_id=wave.organization_id,
        kind=AnalysisRun.Kind.RESULTS,
        wave=wave,
        fingerprint=fingerprint({"wave": wave.pk}),
        message="Waiting for a worker",
    )
    _enqueue(run)
    return run


def insights_prepare(*, organization: Organization, progress=lambda message: None) -> None:
    """Gate every wave's results and fit the comment themes (demo seeding, imports)."""
    from . import themes

    waves = Wave.objects.filter(organization=organization).exclude(status=Wave.Status.DRAFT)
    for wave in waves:
        aggregates.build_snapshot(wave)
    progress(f"  insights: gated the results of {len(waves)} waves")
    for population in ("employee", "customer"):
        fitted = themes.themes_fit(organization=organization, population=population)
        progress(f"  insights: {len(fitted.themes)} {population} comment themes")


# ----------------------------------------------------------------------------- analyses


def fingerprint(parts: dict) -> str:
    """A short stable digest of what an analysis was computed from."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _enqueue(run: AnalysisRun) -> None:
    from .tasks import run_analysis

    transaction.on_commit(lambda: run_analysis.enqueue(run.pk))


def analysis_request(
    *,
    organization: Organization,
    kind: str,
    fingerprint: str,
    wave: Wave | None = None,
    unit: Unit | None = None,
    work_rows: int = 0,
    actor=None,
) -> AnalysisRun:
    """Start (or reuse) an analysis run for these inputs.

    A run with the same inputs that has not failed is reused. Small jobs run straight away
    (queueing would only add a wait); large ones are queued for the background worker and
    the page follows their progress.
    """
    with transaction.atomic():
        existing = (
            AnalysisRun.objects.filter(
                organization=organization, kind=kind, wave=wave, unit=unit, fingerprint=fingerprint
            )
            .exclude(status=AnalysisRun.Status.FAILED)
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            return existing
        run = AnalysisRun.objects.create(
            organization=organization,
            kind=kind,
            wave=wave,
            unit=unit,
            fingerprint=fingerprint,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            message="Waiting for a worker",
        )
        audit_record(
            action=f"insights.{kind}.request",
            organization=organization,
            actor=actor,
            target=run,
            detail={"wave": getattr(wave, "pk", None), "unit": getattr(unit, "pk", None)},
        )
        if work_rows > INLINE_ANALYSIS_ROWS:
            _enqueue(run)
            return run
    # Outside the transaction: the computation must not hold the database's write lock.
    from .tasks import execute

    execute(run.pk)
    run.refresh_from_db()
    return run


def analysis_progress(*, run: AnalysisRun, progress: int, message: str) -> None:
    """Record how far a run has got (its own short write, visible to the polling page)."""
    AnalysisRun.objects.filter(pk=run.pk).update(progress=progress, message=message[:200])


# ----------------------------------------------------------------------------- action plans


def _check_plan(plan: ActionPlan) -> None:
    from servicechain.surveys.bank import load_bank

    bank = load_bank()
    if plan.driver not in bank.scales or bank.scales[plan.driver].population != "employee":
        raise ValidationError({"driver": f"{plan.driver!r} is not an employee survey driver."})
    if plan.due_date and plan.due_date < dt.date(2000, 1, 1):
        raise ValidationError({"due_date": "The due date looks wrong; give a date in YYYY-MM-DD."})
    plan.full_clean()


@transaction.atomic
def action_plan_create(
    *,
    organization: Organization,
    unit: Unit,
    driver: str,
    title: str,
    owner,
    due_date: dt.date,
    actions: str,
    notes: str = "",
    wave: Wave | None = None,
    actor=None,
) -> ActionPlan:
    """Create an action plan to improve one driver in one unit."""
    plan = ActionPlan(
        organization=organization,
        unit=unit,
        driver=driver,
        wave=wave,
        title=(title or "").strip(),
        owner=owner,
        due_date=due_date,
        actions=(actions or "").strip(),
        notes=(notes or "").strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _check_plan(plan)
    plan.save()
    audit_record(
        action="insights.action_plan.create",
        organization=organization,
        actor=actor,
        target=plan,
        detail={"unit": unit.external_id, "driver": driver, "owner": owner.get_username()},
    )
    return plan


@transaction.atomic
def action_plan_update(*, plan: ActionPlan, actor=None, **changes) -> ActionPlan:
    """Change a plan's title, owner, due date, actions, status or notes."""
    allowed = {"title", "owner", "due_date", "actions", "status", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: "This field cannot be changed." for f in sorted(unknown)})
    before = {f: str(getattr(plan, f)) for f in changes}
    for name, value in changes.items():
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    _check_plan(plan)
    plan.save()
    audit_record(
        action="insights.action_plan.update",
        organization=plan.organization,
        actor=actor,
        target=plan,
        detail={f: {"from": before[f], "to": str(getattr(plan, f))} for f in changes},
    )
    return plan


# ----------------------------------------------------------------------------- exports


def export_record(*, scope, table: str, rows: int, parameters: dict) -> None:
    """Audit a CSV export: who took which table, with which filters, and how many rows."""
    audit_record(
        action="insights.export",
        organization=scope.organization,
        actor=scope.user,
        detail={"table": table, "rows": rows, "parameters": parameters},
    )
