"""In a real Chromium: agents move their lunch to the pie van (10:00-12:00), or swap it.

The day (see tests/contactcentre/helpers.py) is tight from 10:00 to 11:00 and has room
from 11:00 to 12:00. Moving a lunch to 11:00 keeps every interval at or above target and is
approved at once; moving it to 10:00 would take service to 60 % and goes to the team lead,
who approves it after seeing the cost. Two agents swap lunches once the colleague agrees.

The server's clock is fixed (time-machine, ticking from a set moment) so what the pages
offer does not depend on the time of day the tests run at; ``SERVICECHAIN_TEST_CLOCK``
(an ISO datetime) moves that moment, to show the tests pass at any hour.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine

from servicechain.contactcentre import seed, selectors
from servicechain.contactcentre.models import MoveRequest, Team
from tests.contactcentre.helpers import (
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    publish_day,
)
from tests.contactcentre.test_seed import seeded_centre

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-word-123"  # tests.factories.UserFactory
CLOCK = os.environ.get("SERVICECHAIN_TEST_CLOCK") or "2026-12-07T09:30:00"


@pytest.fixture(autouse=True)
def fixed_clock():
    """The server's clock starts at ``CLOCK`` (London) and ticks from there."""
    moment = dt.datetime.fromisoformat(CLOCK)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(moment, tick=True):
        yield moment


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def tomorrows_van_day(colleagues=None):
    """The hand-made day published for tomorrow (so no interval has started yet); alex's
    lunch is at 12:00, then the colleagues' at 12:00, 12:30, 12:30, 13:00 and 13:00."""
    team = make_centre()
    user, me = agent_login(team, "alex")
    colleagues = colleagues(team) if colleagues else [make_agent(team) for _ in range(5)]
    day = selectors.local_today(team) + dt.timedelta(days=1)
    publish_day(team, [me, *colleagues], day=day)
    return team, day


def open_my_day(page, live_server, team, day, username="alex"):
    login(page, live_server, username)
    page.wait_for_url(f"**/o/{team.organization.slug}/")
    page.goto(f"{live_server.url}/o/{team.organization.slug}/contact-centre/me/")
    page.get_by_role("link", name=day.strftime("%a %-d %b")).click()
    # Today's page has the same heading, and htmx binds the move forms only once the page
    # has loaded: wait for the day's own page to finish loading before choosing a time,
    # or the change can fire before anything listens to it (seen in CI under load).
    page.wait_for_url(f"**day={day.isoformat()}", wait_until="load")
    page.get_by_role("heading", name="My plan").wait_for()


def test_lunch_moved_into_the_van_window_with_room_is_approved_at_once(
    page, live_server, artifacts_dir
):
    team, day = tomorrows_van_day()
    open_my_day(page, live_server, team, day)

    page.get_by_label("Lunch now 12:00–12:30: new time").select_option(label_like(page, "11:00"))

    preview = page.locator("#move-preview")
    preview.wait_for()
    assert preview.get_attribute("data-verdict") == "auto_approve"
    assert "Approved automatically" in preview.inner_text()
    rows = page.locator("#preview-table tbody tr").all_inner_texts()
    assert any(row.startswith("11:00") and "86%" in row for row in rows), rows
    page.screenshot(
        path=str(artifacts_dir / "contactcentre-lunch-preview-auto.png"), full_page=True
    )

    page.get_by_role("button", name="Confirm the move").click()

    page.get_by_text("Done: your plan is updated").wait_for()
    assert "11:00–11:30" in page.locator("#my-plan").inner_text()
    assert page.get_by_test_id("request-status").first.inner_text() == "Approved automatically"
    assert MoveRequest.objects.get().status == MoveRequest.Status.AUTO_APPROVED
    page.screenshot(path=str(artifacts_dir / "contactcentre-lunch-approved.png"), full_page=True)


