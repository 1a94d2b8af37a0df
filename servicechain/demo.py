"""Seed the demo: a synthetic organisation, imported through the real importers, plus logins.

Apps that have demo data of their own (surveys, insights, contact centre) list a
`seed_demo(*, organization, synthetic, today, progress)` function in DEMO_SEEDERS; each runs
after the organisation is in place. Everything is seeded as of one day, ``today`` (the
clock's date unless given), so tests can seed a fixed day under a frozen clock.
"""

from __future__ import annotations

import datetime as dt
import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

DEMO_SLUG = "demo"
DEMO_COMPANY = "Northwind Retail & Care"  # also the name of the top unit
DEMO_NAME = f"{DEMO_COMPANY} (demo)"

# Dotted paths of app seeders, run in order after the organisation exists. The contact
# centre comes first: it hires the agents, who then take part in the open census.
DEMO_SEEDERS: list[str] = [
    "servicechain.contactcentre.seed",
    "servicechain.surveys.seed",
    # Before insights: the linkage report it computes reads recognition per head too.
    "servicechain.recognition.seed",
    "servicechain.insights.seed",
    "servicechain.loyalty.seed",
    "servicechain.care.seed",
    "servicechain.rewards.seed",
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    note: str


DEMO_LOGINS = [
    DemoLogin("admin", "admin", "demo-admin-pass", "whole organisation, /admin/ too"),
    DemoLogin("hr_analyst", "hr", "demo-hr-pass", "whole organisation"),
    DemoLogin("manager", "manager", "demo-manager-pass", "one area and the units below it"),
    DemoLogin("employee", "employee", "demo-employee-pass", "own unit only"),
]

IMPORT_ORDER = ["units", "employees", "customers", "interactions", "transactions"]


def all_logins() -> list:
    """Every demo login: the four roles, then those the apps' seeders add (e.g. agent, lead)."""
    logins = list(DEMO_LOGINS)
    for dotted in DEMO_SEEDERS:
        logins.extend(getattr(importlib.import_module(dotted), "DEMO_LOGINS", []))
    return logins


def existing_demo():
    from servicechain.org.models import Organization

    return Organization.objects.filter(slug=DEMO_SLUG).first()


def seed_demo(
    *,
    size: str = "small",
    seed: int = 7,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda m: None,
):
    from servicechain.org import services
    from servicechain.simulate import simulate_organisation

    # The demo's history ends with the last complete month, so "recent" means recent.
    today = today or dt.date.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    synthetic = simulate_organisation(size=size, seed=seed, end=last_month, name=DEMO_COMPANY)
    with transaction.atomic():
        organization = services.organization_create(slug=DEMO_SLUG, name=DEMO_NAME)
        with tempfile.TemporaryDirectory() as folder:
            synthetic.write(Path(folder))
            for kind in IMPORT_ORDER:
                report = services.import_file(
                    organization=organization, kind=kind, path=Path(folder) / f"{kind}.csv"
                )
                what = (
                    "employee records (people who left included)" if kind == "employees" else kind
                )
                progress(f"  {report.rows:>9,} {what}")
        _create_logins(organization)
    for dotted in DEMO_SEEDERS:
        module = importlib.import_module(dotted)
        module.seed_demo(
            organization=organization, synthetic=synthetic, today=today, progress=progress
        )
    progress(
        f"  {current_headcount(organization, today):>9,} employees now (the Overview's headcount)"
    )
    return organization


def current_headcount(organization, on: dt.date) -> int:
    """Employed on `on`, counted as the Overview counts them (agents hired for the centre too)."""
    from servicechain.org.access import scope_for
    from servicechain.org.models import Membership
    from servicechain.org.selectors import active_employees

    admin = Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN).first()
    return active_employees(scope_for(admin.user, organization.slug), on=on).count()


def pick_manager_unit(organization):
    """An area-level unit with several units below it: the demo manager's subtree."""
    from django.db.models import Count

    from servicechain.org.models import Unit

    candidates = (
        Unit.objects.filter(organization=organization, depth__gte=1)
        .annotate(children_count=Count("children"))
        .filter(children_count__gte=2)
        .order_by("-depth", "path")
    )
    return (
        candidates.first()
        or Unit.objects.filter(organization=organization).order_by("path").first()
    )


def _create_logins(organization) -> None:
    from servicechain.org import services
    from servicechain.org.models import Employee, Unit

    manager_unit = pick_manager_unit(organization)
    employee = (
        Employee.objects.filter(
            organization=organization,
            unit__path__startswith=manager_unit.path,
            leave_date__isnull=True,
            is_manager=False,
        )
        .select_related("unit")
        .order_by("unit__path", "pk")
        .first()
    )
    manager = Employee.objects.filter(
        organization=organization, unit=manager_unit, is_manager=True, leave_date__isnull=True
    ).first()
    for login in DEMO_LOGINS:
        person = {"manager": manager, "employee": employee}.get(login.role)
        user = services.user_create(
            username=login.username,
            password=login.password,
            first_name=person.first_name if person else login.role.replace("_", " ").title(),
            last_name=person.last_name if person else "Demo",
        )
        if login.role == "admin":
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        unit: Unit | None = None
        if login.role == "manager":
            unit = manager_unit
        elif login.role == "employee":
            unit = employee.unit
        if person is not None:
            services.employee_link_user(employee=person, user=user)
        services.membership_grant(user=user, organization=organization, role=login.role, unit=unit)
