"""Survey authoring as HR meets it: opening a wave never moves its planned start silently,
a survey can be previewed as respondents see it, the wave form offers what fits and says how
many people the audience holds, messages show once, and no internal slug reaches the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from servicechain.org.models import AuditEvent
from servicechain.surveys import services
from servicechain.surveys.models import Draft, Invitation, Response, Wave
from servicechain.surveys.tasks import reminders_run
from tests.factories import member
from tests.surveys.helpers import build_org, pulse_instrument

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org, units = build_org()
    hr = member(org, "hr_analyst", username="hr")
    return org, units, hr


def planned_wave(org, units, *, starts_in=dt.timedelta(days=2), name="Spring pulse"):
    start = (timezone.now() + starts_in).replace(second=0, microsecond=0)
    return services.wave_create(
        organization=org,
        instrument=pulse_instrument(org, name=f"{name} questions"),
        name=name,
        audience_unit=units["north"],
        opens_at=start,
        closes_at=start + dt.timedelta(days=14),
    )


def page(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


# ----------------------------------------------------------------------- opening explicitly


def test_opening_a_wave_planned_for_later_never_moves_its_start_silently(world):
    org, units, _ = world
    wave = planned_wave(org, units)
    planned = wave.opens_at

    with pytest.raises(ValidationError, match="planned to open on"):
        services.wave_open(wave=wave)

    wave.refresh_from_db()
    assert wave.status == Wave.Status.DRAFT and wave.opens_at == planned


def test_the_page_offers_open_now_instead_or_keep_the_planned_start(world, client):
    org, units, hr = world
    wave = planned_wave(org, units)
    html = page(client, hr, f"/o/acme/surveys/waves/{wave.pk}/").content.decode()
    assert "Open now (instead of" in html
    assert "Keep the planned start" in html
    assert "Open the wave</button>" not in html


def test_open_now_instead_of_the_planned_start_opens_it_now_and_records_both(world, client):
    org, units, hr = world
    wave = planned_wave(org, units)
    planned = wave.opens_at
    client.force_login(hr)

    client.post(f"/o/acme/surveys/waves/{wave.pk}/open", {"early": "1"})

    wave.refresh_from_db()
    assert wave.status == Wave.Status.OPEN
    assert wave.opens_at < planned and timezone.now() - wave.opens_at < dt.timedelta(minutes=1)
    event = AuditEvent.objects.filter(action="survey.wave.open").latest("pk")
    assert event.detail["planned_start"] == planned.isoformat()


def test_a_plain_open_of_a_later_wave_is_refused_with_its_planned_start(world, client):
    org, units, hr = world
    wave = planned_wave(org, units)
    client.force_login(hr)
    response = client.post(f"/o/acme/surveys/waves/{wave.pk}/open", follow=True)
    assert "is planned to open on" in response.content.decode()
    wave.refresh_from_db()
    assert wave.status == Wave.Status.DRAFT


def test_keeping_the_planned_start_opens_the_wave_then_from_the_reminder_run(world, client):
    org, units, hr = world
    wave = planned_wave(org, units)
    planned = wave.opens_at
    client.force_login(hr)
    client.post(f"/o/acme/surveys/waves/{wave.pk}/schedule")
    wave.refresh_from_db()
    assert wave.opens_automatically and wave.status == Wave.Status.DRAFT

    assert reminders_run()["opened"] == []  # not yet
    with time_machine.travel(planned + dt.timedelta(minutes=5), tick=False):
        outcome = reminders_run()

    wave.refresh_from_db()
    assert outcome["opened"] == [wave.name]
    assert wave.status == Wave.Status.OPEN and wave.opens_at == planned


def test_a_wave_whose_start_has_passed_opens_with_one_button(world, client):
    org, units, hr = world
    wave = planned_wave(org, units, starts_in=-dt.timedelta(hours=1))
    html = page(client, hr, f"/o/acme/surveys/waves/{wave.pk}/").content.decode()
    assert "Open the wave</button>" in html and "instead of" not in html
    client.post(f"/o/acme/surveys/waves/{wave.pk}/open")
    wave.refresh_from_db()
    assert wave.status == Wave.Status.OPEN


# ----------------------------------------------------------------------- preview


@pytest.mark.parametrize("where", ["instrument", "wave"])
def test_hr_previews_the_survey_as_respondents_see_it_and_nothing_is_stored(world, client, where):
    org, units, hr = world
    wave = planned_wave(org, units)
    url = (
        f"/o/acme/surveys/instruments/{wave.instrument.pk}/preview"
        if where == "instrument"
        else f"/o/acme/surveys/waves/{wave.pk}/preview"
    )
    detail = page(client, hr, url.removesuffix("preview")).content.decode()
    assert f'href="{url}"' in detail, "the instrument and wave pages link to the preview"

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "I feel proud to work for this organisation." in html
    assert "results are only ever shown for groups of at least 5 people" in html
    radios = re.findall(r"<input type=\"radio\"[^>]*>", html)
    assert radios and all(" disabled" in radio for radio in radios)
    assert "/s/" not in html and "hx-post" not in html
    assert not Draft.objects.exists() and not Invitation.objects.exists()
    assert not Response.objects.exists()


def test_an_employee_cannot_open_the_preview(world, client):
    org, units, _ = world
    wave = planned_wave(org, units)
    employee = member(org, "employee", units["north_a"])
    response = page(client, employee, f"/o/acme/surveys/waves/{wave.pk}/preview")
    assert response.status_code == 403


# ----------------------------------------------------------------------- instrument pages


def test_adding_an_item_says_so_once(world, client):
    org, _, hr = world
    instrument = pulse_instrument(org, name="Own")
    client.force_login(hr)
    response = client.post(
        f"/o/acme/surveys/instruments/{instrument.pk}/items/new",
        {"code": "SAFE1", "scale": "safety", "text": "I feel safe at work.", "type": "likert5"},
        follow=True,
    )
    assert response.content.decode().count("SAFE1 was created and added.") == 1


def test_templates_are_named_as_people_read_them(world, client):
    org, _, hr = world
    pulse_instrument(org, name="Our pulse")
    html = page(client, hr, "/o/acme/surveys/instruments/").content.decode()
    assert "Engagement pulse" in html and "Engagement census" in html
    assert "engagement_pulse" not in re.sub(r'value="[^"]*"', "", html)


# ----------------------------------------------------------------------- the wave form


def test_the_wave_form_fits_a_census_has_dates_and_audience_sizes(world, client):
    _, units, hr = world
    with time_machine.travel(dt.datetime(2026, 12, 7, 1, 30, tzinfo=dt.UTC), tick=False):
        html = page(client, hr, "/o/acme/surveys/waves/new/").content.decode()
    assert re.search(r'<div data-field="sample_fraction" hidden>', html)
    assert 'value="2026-12-08T09:00"' in html and 'value="2026-12-22T17:00"' in html
    assert re.search(r"North — 9 people</option>", html)
    assert re.search(r"Acme — 16 people</option>", html)


def test_a_census_ignores_a_sample_fraction_left_in_the_form(world, client):
    org, units, hr = world
    instrument = pulse_instrument(org, name="Census questions")
    client.force_login(hr)
    client.post(
        "/o/acme/surveys/waves/new/",
        {
            "name": "Census",
            "instrument": instrument.pk,
            "kind": "census",
            "audience_unit": units["root"].pk,
            "opens_at": "2030-01-08T09:00",
            "closes_at": "2030-01-22T17:00",
            "sample_fraction": "0.3",
            "cadence": "none",
            "reminder_after_days": "3",
        },
    )
    wave = Wave.objects.get(name="Census")
    assert wave.sample_fraction == 1.0
    assert wave.opens_at == dt.datetime(2030, 1, 8, 9, 0, tzinfo=dt.UTC)


def test_the_wave_page_says_how_many_people_the_audience_holds(world, client):
    org, units, hr = world
    wave = planned_wave(org, units)
    html = page(client, hr, f"/o/acme/surveys/waves/{wave.pk}/").content.decode()
    assert re.search(r'data-testid="audience-size">9 people employed there today', html)


def test_psychometrics_of_single_item_scales_explains_why_there_is_no_estimate(world, client):
    org, units, hr = world
    instrument = services.instrument_create(
        organization=org,
        name="After contact",
        population="customer",
        template="customer_transactional",
    )
    now = timezone.now()
    wave = services.wave_create(
        organization=org,
        instrument=instrument,
        name="Customer survey",
        kind=Wave.Kind.CUSTOMER,
        audience_unit=units["root"],
        opens_at=now - dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=10),
    )
    services.wave_open(wave=wave)
    services.wave_close(wave=wave)
    html = page(client, hr, f"/o/acme/surveys/waves/{wave.pk}/psychometrics/").content.decode()
    assert "a single-item scale has no such estimate" in html
    assert '<table id="reliability">' not in html


def test_the_api_opens_a_later_wave_only_when_asked_to_open_it_early(world, client):
    org, units, hr = world
    wave = planned_wave(org, units)
    client.force_login(hr)

    refused = client.post(f"/api/orgs/acme/waves/{wave.pk}/open")
    opened = client.post(f"/api/orgs/acme/waves/{wave.pk}/open?early=true")

    assert refused.status_code == 422 and "planned to open on" in refused.json()["detail"]
    assert opened.status_code == 200 and opened.json()["status"] == "open"


def test_the_instrument_page_names_scales_and_answer_types_in_words(world, client):
    org, _, hr = world
    instrument = pulse_instrument(org, name="Worded")
    html = page(client, hr, f"/o/acme/surveys/instruments/{instrument.pk}/").content.decode()
    assert "<td>Agreement, 1–5</td>" in html and "<td>Likelihood to recommend, 0–10</td>" in html
    assert "<td>likert5</td>" not in html and "<td>engagement</td>" not in html
    assert '<option value="likert5">Agreement, 1–5</option>' in html
