"""Recognition in a real Chromium, on one demo seeded for the whole module: an employee gives
their team kudos with a value and points, a teammate reacts (and the reaction survives a
reload), the manager reads the team's recognition spread and who nobody recognised in 60
days, and a badge appears on a profile once the achievement rules have run.

The demo is seeded once outside any test transaction and served by the module's own live
server (as tests/e2e/test_homes_and_notifications.py does); the database is flushed at the
end. The clock is fixed (time-machine, ticking) so "this month" and "60 days" are the same
at any hour. Tests only add to the demo and do not rely on each other's changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from servicechain import demo
from servicechain.org import services as org_services
from servicechain.org.models import Employee, Membership
from servicechain.recognition.models import Award
from servicechain.surveys.models import Wave
from tests.e2e.test_homes_and_notifications import ensure_test_database
from tests.factories import UserFactory
from tests.recognition.helpers import rate

pytestmark = pytest.mark.e2e
CLOCK = dt.datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Europe/London"))
PASSWORD = "pass-word-123"  # tests.factories.UserFactory


@dataclass
class Site:
    url: str
    organization: object
    team: object  # the demo employee's unit
    teammate: Employee  # a colleague in it, with the login "teammate"


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with time_machine.travel(CLOCK, tick=True), django_db_blocker.unblock():
        created = ensure_test_database()
        with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=40):
            organization = demo.seed_demo(size="small", seed=7)
        me = Membership.objects.get(organization=organization, user__username="employee")
        teammate = (
            Employee.objects.filter(
                unit=me.unit, leave_date__isnull=True, user__isnull=True, is_manager=False
            )
            .order_by("pk")
            .first()
        )
        user = UserFactory(username="teammate", first_name=teammate.first_name)
        org_services.employee_link_user(employee=teammate, user=user)
        org_services.membership_grant(
            user=user, organization=organization, role="employee", unit=me.unit
        )
        server = LiveServer("localhost")
        try:
            yield Site(server.url, organization, me.unit, teammate)
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                from django.test.utils import teardown_databases

                teardown_databases(created, verbosity=0)


def log_in(page, site: Site, username: str) -> None:
    password = next((d.password for d in demo.all_logins() if d.username == username), PASSWORD)
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/o/**")
    # The home page loads its deferred cards after it shows; let them finish before the next
    # page: the live server's in-memory SQLite can deadlock two requests at once.
    page.wait_for_load_state("networkidle")


def no_axe_violations(page, what: str) -> None:
    violations = Axe().run(page).response["violations"]
    report = [f"{v['id']}: {v['help']} — {n['html'][:160]}" for v in violations for n in v["nodes"]]
    assert not report, f"{what}:\n" + "\n".join(report)


def test_a_team_kudos_with_a_value_and_points_and_a_teammates_reaction(page, site, artifacts_dir):
    log_in(page, site, "employee")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Recognition").click()
    left = int(page.get_by_test_id("allowance-left").inner_text())
    page.get_by_role("link", name="Give kudos").first.click()
    page.get_by_label("Or recognise a whole team").select_option(label=site.team.name)
    page.get_by_label("Own it").check()
    page.get_by_label("Message").fill("Thank you all for the Saturday stock-take: done by noon.")
    page.get_by_label("Points for each person").fill("2")
    no_axe_violations(page, "the give-kudos form")
    page.get_by_role("button", name="Post kudos").click()
    page.wait_for_url(f"{site.url}/o/demo/recognition/kudos/*/")
    post = page.locator("article.post")
    assert f"the team {site.team.name}" in post.locator(".post-title").inner_text()
    assert "#own-it" in post.inner_text() and "+2 points each" in post.inner_text()
    members = post.locator(".post-title a").count() - 1  # every member credited, the giver not
    page.screenshot(path=str(artifacts_dir / "recognition-team-kudos.png"), full_page=True)
    page.goto(f"{site.url}/o/demo/recognition/")
    assert int(page.get_by_test_id("allowance-left").inner_text()) == left - 2 * members

    page.context.clear_cookies()
    log_in(page, site, "teammate")
    page.goto(f"{site.url}/o/demo/recognition/")
    mine = page.locator("article.post", has_text="Saturday stock-take").first
    applause = mine.locator("[data-reaction='applause']")
    applause.click()
    expect(mine.locator("[data-reaction='applause']")).to_have_attribute("aria-pressed", "true")
    page.reload()
    again = page.locator("article.post", has_text="Saturday stock-take").first
    assert again.locator("[data-reaction='applause']").get_attribute("aria-pressed") == "true"
    assert again.locator("[data-reaction='applause'] .count").inner_text() == "1"
    no_axe_violations(page, "the recognition feed")


def test_the_manager_reads_the_spread_and_who_was_not_recognised(page, site, artifacts_dir):
    log_in(page, site, "manager")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Recognition spread"
    ).click()
    page.wait_for_url(f"{site.url}/o/demo/recognition/spread/")
    unrecognised = page.get_by_test_id("unrecognised")
    rows = unrecognised.locator("tbody tr")
    assert rows.count() >= 1  # the demo leaves a few people overlooked
    assert "never" in rows.first.inner_text() or "20" in rows.first.inner_text()
    table = page.locator("#spread")
    assert table.locator("tbody tr").count() >= 2  # the area and its units
    assert "Share to the top 10 %" in table.locator("thead").inner_text()
    gini = table.locator("tbody tr").first.locator("td").nth(4).inner_text()
    assert gini == "—" or 0 <= float(gini) < 1
    page.locator("#gini-chart svg.marks").wait_for()
    page.screenshot(path=str(artifacts_dir / "recognition-spread-manager.png"), full_page=True)
    no_axe_violations(page, "the recognition spread")


def test_a_badge_appears_on_a_profile_after_its_rule_runs(page, site, artifacts_dir):
    teammate = site.teammate
    wave = Wave.objects.filter(organization=site.organization, kind="customer").latest("opens_at")
    now = timezone.now()
    for minutes in (30, 60, 90):  # three five-star ratings this morning: a five-star month
        rate(site.organization, wave, teammate, now - dt.timedelta(minutes=minutes), 5)
    month = timezone.localtime(now).strftime("%b %Y")
    profile = f"{site.url}/o/demo/recognition/people/{teammate.pk}/"

    log_in(page, site, "teammate")
    page.goto(profile)
    badges = page.locator("[data-section='achievements']")
    before = badges.locator("[data-badge='five-star-month']", has_text=month).count()
    assert before == 0

    page.context.clear_cookies()
    log_in(page, site, "admin")
    page.goto(f"{site.url}/o/demo/recognition/achievements/")
    page.get_by_role("button", name="Run the rules now").click()
    assert "new badge" in page.locator(".messages").inner_text()

    page.context.clear_cookies()
    log_in(page, site, "teammate")
    page.goto(profile)
    earned = page.locator(
        "[data-section='achievements'] [data-badge='five-star-month']", has_text=month
    )
    assert earned.count() == 1
    earned.get_by_role("link").click()
    evidence = page.locator("#evidence li")
    assert evidence.count() >= 3 and "Rated 5 of 5" in evidence.first.inner_text()
    assert Award.objects.filter(employee=teammate, badge__slug="five-star-month").exists()
    page.goto(f"{site.url}/o/demo/notifications/")
    assert "You earned the badge" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts_dir / "recognition-badge-evidence.png"), full_page=True)
