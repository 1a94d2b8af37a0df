"""In a real Chromium, on one demo seeded for the whole module: each role's home shows what
that person acts on, the header fits the role and a 390 px phone, and a lunch request's
notifications reach the team lead and then the agent (inbox, bell, e-mail).

Seeding the demo takes most of a minute, so it is done once: the module's fixture seeds it
outside any test transaction, serves it with its own live server and flushes the database
at the end. Tests here only add to the demo (a request, a read mark), never rely on each
other's changes. The server's clock is fixed (time-machine, ticking from Monday 7 Dec 2026
06:10 in London, before the contact centre opens) so the demo's day is the same at any hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import override_settings
from django.test.utils import setup_databases, teardown_databases
from pytest_django.live_server_helper import LiveServer

from servicechain import demo
from servicechain.contactcentre import access as cc_access
from servicechain.contactcentre import seed as cc_seed
from servicechain.contactcentre import selectors as cc_selectors
from servicechain.contactcentre.models import MoveRequest, Team
from servicechain.insights.access import Audience
from servicechain.insights.models import ActionPlan
from servicechain.insights.selectors import action_plans
from servicechain.org.access import scope_for
from servicechain.surveys import selectors as survey_selectors
from servicechain.surveys.models import Wave
from tests.contactcentre.helpers import (
    DAY,
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    publish_day,
)

pytestmark = pytest.mark.e2e
User = get_user_model()
CLOCK = dt.datetime(2026, 12, 7, 6, 10, tzinfo=ZoneInfo("Europe/London"))
PASSWORD = "pass-word-123"  # tests.factories.UserFactory
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    organization: object
    van_team: Team  # a hand-made pie-van day (tests/contactcentre/helpers) for the lunch flow


def ensure_test_database():
    """The test database, created here when no test of the session asked pytest-django for one
    (its tests are not wrapped in a transaction: the demo must outlive each test). Returns
    what to tear down, or None when pytest-django made it."""
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        return None
    return setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with time_machine.travel(CLOCK, tick=True), django_db_blocker.unblock():
        created = ensure_test_database()
        solve_work, cc_seed.SOLVE_WORK = cc_seed.SOLVE_WORK, 1.0  # as the seed's own tests
        try:
            with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=60):
                organization = demo.seed_demo(size="small", seed=7)
        finally:
            cc_seed.SOLVE_WORK = solve_work
        van_team = make_centre(organization, slug="pie")
        pia, me = agent_login(van_team, "pia")
        leo = lead_login(van_team, "leo")
        for user, address in ((pia, "pia@demo.example"), (leo, "leo@demo.example")):
            user.email = address
            user.save(update_fields=["email"])
        publish_day(van_team, [me, *(make_agent(van_team) for _ in range(5))])
        server = LiveServer("localhost")
        try:
            yield Site(url=server.url, organization=organization, van_team=van_team)
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                teardown_databases(created, verbosity=0)


def log_in(page, site: Site, username: str) -> None:
    """Log in as a demo login (its own password) or a test user (the factories' password)."""
    password = next((d.password for d in demo.all_logins() if d.username == username), PASSWORD)
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/o/**")


def nav_labels(page) -> list[str]:
    return [
        text.strip()
        for text in page.get_by_role("navigation", name="Main")
        .get_by_role("link")
        .all_inner_texts()
    ]


def card(page, key: str):
    return page.locator(f"[data-card='{key}']")


def scope_of(site: Site, username: str):
    return scope_for(User.objects.get(username=username), site.organization.slug)


# ----------------------------------------------------------------------------- homes


def test_the_employee_home_offers_the_open_survey_and_what_the_manager_sees(
    page, site, artifacts_dir
):
    scope = scope_of(site, "employee")
    waiting = [
        wave
        for wave in survey_selectors.waves_for(scope).filter(status=Wave.Status.OPEN)
        if survey_selectors.my_open_invitation(scope, wave)
    ]
    assert waiting, "the demo employee has not answered the open census"

    log_in(page, site, "employee")

    surveys = card(page, "open_surveys")
    assert surveys.get_by_role("heading").inner_text() == "A survey is waiting for you"
    for wave in waiting:
        assert wave.name in surveys.inner_text()
    assert "days left" in surveys.inner_text() or "last day" in surveys.inner_text()
    assert "Your answers are confidential" in surveys.inner_text()
    assert page.get_by_test_id("role-label").inner_text() == "Employee"
    labels = nav_labels(page)
    assert labels[0] == "Home" and "Surveys" in labels and "Engagement" in labels
    assert not {"Driver impact", "Customers", "Contact centre", "Linkage"} & set(labels)
    page.screenshot(path=str(artifacts_dir / "home-employee.png"), full_page=True)

    card(page, "what_my_manager_sees").get_by_role("link").first.click()
    page.wait_for_url(f"{site.url}/o/{site.organization.slug}/privacy/")
    assert "at least 5 people" in page.locator("main").inner_text()

    page.go_back()
    surveys.get_by_role("button", name="Answer now").first.click()
    page.wait_for_url(f"{site.url}/s/**")
    page.get_by_role("button", name="Submit my answers").wait_for()


def test_the_manager_home_lists_open_plans_and_fits_a_phone(page, site, artifacts_dir):
    plans = list(
        action_plans(Audience(scope_of(site, "manager")))
        .filter(status__in=ActionPlan.OPEN_STATUSES)
        .order_by("due_date", "pk")
    )
    assert plans, "the demo manager has an open plan"
    page.set_viewport_size(PHONE)

    log_in(page, site, "manager")

    shown = card(page, "action_plans").locator("li[data-plan]")
    assert shown.first.get_by_role("link").inner_text() == plans[0].title
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "home scrolls sideways"
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible(), "on a phone the header folds into the menu"
    page.screenshot(path=str(artifacts_dir / "home-manager-phone.png"), full_page=True)

    page.get_by_role("button", name="Menu").click()
    assert nav.is_visible()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(artifacts_dir / "home-manager-phone-menu.png"), full_page=True)
    nav.get_by_role("link", name="Engagement").click()
    page.wait_for_url(f"{site.url}/o/*/insights/")
    page.wait_for_load_state("networkidle")
    for chart in page.locator("[data-chart-spec]").all():
        if chart.is_visible():
            chart.and_(page.locator("[data-chart-ready]")).wait_for(timeout=20_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(artifacts_dir / "engagement-manager-phone.png"), full_page=True)
    assert width <= 390, f"the engagement page is {width} px wide on a 390 px phone"


# Pages the 2026-12-07 walk found wider than a phone: a long e-mail address in one line, two
# chart panels side by side at 420 px each, wide tables outside any scrolling panel.
PHONE_PAGES = {
    "employee": ["notifications/preferences/", "care/policy/"],
    "manager": [
        "notifications/preferences/",
        "insights/customers/",
        "insights/retention/",
        "care/allowance/report/",
        "care/incidents/",
        "care/policy/",
    ],
}


@pytest.mark.parametrize("username", sorted(PHONE_PAGES))
def test_long_addresses_wide_tables_and_paired_charts_fit_a_phone(
    page, site, artifacts_dir, username
):
    page.set_viewport_size(PHONE)
    log_in(page, site, username)
    for path in PHONE_PAGES[username]:
        page.goto(f"{site.url}/o/{site.organization.slug}/{path}")
        page.wait_for_load_state("networkidle")
        for chart in page.locator("[data-chart-spec]").all():
            if chart.is_visible():
                chart.and_(page.locator("[data-chart-ready]")).wait_for(timeout=20_000)
        if path.startswith("notifications"):
            address = page.locator("main p strong").first.inner_text()
            assert "@" in address and len(address) >= 30, "no long address: the check proves little"
        width = page.evaluate("document.documentElement.scrollWidth")
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(artifacts_dir / f"{name}-{username}-phone.png"), full_page=True)
        assert width <= 390, f"{username}'s {path} is {width} px wide on a 390 px phone"


