"""Demo data of the care app, run by servicechain.demo after the organisation is seeded.

The simulator already draws abusive-customer incidents at a known rate (4 per 1,000
interactions, severity 1-3 with probabilities 0.6/0.3/0.1: `ground_truth.json`, "incidents");
each becomes an incident on its interaction, so the demo's rate is the simulator's. The
simulator says when, who served whom and how severe; the category is drawn within the
severity (1: upset or abusive language; 2: abusive language or harassment; 3: threat, or
violence at severity 4) so that every category appears, and the words come from the
labelled texts of that category. Incidents older than three days were decided through the
real service (the line as configured), most by the unit's manager and some by the
administrator; one exclusion in the demo manager's area is under appeal, waiting for the
manager's review. Coached incidents opened recovery cases; those older than a fortnight are
closed with a gesture and a follow-up survey answer. Goodwill was spent on a sample of recent
interactions (two requests above the allowance wait for the demo manager), people checked in
their mood, and the contact-centre agent has this morning's calls on their screen.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from servicechain.org.access import scope_for
from servicechain.org.models import Customer, Employee, Interaction, Membership, Unit

from . import classifier, selectors, services
from . import policy as line
from .models import (
    CustomerStanding,
    GoodwillSpend,
    Incident,
    MoodCheckIn,
    Outcome,
    RecoveryCase,
)

CATEGORIES_BY_SEVERITY = {
    1: (("upset", 1), ("abusive_language", 1)),
    2: (("abusive_language", 2), ("harassment", 2)),
    3: (("threat", 3), ("violence", 4)),
}
DECIDE_AFTER_DAYS = 3
CLOSE_AFTER_DAYS = 14
GOODWILL_SHARE = 0.01
SEED = 11


def seed_demo(
    *, organization, synthetic=None, today: dt.date | None = None, progress=print
) -> None:
    started = time.perf_counter()
    today = today or timezone.localdate()
    now = timezone.now() if today == timezone.localdate() else _noon(today)
    rng = np.random.default_rng(SEED)
    with transaction.atomic():
        services.policy_ensure(organization=organization)
        people = _people(organization)
        _mark_vulnerable(organization, rng)
        count = _incidents(organization, synthetic, people, rng, today, now)
        _appeal(organization, people, today)
        _agent_morning(organization, people, now)
        closed = _recovery(organization, people, rng, today, now)
        spends = _goodwill(organization, people, rng, today, now)
        moods = _moods(organization, rng, today)
    progress(
        f"  {count:>9,} care incidents (the simulator's rate), {closed} recovery cases closed, "
        f"{spends} goodwill gestures, {moods} mood check-ins "
        f"({time.perf_counter() - started:.1f} s)"
    )


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _people(organization) -> dict:
    users = {
        u.username: u
        for u in get_user_model().objects.filter(memberships__organization=organization)
    }
    return users


def _scope(organization, user):
    return scope_for(user, organization.slug)


def _mark_vulnerable(organization, rng) -> None:
    """A few customers are known to be vulnerable: the line sends their cases to a person."""
    ids = list(
        Customer.objects.filter(organization=organization).values_list("pk", flat=True)[:400]
    )
    for pk in rng.choice(ids, size=min(3, len(ids)), replace=False) if ids else []:
        CustomerStanding.objects.update_or_create(
            customer_id=int(pk),
            defaults={"vulnerable": True, "note": "Bereaved; speak to them gently."},
        )


def _texts(rng) -> dict:
    frame = classifier.labelled_incidents("development")
    frame = frame[frame["language"] == "en"]
    return {category: list(rows["text"]) for category, rows in frame.groupby("category")}


def _decider(organization, people, unit: Unit, employee: Employee | None):
    """The demo manager for their area, the lead for the contact centre, else the admin."""
    for username in ("manager", "lead"):
        user = people.get(username)
        if user is None:
            continue
        membership = Membership.objects.filter(user=user, organization=organization).first()
        mine = employee is not None and employee.user_id == user.pk
        if membership and membership.unit and unit.is_within(membership.unit) and not mine:
            return user
    return people["admin"]


def _incidents(organization, synthetic, people, rng, today, now) -> int:
    if synthetic is None or synthetic.incidents.empty:
        return 0
    frame = synthetic.incidents.sort_values("occurred_at")
    customers = dict(
        Customer.objects.filter(organization=organization).values_list("external_id", "pk")
    )
    employees = {
        e.external_id: e
        for e in Employee.objects.filter(organization=organization).select_related("unit")
    }
    texts = _texts(rng)
    used = {c: 0 for c in texts}
    count = 0
    for n, row in enumerate(frame.itertuples(index=False)):
        employee = employees.get(row.employee_external_id)
        customer_id = customers.get(row.customer_external_id)
        if employee is None or customer_id is None:
            continue
        occurred = row.occurred_at.to_pydatetime()
        interaction = (
            Interaction.objects.filter(
                customer_id=customer_id, employee=employee, started_at__lte=occurred
            )
            .order_by("-started_at")
            .first()
        )
        if interaction is None:
            continue
        options = CATEGORIES_BY_SEVERITY[int(row.severity)]
        # The first incidents of each severity take each category in turn (every category
        # is in the demo), the rest are drawn.
        category, severity = options[n % 2] if n < 6 else options[int(rng.integers(len(options)))]
        pool = texts[category]
        description = pool[used[category] % len(pool)]
        used[category] += 1
        incident = _record(
            organization, interaction, employee, category, severity, description, occurred
        )
        count += 1
        if severity >= 3 and occurred.date() >= today - dt.timedelta(days=35) and employee.user_id:
            policy = selectors.policy_in_force(organization, today)
            services._look_after(incident, policy, occurred)
        if occurred.date() <= today - dt.timedelta(days=DECIDE_AFTER_DAYS):
            _decide(organization, people, incident, occurred)
    return count


def _record(organization, interaction, employee, category, severity, description, occurred):
    policy = selectors.policy_in_force(organization, occurred.date())
    customer = interaction.customer
    repetition = selectors.repetition_of(
        customer, on=occurred, window_months=policy.repeat_window_months
    )
    reading = line.apply_rules(
        policy.rules,
        policy.exemptions,
        category=category,
        severity=severity,
        repetition=repetition,
        flags=selectors.flags_of(customer),
    )
    suggestion = classifier.suggest(description)
    return Incident.objects.create(
        organization=organization,
        unit=interaction.unit,
        employee=employee,
        reported_by=employee.user,
        interaction=interaction,
        customer=customer,
        category=category,
        severity=severity,
        description=description,
        suggested_category=suggestion.category,
        suggested_severity=suggestion.severity,
        occurred_at=occurred,
        created_at=occurred + dt.timedelta(minutes=10),
        source=Incident.Source.SEED,
        policy_version=getattr(policy, "history_id", None),
        repetition=repetition,
        proposed_outcome=reading.outcome,
        proposed_months=reading.months,
        exemption=reading.exemption,
    )


def _decide(organization, people, incident, occurred: dt.datetime) -> None:
    """Decided the day after, through the service; the records then carry that day."""
    decider = _decider(organization, people, incident.unit, incident.employee)
    outcome, note = None, ""
    if incident.proposed_outcome == Outcome.REFER:
        outcome, note = Outcome.SUPERVISOR, "Vulnerable customer: spoke to them ourselves instead."
    decided = occurred + dt.timedelta(days=1)
    services.incident_decide(
        scope=_scope(organization, decider),
        incident=incident,
        outcome=outcome,
        note=note,
        today=timezone.localdate(decided),
    )
    Incident.objects.filter(pk=incident.pk).update(decided_at=decided)
    RecoveryCase.objects.filter(incident=incident).update(opened_at=decided)


def _appeal(organization, people, today) -> None:
    """One exclusion in the demo manager's area, confirmed by the administrator and appealed by
    the customer: the manager reviews it (someone other than the confirmer)."""
    manager = people.get("manager")
    membership = Membership.objects.filter(user=manager, organization=organization).first()
    if membership is None:
        return
    area = Incident.objects.filter(
        organization=organization, unit__path__startswith=membership.unit.path
    )
    exclusion = area.filter(state=Incident.State.DECIDED, outcome=Outcome.EXCLUSION).first()
    if exclusion is None or exclusion.decided_by_id == manager.pk:
        exclusion = _made_exclusion(organization, people, area, membership.unit, today)
    if exclusion is None:
        return
    services.incident_appeal(
        scope=_scope(organization, people["admin"]),
        incident=exclusion,
        text="The customer writes that they were provoked and asks to be let back in.",
    )


def _made_exclusion(organization, people, area, unit, today):
    interaction = (
        Interaction.objects.filter(organization=organization, unit__path__startswith=unit.path)
        .exclude(employee=None)
        .exclude(customer__care_standing__vulnerable=True)
        .select_related("employee", "customer", "unit")
        .order_by("-started_at")
        .first()
    )
    if interaction is None:
        return None
    moment = interaction.started_at
    incident = _record(
        organization,
        interaction,
        interaction.employee,
        "threat",
        3,
        "Customer said he would wait in the car park until I came out, and that I'd regret it.",
        moment,
    )
    services.incident_decide(
        scope=_scope(organization, people["admin"]),
        incident=incident,
        today=min(today, timezone.localdate(moment) + dt.timedelta(days=1)),
    )
    return incident


def _agent_morning(organization, people, now) -> None:
    """This morning's calls on the agent's screen (the customers are real demo customers)."""
    agent_user = people.get("agent")
    employee = getattr(agent_user, "employee", None) if agent_user else None
    if employee is None:
        return
    customers = list(
        Customer.objects.filter(organization=organization)
        .exclude(care_standing__vulnerable=True)
        .order_by("pk")[5:10]
    )
    for n, customer in enumerate(customers):
        Interaction.objects.create(
            organization=organization,
            external_id=f"CARE-CALL-{employee.pk}-{n + 1}",
            customer=customer,
            employee=employee,
            unit=employee.unit,
            channel=Interaction.Channel.PHONE,
            started_at=now - dt.timedelta(minutes=25 * (n + 1)),
            duration_s=240 + 60 * n,
        )


def _recovery(organization, people, rng, today, now) -> int:
    """Close the recovery cases of coached incidents older than a fortnight, with a gesture
    and the customer's answer to the follow-up survey."""
    from servicechain.surveys.models import CustomerResponse, Invitation

    cases = list(
        RecoveryCase.objects.filter(
            organization=organization,
            status=RecoveryCase.Status.OPEN,
            opened_at__date__lte=today - dt.timedelta(days=CLOSE_AFTER_DAYS),
        ).select_related("interaction", "unit")
    )
    if not cases:
        return 0
    wave = services.followup_wave(organization=organization, now=now - dt.timedelta(days=365))
    gestures = [
        "Apologised and refunded the delivery",
        "Called back and fixed it",
        "Credit on the account",
    ]
    for n, case in enumerate(cases):
        closed_at = case.opened_at + dt.timedelta(days=int(rng.integers(1, 6)))
        invitation = Invitation.objects.create(
            wave=wave,
            interaction=case.interaction,
            unit_id=case.unit_id,
            token_hash=f"seeded-{case.pk}",
            sent_at=closed_at,
            responded=True,
        )
        CustomerResponse.objects.create(
            wave=wave,
            interaction=case.interaction,
            unit_id=case.unit_id,
            answers={"csat": int(rng.choice([2, 3, 4, 4, 5, 5]))},
            submitted_at=closed_at + dt.timedelta(days=2),
            source=CustomerResponse.Source.SEED,
        )
        RecoveryCase.objects.filter(pk=case.pk).update(
            status=RecoveryCase.Status.CLOSED,
            gesture=gestures[n % len(gestures)],
            closed_at=closed_at,
            followup=invitation,
        )
    return len(cases)


