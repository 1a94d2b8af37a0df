"""In a real Chromium: HR plans a wave — the form asks for a sample only for a pulse, comes
with dates and audience sizes — keeps its planned start, previews it as employees will see it,
then opens it now instead; the planned start changes only by that choice."""

import re

import pytest

from servicechain.surveys.models import Wave
from tests.factories import member
from tests.surveys.helpers import build_org, pulse_instrument

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_hr_plans_previews_and_opens_a_wave_explicitly(page, live_server, artifacts_dir):
    org, units = build_org()
    pulse_instrument(org, name="Short pulse questions")
    member(org, "hr_analyst", username="hr")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("hr")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/**")

    page.goto(f"{live_server.url}/o/acme/surveys/waves/new/")
    fraction = page.locator("[data-field='sample_fraction']")
    assert not fraction.is_visible(), "a census asks for no sample"
    page.get_by_label("Kind").select_option("pulse")
    assert fraction.is_visible()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T09:00", page.get_by_label("Opens").input_value())
    audience = page.get_by_label("Audience (unit and below)")
    assert "Acme — 16 people" in audience.inner_text()
    page.get_by_label("Name").fill("Winter pulse")
    page.get_by_label("Instrument").select_option(label="Short pulse questions")
    assert "North — 9 people" in audience.inner_text()
    audience.select_option(str(units["north"].pk))
    page.get_by_label("Sample fraction").fill("0.5")
    page.screenshot(path=str(artifacts_dir / "survey-wave-form.png"), full_page=True)
    page.get_by_role("button", name="Plan the wave").click()

    page.get_by_role("heading", name=re.compile("Winter pulse")).wait_for()
    wave = Wave.objects.get(name="Winter pulse")
    planned = wave.opens_at
    assert page.get_by_test_id("audience-size").inner_text().startswith("9 people")
    page.get_by_role("button", name=re.compile(r"^Keep the planned start")).click()
    page.get_by_text("opens by itself then").first.wait_for()
    wave.refresh_from_db()
    assert wave.opens_automatically and wave.opens_at == planned

    page.get_by_role("link", name="Preview").click()
    page.get_by_role("group", name="1. I feel proud to work for this organisation.").wait_for()
    assert page.locator("input[type=radio]:not([disabled])").count() == 0
    page.screenshot(path=str(artifacts_dir / "survey-preview.png"), full_page=False)
    page.get_by_role("link", name="Back to Winter pulse").click()

    page.get_by_role("button", name=re.compile(r"^Open now \(instead of")).click()
    page.get_by_text("The wave is open.").wait_for()
    wave.refresh_from_db()
    assert wave.status == Wave.Status.OPEN and wave.opens_at < planned
    assert wave.sample_fraction == 0.5
