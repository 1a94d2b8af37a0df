"""A team lead's volume upload writes their own team only (red-team report 2026-12, §3).

The attack: the lead of one centre uploads to their own team a file whose `team` column names
a second centre's team, to poison that centre's demand history (and so its forecasts,
schedules and automatic lunch-move approvals); a misspelt team, meanwhile, listed every team
of the organisation. Each test makes the attack through the API or the page and checks that
it gets nowhere, that the error names nothing the lead cannot see, and that an accepted upload
is audited with its team.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from servicechain.contactcentre.models import IntervalVolume
from servicechain.org.models import AuditEvent
from tests.contactcentre.helpers import lead_login, make_centre

pytestmark = pytest.mark.django_db

HEADER = "interval_start,calls,aht_s,team\n"


@pytest.fixture
def centres():
    """The lead's centre (team `inbound`) and a second centre outside the lead's units."""
    inbound = make_centre()
    south = make_centre(inbound.organization, slug="south-hotline")
    lead = Client()
    lead.force_login(lead_login(inbound))
    return inbound, south, lead


def poisoned_volumes(team_slug: str) -> bytes:
    """48 half-hour intervals of 9,999 calls of an hour each, all for `team_slug`."""
    rows = [f"2030-01-07T{h:02d}:{m:02d},9999,3600,{team_slug}" for h in range(24) for m in (0, 30)]
    return (HEADER + "\n".join(rows) + "\n").encode()


def api_upload(client, org, url_team, content, **data):
    return client.post(
        f"/api/orgs/{org.slug}/contact-centre/teams/{url_team}/volumes",
        {"file": SimpleUploadedFile("volumes.csv", content), **data},
    )


def page_upload(client, org, url_team, content):
    return client.post(
        f"/o/{org.slug}/contact-centre/teams/{url_team}/volumes/",
        {"file": SimpleUploadedFile("volumes.csv", content)},
    )


def test_api_refuses_a_lead_writing_another_centres_team_through_the_team_column(centres):
    inbound, south, lead = centres

    response = api_upload(lead, inbound.organization, "inbound", poisoned_volumes(south.slug))

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert response.json()["total_errors"] == 48
    assert {(e["column"], e["row"]) for e in errors} == {("team", row) for row in range(2, 50)}
    assert "not the team of this upload" in errors[0]["message"]
    assert not IntervalVolume.objects.filter(team=south).exists()
    assert not IntervalVolume.objects.exists(), "nothing at all is written"


def test_api_refuses_the_other_team_in_a_dry_run_too(centres):
    inbound, south, lead = centres

    response = api_upload(
        lead, inbound.organization, "inbound", poisoned_volumes(south.slug), dry_run=True
    )

    assert response.status_code == 422 and response.json()["errors"][0]["column"] == "team"


def test_api_still_refuses_the_other_team_in_the_url(centres):
    inbound, south, lead = centres

    response = api_upload(lead, inbound.organization, south.slug, poisoned_volumes(south.slug))

    assert response.status_code == 404
    assert not IntervalVolume.objects.exists()


def test_api_error_for_an_unknown_team_names_no_team_the_lead_cannot_see(centres):
    inbound, south, lead = centres
    content = (HEADER + "2030-01-07T09:00,3,200,nosuchteam\n").encode()

    response = api_upload(lead, inbound.organization, "inbound", content, dry_run=True)

    assert response.status_code == 422
    assert "nosuchteam" in response.content.decode()
    assert south.slug not in response.content.decode()


def test_page_refuses_a_lead_writing_another_centres_team_and_names_no_other_team(centres):
    inbound, south, lead = centres

    poisoned = page_upload(lead, inbound.organization, "inbound", poisoned_volumes(south.slug))
    misspelt = page_upload(
        lead, inbound.organization, "inbound", (HEADER + "2030-01-07T09:00,3,200,nope\n").encode()
    )

    assert poisoned.status_code == 200
    assert "nothing was imported" in poisoned.content.decode()
    assert "not the team of this upload" in poisoned.content.decode()
    assert not IntervalVolume.objects.exists()
    assert "nothing was imported" in misspelt.content.decode()
    assert south.slug not in misspelt.content.decode().lower()


def test_an_accepted_upload_is_audited_with_its_team(centres):
    inbound, _south, lead = centres
    content = (HEADER + "2030-01-07T09:00,3,200,inbound\n2030-01-07T09:15,4,210,\n").encode()

    response = api_upload(lead, inbound.organization, "inbound", content)

    assert response.status_code == 200 and response.json()["created"] == 2
    event = AuditEvent.objects.get(action="import.volumes")
    assert (event.target_type, event.target_id) == ("Team", str(inbound.pk))
    assert event.detail["teams"] == ["inbound"] and event.detail["created"] == 2
