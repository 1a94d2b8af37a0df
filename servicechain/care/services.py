"""Writes of the care app: keyword-only, validated, one transaction each, audited.

Every sensitive act — a report, a decision (and the sanction it confirms), an appeal, its
review, a customer's flag, a goodwill gesture above the allowance and its approval — writes
an audit event (`care.*`). Bad input raises ValidationError (or PermissionDenied for the
wrong person) before anything is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed
from djmoney.money import Money

from servicechain.notifications.services import notify
from servicechain.org.access import Role, Scope
from servicechain.org.models import Customer, Employee, Interaction, Membership, Organization, Unit
from servicechain.org.services import audit_record

from . import classifier, events, predicates, selectors
from . import policy as line
from .models import (
    SANCTIONS,
    SEVERITY_MAX,
    SEVERITY_MIN,
    CareMonthFigures,
    CarePolicy,
    Category,
    CheckInTask,
    CustomerStanding,
    GoodwillQuarterFigures,
    GoodwillSpend,
    Incident,
    MoodCheckIn,
    Outcome,
    RecoveryCase,
    RecoveryQuarterFigures,
    Sanction,
    SupportPerson,
    SupportRequest,
    WellbeingOffer,
)

logger = logging.getLogger(__name__)
FOLLOWUP_WAVE_PREFIX = "Service recovery follow-up"


def _url(name: str, organization: Organization, *args) -> str:
    return reverse(name, args=[organization.slug, *args])


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


# --------------------------------------------------------------------------- the line


@transaction.atomic
def policy_ensure(*, organization: Organization) -> CarePolicy:
    """The organisation's policy, created with the default line on first use."""
    existing = CarePolicy.objects.filter(organization=organization).first()
    if existing is not None:
        return existing
    policy = selectors.default_policy(organization)
    policy.effective_from = timezone.localdate()
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def policy_update(
    *, organization: Organization, actor=None, effective_from: dt.date | None = None, **fields
) -> CarePolicy:
    """Save a new version of the line, applying from `effective_from` (today at the earliest:
    a version never rewrites what was already decided)."""
    policy = policy_ensure(organization=organization)
    today = timezone.localdate()
    effective_from = effective_from or today
    if effective_from < today:
        raise ValidationError({"effective_from": "A new version applies from today or later."})
    for name, value in fields.items():
        if not hasattr(policy, name) or name in ("id", "organization", "organization_id"):
            raise ValidationError({name: "No such policy setting."})
        setattr(policy, name, value)
    policy.effective_from = effective_from
    policy.full_clean()
    policy._history_user = actor if getattr(actor, "is_authenticated", False) else None
    policy.save()
    audit_record(
        action="care.policy.update",
        organization=organization,
        actor=actor,
        target=policy,
        detail={"effective_from": str(effective_from), "fields": sorted(fields)},
    )
    return policy


# --------------------------------------------------------------------------- reporting


def _clean_severity(value) -> int:
    try:
        severity = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {"severity": f"Severity is a whole number {SEVERITY_MIN}-{SEVERITY_MAX}."}
        ) from None
    if not SEVERITY_MIN <= severity <= SEVERITY_MAX:
        raise ValidationError(
            {"severity": f"Severity must be {SEVERITY_MIN}-{SEVERITY_MAX}, not {severity}."}
        )
    return severity


def _interaction_of(scope: Scope, interaction_id) -> Interaction | None:
    if interaction_id in (None, ""):
        return None
    try:
        pk = int(interaction_id)
    except (TypeError, ValueError):
        raise ValidationError(
            {"interaction": f"{interaction_id!r} is not an interaction id."}
        ) from None
    interaction = (
        Interaction.objects.filter(organization=scope.organization, pk=pk)
        .select_related("unit", "customer", "employee")
        .first()
    )
    if interaction is None:
        raise ValidationError(
            {"interaction": f"There is no interaction {pk} in this organisation."}
        )
    employee = predicates.employee_of(scope)
    mine = employee is not None and interaction.employee_id == employee.pk
    if not (mine or scope.can_see_unit(interaction.unit)):
        raise ValidationError(
            {"interaction": f"There is no interaction {pk} that you served or manage."}
        )
    return interaction


