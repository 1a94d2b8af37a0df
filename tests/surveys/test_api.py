"""The surveys API: every endpoint's ownership rules, bad inputs and structured errors."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from servicechain.surveys import services
from servicechain.surveys.models import Response, Wave
from tests.factories import OrganizationFactory, make_unit, member
from tests.surveys.helpers import (
    LINK,
    PULSE_ANSWERS,
    add_responses,
    build_org,
    close_wave,
    open_wave,
    send_links,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org, units = build_org()
    wave = open_wave(org, units["root"])
    add_responses(wave, units["north_a"], 6, comment="fine")
    add_responses(wave, units["south_a"], 7)
    rival = OrganizationFactory(slug="rival")
    make_unit(rival, "Rival HQ", kind="organisation", external_id="rival-root")
    return org, units, wave


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


# --------------------------------------------------------------------------- ownership

STAFF_ONLY = [
    ("get", "/api/orgs/acme/items"),
    ("get", "/api/orgs/acme/instruments"),
    ("post", "/api/orgs/acme/waves/{wave}/close"),
    ("post", "/api/orgs/acme/waves/{wave}/invitations"),
    ("post", "/api/orgs/acme/waves/{wave}/reminders"),
    ("get", "/api/orgs/acme/waves/{wave}/invitations"),
    ("get", "/api/orgs/acme/waves/{wave}/psychometrics"),
]
ANY_MEMBER = [
    "/api/orgs/acme/waves",
    "/api/orgs/acme/waves/{wave}",
    "/api/orgs/acme/waves/{wave}/results",
    "/api/orgs/acme/waves/{wave}/response-rates",
    "/api/orgs/acme/waves/{wave}/comments",
    "/api/orgs/acme/waves/{wave}/results/breakdown?dimension=tenure_band",
    "/api/orgs/acme/waves/{wave}/results/filtered?dimension=job_family&category=frontline",
]


@pytest.mark.parametrize("method,url", STAFF_ONLY)
@pytest.mark.parametrize("role", ["manager", "employee"])
def test_staff_endpoints_refuse_managers_and_employees(client, world, method, url, role):
    org, units, wave = world
    client.force_login(member(org, role, units["north"]))
    response = getattr(client, method)(url.format(wave=wave.pk))
    assert response.status_code == 403 and response.json()["detail"]


@pytest.mark.parametrize("url", [u for _, u in STAFF_ONLY if True] + ANY_MEMBER)
def test_other_organisation_gets_404(client, world, url):
    org, units, wave = world
    client.force_login(member(OrganizationFactory(slug="rival"), "admin"))
    response = client.get(url.format(wave=wave.pk))
    assert response.status_code in (404, 405)
    if response.status_code == 404:
        assert "detail" in response.json()


@pytest.mark.parametrize("url", ANY_MEMBER + [u for _, u in STAFF_ONLY])
def test_anonymous_visitor_must_log_in(client, world, url):
    org, units, wave = world
    response = client.get(url.format(wave=wave.pk))
    assert response.status_code in (401, 405)
    if response.status_code == 401:
        assert response.json() == {"detail": "Log in first."}


@pytest.mark.parametrize("url", ANY_MEMBER)
def test_manager_reads_results_of_their_subtree(client, world, url):
    org, units, wave = world
    client.force_login(member(org, "manager", units["north"]))
    assert client.get(url.format(wave=wave.pk)).status_code == 200


def test_results_of_an_open_wave_are_not_published(client, world):
    org, units, wave = world
    client.force_login(member(org, "hr_analyst"))
    body = client.get(f"/api/orgs/acme/waves/{wave.pk}/results").json()
    assert body["status"].startswith("open") and body["units"] == []
    assert body["headline"]["respondents"] is None


def test_manager_results_list_only_their_units(client, world):
    org, units, wave = world
    close_wave(wave)
    client.force_login(member(org, "manager", units["north"]))
    body = client.get(f"/api/orgs/acme/waves/{wave.pk}/results").json()
    assert [u["unit"] for u in body["units"]] == ["North", "North A", "North B"]
    assert body["headline"]["respondents"] == 6


def test_manager_cannot_ask_for_a_unit_outside_their_subtree(client, world):
    org, units, wave = world
    client.force_login(member(org, "manager", units["north"]))
    url = f"/api/orgs/acme/waves/{wave.pk}/comments?unit_id={units['south_a'].pk}"
    assert client.get(url).status_code == 404


def test_draft_wave_is_invisible_to_managers(client, world):
    org, units, wave = world
    draft = services.wave_create(
        organization=org,
        instrument=wave.instrument,
        name="Later",
        audience_unit=units["root"],
        opens_at=timezone.now() + dt.timedelta(days=1),
        closes_at=timezone.now() + dt.timedelta(days=9),
    )
    client.force_login(member(org, "manager", units["north"]))
    assert client.get(f"/api/orgs/acme/waves/{draft.pk}").status_code == 404


def test_instrument_owner_sees_psychometrics_of_their_instrument(client, world):
    org, units, wave = world
    owner = member(org, "manager", units["north"])
    wave.instrument.owner = owner
    wave.instrument.save()
    client.force_login(owner)
    close_wave(wave)
    body = client.get(f"/api/orgs/acme/waves/{wave.pk}/psychometrics").json()
    assert body["respondents"] == 13 and "scales" in body


# --------------------------------------------------------------------------- staff flow


def test_hr_composes_creates_opens_and_sends_a_wave(client, world):
    org, units, _ = world
    client.force_login(member(org, "hr_analyst"))
    instrument = post(
        client, "/api/orgs/acme/instruments", {"name": "Short", "population": "employee"}
    )
    assert instrument.status_code == 201
    iid = instrument.json()["id"]
    added = post(
        client, f"/api/orgs/acme/instruments/{iid}/items", {"code": "ENG1", "required": True}
    )
    assert added.status_code == 201 and added.json()["questions"][0]["required"] is True
    now = timezone.now()
    created = post(
        client,
        "/api/orgs/acme/waves",
        {
            "name": "Short pulse",
            "instrument_id": iid,
            "kind": "pulse",
            "sample_fraction": 0.5,
            "audience_unit_id": units["north"].pk,
            "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    wid = created.json()["id"]
    assert client.post(f"/api/orgs/acme/waves/{wid}/open").json()["status"] == "open"
    mail.outbox.clear()
    sent = client.post(f"/api/orgs/acme/waves/{wid}/invitations").json()
    assert sent == {"invited": 4, "emailed": 4, "without_email": 0}  # round(0.5 * 9)
    token = LINK.search(mail.outbox[0].body).group(1)
    submitted = post(client, f"/api/respond/{token}", {"answers": {"ENG1": 5}})
    assert submitted.status_code == 201
    counts = client.get(f"/api/orgs/acme/waves/{wid}/invitations").json()
    assert counts["invited"] == 4 and "responded" not in counts["by_unit"][0]


def test_invalid_wave_is_422_naming_the_field(client, world):
    org, units, wave = world
    client.force_login(member(org, "admin"))
    now = timezone.now()
    response = post(
        client,
        "/api/orgs/acme/waves",
        {
            "name": "Bad",
            "instrument_id": wave.instrument_id,
            "opens_at": now.isoformat(),
            "closes_at": (now - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422 and "closes_at" in response.json()["detail"]


def test_closing_through_the_api(client, world):
    org, units, wave = world
    client.force_login(member(org, "admin"))
    assert client.post(f"/api/orgs/acme/waves/{wave.pk}/close").json()["status"] == "closed"
    assert client.post(f"/api/orgs/acme/waves/{wave.pk}/close").status_code == 422


def test_next_wave_through_the_api(client, world):
    org, units, wave = world
    Wave.objects.filter(pk=wave.pk).update(cadence="monthly")
    client.force_login(member(org, "admin"))
    response = client.post(f"/api/orgs/acme/waves/{wave.pk}/next")
    assert response.status_code == 201 and response.json()["previous_id"] == wave.pk


def test_import_endpoint_takes_the_wave_from_the_path(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org, units, wave = world
    client.force_login(member(org, "hr_analyst"))
    content = b"id,unit,ENG1\nX1,acme-na,4\nX2,acme-na,9\n"
    response = client.post(
        f"/api/orgs/acme/waves/{wave.pk}/import",
        {
            "file": SimpleUploadedFile("x.csv", content),
            "mapping": json.dumps({"id": "external_id", "unit": "unit_external_id"}),
        },
    )
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["row"] == 3
        and response.json()["errors"][0]["column"] == "ENG1"
    )


# --------------------------------------------------------------------------- respondents


@pytest.fixture
def token(world):
    org, units, wave = world
    return wave, send_links(wave)[0]


def test_link_describes_its_questions_without_login(client, token):
    wave, link = token
    body = client.get(f"/api/respond/{link}").json()
    assert body["wave"] == wave.name and body["questions"][0]["code"] == "ENG1"
    assert body["questions"][0]["min_value"] == 1 and body["draft"] == {}


def test_submit_by_token_records_once_then_409(client, token):
    wave, link = token
    first = post(client, f"/api/respond/{link}", {"answers": PULSE_ANSWERS})
    second = post(client, f"/api/respond/{link}", {"answers": PULSE_ANSWERS})
    assert first.status_code == 201 and first.json() == {"status": "recorded"}
    assert second.status_code == 409 and "already been used" in second.json()["detail"]
    assert Response.objects.filter(wave=wave, submission_key__gt="").count() == 1


def test_out_of_range_answer_is_422_naming_the_field(client, token):
    wave, link = token
    response = post(client, f"/api/respond/{link}", {"answers": {"ENG2": 6}})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("ENG2: 6 is out of range")
    assert body["errors"] == {"ENG2": "6 is out of range; answer a whole number from 1 to 5"}


def test_malformed_body_is_422(client, token):
    wave, link = token
    response = client.post(f"/api/respond/{link}", "not json", content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"].startswith("answers:")


@pytest.mark.parametrize("bad", ["A" * 43, "short", "has space" * 5])
def test_unknown_token_is_404_with_the_same_body_whatever_the_token(client, token, bad):
    response = post(client, f"/api/respond/{bad}", {"answers": {}})
    assert response.status_code == 404
    assert response.json() == {"detail": str(services.UnknownLink())}
    assert client.get(f"/api/respond/{bad}").json() == response.json()


def test_closed_wave_is_410(client, token):
    wave, link = token
    services.wave_close(wave=wave)
    response = post(client, f"/api/respond/{link}", {"answers": PULSE_ANSWERS})
    assert response.status_code == 410 and "closed" in response.json()["detail"]


def test_draft_through_the_api(client, token):
    wave, link = token
    response = client.put(
        f"/api/respond/{link}/draft",
        json.dumps({"answers": {"ENG1": 3}}),
        content_type="application/json",
    )
    assert response.json() == {"saved": 1}
    assert client.get(f"/api/respond/{link}").json()["draft"] == {"ENG1": 3}


def test_openapi_lists_the_survey_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/respond/{token}" in paths and "/api/orgs/{org}/waves/{wave_id}/results" in paths


def test_survey_link_api_keeps_security_headers_and_sets_no_session_or_csrf_cookie(client, token):
    wave, link = token
    client.force_login(member(wave.organization, role="hr_analyst"))  # a staff cookie too
    response = post(client, f"/api/respond/{link}", {"answers": PULSE_ANSWERS})
    assert response.status_code == 201
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert not response.cookies  # no session saved, no CSRF cookie issued
    assert Response.objects.filter(wave=wave, submission_key__gt="").count() == 1


def test_unknown_path_under_the_survey_link_api_is_a_404(client, token):
    wave, link = token
    response = client.get(f"/api/respond/{link}/nothing-here")
    assert response.status_code == 404
