"""Writes of the insights app: keyword-only, validated, one transaction each, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from servicechain.org.models import Employee, Organization, Unit
from servicechain.org.services import audit_record
from servicechain.surveys.models import Wave

from .models import ActionPlan, AnalysisRun, PlanTask, ProgressUpdate, RetentionPublication

# Below this much work an analysis runs inline: queueing it would only add a wait.
INLINE_ANALYSIS_ROWS = 5_000


def bootstrap_replicates() -> int:
    """Bootstrap replicates for driver-impact and linkage intervals (tests use fewer)."""
    return int(getattr(settings, "INSIGHTS_BOOTSTRAP_REPLICATES", 1000))


# ----------------------------------------------------------------------------- results


def insights_prepare(*, organization: Organization, progress=lambda message: None) -> None:
    """Publish the results of every closed wave (demo seeding). Comments need no fitting:
    `themes` reads each one when a page shows it."""
    from servicechain.surveys.services import results_publish_due

    results_publish_due(organization=organization)
    published = Wave.objects.filter(organization=organization, status=Wave.Status.CLOSED)
    progress(f"  insights: published the results of {published.count()} closed waves")


# ----------------------------------------------------------------------------- analyses


def retention_publish_due(*, organization: Organization, today: dt.date) -> RetentionPublication:
    """Freeze the employment records retention figures read for the last closed month, once
    (the first call after it closes); later calls return that publication unchanged."""
    from .retention import data

    month = data.publication_month(today)
    found = RetentionPublication.objects.filter(organization=organization, month=month).first()
    if found is not None:
        return found
    with transaction.atomic():
        publication, _ = RetentionPublication.objects.get_or_create(
            organization=organization,
            month=month,
            defaults={"spells": data.spell_rows(organization)},
        )
    return publication


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


def analysis_fail(*, run_id: int, error: str) -> None:
    """Fail a run its task left queued or running; a finished run keeps its outcome."""
    AnalysisRun.objects.filter(
        pk=run_id, status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING]
    ).update(
        status=AnalysisRun.Status.FAILED, error=error, message="Failed", finished_at=timezone.now()
    )


# ----------------------------------------------------------------------------- action plans

PLAN_FIELDS = {"title", "owner", "due_date", "goal", "status", "notes", "shared_with_team"}
TASK_FIELDS = {"title", "assignee", "due_date", "done"}


def _check_plan(plan: ActionPlan) -> None:
    from servicechain.surveys.bank import load_bank

    bank = load_bank()
    if plan.driver not in bank.scales or bank.scales[plan.driver].population != "employee":
        raise ValidationError({"driver": f"{plan.driver!r} is not an employee survey driver."})
    if plan.due_date and plan.due_date < dt.date(2000, 1, 1):
        raise ValidationError({"due_date": "The due date looks wrong; give a date in YYYY-MM-DD."})
    plan.full_clean()


def _check_task(task: PlanTask, *, assignee_changed: bool = True) -> None:
    from .selectors import plan_assignee_check

    if task.due_date is None:
        task.due_date = task.plan.due_date
    if task.due_date < dt.date(2000, 1, 1):
        raise ValidationError({"due_date": "The task's due date looks wrong; use YYYY-MM-DD."})
    if assignee_changed:
        plan_assignee_check(task.plan, task.assignee_id)
    task.title = (task.title or "").strip()
    task.full_clean(exclude=["plan", "assignee"])


@transaction.atomic
def action_plan_create(
    *,
    organization: Organization,
    unit: Unit,
    driver: str,
    title: str,
    owner,
    due_date: dt.date,
    goal: str = "",
    notes: str = "",
    shared_with_team: bool = False,
    tasks: Sequence[dict] = (),
    actions: str = "",
    wave: Wave | None = None,
    actor=None,
) -> ActionPlan:
    """Create an action plan to improve one driver in one unit, with its first tasks.

    `tasks` are dicts of `plan_task_add`'s arguments (`title`, optional `due_date`,
    `assignee`, `suggestion`): typically the action-library suggestions the manager kept.
    `actions` is the short form: each non-blank line becomes a task of the plan's owner.
    """
    lines = [line.strip() for line in (actions or "").splitlines() if line.strip()]
    tasks = [*tasks, *({"title": line} for line in lines)]
    plan = ActionPlan(
        organization=organization,
        unit=unit,
        driver=driver,
        wave=wave,
        title=(title or "").strip(),
        owner=owner,
        due_date=due_date,
        goal=(goal or "").strip(),
        notes=(notes or "").strip(),
        shared_with_team=shared_with_team,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _check_plan(plan)
    plan.save()
    audit_record(
        action="insights.action_plan.create",
        organization=organization,
        actor=actor,
        target=plan,
        detail={
            "unit": unit.external_id,
            "driver": driver,
            "owner": owner.get_username(),
            "shared_with_team": shared_with_team,
            "tasks": len(tasks),
        },
    )
    for task in tasks:
        plan_task_add(plan=plan, actor=actor, **task)
    return plan


@transaction.atomic
def action_plan_update(*, plan: ActionPlan, actor=None, **changes) -> ActionPlan:
    """Change a plan's title, owner, due date, goal, status, notes or sharing with the team."""
    unknown = set(changes) - PLAN_FIELDS
    if unknown:
        raise ValidationError({f: "This field cannot be changed." for f in sorted(unknown)})
    before = {f: str(getattr(plan, f)) for f in changes}
    for name, value in changes.items():
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    _check_plan(plan)
    plan.save()
    changed = {
        f: {"from": before[f], "to": str(getattr(plan, f))}
        for f in changes
        if before[f] != str(getattr(plan, f))
    }
    if changed:
        audit_record(
            action="insights.action_plan.update",
            organization=plan.organization,
            actor=actor,
            target=plan,
            detail=changed,
        )
    return plan