def test_lunch_moved_into_the_busy_van_hour_goes_to_the_lead_who_approves(
    page, live_server, artifacts_dir, browser
):
    team, day = tomorrows_van_day()
    lead_login(team, "lee")
    open_my_day(page, live_server, team, day)

    page.get_by_label("Lunch now 12:00–12:30: new time").select_option(label_like(page, "10:00"))

    preview = page.locator("#move-preview")
    preview.wait_for()
    assert preview.get_attribute("data-verdict") == "needs_lead"
    assert "Goes to your team lead" in preview.inner_text()
    rows = page.locator("#preview-table tbody tr").all_inner_texts()
    assert any(row.startswith("10:00") and "82% → 60%" in row for row in rows), rows
    suggestions = page.locator("#suggestions li").all_inner_texts()
    assert suggestions and all("keeps service on target" in s for s in suggestions)
    page.screenshot(
        path=str(artifacts_dir / "contactcentre-lunch-preview-lead.png"), full_page=True
    )

    page.get_by_role("button", name="Send to my team lead").click()
    page.get_by_text("Sent to your team lead").wait_for()
    assert page.get_by_test_id("request-status").first.inner_text() == "Waiting for team lead"
    assert "12:00–12:30" in page.locator("#my-plan").inner_text(), "unchanged until decided"

    lead = browser.new_context().new_page()
    login(lead, live_server, "lee")
    lead.wait_for_url(f"**/o/{team.organization.slug}/")
    lead.goto(
        f"{live_server.url}/o/{team.organization.slug}/contact-centre/teams/inbound/requests/"
    )
    request = lead.locator("section[data-request]")
    assert "2 intervals below target" in request.inner_text()
    assert "lowest projected level 60%" in request.inner_text()
    lead.screenshot(path=str(artifacts_dir / "contactcentre-lead-requests.png"), full_page=True)
    lead.get_by_role("button", name="Approve").click()
    lead.locator("#no-pending").wait_for()
    assert MoveRequest.objects.get().status == MoveRequest.Status.APPROVED

    lead.goto(
        f"{live_server.url}/o/{team.organization.slug}/contact-centre/teams/inbound/"
        f"?day={day:%Y-%m-%d}"
    )
    lead.locator("#service-level-chart[data-chart-ready]").wait_for(timeout=20_000)
    assert lead.get_by_test_id("intervals-below").inner_text() == "2"
    lead.screenshot(path=str(artifacts_dir / "contactcentre-team-day.png"), full_page=True)

    page.reload()
    assert "10:00–10:30" in page.locator("#my-plan").inner_text()
    assert page.get_by_test_id("request-status").first.inner_text() == "Approved by team lead"


def test_agent_swaps_lunch_with_a_colleague_who_agrees(page, live_server, artifacts_dir, browser):
    sam = {}

    def colleagues(team):
        others = [make_agent(team) for _ in range(3)]
        sam["user"], sam["agent"] = agent_login(team, "sam")
        return [*others, sam["agent"], make_agent(team)]  # sam's lunch: 13:00

    team, day = tomorrows_van_day(colleagues)
    open_my_day(page, live_server, team, day)

    swap = page.get_by_label("Or swap my lunch with")
    choice = swap.locator("option", has_text=f"{sam['agent']} — lunch at 13:00")
    swap.select_option(choice.get_attribute("value"))

    preview = page.locator("#move-preview")
    preview.wait_for()
    assert f"{sam['agent']} is asked first" in preview.inner_text()
    assert "at 13:00 and give them yours at 12:00" in preview.inner_text()
    page.get_by_role("button", name=f"Ask {sam['agent']}").click()
    page.get_by_text(f"Asked {sam['agent']} to swap lunches").wait_for()
    assert page.get_by_test_id("request-status").first.inner_text() == "Waiting for colleague"
    assert "12:00–12:30" in page.locator("#my-plan").inner_text(), "nothing moves before a yes"

    colleague = browser.new_context().new_page()
    open_my_day(colleague, live_server, team, day, username="sam")
    asked = colleague.get_by_role("region", name="Colleagues asking to swap lunches with you")
    assert "would take your lunch at 13:00 and give you theirs at 12:00" in asked.inner_text()
    colleague.get_by_role("button", name="Agree").click()
    colleague.get_by_text("Swap approved automatically").wait_for()
    colleague.screenshot(path=str(artifacts_dir / "contactcentre-swap-agreed.png"), full_page=True)

    colleague.reload()
    assert "12:00–12:30" in colleague.locator("#my-plan").inner_text()
    page.reload()
    assert "13:00–13:30" in page.locator("#my-plan").inner_text()
    assert page.get_by_test_id("request-status").first.inner_text() == "Approved automatically"
    assert MoveRequest.objects.get().status == MoveRequest.Status.AUTO_APPROVED


