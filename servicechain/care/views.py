"""Care pages under /o/<org>/care/. Each view validates, calls one service or selector, and
renders; a refused act answers 403/404, bad input re-renders the page with a one-line error
and status 422 (nothing written)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicechain.org.access import org_view
from servicechain.org.models import Customer

from . import classifier, predicates, selectors, services
from .models import (
    SEVERITY_LABELS,
    Category,
    GoodwillSpend,
    Incident,
    Outcome,
    RecoveryCase,
)


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(m) for m in exc.message_dict.values())
    return " ".join(exc.messages)


def _require(rule, scope, *args) -> None:
    if not rule(scope, *args):
        raise PermissionDenied("Your role does not allow this.")


def _home_context(scope) -> dict:
    employee = predicates.employee_of(scope)
    return {
        "scope": scope,
        "reports": selectors.my_reports(scope, limit=20),
        "offer": selectors.open_offer(employee),
        "tasks": list(selectors.checkin_tasks(scope.user, scope.organization)),
        "waiting": list(selectors.waiting_for_decision(scope)[:50]),
        "appeals": list(selectors.appeals_to_review(scope)[:50]),
        "spends_waiting": selectors.spends_waiting(scope).count(),
        "now": timezone.now(),
    }


@require_GET
@org_view()
def home(request, scope):
    context = _home_context(scope)
    offer = context["offer"]
    if offer is not None and offer.kind == "break":
        context["break_preview"], context["break_why_not"] = services.break_preview(scope=scope)
    return render(request, "care/home.html", context)


# --------------------------------------------------------------------------- reporting


def _report_context(scope, request, **extra) -> dict:
    interaction = None
    raw = request.GET.get("interaction") or request.POST.get("interaction")
    if raw:
        try:
            interaction = services._interaction_of(scope, raw)
        except ValidationError:
            interaction = None
    return {
        "scope": scope,
        "categories": Category.choices,
        "severities": SEVERITY_LABELS.items(),
        "interaction": interaction,
        "recent": selectors.my_recent_interactions(scope),
        "values": request.POST if request.method == "POST" else {},
        **extra,
    }


@require_http_methods(["GET", "POST"])
@org_view()
def report(request, scope):
    _require(predicates.can_report, scope)
    if request.method == "GET":
        return render(request, "care/report.html", _report_context(scope, request))
    try:
        incident = services.incident_report(
            scope=scope,
            category=request.POST.get("category", ""),
            severity=request.POST.get("severity"),
            description=request.POST.get("description", ""),
            message_text=request.POST.get("message_text", ""),
            interaction_id=request.POST.get("interaction") or None,
        )
    except ValidationError as exc:
        context = _report_context(scope, request, error=_message(exc))
        return render(request, "care/report.html", context, status=422)
    messages.success(request, "Thank you: your report is in. You can follow it here.")
    return redirect("care:incident", scope.organization.slug, incident.pk)


@require_http_methods(["GET", "POST"])
@org_view()
def suggest(request, scope):
    """HTMX: the classifier's suggestion for what was written so far (a suggestion only)."""
    data = request.POST if request.method == "POST" else request.GET
    text = f"{data.get('description', '')} {data.get('message_text', '')}".strip()[:4000]
    suggestion = classifier.suggest(text) if len(text) >= 8 else None
    label = dict(Category.choices).get(suggestion.category) if suggestion else None
    return render(
        request,
        "care/_suggestion.html",
        {"suggestion": suggestion, "label": label, "scope": scope},
    )


# --------------------------------------------------------------------------- incidents


def _incident_context(scope, incident, **extra) -> dict:
    return {
        "scope": scope,
        "incident": incident,
        "sanction": getattr(incident, "sanction", None),
        "can_decide": predicates.can_decide(scope, incident)
        and incident.state == Incident.State.REPORTED,
        "can_appeal": predicates.can_record_appeal(scope, incident)
        and incident.state == Incident.State.DECIDED
        and incident.is_sanction,
        "can_review": predicates.can_review(scope, incident)
        and incident.state == Incident.State.APPEALED,
        "outcomes": [(o.value, o.label) for o in Outcome if o != Outcome.REFER],
        "offer": getattr(incident, "offer", None)
        if predicates.is_on_receiving_end(scope, incident)
        else None,
        "proposed_label": Outcome(incident.proposed_outcome).label,
        **extra,
    }


@require_GET
@org_view()
def incident(request, scope, incident_id: int):
    target = predicates.visible_incident(scope, incident_id)
    return render(request, "care/incident.html", _incident_context(scope, target))


def _act(request, scope, incident_id, act):
    target = predicates.visible_incident(scope, incident_id)
    try:
        act(target)
    except ValidationError as exc:
        context = _incident_context(scope, target, error=_message(exc))
        return render(request, "care/incident.html", context, status=422)
    return redirect("care:incident", scope.organization.slug, target.pk)