def test_the_hr_home_shows_each_open_waves_response_rate(page, site, artifacts_dir):
    scope = scope_of(site, "hr")
    open_waves = list(survey_selectors.waves_for(scope).filter(status=Wave.Status.OPEN))
    assert open_waves, "the demo has a wave in progress"

    log_in(page, site, "hr")

    waves = card(page, "waves_in_progress")
    rates_shown = 0
    for wave in open_waves:
        rates = survey_selectors.response_rates(scope, wave)
        row = waves.locator(f"li[data-wave='{wave.pk}']")
        assert wave.name in row.inner_text()
        text = row.get_by_test_id("response-rate").inner_text()
        if not rates:
            assert text == "No invitations sent yet."
        elif rates[0]["suppressed"]:
            assert text.startswith("Response rate withheld")
        else:
            overall = rates[0]
            assert f"{overall['rate']:.0f}% answered" in text
            assert f"({overall['respondents']} of {overall['invited']})" in text
            rates_shown += 1
    assert rates_shown, "the open census shows its response rate"
    checked = [
        instrument.name
        for instrument in survey_selectors.instruments_for(scope)
        if survey_selectors.reliability_flags(instrument) is not None
    ]
    reliability = page.locator("[data-card='psychometric_flags']:not([aria-busy])")
    reliability.wait_for()  # filled in after the page
    for name in checked:
        assert name in reliability.inner_text()
    assert card(page, "finished_analyses").is_visible()
    labels = nav_labels(page)
    assert {"Instruments", "Linkage", "Contact centre"} <= set(labels)
    assert page.get_by_test_id("role-label").inner_text() == "HR analyst"
    page.screenshot(path=str(artifacts_dir / "home-hr.png"), full_page=True)