@transaction.atomic
def incident_report(
    *,
    scope: Scope,
    category: str,
    severity,
    description: str,
    message_text: str = "",
    interaction_id=None,
    occurred_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """Record what happened; read the line (a proposal, not yet a decision); tell the managers;
    offer a break and plan check-ins when it is serious enough."""
    now = now or timezone.now()
    if not predicates.can_report(scope):
        raise PermissionDenied("Your role does not allow reporting here.")
    if category not in Category.values:
        raise ValidationError(
            {"category": f"Unknown category {category!r}; use one of {', '.join(Category.values)}."}
        )
    severity = _clean_severity(severity)
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": "Say in a few words what happened."})
    interaction = _interaction_of(scope, interaction_id)
    employee = predicates.employee_of(scope)
    if interaction is not None:
        unit = interaction.unit
    elif employee is not None:
        unit = employee.unit
    else:
        unit = scope.root_unit
    occurred_at = occurred_at or (interaction.started_at if interaction else now)
    if occurred_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "An incident cannot be reported before it happens."})
    customer = interaction.customer if interaction else None
    policy = selectors.policy_in_force(scope.organization, timezone.localdate(occurred_at))
    repetition = selectors.repetition_of(
        customer, on=occurred_at, window_months=policy.repeat_window_months
    )
    reading = line.apply_rules(
        policy.rules,
        policy.exemptions,
        category=category,
        severity=severity,
        repetition=repetition,
        flags=selectors.flags_of(customer),
    )
    suggestion = classifier.suggest(f"{description} {message_text}".strip())
    incident = Incident(
        organization=scope.organization,
        unit=unit,
        employee=employee,
        reported_by=scope.user,
        interaction=interaction,
        customer=customer,
        category=category,
        severity=severity,
        description=description[:4000],
        message_text=(message_text or "").strip()[:4000],
        suggested_category=suggestion.category,
        suggested_severity=suggestion.severity,
        occurred_at=occurred_at,
        created_at=now,
        policy_version=getattr(policy, "history_id", None),
        repetition=repetition,
        proposed_outcome=reading.outcome,
        proposed_months=reading.months,
        exemption=reading.exemption,
    )
    incident.full_clean(exclude=["state"])  # the state machine owns it
    incident.save()
    audit_record(
        action="care.incident.report",
        organization=scope.organization,
        actor=scope.user,
        target=incident,
        detail={
            "category": category,
            "severity": severity,
            "suggested": suggestion.category,
            "proposed": reading.outcome,
            "repetition": repetition,
            "exemption": reading.exemption,
        },
    )
    _tell_managers_of_report(incident)
    if severity >= policy.wellbeing_severity and employee is not None:
        _look_after(incident, policy, now)
    return incident


def _deciders(incident: Incident) -> list:
    people = selectors.managers_of_unit(incident.organization, incident.unit)
    people = [u for u in people if incident.employee is None or u.pk != incident.employee.user_id]
    return people or selectors.admins_of(incident.organization)


def _tell_managers_of_report(incident: Incident) -> None:
    notify(
        recipients=_deciders(incident),
        event=events.REPORT_RECEIVED.key,
        title=f"Incident reported: {incident.get_category_display().lower()}, severity "
        f"{incident.severity}",
        body="The line proposes: "
        f"{Outcome(incident.proposed_outcome).label.lower()}. Confirm or change it.",
        url=_url("care:incident", incident.organization, incident.pk),
        organization=incident.organization,
        actor=incident.reported_by,
        key=f"incident:{incident.pk}",
    )


def _look_after(incident: Incident, policy, now: dt.datetime) -> None:
    """A break (contact centre) or time off offered at once; check-ins at ~72 h and ~1 month."""
    employee = incident.employee
    agent = getattr(employee, "contact_centre_agent", None)
    kind = (
        WellbeingOffer.Kind.BREAK
        if agent is not None and agent.active
        else WellbeingOffer.Kind.TIME_OFF
    )
    WellbeingOffer.objects.create(incident=incident, employee=employee, kind=kind, created_at=now)
    managers = selectors.managers_of_employee(employee)
    if not managers:
        return
    manager = managers[0]
    for kind_, due in (
        (CheckInTask.Kind.FIRST, now + dt.timedelta(hours=policy.first_checkin_hours)),
        (CheckInTask.Kind.SECOND, now + dt.timedelta(days=policy.second_checkin_days)),
    ):
        CheckInTask.objects.create(
            incident=incident, employee=employee, manager=manager, kind=kind_, due_at=due
        )


# --------------------------------------------------------------------------- deciding


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("unit", "employee", "customer", "organization")
        .get(pk=incident.pk)
    )


