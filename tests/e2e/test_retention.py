"""In a real Chromium, on one demo seeded for the module: an HR analyst opens retention from
the header, reads turnover, the retention curves and what leavers said, changes a cost input
and sees the saving update, saves it and finds it after a reload; a manager sees the flight
risk of their area, can try costs but not save them. Screenshots of every retention page.

The demo is seeded once (outside any test transaction) and served by the module's own live
server; tests only add to it. Only the surveys and insights seeders run: retention needs
nothing else.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import override_settings
from django.test.utils import setup_databases, teardown_databases
from pytest_django.live_server_helper import LiveServer

from servicechain import demo
from servicechain.insights.models import TurnoverCost
from servicechain.org import services
from servicechain.org.models import Membership, Unit

pytestmark = pytest.mark.e2e

SEEDERS = ["servicechain.surveys.seed", "servicechain.insights.seed"]


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        created = None
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})
        saved = list(demo.DEMO_SEEDERS)
        demo.DEMO_SEEDERS[:] = SEEDERS
        try:
            with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=60):
                organization = demo.seed_demo(size="small", seed=7)
        finally:
            demo.DEMO_SEEDERS[:] = saved
        server = LiveServer("localhost")
        try:
            yield server.url, organization
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                teardown_databases(created, verbosity=0)


def log_in(page, url: str, role: str) -> None:
    account = next(login for login in demo.DEMO_LOGINS if login.role == role)
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/o/**")


def chart_ready(page, chart_id: str) -> None:
    page.locator(f"#{chart_id}[data-chart-ready]").wait_for(timeout=30_000)
    assert page.locator(f"#{chart_id} svg.marks").count() == 1


def money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", text))


def no_serious_accessibility_problems(page) -> None:
    results = Axe().run(page)
    serious = [
        v["id"]
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert serious == [], serious


def test_hr_opens_retention_changes_a_cost_and_sees_the_saving_update(page, site, artifacts_dir):
    url, organization = site
    log_in(page, url, "hr_analyst")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Retention").click()
    page.get_by_role("heading", name=re.compile("Turnover and retention")).wait_for()
    headline = page.get_by_test_id("turnover-rate")
    assert re.search(r"\d+\.\d% to \d+\.\d%", headline.inner_text()), headline.inner_text()
    assert "no individual risk score" in page.get_by_test_id("no-individual-scores").inner_text()
    chart_ready(page, "turnover-monthly-chart")
    chart_ready(page, "retention-curves-chart")
    assert "Log-rank test" in page.get_by_test_id("log-rank").inner_text()
    assert "answered" in page.get_by_test_id("exit-survey").inner_text()
    no_serious_accessibility_problems(page)
    page.screenshot(path=str(artifacts_dir / "retention-overview.png"), full_page=True)

    page.get_by_role("link", name="Cost calculator").click()
    page.get_by_role("heading", name=re.compile("Turnover cost calculator")).wait_for()
    page.wait_for_load_state()  # htmx listens to the inputs only once the page has loaded
    saving = page.get_by_test_id("saving")
    frontline = page.get_by_test_id("replacement-frontline")
    before_saving, before_total = money(saving.inner_text()), money(frontline.inner_text())
    recruiting = page.get_by_label("Recruiting, frontline")
    assert recruiting.input_value() == "1500"
    recruiting.fill("4500")
    # The results follow the typed figure without a reload (nothing is saved yet).
    page.wait_for_function(
        "([id, old]) => document.querySelector(`[data-testid='${id}']`).innerText.replace(/[^0-9.]/g, '') !== old",
        arg=["saving", str(before_saving)],
        timeout=20_000,
    )
    after_saving = money(page.get_by_test_id("saving").inner_text())
    assert money(page.get_by_test_id("replacement-frontline").inner_text()) == before_total + 3000
    assert after_saving > before_saving
    assert not TurnoverCost.objects.filter(organization=organization).exists()
    page.screenshot(path=str(artifacts_dir / "retention-costs-what-if.png"), full_page=True)

    page.get_by_role("button", name="Save these costs").click()
    page.get_by_text("Turnover cost inputs saved.").wait_for()
    page.reload()
    assert page.get_by_label("Recruiting, frontline").input_value() == "4500.00"
    assert money(page.get_by_test_id("saving").inner_text()) == after_saving
    assert "(default)" not in page.locator("#cost-inputs th", has_text="Frontline").inner_text()
    no_serious_accessibility_problems(page)


def test_a_manager_sees_their_areas_flight_risk_and_cannot_save_costs(page, site, artifacts_dir):
    url, organization = site
    log_in(page, url, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Retention").click()
    page.get_by_role("link", name="Flight risk by unit").click()
    page.get_by_role("heading", name=re.compile("Flight risk by unit")).wait_for()
    table = page.locator("#flight-risk")
    if table.count():
        assert "(all)" in table.inner_text()
        assert "Withheld" in table.inner_text() or page.locator("#flight-risk-chart").count()
    else:  # too little history in the manager's area: the page says so in words
        assert "Not enough" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts_dir / "retention-flight-risk.png"), full_page=True)

    page.get_by_role("link", name="What goes with leaving").click()
    page.get_by_role("heading", name="What goes with leaving").wait_for()
    page.screenshot(path=str(artifacts_dir / "retention-drivers.png"), full_page=True)

    page.get_by_role("link", name="Cost calculator").click()
    assert page.get_by_role("button", name="Save these costs").count() == 0
    page.get_by_label("Training, manager").fill("3000")
    page.get_by_role("button", name="Show the effect").click()
    page.wait_for_url(re.compile(r"manager-training=3000"))
    assert page.get_by_label("Training, manager").input_value() == "3000"


LEFTOVERS = re.compile(r"\{\{|\{%|%\}|\}\}|\bNone\b|\bnan\b|NaN|undefined")


def test_a_manager_of_another_area_reads_only_their_area(page, site, artifacts_dir):
    """Not the demo's main manager: the manager of another area sees their area's units in
    tables and charts, never a unit outside it, no template text, and a withheld total
    explained, not called small; the flight-risk page shows how the forecast fared."""
    url, organization = site
    main_area = Membership.objects.get(organization=organization, user__username="manager").unit
    area = (
        Unit.objects.filter(
            organization=organization, depth=main_area.depth, children__isnull=False
        )
        .exclude(pk=main_area.pk)
        .order_by("path")
        .first()
    )
    user = services.user_create(username="manager-elsewhere", password="another-area-pass")
    services.membership_grant(user=user, organization=organization, role="manager", unit=area)
    mine = set(Unit.objects.subtree(area).values_list("pk", flat=True))

    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("manager-elsewhere")
    page.get_by_label("Password").fill("another-area-pass")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/o/**")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Retention").click()
    page.get_by_role("heading", name=f"Turnover and retention — {area.name}").wait_for()
    main = page.locator("main").inner_text()
    assert not LEFTOVERS.search(main), LEFTOVERS.search(main)
    rows = page.locator("#turnover-units tr[data-unit]")
    shown = {int(rows.nth(i).get_attribute("data-unit")) for i in range(rows.count())}
    assert area.pk in shown and shown <= mine
    headline = page.get_by_test_id("turnover-rate").inner_text()
    assert re.search(r"\d+\.\d%", headline) or "would reveal a smaller group" in headline
    chart_ready(page, "turnover-units-chart")
    page.screenshot(path=str(artifacts_dir / "retention-other-area.png"), full_page=True)

    page.get_by_role("link", name="Flight risk by unit").click()
    page.get_by_role("heading", name=f"Flight risk by unit — {area.name}").wait_for()
    assert not LEFTOVERS.search(page.locator("main").inner_text())
    chart_ready(page, "flight-risk-chart")
    fared = page.get_by_test_id("back-test").inner_text()
    assert "would have made on" in fared and "ended inside their 95% interval" in fared, fared
    page.screenshot(path=str(artifacts_dir / "retention-other-area-flight.png"), full_page=True)

    outside = page.goto(f"{url}/o/{organization.slug}/insights/retention/?unit={main_area.pk}")
    assert outside.status == 404
