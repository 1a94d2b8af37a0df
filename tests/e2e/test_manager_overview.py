"""In a real Chromium: the demo manager logs in and sees only their own units."""

import pytest

from servicechain import demo
from servicechain.org.access import scope_for
from servicechain.org.models import Unit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_demo_manager_sees_only_the_managers_units(page, live_server, artifacts_dir):
    organization = demo.seed_demo(size="small", seed=7)
    manager = next(login for login in demo.DEMO_LOGINS if login.role == "manager")
    from django.contrib.auth import get_user_model

    scope = scope_for(get_user_model().objects.get(username=manager.username), organization.slug)
    mine = set(scope.units().values_list("name", flat=True))
    others = set(
        Unit.objects.filter(organization=organization)
        .exclude(name__in=mine)
        .values_list("name", flat=True)
    )
    assert mine and others, "the demo manager must see some units and not others"

    login(page, live_server, manager.username, manager.password)

    page.wait_for_url(f"**/o/{organization.slug}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
    page.wait_for_url(f"**/o/{organization.slug}/overview/")
    page.locator("#headcount-chart[data-chart-ready]").wait_for(timeout=20_000)
    page.get_by_text("Headcount as a table").click()
    shown = set(page.locator("#headcount-table tbody td:first-child").all_inner_texts())
    assert {name.strip() for name in shown} == mine
    assert page.locator("#headcount-chart svg.marks").count() == 1
    page.screenshot(path=str(artifacts_dir / "manager-overview.png"), full_page=True)
