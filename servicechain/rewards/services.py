"""Writes for rewards: plans and versions, payout runs (preview → approve → lock), gaming-flag
reviews and the payroll export. Keyword-only, one transaction each, validated, audited."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from servicechain.notifications.services import notify
from servicechain.org.models import Employee, Organization, Unit
from servicechain.org.services import audit_record

from . import calc, selectors
from .events import STATEMENT_READY
from .models import (
    SURVEY_METRICS,
    Component,
    GamingFlag,
    Metric,
    PayoutLine,
    PayoutRun,
    Period,
    Plan,
    PlanVersion,
    ProfitSharePool,
    WithheldBalance,
    period_after,
    period_before,
    period_label,
    period_start,
)

METRIC_WORDS = {
    Metric.CSAT: "CSAT",
    Metric.NPS: "NPS",
    Metric.EFFORT: "ease score",
    Metric.REPEAT_RATE: "repeat-business rate",
    Metric.REPEAT_REVENUE: "revenue from repeat customers",
}
# Whose repeat business a component measures: the customers the employee owns (their
# book), the customers they served (the employee on each purchase), or the unit's.
REPEAT_GROUPING = {
    Component.Scope.EMPLOYEE: "owner",
    Component.Scope.SERVED: "employee",
    Component.Scope.UNIT: "unit",
}
WHOSE = {
    Component.Scope.EMPLOYEE: "your",
    Component.Scope.SERVED: "your served customers’",
    Component.Scope.UNIT: "your unit’s",
}
# Nobody is judged on a handful of answers: the share of top scores or the response rate of
# someone with fewer responses than this is noise, not a pattern.
FLAG_MIN_RESPONSES = 10
CORRECTION_LOOKBACK = 4  # locked periods re-checked for corrections by each new run


# ----------------------------------------------------------------------------- plans


@transaction.atomic
def plan_create(*, organization: Organization, name: str, period: str, actor) -> Plan:
    name = " ".join((name or "").split())
    if Plan.objects.filter(organization=organization, name=name).exists():
        raise ValidationError({"name": f"A plan called {name!r} already exists."})
    plan = Plan(organization=organization, name=name, period=period)
    plan.full_clean()
    plan.save()
    audit_record(action="rewards.plan_created", organization=organization, actor=actor, target=plan)
    return plan


def _decimal(value, field: str, *, allow_none: bool = False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        value = "0"
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"Write a number, not {value!r}."}) from None
    if not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise ValidationError({field: f"Write a number, not {value!r}."})
    if number < 0:
        raise ValidationError({field: f"Cannot be negative (got {number})."})
    return number


def _tiers(rows) -> list[dict]:
    if not isinstance(rows, list):
        raise ValidationError({"tiers": "Give tiers as a list of {threshold, amount}."})
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or "threshold" not in row or "amount" not in row:
            raise ValidationError({"tiers": f"Tier {i} needs a threshold and an amount."})
        threshold = _decimal(row["threshold"], f"tiers[{i}].threshold")
        amount = _decimal(row["amount"], f"tiers[{i}].amount")
        out.append({"threshold": str(threshold), "amount": str(calc.cents(amount))})
    return sorted(out, key=lambda r: Decimal(r["threshold"]))


def _component(version: PlanVersion, spec: dict, position: int) -> Component:
    where = f"component {position}"
    metric = spec.get("metric", "")
    if metric not in Metric.values:
        raise ValidationError(
            {
                "metric": f"{where}: unknown metric {metric!r}; use one of {', '.join(Metric.values)}."
            }
        )
    tiers = _tiers(spec.get("tiers") or [])
    rate = _decimal(spec.get("rate"), f"{where} rate", allow_none=True)
    if not tiers and rate is None:
        raise ValidationError({"rate": f"{where}: give tiers or a linear rate."})
    floor = _decimal(spec.get("floor"), f"{where} floor")
    cap = _decimal(spec.get("cap"), f"{where} cap", allow_none=True)
    if cap is not None and cap < floor:
        raise ValidationError({"cap": f"{where}: the cap ({cap}) is below the floor ({floor})."})
    scope = spec.get("scope") or Component.Scope.EMPLOYEE
    if metric == Metric.REPEAT_REVENUE and scope != Component.Scope.UNIT:
        raise ValidationError(
            {
                "scope": f"{where}: revenue from repeat customers is measured per unit; "
                "choose the unit scope."
            }
        )
    baseline = spec.get("baseline_months", 6)
    component = Component(
        version=version,
        name=" ".join(str(spec.get("name") or Metric(metric).label).split())[:120],
        metric=metric,
        scope=scope,
        min_responses=spec.get("min_responses", 10),
        baseline_months=None if baseline in (None, "", 0, "0") else baseline,
        tiers=tiers,
        rate=rate,
        threshold=_decimal(spec.get("threshold"), f"{where} threshold"),
        floor=floor,
        cap=cap,
        weight=_decimal(spec.get("weight", 1), f"{where} weight"),
    )
    component.full_clean(exclude=["version"])
    return component


def _pool(version: PlanVersion, spec: dict) -> ProfitSharePool:
    share = _decimal(spec.get("share"), "pool share")
    if share > 1:
        raise ValidationError({"share": "The pool's share is a fraction of revenue: 0 to 1."})
    weights = spec.get("role_weights") or {}
    if not isinstance(weights, dict) or any(k not in Employee.JobFamily.values for k in weights):
        raise ValidationError(
            {"role_weights": f"Weights by job family: {', '.join(Employee.JobFamily.values)}."}
        )
    pool = ProfitSharePool(
        version=version,
        basis=spec.get("basis", ""),
        share=share,
        fixed_amount=_decimal(spec.get("fixed_amount"), "pool fixed amount"),
        unit=spec.get("unit"),
        split=spec.get("split", ProfitSharePool.Split.EQUAL),
        role_weights={k: str(_decimal(v, f"role weight {k}")) for k, v in weights.items()},
    )
    pool.full_clean(exclude=["version"])
    return pool


def _effective_from(plan: Plan, requested: dt.date | None, today: dt.date) -> dt.date:
    """A change made mid-period applies from the next period; the first version may start
    at any period start (e.g. to run a past period)."""
    latest = plan.versions.order_by("-effective_from").first()
    upcoming = period_after(plan.period, period_start(plan.period, today))
    if requested is None:
        return upcoming if latest is not None else period_start(plan.period, today)
    if period_start(plan.period, requested) != requested:
        raise ValidationError(
            {"effective_from": f"A version starts on the first day of a {plan.period}."}
        )
    if latest is not None and requested <= latest.effective_from:
        raise ValidationError(
            {
                "effective_from": f"Version {latest.number} already covers the periods from "
                f"{latest.effective_from:%d %b %Y}; a new version cannot overlap it."
            }
        )
    if latest is not None and requested < upcoming:
        raise ValidationError(
            {
                "effective_from": "A change applies from the next period "
                f"({upcoming:%d %b %Y}) at the earliest, never to one under way or past."
            }
        )
    if PayoutRun.objects.filter(
        organization=plan.organization,
        period=plan.period,
        period_start__gte=requested,
        status=PayoutRun.Status.LOCKED,
    ).exists():
        raise ValidationError({"effective_from": "That period's payout run is already locked."})
    return requested


@transaction.atomic
def plan_version_create(
    *,
    plan: Plan,
    actor,
    components: list[dict],
    pool: dict | None = None,
    effective_from: dt.date | None = None,
    job_family: str = "",
    unit: Unit | None = None,
    unit_kind: str = "",
    min_tenure_days: int = 0,
    today: dt.date | None = None,
) -> PlanVersion:
    """A new version of the plan with its eligibility, components and optional pool."""
    today = today or timezone.localdate()
    if not components and not pool:
        raise ValidationError("A plan version needs at least one component or a pool.")
    if unit is not None and unit.organization_id != plan.organization_id:
        raise ValidationError({"unit": "That unit is not in this organisation."})
    latest = plan.versions.order_by("-number").first()
    version = PlanVersion(
        plan=plan,
        number=(latest.number + 1) if latest else 1,
        effective_from=_effective_from(plan, effective_from, today),
        job_family=job_family or "",
        unit=unit,
        unit_kind=unit_kind or "",
        min_tenure_days=min_tenure_days or 0,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version.full_clean()
    built = [_component(version, spec, i) for i, spec in enumerate(components, start=1)]
    pool_row = _pool(version, pool) if pool else None
    version.save()
    for component in built:
        component.version = version
        component.save()
    if pool_row is not None:
        pool_row.version = version
        pool_row.save()
    audit_record(
        action="rewards.plan_version_created",
        organization=plan.organization,
        actor=actor,
        target=version,
        detail={
            "plan": plan.name,
            "number": version.number,
            "effective_from": version.effective_from.isoformat(),
            "components": [c.name for c in built],
            "pool": bool(pool_row),
        },
    )
    return version


@transaction.atomic
def plan_build(
    *,
    organization: Organization,
    actor,
    name: str,
    period: str,
    components: list[dict],
    pool: dict | None = None,
    effective_from: dt.date | None = None,
    job_family: str = "",
    unit: Unit | None = None,
    unit_kind: str = "",
    min_tenure_days: int = 0,
    today: dt.date | None = None,
) -> PlanVersion:
    """A new plan and its first version, from the builder's form: all or nothing."""
    plan = plan_create(organization=organization, name=name, period=period, actor=actor)
    return plan_version_create(
        plan=plan,
        actor=actor,
        components=components,
        pool=pool,
        effective_from=effective_from,
        job_family=job_family,
        unit=unit,
        unit_kind=unit_kind,
        min_tenure_days=min_tenure_days,
        today=today,
    )