@transaction.atomic
def incident_decide(
    *,
    scope: Scope,
    incident: Incident,
    outcome: str | None = None,
    months=None,
    note: str = "",
    today: dt.date | None = None,
) -> Incident:
    """A manager confirms what happens (the line's proposal, or another outcome with a note).
    A sanction exists only from here, with its review date."""
    incident = _locked(incident)
    if not predicates.can_decide(scope, incident):
        raise PermissionDenied(
            "Only an administrator or a manager of the incident's unit (not the person it "
            "happened to) may decide it."
        )
    if not can_proceed(incident.decide):
        raise ValidationError(
            {"state": f"This incident is already {incident.get_state_display().lower()}."}
        )
    outcome = outcome or incident.proposed_outcome
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"Unknown outcome {outcome!r}."})
    note = (note or "").strip()
    if outcome != incident.proposed_outcome and not note:
        raise ValidationError({"note": "Say why you decide differently from the line."})
    if outcome in SANCTIONS and incident.customer is None:
        raise ValidationError(
            {"outcome": "A sanction needs the customer: report it on their interaction."}
        )
    if outcome == Outcome.REFER:
        raise ValidationError(
            {"outcome": "Decide the case: choose the outcome the person decided."}
        )
    if outcome == Outcome.EXCLUSION:
        months = months if months not in (None, "") else incident.proposed_months
        try:
            months = int(months)
        except (TypeError, ValueError):
            raise ValidationError(
                {"months": "An exclusion needs its length in months (1-24)."}
            ) from None
        if not 1 <= months <= line.MAX_MONTHS:
            raise ValidationError({"months": f"An exclusion lasts 1-{line.MAX_MONTHS} months."})
    now = timezone.now()
    today = today or timezone.localdate()
    incident.decide()
    incident.outcome = outcome
    incident.decided_by = scope.user
    incident.decided_at = now
    incident.decision_note = note[:500]
    incident.save()
    detail = {"outcome": outcome, "proposed": incident.proposed_outcome, "note": note[:200]}
    if outcome in SANCTIONS:
        sanction = _sanction_confirm(incident, outcome, months, scope, today, now)
        detail.update(sanction=sanction.pk, review_on=str(sanction.review_on))
    audit_record(
        action="care.incident.decide",
        organization=incident.organization,
        actor=scope.user,
        target=incident,
        detail=detail,
    )
    if outcome == Outcome.COACH and incident.customer is not None and incident.employee is not None:
        _recovery_open(incident=incident, actor=scope.user, now=now)
    _tell_reporter(incident, f"Decided: {Outcome(outcome).label.lower()}", note)
    return incident


def _sanction_confirm(incident, outcome, months, scope, today, now) -> Sanction:
    policy = selectors.policy_in_force(incident.organization, today)
    ends_on = None
    review_on = _add_months(today, policy.review_months)
    if outcome == Outcome.EXCLUSION:
        ends_on = _add_months(today, months) - dt.timedelta(days=1)
        review_on = min(review_on, ends_on)
    sanction = Sanction(
        incident=incident,
        organization=incident.organization,
        customer=incident.customer,
        kind=outcome,
        starts_on=today,
        ends_on=ends_on,
        review_on=review_on,
        confirmed_by=scope.user,
        confirmed_at=now,
    )
    sanction.full_clean()
    sanction.save()
    audit_record(
        action="care.sanction.confirm",
        organization=incident.organization,
        actor=scope.user,
        target=sanction,
        detail={
            "kind": outcome,
            "customer": incident.customer.external_id,
            "ends_on": str(ends_on) if ends_on else None,
            "review_on": str(review_on),
        },
    )
    return sanction


def _tell_reporter(incident: Incident, title: str, note: str = "") -> None:
    people = {incident.reported_by_id, incident.employee.user_id if incident.employee else None}
    notify(
        recipients=[p for p in people if p],
        event=events.DECISION.key,
        title=title,
        body=note,
        url=_url("care:incident", incident.organization, incident.pk),
        organization=incident.organization,
        actor=None,
    )


