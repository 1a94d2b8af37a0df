"""A small organisation for recognition tests: a root with two teams, people with logins,
three values and the starter badges."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from servicechain.org import services as org_services
from servicechain.org.access import scope_for
from servicechain.recognition.access import viewer_of
from servicechain.recognition.models import CompanyValue, RecognitionSettings
from tests.factories import EmployeeFactory, OrganizationFactory, UserFactory, make_unit

_slugs = itertools.count()


@dataclass
class Org:
    organization: object
    root: object
    north: object
    south: object
    people: dict = field(default_factory=dict)  # name -> Employee
    users: dict = field(default_factory=dict)  # name -> User

    def viewer(self, name: str):
        return viewer_of(scope_for(self.users[name], self.organization.slug))


def person(org: Org, name: str, unit, *, role: str = "employee", scope_unit=None, hired=None):
    user = UserFactory(username=f"{name}-{org.organization.slug}", first_name=name.title())
    employee = EmployeeFactory(
        unit=unit,
        first_name=name.title(),
        last_name="Tester",
        user=user,
        hire_date=hired or dt.date(2020, 1, 6),
        is_manager=role == "manager",
    )
    org_services.membership_grant(
        user=user, organization=org.organization, role=role, unit=scope_unit or unit
    )
    org.people[name] = employee
    org.users[name] = user
    return employee


def build_org(*, allowance: int = 100, team_size: int = 3, min_n: int = 5) -> Org:
    organization = OrganizationFactory(slug=f"rec-{next(_slugs)}", min_group_size=min_n)
    root = make_unit(organization, "Root", kind="organisation")
    north = make_unit(organization, "North", root)
    south = make_unit(organization, "South", root)
    org = Org(organization=organization, root=root, north=north, south=south)
    for n in range(team_size):
        person(org, f"north{n}", north)
        person(org, f"south{n}", south)
    person(org, "boss", root, role="manager", scope_unit=root)
    hr = UserFactory(username=f"hr-{organization.slug}")
    org_services.membership_grant(user=hr, organization=organization, role="hr_analyst")
    org.users["hr"] = hr
    admin = UserFactory(username=f"admin-{organization.slug}")
    org_services.membership_grant(user=admin, organization=organization, role="admin")
    org.users["admin"] = admin
    RecognitionSettings.objects.create(organization=organization, monthly_allowance=allowance)
    for order, (slug, name) in enumerate(
        [
            ("customers-first", "Customers first"),
            ("own-it", "Own it"),
            ("together", "Better together"),
        ]
    ):
        CompanyValue.objects.create(
            organization=organization, slug=slug, name=name, description=f"{name}.", order=order
        )
    return org


def customer_wave(org: Org):
    """A customer survey wave to hang customer ratings on."""
    from django.utils import timezone

    from servicechain.surveys import services as survey_services
    from servicechain.surveys.models import Wave

    instrument = survey_services.instrument_create(
        organization=org.organization,
        name="Customers",
        population="customer",
        template="customer_transactional",
    )
    return survey_services.wave_create(
        organization=org.organization,
        instrument=instrument,
        name="Customer survey",
        audience_unit=org.root,
        opens_at=timezone.now() - dt.timedelta(days=400),
        closes_at=timezone.now() + dt.timedelta(days=30),
        kind=Wave.Kind.CUSTOMER,
    )


def rate(org, wave, employee, when, csat: int, *, customer=None):
    """A customer's rating of a contact the employee served (`org`: an Org or an
    Organization); returns the customer."""
    from servicechain.surveys.models import CustomerResponse
    from tests.factories import CustomerFactory, InteractionFactory

    organization = getattr(org, "organization", org)
    customer = customer or CustomerFactory(organization=organization)
    interaction = InteractionFactory(
        unit=employee.unit, employee=employee, customer=customer, started_at=when
    )
    CustomerResponse.objects.create(
        wave=wave,
        interaction=interaction,
        unit=employee.unit,
        answers={"csat": csat},
        submitted_at=when,
    )
    return customer
