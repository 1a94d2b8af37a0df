import pytest

from servicechain.org.models import Unit
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    org = OrganizationFactory(slug="acme")
    root = make_unit(org, "Acme", kind="organisation")
    north = make_unit(org, "North", root)
    make_unit(org, "South", root)
    EmployeeFactory.create_batch(2, unit=north)
    return org


def test_openapi_schema_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/orgs/{org}/imports/{kind}" in response.json()["paths"]


def test_api_requires_login_with_a_structured_error(client, org):
    response = client.get("/api/orgs/acme/units")
    assert response.status_code == 401 and response.json() == {"detail": "Log in first."}


def test_manager_lists_only_their_subtree(client, org):
    client.force_login(member(org, "manager", Unit.objects.get(name="North")))
    names = [u["name"] for u in client.get("/api/orgs/acme/units").json()]
    assert names == ["North"]


def test_unit_outside_scope_is_404(client, org):
    client.force_login(member(org, "manager", Unit.objects.get(name="North")))
    south = Unit.objects.get(name="South")
    response = client.get(f"/api/orgs/acme/units/{south.pk}/subtree")
    assert response.status_code == 404 and "detail" in response.json()


def test_other_organisation_is_404(client, org):
    other = OrganizationFactory(slug="rival")
    client.force_login(member(other, "admin"))
    assert client.get("/api/orgs/acme/headcount").status_code == 404


def test_employee_cannot_list_employees(client, org):
    client.force_login(member(org, "employee", Unit.objects.get(name="North")))
    response = client.get("/api/orgs/acme/employees")
    assert response.status_code == 403 and response.json()["detail"]


def test_import_through_the_api_is_atomic_and_reports_rows(client, org):
    client.force_login(member(org, "admin"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = SimpleUploadedFile("units.csv", b"external_id,name,parent_external_id\nX1,New,\n")
    response = client.post("/api/orgs/acme/imports/units", {"file": good})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1

    bad = SimpleUploadedFile("units.csv", b"external_id,name,parent_external_id\nX2,Bad,GHOST\n")
    response = client.post("/api/orgs/acme/imports/units", {"file": bad})
    body = response.json()
    assert response.status_code == 422
    assert body["errors"] == [
        {
            "file": "units.csv",
            "row": 2,
            "column": "parent_external_id",
            "message": "unknown parent unit 'GHOST'",
        }
    ]
    assert not Unit.objects.filter(external_id="X2").exists()


def test_import_of_unknown_kind_is_404(client, org):
    client.force_login(member(org, "admin"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/orgs/acme/imports/planets", {"file": SimpleUploadedFile("p.csv", b"a\n1\n")}
    )
    assert response.status_code == 404 and "Unknown import kind" in response.json()["detail"]


def test_manager_cannot_import(client, org):
    client.force_login(member(org, "manager", Unit.objects.get(name="North")))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/orgs/acme/imports/units",
        {"file": SimpleUploadedFile("u.csv", b"external_id,name\nA,B\n")},
    )
    assert response.status_code == 403
