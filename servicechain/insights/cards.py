"""Home cards of insights: open action plans (overdue first), the focus drivers of a
manager's units, and for HR the analyses that have finished. Reads only."""

from __future__ import annotations

from django.utils import timezone

from servicechain.org.access import Role
from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import selectors
from .access import Audience
from .models import ActionPlan, AnalysisRun

PLANNERS = (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
OPEN_PLANS = (ActionPlan.Status.PLANNED, ActionPlan.Status.IN_PROGRESS)
SHOWN = 6


def action_plans(persona: Persona) -> dict | None:
    if not persona.is_a(*PLANNERS):
        return None
    plans = selectors.action_plans(Audience(persona.scope)).filter(status__in=OPEN_PLANS)
    today = timezone.localdate()
    ordered = list(plans.order_by("due_date", "pk")[:SHOWN])  # overdue first: oldest due first
    return {
        "plans": [{"plan": p, "overdue": p.due_date < today} for p in ordered],
        "count": plans.count(),
        "overdue": plans.filter(due_date__lt=today).count(),
    }


def focus_drivers(persona: Persona) -> dict | None:
    """--- HOOK for the lead: `insights.selectors.home_focus(audience)` -------------------

    The focus drivers of the member's units that have enough data. Shown only once that
    selector exists; it is expected to return a list of dicts with "name" (the driver) and
    optionally "unit", "detail" and "url" (see insights/cards/focus.html), or None.
    """
    home_focus = getattr(selectors, "home_focus", None)
    if home_focus is None or not persona.is_a(*PLANNERS):
        return None
    focus = home_focus(Audience(persona.scope))
    return None if focus is None else {"focus": focus}


def finished_analyses(persona: Persona) -> dict | None:
    if not persona.is_a(Role.ADMIN, Role.HR_ANALYST):
        return None
    runs = (
        AnalysisRun.objects.filter(
            organization=persona.scope.organization,
            status=AnalysisRun.Status.DONE,
            kind__in=(AnalysisRun.Kind.DRIVER_IMPACT, AnalysisRun.Kind.LINKAGE),
        )
        .select_related("wave", "unit")
        .order_by("-finished_at", "-pk")[:5]
    )
    return {"runs": list(runs)}


register_card(
    "action_plans", template="insights/cards/action_plans.html", build=action_plans, order=20
)
register_card("focus_drivers", template="insights/cards/focus.html", build=focus_drivers, order=25)
register_card(
    "finished_analyses",
    template="insights/cards/finished_analyses.html",
    build=finished_analyses,
    order=40,
)
