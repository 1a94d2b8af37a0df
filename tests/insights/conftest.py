"""The insights test world: the `small` demo organisation, seeded once per test module.

Seeding commits (outside any test's transaction), so tests that use `demo_world` run in
ordinary `django_db` transactions that roll back their own changes; the module's teardown
flushes the database. Browser tests (tests/e2e) seed their own demo per test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import override_settings

from servicechain import demo
from servicechain.org.models import Membership, Organization, Unit

# Only the apps insights builds on: the contact-centre seeder is slow and unrelated.
SEEDERS = ["servicechain.surveys.seed", "servicechain.insights.seed"]
BOOTSTRAP = 60


@pytest.fixture(autouse=True)
def few_bootstrap_replicates(settings):
    """Bootstrap intervals with few replicates: the tests check plumbing, not precision."""
    settings.INSIGHTS_BOOTSTRAP_REPLICATES = BOOTSTRAP


@dataclass
class DemoWorld:
    organization: Organization
    users: dict  # role -> User
    manager_unit: Unit
    employee_unit: Unit

    @property
    def slug(self) -> str:
        return self.organization.slug


def seed_world() -> DemoWorld:
    saved = list(demo.DEMO_SEEDERS)
    demo.DEMO_SEEDERS[:] = SEEDERS
    try:
        with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=BOOTSTRAP):
            organization = demo.seed_demo(size="small", seed=7)
    finally:
        demo.DEMO_SEEDERS[:] = saved
    memberships = Membership.objects.filter(organization=organization).select_related(
        "user", "unit"
    )
    users = {m.role: m.user for m in memberships}
    units = {m.role: m.unit for m in memberships}
    return DemoWorld(
        organization=organization,
        users=users,
        manager_unit=units["manager"],
        employee_unit=units["employee"],
    )


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield seed_world()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def login(client):
    """Log a user in on the test client and return the client."""

    def as_user(user):
        client.force_login(user)
        return client

    return as_user
