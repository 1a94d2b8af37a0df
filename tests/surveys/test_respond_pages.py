"""The respondent's pages at /s/<token>/: no login, one clear page per outcome."""

import pytest

from servicechain.surveys import services
from servicechain.surveys.models import Draft, Response
from tests.surveys.helpers import PULSE_ANSWERS, build_org, open_wave, send_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def link():
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    return wave, send_links(wave)[0]


def test_link_opens_an_accessible_form_without_login(client, link):
    wave, token = link
    response = client.get(f"/s/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert wave.name in page and "confidential" in page
    assert page.count("<fieldset") == page.count("<legend")  # every radio group has a legend
    assert '<label class="option" for="in-ENG1-5"' in page and 'for="in-COMMENT"' in page
    assert (
        response["Cache-Control"].startswith("max-age=0")
        and response["Referrer-Policy"] == "same-origin"
    )


def test_unknown_links_all_get_the_same_404_page(client, link):
    wave, token = link
    pages = [
        client.get(f"/s/{t}/")
        for t in ("A" * 43, "nope-" * 9, token[:-1] + ("x" if token[-1] != "x" else "y"))
    ]
    assert {p.status_code for p in pages} == {404}
    assert len({p.content for p in pages}) == 1
    assert wave.name.encode() not in pages[0].content


def test_submitting_the_form_records_one_response_and_redirects_to_thanks(client, link):
    wave, token = link
    response = client.post(f"/s/{token}/", PULSE_ANSWERS)
    assert response.status_code == 302 and response.url == f"/s/{token}/thanks"
    assert "Thank you" in client.get(response.url).content.decode()
    assert Response.objects.filter(wave=wave).count() == 1


def test_resubmitting_or_reloading_never_creates_a_second_response(client, link):
    wave, token = link
    client.post(f"/s/{token}/", PULSE_ANSWERS)
    again = client.post(f"/s/{token}/", PULSE_ANSWERS)
    reload = client.get(f"/s/{token}/")
    assert again.status_code == 200 and "already answered" in again.content.decode()
    assert "already answered" in reload.content.decode()
    assert Response.objects.filter(wave=wave).count() == 1


def test_out_of_range_answer_re_renders_the_form_naming_the_question(client, link):
    wave, token = link
    response = client.post(f"/s/{token}/", {**PULSE_ANSWERS, "ENG3": "9"})
    page = response.content.decode()
    assert response.status_code == 422
    assert 'href="#q-ENG3"' in page and "out of range" in page
    assert 'value="4" checked' in page  # the other answers are kept
    assert not Response.objects.exists()


def test_closed_wave_gets_a_410_page(client, link):
    wave, token = link
    services.wave_close(wave=wave)
    response = client.get(f"/s/{token}/")
    assert response.status_code == 410 and "closed" in response.content.decode()
    assert client.post(f"/s/{token}/", PULSE_ANSWERS).status_code == 410


def test_autosave_stores_a_draft_that_prefills_the_form(client, link):
    wave, token = link
    saved = client.post(
        f"/s/{token}/draft", {"ENG1": "2", "COMMENT": "so far"}, HTTP_HX_REQUEST="true"
    )
    assert saved.status_code == 200 and "2 of 22 answered" in saved.content.decode()
    page = client.get(f"/s/{token}/").content.decode()
    assert 'id="in-ENG1-2" name="ENG1" value="2" checked' in page and "so far</textarea>" in page
    assert Draft.objects.count() == 1


def test_autosave_reports_a_bad_value_instead_of_saving_it(client, link):
    wave, token = link
    saved = client.post(f"/s/{token}/draft", {"ENG1": "7"})
    assert "Not saved" in saved.content.decode() and not Draft.objects.exists()


def test_thanks_page_of_an_unanswered_link_goes_back_to_the_form(client, link):
    wave, token = link
    response = client.get(f"/s/{token}/thanks")
    assert response.status_code == 302 and response.url == f"/s/{token}/"


def test_autosave_after_the_wave_closed_answers_with_a_status_line_and_410(client, link):
    wave, token = link
    services.wave_close(wave=wave)
    saved = client.post(f"/s/{token}/draft", {"ENG1": "2"})
    assert saved.status_code == 410 and "Not saved: The survey" in saved.content.decode()
    assert "<html" not in saved.content.decode()