@transaction.atomic
def incident_appeal(*, scope: Scope, incident: Incident, text: str) -> Incident:
    """Record the customer's appeal against a sanction (staff record it for the customer)."""
    incident = _locked(incident)
    if not predicates.can_record_appeal(scope, incident):
        raise PermissionDenied(
            "Only a manager of the incident's unit or an administrator records appeals."
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write down what the customer says in their appeal."})
    if not can_proceed(incident.appeal):
        raise ValidationError({"state": "Only a decided sanction can be appealed."})
    incident.appeal()
    incident.appeal_text = text[:2000]
    incident.appealed_at = timezone.now()
    incident.appeal_recorded_by = scope.user
    incident.save()
    audit_record(
        action="care.incident.appeal",
        organization=incident.organization,
        actor=scope.user,
        target=incident,
        detail={"sanction": incident.sanction.pk},
    )
    reviewers = [u for u in _deciders(incident) if u.pk != incident.decided_by_id]
    if not reviewers:
        reviewers = [
            u for u in selectors.admins_of(incident.organization) if u.pk != incident.decided_by_id
        ]
    notify(
        recipients=reviewers,
        event=events.APPEAL_WAITING.key,
        title=f"Appeal against a {incident.sanction.get_kind_display().lower()} waits for review",
        url=_url("care:incident", incident.organization, incident.pk),
        organization=incident.organization,
        actor=scope.user,
        key=f"appeal:{incident.pk}",
    )
    return incident


@transaction.atomic
def incident_review(
    *, scope: Scope, incident: Incident, result: str, note: str = "", today: dt.date | None = None
) -> Incident:
    """Someone other than the confirmer upholds or lifts the sanction."""
    incident = _locked(incident)
    if incident.decided_by_id == scope.user.pk:
        raise PermissionDenied("You confirmed this sanction: someone else must review the appeal.")
    if not predicates.can_review(scope, incident):
        raise PermissionDenied(
            "Only a manager of the incident's unit or an administrator reviews appeals."
        )
    if result not in Incident.ReviewResult.values:
        raise ValidationError({"result": "Uphold or lift the sanction."})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Give the reason for the review's result."})
    if not can_proceed(incident.review):
        raise ValidationError({"state": "Only an appealed incident can be reviewed."})
    today = today or timezone.localdate()
    incident.review()
    incident.review_result = result
    incident.review_note = note[:500]
    incident.reviewed_by = scope.user
    incident.reviewed_at = timezone.now()
    incident.save()
    sanction = incident.sanction
    if result == Incident.ReviewResult.LIFTED:
        sanction.lifted_on = today
        sanction.lifted_reason = note[:300]
        sanction.save(update_fields=["lifted_on", "lifted_reason"])
    audit_record(
        action="care.incident.review",
        organization=incident.organization,
        actor=scope.user,
        target=incident,
        detail={"result": result, "sanction": sanction.pk, "confirmed_by": incident.decided_by_id},
    )
    _tell_reporter(incident, f"Appeal reviewed: the sanction is {result}", note)
    return incident


@transaction.atomic
def customer_flag_update(
    *, scope: Scope, customer: Customer, vulnerable: bool, note: str = ""
) -> CustomerStanding:
    if not predicates.can_flag_customer(scope):
        raise PermissionDenied("Only managers and administrators change a customer's flags.")
    if customer.organization_id != scope.organization.pk:
        raise ValidationError({"customer": "No such customer."})
    standing, _ = CustomerStanding.objects.get_or_create(customer=customer)
    standing.vulnerable = bool(vulnerable)
    standing.note = (note or "").strip()[:300]
    standing.updated_by = scope.user
    standing.save()
    audit_record(
        action="care.customer.flag",
        organization=scope.organization,
        actor=scope.user,
        target=customer,
        detail={"vulnerable": standing.vulnerable},
    )
    return standing


# --------------------------------------------------------------------------- recovery


def _recovery_open(*, incident: Incident, actor, now) -> RecoveryCase:
    return RecoveryCase.objects.create(
        organization=incident.organization,
        unit=incident.unit,
        customer=incident.customer,
        interaction=incident.interaction,
        incident=incident,
        owner=incident.employee,
        problem=f"Recover the customer after: {incident.description[:400]}",
        opened_at=now,
        opened_by=actor,
    )


@transaction.atomic
def recovery_open(
    *, scope: Scope, interaction_id, problem: str, owner: Employee | None = None
) -> RecoveryCase:
    interaction = _interaction_of(scope, interaction_id)
    if interaction is None:
        raise ValidationError(
            {"interaction": "A recovery case starts from the customer's interaction."}
        )
    problem = (problem or "").strip()
    if not problem:
        raise ValidationError({"problem": "Say what went wrong for the customer."})
    owner = owner or predicates.employee_of(scope) or interaction.employee
    if owner is None:
        raise ValidationError({"owner": "A recovery case needs an owner."})
    case = RecoveryCase.objects.create(
        organization=scope.organization,
        unit=interaction.unit,
        customer=interaction.customer,
        interaction=interaction,
        owner=owner,
        problem=problem[:500],
        opened_at=timezone.now(),
        opened_by=scope.user,
    )
    audit_record(
        action="care.recovery.open", organization=scope.organization, actor=scope.user, target=case
    )
    return case


def followup_wave(*, organization: Organization, now: dt.datetime):
    """The organisation's open recovery follow-up wave, opened for the year when needed."""
    from servicechain.surveys import services as survey_services
    from servicechain.surveys.models import Instrument, Population, Wave

    open_wave = (
        Wave.objects.filter(
            organization=organization,
            kind=Wave.Kind.CUSTOMER,
            status=Wave.Status.OPEN,
            name__startswith=FOLLOWUP_WAVE_PREFIX,
            opens_at__lte=now,
            closes_at__gt=now,
        )
        .order_by("-opens_at")
        .first()
    )
    if open_wave is not None:
        return open_wave
    instrument = Instrument.objects.filter(
        organization=organization, population=Population.CUSTOMER, template="customer_transactional"
    ).first() or survey_services.instrument_create(
        organization=organization,
        name="Customer post-contact survey",
        population=Population.CUSTOMER,
        template="customer_transactional",
    )
    root = Unit.objects.filter(organization=organization, depth=0).order_by("path").first()
    year_end = dt.datetime(now.year + 1, 1, 1, tzinfo=dt.UTC)
    name = f"{FOLLOWUP_WAVE_PREFIX} {now.year}"
    wave = Wave.objects.filter(organization=organization, name=name).first()
    if wave is None:
        wave = survey_services.wave_create(
            organization=organization,
            instrument=instrument,
            name=name,
            audience_unit=root,
            opens_at=now,
            closes_at=year_end,
            kind=Wave.Kind.CUSTOMER,
            sample_fraction=1.0,
        )
    if wave.status == Wave.Status.DRAFT:
        wave = survey_services.wave_open(wave=wave, now=now)
    return wave


@transaction.atomic
def recovery_close(
    *, scope: Scope, case: RecoveryCase, gesture: str, now: dt.datetime | None = None
) -> RecoveryCase:
    """Close a case with the gesture made, and invite the customer to the follow-up survey."""
    from servicechain.surveys import services as survey_services

    now = now or timezone.now()
    case = RecoveryCase.objects.select_for_update().select_related("unit").get(pk=case.pk)
    employee = predicates.employee_of(scope)
    owns = employee is not None and case.owner_id == employee.pk
    if not (owns or (scope.role in (Role.ADMIN, Role.MANAGER) and scope.can_see_unit(case.unit))):
        raise PermissionDenied("Only the case's owner or their manager closes it.")
    if case.status != RecoveryCase.Status.OPEN:
        raise ValidationError({"status": "This case is already closed."})
    gesture = (gesture or "").strip()
    if not gesture:
        raise ValidationError({"gesture": "Say what was done or given to put it right."})
    case.status = RecoveryCase.Status.CLOSED
    case.gesture = gesture[:300]
    case.closed_at = now
    if case.interaction is not None:
        wave = followup_wave(organization=case.organization, now=now)
        case.followup = survey_services.invitation_send_for_interaction(
            wave=wave, interaction=case.interaction, actor=scope.user, now=now
        )
    case.save()
    audit_record(
        action="care.recovery.close",
        organization=case.organization,
        actor=scope.user,
        target=case,
        detail={"followup": case.followup_id},
    )
    return case


# --------------------------------------------------------------------------- the allowance


def _amount(value, currency: str) -> Money:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": f"{value!r} is not an amount of money."}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": "The amount must be above zero."})
    if amount > Decimal("100000"):
        raise ValidationError({"amount": "That is not a goodwill gesture."})
    return Money(amount, currency)