@transaction.atomic
def plan_task_add(
    *,
    plan: ActionPlan,
    title: str,
    due_date: dt.date | None = None,
    assignee: Employee | None = None,
    suggestion: str = "",
    actor=None,
) -> PlanTask:
    """Add a task to a plan: due with the plan unless given a date; owned by `assignee`
    (a member of the unit's team) or, when None, by the plan's owner."""
    task = PlanTask(
        plan=plan, title=title, due_date=due_date, assignee=assignee, suggestion=suggestion
    )
    _check_task(task)
    task.save()
    audit_record(
        action="insights.plan_task.add",
        organization=plan.organization,
        actor=actor,
        target=task,
        detail={"plan": plan.pk, "title": task.title, "assignee": _person(task.assignee)},
    )
    return task


@transaction.atomic
def plan_task_update(*, task: PlanTask, actor=None, **changes) -> PlanTask:
    """Change a task's title, owner, due date, or mark it done (or not done again)."""
    unknown = set(changes) - TASK_FIELDS
    if unknown:
        raise ValidationError({f: "This field cannot be changed." for f in sorted(unknown)})
    before = {f: _shown(getattr(task, f)) for f in changes}
    for name, value in changes.items():
        setattr(task, name, value.strip() if isinstance(value, str) else value)
    if "done" in changes:
        task.done_at = (task.done_at or timezone.now()) if task.done else None
    _check_task(task, assignee_changed="assignee" in changes)
    task.save()
    changed = {
        f: {"from": before[f], "to": _shown(getattr(task, f))}
        for f in changes
        if before[f] != _shown(getattr(task, f))
    }
    if changed:
        audit_record(
            action="insights.plan_task.update",
            organization=task.plan.organization,
            actor=actor,
            target=task,
            detail={"plan": task.plan_id, **changed},
        )
    return task


@transaction.atomic
def plan_task_remove(*, task: PlanTask, actor=None) -> None:
    """Drop a task from its plan (audited with its title, so the record keeps what it was)."""
    audit_record(
        action="insights.plan_task.remove",
        organization=task.plan.organization,
        actor=actor,
        target=task,
        detail={"plan": task.plan_id, "title": task.title, "done": task.done},
    )
    task.delete()


@transaction.atomic
def progress_update_add(*, plan: ActionPlan, note: str, actor=None) -> ProgressUpdate:
    """Add a dated note on how the plan is going, signed by its author."""
    update = ProgressUpdate(
        plan=plan,
        note=(note or "").strip(),
        author=actor if getattr(actor, "is_authenticated", False) else None,
    )
    update.full_clean(exclude=["plan", "author"])
    update.save()
    audit_record(
        action="insights.progress_update.add",
        organization=plan.organization,
        actor=actor,
        target=update,
        detail={"plan": plan.pk, "characters": len(update.note)},
    )
    return update


@transaction.atomic
def action_plan_save(
    *,
    plan: ActionPlan,
    actor=None,
    changes: dict | None = None,
    tasks: Sequence[dict] = (),
    progress_note: str = "",
) -> ActionPlan:
    """Everything the plan page saves at once, all or nothing: the plan's own fields, its
    task list and a progress update.

    Each entry of `tasks` is a task's fields (`title`, `assignee`, `due_date`, `done`) with
    `id` (None for a new task) and `remove` (True to drop it). Every change is audited by
    the service that makes it.
    """
    action_plan_update(plan=plan, actor=actor, **(changes or {}))
    existing = {task.pk: task for task in plan.tasks.all()}
    for entry in tasks:
        entry = dict(entry)
        task_id, remove = entry.pop("id", None), entry.pop("remove", False)
        if task_id is None:
            if not remove:
                done = entry.pop("done", False)
                task = plan_task_add(plan=plan, actor=actor, **entry)
                if done:
                    plan_task_update(task=task, actor=actor, done=True)
            continue
        task = existing.get(task_id)
        if task is None:
            raise ValidationError({"tasks": f"Task {task_id} is not part of this plan."})
        if remove:
            plan_task_remove(task=task, actor=actor)
            continue
        changed = {k: v for k, v in entry.items() if _shown(getattr(task, k)) != _shown(v)}
        if changed:
            plan_task_update(task=task, actor=actor, **changed)
    if (progress_note or "").strip():
        progress_update_add(plan=plan, note=progress_note, actor=actor)
    return plan


def _person(employee: Employee | None) -> str:
    return employee.external_id if employee is not None else "plan owner"


def _shown(value) -> str:
    if isinstance(value, Employee) or value is None:
        return _person(value)
    return str(value)


# ----------------------------------------------------------------------------- exports


def export_record(*, scope, table: str, rows: int, parameters: dict) -> None:
    """Audit a CSV export: who took which table, with which filters, and how many rows."""
    audit_record(
        action="insights.export",
        organization=scope.organization,
        actor=scope.user,
        detail={"table": table, "rows": rows, "parameters": parameters},
    )
