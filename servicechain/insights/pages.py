"""What each insights page shows, assembled from the selectors (one call per view).

A page object holds the gated data, its charts and its exportable tables, so the HTML, the
CSV export and the tests all read the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Max
from django.http import Http404
from django.urls import reverse

from servicechain.charts import Chart
from servicechain.org.models import Transaction, Unit
from servicechain.surveys import services as survey_services
from servicechain.surveys.models import Wave
from servicechain.surveys.results import DIMENSIONS

from . import analysis, charts, selectors, services
from .access import Audience
from .comments import CommentsPage, comments_explorer
from .models import AnalysisRun


def _publish_due(organization) -> None:
    """Publish the results of every wave that has closed and is not published yet, so the
    default wave and every page read the same published cells."""
    survey_services.results_publish_due(organization=organization)


def _change_record(change) -> dict:
    if change is None:
        return {"change": None, "change_lower": None, "change_upper": None}
    return {
        "change": round(change.value, 1),
        "change_lower": round(change.lower, 1),
        "change_upper": round(change.upper, 1),
    }


# ----------------------------------------------------------------------------- engagement


@dataclass
class EngagementPage:
    audience: Audience
    waves: list[Wave]
    results: selectors.Results
    previous: selectors.Results | None
    focus: Unit
    breadcrumb: list[Unit]
    heatmap: selectors.Heatmap
    summary: dict
    plan_effects: list[dict]
    dimension: str
    category: str
    categories: dict[str, list[str]]
    heatmap_chart: Chart | None = None
    driver_chart: Chart | None = None

    @property
    def wave(self) -> Wave:
        return self.results.wave

    @property
    def dimensions(self) -> dict[str, str]:
        return DIMENSIONS

    @property
    def base_query(self) -> str:
        """The page's query string without the unit (for breadcrumb links)."""
        query = {"wave": self.wave.pk}
        if self.dimension:
            query["filter"] = f"{self.dimension}:{self.category}"
        return urlencode(query)

    def driver_records(self) -> list[dict]:
        return [
            {
                "unit": self.focus.name,
                "driver": d["name"],
                **selectors.cell_record(d["cell"], "score", self.heatmap.min_n),
                **_change_record(d["change"]),
            }
            for d in self.summary["drivers"]
        ]

    @cached_property
    def plan_drivers(self) -> list[str]:
        """Drivers offered a "Create action plan" (see `selectors.plan_candidates`)."""
        return selectors.plan_candidates(self.audience, self.results, self.focus)

    def plan_effect_records(self) -> list[dict]:
        return [
            {
                "driver": e["name"],
                "units_with_plan": e["with_plan"].n,
                "change_with_plan": round(e["with_plan"].value, 2),
                "units_without_plan": e["without_plan"].n if e["without_plan"] else 0,
                "change_without_plan": round(e["without_plan"].value, 2)
                if e["without_plan"]
                else None,
            }
            for e in self.plan_effects
        ]


def engagement_page(audience: Audience, *, wave_id, unit_id, filter: str = "") -> EngagementPage:
    """The engagement dashboard; `filter` is "" (everyone) or "<dimension>:<category>"."""
    dimension, _, category = (filter or "").partition(":")
    organization = audience.scope.organization
    _publish_due(organization)
    waves = selectors.employee_waves(organization)
    focus = audience.focus(unit_id)
    wave = selectors.wave_of(organization, wave_id, focus)
    results = selectors.wave_results(wave)
    before = selectors.previous_wave(wave)
    previous = selectors.wave_results(before) if before else None
    if dimension not in DIMENSIONS:
        dimension, category = "", ""
    heatmap = selectors.heatmap(audience, results, focus, dimension=dimension, category=category)
    summary = selectors.focus_summary(results, previous, focus)
    page = EngagementPage(
        audience=audience,
        waves=waves,
        results=results,
        previous=previous,
        focus=focus,
        breadcrumb=audience.breadcrumb(focus),
        heatmap=heatmap,
        summary=summary,
        plan_effects=selectors.plan_effects(audience, results, previous),
        dimension=dimension,
        category=category,
        categories=results.snapshot.categories if results.ready else {},
    )
    if results.ready and heatmap.rows:
        page.heatmap_chart = charts.heatmap_chart(heatmap)
        page.driver_chart = charts.driver_scores_chart(
            summary, title=f"Driver scores of {focus.name}, {wave.name}"
        )
    return page


