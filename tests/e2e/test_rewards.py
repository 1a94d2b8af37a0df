"""Rewards in a real Chromium, on one demo seeded for the whole module: an administrator
builds a monthly plan in the form (no code) and previews November's run; the second
administrator (payroll) cannot approve while a gaming flag waits, reviews it, approves and
locks the run, and downloads the payroll CSV; the demo employee opens their statement from
the home card, reads each line's reason, and reads why their pay changed between the two
locked quarters. The seeded runs are checked too.

The server's clock is fixed (time-machine, ticking from Monday 7 Dec 2026 09:00 in London).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.utils import teardown_databases
from pytest_django.live_server_helper import LiveServer

from servicechain import demo
from servicechain.contactcentre import seed as cc_seed
from servicechain.org.models import Employee
from servicechain.rewards import selectors
from servicechain.rewards.models import GamingFlag, PayoutLine, PayoutRun

from .test_homes_and_notifications import ensure_test_database

pytestmark = pytest.mark.e2e
CLOCK = dt.datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with time_machine.travel(CLOCK, tick=True), django_db_blocker.unblock():
        created = ensure_test_database()
        solve_work, cc_seed.SOLVE_WORK = cc_seed.SOLVE_WORK, 1.0
        try:
            with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=60):
                organization = demo.seed_demo(size="small", seed=7)
        finally:
            cc_seed.SOLVE_WORK = solve_work
        server = LiveServer("localhost")
        try:
            yield server.url, organization
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                connections.close_all()
                teardown_databases(created, verbosity=0)


def log_in(page, url: str, username: str) -> None:
    password = next(d.password for d in demo.all_logins() if d.username == username)
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/o/**")


def log_out(page, url: str) -> None:
    page.context.clear_cookies()


def test_the_demo_has_two_locked_quarters_an_open_preview_and_one_flagged_employee(site):
    _, organization = site
    runs = {r.label: r for r in PayoutRun.objects.filter(organization=organization)}
    assert runs["2026-Q2"].status == runs["2026-Q3"].status == PayoutRun.Status.LOCKED
    assert runs["2026-Q4"].status == PayoutRun.Status.PREVIEW
    assert runs["2026-Q3"].approved_by.username == "payroll"
    assert runs["2026-Q3"].created_by.username == "admin"
    flags = GamingFlag.objects.filter(run=runs["2026-Q4"])
    assert flags.count() == 1 and flags.get().kind == GamingFlag.Kind.ASKED_FOR_SCORE
    pool = runs["2026-Q3"].lines.filter(kind=PayoutLine.Kind.POOL)
    total = Decimal(pool.first().metrics["pool"])
    assert sum(line.amount.amount for line in pool) == total, "split to the cent"


def test_two_administrators_run_a_new_plan_and_the_employee_reads_why(page, site, artifacts_dir):
    url, organization = site
    base = f"{url}/o/{organization.slug}/rewards"

    # An administrator builds a plan in the form.
    log_in(page, url, "admin")
    page.goto(f"{base}/plans/")
    page.locator("#name").fill("November store NPS bonus")
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_label("Applies from (first day of a period; blank: this period)").fill("2026-11-01")
    page.get_by_label("Kind of unit").select_option("store")
    page.locator("#name_1").fill("Store NPS")
    page.locator("#metric_1").select_option("nps")
    page.locator("#scope_1").select_option("unit")
    page.locator("#min_responses_1").fill("5")
    page.locator("#baseline_months_1").fill("")
    page.locator("#tiers_1").fill("0:25, 30:60")
    page.locator("#cap_1").fill("50")
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_load_state()
    assert "Plan “November store NPS bonus” saved" in page.locator(".messages").inner_text()
    page.reload()
    row = page.locator("[data-plan='November store NPS bonus']")
    assert "v1 (1 Nov 2026)" in row.inner_text() and "Store NPS" in row.inner_text()

    # … and previews November's run: every line with its metric, thresholds, version, reason.
    page.goto(f"{base}/runs/")
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_label("Starting on").fill("2026-11-01")
    page.get_by_role("button", name="Preview run").click()
    page.wait_for_url(f"{base}/runs/*/")
    assert page.get_by_test_id("run-status").inner_text() == "Preview"
    run = PayoutRun.objects.get(organization=organization, period="month")
    line = run.lines.filter(kind=PayoutLine.Kind.COMPONENT, amount__gt=0).first()
    assert line is not None, "some store's NPS crossed a tier in November"
    lines = page.locator("#lines").inner_text()
    assert line.reason in lines and "November store NPS bonus: Store NPS" in lines
    assert (
        "You created or last recomputed this run; another administrator or HR analyst approves it."
        in (page.content())
    )
    page.screenshot(path=str(artifacts_dir / "rewards-preview.png"), full_page=True)
    log_out(page, url)

    # The second administrator cannot approve while a flag waits; reviews it; approves; locks.
    log_in(page, url, "payroll")
    page.goto(f"{base}/runs/{run.pk}/")
    flag = run.flags.get()
    page.get_by_role("button", name="Approve run").click()
    page.wait_for_load_state()
    assert "1 gaming flag waits for HR's review" in page.locator(".messages").inner_text()
    page.get_by_label("Note").fill("Spoke to them: the survey card said nothing wrong.")
    page.get_by_role("button", name=f"Mark reviewed ({flag.employee})").click()
    page.wait_for_load_state()
    assert "Reviewed by" in page.locator(f"[data-flag='{flag.pk}']").inner_text()
    page.get_by_role("button", name="Approve run").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("run-status").inner_text() == "Approved"
    page.get_by_role("button", name="Lock run").click()
    page.wait_for_load_state()
    page.reload()
    assert page.get_by_test_id("run-status").inner_text() == "Locked"

    # The file the link gives the signed-in administrator, fetched with the page's own
    # session. Not through Chromium's download manager: Playwright's `Download.path()` waits
    # for the file without any timeout, and one SQLite run under load hung there for good.
    link = page.get_by_role("link", name="Download payroll CSV")
    reply = page.request.get(urljoin(page.url, link.get_attribute("href")), timeout=30_000)
    assert reply.ok and "attachment" in reply.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(reply.text())))
    assert rows[0] == ["employee_id", "period", "component", "amount", "currency"]
    assert [
        line.employee.external_id,
        "2026-11",
        line.label,
        f"{line.amount.amount:.2f}",
        "GBP",
    ] in (rows)
    assert all(r[1] == "2026-11" and Decimal(r[3]) != 0 for r in rows[1:])
    log_out(page, url)

    # The employee opens the statement from the home card and reads why.
    employee = Employee.objects.get(user__username="employee")
    mine = selectors.statement(employee)
    log_in(page, url, "employee")
    page.get_by_test_id("statement-ready").click()
    page.wait_for_url(f"{base}/")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"Pay statement: {employee.first_name} {employee.last_name}, 2026-11"
    statement = page.locator("#statement-lines").inner_text()
    for own in mine["lines"]:
        assert own.reason in statement
    page.get_by_role("link", name="2026-Q3").click()
    page.wait_for_load_state()
    changes = page.locator("#changes").inner_text()
    assert "2026-Q2" in changes and "Store repeat business (improvement)" in changes
    q3 = selectors.statement(
        employee,
        PayoutRun.objects.get(
            organization=organization, period="quarter", period_start=dt.date(2026, 7, 1)
        ),
    )
    for change in q3["changes"]:
        assert change["why_now"] in changes and change["why_before"] in changes
    page.screenshot(path=str(artifacts_dir / "rewards-statement.png"), full_page=True)
