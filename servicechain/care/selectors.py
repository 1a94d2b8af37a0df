"""Reads of the care app. Every figure over people that reaches a person passes the anonymity
gate (`servicechain.analytics.anonymity`); individual wellbeing records are read only by
their owner and the support person they chose."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from djmoney.money import Money

from servicechain.analytics import anonymity
from servicechain.org.access import Role, Scope
from servicechain.org.models import (
    Customer,
    Employee,
    Interaction,
    Membership,
    Organization,
    Transaction,
    Unit,
)

from . import policy as line
from . import predicates
from .models import (
    SANCTIONS,
    CareMonthFigures,
    CarePolicy,
    CarePolicyVersion,
    CheckInTask,
    CustomerStanding,
    GoodwillQuarterFigures,
    GoodwillSpend,
    Incident,
    MoodCheckIn,
    RecoveryCase,
    RecoveryQuarterFigures,
    Sanction,
    SupportPerson,
    SupportRequest,
    WellbeingOffer,
)

# --------------------------------------------------------------------------- the line


def default_policy(organization: Organization) -> CarePolicy:
    """The line an organisation has before anyone set one (unsaved)."""
    return CarePolicy(
        organization=organization,
        effective_from=dt.date(2000, 1, 1),
        rules=[dict(rule) for rule in line.DEFAULT_RULES],
        exemptions=list(line.DEFAULT_EXEMPTIONS),
        allowance=Money(Decimal("50.00"), organization.currency),
    )


def policy_in_force(organization: Organization, on: dt.date | None = None):
    """The version of the line in force on `on`: of the saved versions that apply by then,
    the one saved last (a version made for a later date waits for its day). Returns a
    CarePolicyVersion, the live policy, or the unsaved default."""
    on = on or timezone.localdate()
    version = (
        CarePolicyVersion.objects.filter(organization_id=organization.pk, effective_from__lte=on)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if version is not None:
        return version
    live = CarePolicy.objects.filter(organization=organization).first()
    return live or default_policy(organization)


def policy_versions(organization: Organization) -> list:
    return list(
        CarePolicyVersion.objects.filter(organization_id=organization.pk).order_by(
            "-history_date", "-history_id"
        )
    )


def repetition_of(customer: Customer | None, *, on: dt.datetime, window_months: int) -> int:
    """This incident's number for the customer: 1 + their decided incidents within the window
    (dismissed ones do not exist: every decided incident counts, a lifted sanction included)."""
    if customer is None:
        return 1
    since = on - dt.timedelta(days=round(window_months * 30.44))
    earlier = Incident.objects.filter(
        customer=customer,
        occurred_at__gte=since,
        occurred_at__lt=on,
        state__in=[Incident.State.DECIDED, Incident.State.APPEALED, Incident.State.REVIEWED],
    ).exclude(review_result=Incident.ReviewResult.LIFTED)
    return 1 + earlier.count()


def flags_of(customer: Customer | None) -> list[str]:
    if customer is None:
        return []
    standing = CustomerStanding.objects.filter(customer=customer).first()
    return standing.flags() if standing else []


# --------------------------------------------------------------------------- standing


@dataclass(frozen=True)
class Standing:
    customer: Customer
    excluded_until: dt.date | None
    sanctions: list[Sanction]
    vulnerable: bool

    @property
    def excluded(self) -> bool:
        return self.excluded_until is not None

    @property
    def warned(self) -> bool:
        return any(s.kind != "exclusion" for s in self.sanctions)


def sanctions_in_force(customers, on: dt.date) -> QuerySet[Sanction]:
    return (
        Sanction.objects.filter(customer__in=customers, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=on))
        .exclude(kind="exclusion", ends_on__isnull=True)
    )


def standing_of(customer: Customer, on: dt.date | None = None) -> Standing:
    on = on or timezone.localdate()
    sanctions = list(sanctions_in_force([customer], on).order_by("-starts_on"))
    exclusions = [s.ends_on for s in sanctions if s.kind == "exclusion"]
    flags = flags_of(customer)
    return Standing(
        customer=customer,
        excluded_until=max(exclusions) if exclusions else None,
        sanctions=sanctions,
        vulnerable="vulnerable" in flags,
    )


def excluded_customers(customer_ids, on: dt.date | None = None) -> dict[int, dt.date]:
    """Customer id → last day of exclusion, for those excluded on `on` (one query)."""
    on = on or timezone.localdate()
    out: dict[int, dt.date] = {}
    for customer_id, ends in (
        sanctions_in_force(customer_ids, on)
        .filter(kind="exclusion")
        .values_list("customer_id", "ends_on")
    ):
        out[customer_id] = max(ends, out.get(customer_id, ends))
    return out


# --------------------------------------------------------------------------- incidents


def incidents_in_scope(scope: Scope) -> QuerySet[Incident]:
    """Incidents the member may decide (admins: all; managers: their subtree)."""
    base = Incident.objects.filter(organization=scope.organization).select_related(
        "unit", "employee", "customer", "sanction"
    )
    if scope.role == Role.ADMIN:
        return base
    if scope.role == Role.MANAGER:
        mine = predicates.employee_of(scope)
        rows = base.filter(unit__path__startswith=scope.unit.path)
        return rows.exclude(employee=mine) if mine is not None else rows
    return base.none()


def waiting_for_decision(scope: Scope) -> QuerySet[Incident]:
    return (
        incidents_in_scope(scope)
        .filter(state=Incident.State.REPORTED)
        .order_by("-severity", "occurred_at")
    )


def appeals_to_review(scope: Scope) -> QuerySet[Incident]:
    return (
        incidents_in_scope(scope)
        .filter(state=Incident.State.APPEALED)
        .exclude(decided_by=scope.user)
        .order_by("appealed_at")
    )


def my_reports(scope: Scope, limit: int = 50) -> list[Incident]:
    employee = predicates.employee_of(scope)
    mine = Q(reported_by=scope.user)
    if employee is not None:
        mine |= Q(employee=employee)
    return list(
        Incident.objects.filter(organization=scope.organization)
        .filter(mine)
        .select_related("customer", "sanction")
        .order_by("-created_at")[:limit]
    )


def incidents_of_customer(scope: Scope, customer: Customer) -> list[Incident]:
    return list(incidents_in_scope(scope).filter(customer=customer).order_by("-occurred_at"))


def managers_of_unit(organization: Organization, unit: Unit, *, above: bool = False) -> list:
    """Users with the manager role nearest at or above `unit` (strictly above with `above`)."""
    members = Membership.objects.filter(
        organization=organization, role=Role.MANAGER, user__is_active=True
    ).select_related("unit", "user")
    fitting = [
        m for m in members if unit.is_within(m.unit) and not (above and m.unit.pk == unit.pk)
    ]
    if not fitting:
        return []
    nearest = max(m.unit.depth for m in fitting)
    return [m.user for m in fitting if m.unit.depth == nearest]


def admins_of(organization: Organization) -> list:
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role=Role.ADMIN, user__is_active=True
        ).select_related("user")
    ]


def managers_of_employee(employee: Employee) -> list:
    """Whoever looks after the person: an agent's team lead, else the nearest managers of
    their unit (not the person themself), else the administrators."""
    from servicechain.contactcentre import access as cc_access

    agent = getattr(employee, "contact_centre_agent", None)
    people = cc_access.leads_of(agent.team) if agent is not None and agent.active else []
    if not people:
        people = managers_of_unit(employee.organization, employee.unit)
    people = [u for u in people if u.pk != employee.user_id]
    if not people:
        people = managers_of_unit(employee.organization, employee.unit, above=True)
        people = [u for u in people if u.pk != employee.user_id]
    return people or admins_of(employee.organization)


# --------------------------------------------------------------------------- wellbeing


def checkin_tasks(user, organization: Organization) -> QuerySet[CheckInTask]:
    """Open check-in tasks the person must do (theirs, and those escalated to them)."""
    return (
        CheckInTask.objects.filter(incident__organization=organization, done_at__isnull=True)
        .filter(Q(manager=user) | Q(escalated_to=user))
        .select_related("employee", "incident")
        .order_by("due_at")
    )


def open_offer(employee: Employee | None) -> WellbeingOffer | None:
    if employee is None:
        return None
    return (
        WellbeingOffer.objects.filter(employee=employee, status=WellbeingOffer.Status.OFFERED)
        .select_related("incident")
        .order_by("-created_at")
        .first()
    )


def support_person(employee: Employee | None):
    if employee is None:
        return None
    chosen = SupportPerson.objects.filter(employee=employee).select_related("supporter").first()
    return chosen.supporter if chosen else None


def my_checkins(employee: Employee, limit: int = 30) -> list[MoodCheckIn]:
    """The employee's own mood check-ins (only ever called with the signed-in person's record)."""
    return list(MoodCheckIn.objects.filter(employee=employee).order_by("-created_at")[:limit])


def shared_with_me(user, organization: Organization, limit: int = 50) -> list[MoodCheckIn]:
    """Check-ins people chose to share with this person as their support person."""
    return list(
        MoodCheckIn.objects.filter(organization=organization, shared_with=user)
        .select_related("employee")
        .order_by("-created_at")[:limit]
    )


def support_requests_for(user, organization: Organization) -> list[SupportRequest]:
    return list(
        SupportRequest.objects.filter(organization=organization, supporter=user)
        .select_related("employee")
        .order_by("status", "-created_at")[:50]
    )


def my_support_requests(employee: Employee) -> list[SupportRequest]:
    return list(SupportRequest.objects.filter(employee=employee).order_by("-created_at")[:20])


def support_candidates(organization: Organization, employee: Employee) -> list:
    """Members the employee may choose as their support person (anyone but themself)."""
    return [
        m.user
        for m in Membership.objects.filter(organization=organization, user__is_active=True)
        .exclude(user_id=employee.user_id)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]


# --------------------------------------------------------------------------- allowance


def month_start(on: dt.date) -> dt.date:
    return on.replace(day=1)


def allowance_state(employee: Employee, on: dt.date | None = None) -> dict:
    """This month's allowance, what was spent without asking and what is left."""
    on = on or timezone.localdate()
    policy = policy_in_force(employee.organization, on)
    start = month_start(on)
    spent = GoodwillSpend.objects.filter(
        employee=employee,
        status=GoodwillSpend.Status.SPENT,
        created_at__date__gte=start,
        created_at__date__lte=on,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    allowance = policy.allowance.amount
    currency = str(policy.allowance.currency)
    return {
        "allowance": Money(allowance, currency),
        "spent": Money(spent, currency),
        "remaining": Money(max(allowance - spent, Decimal("0")), currency),
        "period_start": start,
    }


def my_spends(employee: Employee, limit: int = 20) -> list[GoodwillSpend]:
    return list(
        GoodwillSpend.objects.filter(employee=employee)
        .select_related("customer", "interaction")
        .order_by("-created_at")[:limit]
    )


def spends_waiting(scope: Scope) -> QuerySet[GoodwillSpend]:
    """Requests above the allowance this member may approve (their subtree; admins: all)."""
    if scope.role not in (Role.ADMIN, Role.MANAGER):
        return GoodwillSpend.objects.none()
    rows = GoodwillSpend.objects.filter(
        organization=scope.organization, status=GoodwillSpend.Status.PENDING
    ).filter(scope.unit_filter("unit"))
    mine = predicates.employee_of(scope)
    if mine is not None:
        rows = rows.exclude(employee=mine)
    return rows.select_related("employee", "customer").order_by("created_at")


# --------------------------------------------------------------------------- recovery


def recovery_cases(scope: Scope) -> QuerySet[RecoveryCase]:
    rows = RecoveryCase.objects.filter(organization=scope.organization).select_related(
        "customer", "owner", "unit"
    )
    if scope.role in (Role.ADMIN, Role.MANAGER):
        return rows.filter(scope.unit_filter("unit"))
    employee = predicates.employee_of(scope)
    return rows.filter(owner=employee) if employee is not None else rows.none()


def followup_answer(case: RecoveryCase):
    """The customer's answer to the follow-up survey, or None."""
    if case.followup_id is None or case.interaction_id is None:
        return None
    from servicechain.surveys.models import CustomerResponse

    return CustomerResponse.objects.filter(
        wave_id=case.followup.wave_id, interaction_id=case.interaction_id
    ).first()


CSAT_CODE = "csat"
SATISFIED = 4  # top-two box of a 1-5 satisfaction scale


def _satisfied(answers: dict) -> bool | None:
    value = answers.get(CSAT_CODE)
    if value is None:
        return None
    try:
        return int(value) >= SATISFIED
    except (TypeError, ValueError):
        return None


def _gated_by_unit(
    scope: Scope, frame: pd.DataFrame, count: str, values: list[str], *, total: bool = False
) -> list[dict]:
    units = list(scope.units().order_by("path"))
    return _gated_rows(units, scope.organization.min_group_size, frame, count, values, total=total)


def _gated_rows(
    units: list[Unit],
    min_n: int,
    frame: pd.DataFrame,
    count: str,
    values: list[str],
    *,
    total: bool = False,
) -> list[dict]:
    """Per unit of `units` (subtree totals), through the anonymity gate: a unit's
    row is shown only when its `count` of distinct people reaches the organisation's minimum
    group size and cannot be worked out by subtraction. `frame` has one row per person-event
    with `unit_path`, `person` and the value columns (0/1 or numbers); each value is the
    mean over the rows (the sum with `total`)."""
    if not units:
        return []
    paths = {u.pk: u.path for u in units}
    rows = []
    for unit in units:
        inside = frame[frame["unit_path"].str.startswith(unit.path)] if len(frame) else frame
        row = {
            "unit": unit.pk,
            "parent": unit.parent_id if unit.parent_id in paths else None,
            count: int(inside["person"].nunique()) if len(inside) else 0,
        }
        for value in values:
            if total:
                row[value] = float(inside[value].sum()) if len(inside) else 0.0
            else:
                row[value] = float(inside[value].mean()) if len(inside) else float("nan")
        rows.append(row)
    table = pd.DataFrame(rows).set_index("unit")
    gated = anonymity.suppress(table, min_n=min_n, count=count, parent="parent")
    names = {u.pk: u for u in units}
    out = []
    for unit_id, row in gated.iterrows():
        out.append(
            {
                "unit": names[unit_id],
                "suppressed": bool(row["suppressed"]),
                count: None if row["suppressed"] else int(row[count]),
                **{v: None if row["suppressed"] else row[v] for v in values},
            }
        )
    return out


def last_closed_quarter(*, now: dt.datetime | None = None):
    """The last calendar quarter that has ended (UTC)."""
    now = now or timezone.now()
    return pd.Timestamp(now.astimezone(dt.UTC).date()).to_period("Q") - 1


def recovery_quarter_figures(organization: Organization, quarter, *, days_after: int = 90) -> dict:
    """Recovery rate (share of customers satisfied, 4-5 of 5, among the follow-up answers
    submitted in `quarter`) and repeat business (share of the customers whose cases closed in
    the quarter before who bought again within `days_after` days of closing) by unit, gated
    over the whole unit tree on distinct customers. Only `services.figures_publish` calls it,
    once the quarter has ended."""
    from servicechain.surveys.models import CustomerResponse

    start, end = _quarter_bounds(quarter)
    cases = list(
        RecoveryCase.objects.filter(
            organization=organization,
            status=RecoveryCase.Status.CLOSED,
            followup__isnull=False,
        ).values("customer_id", "unit__path", "interaction_id", "followup__wave_id")
    )
    answers = {
        (r["wave_id"], r["interaction_id"]): r["answers"]
        for r in CustomerResponse.objects.filter(
            wave_id__in={c["followup__wave_id"] for c in cases},
            interaction_id__in={c["interaction_id"] for c in cases if c["interaction_id"]},
            submitted_at__gte=start,
            submitted_at__lt=end,
        ).values("wave_id", "interaction_id", "answers")
    }
    records = []
    for case in cases:
        answer = answers.get((case["followup__wave_id"], case["interaction_id"]))
        satisfied = _satisfied(answer or {})
        if satisfied is not None:
            records.append(
                {
                    "unit_path": case["unit__path"],
                    "person": case["customer_id"],
                    "recovered": float(satisfied),
                }
            )
    before_start, before_end = _quarter_bounds(quarter - 1)
    closed = list(
        RecoveryCase.objects.filter(
            organization=organization,
            status=RecoveryCase.Status.CLOSED,
            closed_at__gte=before_start,
            closed_at__lt=before_end,
        ).values("customer_id", "unit__path", "closed_at")
    )
    after = dt.timedelta(days=days_after)
    purchases = _purchase_times(
        {c["customer_id"] for c in closed}, before_start, before_end + after
    )
    repeat = [
        {
            "unit_path": case["unit__path"],
            "person": case["customer_id"],
            "returned": float(
                _any_within(purchases.get(case["customer_id"], []), case["closed_at"], after)
            ),
        }
        for case in closed
    ]
    units = list(Unit.objects.filter(organization=organization).order_by("path"))
    min_n = organization.min_group_size
    return {
        "recovered": _published_rows(
            _gated_rows(
                units,
                min_n,
                pd.DataFrame(records, columns=["unit_path", "person", "recovered"]),
                "people",
                ["recovered"],
            ),
            "recovered",
        ),
        "returned": _published_rows(
            _gated_rows(
                units,
                min_n,
                pd.DataFrame(repeat, columns=["unit_path", "person", "returned"]),
                "people",
                ["returned"],
            ),
            "returned",
        ),
    }


def recovery_by_unit(scope: Scope, *, now: dt.datetime | None = None) -> dict:
    """The last closed quarter's recovery figures, as published once it ended
    (`RecoveryQuarterFigures`), for the units of the member's scope: `recovered` over the
    follow-up answers of that quarter, `returned` over the cases closed the quarter before.
    Nothing moves until the next quarter ends, so no two readings differ by one customer."""
    quarter = last_closed_quarter(now=now)
    published = RecoveryQuarterFigures.objects.filter(
        organization=scope.organization, quarter=quarter.start_time.date()
    ).first()
    recovered = {c["unit"]: c for c in (published.recovered if published else [])}
    returned = {c["unit"]: c for c in (published.returned if published else [])}
    rows = []
    for unit in scope.units().order_by("path"):
        a, b = recovered.get(unit.pk), returned.get(unit.pk)
        rows.append(
            {
                "unit": unit,
                "suppressed": _shown(a) is None,
                "answered": _shown(a, "people"),
                "recovered": _shown(a),
                "returned_suppressed": _shown(b) is None,
                "customers": _shown(b, "people"),
                "returned": _shown(b),
            }
        )
    return {"quarter": str(quarter), "closed_quarter": str(quarter - 1), "rows": rows}


def _quarter_bounds(quarter) -> tuple[dt.datetime, dt.datetime]:
    return (
        timezone.make_aware(quarter.start_time.to_pydatetime(), dt.UTC),
        timezone.make_aware((quarter + 1).start_time.to_pydatetime(), dt.UTC),
    )


def _purchase_times(customers: set[int], start, end) -> dict[int, list[dt.datetime]]:
    """Each customer's purchase times from `start` to `end`, sorted: one query for all the
    customers of a quarter's figures instead of one per customer."""
    times: dict[int, list[dt.datetime]] = {}
    rows = (
        Transaction.objects.filter(
            customer_id__in=customers, occurred_at__gt=start, occurred_at__lte=end
        )
        .order_by("customer_id", "occurred_at")
        .values_list("customer_id", "occurred_at")
    )
    for customer, at in rows.iterator(chunk_size=5000):
        times.setdefault(customer, []).append(at)
    return times


def _any_within(times: list[dt.datetime], when: dt.datetime, window: dt.timedelta) -> bool:
    """Whether a sorted list of times holds one in (when, when + window]."""
    i = bisect.bisect_right(times, when)
    return i < len(times) and times[i] <= when + window


def _replies(customers: set[int], start, end) -> dict[int, list[tuple]]:
    """Each customer's survey answers (time, answers) from `start` to `end`, oldest first,
    in one query."""
    from servicechain.surveys.models import CustomerResponse

    replies: dict[int, list[tuple]] = {}
    rows = (
        CustomerResponse.objects.filter(
            interaction__customer_id__in=customers, submitted_at__gt=start, submitted_at__lte=end
        )
        .order_by("submitted_at", "pk")
        .values_list("interaction__customer_id", "submitted_at", "answers")
    )
    for customer, at, answers in rows.iterator(chunk_size=5000):
        replies.setdefault(customer, []).append((at, answers))
    return replies


def goodwill_quarter_figures(organization: Organization, quarter, *, days_after: int = 90) -> dict:
    """Goodwill given in `quarter` by kind and unit, gated over the whole unit tree on
    distinct customers: customers and amount; of each customer's first gesture of the kind,
    whether their next survey answer within `days_after` days was satisfied (4-5 of 5, over
    those who answered) and whether they bought again within 30 and 90 days. Only
    `services.figures_publish` calls it, for the quarter before the last closed one, so every
    window has passed. Returns `{kind: {given, satisfied, returned_30, returned_90}}`, lists
    of `{unit, suppressed, people, value}` (`given`'s value: the amount)."""
    start, end = _quarter_bounds(quarter)
    spends = list(
        GoodwillSpend.objects.filter(
            organization=organization,
            status__in=[GoodwillSpend.Status.SPENT, GoodwillSpend.Status.APPROVED],
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by("created_at", "pk")
        .values("kind", "customer_id", "created_at", "amount", "unit__path")
    )
    units = list(Unit.objects.filter(organization=organization).order_by("path"))
    min_n = organization.min_group_size
    after = dt.timedelta(days=days_after)
    customers = {s["customer_id"] for s in spends}
    replies = _replies(customers, start, end + after)
    purchases = _purchase_times(customers, start, end + after)
    out = {}
    for kind, _ in GoodwillSpend.Kind.choices:
        mine = [s for s in spends if s["kind"] == kind]
        first: dict[int, dict] = {}
        for spend in mine:
            first.setdefault(spend["customer_id"], spend)
        given = [
            {"unit_path": s["unit__path"], "person": s["customer_id"], "amount": float(s["amount"])}
            for s in mine
        ]
        satisfied, returned = [], []
        for customer, spend in first.items():
            when = spend["created_at"]
            reply = next(
                (answers for at, answers in replies.get(customer, []) if when < at <= when + after),
                None,
            )
            happy = _satisfied(reply or {})
            if happy is not None:
                satisfied.append(
                    {
                        "unit_path": spend["unit__path"],
                        "person": customer,
                        "satisfied": float(happy),
                    }
                )
            times = purchases.get(customer, [])
            returned.append(
                {
                    "unit_path": spend["unit__path"],
                    "person": customer,
                    "returned_30": float(_any_within(times, when, dt.timedelta(days=30))),
                    "returned_90": float(_any_within(times, when, after)),
                }
            )

        def gated(records, value, *, total=False):
            frame = pd.DataFrame(records, columns=["unit_path", "person", value])
            rows = _gated_rows(units, min_n, frame, "people", [value], total=total)
            return _published_rows(rows, value)

        out[kind] = {
            "given": gated(given, "amount", total=True),
            "satisfied": gated(satisfied, "satisfied"),
            "returned_30": gated(returned, "returned_30"),
            "returned_90": gated(returned, "returned_90"),
        }
    return out


def goodwill_quarter(*, now: dt.datetime | None = None):
    """The quarter whose goodwill is published: the one before the last closed quarter (its
    gestures' 30 and 90 days have all passed when the last one ended)."""
    return last_closed_quarter(now=now) - 1


def _shown(cell: dict | None, field: str = "value"):
    return None if cell is None or cell["suppressed"] else cell[field]


def allowance_report(scope: Scope, *, now: dt.datetime | None = None) -> dict:
    """Goodwill by kind against the customer's satisfaction and return afterwards, for the
    top unit of the member's scope, as published once (`GoodwillQuarterFigures`): the
    gestures of `goodwill_quarter`. Nothing moves until the next quarter ends: read live,
    one more survey answer, purchase or day moved a share by one customer."""
    quarter = goodwill_quarter(now=now)
    published = GoodwillQuarterFigures.objects.filter(
        organization=scope.organization, quarter=quarter.start_time.date()
    ).first()
    unit = scope.root_unit
    rows = []
    for kind, label in GoodwillSpend.Kind.choices:
        parts = (published.figures if published else {}).get(kind, {})
        cell = {
            name: next((c for c in parts.get(name, []) if unit and c["unit"] == unit.pk), None)
            for name in ("given", "satisfied", "returned_30", "returned_90")
        }

        amount = _shown(cell["given"])
        rows.append(
            {
                "kind": label,
                "customers": _shown(cell["given"], "people"),
                "amount": None if amount is None else Decimal(str(round(amount, 2))),
                "satisfied": _shown(cell["satisfied"]),
                "returned_30": _shown(cell["returned_30"]),
                "returned_90": _shown(cell["returned_90"]),
            }
        )
    return {"quarter": str(quarter), "published": published is not None, "rows": rows}


FIGURE_MONTHS = 6


def closed_months(*, now: dt.datetime | None = None, months: int = FIGURE_MONTHS) -> list:
    """The last `months` calendar months that have ended (UTC, as check-ins are bucketed),
    oldest first: the month in progress is never among them."""
    now = now or timezone.now()
    current = pd.Timestamp(now.astimezone(dt.UTC).date()).to_period("M")
    return [current - i for i in range(months, 0, -1)]


def _in_month(frame: pd.DataFrame, column: str, month) -> pd.DataFrame:
    if not len(frame):
        return frame
    periods = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None).dt.to_period("M")
    return frame[periods == month]


def month_figures(organization: Organization, month) -> dict:
    """One month's incidents (people affected, incidents) and mood (people who checked in,
    the mean of each person's own mean, so someone who checks in often weighs as one) by
    unit, gated over the organisation's whole unit tree. Only `services.figures_publish`
    calls it, once a month has closed."""
    start = month.start_time.date()
    end = (month + 1).start_time.date()
    incidents = pd.DataFrame(
        list(
            Incident.objects.filter(
                organization=organization,
                occurred_at__date__gte=start,
                occurred_at__date__lt=end,
                employee__isnull=False,
            ).values("unit__path", "employee_id", "occurred_at")
        ),
        columns=["unit__path", "employee_id", "occurred_at"],
    )
    inc = _in_month(incidents, "occurred_at", month)
    moods = pd.DataFrame(
        list(
            MoodCheckIn.objects.filter(
                organization=organization,
                created_at__date__gte=start - dt.timedelta(days=1),
                created_at__date__lt=end + dt.timedelta(days=1),
            ).values("unit__path", "employee_id", "created_at", "mood")
        ),
        columns=["unit__path", "employee_id", "created_at", "mood"],
    )
    mood = _in_month(moods, "created_at", month).sort_values("created_at")
    per_person = (
        mood.assign(mood=mood["mood"].astype(float))
        .groupby("employee_id")
        .agg(unit_path=("unit__path", "last"), mood=("mood", "mean"))
        .reset_index()
        .rename(columns={"employee_id": "person"})
        if len(mood)
        else pd.DataFrame(columns=["person", "unit_path", "mood"])
    )
    units = list(Unit.objects.filter(organization=organization).order_by("path"))
    min_n = organization.min_group_size
    incident_frame = pd.DataFrame(
        {"unit_path": inc["unit__path"], "person": inc["employee_id"], "incidents": 1.0}
    )
    return {
        "incidents": _published_rows(
            _gated_rows(units, min_n, incident_frame, "people", ["incidents"], total=True),
            "incidents",
        ),
        "mood": _published_rows(_gated_rows(units, min_n, per_person, "people", ["mood"]), "mood"),
    }


def _published_rows(rows: list[dict], value: str) -> list[dict]:
    return [
        {
            "unit": row["unit"].pk,
            "suppressed": row["suppressed"],
            "people": row["people"],
            "value": None if row[value] is None else float(row[value]),
        }
        for row in rows
    ]


def hr_by_unit_month(scope: Scope, *, months: int = FIGURE_MONTHS, now=None) -> dict:
    """Incidents (people affected) and mean mood (people who checked in) by unit and month, as
    published once each month closed (`CareMonthFigures`), for the units of the member's
    scope. The month in progress is never shown, and a published month never changes, so no
    two readings differ by one person's check-in. A month not published, or a unit created
    after it was, reads as withheld."""
    labels = closed_months(now=now, months=months)
    published = {
        pd.Timestamp(f.month).to_period("M"): f
        for f in CareMonthFigures.objects.filter(
            organization=scope.organization,
            month__in=[m.start_time.date() for m in labels],
        )
    }
    units = list(scope.units().order_by("path"))
    result = {"months": [str(m) for m in labels], "incidents": {}, "mood": {}}
    for month in labels:
        figures = published.get(month)
        for table, value in (("incidents", "incidents"), ("mood", "mood")):
            cells = {c["unit"]: c for c in (getattr(figures, table) if figures else [])}
            rows = []
            for unit in units:
                cell = cells.get(unit.pk)
                shown = cell is not None and not cell["suppressed"]
                rows.append(
                    {
                        "unit": unit,
                        "suppressed": not shown,
                        "people": cell["people"] if shown else None,
                        value: cell["value"] if shown else None,
                    }
                )
            result[table][str(month)] = rows
    return result


def units_by_id(organization: Organization) -> dict[int, Unit]:
    return {u.pk: u for u in Unit.objects.filter(organization=organization)}


SANCTION_KINDS = tuple(str(s) for s in SANCTIONS)


# --------------------------------------------------------------------------- the agent's screen


@dataclass(frozen=True)
class Contact:
    """A recent interaction as the frontline sees it, with the customer's standing."""

    interaction: object
    excluded_until: dt.date | None


def my_recent_interactions(scope: Scope, limit: int = 10) -> list[Contact]:
    """The member's own latest interactions (a manager with none: their units'), each with
    whether the customer is excluded today."""
    from servicechain.org.selectors import visible_interactions

    employee = predicates.employee_of(scope)
    rows = Interaction.objects.none()
    if employee is not None:
        rows = Interaction.objects.filter(employee=employee)
    if not rows.exists() and scope.role != Role.EMPLOYEE:
        rows = visible_interactions(scope)
    rows = list(rows.select_related("customer", "unit").order_by("-started_at")[:limit])
    excluded = excluded_customers([i.customer_id for i in rows])
    return [Contact(i, excluded.get(i.customer_id)) for i in rows]
