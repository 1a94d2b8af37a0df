"""factory-boy factories for the organisation. Units go through the service so paths are right."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from servicechain.org import services
from servicechain.org.models import Customer, Employee, Interaction, Organization, Transaction


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")


def make_unit(organization, name, parent=None, kind="team", external_id=None):
    return services.unit_create(
        organization=organization,
        external_id=external_id or name.lower().replace(" ", "-"),
        name=name,
        parent=parent,
        kind=kind,
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-word-123")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    organization = factory.LazyAttribute(lambda o: o.unit.organization)
    external_id = factory.Sequence(lambda n: f"E{n:05d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = "Advisor"
    hire_date = dt.date(2022, 1, 10)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("name")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    organization = factory.LazyAttribute(lambda o: o.unit.organization)
    external_id = factory.Sequence(lambda n: f"I{n:07d}")
    customer = factory.SubFactory(
        CustomerFactory, organization=factory.SelfAttribute("..unit.organization")
    )
    channel = "phone"
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    duration_s = 300


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    external_id = factory.Sequence(lambda n: f"T{n:07d}")
    amount = Decimal("42.50")
    occurred_at = factory.LazyFunction(timezone.now)


def member(organization, role, unit=None, username=None):
    user = UserFactory(username=username) if username else UserFactory()
    services.membership_grant(user=user, organization=organization, role=role, unit=unit)
    return user