@require_POST
@org_view()
def decide(request, scope, incident_id: int):
    return _act(
        request,
        scope,
        incident_id,
        lambda target: services.incident_decide(
            scope=scope,
            incident=target,
            outcome=request.POST.get("outcome") or None,
            months=request.POST.get("months") or None,
            note=request.POST.get("note", ""),
        ),
    )


@require_POST
@org_view()
def appeal(request, scope, incident_id: int):
    return _act(
        request,
        scope,
        incident_id,
        lambda target: services.incident_appeal(
            scope=scope, incident=target, text=request.POST.get("text", "")
        ),
    )


@require_POST
@org_view()
def review(request, scope, incident_id: int):
    return _act(
        request,
        scope,
        incident_id,
        lambda target: services.incident_review(
            scope=scope,
            incident=target,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
        ),
    )


@require_GET
@org_view()
def queue(request, scope):
    _require(predicates.can_see_queue, scope)
    rows = selectors.incidents_in_scope(scope).order_by("-occurred_at")[:200]
    return render(request, "care/queue.html", {"scope": scope, "incidents": rows})


@require_http_methods(["GET", "POST"])
@org_view()
def customer(request, scope, customer_id: int):
    target = Customer.objects.filter(organization=scope.organization, pk=customer_id).first()
    if target is None:
        raise Http404("No such customer.")
    error, status = "", 200
    if request.method == "POST":
        try:
            services.customer_flag_update(
                scope=scope,
                customer=target,
                vulnerable=request.POST.get("vulnerable") == "on",
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            error, status = _message(exc), 422
        else:
            return redirect("care:customer", scope.organization.slug, target.pk)
    context = {
        "scope": scope,
        "customer": target,
        "standing": selectors.standing_of(target),
        "incidents": selectors.incidents_of_customer(scope, target),
        "can_flag": predicates.can_flag_customer(scope),
        "error": error,
    }
    return render(request, "care/customer.html", context, status=status)


# --------------------------------------------------------------------------- recovery


@require_http_methods(["GET", "POST"])
@org_view()
def recovery(request, scope):
    error, status = "", 200
    if request.method == "POST":
        try:
            case = services.recovery_open(
                scope=scope,
                interaction_id=request.POST.get("interaction"),
                problem=request.POST.get("problem", ""),
            )
        except ValidationError as exc:
            error, status = _message(exc), 422
        else:
            messages.success(request, f"Recovery case opened for {case.customer}.")
            return redirect("care:recovery", scope.organization.slug)
    context = {
        "scope": scope,
        "cases": list(selectors.recovery_cases(scope)[:100]),
        "recent": selectors.my_recent_interactions(scope),
        "by_unit": _recovery_figures(scope) if predicates.can_read_unit_figures(scope) else None,
        "error": error,
    }
    return render(request, "care/recovery.html", context, status=status)


def _recovery_figures(scope) -> dict:
    services.figures_publish(organization=scope.organization)
    return selectors.recovery_by_unit(scope)


@require_POST
@org_view()
def recovery_close(request, scope, case_id: int):
    case = selectors.recovery_cases(scope).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such recovery case.")
    try:
        services.recovery_close(scope=scope, case=case, gesture=request.POST.get("gesture", ""))
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect("care:recovery", scope.organization.slug)
    closed = RecoveryCase.objects.get(pk=case.pk)
    messages.success(
        request,
        "Case closed; the customer is invited to the follow-up survey."
        if closed.followup_id
        else "Case closed (no interaction: no follow-up survey).",
    )
    return redirect("care:recovery", scope.organization.slug)


# --------------------------------------------------------------------------- allowance


def _allowance_context(scope, **extra) -> dict:
    employee = predicates.employee_of(scope)
    return {
        "scope": scope,
        "state": selectors.allowance_state(employee) if employee else None,
        "spends": selectors.my_spends(employee) if employee else [],
        "waiting": list(selectors.spends_waiting(scope)),
        "recent": selectors.my_recent_interactions(scope),
        "kinds": GoodwillSpend.Kind.choices,
        "reasons": GoodwillSpend.Reason.choices,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@org_view()
def allowance(request, scope):
    if request.method == "GET":
        return render(request, "care/allowance.html", _allowance_context(scope))
    try:
        spend = services.goodwill_spend(
            scope=scope,
            interaction_id=request.POST.get("interaction"),
            kind=request.POST.get("kind", ""),
            reason=request.POST.get("reason", ""),
            amount=request.POST.get("amount", ""),
            note=request.POST.get("note", ""),
            ask_manager=request.POST.get("ask_manager") == "yes",
        )
    except ValidationError as exc:
        context = _allowance_context(scope, error=_message(exc), values=request.POST)
        return render(request, "care/allowance.html", context, status=422)
    messages.success(
        request,
        f"{spend.amount} recorded." if spend.status == "spent" else "Sent to your manager.",
    )
    return redirect("care:allowance", scope.organization.slug)


@require_POST
@org_view()
def spend_decide(request, scope, spend_id: int):
    spend = selectors.spends_waiting(scope).filter(pk=spend_id).first()
    if spend is None:
        raise Http404("No such request waiting for you.")
    services.goodwill_decide(scope=scope, spend=spend, approve=request.POST.get("approve") == "yes")
    return redirect("care:allowance", scope.organization.slug)


@require_GET
@org_view()
def allowance_report(request, scope):
    _require(predicates.can_read_unit_figures, scope)
    services.figures_publish(organization=scope.organization)
    report = selectors.allowance_report(scope)
    context = {"scope": scope, "report": report, "min_n": scope.organization.min_group_size}
    return render(request, "care/allowance_report.html", context)


# --------------------------------------------------------------------------- wellbeing


def _wellbeing_context(scope, **extra) -> dict:
    employee = predicates.employee_of(scope)
    return {
        "scope": scope,
        "employee": employee,
        "checkins": selectors.my_checkins(employee) if employee else [],
        "supporter": selectors.support_person(employee),
        "candidates": selectors.support_candidates(scope.organization, employee)
        if employee
        else [],
        "my_requests": selectors.my_support_requests(employee) if employee else [],
        "shared": selectors.shared_with_me(scope.user, scope.organization),
        "asked_of_me": selectors.support_requests_for(scope.user, scope.organization),
        **extra,
    }


@require_GET
@org_view()
def wellbeing(request, scope):
    return render(request, "care/wellbeing.html", _wellbeing_context(scope))


def _wellbeing_act(request, scope, act, done: str):
    try:
        act()
    except ValidationError as exc:
        context = _wellbeing_context(scope, error=_message(exc))
        return render(request, "care/wellbeing.html", context, status=422)
    messages.success(request, done)
    return redirect("care:wellbeing", scope.organization.slug)


@require_POST
@org_view()
def mood(request, scope):
    return _wellbeing_act(
        request,
        scope,
        lambda: services.mood_record(
            scope=scope,
            mood=request.POST.get("mood"),
            note=request.POST.get("note", ""),
            share=request.POST.get("share") == "on",
        ),
        "Check-in saved. Only you can see it (and your support person, if you shared it).",
    )


@require_POST
@org_view()
def support_choose(request, scope):
    return _wellbeing_act(
        request,
        scope,
        lambda: services.support_choose(scope=scope, supporter_id=request.POST.get("supporter")),
        "Support person chosen.",
    )


@require_POST
@org_view()
def support_ask(request, scope):
    return _wellbeing_act(
        request,
        scope,
        lambda: services.support_ask(scope=scope, message=request.POST.get("message", "")),
        "Your support person has been asked.",
    )


@require_POST
@org_view()
def support_close(request, scope, request_id: int):
    services.support_close(scope=scope, request_id=request_id)
    return redirect("care:wellbeing", scope.organization.slug)


@require_POST
@org_view()
def offer_break(request, scope, offer_id: int):
    try:
        offer = services.offer_take_break(scope=scope, offer_id=offer_id)
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect("care:home", scope.organization.slug)
    status = offer.move_request.get_status_display().lower()
    messages.success(request, f"Your break is booked ({status}).")
    return redirect("care:home", scope.organization.slug)


@require_POST
@org_view()
def offer_answer(request, scope, offer_id: int):
    take = request.POST.get("take") == "yes"
    try:
        services.offer_answer(scope=scope, offer_id=offer_id, take=take)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return redirect("care:home", scope.organization.slug)


@require_POST
@org_view()
def checkin_done(request, scope, task_id: int):
    try:
        services.checkin_done(scope=scope, task_id=task_id)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return redirect("care:home", scope.organization.slug)


@require_GET
@org_view()
def figures(request, scope):
    _require(predicates.can_read_unit_figures, scope)
    services.figures_publish(organization=scope.organization)
    figures = selectors.hr_by_unit_month(scope)
    figures["incident_rows"] = _pivot(figures, "incidents", "incidents")
    figures["mood_rows"] = _pivot(figures, "mood", "mood")
    context = {"scope": scope, "figures": figures, "min_n": scope.organization.min_group_size}
    return render(request, "care/figures.html", context)


def _pivot(figures: dict, table: str, value: str) -> list[dict]:
    """Unit rows × month cells from the gated tables (one per month)."""
    months = figures["months"]
    first = figures[table][months[0]] if months else []
    return [
        {
            "unit": row["unit"],
            "cells": [
                {
                    "suppressed": figures[table][m][i]["suppressed"],
                    "people": figures[table][m][i]["people"],
                    "value": figures[table][m][i][value],
                }
                for m in months
            ],
        }
        for i, row in enumerate(first)
    ]


@require_GET
@org_view()
def policy(request, scope):
    in_force = selectors.policy_in_force(scope.organization)
    context = {
        "scope": scope,
        "policy": in_force,
        "versions": selectors.policy_versions(scope.organization),
        "outcomes": dict(Outcome.choices),
        "categories": dict(Category.choices),
    }
    return render(request, "care/policy.html", context)
