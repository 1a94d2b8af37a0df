"""Deny by default: organisation membership and unit-subtree scope on every page and endpoint."""

import pytest
from django.urls import reverse

from servicechain.org.access import scope_for
from tests.factories import (
    EmployeeFactory,
    InteractionFactory,
    OrganizationFactory,
    UserFactory,
    make_unit,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org = OrganizationFactory(slug="acme")
    root = make_unit(org, "Acme", kind="organisation")
    north = make_unit(org, "North", root, kind="region")
    south = make_unit(org, "South", root, kind="region")
    north_store = make_unit(org, "North Store", north, kind="store")
    south_store = make_unit(org, "South Store", south, kind="store")
    other = OrganizationFactory(slug="rival")
    rival_root = make_unit(other, "Rival HQ", kind="organisation")
    for unit in (north_store, south_store):
        EmployeeFactory.create_batch(3, unit=unit)
    return {
        "org": org,
        "root": root,
        "north": north,
        "south": south,
        "north_store": north_store,
        "south_store": south_store,
        "other": other,
        "rival_root": rival_root,
    }


def test_manager_scope_is_their_subtree(world):
    user = member(world["org"], "manager", world["north"])
    scope = scope_for(user, "acme")
    assert set(scope.units().values_list("name", flat=True)) == {"North", "North Store"}
    assert scope.can_see_unit(world["north_store"])
    assert not scope.can_see_unit(world["south_store"])
    assert not scope.can_see_unit(world["rival_root"])


def test_employee_scope_is_their_own_unit(world):
    user = member(world["org"], "employee", world["north_store"])
    assert list(scope_for(user, "acme").units()) == [world["north_store"]]


@pytest.mark.parametrize("role", ["admin", "hr_analyst"])
def test_admin_and_hr_see_the_whole_organisation(world, role):
    user = member(world["org"], role)
    assert scope_for(user, "acme").units().count() == 5


def test_non_member_gets_404_not_a_hint_that_the_organisation_exists(world, client):
    client.force_login(member(world["other"], "admin"))
    assert client.get(reverse("org:overview", args=["acme"])).status_code == 404
    assert client.get(reverse("org:overview", args=["no-such-org"])).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(world, client):
    response = client.get(reverse("org:overview", args=["acme"]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_manager_overview_shows_only_their_units_and_interactions(world, client):
    InteractionFactory(unit=world["north_store"], customer__name="Northern Customer")
    InteractionFactory(unit=world["south_store"], customer__name="Southern Customer")
    client.force_login(member(world["org"], "manager", world["north"]))
    page = client.get(reverse("org:overview", args=["acme"])).content.decode()
    assert "North Store" in page and "South Store" not in page
    assert "Northern Customer" in page and "Southern Customer" not in page


def test_employee_sees_only_interactions_they_served(world, client):
    me = EmployeeFactory(unit=world["north_store"])
    colleague = EmployeeFactory(unit=world["north_store"])
    user = member(world["org"], "employee", world["north_store"])
    me.user = user
    me.save()
    InteractionFactory(unit=world["north_store"], employee=me, customer__name="Mine")
    InteractionFactory(unit=world["north_store"], employee=colleague, customer__name="Theirs")
    client.force_login(user)
    page = client.get(reverse("org:overview", args=["acme"])).content.decode()
    assert "Mine" in page and "Theirs" not in page


def test_single_membership_home_redirects_to_the_members_home_there(world, client):
    client.force_login(member(world["org"], "hr_analyst"))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("org:home", args=["acme"])


def test_user_without_membership_sees_no_organisation(world, client):
    client.force_login(UserFactory())
    page = client.get(reverse("home")).content.decode()
    assert "not a member of any organisation" in page