@transaction.atomic
def goodwill_spend(
    *,
    scope: Scope,
    interaction_id,
    kind: str,
    reason: str,
    amount,
    note: str = "",
    ask_manager: bool = False,
    now: dt.datetime | None = None,
) -> GoodwillSpend:
    """Spend goodwill on a customer, logged against the interaction. Within the month's
    allowance it is done; above it only with `ask_manager`, which sends it for one-click
    approval (otherwise a ValidationError says how much is left and nothing is written)."""
    now = now or timezone.now()
    employee = predicates.employee_of(scope)
    if employee is None:
        raise PermissionDenied("Only employees have a goodwill allowance.")
    if kind not in GoodwillSpend.Kind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(GoodwillSpend.Kind.values)}."})
    if reason not in GoodwillSpend.Reason.values:
        raise ValidationError(
            {"reason": f"Choose one of {', '.join(GoodwillSpend.Reason.values)}."}
        )
    interaction = _interaction_of(scope, interaction_id)
    if interaction is None:
        raise ValidationError(
            {"interaction": "Goodwill is logged against the customer's interaction."}
        )
    # Lock the person's row: two tabs spending at once cannot both use the last of it.
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    state = selectors.allowance_state(employee, timezone.localdate(now))
    money = _amount(amount, str(state["allowance"].currency))
    within = money <= state["remaining"]
    if not within and not ask_manager:
        raise ValidationError(
            {
                "amount": f"{money} is more than the {state['remaining']} left of your allowance "
                "this month: ask your manager to approve it."
            }
        )
    spend = GoodwillSpend.objects.create(
        organization=scope.organization,
        employee=employee,
        unit=interaction.unit,
        interaction=interaction,
        customer=interaction.customer,
        kind=kind,
        reason=reason,
        note=(note or "").strip()[:300],
        amount=money,
        status=GoodwillSpend.Status.SPENT if within else GoodwillSpend.Status.PENDING,
        created_at=now,
        created_by=scope.user,
    )
    audit_record(
        action="care.goodwill.spend" if within else "care.goodwill.request",
        organization=scope.organization,
        actor=scope.user,
        target=spend,
        detail={"amount": str(money.amount), "currency": str(money.currency), "kind": kind},
    )
    if not within:
        notify(
            recipients=selectors.managers_of_employee(employee),
            event=events.GOODWILL_WAITING.key,
            title=f"{employee} asks to give {money} ({spend.get_kind_display().lower()})",
            body=spend.note,
            url=_url("care:allowance", scope.organization),
            organization=scope.organization,
            actor=scope.user,
        )
    return spend


