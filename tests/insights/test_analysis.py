"""Driver impact and linkage: gated inputs, the library's estimates, background runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone
from django.utils.html import escape

from servicechain.analytics.drivers import KeyDriverAnalysis
from servicechain.insights import analysis, selectors, services
from servicechain.insights.access import Audience
from servicechain.insights.models import AnalysisRun
from servicechain.insights.pages import driver_impact_page, linkage_page
from servicechain.org.access import scope_for
from servicechain.org.models import Customer, Transaction, Unit
from servicechain.surveys import results as pipeline
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import Wave

pytestmark = pytest.mark.django_db


def hr(world) -> Audience:
    return Audience(scope_for(world.users["hr_analyst"], world.slug))


def test_driver_impact_of_the_organisation_is_the_libraries_lmg_on_the_waves_scores(demo_world):
    page = driver_impact_page(hr(demo_world), wave_id=None, unit_id=None)
    run = page.start(actor=demo_world.users["hr_analyst"])
    assert run.status == AnalysisRun.Status.DONE and run.progress == 100
    employee = run.result["employee"]
    table = pipeline.employee_table(page.wave)
    drivers = [d for d in load_bank().drivers("employee") if d in table.values.columns]
    expected = KeyDriverAnalysis().fit(table.values[drivers], table.values["engagement"])
    importance = {d["code"]: d["importance"] for d in employee["drivers"]}
    for code in drivers:
        assert importance[code] == pytest.approx(100 * expected.importance_[code])
    assert employee["r2"] == pytest.approx(expected.r2_)
    assert employee["adjusted_r2"] == pytest.approx(expected.adjusted_r2_)
    assert employee["r2_pvalue"] == pytest.approx(expected.r2_pvalue_)
    assert employee["resampled"] == "units"  # respondents nested in many units
    assert all(d["lower"] <= d["importance"] <= d["upper"] for d in employee["drivers"])
    assert run.result["customer"]["drivers"], "the customer half runs on the customer wave"


def test_driver_impact_is_withheld_for_a_unit_the_gate_hides(demo_world):
    audience = hr(demo_world)
    page = driver_impact_page(audience, wave_id=None, unit_id=None)
    small = next(
        unit
        for unit in Unit.objects.filter(organization=demo_world.organization)
        if selectors.respondents_of(selectors.wave_results(page.wave), unit) == 0
    )
    run = driver_impact_page(audience, wave_id=page.wave.pk, unit_id=small.pk).start(actor=None)
    assert "withheld" in run.result["employee"]
    assert "drivers" not in run.result["employee"]


def test_a_large_analysis_runs_in_the_background_and_reports_progress(
    demo_world, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_ANALYSIS_ROWS", 0)
    page = driver_impact_page(hr(demo_world), wave_id=None, unit_id=None)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = page.start(actor=demo_world.users["hr_analyst"])
    assert run.status == AnalysisRun.Status.QUEUED and len(queued) == 1
    seen = []
    monkeypatch.setattr(
        services,
        "analysis_progress",
        lambda *, run, progress, message: seen.append(progress),
    )
    queued[0]()  # the ImmediateBackend runs the task when the request's transaction commits
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.DONE
    assert seen == sorted(seen) and len(seen) >= 3


def test_the_progress_partial_polls_while_running_and_stops_when_done(demo_world, client):
    run = AnalysisRun.objects.create(
        organization=demo_world.organization,
        kind=AnalysisRun.Kind.LINKAGE,
        fingerprint="x",
        status=AnalysisRun.Status.RUNNING,
        progress=40,
        message="Fitting the service-profit chain",
    )
    client.force_login(demo_world.users["hr_analyst"])
    url = f"/o/{demo_world.slug}/insights/runs/{run.pk}/"
    running = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in running and 'value="40"' in running
    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.DONE, progress=100)
    assert "hx-trigger" not in client.get(url).content.decode()


def test_the_home_card_links_each_finished_analysis_to_its_result_page(demo_world, client):
    """Not to the bare progress fragment, which is no page of its own ("Done. Show the result"
    reloading itself, without the site's header)."""
    wave = Wave.objects.filter(organization=demo_world.organization).first()
    unit = demo_world.manager_unit
    common = {"organization": demo_world.organization, "status": AnalysisRun.Status.DONE}
    common |= {"progress": 100, "finished_at": timezone.now()}
    AnalysisRun.objects.create(
        kind=AnalysisRun.Kind.DRIVER_IMPACT, wave=wave, unit=unit, fingerprint="d", **common
    )
    AnalysisRun.objects.create(kind=AnalysisRun.Kind.LINKAGE, fingerprint="l", **common)
    client.force_login(demo_world.users["hr_analyst"])

    home = client.get(f"/o/{demo_world.slug}/").content.decode()
    card = home[home.index('data-card="finished_analyses"') :].split("</section>")[0]

    drivers = f"/o/{demo_world.slug}/insights/drivers/?wave={wave.pk}&unit={unit.pk}"
    linkage = f"/o/{demo_world.slug}/insights/linkage/"
    assert f'href="{escape(drivers)}"' in card and f'href="{linkage}"' in card
    assert "/insights/runs/" not in card
    for url in (drivers, linkage):
        page = client.get(url)
        assert page.status_code == 200 and '<nav aria-label="Main">' in page.content.decode()


def test_the_same_inputs_reuse_a_finished_run(demo_world):
    page = driver_impact_page(hr(demo_world), wave_id=None, unit_id=None)
    first = page.start(actor=None)
    assert page.start(actor=None).pk == first.pk


# ----------------------------------------------------------------------------- linkage


@pytest.fixture
def panel(demo_world):
    return analysis.linkage_panel(demo_world.organization)


def test_revenue_is_the_sum_of_the_units_customers_purchases_in_the_month(demo_world, panel):
    row = panel.dropna(subset=["revenue"]).iloc[len(panel) // 2]
    year, month = divmod(int(row["period"]), 12)
    customers = Customer.objects.filter(owner__unit_id=row["unit"])
    purchases = Transaction.objects.filter(
        customer__in=customers, occurred_at__year=year, occurred_at__month=month + 1
    )
    assert row["revenue"] == pytest.approx(float(sum(t.amount for t in purchases)))


def test_repeat_rate_is_the_share_of_last_months_buyers_who_buy_again(demo_world, panel):
    row = panel.dropna(subset=["repeat_rate"]).iloc[len(panel) // 3]
    customers = Customer.objects.filter(owner__unit_id=row["unit"])

    def buyers(period: int) -> set[int]:
        year, month = divmod(period, 12)
        return set(
            Transaction.objects.filter(
                customer__in=customers, occurred_at__year=year, occurred_at__month=month + 1
            ).values_list("customer_id", flat=True)
        )

    before, now = buyers(int(row["period"]) - 1), buyers(int(row["period"]))
    assert row["repeat_rate"] == pytest.approx(len(before & now) / len(before))


def test_revenue_growth_is_the_annualised_month_on_month_change(panel):
    unit = panel.dropna(subset=["revenue_growth"]).iloc[0]["unit"]
    rows = panel[panel["unit"] == unit].set_index("period")
    for period, row in rows.dropna(subset=["revenue_growth"]).iterrows():
        ratio = row["revenue"] / rows.loc[period - 1, "revenue"]
        assert row["revenue_growth"] == pytest.approx(100 * (ratio**12 - 1))


def test_the_panel_uses_only_gated_engagement_and_customer_cells(demo_world, panel):
    min_n = demo_world.organization.min_group_size
    assert (panel["cx_n"].dropna() >= min_n).all()
    ex = panel.dropna(subset=["ex"])
    assert len(ex) > 0
    for row in ex.head(10).itertuples():
        cell = next(
            c
            for w in selectors.employee_waves(demo_world.organization)
            if analysis.month_index(w.opens_at.strftime("%Y-%m")) == row.period
            for c in [
                selectors.cells(selectors.wave_results(w).snapshot, [row.unit]).get(
                    (row.unit, "engagement")
                )
            ]
        )
        assert not cell.suppressed and cell.value == pytest.approx(row.ex)


def test_the_linkage_report_fits_the_chain_and_reads_it_in_plain_words(demo_world, client):
    page = linkage_page(scope_for(demo_world.users["hr_analyst"], demo_world.slug))
    run = page.start(actor=demo_world.users["hr_analyst"])
    assert run.status == AnalysisRun.Status.DONE, run.error
    effects = pd.DataFrame(run.result["effects"])
    assert list(effects["path"]) == [
        "ex→cx",
        "cx→repeat_rate",
        "repeat_rate→revenue_growth",
        "ex→revenue_growth (indirect)",
    ]
    assert np.isfinite(effects[["estimate", "lower", "upper"]].to_numpy()).all()
    reading = " ".join(run.result["reading"])
    assert "A 5-point rise in a unit's engagement index goes with" in reading
    assert "95% CI" in reading
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(f"/o/{demo_world.slug}/insights/linkage/").content.decode()
    assert 'id="linkage-chart"' in html and 'id="effects"' in html


def test_the_customer_dashboard_ranks_service_drivers_once_driver_impact_has_run(demo_world):
    from servicechain.insights.pages import customers_page
    from servicechain.surveys.models import Wave

    audience = hr(demo_world)
    run = driver_impact_page(audience, wave_id=None, unit_id=None).start(actor=None)
    customer_wave = Wave.objects.get(
        organization=demo_world.organization, name=run.result["customer_wave"]
    )
    page = customers_page(audience, wave_id=customer_wave.pk, unit_id=None)
    ranked = {code: d["rank"] for code, d in page["importance"].items()}
    assert ranked == {d["code"]: d["rank"] for d in run.result["customer"]["drivers"]}


def test_the_panel_carries_the_standard_error_of_every_sampled_measure(demo_world, panel):
    from servicechain.analytics.linkage import survey_mean_se
    from servicechain.org.models import Employee
    from servicechain.surveys.models import UnitScore
    from servicechain.surveys.selectors import psychometrics_report

    # CX: the month cell's standard error as published
    row = panel.dropna(subset=["cx"]).iloc[len(panel) // 4]
    cells = UnitScore.objects.filter(
        unit_id=row["unit"], dimension="month", category=row["month"], scale="csat_index"
    )
    assert row["cx_se"] == pytest.approx(cells.order_by("-n").first().se)
    # repeat rate: binomial, over last month's buyers
    row = panel.dropna(subset=["repeat_rate"]).iloc[len(panel) // 3]
    year, month = divmod(int(row["period"]) - 1, 12)
    before = (
        Transaction.objects.filter(
            customer__owner__unit_id=row["unit"],
            occurred_at__year=year,
            occurred_at__month=month + 1,
        )
        .values("customer_id")
        .distinct()
        .count()
    )
    rate = row["repeat_rate"]
    assert row["repeat_rate_se"] == pytest.approx(np.sqrt(rate * (1 - rate) / (before - 1)))
    # EX: the cell's standard error with the unit's headcount and the scale's alpha
    row = panel.dropna(subset=["ex"]).iloc[0]
    wave = next(
        w
        for w in selectors.employee_waves(demo_world.organization)
        if analysis.month_index(w.opens_at.strftime("%Y-%m")) == row["period"]
    )
    cell = selectors.cells(selectors.wave_results(wave).snapshot, [row["unit"]])[
        (row["unit"], "engagement")
    ]
    day = wave.opens_at.date()
    unit = Unit.objects.get(pk=row["unit"])
    headcount = sum(
        1
        for e in Employee.objects.filter(unit__path__startswith=unit.path)
        if e.hire_date <= day and (e.leave_date is None or e.leave_date >= day)
    )
    alpha = next(
        s["alpha"] for s in psychometrics_report(wave)["scales"] if s["scale"] == "engagement"
    )
    expected = survey_mean_se(cell.se, cell.n, headcount, alpha)
    assert row["ex_se"] == pytest.approx(float(expected), rel=1e-2)  # the report rounds alpha
    assert 0 < row["ex_se"] < cell.se


def test_the_linkage_page_says_how_much_data_would_tell_a_link_from_no_link(demo_world, client):
    page = linkage_page(scope_for(demo_world.users["hr_analyst"], demo_world.slug))
    run = page.start(actor=demo_world.users["hr_analyst"])
    open_links = [
        e["path"]
        for e in run.result["effects"]
        if e["lower"] <= 0 <= e["upper"] and e["path"] != analysis.INDIRECT
    ]
    assert open_links, "the small demo cannot pin every link down"
    statements = {s["path"]: s for s in run.result["power"]}
    assert set(statements) == set(open_links)
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(f"/o/{demo_world.slug}/insights/linkage/").content.decode()
    assert 'id="power"' in html
    for path in open_links:
        statement = statements[path]
        assert statement["now"] == run.result["n_obs"][path]
        assert f"{statement['needed']:,} linked unit-months" in statement["text"]
        assert "a planning figure, not a promise" in statement["text"]
        assert statement["text"] in html.replace("&#x27;", "'")


def test_driver_impact_says_plainly_when_drivers_cannot_be_told_apart(demo_world, client):
    audience = hr(demo_world)
    page = driver_impact_page(audience, wave_id=None, unit_id=None)
    results = selectors.wave_results(page.wave)
    drivers = len(results.snapshot.scales) - 2  # every scale but engagement and eNPS
    unit = next(
        u
        for u in Unit.objects.filter(organization=demo_world.organization).order_by("depth")
        if analysis.needed_responses(drivers)
        <= selectors.respondents_of(results, u)
        < analysis.RESPONSES_PER_DRIVER * drivers
    )
    run = driver_impact_page(audience, wave_id=page.wave.pk, unit_id=unit.pk).start(actor=None)
    employee = run.result["employee"]
    assert employee["distinguishable"] is False
    assert employee["silence"].startswith(
        "There are not yet enough responses to tell drivers apart"
    )
    client.force_login(demo_world.users["hr_analyst"])
    url = f"/o/{demo_world.slug}/insights/drivers/?wave={page.wave.pk}&unit={unit.pk}"
    html = client.get(url).content.decode()
    employee_part = html.split("What goes with customer satisfaction")[0]
    assert "not yet enough responses to tell drivers apart" in employee_part
    assert 'id="quadrant-employee"' not in html
    assert "Importance (% of variance)" not in employee_part
    assert 'id="employee_drivers-table"' in employee_part  # the scores, without importances
    assert "What goes with engagement" in html and "What drives" not in html
    response = client.get(url + "&format=csv&table=employee_drivers")
    assert response.status_code == 200
    assert "importance" not in response.content.decode()  # nothing to export


def test_a_distinguishable_analysis_explains_what_importance_is(demo_world, client):
    page = driver_impact_page(hr(demo_world), wave_id=None, unit_id=None)
    run = page.start(actor=None)
    assert run.result["employee"]["distinguishable"] is True
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(f"/o/{demo_world.slug}/insights/drivers/").content.decode()
    assert 'id="employee_drivers-table"' in html
    assert "not the effect that changing the driver would have" in html
    assert "resamples of whole units" in html