def test_the_agent_home_is_todays_shift_with_my_day_first(page, site, artifacts_dir):
    agent = cc_access.agent_of(scope_of(site, "agent"))
    today = cc_selectors.local_today(agent.team)
    day = cc_selectors.agent_day(agent, today)
    assert day.shift is not None, "the demo agent works today"

    log_in(page, site, "agent")

    mine = card(page, "agent_day")
    assert page.locator("[data-card]").first.get_attribute("data-card") == "agent_day"
    shift = f"Shift {day.shift_start_clock}–{day.shift_end_clock}"
    assert mine.get_by_test_id("my-shift").inner_text() == shift
    for item in day.items():
        assert f"{item['start']}–{item['end']}" in mine.inner_text()
    assert nav_labels(page)[:2] == ["My day", "Home"]
    assert "Contact centre" not in nav_labels(page)
    assert page.get_by_test_id("role-label").inner_text() == "Agent"
    page.screenshot(path=str(artifacts_dir / "home-agent.png"), full_page=True)

    mine.get_by_role("link", name="Open my day").click()
    page.get_by_role("heading", name="My plan").wait_for()
    assert f"{day.shift_start_clock}–{day.shift_end_clock}" in page.locator("#my-plan").inner_text()


def test_the_lead_home_shows_the_waiting_requests_and_todays_service_level(
    page, site, artifacts_dir
):
    team = Team.objects.get(organization=site.organization, slug="inbound")
    pending = list(cc_selectors.pending_for_lead(team))
    assert pending, "the demo has a request waiting for the lead"
    summary = cc_selectors.schedule_summary(
        cc_selectors.published_schedule(team, cc_selectors.local_today(team))
    )

    log_in(page, site, "lead")

    requests = card(page, "lead_requests")
    waits = "1 request waits" if len(pending) == 1 else f"{len(pending)} requests wait"
    assert requests.get_by_role("heading").inner_text() == f"{waits} for you"
    for move in pending[:5]:
        assert str(move.agent) in requests.locator(f"li[data-request='{move.pk}']").inner_text()
    level = card(page, "team_service_level").get_by_test_id("projected-service-level")
    assert level.inner_text() == f"{round(summary['day_service_level'] * 100)}%"
    assert nav_labels(page)[:2] == ["Home", "Contact centre"]
    assert page.get_by_test_id("role-label").inner_text() == "Team lead"
    page.screenshot(path=str(artifacts_dir / "home-lead.png"), full_page=True)

    requests.get_by_role("link", name="Review Inbound requests").click()
    page.locator("section[data-request]").first.wait_for()


