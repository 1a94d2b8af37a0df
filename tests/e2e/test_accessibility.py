"""In a real Chromium: axe-core finds no accessibility violation on the pages people use most.

axe-core (Deque, bundled in axe-playwright-python, no network) checks the rendered page
against WCAG 2.x A/AA rules: names of controls, contrast, landmarks, ARIA use, focusable
scroll regions. Every violation, whatever its impact, fails the test with the rule, the
element and axe's help text.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail

from servicechain import demo
from servicechain.contactcentre import selectors as cc_selectors
from servicechain.surveys import services as survey_services
from tests.contactcentre.helpers import (
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    publish_day,
)
from tests.surveys.helpers import LINK, build_org, open_wave

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-word-123"  # tests.factories.UserFactory
AXE = Axe()


def assert_accessible(page, what: str) -> None:
    page.wait_for_load_state("networkidle")
    for chart in page.locator("[data-chart-spec]").all():
        if chart.is_visible():
            chart.and_(page.locator("[data-chart-ready]")).wait_for(timeout=20_000)
    violations = AXE.run(page).response["violations"]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} — {node['html'][:160]}"
        for v in violations
        for node in v["nodes"][:3]
    ]
    assert not report, f"{what}:\n" + "\n".join(report)


def login(page, live_server, username, password=PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/**")


def test_the_respondent_form_and_thank_you_page_on_a_phone(page, live_server):
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    mail.outbox.clear()
    survey_services.invitation_send(wave=wave)
    token = LINK.search(mail.outbox[0].body).group(1)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{token}/")
    assert_accessible(page, "the survey form")
    page.locator("label[for='in-ENG1-4']").click()
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    assert_accessible(page, "the thank-you page")
    page.goto(f"{live_server.url}/s/not-a-real-token/")
    assert_accessible(page, "the unknown-link page")


@pytest.fixture
def demo_organisation(monkeypatch, settings):
    settings.INSIGHTS_BOOTSTRAP_REPLICATES = 100
    monkeypatch.setattr(
        demo, "DEMO_SEEDERS", ["servicechain.surveys.seed", "servicechain.insights.seed"]
    )
    return demo.seed_demo(size="small", seed=7)


def test_the_insights_pages_of_the_demo(page, live_server, demo_organisation):
    account = next(login for login in demo.DEMO_LOGINS if login.role == "hr_analyst")
    login(page, live_server, account.username, account.password)
    assert_accessible(page, "home")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Engagement", "Driver impact", "Customers", "Linkage", "Comments"):
        nav.get_by_role("link", name=name, exact=True).click()
        page.wait_for_load_state()
        if name == "Engagement":
            page.get_by_text("Heatmap as a chart").click()
        assert_accessible(page, name)
    page.get_by_role("link", name="Surveys").first.click()
    assert_accessible(page, "surveys")


def test_the_contact_centre_pages_of_an_agent_and_a_lead(page, live_server):
    team = make_centre()
    user, me = agent_login(team, "alex")
    colleagues = [make_agent(team) for _ in range(5)]
    day = cc_selectors.local_today(team) + dt.timedelta(days=1)
    publish_day(team, [me, *colleagues], day=day)
    lead_login(team, "lee")

    login(page, live_server, "alex")
    assert_accessible(page, "the agent's home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My day").click()
    page.get_by_role("link", name=day.strftime("%a %-d %b")).click()
    page.get_by_role("heading", name="My plan").wait_for()
    assert_accessible(page, "the agent's day")

    page.context.clear_cookies()
    login(page, live_server, "lee")
    page.get_by_role("link", name="Contact centre").click()
    page.wait_for_load_state()
    assert_accessible(page, "the lead's contact-centre home")
    for link in ("Team day", "Requests", "Agents", "Schedules", "Volumes", "Forecast"):
        target = page.get_by_role("link", name=link)
        if target.count():
            target.first.click()
            page.wait_for_load_state()
            assert_accessible(page, link)
