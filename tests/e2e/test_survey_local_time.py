"""The respondent's "Saved at" time is on their own clock, not the server's (UTC)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from servicechain.surveys import services
from tests.surveys.helpers import LINK, build_org, open_wave

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESPONDENT_ZONE = "Pacific/Auckland"  # 13 hours ahead of UTC in December, 12 in June


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "timezone_id": RESPONDENT_ZONE}


def test_saved_at_shows_the_respondents_local_time(page, live_server, settings):
    assert settings.TIME_ZONE == "UTC"
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    mail.outbox.clear()
    services.invitation_send(wave=wave)
    token = LINK.search(mail.outbox[0].body).group(1)

    page.goto(f"{live_server.url}/s/{token}/")
    page.locator("label[for='in-ENG1-4']").click()
    saved = page.locator("#save-status time")
    saved.wait_for(timeout=10_000)

    moment = dt.datetime.fromisoformat(saved.get_attribute("datetime"))
    local = moment.astimezone(ZoneInfo(RESPONDENT_ZONE)).strftime("%H:%M")
    server = moment.astimezone(dt.UTC).strftime("%H:%M")
    page.locator("#save-status").filter(has_text=f"Saved at {local}").wait_for()
    assert local != server
    assert f"Saved at {server}" not in page.locator("#save-status").inner_text()