# ----------------------------------------------------------------------------- notifications


def test_a_lunch_request_reaches_the_lead_and_the_decision_reaches_the_agent(
    page, site, browser, artifacts_dir
):
    slug = site.organization.slug
    log_in(page, site, "pia")
    page.goto(f"{site.url}/o/{slug}/contact-centre/me/?day={DAY:%Y-%m-%d}")
    picker = page.get_by_label("Lunch now 12:00–12:30: new time")
    picker.select_option(
        page.locator("#move-0 option", has_text="10:00–").first.get_attribute("value")
    )
    assert page.locator("#move-preview").get_attribute("data-verdict") == "needs_lead"
    page.get_by_role("button", name="Send to my team lead").click()
    page.get_by_text("Sent to your team lead").wait_for()

    lead = browser.new_context().new_page()
    log_in(lead, site, "leo")
    assert lead.get_by_test_id("bell-count").inner_text() == "1"
    assert card(lead, "lead_requests").locator("li[data-request]").count() == 1
    lead.get_by_test_id("bell").click()
    item = lead.locator("#inbox li.unread")
    expected = "asks for a lunch move 12:00 → 10:00 on Tue 8 Jan"
    assert expected in item.inner_text()
    assert "2 interval(s) would fall below the 80% target; the lowest at 60%." in item.inner_text()
    lead.screenshot(path=str(artifacts_dir / "notifications-lead-inbox.png"), full_page=True)
    item.get_by_role("link").click()
    lead.wait_for_url("**/contact-centre/teams/pie/requests/")
    assert lead.get_by_test_id("bell-count").count() == 0, "opening it marked it read"
    lead.get_by_role("button", name="Approve").click()
    lead.locator("#no-pending").wait_for()
    assert MoveRequest.objects.get(team=site.van_team).status == MoveRequest.Status.APPROVED

    page.reload()
    assert page.get_by_test_id("bell-count").inner_text() == "1"
    page.get_by_test_id("bell").click()
    decided = page.locator("#inbox li.unread")
    assert "Your lunch move 12:00 → 10:00 on Tue 8 Jan was approved" in decided.inner_text()
    page.reload()
    assert "was approved" in page.locator("#inbox").inner_text(), "it is stored, not flashed"
    page.screenshot(path=str(artifacts_dir / "notifications-agent-inbox.png"), full_page=True)

    subjects = {tuple(m.to): m.subject for m in mail.outbox}
    assert expected in subjects[("leo@demo.example",)]
    assert subjects[("pia@demo.example",)].startswith(
        "Your lunch move 12:00 → 10:00 on Tue 8 Jan was approved"
    )
    page.get_by_role("button", name="Mark all as read").click()
    assert page.get_by_test_id("bell-count").count() == 0
    assert "All read" in page.get_by_test_id("inbox-summary").inner_text()
    assert_accessible(page, "the inbox")

    page.get_by_role("link", name="E-mail settings").click()
    choice = page.get_by_label("My lunch or break request was decided")
    assert choice.is_checked(), "on by default"
    choice.uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your e-mail choices are saved.").wait_for()
    page.reload()
    assert not page.get_by_label("My lunch or break request was decided").is_checked()
    assert_accessible(page, "the e-mail settings")


def assert_accessible(page, what: str) -> None:
    """axe-core (bundled, offline) finds no WCAG A/AA violation on the page."""
    violations = Axe().run(page).response["violations"]
    report = [f"{v['id']}: {v['help']} — {n['html'][:160]}" for v in violations for n in v["nodes"]]
    assert not report, f"{what}:\n" + "\n".join(report)
