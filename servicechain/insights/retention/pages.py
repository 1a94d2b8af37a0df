"""What each retention page shows, assembled once per request (the HTML, the CSV export
and the API read the same page object).

Pages: the overview (turnover, retention curves, what leavers said), what goes with
leaving (the driver table), flight risk by unit (with its back-test) and the cost
calculator. Role-scoped through `Audience`: managers see their subtree, HR and admins the
whole organisation. The models behind a page take a few seconds on a large organisation,
so a page's figures are cached for ten minutes under a fingerprint of the data they read
(people, published surveys, cost inputs): any change of those computes them afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone

from servicechain.analytics.linkage import INDIRECT, PATHS
from servicechain.charts import Chart
from servicechain.org.models import Employee, Unit
from servicechain.surveys import services as survey_services
from servicechain.surveys.models import WaveSnapshot

from .. import services as insights_services
from ..access import Audience
from ..models import AnalysisRun
from . import charts, costs, data, exits, forecast, survival, turnover

CACHE_SECONDS = 600
REDUCTION_DEFAULT = Decimal("10")


def _fingerprint(organization, today: dt.date) -> str:
    people = Employee.objects.filter(organization=organization).aggregate(
        n=Count("pk"),
        top=Max("pk"),
        left=Max("leave_date"),
        hired=Max("hire_date"),
        typed=Count("pk", filter=~Q(leave_type="")),
        regretted=Count("pk", filter=Q(regretted=True)),
    )
    snapshots = WaveSnapshot.objects.filter(organization=organization).aggregate(
        top=Max("pk"), at=Max("published_at"), n=Count("pk")
    )
    units = Unit.objects.filter(organization=organization).aggregate(n=Count("pk"), top=Max("pk"))
    return repr(
        (
            organization.pk,
            organization.min_group_size,
            today,
            sorted(people.items()),
            sorted(snapshots.items()),
            sorted(units.items()),
        )
    )


def _cached(organization, today, key: str, compute):
    digest = hashlib.sha256(f"{key}|{_fingerprint(organization, today)}".encode()).hexdigest()
    name = f"retention:{digest}"
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, CACHE_SECONDS)
    return value


@dataclass
class Context:
    """What every retention page starts from."""

    audience: Audience
    focus: Unit
    children: list[Unit]
    today: dt.date

    @property
    def organization(self):
        return self.audience.scope.organization

    @property
    def min_n(self) -> int:
        return self.organization.min_group_size

    @property
    def breadcrumb(self) -> list[Unit]:
        return self.audience.breadcrumb(self.focus)

    @cached_property
    def people(self):
        # Published once per closed month, never recomputed (RetentionPublication).
        return data.published_spells(self.organization, self.today)

    @cached_property
    def window(self):
        return data.window(self.people, self.today)

    @cached_property
    def tree(self):
        return data.unit_tree(self.organization)

    @cached_property
    def scores(self):
        return data.unit_scores(self.organization, self.tree)

    def scores_before(self, *, closed_before):
        return data.unit_scores(self.organization, self.tree, closed_before=closed_before)

    @property
    def rows(self) -> list[Unit]:
        return [self.focus, *self.children]


def context(audience: Audience, unit_id) -> Context:
    organization = audience.scope.organization
    # Leaver surveys and engagement scores are read from published results only.
    survey_services.results_publish_due(organization=organization)
    focus = audience.focus(unit_id)
    children = list(Unit.objects.filter(parent=focus).order_by("path"))
    today = timezone.localdate()
    insights_services.retention_publish_due(organization=organization, today=today)
    return Context(audience, focus, children, today)


# ----------------------------------------------------------------------------- overview


@dataclass
class RetentionPage:
    context: Context
    turnover: turnover.Turnover | None
    curves: survival.Curves | None
    exit: exits.ExitSummary
    by: str
    charts: dict[str, Chart] = field(default_factory=dict)

    @property
    def focus(self) -> Unit:
        return self.context.focus

    @property
    def base_query(self) -> str:
        return urlencode({"by": self.by})

    @property
    def groupings(self) -> dict[str, str]:
        return survival.GROUPINGS

    @property
    def turnover_types(self) -> dict[str, str]:
        return turnover.LEAVE_CATEGORIES

    def unit_records(self) -> list[dict]:
        return [r.record(self.context.min_n) for r in self.turnover.units] if self.turnover else []

    def tenure_records(self) -> list[dict]:
        return [r.record(self.context.min_n) for r in self.turnover.tenure] if self.turnover else []

    def family_records(self) -> list[dict]:
        rows = self.turnover.job_family if self.turnover else []
        return [r.record(self.context.min_n) for r in rows]

    def monthly_records(self) -> list[dict]:
        if self.turnover is None or self.turnover.monthly is None:
            return []
        return [
            {
                "month": row.month.strftime("%Y-%m"),
                "people_employed": round(row.people, 1),
                "leavers": int(row.leavers),
                "turnover_pct": None if row.rate_pct != row.rate_pct else round(row.rate_pct, 2),
            }
            for row in self.turnover.monthly.itertuples()
        ]

    def exit_records(self) -> list[dict]:
        return [r.record(self.context.min_n) for r in self.exit.reasons]

    def tables(self) -> dict:
        return {
            "turnover_by_unit": self.unit_records,
            "turnover_by_tenure": self.tenure_records,
            "turnover_by_job_family": self.family_records,
            "turnover_by_month": self.monthly_records,
            "retention_curves": lambda: self.curves.records() if self.curves else [],
            "exit_reasons": self.exit_records,
        }


def retention_page(audience: Audience, *, unit_id, by: str = "unit") -> RetentionPage:
    ctx = context(audience, unit_id)
    by = by if by in survival.GROUPINGS else "unit"

    def compute():
        window = ctx.window
        if window is None:
            return None, None
        figures = turnover.turnover(ctx.people, window, ctx.tree, ctx.focus, ctx.rows, ctx.min_n)
        observed = data.observed(ctx.people, window)
        curves = survival.retention_curves(
            observed, ctx.tree, ctx.scores, ctx.focus, ctx.children, ctx.min_n, by
        )
        return figures, curves

    figures, curves = _cached(ctx.organization, ctx.today, f"overview:{ctx.focus.pk}:{by}", compute)
    summary = _cached(
        ctx.organization,
        ctx.today,
        f"exit:{ctx.focus.pk}",
        lambda: exits.exit_summary(ctx.organization, ctx.tree, ctx.focus, ctx.min_n, ctx.scores),
    )
    page = RetentionPage(ctx, figures, curves, summary, by)
    _overview_charts(page)
    return page


def _overview_charts(page: RetentionPage) -> None:
    figures, focus = page.turnover, page.focus.name
    candidates = {}
    if figures is not None:
        if figures.monthly is not None:
            candidates["monthly"] = charts.monthly_chart(figures.monthly, focus)
        candidates["units"] = charts.rate_chart(
            page.unit_records(),
            id="turnover-units-chart",
            title=f"Turnover by unit, {focus}",
            label="Unit",
        )
    if page.curves is not None:
        candidates["curves"] = charts.curves_chart(page.curves, focus)
    candidates["reasons"] = charts.reasons_chart(page.exit_records(), focus)
    page.charts = {k: v for k, v in candidates.items() if v is not None}


# ----------------------------------------------------------------------------- drivers


@dataclass
class DriversPage:
    context: Context
    drivers: survival.LeavingDrivers | None
    chart: Chart | None = None

    def records(self) -> list[dict]:
        return [r.record() for r in self.drivers.rows] if self.drivers else []

    def tables(self) -> dict:
        return {"leaving_drivers": self.records}


def drivers_page(audience: Audience) -> DriversPage:
    """What goes with leaving, over the whole organisation (a model needs every unit)."""
    ctx = context(audience, None)

    def compute():
        if ctx.window is None:
            return None
        observed = data.observed(ctx.people, ctx.window)
        return survival.leaving_drivers(observed, ctx.scores, ctx.window)

    result = _cached(ctx.organization, ctx.today, "drivers", compute)
    page = DriversPage(ctx, result)
    page.chart = charts.drivers_chart(page.records()) if result and result.rows else None
    return page


# ----------------------------------------------------------------------------- flight risk


@dataclass
class FlightRiskPage:
    context: Context
    risk: forecast.FlightRisk | None
    back_test: forecast.BackTest | None
    chart: Chart | None = None

    @property
    def focus(self) -> Unit:
        return self.context.focus

    def risk_records(self) -> list[dict]:
        return [r.record(self.context.min_n) for r in self.risk.rows] if self.risk else []

    def back_test_records(self) -> list[dict]:
        rows = self.back_test.rows if self.back_test else []
        return [r.record(self.context.min_n) for r in rows]

    def tables(self) -> dict:
        return {"flight_risk": self.risk_records, "back_test": self.back_test_records}


def flight_risk_page(audience: Audience, *, unit_id) -> FlightRiskPage:
    ctx = context(audience, unit_id)

    def compute():
        if ctx.window is None:
            return None, None
        args = (ctx.people, ctx.window, ctx.tree)
        risk = forecast.flight_risk(*args, ctx.scores, ctx.focus, ctx.children, ctx.min_n)
        back = forecast.back_test(*args, ctx.scores_before, ctx.focus, ctx.children, ctx.min_n)
        return risk, back

    risk, back = _cached(ctx.organization, ctx.today, f"flight:{ctx.focus.pk}", compute)
    page = FlightRiskPage(ctx, risk, back)
    page.chart = charts.flight_chart(page.risk_records())
    return page


# ----------------------------------------------------------------------------- costs


@dataclass
class CostsPage:
    context: Context
    inputs: dict[str, costs.CostInputs]
    saved: dict[str, bool]
    reduction_pct: Decimal
    unit_costs: list[costs.UnitCost]
    link: forecast.EngagementLink | None
    chain: list[dict]
    editable: bool
    chart: Chart | None = None
    form: object = None  # the calculator's form, set by the view

    @property
    def focus(self) -> Unit:
        return self.context.focus

    @property
    def currency(self) -> str:
        return self.context.organization.currency

    @cached_property
    def replacement(self) -> dict:
        return {family: values.cost() for family, values in self.inputs.items()}

    @property
    def headline(self) -> costs.UnitCost:
        return self.unit_costs[0]

    @property
    def saving(self) -> Decimal | None:
        if not self.headline.shown:
            return None
        return costs.saving(self.headline.cost, self.reduction_pct)

    @property
    def voluntary_saving(self) -> Decimal | None:
        if not self.headline.shown:
            return None
        return costs.saving(self.headline.voluntary_cost, self.reduction_pct)

    @property
    def sources(self) -> dict[str, str]:
        return costs.SOURCES

    @property
    def lost_productivity_note(self) -> str:
        return costs.LOST_PRODUCTIVITY_NOTE

    @property
    def error_lines(self) -> list[tuple[str, str]]:
        """Each refused input: its label and what was wrong."""
        if self.form is None:
            return []
        return [
            (
                self.form.fields[name].label if name in self.form.fields else "Inputs",
                " ".join(errors),
            )
            for name, errors in self.form.errors.items()
        ]

    @property
    def chain_lines(self) -> list[str]:
        """The linkage report's own links, for the same rise in engagement."""
        points = self.link.points if self.link else 5
        lines = []
        for effect in self.chain:
            if effect["path"] == PATHS[0][0]:
                unit, digits = "points of customer satisfaction the month after", 1
            else:
                unit, digits = "percentage points of annualised revenue growth", 2
            value, lower, upper = (points * effect[k] for k in ("estimate", "lower", "upper"))
            lines.append(
                f"a {points}-point rise in a unit's engagement goes with {value:+.{digits}f} {unit} "
                f"(95% CI {lower:.{digits}f} to {upper:.{digits}f})."
            )
        return lines

    @property
    def labels(self) -> dict[str, str]:
        return costs.FIELD_LABELS

    def replacement_records(self) -> list[dict]:
        return [
            {
                "job_family": family,
                **{name: str(getattr(self.inputs[family], name)) for name in costs.INPUT_FIELDS},
                **{part: str(getattr(cost, part)) for part in vars(cost)},
                "total": str(cost.total),
                "set_by_organisation": self.saved[family],
            }
            for family, cost in self.replacement.items()
        ]

    def unit_records(self) -> list[dict]:
        return [u.record(self.context.min_n) for u in self.unit_costs]

    @cached_property
    def link_cost(self) -> tuple[float, float, float] | None:
        if self.link is None or self.link.withheld:
            return None
        return self.link.cost({f: c.total for f, c in self.replacement.items()})

    def link_records(self) -> list[dict]:
        if self.link is None:
            return []
        if self.link.withheld:
            return [
                {
                    "engagement_points": self.link.points,
                    "withheld": f"fewer than {self.context.min_n} people, or would reveal "
                    "such a group",
                }
            ]
        leavers, cost = self.link.leavers, self.link_cost
        return [
            {
                "engagement_points": self.link.points,
                "people": self.link.people,
                "leavers_change": round(leavers[0], 2),
                "leavers_lower": round(leavers[1], 2),
                "leavers_upper": round(leavers[2], 2),
                "cost_change": round(cost[0], 2),
                "cost_lower": round(cost[1], 2),
                "cost_upper": round(cost[2], 2),
            }
        ]

    def tables(self) -> dict:
        return {
            "replacement_costs": self.replacement_records,
            "cost_by_unit": self.unit_records,
            "engagement_link": self.link_records,
        }