# ----------------------------------------------------------------------------- driver impact


@dataclass
class DriverImpactPage:
    audience: Audience
    waves: list[Wave]
    wave: Wave
    focus: Unit
    breadcrumb: list[Unit]
    fingerprint: str
    work_rows: int
    run: AnalysisRun | None
    charts: dict[str, Chart] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return urlencode({"wave": self.wave.pk, "unit": self.focus.pk})

    @property
    def base_query(self) -> str:
        return urlencode({"wave": self.wave.pk})

    def _shown(self, name: str) -> list[dict]:
        """A part's drivers, when they can be told apart (empty otherwise)."""
        part = self.result.get(name) or {}
        return part.get("drivers", []) if part.get("distinguishable") else []

    @property
    def quadrants(self) -> dict[str, dict[str, str]]:
        """Per part, driver code -> quadrant label (none where drivers cannot be told apart)."""
        return {name: charts.quadrants_of(self._shown(name)) for name in ("employee", "customer")}

    @cached_property
    def plan_drivers(self) -> list[str]:
        """Drivers offered a "Create action plan" (see `selectors.plan_candidates`)."""
        results = selectors.wave_results(self.wave)
        return selectors.plan_candidates(self.audience, results, self.focus)

    @property
    def plan_link(self) -> str:
        if not self.audience.can_plan_for(self.focus):
            return ""
        url = reverse("insights:plan-create", args=[self.audience.scope.organization.slug])
        return f"{url}?{urlencode({'unit': self.focus.pk, 'wave': self.wave.pk})}"

    @property
    def result(self) -> dict:
        return self.run.result if self.run and self.run.status == AnalysisRun.Status.DONE else {}

    def start(self, *, actor) -> AnalysisRun:
        return services.analysis_request(
            organization=self.wave.organization,
            kind=AnalysisRun.Kind.DRIVER_IMPACT,
            fingerprint=self.fingerprint,
            wave=self.wave,
            unit=self.focus,
            work_rows=self.work_rows,
            actor=actor,
        )

    def tables(self) -> dict:
        def section(name):
            part = self.result.get(name) or {}
            return lambda: [
                {
                    "outcome": part.get("outcome_name"),
                    "driver": d["name"],
                    "importance_pct": round(d["importance"], 2),
                    "lower": round(d["lower"], 2) if d["lower"] is not None else None,
                    "upper": round(d["upper"], 2) if d["upper"] is not None else None,
                    "share_of_r2_pct": round(d["share_of_r2"], 1),
                    "score": round(d["score"], 1) if d["score"] is not None else None,
                    "rank": d["rank"],
                }
                for d in self._shown(name)
            ]

        return {"employee_drivers": section("employee"), "customer_drivers": section("customer")}


def driver_impact_page(audience: Audience, *, wave_id, unit_id) -> DriverImpactPage:
    """Driver impact of a unit in a wave (by default the same wave as every page opens on)."""
    organization = audience.scope.organization
    _publish_due(organization)
    focus = audience.focus(unit_id)
    wave = selectors.wave_of(organization, wave_id, focus)
    results = selectors.wave_results(wave)
    customer_wave = analysis.customer_wave_for(wave)
    customer = selectors.wave_results(customer_wave) if customer_wave else None
    parts = {
        "wave": wave.pk,
        "snapshot": getattr(results.snapshot, "pk", None),
        "customer_snapshot": getattr(getattr(customer, "snapshot", None), "pk", None),
        "unit": focus.pk,
        "replicates": services.bootstrap_replicates(),
    }
    employee_n = selectors.respondents_of(results, focus)
    customer_n = selectors.respondents_of(customer, focus) if customer else 0
    fingerprint = services.fingerprint(parts)
    page = DriverImpactPage(
        audience=audience,
        waves=selectors.employee_waves(organization),
        wave=wave,
        focus=focus,
        breadcrumb=audience.breadcrumb(focus),
        fingerprint=fingerprint,
        work_rows=employee_n + customer_n,
        run=selectors.latest_run(
            organization, AnalysisRun.Kind.DRIVER_IMPACT, fingerprint, wave=wave, unit=focus
        ),
    )
    for name, title in (("employee", "engagement"), ("customer", "customer satisfaction")):
        shown = page._shown(name)
        if shown and any(d["score"] is not None for d in shown):
            page.charts[name] = charts.quadrant_chart(
                page.result[name],
                id=f"quadrant-{name}",
                title=f"What goes with {title} in {focus.name}",
            )
    return page


