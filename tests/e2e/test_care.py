"""In a real Chromium, on one seeded demo shared by the module: an agent reports an abusive
call from their day's screen and sees the suggested category, the team lead confirms an
exclusion, the customer is flagged on the agent's screen, the agent is offered a break and
the lead's 72-hour check-in task appears on their home.

Seeding the demo takes most of a minute, so it is done once (the pattern of
tests/e2e/test_homes_and_notifications.py) and flushed at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import override_settings
from django.test.utils import setup_databases, teardown_databases
from pytest_django.live_server_helper import LiveServer

from servicechain import demo
from servicechain.care.models import CheckInTask, Incident, Sanction
from servicechain.contactcentre import seed as cc_seed

pytestmark = pytest.mark.e2e
ABUSE = "He called me a useless f***ing idiot and would not stop swearing at me."
THREAT = "I know where you live. I'll be waiting for you outside."


@dataclass
class Site:
    url: str
    organization: object


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        created = None
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})
        solve_work, cc_seed.SOLVE_WORK = cc_seed.SOLVE_WORK, 1.0
        try:
            with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=60):
                organization = demo.seed_demo(size="small", seed=7)
        finally:
            cc_seed.SOLVE_WORK = solve_work
        server = LiveServer("localhost")
        try:
            yield Site(url=server.url, organization=organization)
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                teardown_databases(created, verbosity=0)


def assert_accessible(page, what: str) -> None:
    """axe-core (bundled, no network): no WCAG A/AA violation on the rendered page."""
    page.wait_for_load_state("networkidle")
    violations = Axe().run(page).response["violations"]
    report = [
        f"{v['id']}: {v['help']} — {n['html'][:160]}" for v in violations for n in v["nodes"][:3]
    ]
    assert not report, f"{what}:\n" + "\n".join(report)


def log_in(page, site: Site, username: str) -> None:
    password = next(d.password for d in demo.all_logins() if d.username == username)
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/o/**")


def test_an_abusive_call_is_reported_confirmed_flagged_and_the_agent_looked_after(
    browser, site, artifacts_dir
):
    org = site.organization.slug
    agent = browser.new_context().new_page()
    log_in(agent, site, "agent")

    # The agent's day lists this morning's calls, each with a way to report it.
    agent.goto(f"{site.url}/o/{org}/contact-centre/me/")
    contacts = agent.locator("#care-contacts li[data-interaction]")
    first = contacts.first
    customer = first.inner_text().split(" · ")[1].strip()
    interaction_id = int(first.get_attribute("data-interaction"))
    assert first.get_by_test_id("excluded-flag").count() == 0
    first.get_by_role("link", name="Report").click()
    agent.wait_for_url(f"{site.url}/o/{org}/care/report/**")

    agent.get_by_label("What happened").fill(ABUSE)
    hint = agent.get_by_test_id("suggestion")
    hint.wait_for()
    assert "Suggested: Abusive language" in hint.inner_text()
    hint.get_by_role("button", name="Use this").click()
    assert agent.get_by_label("Abusive language").is_checked()
    assert agent.get_by_label("Severity").input_value() == "2"
    agent.screenshot(path=str(artifacts_dir / "care-report.png"), full_page=True)
    assert_accessible(agent, "the report form with a suggestion")
    # The suggestion only suggests: the agent adds what the customer said and decides it
    # was a threat.
    agent.get_by_label("What the customer said or wrote (optional)").fill(THREAT)
    agent.get_by_label("Threat").check()
    agent.get_by_label("Severity").select_option("3")
    agent.get_by_role("button", name="Send the report").click()
    agent.wait_for_url(f"{site.url}/o/{org}/care/incidents/*/")
    assert (
        agent.get_by_test_id("incident-state").inner_text() == "Reported — waiting for a decision"
    )
    incident = Incident.objects.get(interaction_id=interaction_id, description=ABUSE)
    assert incident.category == "threat" and incident.proposed_outcome == "exclusion"

    # The agent is offered a break at once.
    agent.goto(f"{site.url}/o/{org}/care/")
    offer = agent.locator("#offer")
    assert "you can take a break now" in offer.inner_text()
    agent.screenshot(path=str(artifacts_dir / "care-offer.png"), full_page=True)
    assert_accessible(agent, "the agent's care page with the offer")

    # The team lead confirms the exclusion the line proposes.
    lead = browser.new_context().new_page()
    log_in(lead, site, "lead")
    lead.goto(f"{site.url}/o/{org}/care/incidents/{incident.pk}/")
    assert lead.get_by_label("Outcome").input_value() == "exclusion"
    lead.get_by_role("button", name="Confirm the decision").click()
    lead.wait_for_url(f"{site.url}/o/{org}/care/incidents/{incident.pk}/")
    assert "Exclusion for a set period" in lead.get_by_test_id("decision").inner_text()
    assert_accessible(lead, "the decided incident")
    sanction = Sanction.objects.get(incident=incident)
    assert sanction.confirmed_by.username == "lead"

    # …and finds the 72-hour check-in with the agent on their home.
    task = CheckInTask.objects.get(incident=incident, kind="first")
    lead.goto(f"{site.url}/o/{org}/")
    tasks = lead.get_by_test_id("checkin-task").all_inner_texts()
    assert any(str(task.employee) in t and f"{task.due_at:%-d}" in t for t in tasks), tasks
    lead.screenshot(path=str(artifacts_dir / "care-lead-home.png"), full_page=True)

    # Back on the agent's screen the customer is flagged, after a reload.
    agent.goto(f"{site.url}/o/{org}/contact-centre/me/")
    flagged = agent.locator(f"#care-contacts li[data-interaction='{interaction_id}']")
    expected = f"Excluded until {sanction.ends_on.day} {sanction.ends_on:%b %Y}"
    assert flagged.get_by_test_id("excluded-flag").inner_text() == expected
    assert customer in flagged.inner_text()
    agent.goto(f"{site.url}/o/{org}/care/")
    assert "Exclusion for a set period" in agent.locator("#my-reports").inner_text()
    agent.screenshot(path=str(artifacts_dir / "care-agent-flagged.png"), full_page=True)