def _goodwill(organization, people, rng, today, now) -> int:
    policy = selectors.policy_in_force(organization, today)
    currency = str(policy.allowance.currency)
    since = now - dt.timedelta(days=120)
    interactions = list(
        Interaction.objects.filter(organization=organization, started_at__gte=since)
        .exclude(employee=None)
        .values_list("pk", "employee_id", "unit_id", "customer_id", "started_at")
    )
    if not interactions:
        return 0
    picked = rng.choice(
        len(interactions), size=max(1, int(len(interactions) * GOODWILL_SHARE)), replace=False
    )
    kinds, reasons = GoodwillSpend.Kind.values, GoodwillSpend.Reason.values
    rows = [
        GoodwillSpend(
            organization=organization,
            employee_id=interactions[i][1],
            unit_id=interactions[i][2],
            interaction_id=interactions[i][0],
            customer_id=interactions[i][3],
            kind=kinds[int(rng.integers(len(kinds)))],
            reason=reasons[int(rng.integers(len(reasons)))],
            amount=Money(Decimal(int(rng.integers(5, 30))), currency),
            status=GoodwillSpend.Status.SPENT,
            created_at=interactions[i][4] + dt.timedelta(minutes=5),
        )
        for i in sorted(picked)
    ]
    GoodwillSpend.objects.bulk_create(rows)
    _waiting_requests(organization, people, now)
    return len(rows)