@transaction.atomic
def goodwill_decide(*, scope: Scope, spend: GoodwillSpend, approve: bool) -> GoodwillSpend:
    spend = (
        GoodwillSpend.objects.select_for_update()
        .select_related("unit", "employee")
        .get(pk=spend.pk)
    )
    mine = predicates.employee_of(scope)
    if (
        scope.role not in (Role.ADMIN, Role.MANAGER)
        or not scope.can_see_unit(spend.unit)
        or (mine is not None and spend.employee_id == mine.pk)
    ):
        raise PermissionDenied("Only a manager of the employee's unit approves their goodwill.")
    if spend.status != GoodwillSpend.Status.PENDING:
        raise ValidationError(
            {"status": f"This request is already {spend.get_status_display().lower()}."}
        )
    spend.status = GoodwillSpend.Status.APPROVED if approve else GoodwillSpend.Status.DECLINED
    spend.decided_by = scope.user
    spend.decided_at = timezone.now()
    spend.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action="care.goodwill.approve" if approve else "care.goodwill.decline",
        organization=scope.organization,
        actor=scope.user,
        target=spend,
        detail={"amount": str(spend.amount.amount), "employee": spend.employee.external_id},
    )
    notify(
        recipients=[spend.employee.user_id] if spend.employee.user_id else [],
        event=events.GOODWILL_DECIDED.key,
        title=f"Your {spend.amount} {spend.get_kind_display().lower()} was "
        f"{'approved' if approve else 'declined'}",
        url=_url("care:allowance", scope.organization),
        organization=scope.organization,
        actor=scope.user,
    )
    return spend


# --------------------------------------------------------------------------- wellbeing


def _my_offer(scope: Scope, offer_id) -> WellbeingOffer:
    employee = predicates.employee_of(scope)
    offer = (
        WellbeingOffer.objects.filter(pk=offer_id, employee=employee)
        .select_related("incident")
        .first()
        if employee
        else None
    )
    if offer is None:
        raise PermissionDenied("That offer is not yours.")
    if offer.status != WellbeingOffer.Status.OFFERED:
        raise ValidationError({"status": "You already answered this offer."})
    return offer


def break_preview(*, scope: Scope, now: dt.datetime | None = None):
    """For an agent: their next break moved to the earliest time the break rules allow, with
    the service-level projection of every interval it touches (nothing is changed).
    Returns (preview, None) or (None, why not)."""
    from servicechain.contactcentre import access as cc_access
    from servicechain.contactcentre import dayplan
    from servicechain.contactcentre import selectors as cc_selectors

    agent = cc_access.agent_of(scope)
    if agent is None:
        return None, "You are not a contact-centre agent."
    day = cc_selectors.local_today(agent.team, now)
    view = cc_selectors.agent_day(agent, day, now=now)
    if view.shift is None:
        return None, "You have no published shift today: take the time you need and tell your lead."
    movable = [a for a in view.movable() if a.kind != "lunch"] or view.movable()
    if not movable:
        return None, "Your breaks today are taken or under way."
    plan = dayplan.load_day_plan(view.schedule)
    for activity in movable:
        options = cc_selectors.slot_options(
            plan, agent, position=activity.position, now_interval=view.now_interval
        )
        if not options:
            continue
        earliest = min(o["start"] for o in options)
        if earliest >= activity.start_interval:
            continue  # already as early as the rules allow: it is simply the next break
        preview = cc_selectors.move_preview(
            plan, agent, position=activity.position, to_start=earliest, now=now, suggest=0
        )
        if preview.allowed:
            return preview, None
    return None, "Your next break is already as soon as the break rules allow."


