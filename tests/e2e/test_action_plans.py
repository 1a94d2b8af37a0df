"""In a real Chromium, on the demo: a manager updates the seeded action plan (status, due
date, a new task for a colleague, a progress update), saves, reloads and sees it all; then
an employee of that unit reads the plan, which is shared with the team."""

from __future__ import annotations

import datetime as dt

import pytest

from servicechain import demo
from servicechain.insights.models import ActionPlan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

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


def open_plan(page, title: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Action plans").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()


def long_date(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"  # the app's DATE_FORMAT, "Mon 31 Mar 2031"


def test_a_manager_updates_a_plan_and_the_team_reads_it(
    page, live_server, artifacts_dir, organization
):
    plan = ActionPlan.objects.get(organization=organization, driver="recognition")
    login(page, live_server, "manager")
    open_plan(page, plan.title)
    due = page.get_by_label("Due date", exact=True)
    assert due.input_value() == plan.due_date.isoformat(), "the date input shows the saved date"
    assert page.get_by_test_id("plan-status").inner_text() == "In progress"

    page.get_by_label("Status").select_option(label="Done")
    due.fill("2031-03-31")
    page.get_by_label("New task", exact=True).fill("Shortlist the quarterly awards")
    owner = page.get_by_label("Owner of the new task")
    colleague = owner.locator("option").nth(1).inner_text()
    owner.select_option(label=colleague)
    page.get_by_label("Due date of the new task").fill("2031-01-15")
    page.get_by_label("Progress update", exact=False).fill("Awards shortlist agreed with the team.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Action plan saved.").wait_for()

    page.reload()
    assert page.get_by_test_id("plan-status").inner_text() == "Done"
    assert page.get_by_test_id("plan-due").inner_text() == long_date(dt.date(2031, 3, 31))
    assert page.get_by_label("Due date", exact=True).input_value() == "2031-03-31"
    row = page.locator("#tasks tbody tr").filter(
        has=page.locator("input[value='Shortlist the quarterly awards']")
    )
    assert row.count() == 1
    assert row.locator("select option:checked").inner_text() == colleague
    assert row.locator("input[type=date]").input_value() == "2031-01-15"
    assert "Awards shortlist agreed with the team." in page.locator("#timeline").inner_text()
    assert page.get_by_label("Share with the team", exact=False).is_checked()
    page.screenshot(path=str(artifacts_dir / "plans-manager-saved.png"), full_page=True)

    page.context.clear_cookies()
    login(page, live_server, "employee")
    open_plan(page, plan.title)
    assert page.get_by_test_id("plan-status").inner_text() == "Done"
    tasks = page.locator("#tasks").inner_text()
    assert "Shortlist the quarterly awards" in tasks and colleague.split(" (")[0] in tasks
    assert "Awards shortlist agreed with the team." in page.locator("#timeline").inner_text()
    assert page.get_by_role("button", name="Save").count() == 0, "employees only read"
    page.screenshot(path=str(artifacts_dir / "plans-employee-reads.png"), full_page=True)
