"""Reads for rewards: plans and versions, who is eligible, the metrics a component pays on
(through the selectors and models of the apps that own the data), runs, lines, statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.db.models import Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.http import Http404

from servicechain.analytics import anonymity
from servicechain.org.models import Employee, Organization, Unit

from . import calc
from .models import (
    GamingFlag,
    PayoutLine,
    PayoutRun,
    Plan,
    PlanVersion,
    period_before,
)

COMMENT_ITEM = "CX_COMMENT"  # the customer instrument's free-text item


# ---------------------------------------------------------------------------- plans


def plans(organization: Organization) -> QuerySet[Plan]:
    return Plan.objects.filter(organization=organization).prefetch_related("versions")


def plan_of(organization: Organization, plan_id) -> Plan:
    try:
        return Plan.objects.get(organization=organization, pk=int(plan_id))
    except (Plan.DoesNotExist, TypeError, ValueError):
        raise Http404("No such plan.") from None


def version_at(plan: Plan, day: dt.date) -> PlanVersion | None:
    """The version in force on `day`: the latest that starts on or before it."""
    return (
        plan.versions.filter(effective_from__lte=day)
        .select_related("unit", "plan")
        .order_by("-effective_from")
        .first()
    )


def eligible_employees(version: PlanVersion, *, start: dt.date, end: dt.date) -> list[Employee]:
    """Employees on the books for the whole period, of the version's job family, unit
    subtree and unit kind, with at least its minimum tenure on the period's last day."""
    rows = Employee.objects.filter(
        organization_id=version.plan.organization_id, hire_date__lte=end
    ).filter(Q(leave_date__isnull=True) | Q(leave_date__gte=end))
    if version.job_family:
        rows = rows.filter(job_family=version.job_family)
    if version.unit_id:
        rows = rows.filter(unit__path__startswith=version.unit.path)
    if version.unit_kind:
        rows = rows.filter(unit__kind=version.unit_kind)
    if version.min_tenure_days:
        rows = rows.filter(hire_date__lte=end - dt.timedelta(days=version.min_tenure_days))
    return list(rows.select_related("unit", "user").order_by("pk"))


# -------------------------------------------------------------------------- metrics


