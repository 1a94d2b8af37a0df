"""Pages of retention, under /o/<org>/insights/retention/. Each view: check the role, call
one page builder, render or export (CSV exports are audited by `maybe_export`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from servicechain.org.access import Role, org_view

from ..access import Audience
from ..exports import maybe_export
from . import costs, pages, services
from .forms import CostForm

DECIDERS = (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
EDITORS = (Role.ADMIN, Role.HR_ANALYST)


def _show(request, scope, page, template: str, status: int = 200):
    exported = maybe_export(request, scope, page.tables())
    return exported or render(
        request,
        f"insights/retention/{template}.html",
        {"scope": scope, "page": page},
        status=status,
    )


@require_GET
@org_view(*DECIDERS)
def overview(request, scope):
    page = pages.retention_page(
        Audience(scope), unit_id=request.GET.get("unit"), by=request.GET.get("by", "unit")
    )
    return _show(request, scope, page, "overview")


@require_GET
@org_view(*DECIDERS)
def drivers(request, scope):
    return _show(request, scope, pages.drivers_page(Audience(scope)), "drivers")


@require_GET
@org_view(*DECIDERS)
def flight_risk(request, scope):
    page = pages.flight_risk_page(Audience(scope), unit_id=request.GET.get("unit"))
    return _show(request, scope, page, "flight_risk")


@require_http_methods(["GET", "POST"])
@org_view(*DECIDERS)
def cost_calculator(request, scope):
    """GET: the calculator, with a what-if from the query (nothing saved); POST (HR and
    admins): save the inputs. Refused input is 422 with every value as it was typed."""
    current = {f: v for f, (v, _) in costs.cost_inputs(scope.organization).items()}
    posted = request.method == "POST"
    if posted:
        scope.require(*EDITORS)
    bound = request.POST if posted else _what_if(request.GET, current)
    form = CostForm(bound, current=current)
    if posted and form.is_valid():
        try:
            services.turnover_costs_save(
                organization=scope.organization, inputs=form.inputs(), actor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Turnover cost inputs saved.")
            url = reverse("insights:retention-costs", args=[scope.organization.slug])
            return redirect(
                f"{url}?unit={request.POST.get('unit', '')}&reduction={form.cleaned_data.get('reduction') or ''}"
            )
    valid = form.is_bound and form.is_valid()
    page = pages.costs_page(
        Audience(scope),
        unit_id=request.GET.get("unit") or request.POST.get("unit"),
        reduction_pct=_reduction(request) if not form.is_bound else form.reduction_pct(),
        changes=form.changes() if valid and not posted else None,
    )
    page.form = form
    return _show(request, scope, page, "costs", status=422 if form.is_bound and not valid else 200)


def _what_if(query, current) -> dict | None:
    """A what-if from the query: the inputs given, the current values for the rest."""
    if not CostForm.carries_inputs(query):
        return None
    return {**costs.as_form_data(current), **query.dict()}


def _reduction(request):
    """The reduction asked for in the query (None, the default, when absent or not 0-100)."""
    try:
        return REDUCTION.clean(request.GET.get("reduction", ""))
    except ValidationError:
        return None


REDUCTION = forms.DecimalField(min_value=0, max_value=100, decimal_places=1, required=False)