# ------------------------------------------------------------------------ computation


class _Data:
    """The period's measurements, read once per run and shared by every component: customer
    answers per window, and the loyalty app's repeat business per grouping over the widest
    window any component or pool needs (`earliest`)."""

    def __init__(
        self,
        organization: Organization,
        start: dt.date,
        end: dt.date,
        earliest: dt.date | None = None,
        *,
        period: str = Period.MONTH,
        versions: tuple = (),
    ):
        self.organization, self.start, self.end = organization, start, end
        self.earliest = min(earliest or start, start)
        self.period, self.versions = period, tuple(versions)
        self._cache: dict = {}

    def table(self, metric: str, scope: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        key = (metric, scope, start, end)
        if key not in self._cache:
            self._cache[key] = self._read(metric, scope, start, end)
        return self._cache[key]

    def _read(self, metric: str, scope: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        org = self.organization
        if metric in SURVEY_METRICS:
            answers = self.answers(start, end)
            # A survey answer is about the interaction served: "own" and "served" are one.
            by = "unit" if scope == Component.Scope.UNIT else "employee"
            table = calc.customer_metrics(answers.dropna(subset=[by]), by)
            table = table[[metric, f"{metric}_n"]]
            return selectors.gated(table, count=f"{metric}_n", min_n=org.min_group_size)
        # Figures about groups of customers pass the same gate as survey answers: a rate
        # about two customers says whether each of them came back.
        if metric == Metric.REPEAT_RATE:
            by = REPEAT_GROUPING[scope]
            table = calc.period_repeat_rates(self.repeat(by, start), start, end)
        else:
            table = selectors.repeat_revenue(org, start=start, end=end)
        return selectors.gated(table, count=f"{metric}_n", min_n=org.min_group_size)

    def repeat(self, by: str, start: dt.date) -> pd.DataFrame:
        key = ("repeat", by)
        if key not in self._cache or start < self._cache[key][0]:
            first = min(start, self.earliest)
            frame = selectors.repeat_business(self.organization, by=by, start=first, end=self.end)
            self._cache[key] = (first, frame)
        return self._cache[key][1]

    def answers(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        key = ("answers", start, end)
        if key not in self._cache:
            self._cache[key] = selectors.customer_answers(self.organization, start=start, end=end)
        return self._cache[key]

    def revenue(self, unit: Unit | None, start: dt.date, end: dt.date) -> Decimal:
        """Revenue of the customers owned in `unit`'s subtree (or the whole organisation)."""
        groups = selectors.unit_subtree_ids(unit) if unit is not None else None
        return calc.period_spend(self.repeat("unit", start), start, end, groups)


def _rule(component: Component, organization: Organization) -> calc.Rule:
    return calc.Rule(
        # One number decides both: never pay on fewer answers (or customers) than the
        # anonymity gate shows.
        min_responses=max(component.min_responses, organization.min_group_size),
        tiers=calc.tiers_from(component.tiers),
        rate=component.rate,
        threshold=component.threshold,
        floor=component.floor,
        cap=component.cap,
        weight=component.weight,
    )


def _measures(table: pd.DataFrame | None, metric: str) -> dict:
    """Group → (value or None, responses): one dictionary, so that 50,000 people are looked up
    without a pandas row access each. A row the anonymity gate withheld has no value."""
    if table is None or table.empty:
        return {}
    values = table[metric].astype(float)
    if "suppressed" in table:
        values = values.where(~table["suppressed"].astype(bool))
    counts = table[f"{metric}_n"].fillna(0).astype(int)
    return {
        key: (None if pd.isna(value) else float(value), int(n))
        for key, value, n in zip(table.index, values, counts, strict=True)
    }


def _baseline(component: Component, start: dt.date) -> tuple[dt.date, dt.date]:
    """The component's baseline window: its `baseline_months` whole months before `start`."""
    first = period_start("month", start)
    for _ in range(component.baseline_months or 0):
        first = period_before("month", first)
    return first, start - dt.timedelta(days=1)


def _component_lines(data: _Data, version: PlanVersion, component: Component, people, balances):
    org = data.organization
    rule = _rule(component, org)
    unit_scope = component.scope == Component.Scope.UNIT
    table = data.table(component.metric, component.scope, data.start, data.end)
    base = None
    if component.baseline_months:
        base = data.table(component.metric, component.scope, *_baseline(component, data.start))
    label = METRIC_WORDS[component.metric]
    now, then = _measures(table, component.metric), _measures(base, component.metric)
    lines = []
    for person in people:
        key = person.unit_id if unit_scope else person.pk
        value, n = now.get(key, (None, 0))
        before = then.get(key, (None, 0))[0]
        balance = balances.get((person.pk, version.plan_id, component.name), calc.ZERO)
        outcome = calc.component_outcome(
            rule,
            value=value,
            responses=n,
            baseline=before,
            uses_baseline=base is not None,
            balance=balance,
            label=f"{WHOSE[component.scope]} {label}",
            counted="response" if component.metric in SURVEY_METRICS else "customer",
        )
        lines.append(
            {
                "employee": person,
                "kind": PayoutLine.Kind.COMPONENT,
                "plan_version": version,
                "component": component,
                "label": f"{version.plan.name}: {component.name}",
                "metrics": {
                    "value": None if value is None else round(value, 2),
                    "responses": n,
                    "baseline": None if before is None else round(before, 2),
                    "min_responses": rule.min_responses,
                },
                "thresholds": list(outcome.crossed),
                "reason": outcome.reason,
                "amount": outcome.amount,
                "withheld": outcome.withheld,
                "released": outcome.released,
            }
        )
    return lines


def _pool_total(data: _Data, pool: ProfitSharePool, period: str) -> tuple[Decimal, str]:
    if pool.basis == ProfitSharePool.Basis.FIXED:
        return calc.cents(pool.fixed_amount), f"a fixed pool of {pool.fixed_amount}"
    now = data.revenue(pool.unit, data.start, data.end)
    whose = pool.unit.name if pool.unit else "the organisation"
    if pool.basis == ProfitSharePool.Basis.REVENUE:
        return calc.cents(now * pool.share), f"{pool.share:%} of {whose}'s revenue of {now}"
    earlier = period_before(period, data.start)
    then = data.revenue(pool.unit, earlier, data.start - dt.timedelta(days=1))
    growth = max(now - then, calc.ZERO)
    return (
        calc.cents(growth * pool.share),
        f"{pool.share:%} of {whose}'s revenue growth of {growth} ({then} → {now})",
    )


def _pool_lines(data: _Data, version: PlanVersion, pool: ProfitSharePool, people, period: str):
    total, source = _pool_total(data, pool, period)
    if not people:
        return []
    how = pool.split
    if how == ProfitSharePool.Split.HOURS:
        hours = selectors.hours_worked(data.organization, start=data.start, end=data.end)
        weights = [float(hours.get(p.pk, 0.0)) for p in people]
        if sum(weights) == 0:
            how = ProfitSharePool.Split.EQUAL
    if how == ProfitSharePool.Split.ROLE_WEIGHT:
        weights = [Decimal(pool.role_weights.get(p.job_family, "0")) for p in people]
    if how == ProfitSharePool.Split.EQUAL:
        weights = [1] * len(people)
    shares = calc.split_exact(total, weights)
    whole = sum(Decimal(str(w)) for w in weights) or Decimal(1)
    lines = []
    for person, weight, share in zip(people, weights, shares, strict=True):
        basis = {
            ProfitSharePool.Split.HOURS: f"{float(weight):.1f} hours worked",
            ProfitSharePool.Split.ROLE_WEIGHT: f"a {person.job_family} weight of {weight}",
            ProfitSharePool.Split.EQUAL: "an equal share",
        }[how]
        lines.append(
            {
                "employee": person,
                "kind": PayoutLine.Kind.POOL,
                "plan_version": version,
                "pool": pool,
                "label": f"{version.plan.name}: profit share",
                "metrics": {"pool": str(total), "weight": str(weight), "of": str(whole)},
                "thresholds": [],
                "reason": f"Your share of {total} ({source}), split by {basis} out of "
                f"{len(people)} eligible colleagues.",
                "amount": share,
                "withheld": calc.ZERO,
                "released": calc.ZERO,
            }
        )
    return lines


def _period_data(organization: Organization, period: str, start: dt.date) -> _Data:
    """The plan versions in force for the period and its measurements, with the repeat
    business read once from the earliest month any baseline or growth pool looks back to."""
    end = period_after(period, start) - dt.timedelta(days=1)
    versions = []
    for plan in Plan.objects.filter(organization=organization, period=period).order_by("pk"):
        version = selectors.version_at(plan, start)
        if version is not None:
            versions.append(version)
    earliest = start
    for version in versions:
        for component in version.components.all():
            if component.baseline_months:
                earliest = min(earliest, _baseline(component, start)[0])
        pool = ProfitSharePool.objects.filter(version=version).first()
        if pool is not None and pool.basis == ProfitSharePool.Basis.GROWTH:
            earliest = min(earliest, period_before(period, start))
    return _Data(organization, start, end, earliest, period=period, versions=versions)


def _plan_lines(data: _Data, balances) -> list[dict]:
    lines: list[dict] = []
    for version in data.versions:
        people = selectors.eligible_employees(version, start=data.start, end=data.end)
        for component in version.components.all():
            lines += _component_lines(data, version, component, people, balances)
        pool = ProfitSharePool.objects.filter(version=version).select_related("unit").first()
        if pool is not None:
            lines += _pool_lines(data, version, pool, people, data.period)
    return lines


def _line_key(line) -> tuple:
    if isinstance(line, dict):
        part = line.get("component") or line.get("pool")
        return (line["employee"].pk, type(part).__name__, part.pk)
    part = line.component or line.pool
    return (line.employee_id, type(part).__name__, part.pk)


def _corrections(run: PayoutRun) -> list[dict]:
    """Clawback or top-up lines for earlier locked periods whose data changed since lock
    (a refund, a late or withdrawn response): recomputed with the versions they used."""
    earlier = PayoutRun.objects.filter(
        organization=run.organization,
        period=run.period,
        status=PayoutRun.Status.LOCKED,
        period_start__lt=run.period_start,
    ).order_by("-period_start")[:CORRECTION_LOOKBACK]
    out = []
    for locked in earlier:
        recomputed = {
            _line_key(line): line
            for line in _plan_lines(
                _period_data(run.organization, locked.period, locked.period_start), {}
            )
        }
        originals = locked.lines.filter(
            kind__in=[PayoutLine.Kind.COMPONENT, PayoutLine.Kind.POOL]
        ).select_related("employee", "component", "pool")
        for original in originals:
            fresh = recomputed.get(_line_key(original))
            # Released balance was fixed at lock; what can change is what the data earned.
            corrected = (fresh["amount"] - fresh["released"]) if fresh else calc.ZERO
            corrected += original.released
            adjusted = sum(
                (
                    c.amount.amount
                    for c in original.corrections.filter(run__status=PayoutRun.Status.LOCKED)
                ),
                calc.ZERO,
            )
            delta = calc.correction(
                original=original.amount.amount, adjusted=adjusted, corrected=corrected
            )
            if delta == 0:
                continue
            kind = PayoutLine.Kind.CLAWBACK if delta < 0 else PayoutLine.Kind.TOP_UP
            out.append(
                {
                    "employee": original.employee,
                    "kind": kind,
                    "plan_version": original.plan_version,
                    "component": original.component,
                    "pool": original.pool,
                    "corrects": original,
                    "label": f"{'Clawback' if delta < 0 else 'Top-up'}: {original.label} "
                    f"({locked.label})",
                    "metrics": fresh["metrics"] if fresh else {},
                    "thresholds": fresh["thresholds"] if fresh else [],
                    "reason": f"{locked.label} paid {original.amount.amount}; with the data as "
                    f"corrected since it was locked it comes to {corrected}, so "
                    f"{abs(delta)} is {'taken back' if delta < 0 else 'added'}.",
                    "amount": delta,
                    "withheld": calc.ZERO,
                    "released": calc.ZERO,
                }
            )
    return out


def _spot_bonus_lines(run: PayoutRun) -> list[dict]:
    from servicechain.recognition import selectors as recognition

    taken = set(
        PayoutLine.objects.filter(spot_bonus__isnull=False)
        .exclude(run=run)
        .values_list("spot_bonus_id", flat=True)
    )
    return [
        {
            "employee": bonus.employee,
            "kind": PayoutLine.Kind.SPOT_BONUS,
            "spot_bonus": bonus,
            "label": "Spot bonus",
            "metrics": {},
            "thresholds": [],
            "reason": f"Nominated by {bonus.manager or 'your manager'} on "
            f"{bonus.created_at:%d %b %Y}: {bonus.reason[:200]}",
            "amount": bonus.amount.amount,
            "withheld": calc.ZERO,
            "released": calc.ZERO,
        }
        for bonus in recognition.spot_bonuses_awaiting_payout(run.organization)
        # a bonus nominated after the period arrives in the run of a later period
        if bonus.pk not in taken and timezone.localtime(bonus.created_at).date() <= run.period_end
    ]


def _gaming_flags(run: PayoutRun, data: _Data, paid: set[int]) -> list:
    """Flags for the people paid on customer ratings: a response rate or share of top scores
    far above their unit's (robust z), or comments saying they asked for a score."""
    start, end = data.start, data.end
    answers = data.answers(start, end)
    answers = answers[answers["employee"].isin(paid)]
    if answers.empty:
        return []
    served = selectors.interactions_served(run.organization, start=start, end=end)
    # Vectorised: a Python function per person is most of the guard's time at 50,000 people.
    per = (
        answers.assign(top5=answers["csat"] == 5)
        .groupby("employee")
        .agg(
            unit=("unit", "first"),
            responses=("csat", "size"),
            top5=("top5", "sum"),
            rated=("csat", "count"),
        )
    )
    per["top"] = per["top5"].astype(float) / per["rated"].clip(lower=1)
    per = per.drop(columns=["top5", "rated"])
    per["rate"] = per["responses"] / served.reindex(per.index).fillna(0.0).clip(lower=1.0)
    per = per[per["responses"] >= FLAG_MIN_RESPONSES]
    flags = []
    for kind, column, what in (
        (GamingFlag.Kind.RESPONSE_RATE, "rate", "response rate"),
        (GamingFlag.Kind.TOP_SCORES, "top", "share of top scores"),
    ):
        for employee, row in (
            calc.outliers_within(per.reset_index(), group="unit", value=column)
            .set_index("employee")
            .iterrows()
        ):
            flags.append(
                GamingFlag(
                    run=run,
                    employee_id=int(employee),
                    kind=kind,
                    score=round(float(row["z"]), 2),
                    detail=f"{what.capitalize()} {row[column]:.0%} against the unit's median "
                    f"{per[per['unit'] == row['unit']][column].median():.0%} "
                    f"(robust z {row['z']:.1f} > {calc.ROBUST_Z_LIMIT}).",
                )
            )
    asked = answers[answers["comment"].map(calc.mentions_score_request)]
    for employee, rows in asked.groupby("employee"):
        flags.append(
            GamingFlag(
                run=run,
                employee_id=int(employee),
                kind=GamingFlag.Kind.ASKED_FOR_SCORE,
                # Counted, never quoted: beside the name of who served them, one customer's
                # words could tell who wrote them (comments are shown for groups of min_n).
                detail=f"{len(rows)} customer comment{'s' if len(rows) != 1 else ''} this "
                f"period say{'s' if len(rows) == 1 else ''} they were asked for a score.",
            )
        )
    return flags


# ------------------------------------------------------------------------------ runs


LINE_REFERENCES = ("plan_version", "component", "pool", "spot_bonus", "corrects")
LINE_VALUES = ("kind", "label", "metrics", "thresholds", "reason", "amount", "withheld", "released")
JSON_VALUES = {"metrics", "thresholds"}


def _insert_lines(run: PayoutRun, specs: list[dict], currency: str) -> None:
    """Write the run's lines. On PostgreSQL through COPY: building and saving 100,000 model
    instances with bulk_create takes longer than computing them; the rows are the same."""
    if connection.vendor != "postgresql":
        PayoutLine.objects.bulk_create(
            (PayoutLine(run=run, amount_currency=currency, **spec) for spec in specs),
            batch_size=2000,
        )
        return
    columns = ["run_id", "employee_id", *(f"{name}_id" for name in LINE_REFERENCES)]
    columns += [*LINE_VALUES, "amount_currency"]
    table = PayoutLine._meta.db_table
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for spec in specs:
            references = (getattr(spec.get(name), "pk", None) for name in LINE_REFERENCES)
            values = (json.dumps(spec[n]) if n in JSON_VALUES else spec[n] for n in LINE_VALUES)
            copy.write_row((run.pk, spec["employee"].pk, *references, *values, str(currency)))


def _balances(organization: Organization) -> dict:
    return {
        (b.employee_id, b.plan_id, b.component_name): b.amount
        for b in WithheldBalance.objects.filter(plan__organization=organization)
    }


@transaction.atomic
def run_preview(
    *, organization: Organization, period: str, period_start_on: dt.date, actor
) -> PayoutRun:
    """Compute (or recompute) the run of a period as a preview. A locked run is returned
    unchanged — re-running a locked period is a no-op; an approved one must be locked."""
    if period not in Period.values:
        raise ValidationError({"period": f"Use one of {', '.join(Period.values)}."})
    if period_start(period, period_start_on) != period_start_on:
        raise ValidationError({"period_start": f"Give the first day of a {period}."})
    run, created = PayoutRun.objects.select_for_update().get_or_create(
        organization=organization,
        period=period,
        period_start=period_start_on,
        defaults={"created_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    if run.status == PayoutRun.Status.LOCKED:
        return run
    if run.status == PayoutRun.Status.APPROVED:
        raise ValidationError("This run is approved; lock it, or it stays as approved.")
    if not created and getattr(actor, "is_authenticated", False):
        # Whoever computed the figures last is the one who may not approve them: otherwise
        # the approver could recompute a colleague's preview and sign off their own numbers.
        run.created_by = actor
    reviewed = {(f.employee_id, f.kind): f for f in run.flags.filter(reviewed_at__isnull=False)}
    run.lines.all().delete()
    run.flags.all().delete()
    currency = organization.currency
    data = _period_data(organization, period, period_start_on)
    specs = _plan_lines(data, _balances(organization))
    specs += _corrections(run) + _spot_bonus_lines(run)
    _insert_lines(run, specs, currency)
    paid = {
        s["employee"].pk
        for s in specs
        if s.get("component") is not None and s["component"].metric in SURVEY_METRICS
    }
    flags = _gaming_flags(run, data, paid)
    for flag in flags:  # a flag HR already cleared stays cleared when nothing else changed
        before = reviewed.get((flag.employee_id, flag.kind))
        if before is not None:
            flag.reviewed_by_id, flag.reviewed_at = before.reviewed_by_id, before.reviewed_at
            flag.review_note = before.review_note
    GamingFlag.objects.bulk_create(flags)
    run.computed_at = timezone.now()
    run.save(update_fields=["computed_at", "created_by"])
    audit_record(
        action="rewards.run_previewed",
        organization=organization,
        actor=actor,
        target=run,
        detail={"period": run.label, "lines": len(specs), "flags": len(flags)},
    )
    return run


def _locked_run(run: PayoutRun) -> PayoutRun:
    return PayoutRun.objects.select_for_update().get(pk=run.pk)


@transaction.atomic
def run_approve(*, run: PayoutRun, actor) -> PayoutRun:
    run = _locked_run(run)
    if run.status != PayoutRun.Status.PREVIEW:
        raise ValidationError(f"Only a preview can be approved; this run is {run.status}.")
    if run.created_by_id is not None and run.created_by_id == getattr(actor, "pk", None):
        raise ValidationError(
            "You created or last recomputed this run; someone else must approve it."
        )
    waiting = selectors.open_flags(run).count()
    if waiting:
        raise ValidationError(
            f"{waiting} gaming flag{'s wait' if waiting != 1 else ' waits'} for HR's review "
            "before this run can be approved."
        )
    run.approve()
    run.approved_by = actor
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(
        action="rewards.run_approved", organization=run.organization, actor=actor, target=run
    )
    return run


@transaction.atomic
def run_lock(*, run: PayoutRun, actor) -> PayoutRun:
    """Lock an approved run: its lines become final, withheld balances move, spot bonuses are
    marked paid, and each employee is told their statement is ready."""
    from servicechain.recognition import services as recognition

    run = _locked_run(run)
    if run.status == PayoutRun.Status.LOCKED:
        return run
    if run.status != PayoutRun.Status.APPROVED:
        raise ValidationError("Only an approved run can be locked; approve it first.")
    run.lock()
    run.locked_by = actor
    run.locked_at = timezone.now()
    run.save(update_fields=["status", "locked_by", "locked_at"])
    for line in run.lines.filter(kind=PayoutLine.Kind.COMPONENT).select_related(
        "component", "plan_version"
    ):
        change = line.withheld - line.released
        if change:
            balance, _ = WithheldBalance.objects.select_for_update().get_or_create(
                employee_id=line.employee_id,
                plan_id=line.plan_version.plan_id,
                component_name=line.component.name,
            )
            balance.amount += change
            balance.save(update_fields=["amount", "updated_at"])
    for line in run.lines.filter(spot_bonus__isnull=False).select_related("spot_bonus"):
        recognition.spot_bonus_mark_paid(
            bonus=line.spot_bonus, payout_reference=run.reference, actor=actor
        )
    audit_record(
        action="rewards.run_locked",
        organization=run.organization,
        actor=actor,
        target=run,
        detail={"period": run.label, **_totals_detail(run)},
    )
    users = (
        Employee.objects.filter(payout_lines__run=run, user__isnull=False)
        .distinct()
        .values_list("user", flat=True)
    )
    from django.contrib.auth import get_user_model

    notify(
        recipients=get_user_model().objects.filter(pk__in=list(users)),
        event=STATEMENT_READY.key,
        title=f"Your pay statement for {run.label} is ready",
        body="Each line says what it pays for and why; the page compares it with last period.",
        url=reverse("rewards:statement", kwargs={"org": run.organization.slug}) + f"?run={run.pk}",
        organization=run.organization,
        actor=actor,
        key=f"run-{run.pk}",
    )
    return run


def _totals_detail(run: PayoutRun) -> dict:
    totals = selectors.run_totals(run)
    return {"lines": totals["lines"], "amount": str(totals["amount"])}


@transaction.atomic
def flag_review(*, flag: GamingFlag, actor, note: str = "") -> GamingFlag:
    """HR has looked at a flag (pay is unchanged either way); the note says what they found."""
    if flag.run.status != PayoutRun.Status.PREVIEW:
        raise ValidationError("Flags are reviewed while the run is a preview.")
    flag.reviewed_by = actor
    flag.reviewed_at = timezone.now()
    flag.review_note = " ".join((note or "").split())[:300]
    flag.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        action="rewards.flag_reviewed",
        organization=flag.run.organization,
        actor=actor,
        target=flag,
        detail={"employee": flag.employee_id, "kind": flag.kind, "note": flag.review_note},
    )
    return flag


@transaction.atomic
def run_export(*, run: PayoutRun, actor) -> list[list]:
    """The payroll CSV's rows (locked runs only); the export is audited."""
    run = PayoutRun.objects.get(pk=run.pk)
    if run.status != PayoutRun.Status.LOCKED:
        raise ValidationError("Only a locked run goes to payroll; approve and lock it first.")
    rows = selectors.export_rows(run)
    audit_record(
        action="rewards.run_exported",
        organization=run.organization,
        actor=actor,
        target=run,
        detail={"rows": len(rows)},
    )
    return rows


def label_of(period: str, start: dt.date) -> str:
    return period_label(period, start)
