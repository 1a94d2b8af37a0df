"""In a real Chromium, on the demo: the manager's heatmap, driver impact and an action plan; the
HR analyst's linkage report; the employee's view. A screenshot of every insights page."""

from __future__ import annotations

import pytest

from servicechain import demo
from servicechain.insights.models import ActionPlan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The contact-centre seeder is slow and nothing here needs it.
SEEDERS = ["servicechain.surveys.seed", "servicechain.insights.seed"]


@pytest.fixture
def organization(monkeypatch, settings):
    settings.INSIGHTS_BOOTSTRAP_REPLICATES = 100
    monkeypatch.setattr(demo, "DEMO_SEEDERS", SEEDERS)
    return demo.seed_demo(size="small", seed=7)


def login(page, live_server, role: str) -> None:
    account = next(login for login in demo.DEMO_LOGINS if login.role == role)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/**")


def wave_withholding_a_manager_unit(organization):
    from servicechain.insights import selectors
    from servicechain.insights.access import Audience
    from servicechain.insights.pages import engagement_page
    from servicechain.org.access import scope_for
    from servicechain.org.models import Membership

    manager = Membership.objects.get(organization=organization, role="manager").user
    audience = Audience(scope_for(manager, organization.slug))
    for wave in selectors.employee_waves(organization):
        page = engagement_page(audience, wave_id=wave.pk, unit_id=None)
        if any(c.suppressed for row in page.heatmap.rows for c in row.cells):
            return wave
    raise AssertionError("the demo keeps one of the manager's units below the minimum")


def chart_ready(page, chart_id: str) -> None:
    page.locator(f"#{chart_id}[data-chart-ready]").wait_for(timeout=20_000)
    assert page.locator(f"#{chart_id} svg.marks").count() == 1


def test_manager_sees_a_withheld_cell_opens_driver_impact_and_makes_a_plan(
    page, live_server, artifacts_dir, organization
):
    login(page, live_server, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Engagement").click()
    page.get_by_role("heading", name="Heatmap: units × drivers").wait_for()
    # A published wave where the gate withholds one of the manager's units, chosen from the
    # survey menu as a person would.
    wave = wave_withholding_a_manager_unit(organization)
    page.get_by_label("Survey").select_option(value=str(wave.pk))
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Heatmap: units × drivers").wait_for()
    withheld = page.locator("#heatmap td.suppressed")
    assert withheld.count() > 0, "one of the manager's units is below the minimum group size"
    assert not any(ch.isdigit() for ch in withheld.first.inner_text().replace("5", ""))
    page.get_by_text("Heatmap as a chart").click()
    chart_ready(page, "heatmap-chart")
    chart_ready(page, "driver-scores-chart")
    page.screenshot(path=str(artifacts_dir / "insights-manager-engagement.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Driver impact").click()
    page.get_by_role("button", name="Compute driver impact").click()
    page.get_by_role("heading", name="What goes with engagement").wait_for()
    # The manager's area has 24 pulse answers on 4 drivers: too few to tell drivers apart,
    # and the page says so instead of drawing a quadrant from noise.
    page.get_by_text("There are not yet enough responses to tell drivers apart").wait_for()
    assert page.locator("#quadrant-employee").count() == 0
    assert page.locator("#employee_drivers-table tbody tr").count() >= 4
    page.screenshot(path=str(artifacts_dir / "insights-manager-driver-impact.png"), full_page=True)

    offered = page.locator("#employee_drivers-table tbody tr").filter(
        has=page.get_by_role("link", name="Create action plan")
    )
    assert offered.count() >= 1, "a plan is offered for the drivers that need one"
    row = offered.first
    driver = row.get_attribute("data-driver")
    row.get_by_role("link", name="Create action plan").click()
    page.get_by_role("heading", name="New action plan").wait_for()
    assert page.get_by_label("Driver").input_value() == driver
    assert page.locator("#suggestions input[type=checkbox]:checked").count() >= 3
    page.get_by_label("Title").fill("Talk about it at every huddle")
    page.get_by_label("Due date").fill("2030-06-30")
    page.get_by_label("Other tasks (one per line)").fill("Weekly huddle item\nMonthly check-in")
    page.get_by_role("button", name="Create plan").click()
    page.get_by_role("heading", name="Talk about it at every huddle").wait_for()
    page.screenshot(path=str(artifacts_dir / "insights-manager-action-plan.png"), full_page=True)
    plan = ActionPlan.objects.get(title="Talk about it at every huddle")
    assert plan.driver == driver and plan.owner.username == "manager"
    assert plan.tasks.count() >= 5, "the kept suggestions and the two own tasks"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Action plans").click()
    page.get_by_role("link", name="Talk about it at every huddle").wait_for()
    page.screenshot(path=str(artifacts_dir / "insights-manager-plans.png"), full_page=True)


def test_hr_analyst_reads_the_linkage_report_and_every_insights_page(
    page, live_server, artifacts_dir, organization
):
    login(page, live_server, "hr_analyst")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Linkage").click()
    page.get_by_role("heading", name="In plain words").wait_for()  # computed by the demo seed
    assert (
        "A 5-point rise in a unit's engagement index goes with"
        in page.locator("#reading").inner_text()
    )
    chart_ready(page, "linkage-chart")
    assert page.locator("#effects tbody tr").count() == 4
    page.screenshot(path=str(artifacts_dir / "insights-hr-linkage.png"), full_page=True)

    nav.get_by_role("link", name="Customers", exact=True).click()
    chart_ready(page, "trend-csat")
    page.screenshot(path=str(artifacts_dir / "insights-hr-customers.png"), full_page=True)

    nav.get_by_role("link", name="Comments").click()
    page.locator("#comments li").first.wait_for()
    theme = page.get_by_role("navigation", name="Themes").get_by_role("link").nth(1)
    theme.click()
    page.locator("#comments li").first.wait_for()
    page.screenshot(path=str(artifacts_dir / "insights-hr-comments.png"), full_page=True)

    nav.get_by_role("link", name="Engagement").click()
    page.get_by_label("Respondents").select_option(label="Tenure: <1y")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Heatmap: units × drivers — Tenure: <1y").wait_for()
    page.screenshot(path=str(artifacts_dir / "insights-hr-engagement-filtered.png"), full_page=True)


def test_employee_sees_the_organisation_and_their_own_unit_only(
    page, live_server, artifacts_dir, organization
):
    login(page, live_server, "employee")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Engagement").click()
    rows = page.locator("#heatmap tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert page.get_by_role("link", name="Linkage").count() == 0
    assert page.locator("#heatmap tbody a").count() == 0, "employees cannot drill down"
    page.screenshot(path=str(artifacts_dir / "insights-employee-engagement.png"), full_page=True)
