"""Demo data of the insights app, run by servicechain.demo after the surveys seeder.

It gates every wave's results, fits the comment themes, and leaves the demo manager an
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
    wave compares units with a plan against units without."""
    from django.contrib.auth import get_user_model

    from servicechain.org.models import Membership

    from . import services
    from .selectors import employee_waves

    waves = employee_waves(organization)
    manager = Membership.objects.filter(organization=organization, role="manager").first()
    if len(waves) < 2 or manager is None:
        return
    latest, before = waves[0], waves[1]
    user = get_user_model().objects.get(pk=manager.user_id)
    plan = services.action_plan_create(
        organization=organization,
        unit=manager.unit,
        driver="recognition",
        title="Say thank you, every week",
        owner=user,
        due_date=(latest.opens_at + dt.timedelta(days=60)).date(),
        actions="Thank-you board in the staff room\nShout-outs at the Monday huddle\n"
        "Quarterly team awards chosen by colleagues",
        notes="From the recognition scores of " + before.name,
        wave=before,
        actor=user,
    )
    # Backdated to between the two waves, as if it had been made after the earlier one.
    made = before.closes_at + (latest.opens_at - before.closes_at) / 4
    type(plan).objects.filter(pk=plan.pk).update(created_at=made, status="in_progress")


def _demo_linkage(organization) -> None:
    """Compute the linkage report once, so the HR analyst finds it ready."""
    from servicechain.org.access import scope_for
    from servicechain.org.models import Membership

    from .pages import linkage_page

    admin = Membership.objects.filter(organization=organization, role="admin").first()
    if admin is not None:
        linkage_page(scope_for(admin.user, organization.slug)).start(actor=None)
