"""Loyalty pages under /o/<org>/loyalty/: the unit's lists, a customer's card, the programme
dashboard and the hand-overs. Role-scoped through `predicates`; bad input is one message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from servicechain.org.access import org_view
from servicechain.org.models import Employee

from . import charts, ownership, predicates, reminders, selectors, services
from .models import Reminder

SEARCH_RESULTS = 20


def _require(rule, scope) -> None:
    if not rule(scope):
        raise PermissionDenied("Your role does not allow this.")


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@require_GET
@org_view()
def lists(request, scope):
    _require(predicates.reads_customer_lists, scope)
    today = timezone.localdate()
    # a NUL is no letter of a name, and PostgreSQL refuses it in a query
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    found = []
    if query:
        found = list(
            selectors.customers_in_scope(scope)
            .filter(name__icontains=query)
            .order_by("name")[: 5 * SEARCH_RESULTS]
        )
    due = list(selectors.due_this_week(scope, today=today)[:100])
    at_risk = selectors.at_risk(scope, today=today, limit=30)
    # The lists are the unit's; a name links to a card only for those who may open it.
    openable = predicates.openable_customer_ids(
        scope,
        [c.pk for c in found] + [r.customer_id for r in due] + [r["customer"].pk for r in at_risk],
    )
    found = [c for c in found if c.pk in openable][:SEARCH_RESULTS]
    return render(
        request,
        "loyalty/lists.html",
        {
            "scope": scope,
            "today": today,
            "due": due,
            "at_risk": at_risk,
            "openable": openable,
            "query": query,
            "found": found,
            "handovers_waiting": selectors.handovers(scope).count()
            if predicates.can_confirm_handovers(scope)
            else 0,
        },
    )


@require_GET
@org_view()
def customer(request, scope, customer_id: int):
    return _card(request, scope, predicates.visible_customer(scope, customer_id))


def _card(request, scope, target, *, error: str = "", typed: dict | None = None):
    """The customer's card; with `error`, a refused act: 422, the reason, what was typed."""
    card = selectors.customer_card(target, today=timezone.localdate())
    context = {"scope": scope, **card, "error": error, "typed": typed or {}}
    return render(request, "loyalty/customer.html", context, status=422 if error else 200)


def _reminder(scope, reminder_id: int) -> Reminder:
    reminder = (
        Reminder.objects.filter(organization=scope.organization, pk=reminder_id)
        .select_related("customer__owner__unit")
        .first()
    )
    if reminder is None or not predicates.can_see_customer(scope, reminder.customer):
        raise Http404("No such reminder.")
    return reminder


@require_POST
@org_view()
def record_service(request, scope, reminder_id: int):
    _require(predicates.can_post_ledger, scope)
    reminder = _reminder(scope, reminder_id)
    usage = request.POST.get("usage", "").strip()
    try:
        reminders.service_record(
            reminder=reminder,
            employee=getattr(request.user, "employee", None),
            usage=int(usage) if usage else None,
            actor=request.user,
        )
    except ValueError:
        error = f"Usage {usage!r} is not a whole number."
        typed = {"reminder": reminder.pk, "usage": usage}
        return _card(request, scope, reminder.customer, error=error, typed=typed)
    except ValidationError as exc:
        return _card(request, scope, reminder.customer, error=" ".join(exc.messages))
    messages.success(request, f"Service of {reminder.asset.name} recorded.")
    return redirect("loyalty:customer", scope.organization.slug, reminder.customer_id)


@require_POST
@org_view()
def decline(request, scope, reminder_id: int):
    _require(predicates.can_post_ledger, scope)
    reminder = _reminder(scope, reminder_id)
    try:
        reminders.reminder_decline(
            reminder=reminder, note=request.POST.get("note", ""), actor=request.user
        )
    except ValidationError as exc:
        return _card(request, scope, reminder.customer, error=" ".join(exc.messages))
    messages.success(request, f"Declined: {reminder.asset.name} stays on the card.")
    return redirect("loyalty:customer", scope.organization.slug, reminder.customer_id)