# ----------------------------------------------------------------------------- linkage


@dataclass
class LinkagePage:
    scope: object
    fingerprint: str
    work_rows: int
    run: AnalysisRun | None
    chart: Chart | None = None

    @property
    def result(self) -> dict:
        return self.run.result if self.run and self.run.status == AnalysisRun.Status.DONE else {}

    def start(self, *, actor) -> AnalysisRun:
        return services.analysis_request(
            organization=self.scope.organization,
            kind=AnalysisRun.Kind.LINKAGE,
            fingerprint=self.fingerprint,
            work_rows=self.work_rows,
            actor=actor,
        )

    def tables(self) -> dict:
        return {
            "effects": lambda: self.result.get("effects", []),
            "panel": lambda: self.result.get("panel", []),
        }


def linkage_page(scope) -> LinkagePage:
    organization = scope.organization
    _publish_due(organization)
    snapshots = []
    for wave in Wave.objects.filter(organization=organization, status=Wave.Status.CLOSED):
        snapshot = selectors.wave_results(wave).snapshot
        snapshots.append(getattr(snapshot, "pk", None))
    purchases = Transaction.objects.filter(organization=organization).aggregate(
        latest=Max("occurred_at"), ids=Max("pk")
    )
    rows = Transaction.objects.filter(organization=organization).count()
    fingerprint = services.fingerprint(
        {
            "snapshots": sorted(s for s in snapshots if s),
            "purchases": [rows, purchases["ids"], purchases["latest"]],
            "replicates": services.bootstrap_replicates(),
            # The model itself: a run fitted before a change of model is stale.
            "model": "unit and period fixed effects; measurement error corrected; "
            "expanded percentile bootstrap",
        }
    )
    page = LinkagePage(
        scope=scope,
        fingerprint=fingerprint,
        # About ten purchases weigh like one survey response: below ~50,000 purchases the
        # whole linkage runs in a second or two, inline.
        work_rows=rows // 10,
        run=selectors.latest_run(organization, AnalysisRun.Kind.LINKAGE, fingerprint),
    )
    if page.result.get("pairs") is not None:
        page.chart = charts.linkage_chart(page.result["pairs"], page.result.get("fit"))
    return page


# ----------------------------------------------------------------------------- customers, comments


def customers_page(audience: Audience, *, wave_id, unit_id) -> dict:
    organization = audience.scope.organization
    _publish_due(organization)
    focus = audience.focus(unit_id)
    wave = selectors.customer_wave_of(organization, wave_id, focus)
    page = selectors.customer_dashboard(audience, wave, focus)
    page |= {
        "focus": focus,
        "audience": audience,
        "crumbs": audience.breadcrumb(focus),
        "base_query": urlencode({"wave": wave.pk}),
        "charts": charts.customer_charts(page, focus) if page["results"].ready else {},
    }
    return page


COMMENT_SOURCES = ("employee", "customer")


def comments_page(
    audience: Audience, *, source: str, wave_id, unit_id, theme: str, query: str, sentiment: str
) -> CommentsPage:
    if source not in COMMENT_SOURCES:
        raise Http404("No such comment source.")
    organization = audience.scope.organization
    _publish_due(organization)
    customer = source == "customer"
    focus = audience.focus(unit_id)
    wave = (selectors.customer_wave_of if customer else selectors.wave_of)(
        organization, wave_id, focus
    )
    return comments_explorer(
        audience, wave, focus, theme=theme or "", query=query or "", sentiment=sentiment or ""
    )
