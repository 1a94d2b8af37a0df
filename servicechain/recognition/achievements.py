"""Achievement rule kinds: what a rule counts, over data the system already has.

A rule (`models.AchievementRule`, admin-editable data) names a kind and a threshold; the kind
says how to find the evidence. Kinds are registered here, so another app adds its own
without touching recognition — the loyalty app, once it exists, registers "a customer came
back three times" from its `AppConfig.ready()`:

    from servicechain.recognition.achievements import Candidate, register_rule_kind

    register_rule_kind(
        "loyalty_returns",
        label="Loyal customer",
        describe=lambda t: f"a customer you own came back {t} times",
        find=returning_customers,        # (organization, threshold, today) -> [Candidate]
        explain=returning_evidence,      # (organization, threshold, [Candidate]) -> {key: items}
        default_threshold=3,
    )

`find` returns every piece of evidence that meets the threshold, as `Candidate`s whose
`key` names the evidence (the same evidence always gives the same key, so a run never
awards the same badge twice for it); `explain` describes only the new ones (what a person
reads on the award's page). Both only read. `services.achievements_evaluate` does the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import Count, Max
from django.db.models.functions import ExtractMonth, ExtractYear, TruncMonth
from django.urls import reverse
from django.utils import timezone

from servicechain.org.models import Employee, Organization
from servicechain.surveys.models import CustomerResponse

from .access import active_q
from .models import Goal

SHOWN_EVIDENCE = 20  # items listed on an award's page


@dataclass(frozen=True)
class Candidate:
    """Evidence that one person meets a rule: `key` identifies the evidence."""

    employee_id: int
    key: str
    occurred_at: dt.datetime
    url: str = ""
    context: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class RuleKind:
    key: str
    label: str
    describe: Callable[[int], str]
    find: Callable[[Organization, int, dt.date], Iterable[Candidate]]
    explain: Callable[[Organization, int, list[Candidate]], dict[tuple[int, str], list[dict]]]
    default_threshold: int


KINDS: dict[str, RuleKind] = {}


def register_rule_kind(
    key: str,
    *,
    label: str,
    describe: Callable[[int], str],
    find: Callable[[Organization, int, dt.date], Iterable[Candidate]],
    explain: Callable[[Organization, int, list[Candidate]], dict[tuple[int, str], list[dict]]],
    default_threshold: int,
) -> RuleKind:
    """Add a rule kind (idempotent for the same key); rules may then name it."""
    kind = RuleKind(key, label, describe, find, explain, default_threshold)
    KINDS.setdefault(key, kind)
    return KINDS[key]


def describe_rule(rule) -> str:
    kind = KINDS.get(rule.kind)
    return kind.describe(rule.threshold) if kind else f"unknown kind {rule.kind!r}"


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _contact(interaction_channel: str, when: dt.datetime, zone=None) -> str:
    channel = {"in_person": "In-person", "email": "E-mail"}.get(
        interaction_channel, interaction_channel.capitalize()
    )
    local = when.astimezone(zone or timezone.get_current_timezone())
    return f"{channel} contact on {local:%-d %b %Y}"


def _customer_responses(organization: Organization):
    return CustomerResponse.objects.filter(
        wave__organization=organization, interaction__employee__isnull=False
    )


# --------------------------------------------------------------------- five-star month


def five_star_months(organization, threshold, today):
    rows = (
        _customer_responses(organization)
        .filter(answers__csat=5)
        .annotate(month=TruncMonth("submitted_at"))
        .values("interaction__employee_id", "month")
        .annotate(n=Count("id"), last=Max("submitted_at"))
        .filter(n__gte=threshold)
        .order_by()
    )
    return [
        Candidate(
            employee_id=row["interaction__employee_id"],
            key=f"csat5:{row['month']:%Y-%m}",
            occurred_at=row["last"],
            context={"month": row["month"]},
        )
        for row in rows
    ]


def five_star_evidence(organization, threshold, candidates):
    if not candidates:
        return {}
    zone = timezone.get_current_timezone()
    wanted = {(c.employee_id, c.key) for c in candidates}
    responses = (
        _customer_responses(organization)
        .filter(answers__csat=5, interaction__employee_id__in={c.employee_id for c in candidates})
        .filter(submitted_at__gte=min(c.context["month"] for c in candidates))
        .annotate(year=ExtractYear("submitted_at"), month=ExtractMonth("submitted_at"))
        .values_list(
            "interaction__employee_id", "year", "month", "submitted_at", "interaction__channel"
        )
        .order_by("submitted_at")
    )
    out: dict[tuple[int, str], list[dict]] = {}
    for employee_id, year, month, when, channel in responses.iterator(chunk_size=5000):
        key = (employee_id, f"csat5:{year:04d}-{month:02d}")
        if key not in wanted or len(out.setdefault(key, [])) >= SHOWN_EVIDENCE:
            continue
        out[key].append(
            {
                "label": "Rated 5 of 5",
                "when": when.isoformat(),
                "detail": _contact(channel, when, zone),
            }
        )
    return out


# --------------------------------------------------------------------- customer recovered


def _in_batches(queryset, field: str, ids: list, size: int = 5000):
    """Rows of `queryset` whose `field` is one of `ids`, a batch of ids at a time (an IN
    list beats a correlated subquery here, and SQLite caps the parameters of a query)."""
    for start in range(0, len(ids), size):
        yield from queryset.filter(**{f"{field}__in": ids[start : start + size]})


def _recoveries(organization) -> pd.DataFrame:
    """Each customer's first contact rated 4-5 after their first complaint (rated 1-2),
    with the employee who served it (one recovery per customer), ranked per employee by
    time (`rank` 0 is their first)."""
    responses = _customer_responses(organization)
    columns = ["customer", "complained_at", "complaint_channel"]
    complaints = pd.DataFrame(
        list(
            responses.filter(answers__csat__lte=2)
            .values_list("interaction__customer_id", "submitted_at", "interaction__channel")
            .order_by()
        ),
        columns=columns,
    )
    complaints = complaints.sort_values("complained_at").drop_duplicates("customer")
    good = pd.DataFrame(
        list(
            _in_batches(
                responses.filter(answers__csat__gte=4)
                .values_list(
                    "interaction__customer_id",
                    "interaction__employee_id",
                    "submitted_at",
                    "interaction__channel",
                )
                .order_by(),
                "interaction__customer_id",
                complaints["customer"].tolist(),
            )
        ),
        columns=["customer", "employee", "at", "channel"],
    )
    merged = good.merge(complaints, on="customer")
    merged = merged[merged["at"] > merged["complained_at"]]
    merged = merged.sort_values("at").drop_duplicates("customer", keep="first")
    merged = merged.sort_values(["employee", "at"])
    merged["rank"] = merged.groupby("employee").cumcount()
    return merged


def recovered_customers(organization, threshold, today):
    recoveries = _recoveries(organization)
    nth = recoveries[recoveries["rank"] == threshold - 1]
    return [
        Candidate(
            employee_id=int(employee_id),
            key=f"recovered:{threshold}",
            occurred_at=at.to_pydatetime(),
            context={"recoveries": recoveries},  # the same frame for all: explained on demand
        )
        for employee_id, at in zip(nth["employee"], nth["at"], strict=True)
    ]


def recovered_evidence(organization, threshold, candidates):
    if not candidates:
        return {}
    zone = timezone.get_current_timezone()
    recoveries = candidates[0].context["recoveries"]
    shown = recoveries[
        recoveries["employee"].isin({c.employee_id for c in candidates})
        & (recoveries["rank"] < min(threshold, SHOWN_EVIDENCE))
    ]
    out: dict[tuple[int, str], list[dict]] = {}
    for row in shown.itertuples():
        complained, at = row.complained_at.to_pydatetime(), row.at.to_pydatetime()
        out.setdefault((int(row.employee), f"recovered:{threshold}"), []).extend(
            [
                {
                    "label": "Complaint (rated 1-2 of 5)",
                    "when": complained.isoformat(),
                    "detail": _contact(row.complaint_channel, complained, zone),
                },
                {
                    "label": "Same customer, rated 4-5 of 5",
                    "when": at.isoformat(),
                    "detail": _contact(row.channel, at, zone),
                },
            ]
        )
    return out


# --------------------------------------------------------------------- tenure


def _anniversary(hired: dt.date, years: int) -> dt.date:
    try:
        return hired.replace(year=hired.year + years)
    except ValueError:  # 29 February
        return hired.replace(year=hired.year + years, day=28)


def tenure_milestones(organization, threshold, today):
    try:
        cutoff = _anniversary(today, -threshold)
    except ValueError:
        return []
    people = Employee.objects.filter(active_q(today), organization=organization).filter(
        hire_date__lte=cutoff
    )
    return [
        Candidate(
            employee_id=pk,
            key=f"tenure:{threshold}y",
            occurred_at=_aware(_anniversary(hired, threshold)),
            context={"hired": hired},
        )
        for pk, hired in people.values_list("pk", "hire_date").iterator()
    ]


def tenure_evidence(organization, threshold, candidates):
    return {
        (c.employee_id, c.key): [
            {
                "label": "Joined",
                "when": c.context["hired"].isoformat(),
                "detail": f"{threshold} year{'s' if threshold != 1 else ''} of service on "
                f"{c.occurred_at:%-d %b %Y}",
            }
        ]
        for c in candidates
    }


# --------------------------------------------------------------------- goal met


def goals_met(organization, threshold, today):
    goals = Goal.objects.filter(
        organization=organization, status=Goal.Status.ARCHIVED, final_score__gte=threshold
    ).select_related("team")
    out = []
    for goal in goals:
        url = reverse("recognition:goal", args=[organization.slug, goal.pk])
        when = goal.archived_at or goal.created_at
        if goal.employee_id:
            people = [goal.employee_id]
        else:  # a team goal credits every member of the team, not whoever set it
            people = Employee.objects.filter(active_q(when.date()), unit=goal.team).values_list(
                "pk", flat=True
            )
        context = {"goal": goal}
        out.extend(
            Candidate(
                employee_id=pk, key=f"goal:{goal.pk}", occurred_at=when, url=url, context=context
            )
            for pk in people
        )
    return out


def goal_evidence(organization, threshold, candidates):
    out = {}
    for c in candidates:
        goal = c.context["goal"]
        whose = f"team goal of {goal.team.name}" if goal.team_id else "personal goal"
        out[(c.employee_id, c.key)] = [
            {
                "label": f"{goal.title} ({goal.quarter_label}, {whose})",
                "when": c.occurred_at.isoformat(),
                "detail": f"Closed at {goal.final_score} % of its key results",
            }
        ]
    return out


FIVE_STAR_MONTH = register_rule_kind(
    "csat_five_star_month",
    label="Five-star month",
    describe=lambda t: f"{t} five-star customer ratings (5 of 5) in one calendar month",
    find=five_star_months,
    explain=five_star_evidence,
    default_threshold=10,
)
CUSTOMER_RECOVERED = register_rule_kind(
    "customer_recovered",
    label="Customer recovered",
    describe=lambda t: (
        "the first customer who complained (rated 1-2 of 5) and rated a later contact 4-5"
        if t == 1
        else f"{t} customers who complained (rated 1-2 of 5) and rated a later contact 4-5"
    ),
    find=recovered_customers,
    explain=recovered_evidence,
    default_threshold=1,
)
TENURE = register_rule_kind(
    "tenure_years",
    label="Years of service",
    describe=lambda t: f"{t} year{'s' if t != 1 else ''} with the organisation",
    find=tenure_milestones,
    explain=tenure_evidence,
    default_threshold=1,
)
GOAL_MET = register_rule_kind(
    "goal_met",
    label="Goal met",
    describe=lambda t: f"a quarterly goal closed at {t} % or more of its key results",
    find=goals_met,
    explain=goal_evidence,
    default_threshold=100,
)

__all__ = ["KINDS", "Candidate", "RuleKind", "describe_rule", "register_rule_kind"]
