"""In a real Chromium: a respondent opens their link, answers, reloads, submits once."""

import pytest
from django.core import mail

from servicechain.surveys import services
from servicechain.surveys.models import Draft, Invitation, Response
from tests.surveys.helpers import LINK, build_org, open_wave

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def choose(page, code, value):
    page.locator(f"label[for='in-{code}-{value}']").click()


def test_respondent_answers_with_autosave_and_submits_exactly_once(
    page, live_server, artifacts_dir
):
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    mail.outbox.clear()
    services.invitation_send(wave=wave)
    token = LINK.search(mail.outbox[0].body).group(1)
    url = f"{live_server.url}/s/{token}/"

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == wave.name
    page.get_by_role("group", name="1. I feel proud to work for this organisation.").wait_for()
    choose(page, "ENG1", 4)
    choose(page, "ENG2", 2)
    page.locator("#in-ENG4-1").focus()
    page.keyboard.press("ArrowRight")  # answering by keyboard: the arrow moves the choice to 2
    choose(page, "ENPS1", 9)
    page.get_by_label("Is there anything else you would like to tell us").fill(
        "More rota notice, please."
    )
    page.locator("#save-status").filter(has_text="5 of").wait_for(timeout=10_000)
    assert Draft.objects.count() == 1

    page.reload()
    assert page.locator("#in-ENG1-4").is_checked() and page.locator("#in-ENG2-2").is_checked()
    assert page.locator("#in-ENPS1-9").is_checked() and page.locator("#in-ENG4-2").is_checked()
    assert page.locator("#in-COMMENT").input_value() == "More rota notice, please."

    second_tab = page.context.new_page()  # the same form left open in another tab
    second_tab.goto(url)

    choose(page, "ENG3", 5)
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    page.screenshot(path=str(artifacts_dir / "survey-respondent-thanks.png"), full_page=True)

    second_tab.get_by_role("button", name="Submit my answers").click()
    second_tab.get_by_role("heading", name="You have already answered this survey").wait_for()
    page.goto(url)
    page.get_by_role("heading", name="You have already answered this survey").wait_for()

    assert Response.objects.filter(wave=wave).count() == 1
    stored = Response.objects.get(wave=wave)
    assert stored.answers == {
        "ENG1": 4,
        "ENG2": 2,
        "ENG3": 5,
        "ENG4": 2,
        "ENPS1": 9,
        "COMMENT": "More rota notice, please.",
    }
    assert Invitation.objects.filter(wave=wave, responded=True).count() == 1
    assert Draft.objects.count() == 0