@transaction.atomic
def offer_take_break(*, scope: Scope, offer_id, now: dt.datetime | None = None) -> WellbeingOffer:
    """Take the offered break: the next break moved to the earliest allowed time through the
    contact centre's move service (approved at once when service stays on target, otherwise
    the team lead decides, as for any move)."""
    from servicechain.contactcentre import access as cc_access
    from servicechain.contactcentre import selectors as cc_selectors
    from servicechain.contactcentre import services as cc_services

    offer = _my_offer(scope, offer_id)
    preview, why_not = break_preview(scope=scope, now=now)
    if preview is None:
        raise ValidationError({"break": why_not})
    agent = cc_access.agent_of(scope)
    request = cc_services.lunch_move_request(
        agent=agent,
        day=cc_selectors.local_today(agent.team, now),
        position=preview.position,
        to_start=preview.to_start,
        note="A break after an incident",
        actor=scope.user,
        now=now,
    )
    offer.status = WellbeingOffer.Status.TAKEN
    offer.move_request = request
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "move_request", "decided_at"])
    audit_record(
        action="care.wellbeing.break",
        organization=scope.organization,
        actor=scope.user,
        target=offer,
        detail={"move_request": request.pk, "status": request.status},
    )
    return offer


@transaction.atomic
def offer_answer(*, scope: Scope, offer_id, take: bool) -> WellbeingOffer:
    """Take time off (the manager is told) or say no thanks to the offer."""
    offer = _my_offer(scope, offer_id)
    offer.status = WellbeingOffer.Status.TAKEN if take else WellbeingOffer.Status.DECLINED
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "decided_at"])
    if take:
        notify(
            recipients=selectors.managers_of_employee(offer.employee),
            event=events.CHECKIN_DUE.key,
            title=f"{offer.employee} is taking time off after an incident",
            url=_url("care:home", scope.organization),
            organization=scope.organization,
            actor=scope.user,
        )
    return offer


@transaction.atomic
def checkin_done(*, scope: Scope, task_id) -> CheckInTask:
    task = CheckInTask.objects.filter(pk=task_id, incident__organization=scope.organization).first()
    if task is None or scope.user.pk not in (task.manager_id, task.escalated_to_id):
        raise PermissionDenied("That check-in is not yours.")
    if task.done_at is not None:
        raise ValidationError({"task": "This check-in is already done."})
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    audit_record(
        action="care.checkin.done", organization=scope.organization, actor=scope.user, target=task
    )
    return task


def checkins_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell managers of check-ins that fall due, and escalate those overdue by more than the
    policy's hours to the next manager up (once). Run daily or hourly; it never repeats itself."""
    now = now or timezone.now()
    told = escalated = 0
    for task in CheckInTask.objects.filter(done_at__isnull=True, due_at__lte=now).select_related(
        "incident__organization", "employee__unit"
    ):
        organization = task.incident.organization
        told += len(
            notify(
                recipients=[task.manager_id],
                event=events.CHECKIN_DUE.key,
                title=f"Check in with {task.employee} ({task.get_kind_display().lower()} an incident)",
                url=_url("care:home", organization),
                organization=organization,
                key=f"checkin:{task.pk}",
            )
        )
        policy = selectors.policy_in_force(organization, timezone.localdate(now))
        late = now - task.due_at >= dt.timedelta(hours=policy.escalate_after_hours)
        if late and task.escalated_at is None:
            escalated += _escalate(task, now)
    return {"told": told, "escalated": escalated}


@transaction.atomic
def _escalate(task: CheckInTask, now: dt.datetime) -> int:
    organization = task.incident.organization
    manager_units = [
        m.unit
        for m in Membership.objects.filter(
            organization=organization, user_id=task.manager_id, role=Role.MANAGER
        ).select_related("unit")
    ]
    above = []
    for unit in manager_units:
        above += selectors.managers_of_unit(organization, unit, above=True)
    above = [u for u in above if u.pk not in (task.manager_id, task.employee.user_id)]
    above = above or [u for u in selectors.admins_of(organization) if u.pk != task.manager_id]
    if not above:
        return 0
    task.escalated_to = above[0]
    task.escalated_at = now
    task.save(update_fields=["escalated_to", "escalated_at"])
    audit_record(
        action="care.checkin.escalate",
        organization=organization,
        actor=None,
        target=task,
        detail={"escalated_to": above[0].pk},
    )
    notify(
        recipients=[above[0]],
        event=events.CHECKIN_DUE.key,
        title=f"Overdue: a check-in with {task.employee} after an incident",
        body="The manager has not checked in yet; please make sure someone does.",
        url=_url("care:home", organization),
        organization=organization,
        key=f"checkin-escalated:{task.pk}",
    )
    return 1


