"""Pages of the insights app. Each view: check access, call one selector or service, render.

Every view goes through `org_view` (deny by default: anonymous visitors log in, non-members
get 404, roles not listed get 403). Tables on every page export as CSV with
`?format=csv&table=<name>`; exports are audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicechain.org.access import Role, org_view

from . import selectors, services
from .access import Audience
from .exports import maybe_export
from .forms import ActionPlanForm, PlanPageForm
from .pages import (
    comments_page,
    customers_page,
    driver_impact_page,
    engagement_page,
    linkage_page,
)

ANALYSTS = (Role.ADMIN, Role.HR_ANALYST)
PLANNERS = (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)


@org_view()
def engagement(request, scope):
    page = engagement_page(
        Audience(scope),
        wave_id=request.GET.get("wave"),
        unit_id=request.GET.get("unit"),
        filter=request.GET.get("filter", ""),
    )
    exported = maybe_export(
        request,
        scope,
        {
            "heatmap": page.heatmap.as_records,
            "drivers": page.driver_records,
            "plan_effects": page.plan_effect_records,
        },
    )
    return exported or render(request, "insights/engagement.html", {"scope": scope, "page": page})


@org_view()
def driver_impact(request, scope):
    page = driver_impact_page(
        Audience(scope), wave_id=request.GET.get("wave"), unit_id=request.GET.get("unit")
    )
    exported = maybe_export(request, scope, page.tables())
    return exported or render(
        request, "insights/driver_impact.html", {"scope": scope, "page": page}
    )


@require_POST
@org_view(Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
def driver_impact_run(request, scope):
    page = driver_impact_page(
        Audience(scope), wave_id=request.POST.get("wave"), unit_id=request.POST.get("unit")
    )
    run = page.start(actor=request.user)
    url = reverse("insights:drivers", args=[scope.organization.slug])
    return redirect(f"{url}?{page.query}#run-{run.pk}")


@org_view()
def run_status(request, scope, run_id: int):
    """A run's progress bar (polled by HTMX until done); the page reloads to show the result."""
    run = selectors.analysis_run_of(Audience(scope), run_id)
    return render(request, "insights/_run.html", {"scope": scope, "run": run})


@org_view()
def customers(request, scope):
    page = customers_page(
        Audience(scope), wave_id=request.GET.get("wave"), unit_id=request.GET.get("unit")
    )
    exported = maybe_export(request, scope, selectors.customer_tables(page))
    return exported or render(request, "insights/customers.html", {"scope": scope, "page": page})


@org_view(*ANALYSTS)
def linkage(request, scope):
    page = linkage_page(scope)
    exported = maybe_export(request, scope, page.tables())
    return exported or render(request, "insights/linkage.html", {"scope": scope, "page": page})


@require_POST
@org_view(*ANALYSTS)
def linkage_run(request, scope):
    run = linkage_page(scope).start(actor=request.user)
    return redirect(f"{reverse('insights:linkage', args=[scope.organization.slug])}#run-{run.pk}")


@org_view()
def comments(request, scope):
    page = comments_page(
        Audience(scope),
        source=request.GET.get("source", "employee"),
        wave_id=request.GET.get("wave"),
        unit_id=request.GET.get("unit"),
        theme=request.GET.get("theme", ""),
        query=request.GET.get("q", ""),
        sentiment=request.GET.get("sentiment", ""),
    )
    exported = maybe_export(request, scope, page.tables())
    return exported or render(request, "insights/comments.html", {"scope": scope, "page": page})


@org_view()
def plans(request, scope):
    audience = Audience(scope)
    unit = audience.focus(request.GET.get("unit")) if request.GET.get("unit") else None
    listed = selectors.action_plans(audience, unit=unit, driver=request.GET.get("driver", ""))
    exported = maybe_export(request, scope, {"plans": lambda: selectors.plan_records(listed)})
    context = {"scope": scope, "plans": listed, "audience": audience, "unit": unit}
    context["rollup"] = selectors.plan_rollup(listed)
    return exported or render(request, "insights/plans.html", context)


@require_http_methods(["GET", "POST"])
@org_view(*PLANNERS)
def plan_create(request, scope):
    initial = {
        "unit": request.GET.get("unit") or getattr(Audience(scope).default_focus, "pk", None),
        "driver": request.GET.get("driver"),
        "owner": request.user.pk,
    }
    form = ActionPlanForm(request.POST or None, initial=initial, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.action_plan_create(
                organization=scope.organization,
                wave=selectors.wave_or_none(scope.organization, request.POST.get("wave")),
                tasks=form.tasks(),
                actor=request.user,
                **form.plan_fields(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Action plan “{plan.title}” created.")
            return redirect("insights:plan", scope.organization.slug, plan.pk)
    context = {"scope": scope, "form": form, "wave": request.GET.get("wave", "")}
    failed = request.method == "POST"
    return render(request, "insights/plan_form.html", context, status=422 if failed else 200)


@require_GET
@org_view(*PLANNERS)
def plan_suggestions(request, scope):
    """The suggested-actions part of the new-plan form for another driver (HTMX swap)."""
    form = ActionPlanForm(initial={"driver": request.GET.get("driver")}, scope=scope)
    return render(request, "insights/_plan_suggestions.html", {"form": form})


@require_http_methods(["GET", "POST"])
@org_view()
def plan_detail(request, scope, plan_id: int):
    audience = Audience(scope)
    plan = selectors.action_plan_of(audience, plan_id)
    editable = audience.can_plan_for(plan.unit)
    if request.method == "POST" and not editable:
        raise PermissionDenied("Your role does not allow changing this plan.")
    tasks = selectors.plan_tasks(plan)
    form = PlanPageForm(request.POST or None, plan=plan, tasks=tasks, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_plan_save(plan=plan, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form.add_error(error)
        else:
            messages.success(request, "Action plan saved.")
            return redirect("insights:plan", scope.organization.slug, plan.pk)
    context = {"scope": scope, "plan": plan, "form": form, "editable": editable, "tasks": tasks}
    context["progress_updates"] = selectors.plan_progress(plan)
    context["follow_up"] = selectors.plan_follow_up(audience, plan)
    failed = request.method == "POST"  # a refused Save: say so with the status as well
    return render(request, "insights/plan_detail.html", context, status=422 if failed else 200)
