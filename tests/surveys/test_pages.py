"""Survey pages: who may open each one, and what they show."""

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from servicechain.surveys import services
from servicechain.surveys.models import Invitation, Response, Wave
from tests.factories import OrganizationFactory, member
from tests.surveys.helpers import add_responses, build_org, close_wave, open_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org, units = build_org()
    wave = open_wave(org, units["root"])
    add_responses(wave, units["north_a"], 6, engagement=4, comment="North is fine")
    add_responses(wave, units["north_b"], 3, engagement=1, comment="tiny team secret")
    add_responses(wave, units["south_a"], 7, engagement=5)
    OrganizationFactory(slug="rival")
    return org, units, wave


def url(name, wave=None, instrument=None, **extra):
    args = ["acme"]
    if wave is not None:
        args.append(wave.pk)
    if instrument is not None:
        args.append(instrument.pk)
    args += list(extra.values())
    return reverse(f"surveys:{name}", args=args)


STAFF_PAGES = [
    ("wave_create", {}),
    ("wave", {"wave": True}),
    ("import", {"wave": True}),
    ("instruments", {}),
    ("instrument", {"instrument": True}),
]
MEMBER_PAGES = [("waves", {}), ("results", {"wave": True})]


def page_url(name, options, wave):
    return url(
        name,
        wave=wave if options.get("wave") else None,
        instrument=wave.instrument if options.get("instrument") else None,
    )


