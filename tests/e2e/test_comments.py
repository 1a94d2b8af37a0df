"""In a real Chromium, on the demo: the HR analyst reads comments by theme and sentiment."""

from __future__ import annotations

import pytest

from servicechain import demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The contact-centre seeder is slow and nothing here needs it.
SEEDERS = ["servicechain.surveys.seed", "servicechain.insights.seed"]


@pytest.fixture
def organization(monkeypatch):
    monkeypatch.setattr(demo, "DEMO_SEEDERS", SEEDERS)
    return demo.seed_demo(size="small", seed=7)


def login(page, live_server, role: str) -> None:
    account = next(login for login in demo.DEMO_LOGINS if login.role == role)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/**")


def test_hr_reads_the_comments_of_one_theme_then_only_its_complaints(
    page, live_server, artifacts_dir, organization
):
    login(page, live_server, "hr_analyst")
    page.goto(f"{live_server.url}/o/{organization.slug}/insights/comments/")
    page.locator("#comment-themes-chart[data-chart-ready]").wait_for(timeout=20_000)
    assert page.locator("#comment-themes-chart svg.marks").count() == 1
    rows = page.locator("#comment-themes tbody tr")
    # A theme with some complaints among its comments (columns: comments, negative, …).
    row = next(
        rows.nth(k)
        for k in range(rows.count())
        if 0
        < int(rows.nth(k).locator("td").nth(1).inner_text())
        < int(rows.nth(k).locator("td").nth(0).inner_text())
    )
    name, code = row.get_by_role("link").inner_text(), row.get_attribute("data-theme")
    count = int(row.locator("td").nth(0).inner_text())
    negative = int(row.locator("td").nth(1).inner_text())
    page.screenshot(path=str(artifacts_dir / "insights-hr-comments-themes.png"), full_page=True)

    page.get_by_role("navigation", name="Themes").get_by_role("link", name=name).click()
    page.get_by_role("heading", name=f"{name} ({count})").wait_for()
    assert page.locator("#comments li").count() == count
    assert page.locator(f'#comments li:not([data-theme="{code}"])').count() == 0

    page.get_by_label("Sentiment", exact=True).select_option("negative")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name=f"{name} · negative ({negative})").wait_for()
    assert page.get_by_label("Theme", exact=True).input_value() == code
    badges = page.locator("#comments li .badge")
    assert badges.count() == negative and set(badges.all_inner_texts()) == {"negative"}
    page.screenshot(path=str(artifacts_dir / "insights-hr-comments-negative.png"), full_page=True)
