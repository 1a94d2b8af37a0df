"""Demo data of the insights app, run by servicechain.demo after the surveys seeder.

It gates every wave's results and leaves the demo manager an
action plan made between the last two waves, so the latest wave can show how units with a
plan moved against units without one.
"""

from __future__ import annotations

import datetime as dt


def seed_demo(*, organization, synthetic, today=None, progress=lambda message: None) -> None:
    # ``today`` is accepted like every seeder's; insights follow from the seeded waves' dates.
    from . import services

    services.insights_prepare(organization=organization, progress=progress)
    _demo_action_plan(organization)
    progress("  insights: a demo action plan on recognition in the manager's area")
    _demo_linkage(organization)
    progress("  insights: linkage report computed")


def _demo_action_plan(organization) -> None:
    """The demo manager's plan on recognition, made after the wave before last, so the last
    wave compares units with a plan against units without. It is shared with the team, has
    tasks from the action library (two done, one with a store manager) and two progress
    updates, so every part of a plan's page has something to show."""
    from django.contrib.auth import get_user_model

    from servicechain.org.models import Membership

    from . import services
    from .models import PlanTask, ProgressUpdate
    from .selectors import plan_assignees, suggested_tasks

    manager = Membership.objects.filter(organization=organization, role="manager").first()
    pair = _follow_up_waves(organization, manager.unit) if manager else None
    if pair is None:
        return
    latest, before = pair
    user = get_user_model().objects.get(pk=manager.user_id)
    due = (latest.opens_at + dt.timedelta(days=60)).date()
    plan = services.action_plan_create(
        organization=organization,
        unit=manager.unit,
        driver="recognition",
        title="Say thank you, every week",
        goal="Everyone hears specific thanks for their work at least once a week; "
        "recognition above the company score at the next survey.",
        owner=user,
        due_date=due,
        notes="From the recognition scores of " + before.name,
        shared_with_team=True,
        wave=before,
        actor=user,
    )
    # Backdated to between the two waves, as if it had been made after the earlier one; its
    # progress since then falls before the latest wave opened.
    made = before.closes_at + (latest.opens_at - before.closes_at) / 4
    step = (latest.opens_at - made) / 4
    chosen = ["recognition-huddle", "recognition-peer-board", "recognition-preferences"]
    suggested = suggested_tasks("recognition", chosen, due_date=due, today=made.date())
    store_manager = plan_assignees(plan).filter(is_manager=True).first()
    for number, task in enumerate(suggested):
        assignee = store_manager if number == 2 else None
        services.plan_task_add(plan=plan, assignee=assignee, actor=user, **task)
    services.plan_task_add(
        plan=plan, title="Quarterly team awards chosen by colleagues", actor=user
    )
    type(plan).objects.filter(pk=plan.pk).update(created_at=made, status="in_progress")
    for task in list(plan.tasks.order_by("pk"))[:2]:
        PlanTask.objects.filter(pk=task.pk).update(
            done=True, done_at=made + step, due_date=(made + 2 * step).date()
        )
    for number, note in enumerate(
        (
            "Huddle thanks started on Monday; the first notes are on the board.",
            "Board gets 10-15 notes a week. Asking people how they like to be thanked next.",
        ),
        start=1,
    ):
        update = services.progress_update_add(plan=plan, note=note, actor=user)
        ProgressUpdate.objects.filter(pk=update.pk).update(created_at=made + number * step)


def _follow_up_waves(organization, unit):
    """The newest two consecutive closed waves that both show `unit`'s recognition score
    (else the newest two closed waves), so the demo plan's follow-up has something to show.
    An open wave's results are not final, so it is never one of them."""
    from servicechain.surveys.models import Wave

    from .selectors import cells, employee_waves, wave_results

    closed = [w for w in employee_waves(organization) if w.status == Wave.Status.CLOSED]
    if len(closed) < 2:
        return None

    def shown(wave) -> bool:
        results = wave_results(wave)
        cell = (
            cells(results.snapshot, [unit.pk]).get((unit.pk, "recognition"))
            if results.ready
            else None
        )
        return cell is not None and not cell.suppressed

    for later, earlier in zip(closed, closed[1:], strict=False):
        if shown(later) and shown(earlier):
            return later, earlier
    return closed[0], closed[1]


def _demo_linkage(organization) -> None:
    """Compute the linkage report once, so the HR analyst finds it ready."""
    from servicechain.org.access import scope_for
    from servicechain.org.models import Membership

    from .pages import linkage_page

    admin = Membership.objects.filter(organization=organization, role="admin").first()
    if admin is not None:
        linkage_page(scope_for(admin.user, organization.slug)).start(actor=None)
