"""Answers with results or personal data are never kept by a browser or proxy cache."""

import pytest

from tests.factories import member
from tests.surveys.helpers import add_responses, build_org, open_wave, send_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_client(client):
    org, units = build_org()
    wave = open_wave(org, units["root"])
    add_responses(wave, units["north_a"], 6, comment="Busy Saturdays.")
    client.force_login(member(org, "hr_analyst"))
    return client, wave


@pytest.mark.parametrize(
    "url",
    [
        "/o/acme/",
        "/o/acme/surveys/waves/{wave}/results/",
        "/o/acme/insights/",
        "/o/acme/insights/?format=csv&table=heatmap",
        "/api/orgs/acme/waves/{wave}/results",
        "/api/orgs/acme/waves",
    ],
)
def test_signed_in_pages_api_answers_and_exports_are_private_and_not_stored(analyst_client, url):
    client, wave = analyst_client
    response = client.get(url.format(wave=wave.pk))
    assert response.status_code == 200, response.content[:300]
    assert response["Cache-Control"] == "private, no-store"
    assert "format=csv" not in url or response["Content-Type"].startswith("text/csv")


def test_an_api_answer_to_an_anonymous_caller_is_not_stored_either(client):
    response = client.get("/api/orgs/acme/waves")
    assert response.status_code == 401 and response["Cache-Control"] == "private, no-store"


def test_respondent_pages_keep_their_own_never_cache_header(client):
    org, units = build_org()
    token = send_links(open_wave(org, units["north_a"]))[0]
    response = client.get(f"/s/{token}/")
    assert (
        response["Cache-Control"].startswith("max-age=0")
        and "no-store" in response["Cache-Control"]
    )