@pytest.mark.parametrize("locale", ["en-US", "en-GB"])
def test_wish_times_show_and_save_on_the_24_hour_clock_in_any_browser_locale(
    live_server, browser, locale
):
    team, day = tomorrows_van_day()
    page = browser.new_context(locale=locale).new_page()
    open_my_day(page, live_server, team, day)
    assert page.locator("input[type=time]").count() == 0

    page.get_by_label("Preferred lunch from").select_option("13:30")
    page.get_by_label("Preferred lunch until").select_option("14:15")
    page.get_by_role("button", name="Save my wishes").click()
    page.get_by_text("Your wishes are saved").wait_for()
    page.reload()

    shown = "s => s.options[s.selectedIndex].text"
    assert page.get_by_label("Preferred lunch from").evaluate(shown) == "13:30"
    assert page.get_by_label("Preferred lunch until").evaluate(shown) == "14:15"
    assert page.get_by_label("Preferred shift start").evaluate(shown) == "none"


def test_readme_tour_the_demo_agent_moves_lunch_into_the_pie_van(
    page, live_server, monkeypatch, fixed_clock, artifacts_dir
):
    """README step 6, as the demo's own agent: lunch is outside the van's 10:00-12:00, a
    van time is offered (today's plan, or tomorrow's once the van's window is nearly over),
    and the move is previewed, sent and shown after a reload."""
    unit = seeded_centre(monkeypatch, today=fixed_clock.date())
    team = Team.objects.get(centre__unit=unit)
    day = seed.tour_day(team, selectors.local_today(team))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("demo-agent-pass")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/o/{team.organization.slug}/**")
    page.goto(f"{live_server.url}/o/{team.organization.slug}/contact-centre/me/")
    if day != selectors.local_today(team):
        page.get_by_role("link", name=f"{day:%a %-d %b}").click()
        page.wait_for_url(f"**day={day.isoformat()}", wait_until="load")  # see open_my_day
    page.get_by_role("heading", name="My plan").wait_for()

    lunch = page.locator("#my-plan li[data-kind=lunch] .when").inner_text()
    assert not "10:00" <= lunch[:5] < "12:00", f"lunch already at the van: {lunch}"
    picker = page.get_by_label(f"Lunch now {lunch}: new time")
    van = [
        option.get_attribute("value")
        for option in picker.locator("option").all()
        if "10:00" <= option.inner_text()[:5] < "12:00"
    ]
    assert van, "the picker offers a time while the van is outside"
    picker.select_option(van[0])
    preview = page.locator("#move-preview")
    preview.wait_for()
    verdict = preview.get_attribute("data-verdict")
    assert verdict in ("auto_approve", "needs_lead")
    page.locator("#confirm-move").click()
    page.get_by_text(
        "Done: your plan is updated" if verdict == "auto_approve" else "Sent to your team lead"
    ).wait_for()
    page.screenshot(path=str(artifacts_dir / "contactcentre-demo-tour.png"), full_page=True)

    page.reload()
    expected = "Approved automatically" if verdict == "auto_approve" else "Waiting for team lead"
    assert page.get_by_test_id("request-status").first.inner_text() == expected


def label_like(page, clock: str) -> str:
    """The value of the lunch picker's option that starts at ``clock``."""
    return page.locator("#move-0 option", has_text=f"{clock}–").first.get_attribute("value")
