"""Rewards pages under /o/<org>/rewards/: the plan builder, payout runs (preview, flags,
approve, lock, payroll CSV) and statements. Role-scoped through `predicates`; bad input is
one message and changes nothing."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from servicechain.csv_export import CsvWriter
from servicechain.org.access import org_view
from servicechain.org.models import Employee, Unit

from . import forms, predicates, selectors, services
from .models import Period, period_before, period_start


def _require(rule, scope, *args) -> None:
    if not rule(scope, *args):
        raise PermissionDenied("Your role does not allow this.")


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@org_view()
def plans(request, scope):
    _require(predicates.can_run_payouts, scope)
    if request.method == "POST":
        _require(predicates.can_build_plans, scope)
        try:
            version = services.plan_build(
                organization=scope.organization,
                actor=request.user,
                **forms.plan_form(request.POST, scope.organization),
            )
        except ValidationError as exc:
            _error(request, exc)
            return _plans_page(request, scope, request.POST, status=400)
        messages.success(request, f"Plan “{version.plan}” saved: {version}.")
        return redirect("rewards:plans", org=scope.organization.slug)
    return _plans_page(request, scope, {})


def _plans_page(request, scope, data, status: int = 200):
    context = {
        "scope": scope,
        "plans": selectors.plans(scope.organization),
        "units": Unit.objects.filter(organization=scope.organization).order_by("path"),
        "form": data,
        "can_build": predicates.can_build_plans(scope),
        "components": forms.component_rows(data),
        "role_weights": forms.role_weight_rows(data),
        **forms.CHOICES,
    }
    return render(request, "rewards/plans.html", context, status=status)


@org_view()
def runs(request, scope):
    _require(predicates.can_run_payouts, scope)
    if request.method == "POST":
        try:
            kind = request.POST.get("period", "")
            start = dt.date.fromisoformat(request.POST.get("period_start", ""))
            run = services.run_preview(
                organization=scope.organization,
                period=kind,
                period_start_on=start,
                actor=request.user,
            )
        except ValueError:
            messages.error(request, "Choose a period start as YYYY-MM-DD.")
            return redirect("rewards:runs", org=scope.organization.slug)
        except ValidationError as exc:
            _error(request, exc)
            return redirect("rewards:runs", org=scope.organization.slug)
        return redirect("rewards:run", org=scope.organization.slug, run_id=run.pk)
    today = timezone.localdate()
    context = {
        "scope": scope,
        "runs": selectors.runs(scope.organization),
        "periods": Period.choices,
        "suggested": period_before(Period.MONTH, period_start(Period.MONTH, today)),
    }
    return render(request, "rewards/runs.html", context)


@require_GET
@org_view()
def run(request, scope, run_id: int):
    _require(predicates.can_run_payouts, scope)
    target = selectors.run_of(scope.organization, run_id)
    context = {
        "scope": scope,
        "run": target,
        "lines": selectors.run_lines(target),
        "flags": selectors.run_flags(target),
        "open_flags": selectors.open_flags(target).count(),
        "totals": selectors.run_totals(target),
        "can_approve": predicates.can_approve_run(scope, target),
        "can_review": predicates.can_review_flags(scope),
    }
    return render(request, "rewards/run.html", context)


def _act(request, scope, run_id: int, act, done: str):
    target = selectors.run_of(scope.organization, run_id)
    try:
        act(run=target, actor=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, done)
    return redirect("rewards:run", org=scope.organization.slug, run_id=target.pk)


@require_POST
@org_view()
def run_approve(request, scope, run_id: int):
    _require(predicates.can_run_payouts, scope)
    return _act(request, scope, run_id, services.run_approve, "Run approved.")


@require_POST
@org_view()
def run_lock(request, scope, run_id: int):
    _require(predicates.can_run_payouts, scope)
    done = "Run locked: statements are ready and the payroll file can be downloaded."
    return _act(request, scope, run_id, services.run_lock, done)


@require_POST
@org_view()
def flag_review(request, scope, run_id: int, flag_id: int):
    _require(predicates.can_review_flags, scope)
    target = selectors.run_of(scope.organization, run_id)
    try:
        services.flag_review(
            flag=selectors.flag_of(target, flag_id),
            actor=request.user,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        _error(request, exc)
    return redirect("rewards:run", org=scope.organization.slug, run_id=target.pk)


@require_GET
@org_view()
def run_csv(request, scope, run_id: int):
    _require(predicates.can_run_payouts, scope)
    target = selectors.run_of(scope.organization, run_id)
    try:
        rows = services.run_export(run=target, actor=request.user)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=409, content_type="text/plain")
    stream = io.StringIO()
    writer = CsvWriter(stream)
    writer.writerow(["employee_id", "period", "component", "amount", "currency"])
    writer.writerows(rows)
    response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payroll-{target.label}.csv"'
    return response


@require_GET
@org_view()
def statement(request, scope):
    employee = predicates.employee_of(scope)
    if request.GET.get("employee"):
        employee = Employee.objects.filter(
            organization=scope.organization, pk=_int(request.GET["employee"])
        ).first()
        if employee is None or not predicates.can_see_statement_of(scope, employee):
            raise Http404("No such employee.")
    chosen = None
    if request.GET.get("run"):
        chosen = selectors.run_of(scope.organization, request.GET["run"])
        if chosen.status != chosen.Status.LOCKED:
            raise Http404("Statements show locked runs only.")
    own = selectors.statement(employee, chosen) if employee is not None else None
    locked = list(selectors.runs(scope.organization).filter(status="locked"))
    team_run = chosen or (locked[0] if locked else None)
    team = []
    if predicates.can_see_team_statements(scope) and team_run is not None:
        team = selectors.team_statements(scope, team_run)
    context = {
        "scope": scope,
        "statement": own,
        "team": team,
        "team_run": team_run,
        "team_runs": [r for r in locked if r.pk != team_run.pk] if team else [],
    }
    return render(request, "rewards/statement.html", context)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such employee.") from None
