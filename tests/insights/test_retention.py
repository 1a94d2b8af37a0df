"""Retention pages and API on the seeded demo: who may see what, the figures against
independent computations from the employee records, the anonymity gate on every figure
about people, the cost calculator's round trip, and no per-person risk anywhere."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.apps import apps
from lifelines import CoxPHFitter
from scipy import stats

from servicechain.analytics import anonymity
from servicechain.analytics.attrition import retention_curve
from servicechain.insights.access import Audience
from servicechain.insights.models import TurnoverCost
from servicechain.insights.retention import data, pages, survival
from servicechain.org.access import scope_for
from servicechain.org.models import AuditEvent, Employee, Unit
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit, member

pytestmark = pytest.mark.django_db

PAGES = ("", "drivers/", "flight-risk/", "costs/")
API = ("turnover", "curves", "drivers", "flight-risk", "costs")


def url(world, page: str = "") -> str:
    return f"/o/{world.slug}/insights/retention/{page}"


def api(world, endpoint: str) -> str:
    return f"/api/orgs/{world.slug}/insights/retention/{endpoint}"


def audience(world, role: str) -> Audience:
    return Audience(scope_for(world.users[role], world.slug))


def subtree_ids(unit: Unit) -> set[int]:
    return set(Unit.objects.subtree(unit).values_list("pk", flat=True))


# ----------------------------------------------------------------------------- who may see


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("hr_analyst", 200), ("manager", 200), ("employee", 403)]
)
def test_each_retention_page_by_role(demo_world, login, page, role, status):
    assert login(demo_world.users[role]).get(url(demo_world, page)).status_code == status


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_log_in_and_other_organisations_see_nothing(demo_world, client, page):
    response = client.get(url(demo_world, page))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    rival = OrganizationFactory(slug="rival-retention")
    make_unit(rival, "Rival", kind="organisation", external_id="rival-r")
    client.force_login(member(rival, "admin", username="rival-retention-admin"))
    assert client.get(url(demo_world, page)).status_code == 404


@pytest.mark.parametrize("endpoint", API)
def test_the_api_follows_the_same_roles(demo_world, client, endpoint):
    assert client.get(api(demo_world, endpoint)).status_code == 401
    for role, status in (("hr_analyst", 200), ("manager", 200), ("employee", 403)):
        client.force_login(demo_world.users[role])
        assert client.get(api(demo_world, endpoint)).status_code == status, role


def test_a_manager_sees_their_subtree_and_not_a_unit_outside_it(demo_world, login):
    client = login(demo_world.users["manager"])
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    body = client.get(api(demo_world, "turnover")).json()
    assert body["unit_id"] == demo_world.manager_unit.pk
    assert {r["unit_id"] for r in body["by_unit"]} <= subtree_ids(demo_world.manager_unit)
    assert client.get(url(demo_world), {"unit": root.pk}).status_code == 404
    assert client.get(api(demo_world, "flight-risk"), {"unit": root.pk}).status_code == 404


def test_the_header_offers_retention_to_hr_and_managers_only(demo_world, login):
    for role, shown in (("hr_analyst", True), ("manager", True), ("employee", False)):
        html = login(demo_world.users[role]).get(f"/o/{demo_world.slug}/").content.decode()
        assert (f'href="{url(demo_world)}"' in html) is shown, role


# ----------------------------------------------------------------------------- figures


def employees(world) -> pd.DataFrame:
    frame = pd.DataFrame(
        list(
            Employee.objects.filter(organization=world.organization).values(
                "unit_id", "hire_date", "leave_date", "leave_type", "regretted", "job_family"
            )
        )
    )
    frame["hire_date"] = pd.to_datetime(frame["hire_date"])
    frame["leave_date"] = pd.to_datetime(frame["leave_date"])
    return frame


def test_the_organisations_turnover_is_leavers_per_person_year_with_exact_limits(demo_world, login):
    body = login(demo_world.users["hr_analyst"]).get(api(demo_world, "turnover")).json()
    first, last = pd.Timestamp(body["first_day"]), pd.Timestamp(body["last_day"])
    people = employees(demo_world)
    people = people[(people["hire_date"] <= last) & ~(people["leave_date"] < first)]
    start = people["hire_date"].clip(lower=first)
    end = people["leave_date"].fillna(last).clip(upper=last)
    years = ((end - start).dt.days + 1).sum() / 365.25
    leavers = int(people["leave_date"].between(first, last).sum())
    headline = body["by_unit"][0]
    assert headline["leavers"] == leavers > 0
    assert headline["people"] == len(people)
    assert headline["rate_pct"] == pytest.approx(round(100 * leavers / years, 1))
    upper = stats.chi2.ppf(0.975, 2 * leavers + 2) / 2 / years
    assert headline["rate_upper_pct"] == pytest.approx(round(100 * upper, 1))


def test_shown_units_and_leave_types_describe_at_least_min_n_people(demo_world, login):
    min_n = demo_world.organization.min_group_size
    body = login(demo_world.users["hr_analyst"]).get(api(demo_world, "turnover")).json()
    people = employees(demo_world)
    first, last = pd.Timestamp(body["first_day"]), pd.Timestamp(body["last_day"])
    left = people[people["leave_date"].between(first, last)]
    withheld = 0
    for row in body["by_unit"]:
        if "withheld" in row:
            withheld += 1
            assert set(row) == {"group", "unit_id", "withheld"}, "a withheld row holds no number"
            continue
        assert row["people"] >= min_n
        mine = left[left["unit_id"].isin(subtree_ids(Unit.objects.get(pk=row["unit_id"])))]
        kinds = {
            "involuntary": mine["leave_type"] == "involuntary",
            "voluntary_regretted": (mine["leave_type"] == "voluntary")
            & (mine["regretted"] == True),  # noqa: E712
            "voluntary_other": (mine["leave_type"] == "voluntary") & (mine["regretted"] != True),  # noqa: E712
        }
        for kind, rows in kinds.items():
            if row[f"{kind}_pct"] is not None:
                assert rows.sum() >= min_n, (row["group"], kind)
                assert row[f"{kind}_lower_pct"] <= row[f"{kind}_pct"] <= row[f"{kind}_upper_pct"]
            else:
                assert row[f"{kind}_lower_pct"] is row[f"{kind}_upper_pct"] is None
    for table in ("by_tenure", "by_job_family", "exit_reasons"):
        for row in body[table]:
            assert "withheld" in row or row.get("people", row.get("respondents", 0)) >= min_n
    assert withheld or all("withheld" not in r for r in body["by_unit"])


def test_the_gate_on_units_is_the_anonymity_gate_over_the_whole_tree(demo_world):
    ctx = pages.context(audience(demo_world, "hr_analyst"), None)
    year = pages.turnover.year_people(ctx.people, ctx.window)
    tree = ctx.tree
    counts = pd.Series(
        {
            u: int(year["unit_id"].isin(subtree_ids(Unit.objects.get(pk=u))).sum())
            for u in tree.index
        }
    )
    table = pd.DataFrame({"parent": tree["parent"], "people": counts})
    expected = anonymity.suppress(table, min_n=ctx.min_n, count="people", parent="parent")
    page = pages.retention_page(audience(demo_world, "hr_analyst"), unit_id=None)
    for row in page.turnover.units:
        assert row.shown is not bool(expected.at[row.unit.pk, "suppressed"]), row.label


def test_each_curve_is_the_kaplan_meier_of_its_group_with_delayed_entry(demo_world, login):
    body = (
        login(demo_world.users["hr_analyst"])
        .get(api(demo_world, "curves"), {"by": "job_family"})
        .json()
    )
    assert body["points"], "the demo shows at least one job family's curve"
    min_n = demo_world.organization.min_group_size
    assert all(p["at_risk"] >= min_n for p in body["points"])
    ctx = pages.context(audience(demo_world, "hr_analyst"), None)
    observed = data.observed(ctx.people, ctx.window)
    frontline = observed[observed["job_family"] == "frontline"]
    theirs = retention_curve(frontline["tenure"], frontline["left"], entry=frontline["entry"])
    ours = [p for p in body["points"] if p["group"] == "Frontline"]
    assert ours
    for point in ours:  # months are rounded to 0.01 in the export: the step at or before it
        step = theirs.loc[: point["months"] + 0.005].iloc[-1]
        assert point["retention"] == pytest.approx(step["retention"], abs=1e-4)
    assert body["log_rank_p_value"] is None or 0 <= body["log_rank_p_value"] <= 1


def test_the_driver_table_reports_the_check_and_a_model_for_each_score(demo_world, login):
    body = login(demo_world.users["hr_analyst"]).get(api(demo_world, "drivers")).json()
    assert body["event"] in ("voluntary leaving", "leaving")
    fitted = [r for r in body["rows"] if not r["problem"]]
    assert fitted, body
    for row in fitted:
        assert row["lower"] <= row["ratio_per_10_points"] <= row["upper"]
        assert 0 <= row["proportional_hazards_p"] <= 1
        assert row["method"] == (
            "cox" if row["proportional_hazards_p"] >= 0.05 else "discrete-time"
        )


def synthetic_spells(beta_first_year: float, beta_after: float, seed: int = 3):
    """Spells of 40 units over six years, with a monthly leaving hazard whose engagement
    effect (per 10 points of the unit's score) is `beta_first_year` in a person's first
    year and `beta_after` later; the records show the last two years (delayed entry)."""
    rng = np.random.default_rng(seed)
    n = 4000
    units = pd.Series(rng.normal(65, 10, 40), index=range(1, 41))
    unit = rng.integers(1, 41, n)
    x = (units[unit].to_numpy() - 65) / 10
    # Months to leaving: geometric at the first year's monthly hazard, then at the later one.
    first = rng.geometric(0.02 * np.exp(beta_first_year * x))
    later = 12 + rng.geometric(0.02 * np.exp(beta_after * x))
    months = np.where(first <= 12, first, later) - 1 + rng.uniform(0, 1, n)
    hired = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), unit="D")
    leave = hired + pd.to_timedelta(np.round(months * 30.4375), unit="D")
    end = pd.Timestamp("2025-12-31")
    people = pd.DataFrame(
        {
            "person": range(n),
            "unit_id": unit,
            "job_family": np.where(np.arange(n) % 2, "specialist", "frontline"),
            "is_manager": False,
            "hire_date": hired,
            "leave_date": pd.Series(leave).where(leave <= end),
            "leave_type": np.where(leave <= end, "voluntary", ""),
            "leave_reason": "",
            "regretted": pd.NA,
        }
    )
    window = data.Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-01"))
    scores = pd.DataFrame({"engagement": units})
    return data.observed(people, window), scores, window


def test_the_driver_table_uses_the_cox_model_where_hazards_are_proportional():
    observed, scores, window = synthetic_spells(-0.5, -0.5)
    row = next(r for r in survival.leaving_drivers(observed, scores, window).rows)
    assert row.code == "engagement" and row.method == "cox" and row.ph_p_value >= 0.05
    # The same model fitted with lifelines directly: delayed entry, clustered by unit.
    frame = pd.DataFrame(
        {
            "tenure": observed["tenure"],
            "entry": observed["entry"],
            "left": observed["left"],
            "x": observed["unit_id"].map(scores["engagement"]) / 10,
            "unit": observed["unit_id"],
            "family_specialist": (observed["job_family"] == "specialist").astype(float),
        }
    )
    theirs = CoxPHFitter().fit(
        frame, "tenure", "left", entry_col="entry", cluster_col="unit", formula=None
    )
    assert row.ratio == pytest.approx(np.exp(theirs.params_["x"]), rel=1e-4)
    lower, upper = np.exp(theirs.confidence_intervals_.loc["x"])
    assert (row.lower, row.upper) == (
        pytest.approx(lower, rel=1e-3),
        pytest.approx(upper, rel=1e-3),
    )
    assert row.ratio == pytest.approx(np.exp(-0.5), rel=0.25)


def test_the_driver_table_turns_to_the_discrete_time_model_where_the_ph_check_fails():
    observed, scores, window = synthetic_spells(-1.0, 0.4)
    row = next(r for r in survival.leaving_drivers(observed, scores, window).rows)
    assert row.method == "discrete-time" and row.ph_p_value < 0.05
    first_ratio, first_lower, first_upper = row.first_year
    # The effect the model reports in the first year and after it, each with its interval,
    # on the two sides of the truth that made the Cox ratio fail.
    assert first_lower <= first_ratio <= first_upper < 1 < row.lower <= row.ratio <= row.upper
    assert first_ratio == pytest.approx(np.exp(-1.0), rel=0.3)
    assert row.ratio == pytest.approx(np.exp(0.4), rel=0.3)
    assert row.record()["method"] == "discrete-time" and row.record()["first_year_ratio"]


def test_the_driver_page_gives_the_organisations_head_counts_to_hr_not_to_managers(
    demo_world, login
):
    """The model is the whole organisation's; its people and leaver counts are an
    organisation-wide turnover figure, which a manager does not otherwise see."""
    hr = login(demo_world.users["hr_analyst"]).get(url(demo_world, "drivers/"))
    drivers = hr.context["page"].drivers
    counts = f"{drivers.people} people ({drivers.leavers} left)"
    assert counts in hr.content.decode()
    manager = login(demo_world.users["manager"]).get(url(demo_world, "drivers/"))
    html = manager.content.decode()
    assert manager.status_code == 200 and "Ratio per 10 points" in html
    assert counts not in html and 'data-testid="driver-population"' not in html


def test_flight_risk_rows_are_units_whose_total_is_the_focus(demo_world, login):
    body = login(demo_world.users["hr_analyst"]).get(api(demo_world, "flight-risk")).json()
    shown = [r for r in body["units"] if "withheld" not in r]
    assert shown and shown[0]["unit_id"] == body["unit_id"]
    head = shown[0]
    for months in (6, 12):
        assert (
            head[f"lower_{months}m"]
            <= head[f"expected_leavers_{months}m"]
            <= head[f"upper_{months}m"]
        )
    assert head["expected_leavers_12m"] > head["expected_leavers_6m"]
    parts = sum(r["expected_leavers_12m"] for r in shown[1:])
    assert parts <= head["expected_leavers_12m"] + 0.5


def test_the_back_test_sets_an_earlier_forecast_against_who_then_left(demo_world, login):
    """The small demo has one year of records: the back-test still runs, on a shorter
    horizon, and each unit's 'left' is counted from the employee records."""
    body = login(demo_world.users["hr_analyst"]).get(api(demo_world, "flight-risk")).json()
    months = body["back_test_months"]
    assert months is not None and 3 <= months <= 12, body
    shown = [r for r in body["back_test"] if "withheld" not in r]
    assert shown and shown[0]["unit_id"] == body["unit_id"]
    origin = pages.flight_risk_page(audience(demo_world, "hr_analyst"), unit_id=None).back_test
    origin = origin.origin
    people = employees(demo_world)
    employed = (people["hire_date"] <= origin) & ~(people["leave_date"] <= origin)
    left = people["leave_date"] <= origin + pd.DateOffset(months=months)
    for row in shown:
        inside = people["unit_id"].isin(subtree_ids(Unit.objects.get(pk=row["unit_id"])))
        assert row["actual"] == int((employed & left & inside).sum()), row
        assert row["lower"] <= row["forecast"] <= row["upper"]
        assert row["within_interval"] == (row["lower"] <= row["actual"] <= row["upper"])


def test_a_small_units_back_test_is_withheld_in_words_not_as_0_of_0(demo_world, login):
    tiny = make_unit(
        demo_world.organization, "Tiny team", parent=demo_world.manager_unit, external_id="tiny"
    )
    EmployeeFactory.create_batch(2, unit=tiny, job_family="frontline")
    client = login(demo_world.users["hr_analyst"])
    html = client.get(url(demo_world, "flight-risk/"), {"unit": tiny.pk}).content.decode()
    assert 'data-testid="back-test-withheld"' in html
    assert "0 of 0" not in html
    body = client.get(api(demo_world, "flight-risk"), {"unit": tiny.pk}).json()
    assert [set(r) for r in body["back_test"]] == [{"unit_id", "unit", "withheld"}]


def test_a_unit_withheld_to_protect_a_smaller_group_does_not_read_as_small(demo_world, login):
    ctx = pages.context(audience(demo_world, "hr_analyst"), None)
    year = pages.turnover.year_people(ctx.people, ctx.window)
    hidden = pages.turnover.gate.hidden_units(year["unit_id"], ctx.tree, ctx.min_n)
    large = [
        u
        for u in hidden[hidden].index
        if year["unit_id"].isin(subtree_ids(Unit.objects.get(pk=u))).sum() >= ctx.min_n
    ]
    assert large, "the demo withholds a unit of five or more people (complementary suppression)"
    client = login(demo_world.users["hr_analyst"])
    for page, testid in (("", "turnover-rate"), ("costs/", "turnover-cost-withheld")):
        html = client.get(url(demo_world, page), {"unit": large[0]}).content.decode()
        assert f'data-testid="{testid}"' in html
        assert f"Withheld: fewer than {ctx.min_n} people<" not in html
        assert "would reveal a smaller group by subtraction" in html
    overview = client.get(url(demo_world), {"unit": large[0]}).context["page"]
    description = overview.charts["units"].description
    assert "withheld (too few people, or would reveal such a group)" in description
    assert overview.curves.withheld
    html = client.get(url(demo_world), {"unit": large[0]}).content.decode()
    assert f"fewer than {ctx.min_n} followed when the first of them left" in html


# ----------------------------------------------------------------------------- costs


def test_hr_saves_a_cost_input_and_sees_it_after_reloading(demo_world, login):
    client = login(demo_world.users["hr_analyst"])
    page = client.get(url(demo_world, "costs/"))
    form = page.context["page"].form
    posted = {
        name: str(field.initial) for name, field in form.fields.items() if field.initial is not None
    }
    posted |= {"frontline-recruiting": "2750.00", "reduction": "15"}
    response = client.post(url(demo_world, "costs/"), posted)
    assert response.status_code == 302
    saved = TurnoverCost.objects.get(organization=demo_world.organization, job_family="frontline")
    assert saved.recruiting.amount == Decimal("2750.00")
    assert saved.recruiting.currency.code == demo_world.organization.currency
    again = client.get(response["Location"])
    assert 'value="2750.00"' in again.content.decode()
    assert again.context["page"].reduction_pct == Decimal("15")
    assert AuditEvent.objects.filter(action="insights.turnover_costs.save").exists()


def test_a_refused_cost_input_is_422_keeps_what_was_typed_and_saves_nothing(demo_world, login):
    client = login(demo_world.users["hr_analyst"])
    form = client.get(url(demo_world, "costs/")).context["page"].form
    posted = {
        name: str(field.initial) for name, field in form.fields.items() if field.initial is not None
    }
    posted |= {"frontline-recruiting": "-40", "manager-vacancy_days": "lots"}
    response = client.post(url(demo_world, "costs/"), posted)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="-40"' in html and 'value="lots"' in html
    assert "Recruiting, frontline" in html
    assert not TurnoverCost.objects.filter(organization=demo_world.organization).exists()


def test_a_manager_may_try_costs_but_not_save_them(demo_world, login):
    client = login(demo_world.users["manager"])
    response = client.get(url(demo_world, "costs/"), {"frontline-recruiting": "9000"})
    assert response.status_code == 200
    assert client.post(url(demo_world, "costs/"), {"frontline-recruiting": "1"}).status_code == 403
    assert not TurnoverCost.objects.filter(organization=demo_world.organization).exists()


def test_a_what_if_changes_the_saving_by_the_reduction_of_the_new_cost(demo_world, login):
    client = login(demo_world.users["hr_analyst"])
    before = client.get(url(demo_world, "costs/"), {"reduction": "10"}).context["page"]
    after = client.get(
        url(demo_world, "costs/"), {"reduction": "10", "frontline-recruiting": "6500"}
    ).context["page"]
    assert before.headline.shown
    extra = Decimal("5000") * sum(
        1
        for r in pages.turnover.year_people(
            before.context.people, before.context.window
        ).itertuples()
        if r.left and r.job_family == "frontline" and r.unit_id in subtree_ids(before.focus)
    )
    assert after.headline.cost - before.headline.cost == extra
    assert after.saving == (after.headline.cost / 10).quantize(Decimal("0.01"))
    assert not TurnoverCost.objects.filter(organization=demo_world.organization).exists()


@pytest.mark.parametrize(("role", "may_open"), [("manager", False), ("hr_analyst", True)])
def test_the_costs_page_links_to_the_linkage_report_only_for_those_who_may_open_it(
    demo_world, login, role, may_open
):
    client = login(demo_world.users[role])
    pages = [
        client.get(url(demo_world, "costs/"), {"unit": unit.pk}).content.decode()
        for unit in Unit.objects.subtree(demo_world.manager_unit)
    ]
    read = [html for html in pages if "On the linkage report" in html or "On the <a" in html]
    assert read, "no unit's page has a linkage line: the check proves little"
    linkage = f"/o/{demo_world.slug}/insights/linkage/"
    assert all((f'href="{linkage}"' in html) is may_open for html in read)
    assert client.get(linkage).status_code == (200 if may_open else 403)


def test_the_engagement_link_is_priced_for_a_shown_unit_and_withheld_for_a_small_one(
    demo_world, login
):
    # recorded before this month's figures are published (the first read): records entered
    # later wait for next month's (RetentionPublication)
    tiny = make_unit(
        demo_world.organization, "Tiny team", parent=demo_world.manager_unit, external_id="tiny"
    )
    EmployeeFactory.create_batch(2, unit=tiny, job_family="frontline")
    client = login(demo_world.users["hr_analyst"])
    whole = client.get(api(demo_world, "costs")).json()["engagement_link"]
    assert whole and whole[0]["people"] >= demo_world.organization.min_group_size
    assert whole[0]["leavers_lower"] <= whole[0]["leavers_change"] <= whole[0]["leavers_upper"]
    body = client.get(api(demo_world, "costs"), {"unit": tiny.pk}).json()
    assert [set(r) for r in body["engagement_link"]] == [{"engagement_points", "withheld"}]
    html = client.get(url(demo_world, "costs/"), {"unit": tiny.pk}).content.decode()
    assert 'data-testid="engagement-link-withheld"' in html
    assert "leavers over the next 12 months among" not in html


def test_the_api_sets_costs_for_hr_and_refuses_bad_input(demo_world, client):
    values = {
        "annual_salary": "25000",
        "recruiting": "1800",
        "onboarding": "250",
        "training": "600",
        "months_to_productivity": "4.5",
        "vacancy_days": 30,
        "vacancy_cost_per_day": "70",
    }
    client.force_login(demo_world.users["manager"])
    assert (
        client.put(
            api(demo_world, "costs"), {"frontline": values}, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(demo_world.users["hr_analyst"])
    response = client.put(
        api(demo_world, "costs"), {"frontline": values}, content_type="application/json"
    )
    assert response.status_code == 200
    frontline = next(
        r for r in response.json()["replacement_costs"] if r["job_family"] == "frontline"
    )
    # 1800 + 250 + 600 + 25000 / 12 × 4.5 × ½ (4687.50) + 30 × 70
    assert frontline["total"] == "9437.50"
    bad = client.put(
        api(demo_world, "costs"), {"cleaners": values}, content_type="application/json"
    )
    assert bad.status_code == 422 and "cleaners" in bad.json()["detail"]
    negative = client.put(
        api(demo_world, "costs"),
        {"frontline": values | {"recruiting": "-1"}},
        content_type="application/json",
    )
    assert negative.status_code == 422
    assert client.get(api(demo_world, "costs"), {"reduction": "150"}).status_code == 422


def test_hr_home_shows_turnover_this_quarter_and_a_manager_home_does_not(demo_world, login):
    client = login(demo_world.users["hr_analyst"])
    html = client.get(f"/o/{demo_world.slug}/").content.decode()
    assert 'data-card="quarter_turnover"' in html and "Turnover this quarter" in html
    card = client.get(f"/o/{demo_world.slug}/home/cards/quarter_turnover/").content.decode()
    leavers = int(re.search(r"<strong>(\d+)</strong> leaver", card).group(1))
    window = pages.context(audience(demo_world, "hr_analyst"), None).window
    quarter = window.last_month.to_period("Q")
    first = max(quarter.start_time, window.start)
    assert leavers == employees(demo_world)["leave_date"].between(first, window.end).sum()
    assert "% a year (95% CI" in card
    manager = login(demo_world.users["manager"])
    assert (
        'data-card="quarter_turnover"' not in manager.get(f"/o/{demo_world.slug}/").content.decode()
    )
    assert manager.get(f"/o/{demo_world.slug}/home/cards/quarter_turnover/").status_code == 404


# ----------------------------------------------------------------------------- no individual risk

RISK = re.compile(r"risk|probab|likel|chance|expected|flight|hazard", re.IGNORECASE)
PERSON = re.compile(
    r"employee|person|people_id|external_id|email|first_name|last_name|user|login|full_name",
    re.IGNORECASE,
)


def risky_records(value, path="") -> list[str]:
    """Where a record holding a risk-like figure names a person or is not about a unit/group."""
    problems = []
    if isinstance(value, dict):
        keys = list(value)
        if any(RISK.search(k) for k in keys):
            if any(PERSON.search(k) for k in keys):
                problems.append(f"{path}: {keys}")
            if not {"unit_id", "group", "engagement_points", "scale"} & set(keys):
                problems.append(f"{path}: no unit or group in {keys}")
        for key, item in value.items():
            problems += risky_records(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += risky_records(item, f"{path}[{index}]")
    return problems


def test_no_api_operation_returns_a_risk_figure_about_a_person(demo_world, login):
    client = login(demo_world.users["hr_analyst"])
    schema = client.get("/api/openapi.json").json()
    # No declared response schema pairs a risk-like field with a person.
    for name, component in schema["components"]["schemas"].items():
        fields = list(component.get("properties", {}))
        if any(RISK.search(f) for f in fields):
            assert not any(PERSON.search(f) for f in fields), name
    # Every GET operation that needs no id but the organisation's, called as HR.
    called = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations or not path.startswith("/api/orgs/{org}/"):
            continue
        required = [p["name"] for p in operations["get"].get("parameters", []) if p.get("required")]
        if set(required) - {"org"}:
            continue
        response = client.get(path.replace("{org}", demo_world.slug))
        called += 1
        if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
            assert risky_records(response.json(), path) == [], path
    assert called >= len(API)


def test_no_retention_page_or_export_has_a_column_about_a_person(demo_world):
    hr = audience(demo_world, "hr_analyst")
    built = [
        pages.retention_page(hr, unit_id=None),
        pages.drivers_page(hr),
        pages.flight_risk_page(hr, unit_id=None),
        pages.costs_page(hr, unit_id=None),
    ]
    for page in built:
        for name, records in page.tables().items():
            rows = records()
            assert all(not PERSON.search(column) for row in rows for column in row), name
            assert risky_records(rows, name) == [], name
    people = Employee.objects.filter(organization=demo_world.organization).count()
    forecast = built[2].risk_records()
    assert (
        len(forecast) <= Unit.objects.filter(organization=demo_world.organization).count() < people
    )


def test_no_model_about_employees_stores_a_leaving_risk():
    """Employee and every model that points at an employee: no risk-like column."""
    for model in apps.get_models():
        about_people = model is Employee or any(
            getattr(f, "related_model", None) is Employee for f in model._meta.get_fields()
        )
        if not about_people:
            continue
        for field in model._meta.get_fields():
            assert not RISK.search(field.name), f"{model.__name__}.{field.name}"
