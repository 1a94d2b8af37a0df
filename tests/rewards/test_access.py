"""Rewards pages and API by role: an admin builds plans; admins and HR run payouts (a second
person approves); everyone reads their own statement, managers their subtree's, HR and admins
everyone's; another organisation sees nothing and an anonymous visitor is sent to log in.
Bad input is a 4xx with one clear line and changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from servicechain.org.models import AuditEvent
from servicechain.rewards.models import PayoutRun, Plan
from tests.factories import OrganizationFactory, member
from tests.recognition.helpers import person
from tests.rewards.helpers import (
    OCTOBER,
    SEPTEMBER,
    approve_and_lock,
    build_org,
    csat_plan,
    customer_wave,
    pool_plan,
    preview,
    ratings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    org = build_org()
    wave = customer_wave(org)
    csat_plan(org)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 12)
    ratings(wave, org.people["south0"], dt.date(2026, 9, 10), [5] * 9 + [1] * 3)
    return org


def url(org, path=""):
    return f"/o/{org.organization.slug}/rewards/{path}"


def api_url(org, path):
    return f"/api/orgs/{org.organization.slug}/rewards/{path}"


def post_json(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_an_admin_builds_a_plan_in_the_form_and_finds_it_after_reload(org, client):
    client.force_login(org.users["admin"])
    response = client.post(
        url(org, "plans/"),
        {
            "name": "Repeat business bonus",
            "period": "quarter",
            "effective_from": "2026-10-01",
            "job_family": "frontline",
            "min_tenure_days": "90",
            "name_1": "Repeat customers",
            "metric_1": "repeat_rate",
            "scope_1": "employee",
            "min_responses_1": "10",
            "baseline_months_1": "",
            "threshold_1": "20",
            "rate_1": "2.5",
            "floor_1": "",
            "cap_1": "150",
            "weight_1": "1",
        },
    )
    assert response.status_code == 302

    page = client.get(url(org, "plans/")).content.decode()
    assert "Repeat business bonus" in page and "v1 (1 Oct 2026)" in page
    assert "Repeat customers (Repeat-business rate (%))" in page
    assert AuditEvent.objects.filter(action="rewards.plan_version_created").count() == 2


def test_a_plan_form_with_a_cap_below_its_floor_says_so_and_keeps_what_was_typed(org, client):
    client.force_login(org.users["admin"])
    response = client.post(
        url(org, "plans/"),
        {
            "name": "Broken",
            "period": "month",
            "metric_1": "csat",
            "tiers_1": "80:50",
            "floor_1": "40",
            "cap_1": "10",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "component 1: the cap (10) is below the floor (40)." in page
    assert 'value="Broken"' in page
    assert not Plan.objects.filter(name="Broken").exists()


def test_a_plan_form_with_badly_written_tiers_is_one_clear_error(org, client):
    client.force_login(org.users["admin"])
    response = client.post(
        url(org, "plans/"),
        {"name": "Tiers", "period": "month", "metric_1": "csat", "tiers_1": "eighty"},
    )
    assert response.status_code == 400
    assert "write tiers as threshold:amount" in response.content.decode()


def test_hr_sees_plans_but_only_admins_build_them(org, client):
    client.force_login(org.users["hr"])
    assert client.get(url(org, "plans/")).status_code == 200
    assert client.post(url(org, "plans/"), {"name": "X", "metric_1": "csat"}).status_code == 403
    assert post_json(client, api_url(org, "plans"), {"name": "X"}).status_code == 403


@pytest.mark.parametrize("who", ["north0", "boss"])
def test_employees_and_managers_cannot_open_payout_runs(org, client, who):
    client.force_login(org.users[who])
    assert client.get(url(org, "runs/")).status_code == 403
    assert client.get(api_url(org, "runs")).status_code == 403


def test_another_organisation_and_an_anonymous_visitor_see_nothing(org, client):
    assert client.get(url(org, "runs/")).status_code == 302
    assert client.get(api_url(org, "runs")).status_code == 401
    stranger = member(OrganizationFactory(), "admin")
    client.force_login(stranger)
    assert client.get(url(org, "runs/")).status_code == 404
    assert client.get(api_url(org, "runs")).status_code == 404


def test_the_run_page_shows_each_lines_metric_version_thresholds_and_reason(org, client):
    run = preview(org)
    client.force_login(org.users["hr"])

    page = client.get(url(org, f"runs/{run.pk}/")).content.decode()

    assert "Payout run 2026-09" in page and "Preview" in page
    assert "100.0 (12 responses)" in page and "≥ 80, ≥ 95" in page
    assert "Paid 100.00 because your CSAT was 100.0" in page
    assert "Approve run" in page, "HR did not create it, so HR may approve"


def test_two_people_approve_and_lock_through_the_pages_and_the_csv_downloads(org, client):
    client.force_login(org.users["admin"])
    client.post(url(org, "runs/"), {"period": "month", "period_start": "2026-09-01"})
    run = PayoutRun.objects.get(organization=org.organization)

    own = client.post(url(org, f"runs/{run.pk}/approve/"), follow=True).content.decode()
    assert "You created or last recomputed this run; someone else must approve it." in own
    client.force_login(org.users["hr"])
    client.post(url(org, f"runs/{run.pk}/approve/"))
    assert client.get(url(org, f"runs/{run.pk}/payroll.csv")).status_code == 409
    client.post(url(org, f"runs/{run.pk}/lock/"))

    response = client.get(url(org, f"runs/{run.pk}/payroll.csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Disposition"] == 'attachment; filename="payroll-2026-09.csv"'
    assert rows[0] == ["employee_id", "period", "component", "amount", "currency"]
    assert rows[1:] == [
        [
            org.people["north0"].external_id,
            "2026-09",
            "Store CSAT bonus: Customer satisfaction",
            "100.00",
            "GBP",
        ]
    ]


def test_the_api_runs_the_same_flow_and_refuses_the_creators_approval(org, client):
    client.force_login(org.users["admin"])
    created = post_json(
        client, api_url(org, "runs"), {"period": "month", "period_start": "2026-09-01"}
    )
    assert created.status_code == 200 and created.json()["status"] == "preview"
    run_id = created.json()["id"]
    refused = client.post(api_url(org, f"runs/{run_id}/approve"))
    assert refused.status_code == 422
    assert "someone else must approve" in refused.json()["detail"]

    client.force_login(org.users["hr"])
    assert client.post(api_url(org, f"runs/{run_id}/approve")).json()["status"] == "approved"
    assert client.post(api_url(org, f"runs/{run_id}/lock")).json()["status"] == "locked"
    lines = client.get(api_url(org, f"runs/{run_id}/lines")).json()
    paid = [line for line in lines if line["amount"] != "0.00"]
    assert (
        len(paid) == 1
        and paid[0]["plan_version"] == 1
        and paid[0]["thresholds"] == ["≥ 80", "≥ 95"]
    )
    assert client.get(api_url(org, f"runs/{run_id}/payroll")).json()[0]["amount"] == "100.00"


def test_bad_api_input_is_a_clear_4xx_and_changes_nothing(org, client):
    client.force_login(org.users["admin"])
    middle = post_json(
        client, api_url(org, "runs"), {"period": "month", "period_start": "2026-09-15"}
    )
    unknown = post_json(
        client,
        api_url(org, "plans"),
        {"name": "Odd", "components": [{"metric": "smiles", "rate": "1"}]},
    )
    negative = post_json(
        client,
        api_url(org, "plans"),
        {"name": "Neg", "components": [{"metric": "csat", "rate": "-1"}]},
    )

    assert middle.status_code == 422 and "first day of a month" in middle.json()["detail"]
    assert unknown.status_code == 422 and "unknown metric 'smiles'" in unknown.json()["detail"]
    assert negative.status_code == 422 and "Cannot be negative" in negative.json()["detail"]
    assert (
        not PayoutRun.objects.exists() and Plan.objects.filter(name__in=["Odd", "Neg"]).count() == 0
    )


def test_an_employee_reads_their_own_statement_and_no_one_elses(org, client):
    approve_and_lock(org, preview(org))
    client.force_login(org.users["north0"])

    page = client.get(url(org)).content.decode()
    other = client.get(url(org) + f"?employee={org.people['south0'].pk}")

    assert "Pay statement: North0 Tester, 2026-09" in page
    assert "Paid 100.00 because your CSAT was 100.0" in page
    assert "Why did my payout change?" in page
    assert other.status_code == 404
    home = client.get(f"/o/{org.organization.slug}/").content.decode()
    assert "Your statement for 2026-09 is ready" in home
    api = client.get(api_url(org, "statement")).json()
    assert api["period"] == "2026-09" and api["total"] == "100.00"


def test_a_manager_sees_the_subtree_and_each_persons_statement(org, client):
    approve_and_lock(org, preview(org))
    client.force_login(org.users["boss"])

    page = client.get(url(org)).content.decode()
    south0 = client.get(url(org) + f"?employee={org.people['south0'].pk}").content.decode()

    assert "Your team: 2026-09" in page and "North0 Tester" in page
    assert "Pay statement: South0 Tester, 2026-09" in south0
    assert "No pay: your CSAT was 75.0, not past the first threshold (80)." in south0


def test_a_preview_is_not_a_statement(org, client):
    run = preview(org)
    client.force_login(org.users["north0"])
    assert client.get(url(org) + f"?run={run.pk}").status_code == 404
    assert "No locked payout run has a line for you yet" in client.get(url(org)).content.decode()
    assert client.get(api_url(org, "statement")).json() == {
        "detail": "No locked payout run has a line for you yet."
    }


def team_of_north_with_two_pools(org):
    """North's three people share 100.00 and 0.96 equally (33.33 or 33.34, and 0.32 each:
    sums a database may add as floats) besides the CSAT plan (north0 earns 100.00); and a
    manager of North only."""
    pool_plan(org, amount="100.00", unit=org.north)
    pool_plan(org, amount="0.96", unit=org.north)
    approve_and_lock(org, preview(org))
    return person(org, "northboss", org.north, role="manager", scope_unit=org.north)


def test_a_manager_reads_their_subtrees_totals_to_the_cent_on_the_page_and_the_api(org, client):
    team_of_north_with_two_pools(org)
    client.force_login(org.users["northboss"])

    page = client.get(url(org)).content.decode()
    api = client.get(api_url(org, "statements"))

    table = page[page.index('id="team"') :]
    assert "Your team: 2026-09" in page and "Total (GBP)" in table
    assert table.count(">33.65</td>") == 2 and table.count(">133.66</td>") == 1
    assert "South0" not in table, "South is outside the manager's subtree"
    assert api.status_code == 200 and api.json()["period"] == "2026-09"
    assert {row["name"]: row["total"] for row in api.json()["employees"]} == {
        "North0 Tester": "133.66",
        "North1 Tester": "33.65",
        "North2 Tester": "33.65",
    }


def test_hr_and_admins_read_everyones_totals_and_employees_none(org, client):
    team_of_north_with_two_pools(org)
    run = PayoutRun.objects.get(organization=org.organization)

    client.force_login(org.users["hr"])
    everyone = client.get(api_url(org, "statements") + f"?run_id={run.pk}").json()
    client.force_login(org.users["admin"])
    page = client.get(url(org)).content.decode()
    client.force_login(org.users["south0"])
    refused = client.get(api_url(org, "statements"))

    totals = {row["name"]: row["total"] for row in everyone["employees"]}
    assert totals["North0 Tester"] == "133.66" and totals["South0 Tester"] == "0.00"
    assert "Everyone: 2026-09" in page and "South0 Tester" in page
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role does not allow this."}


def test_the_run_page_and_api_total_read_to_the_cent(org, client):
    pool_plan(org, amount="0.96", unit=org.north)
    pool_plan(org, amount="100.00", unit=org.north)
    run = preview(org)
    client.force_login(org.users["admin"])

    page = client.get(url(org, f"runs/{run.pk}/")).content.decode()
    api = client.get(api_url(org, f"runs/{run.pk}")).json()

    assert '<strong data-testid="run-total">200.96 GBP</strong>' in page, "100 CSAT + pools"
    assert api["amount"] == "200.96"


def test_a_manager_opens_an_earlier_locked_period_of_their_team_from_the_page(org, client):
    team_of_north_with_two_pools(org)
    pool_plan(org, amount="9.00", unit=org.north, start=OCTOBER)
    approve_and_lock(org, preview(org, start=OCTOBER))
    client.force_login(org.users["northboss"])

    latest = client.get(url(org)).content.decode()
    september = PayoutRun.objects.get(organization=org.organization, period_start=SEPTEMBER)
    link = f'<a href="?run={september.pk}">2026-09</a>'
    earlier = client.get(url(org) + f"?run={september.pk}").content.decode()

    assert "Your team: 2026-10" in latest and link in latest
    assert "Your team: 2026-09" in earlier and ">133.66</td>" in earlier