def customer_answers(organization: Organization, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Customer-survey answers about interactions served from `start` to `end` (inclusive):
    one row per response with the serving `employee`, the serving `unit`, `csat`, `nps`,
    `effort` and the free-text `comment`. Customer surveys are linked (not confidential), so
    they may be attributed to whoever served; aggregates still pass the anonymity gate."""
    from servicechain.surveys.models import CustomerResponse

    rows = CustomerResponse.objects.filter(
        wave__organization=organization,
        interaction__started_at__date__gte=start,
        interaction__started_at__date__lte=end,
    ).values_list(
        # Only the four answers, as text, extracted by the database: decoding every answer
        # dictionary in Python is most of the cost at a million responses.
        "interaction__employee_id",
        "unit_id",
        KT("answers__csat"),
        KT("answers__nps"),
        KT("answers__effort"),
        KT(f"answers__{COMMENT_ITEM}"),
    )
    frame = pd.DataFrame(
        list(rows.iterator(chunk_size=20000)),
        columns=["employee", "unit", "csat", "nps", "effort", "comment"],
    )
    for column in ("csat", "nps", "effort"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["comment"] = frame["comment"].fillna("").astype(str)
    return frame


def gated(table: pd.DataFrame, *, count: str, min_n: int) -> pd.DataFrame:
    """A per-person or per-unit survey table through the anonymity gate (never fewer than the
    organisation's minimum group size of customers behind a figure)."""
    if table.empty:
        return table.assign(suppressed=pd.Series(dtype=bool))
    return anonymity.suppress(table, min_n=min_n, count=count)


def interactions_served(organization: Organization, *, start: dt.date, end: dt.date) -> pd.Series:
    """Interactions served per employee in the period (the denominator of a response rate)."""
    from django.db.models import Count

    from servicechain.org.models import Interaction

    rows = (
        Interaction.objects.filter(
            organization=organization,
            employee__isnull=False,
            started_at__date__gte=start,
            started_at__date__lte=end,
        )
        .values_list("employee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return pd.Series(dict(rows), dtype=float)


def repeat_business(
    organization: Organization, *, by: str, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """The loyalty app's repeat business per owner (employee) or owning unit and month, from
    the month before `start` (so `start`'s own month has a rate) to `end`. Read once per run
    over the widest window its components need; `calc.period_repeat_rates` and
    `calc.period_spend` slice it."""
    from servicechain.loyalty import selectors as loyalty

    before = period_before("month", dt.date(start.year, start.month, 1))
    return loyalty.repeat_business(organization, by=by, start=before, end=end)


def repeat_revenue(organization: Organization, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per owning unit: spend in the period by customers who had bought in an earlier month
    (`repeat_revenue`), and how many such customers (`repeat_revenue_n`)."""
    from servicechain.loyalty import selectors as loyalty

    frame = loyalty.customer_month_spend(organization)
    if frame.empty:
        return pd.DataFrame(columns=["repeat_revenue", "repeat_revenue_n"])
    first_seen = frame.groupby("customer")["period"].transform("min")
    lo, hi = calc.month_index(start), calc.month_index(end)
    inside = frame[
        (frame["period"] >= lo) & (frame["period"] <= hi) & (frame["period"] > first_seen)
    ]
    return inside.groupby("unit").agg(
        repeat_revenue=("amount", "sum"), repeat_revenue_n=("customer", "nunique")
    )


def unit_subtree_ids(unit: Unit) -> set[int]:
    return set(
        Unit.objects.filter(
            organization_id=unit.organization_id, path__startswith=unit.path
        ).values_list("pk", flat=True)
    )


def hours_worked(organization: Organization, *, start: dt.date, end: dt.date) -> pd.Series:
    """Hours on published contact-centre shifts per employee in the period."""
    from servicechain.contactcentre.models import Schedule, Shift

    rows = Shift.objects.filter(
        schedule__team__centre__organization=organization,
        schedule__status=Schedule.Status.PUBLISHED,
        schedule__day__gte=start,
        schedule__day__lte=end,
    ).values_list(
        "agent__employee_id", "start_interval", "end_interval", "schedule__team__interval_minutes"
    )
    hours: dict[int, float] = {}
    for employee, first, last, minutes in rows.iterator(chunk_size=5000):
        hours[employee] = hours.get(employee, 0.0) + (last - first) * minutes / 60
    return pd.Series(hours, dtype=float)


# ---------------------------------------------------------------------- runs, lines


def runs(organization: Organization) -> QuerySet[PayoutRun]:
    return PayoutRun.objects.filter(organization=organization).select_related(
        "created_by", "approved_by", "locked_by"
    )


def run_of(organization: Organization, run_id) -> PayoutRun:
    try:
        return runs(organization).get(pk=int(run_id))
    except (PayoutRun.DoesNotExist, TypeError, ValueError):
        raise Http404("No such payout run.") from None


def run_lines(run: PayoutRun) -> QuerySet[PayoutLine]:
    return run.lines.select_related(
        "employee__unit", "plan_version__plan", "component", "corrects__run"
    )


def _cents(total) -> Decimal:
    """A database sum as money: SQLite adds decimals as floats (0.320000000000000), so
    every total is brought back to the cent before anyone reads it."""
    return calc.cents(total or 0)


def run_totals(run: PayoutRun) -> dict:
    lines = run.lines.all()
    sums = lines.aggregate(amount=Sum("amount"), withheld=Sum("withheld"))
    return {
        "lines": lines.count(),
        "employees": lines.values("employee").distinct().count(),
        "amount": _cents(sums["amount"]),
        "withheld": _cents(sums["withheld"]),
    }


def open_flags(run: PayoutRun) -> QuerySet[GamingFlag]:
    return run.flags.filter(reviewed_at__isnull=True)


def run_flags(run: PayoutRun) -> QuerySet[GamingFlag]:
    return run.flags.select_related("employee__unit", "reviewed_by")


def flag_of(run: PayoutRun, flag_id) -> GamingFlag:
    try:
        return run.flags.get(pk=int(flag_id))
    except (GamingFlag.DoesNotExist, TypeError, ValueError):
        raise Http404("No such flag.") from None


def export_rows(run: PayoutRun) -> list[list]:
    """The payroll file: locked runs only, one row per line that moves money (employee id,
    period, component, amount, currency); lines of zero stay on the statements."""
    if run.status != PayoutRun.Status.LOCKED:
        return []
    return [
        [
            line.employee.external_id,
            run.label,
            line.label,
            f"{line.amount.amount:.2f}",
            str(line.amount.currency),
        ]
        for line in run.lines.exclude(amount=0)
        .select_related("employee")
        .order_by("employee__external_id", "pk")
    ]


# ------------------------------------------------------------------------ statements


def has_locked_lines(employee: Employee) -> bool:
    return PayoutLine.objects.filter(
        employee=employee, run__status=PayoutRun.Status.LOCKED
    ).exists()


def locked_runs_of(employee: Employee) -> list[PayoutRun]:
    return list(
        PayoutRun.objects.filter(
            lines__employee=employee, status=PayoutRun.Status.LOCKED
        ).distinct()
    )


def statement(employee: Employee, run: PayoutRun | None = None) -> dict | None:
    """An employee's lines in a locked run (their latest by default), and what changed since
    their previous one: per line label, this period, last period and the difference, with
    both reasons — the answer to "why did my payout change"."""
    runs_ = locked_runs_of(employee)
    if not runs_:
        return None
    run = run if run is not None else runs_[0]
    earlier = [r for r in runs_ if r.period_start < run.period_start and r.period == run.period]
    previous = earlier[0] if earlier else None
    lines = list(run_lines(run).filter(employee=employee))
    before = list(run_lines(previous).filter(employee=employee)) if previous else []
    return {
        "employee": employee,
        "run": run,
        "previous": previous,
        "runs": runs_,
        "lines": lines,
        "total": sum((line.amount.amount for line in lines), Decimal("0.00")),
        "previous_total": sum((line.amount.amount for line in before), Decimal("0.00")),
        "changes": _changes(lines, before),
    }


def _changes(lines: list[PayoutLine], before: list[PayoutLine]) -> list[dict]:
    now = {line.label: line for line in lines}
    then = {line.label: line for line in before}
    out = []
    for label in list(now) + [k for k in then if k not in now]:
        a, b = now.get(label), then.get(label)
        amount = a.amount.amount if a else Decimal("0.00")
        earlier = b.amount.amount if b else Decimal("0.00")
        out.append(
            {
                "label": label,
                "now": amount,
                "before": earlier,
                "difference": amount - earlier,
                "why_now": a.reason if a else "No such line this period.",
                "why_before": b.reason if b else "No such line last period.",
            }
        )
    return out


def team_statements(scope, run: PayoutRun) -> list[dict]:
    """Per employee the member may see (own subtree; HR and admins: all), their total."""
    lines = run.lines.filter(employee__organization=scope.organization)
    if not scope.sees_whole_organisation:
        lines = lines.filter(scope.unit_filter("employee__unit"))
    rows = (
        lines.values(
            "employee_id",
            "employee__external_id",
            "employee__first_name",
            "employee__last_name",
        )
        .annotate(total=Sum("amount"))
        .order_by("employee__last_name", "employee__first_name", "employee_id")
    )
    return [{**row, "total": _cents(row["total"])} for row in rows]
