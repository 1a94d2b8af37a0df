"""404, 403 and 500 are the product's own pages: the site's layout, a plain explanation, a way
back home. 500 renders without a request or a database (it may be the database that failed)."""

import pytest
from django.db import OperationalError
from django.template.loader import get_template
from django.test import Client, override_settings
from django.urls import path

from servicechain.urls import handler500  # noqa: F401 - the site's own, for this URLconf too
from servicechain.urls import urlpatterns as site_urlpatterns
from tests.factories import OrganizationFactory, make_unit, member


def fail(request):
    raise RuntimeError("a fault for the error page to cover")


def database_away(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


urlpatterns = [
    *site_urlpatterns,
    path("test-fault/", fail),
    path("test-database-away/", database_away),
]


def assert_styled_with_a_way_home(response, heading: str) -> str:
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert "servicechain/app.css" in html, "the page uses the site's stylesheet"
    assert 'href="/"' in html and "Go to your home page" in html
    return html


@pytest.mark.django_db
def test_an_unknown_address_gets_the_styled_not_found_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_styled_with_a_way_home(response, "Page not found")


@pytest.mark.django_db
def test_an_organisation_you_do_not_belong_to_is_not_found_and_styled(client):
    OrganizationFactory(slug="acme")
    other = OrganizationFactory(slug="other")
    client.force_login(member(other, "hr_analyst"))
    response = client.get("/o/acme/")
    assert response.status_code == 404
    html = assert_styled_with_a_way_home(response, "Page not found")
    assert "acme" not in html.lower().replace("/o/acme/", ""), "the page names no organisation"


@pytest.mark.django_db
def test_a_role_that_may_not_open_a_page_gets_the_styled_forbidden_page(client):
    organization = OrganizationFactory(slug="acme")
    unit = make_unit(organization, "Shop")
    client.force_login(member(organization, "employee", unit=unit))
    response = client.get("/o/acme/surveys/instruments/")
    assert response.status_code == 403
    html = assert_styled_with_a_way_home(response, "Not allowed")
    assert "Your role does not allow this." in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_server_fault_gets_the_styled_error_page():
    client = Client(raise_request_exception=False)
    response = client.get("/test-fault/")
    assert response.status_code == 500
    html = assert_styled_with_a_way_home(response, "Something went wrong")
    assert "RuntimeError" not in html and "Traceback" not in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_page_while_the_database_is_away_gets_503_saying_to_try_again():
    client = Client(raise_request_exception=False)
    response = client.get("/test-database-away/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    html = assert_styled_with_a_way_home(response, "Briefly unavailable")
    assert "database cannot be reached" in html and "OperationalError" not in html


def test_the_server_error_page_renders_without_context_or_database():
    # No django_db mark: any query here would fail the test.
    html = get_template("500.html").render()
    assert "<h1>Something went wrong</h1>" in html and 'href="/"' in html
