"""The demo's survey data: past waves, a year of customer responses, an open census."""

import tempfile
import time
from pathlib import Path

import pytest
from django.db.models import Count

from servicechain.demo import pick_manager_unit
from servicechain.org import services as org_services
from servicechain.org.access import scope_for
from servicechain.org.models import Employee, Unit
from servicechain.simulate import simulate_organisation
from servicechain.surveys import selectors, services
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import CustomerResponse, Invitation, Response, Wave
from servicechain.surveys.seed import seed_demo
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def synthetic():
    return simulate_organisation(size="small", seed=7)


@pytest.fixture
def seeded(synthetic):
    org = org_services.organization_create(slug="demo", name="Demo")
    with tempfile.TemporaryDirectory() as folder:
        synthetic.write(Path(folder))
        for kind in ("units", "employees", "customers", "interactions"):
            org_services.import_file(organization=org, kind=kind, path=Path(folder) / f"{kind}.csv")
    manager_unit = pick_manager_unit(org)
    employee = (
        Employee.objects.filter(
            unit__path__startswith=manager_unit.path, leave_date__isnull=True, is_manager=False
        )
        .order_by("unit__path", "pk")
        .first()
    )
    user = member(org, "employee", employee.unit, username="employee")
    employee.user = user
    employee.save()
    member(org, "admin", username="admin")
    started = time.perf_counter()
    seed_demo(organization=org, synthetic=synthetic)
    return org, manager_unit, employee, time.perf_counter() - started


def test_seeding_is_fast(seeded):
    assert seeded[3] < 20


def test_past_employee_waves_hold_the_synthetic_answers(seeded, synthetic):
    org = seeded[0]
    past = (
        Wave.objects.filter(organization=org, status=Wave.Status.CLOSED)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .exclude(instrument__template="exit")
    )
    assert past.count() == len(synthetic.employee_waves) >= 3
    assert Response.objects.filter(wave__in=past).count() == len(synthetic.employee_responses)
    first = synthetic.employee_responses.iloc[0]
    stored = Response.objects.get(external_id=first["response_id"])
    assert stored.answers["ENG1"] == int(first["ENG1"])
    for wave in past:
        by_unit = dict(
            Response.objects.filter(wave=wave).values_list("unit").annotate(n=Count("pk"))
        )
        flagged = dict(
            Invitation.objects.filter(wave=wave, responded=True)
            .values_list("unit")
            .annotate(n=Count("pk"))
        )
        assert flagged == by_unit  # response rates per unit add up


def test_a_year_of_customer_responses_is_linked_to_interactions(seeded, synthetic):
    org = seeded[0]
    stored = CustomerResponse.objects.filter(wave__organization=org)
    assert stored.count() == len(synthetic.customer_responses)
    one = stored.select_related("interaction").first()
    assert one.unit_id == one.interaction.unit_id
    assert Wave.objects.filter(organization=org, kind=Wave.Kind.CUSTOMER).count() >= 4


def test_open_census_invites_the_demo_employee_who_has_not_answered(seeded):
    org, _, employee, _ = seeded
    wave = Wave.objects.get(organization=org, status=Wave.Status.OPEN)
    invitation = Invitation.objects.get(wave=wave, employee=employee)
    assert not invitation.responded
    scope = scope_for(employee.user, org.slug)
    assert selectors.my_open_invitation(scope, wave) == invitation
    assert (
        Response.objects.filter(wave=wave).count()
        == Invitation.objects.filter(wave=wave, responded=True).count()
        > 0
    )


def test_demo_manager_sees_shown_and_withheld_units_in_a_published_wave(seeded):
    org, manager_unit, _, _ = seeded
    manager = scope_for(member(org, "manager", manager_unit), org.slug)
    closed = (
        Wave.objects.filter(organization=org, status=Wave.Status.CLOSED)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .order_by("-opens_at")
    )
    mixed = []
    for wave in closed:
        published = services.results_ensure(wave=wave)
        rows = selectors.results_by_unit(manager, wave, published).rows
        if any(r["suppressed"] for r in rows) and any(not r["suppressed"] for r in rows):
            mixed.append(wave)
    assert mixed, "the demo shows the manager the gate at work in some published wave"
    small = [
        u
        for u in Unit.objects.subtree(manager_unit)
        if 0 < Response.objects.filter(wave=mixed[0], unit=u).count() < org.min_group_size
    ]
    assert small


def test_the_leaver_survey_is_a_closed_wave_invited_to_every_voluntary_leaver(seeded, synthetic):
    org = seeded[0]
    wave = Wave.objects.get(organization=org, instrument__template="exit")
    assert wave.status == Wave.Status.CLOSED
    leavers = Employee.objects.filter(organization=org, leave_type="voluntary")
    invited = Invitation.objects.filter(wave=wave)
    assert set(invited.values_list("employee_id", flat=True)) == set(
        leavers.values_list("pk", flat=True)
    )
    responses = Response.objects.filter(wave=wave)
    assert (
        responses.count() == invited.filter(responded=True).count() == len(synthetic.exit_responses)
    )
    reasons = {r.answers.get("EXT_REASON") for r in responses}
    assert reasons <= {value for value, _ in load_bank().item("EXT_REASON").options}
