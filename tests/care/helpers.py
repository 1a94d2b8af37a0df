"""A small organisation for care tests: head office → region → two stores, a manager of the
region, a manager of one store, employees with logins, customers and interactions."""

from __future__ import annotations

from dataclasses import dataclass

from servicechain.org.access import scope_for
from tests.factories import (
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    OrganizationFactory,
    make_unit,
    member,
)


@dataclass
class World:
    organization: object
    root: object
    region: object
    store: object
    other_store: object
    admin: object
    hr: object
    region_manager: object
    store_manager: object
    outside_manager: object
    clerk: object  # user of an employee in `store`
    clerk_employee: object
    colleague: object  # another employee of `store`
    colleague_employee: object
    customer: object
    interaction: object  # served by the clerk in `store`

    def scope(self, user):
        return scope_for(user, self.organization.slug)

    def interaction_for(self, customer=None, employee=None, unit=None):
        unit = unit or self.store
        return InteractionFactory(
            unit=unit,
            employee=employee or self.clerk_employee,
            customer=customer or CustomerFactory(organization=self.organization),
        )


def employee_with_login(organization, unit, username, role="employee", member_unit=None):
    user = member(organization, role, unit=member_unit or unit, username=username)
    employee = EmployeeFactory(unit=unit, user=user, first_name=username.title())
    return user, employee


def world(slug: str = "acme") -> World:
    organization = OrganizationFactory(slug=slug)
    root = make_unit(organization, "Head office", kind="organisation")
    region = make_unit(organization, "North", parent=root, kind="region")
    store = make_unit(organization, "Leeds", parent=region, kind="store")
    other_store = make_unit(organization, "York", parent=region, kind="store")
    south = make_unit(organization, "South", parent=root, kind="region")
    admin = member(organization, "admin", username=f"{slug}-admin")
    hr = member(organization, "hr_analyst", username=f"{slug}-hr")
    region_manager, _ = employee_with_login(
        organization, region, f"{slug}-regional", role="manager"
    )
    store_manager, _ = employee_with_login(organization, store, f"{slug}-storeboss", role="manager")
    outside_manager, _ = employee_with_login(organization, south, f"{slug}-south", role="manager")
    clerk, clerk_employee = employee_with_login(organization, store, f"{slug}-clerk")
    colleague, colleague_employee = employee_with_login(organization, store, f"{slug}-colleague")
    customer = CustomerFactory(organization=organization)
    interaction = InteractionFactory(unit=store, employee=clerk_employee, customer=customer)
    return World(
        organization=organization,
        root=root,
        region=region,
        store=store,
        other_store=other_store,
        admin=admin,
        hr=hr,
        region_manager=region_manager,
        store_manager=store_manager,
        outside_manager=outside_manager,
        clerk=clerk,
        clerk_employee=clerk_employee,
        colleague=colleague,
        colleague_employee=colleague_employee,
        customer=customer,
        interaction=interaction,
    )