@transaction.atomic
def mood_record(*, scope: Scope, mood, note: str = "", share: bool = False) -> MoodCheckIn:
    employee = predicates.employee_of(scope)
    if employee is None:
        raise PermissionDenied("Mood check-ins are for employees.")
    try:
        mood = int(mood)
    except (TypeError, ValueError):
        raise ValidationError({"mood": "Choose how you feel, 1-5."}) from None
    if not 1 <= mood <= 5:
        raise ValidationError({"mood": f"Mood is 1-5, not {mood}."})
    supporter = selectors.support_person(employee)
    if share and supporter is None:
        raise ValidationError({"share": "Choose a support person first to share a check-in."})
    return MoodCheckIn.objects.create(
        organization=scope.organization,
        employee=employee,
        unit=employee.unit,
        mood=mood,
        note=(note or "").strip()[:1000],
        shared_with=supporter if share else None,
        created_at=timezone.now(),
    )


@transaction.atomic
def support_choose(*, scope: Scope, supporter_id) -> SupportPerson:
    employee = predicates.employee_of(scope)
    if employee is None:
        raise PermissionDenied("Choosing a support person is for employees.")
    candidates = {u.pk: u for u in selectors.support_candidates(scope.organization, employee)}
    try:
        supporter = candidates[int(supporter_id)]
    except (KeyError, TypeError, ValueError):
        raise ValidationError({"supporter": "Choose someone of your organisation."}) from None
    chosen, _ = SupportPerson.objects.update_or_create(
        employee=employee, defaults={"supporter": supporter}
    )
    return chosen


@transaction.atomic
def support_ask(*, scope: Scope, message: str = "") -> SupportRequest:
    employee = predicates.employee_of(scope)
    if employee is None:
        raise PermissionDenied("Asking for support is for employees.")
    supporter = selectors.support_person(employee)
    if supporter is None:
        raise ValidationError({"supporter": "Choose your support person first."})
    request = SupportRequest.objects.create(
        organization=scope.organization,
        employee=employee,
        supporter=supporter,
        message=(message or "").strip()[:1000],
        created_at=timezone.now(),
    )
    notify(
        recipients=[supporter],
        event=events.SUPPORT_ASKED.key,
        title=f"{employee} asks you for support",
        # The message itself stays on the page, not in an e-mail.
        body="Open the request to read it.",
        url=_url("care:wellbeing", scope.organization),
        organization=scope.organization,
        actor=scope.user,
    )
    return request


@transaction.atomic
def support_close(*, scope: Scope, request_id) -> SupportRequest:
    request = SupportRequest.objects.filter(
        pk=request_id, organization=scope.organization, supporter=scope.user
    ).first()
    if request is None:
        raise PermissionDenied("That request was not made to you.")
    request.status = SupportRequest.Status.CLOSED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    return request


def figures_publish(*, organization: Organization, now: dt.datetime | None = None) -> int:
    """Publish what is due and not yet published (the whole organisation, gated), once —
    every closed month of the figures' window, the last closed quarter's recovery figures and
    the goodwill figures of the quarter before it; a published month or quarter is never
    recomputed. Returns how many were published. Called before the figures are read (page
    and API)."""
    now = now or timezone.now()
    months = selectors.closed_months(now=now)
    have = set(
        CareMonthFigures.objects.filter(
            organization=organization, month__in=[m.start_time.date() for m in months]
        ).values_list("month", flat=True)
    )
    rows = [
        CareMonthFigures(
            organization=organization,
            month=month.start_time.date(),
            published_at=now,
            **selectors.month_figures(organization, month),
        )
        for month in months
        if month.start_time.date() not in have
    ]

    def quarter_due(model, quarter, figures) -> list:
        """`model`'s row for `quarter`, built from `figures()`, unless it is published."""
        first_day = quarter.start_time.date()
        if model.objects.filter(organization=organization, quarter=first_day).exists():
            return []
        return [model(organization=organization, quarter=first_day, published_at=now, **figures())]

    recovery = selectors.last_closed_quarter(now=now)
    given = selectors.goodwill_quarter(now=now)
    quarters = [
        *quarter_due(
            RecoveryQuarterFigures,
            recovery,
            lambda: selectors.recovery_quarter_figures(organization, recovery),
        ),
        *quarter_due(
            GoodwillQuarterFigures,
            given,
            lambda: {"figures": selectors.goodwill_quarter_figures(organization, given)},
        ),
    ]
    with transaction.atomic():
        CareMonthFigures.objects.bulk_create(rows, ignore_conflicts=True)
        for row in quarters:
            type(row).objects.bulk_create([row], ignore_conflicts=True)
    return len(rows) + len(quarters)