@require_POST
@org_view()
def redeem(request, scope, customer_id: int):
    _require(predicates.can_post_ledger, scope)
    target = predicates.visible_customer(scope, customer_id)
    raw = request.POST.get("points", "").strip()
    try:
        points = int(raw)
        services.redemption_create(customer=target, points=points, actor=request.user)
    except ValueError:
        error = f"{raw!r} is not a whole number of points."
        return _card(request, scope, target, error=error, typed={"points": raw})
    except ValidationError as exc:
        return _card(request, scope, target, error=" ".join(exc.messages), typed={"points": raw})
    messages.success(request, f"{points:,} points redeemed.")
    return redirect("loyalty:customer", scope.organization.slug, target.pk)


@require_GET
@org_view()
def programme(request, scope):
    _require(predicates.can_read_programme, scope)
    return _programme_page(request, scope)


def _programme_page(request, scope, *, status: int = 200):
    organization = scope.organization
    today = timezone.localdate()
    summary = selectors.membership_summary(organization, today=today)
    liability = selectors.liability_report(organization)[-24:]
    services.repeat_business_publish(organization=organization, by="unit", today=today)
    repeat = selectors.repeat_rate_by_month(organization).tail(24)
    return render(
        request,
        "loyalty/programme.html",
        {
            "scope": scope,
            "summary": summary,
            "liability": list(reversed(liability)),
            "liability_chart": charts.liability_chart(liability, organization.currency),
            "tiers_chart": charts.tiers_chart(summary["tiers"], organization.min_group_size),
            "repeat_chart": charts.repeat_rate_chart(repeat),
            "repeat_latest": repeat.iloc[-1].to_dict() if len(repeat) else None,
            "min_n": organization.min_group_size,
            "can_close": predicates.can_close_liability(scope),
            "closable": _closable_month(organization, today),
        },
        status=status,
    )


def _closable_month(organization, today: dt.date) -> dt.date | None:
    opened = selectors.first_open_month(organization)
    last_complete = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month = opened or last_complete
    return month if month <= last_complete else None


@require_POST
@org_view()
def close_month(request, scope):
    _require(predicates.can_close_liability, scope)
    try:
        month = dt.date.fromisoformat(request.POST.get("month", ""))
        statement = services.liability_close(
            organization=scope.organization, month=month, actor=request.user
        )
    except ValueError:
        messages.error(request, "Give the month as YYYY-MM-01.")
        return _programme_page(request, scope, status=422)
    except ValidationError as exc:
        _error(request, exc)
        return _programme_page(request, scope, status=422)
    else:
        messages.success(
            request,
            f"{statement.month:%B %Y} closed: {statement.liability:,.2f} {statement.currency}.",
        )
    return redirect("loyalty:programme", scope.organization.slug)


@require_GET
@org_view()
def handovers(request, scope):
    _require(predicates.can_confirm_handovers, scope)
    return _handovers_page(request, scope)


def _handovers_page(request, scope, *, status: int = 200):
    today = timezone.localdate()
    waiting = list(selectors.handovers(scope))
    units = {h.to_unit_id for h in waiting}
    colleagues = {unit_id: list(selectors.successors(unit_id, today=today)) for unit_id in units}
    for handover in waiting:
        handover.choices = colleagues[handover.to_unit_id]
    orphaned = selectors.orphaned_accounts(scope.organization, today=today).filter(
        scope.unit_filter("owner__unit")
    )
    return render(
        request,
        "loyalty/handovers.html",
        {
            "scope": scope,
            "waiting": waiting,
            "orphaned": orphaned[:50],
            "orphan_count": orphaned.count(),
        },
        status=status,
    )


@require_POST
@org_view()
def confirm_handover(request, scope, handover_id: int):
    _require(predicates.can_confirm_handovers, scope)
    handover = selectors.handovers(scope, status=None).filter(pk=handover_id).first()
    if handover is None:
        raise Http404("No such hand-over.")
    chosen = request.POST.get("to_employee", "").strip()
    to_employee = None
    if chosen and chosen != str(handover.to_employee_id or ""):
        to_employee = Employee.objects.filter(
            organization=scope.organization, pk=predicates._as_int(chosen)
        ).first()
        if to_employee is None:
            messages.error(request, "Choose one of the colleagues listed.")
            return _handovers_page(request, scope, status=422)
    try:
        ownership.handover_confirm(
            handover=handover, actor=request.user, to_employee=to_employee, scope=scope
        )
    except ValidationError as exc:
        _error(request, exc)
        return _handovers_page(request, scope, status=422)
    messages.success(request, f"Hand-over of {handover.customer} confirmed.")
    return redirect("loyalty:handovers", scope.organization.slug)