def _waiting_requests(organization, people, now) -> None:
    """The demo employee asks their manager to approve a gesture above the allowance."""
    user = people.get("employee")
    if user is None or getattr(user, "employee", None) is None:
        return
    interaction = Interaction.objects.filter(employee=user.employee).order_by("-started_at").first()
    if interaction is None:
        return
    services.goodwill_spend(
        scope=_scope(organization, user),
        interaction_id=interaction.pk,
        kind=GoodwillSpend.Kind.REFUND,
        reason=GoodwillSpend.Reason.OUR_MISTAKE,
        amount="120.00",
        note="Wrong sofa delivered twice; refund the delivery and the wasted day off.",
        ask_manager=True,
        now=now,
    )


def _moods(organization, rng, today) -> int:
    """A third of the active people check in about once a month (for HR's gated figures)."""
    employees = list(
        Employee.objects.filter(organization=organization, leave_date__isnull=True).values_list(
            "pk", "unit_id"
        )
    )
    rows = []
    for months_ago in range(6):
        day = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=10)
        for pk, unit_id in employees:
            if rng.random() < 1 / 3:
                rows.append(
                    MoodCheckIn(
                        organization=organization,
                        employee_id=pk,
                        unit_id=unit_id,
                        mood=int(rng.choice([2, 3, 3, 4, 4, 4, 5])),
                        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(17, 0))),
                    )
                )
    MoodCheckIn.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