def linkage_chain(organization) -> list[dict]:
    """The chain's own links, from the latest finished linkage report (EX → CX → revenue)."""
    run = (
        AnalysisRun.objects.filter(
            organization=organization, kind=AnalysisRun.Kind.LINKAGE, status=AnalysisRun.Status.DONE
        )
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return []
    wanted = (PATHS[0][0], INDIRECT)
    return [e for e in run.result.get("effects", []) if e.get("path") in wanted]


def costs_page(
    audience: Audience,
    *,
    unit_id,
    reduction_pct: Decimal | None = None,
    changes: dict | None = None,
) -> CostsPage:
    """The calculator, with the organisation's inputs (or their defaults), optionally with
    `changes` (a what-if not yet saved)."""
    ctx = context(audience, unit_id)
    stored = costs.cost_inputs(ctx.organization)
    inputs = costs.with_changes({f: v for f, (v, _) in stored.items()}, changes or {})
    replacement = {family: values.cost() for family, values in inputs.items()}

    def compute_rows():
        if ctx.window is None:
            return [costs.UnitCost(ctx.focus, False)]
        year = turnover.year_people(ctx.people, ctx.window)
        return costs.unit_costs(year, ctx.tree, ctx.rows, replacement, ctx.min_n)

    def compute_link():
        if ctx.window is None:
            return None
        model = forecast.fit_model(ctx.people, ctx.window, ctx.scores)
        return forecast.engagement_link(
            model, ctx.people, ctx.window, ctx.scores, ctx.tree, ctx.focus, ctx.min_n
        )

    per_family = sorted((f, str(c.total)) for f, c in replacement.items())
    unit_rows = _cached(
        ctx.organization, ctx.today, f"costs:{ctx.focus.pk}:{per_family!r}", compute_rows
    )
    link = _cached(ctx.organization, ctx.today, f"link:{ctx.focus.pk}", compute_link)
    page = CostsPage(
        context=ctx,
        inputs=inputs,
        saved={f: saved for f, (_, saved) in stored.items()},
        reduction_pct=REDUCTION_DEFAULT if reduction_pct is None else reduction_pct,
        unit_costs=unit_rows,
        link=link,
        chain=linkage_chain(ctx.organization),
        editable=audience.scope.sees_whole_organisation,
    )
    page.chart = charts.cost_chart(page.unit_records(), page.currency)
    return page
