import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from servicechain.org import services
from servicechain.org.models import Organization, Unit
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit

pytestmark = pytest.mark.django_db


def test_organisation_min_group_size_defaults_to_the_setting(settings):
    settings.MIN_GROUP_SIZE = 7
    organization = services.organization_create(slug="acme", name="Acme")
    assert organization.min_group_size == 7


def test_organisation_cannot_lower_min_group_size_below_three():
    with pytest.raises(ValidationError, match="cannot be below 3"):
        services.organization_create(slug="acme", name="Acme", min_group_size=2)


def test_database_refuses_min_group_size_below_three_even_without_validation():
    organization = OrganizationFactory()
    with pytest.raises(IntegrityError):
        Organization.objects.filter(pk=organization.pk).update(min_group_size=2)


def test_subtree_contains_the_unit_and_all_its_descendants_only():
    org = OrganizationFactory()
    root = make_unit(org, "Root", kind="organisation")
    north = make_unit(org, "North", root, kind="region")
    south = make_unit(org, "South", root, kind="region")
    store = make_unit(org, "Store 1", north, kind="store")
    team = make_unit(org, "Team A", store)
    make_unit(org, "Store 2", south, kind="store")

    names = set(Unit.objects.subtree(north).values_list("name", flat=True))

    assert names == {"North", "Store 1", "Team A"}
    assert team.depth == 3
    assert team.ancestor_ids() == [root.pk, north.pk, store.pk]


def test_moving_a_unit_rewrites_its_whole_subtree():
    org = OrganizationFactory()
    root = make_unit(org, "Root")
    north = make_unit(org, "North", root)
    south = make_unit(org, "South", root)
    store = make_unit(org, "Store", north)
    team = make_unit(org, "Team", store)

    services.unit_move(unit=store, new_parent=south)

    team.refresh_from_db()
    assert team.is_within(south) and not team.is_within(north)
    assert team.depth == 3
    assert set(Unit.objects.subtree(south).values_list("name", flat=True)) == {
        "South",
        "Store",
        "Team",
    }


def test_a_unit_cannot_move_under_its_own_descendant():
    org = OrganizationFactory()
    root = make_unit(org, "Root")
    child = make_unit(org, "Child", root)
    with pytest.raises(ValueError, match="under itself"):
        services.unit_move(unit=root, new_parent=child)


def test_employee_cannot_leave_before_being_hired():
    org = OrganizationFactory()
    unit = make_unit(org, "Team")
    employee = EmployeeFactory.build(unit=unit, organization=org)
    employee.leave_date = employee.hire_date.replace(year=employee.hire_date.year - 1)
    with pytest.raises(ValidationError, match="cannot leave before"):
        employee.full_clean()


def test_external_ids_are_unique_per_organisation_not_globally():
    a, b = OrganizationFactory(), OrganizationFactory()
    make_unit(a, "Team", external_id="T1")
    make_unit(b, "Team", external_id="T1")  # another organisation may reuse the id
    with pytest.raises(ValidationError):
        make_unit(a, "Other", external_id="T1")


def test_subtree_query_is_one_prefix_query_at_ten_thousand_units(django_assert_num_queries):
    from servicechain.org.models import encode_segment

    org = OrganizationFactory()
    root = make_unit(org, "Root")
    regions = [make_unit(org, f"Region {i}", root) for i in range(10)]
    Unit.objects.bulk_create(
        [
            Unit(
                organization=org,
                external_id=f"{r.pk}-{j}",
                name=f"S{j}",
                parent=r,
                path="",
                depth=2,
            )
            for r in regions
            for j in range(999)
        ],
        batch_size=2000,
    )
    stores = list(Unit.objects.filter(organization=org, depth=2))
    paths = {r.pk: r.path for r in regions}
    for store in stores:
        store.path = paths[store.parent_id] + encode_segment(store.pk)
    Unit.objects.bulk_update(stores, ["path"], batch_size=2000)
    assert Unit.objects.filter(organization=org).count() == 10_001

    with django_assert_num_queries(1):
        assert Unit.objects.subtree(regions[3]).count() == 1000