@pytest.mark.parametrize(
    "name,options", STAFF_PAGES + MEMBER_PAGES + [("psychometrics", {"wave": True})]
)
def test_anonymous_visitor_is_sent_to_log_in(client, world, name, options):
    response = client.get(page_url(name, options, world[2]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name,options", STAFF_PAGES + MEMBER_PAGES + [("psychometrics", {"wave": True})]
)
def test_member_of_another_organisation_gets_404(client, world, name, options):
    client.force_login(member(OrganizationFactory(slug="rival"), "admin"))
    assert client.get(page_url(name, options, world[2])).status_code == 404


@pytest.mark.parametrize("name,options", STAFF_PAGES + [("psychometrics", {"wave": True})])
@pytest.mark.parametrize("role", ["manager", "employee"])
def test_staff_pages_are_forbidden_to_managers_and_employees(client, world, name, options, role):
    org, units, wave = world
    client.force_login(member(org, role, units["north"]))
    assert client.get(page_url(name, options, wave)).status_code == 403


@pytest.mark.parametrize(
    "name,options", STAFF_PAGES + MEMBER_PAGES + [("psychometrics", {"wave": True})]
)
@pytest.mark.parametrize("role", ["admin", "hr_analyst"])
def test_staff_open_every_page(client, world, name, options, role):
    org, units, wave = world
    client.force_login(member(org, role))
    assert client.get(page_url(name, options, wave)).status_code == 200


@pytest.mark.parametrize("role,unit", [("manager", "north"), ("employee", "south_a")])
def test_managers_and_employees_open_the_wave_list_and_results(client, world, role, unit):
    org, units, wave = world
    client.force_login(member(org, role, units[unit]))
    for name, options in MEMBER_PAGES:
        assert client.get(page_url(name, options, wave)).status_code == 200


def test_a_wave_with_answers_but_no_invitations_says_why_its_rate_table_is_empty(client, world):
    """The demo's customer survey: answers imported with their contacts, nobody invited from
    here. A table of headers alone read as broken."""
    org, units, wave = world
    client.force_login(member(org, "hr_analyst"))
    page = client.get(url("wave", wave=wave)).content.decode()
    assert 'id="no-rates"' in page
    assert "No invitations have been sent from here for this wave" in page
    assert f'href="{url("results", wave=wave)}">Results</a>' in page

    services.invitation_send(wave=wave, seed=1)
    page = client.get(url("wave", wave=wave)).content.decode()
    assert 'id="no-rates"' not in page and units["north_a"].name in page


def test_open_wave_results_page_says_results_come_at_close(client, world):
    org, units, wave = world
    client.force_login(member(org, "manager", units["north"]))
    page = client.get(url("results", wave=wave)).content.decode()
    assert "Results are published when the wave closes" in page
    assert 'data-unit="North"' not in page and "North is fine" not in page


def test_manager_results_show_their_units_and_withhold_the_small_ones(client, world):
    org, units, wave = world
    close_wave(wave)
    client.force_login(member(org, "manager", units["north"]))
    page = client.get(url("results", wave=wave)).content.decode()
    assert 'data-unit="North"' in page and 'data-unit="South A"' not in page
    assert page.count("Withheld: fewer than 5 answered") == 1  # North B
    # North A has 6 but is withheld beside North's 9 so that North B's 3 stay hidden
    assert page.count("Withheld: 5 or more answered, but showing this") == 1
    assert "tiny team secret" in page  # North's 9 include North B, shown at North level only
    assert 'data-testid="respondents">9<' in page


def test_comments_of_a_withheld_unit_are_not_served(client, world):
    org, units, wave = world
    close_wave(wave)
    client.force_login(member(org, "manager", units["north"]))
    fragment = client.get(
        url("comments", wave=wave), {"unit": units["north_b"].pk}
    ).content.decode()
    assert "withheld" in fragment and "tiny team secret" not in fragment


def test_manager_cannot_read_another_subtrees_comments(client, world):
    org, units, wave = world
    client.force_login(member(org, "manager", units["north"]))
    assert client.get(url("comments", wave=wave), {"unit": units["south_a"].pk}).status_code == 404


def test_breakdown_fragment_for_a_unit(client, world):
    org, units, wave = world
    close_wave(wave)
    client.force_login(member(org, "hr_analyst"))
    fragment = client.get(
        url("breakdown", wave=wave), {"dimension": "job_family", "unit": units["root"].pk}
    )
    assert fragment.status_code == 200 and "frontline" in fragment.content.decode()


def test_draft_waves_are_hidden_from_managers(client, world):
    org, units, wave = world
    draft = services.wave_create(
        organization=org,
        instrument=wave.instrument,
        name="Secret plan",
        audience_unit=units["root"],
        opens_at=timezone.now() + dt.timedelta(days=3),
        closes_at=timezone.now() + dt.timedelta(days=9),
    )
    client.force_login(member(org, "manager", units["north"]))
    assert "Secret plan" not in client.get(url("waves")).content.decode()
    assert client.get(url("results", wave=draft)).status_code == 404


def test_hr_plans_opens_sends_and_closes_a_wave_through_the_pages(client, world):
    org, units, wave = world
    client.force_login(member(org, "hr_analyst"))
    now = timezone.localtime()
    response = client.post(
        url("wave_create"),
        {
            "name": "Autumn pulse",
            "instrument": wave.instrument.pk,
            "kind": "pulse",
            "audience_unit": units["north"].pk,
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
            "sample_fraction": "0.5",
            "cadence": "monthly",
            "reminder_after_days": "3",
        },
    )
    created = Wave.objects.get(name="Autumn pulse")
    assert response.status_code == 302
    detail = url("wave", wave=created)
    for action in ("open", "send"):
        client.post(reverse("surveys:wave_action", args=["acme", created.pk, action]))
    assert len(mail.outbox) == Invitation.objects.filter(wave=created).count() == 4
    page = client.get(detail).content.decode()
    assert 'data-testid="mailing">4 / 4 / 0<' in page
    client.post(reverse("surveys:wave_action", args=["acme", created.pk, "next"]))
    assert Wave.objects.filter(previous=created).exists()
    client.post(reverse("surveys:wave_action", args=["acme", created.pk, "close"]))
    created.refresh_from_db()
    assert created.status == Wave.Status.CLOSED


def test_invalid_wave_form_shows_the_problem(client, world):
    org, units, wave = world
    client.force_login(member(org, "admin"))
    now = timezone.localtime()
    response = client.post(
        url("wave_create"),
        {
            "name": "Census closing before it opens",
            "instrument": wave.instrument.pk,
            "kind": "census",
            "audience_unit": units["root"].pk,
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now - dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
            "cadence": "none",
            "reminder_after_days": "3",
        },
    )
    assert response.status_code == 200
    assert "The wave must close after it opens." in response.content.decode()


def test_compose_an_instrument_with_htmx_swaps(client, world):
    org, units, wave = world
    client.force_login(member(org, "admin"))
    response = client.post(
        url("instruments"), {"name": "Quick check", "population": "employee", "template": ""}
    )
    instrument = org.instruments.get(name="Quick check")
    assert response.status_code == 302
    edit = reverse("surveys:instrument_edit", args=["acme", instrument.pk, "add"])
    fragment = client.post(edit, {"code": "ENG1"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and fragment.content.decode().startswith(
        '<div id="questions">'
    )
    client.post(edit, {"code": "ENG2"}, HTTP_HX_REQUEST="true")
    move = reverse("surveys:instrument_edit", args=["acme", instrument.pk, "move"])
    client.post(move, {"code": "ENG2", "position": "1"}, HTTP_HX_REQUEST="true")
    custom = client.post(
        reverse("surveys:item_create", args=["acme", instrument.pk]),
        {"code": "SAFE1", "scale": "safety", "text": "I feel safe at work.", "type": "likert5"},
    )
    assert custom.status_code == 302
    instrument.refresh_from_db()
    from servicechain.surveys.questions import questions_of

    assert [q.code for q in questions_of(instrument)] == ["ENG2", "ENG1", "SAFE1"]


def test_opened_instrument_cannot_be_edited_from_the_page(client, world):
    org, units, wave = world
    client.force_login(member(org, "admin"))
    page = client.get(url("instrument", instrument=wave.instrument)).content.decode()
    assert "questions are fixed" in page and "Add a question" not in page
    client.post(
        reverse("surveys:instrument_edit", args=["acme", wave.instrument.pk, "add"]),
        {"code": "CAR1"},
    )
    assert not wave.instrument.entries.filter(bank_code="CAR1").exists()


def test_import_page_reports_errors_by_row_and_column(client, world):
    org, units, wave = world
    client.force_login(member(org, "hr_analyst"))
    upload = SimpleUploadedFile(
        "export.csv",
        b"response_id,unit_external_id,ENG1\nA1,acme-na,4\nA2,nowhere,3\nA3,acme-na,12\n",
    )
    response = client.post(url("import", wave=wave), {"file": upload, "mapping": ""})
    page = response.content.decode()
    assert response.status_code == 422 and "nothing was imported" in page
    assert "unknown unit" in page and "12 is out of range" in page
    assert not Response.objects.filter(external_id="A1").exists()


def test_import_page_imports_a_good_file(client, world):
    org, units, wave = world
    client.force_login(member(org, "hr_analyst"))
    upload = SimpleUploadedFile("export.csv", b"id,store,Q1\nA1,acme-na,4\n")
    mapping = '{"id": "external_id", "store": "unit_external_id", "Q1": "ENG1"}'
    response = client.post(url("import", wave=wave), {"file": upload, "mapping": mapping})
    assert response.status_code == 200 and "imported 1 responses" in response.content.decode()


def test_psychometrics_page_lists_scales(client, world):
    org, units, wave = world
    close_wave(wave)
    client.force_login(member(org, "admin"))
    page = client.get(url("psychometrics", wave=wave)).content.decode()
    assert "Engagement index" in page and "Cronbach" in page


def test_employee_answers_from_the_app_with_a_link_kept_only_in_their_browser(client, world):
    org, units, wave = world
    services.invitation_send(wave=wave)
    invitation = Invitation.objects.filter(wave=wave, unit=units["south_a"]).first()
    user = member(org, "employee", units["south_a"])
    invitation.employee.user = user
    invitation.employee.save()
    client.force_login(user)
    assert "Answer now" in client.get(url("waves")).content.decode()
    first = client.post(reverse("surveys:answer", args=["acme", wave.pk]))
    again = client.post(reverse("surveys:answer", args=["acme", wave.pk]))
    assert first.status_code == 302 and first.url.startswith("/s/")
    assert again.url == first.url  # the same link from the cookie: the draft is kept
    client.post(first.url, {"ENG1": "4"})
    assert "Answer now" not in client.get(url("waves")).content.decode()
    assert Response.objects.filter(wave=wave, source="web").count() == 1


def test_navigation_lists_surveys_for_everyone_and_instruments_for_staff(client, world):
    org, units, wave = world
    client.force_login(member(org, "employee", units["south_a"]))
    page = client.get(url("waves")).content.decode()
    assert ">Surveys</a>" in page and ">Instruments</a>" not in page
