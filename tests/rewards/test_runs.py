"""Plans, payout runs and statements through the services: what is paid and why, the second
person's approval, lock and immutability, corrections after lock, spot bonuses, withheld
excess, pools to the cent, gaming flags and the payroll rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from djmoney.money import Money
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.notifications.models import Notification
from servicechain.org.models import AuditEvent
from servicechain.recognition.models import SpotBonus
from servicechain.rewards import selectors, services
from servicechain.rewards.models import (
    Component,
    GamingFlag,
    PayoutLine,
    PayoutRun,
    Plan,
    PlanVersion,
    WithheldBalance,
)
from servicechain.surveys.models import CustomerResponse
from tests.factories import InteractionFactory
from tests.recognition.helpers import person
from tests.rewards.helpers import (
    OCTOBER,
    SEPTEMBER,
    approve_and_lock,
    build_org,
    csat_plan,
    customer_wave,
    moment,
    pool_plan,
    preview,
    ratings,
    second_admin,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return build_org()


def withdraw(employee, count: int) -> None:
    """Delete the employee's `count` earliest customer responses (after a lock, say)."""
    ids = CustomerResponse.objects.filter(interaction__employee=employee).order_by("pk")
    CustomerResponse.objects.filter(pk__in=list(ids.values_list("pk", flat=True)[:count])).delete()


def note_run(org):
    return PayoutRun.objects.get(organization=org.organization)


def line_of(run, employee, kind=PayoutLine.Kind.COMPONENT):
    return run.lines.get(employee=employee, kind=kind)


# ------------------------------------------------------------------------- plans


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rate": "-2", "tiers": []}, "Cannot be negative"),
        ({"floor": "50", "cap": "20"}, "the cap (20) is below the floor (50)"),
        ({"metric": "happiness"}, "unknown metric 'happiness'"),
        ({"tiers": [{"threshold": 80}]}, "Tier 1 needs a threshold and an amount"),
        ({"tiers": [], "rate": None}, "give tiers or a linear rate"),
        ({"metric": "repeat_revenue", "scope": "employee"}, "measured per unit"),
    ],
)
def test_a_bad_plan_is_refused_with_a_clear_error_and_saves_nothing(org, change, message):
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        csat_plan(org, **change)

    assert message in " ".join(error.value.messages)
    assert not Plan.objects.filter(organization=org.organization).exists()
    assert Component.objects.count() == 0 and AuditEvent.objects.count() == audits


def test_a_version_overlapping_an_existing_one_is_refused(org):
    version = csat_plan(org)
    with pytest.raises(ValidationError, match="cannot overlap"):
        services.plan_version_create(
            plan=version.plan,
            actor=org.users["admin"],
            components=[{"metric": "csat", "tiers": [{"threshold": 1, "amount": 1}]}],
            effective_from=SEPTEMBER,
        )
    assert version.plan.versions.count() == 1


def test_a_change_made_mid_period_applies_from_the_next_period(org):
    version = csat_plan(org)
    changed = services.plan_version_create(
        plan=version.plan,
        actor=org.users["admin"],
        components=[{"metric": "csat", "tiers": [{"threshold": 50, "amount": "10"}]}],
        today=dt.date(2026, 11, 17),
    )
    assert changed.number == 2 and changed.effective_from == dt.date(2026, 12, 1)
    assert selectors.version_at(version.plan, dt.date(2026, 11, 1)) == version
    assert selectors.version_at(version.plan, dt.date(2026, 12, 1)) == changed
    with pytest.raises(ValidationError, match="from the next period"):
        services.plan_version_create(
            plan=version.plan,
            actor=org.users["admin"],
            components=[{"metric": "csat", "rate": "1"}],
            effective_from=dt.date(2027, 1, 1),
            today=dt.date(2027, 1, 5),
        )


# --------------------------------------------------------------------- preview


def test_a_preview_pays_on_enough_ratings_and_explains_every_line(org):
    wave = customer_wave(org)
    version = csat_plan(org)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 11 + [3])
    ratings(wave, org.people["north1"], dt.date(2026, 9, 12), [5] * 6)

    run = preview(org)

    paid = line_of(run, org.people["north0"])
    assert paid.amount == Money("50.00", "GBP")
    assert paid.plan_version == version
    assert paid.metrics["responses"] == 12 and paid.metrics["value"] == pytest.approx(91.67)
    assert paid.thresholds == ["≥ 80"]
    assert paid.reason.startswith("Paid 50.00 because your CSAT was 91.7, crossing ≥ 80")
    few = line_of(run, org.people["north1"])
    assert few.amount.amount == 0
    assert "6 responses, fewer than the 10 needed" in few.reason


def test_the_response_minimum_never_goes_below_the_organisations_minimum_group_size(org):
    wave = customer_wave(org)
    csat_plan(org, min_responses=2)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5, 5, 5, 5])

    run = preview(org)

    line = line_of(run, org.people["north0"])
    assert line.amount.amount == 0 and "fewer than the 5 needed" in line.reason


def test_excess_above_the_cap_is_withheld_and_kept_in_a_balance_at_lock(org):
    wave = customer_wave(org)
    csat_plan(org, tiers=[{"threshold": 80, "amount": "300"}], cap="200")
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 12)

    run = preview(org)
    line = line_of(run, org.people["north0"])
    assert line.amount.amount == Decimal("200.00") and line.withheld == Decimal("100.00")
    assert "100.00 above the cap of 200" in line.reason
    approve_and_lock(org, run)

    balance = WithheldBalance.objects.get(employee=org.people["north0"])
    assert balance.amount == Decimal("100.00")


def test_a_fixed_pool_is_split_among_the_eligible_exactly_to_the_cent(org):
    pool_plan(org, amount="100.00", unit=org.north)

    run = preview(org)

    lines = run.lines.filter(kind=PayoutLine.Kind.POOL)
    assert lines.count() == 3
    assert sorted(line.amount.amount for line in lines) == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]
    assert "Your share of 100.00 (a fixed pool of 100.00), split by an equal share" in (
        lines[0].reason
    )


# ------------------------------------------------------------- approve and lock


def test_the_creator_cannot_approve_their_own_run(org):
    csat_plan(org)
    run = preview(org, actor="admin")

    with pytest.raises(ValidationError, match="someone else must approve"):
        services.run_approve(run=run, actor=org.users["admin"])
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.PREVIEW and run.approved_by is None


def test_whoever_recomputed_a_preview_cannot_approve_it_but_its_first_author_can(org):
    csat_plan(org)
    run = preview(org, actor="admin")
    preview(org, actor="hr")

    with pytest.raises(ValidationError, match="last recomputed this run; someone else"):
        services.run_approve(run=run, actor=org.users["hr"])
    approved = services.run_approve(run=run, actor=org.users["admin"])

    assert approved.status == PayoutRun.Status.APPROVED and approved.created_by == org.users["hr"]


def test_a_locked_run_is_immutable_and_rerunning_it_changes_nothing(org):
    wave = customer_wave(org)
    csat_plan(org)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 12)
    run = approve_and_lock(org, preview(org))
    before = list(run.lines.values_list("pk", "amount", "reason"))

    ratings(wave, org.people["north1"], dt.date(2026, 9, 11), [5] * 12)  # late answers
    again = preview(org, actor="hr")

    assert again.pk == run.pk and again.status == PayoutRun.Status.LOCKED
    assert list(again.lines.values_list("pk", "amount", "reason")) == before
    with pytest.raises(ValidationError, match="Only a preview can be approved"):
        services.run_approve(run=again, actor=org.users["hr"])


scores = st.lists(st.integers(1, 5), max_size=14)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(north0=scores, south0=scores, late=scores, withdrawn=st.integers(0, 6))
def test_property_a_locked_run_never_changes_whatever_the_data_does_later(
    north0, south0, late, withdrawn
):
    """Any ratings, locked; then late answers arrive and earlier ones are withdrawn: previewing
    the locked period again returns the same run, with the same lines, still locked."""
    with transaction.atomic():
        org = build_org()
        wave = customer_wave(org)
        csat_plan(org)
        pool_plan(org, amount="10.00")
        ratings(wave, org.people["north0"], dt.date(2026, 9, 10), north0)
        ratings(wave, org.people["south0"], dt.date(2026, 9, 12), south0)
        run = approve_and_lock(org, preview(org))
        locked = list(run.lines.order_by("pk").values_list("pk", "amount", "reason", "metrics"))

        ratings(wave, org.people["north0"], dt.date(2026, 9, 20), late)
        withdraw(org.people["south0"], withdrawn)
        again = preview(org, actor="hr")

        assert again.pk == run.pk and again.status == PayoutRun.Status.LOCKED
        assert again.approved_by == run.approved_by and again.created_by == run.created_by
        assert (
            list(again.lines.order_by("pk").values_list("pk", "amount", "reason", "metrics"))
            == locked
        )
        transaction.set_rollback(True)


def test_locking_tells_each_employee_their_statement_is_ready(org):
    wave = customer_wave(org)
    csat_plan(org)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 12)

    approve_and_lock(org, preview(org))

    note = Notification.objects.get(recipient=org.users["north0"], event="rewards.statement_ready")
    assert note.title == "Your pay statement for 2026-09 is ready"
    assert note.url == f"/o/{org.organization.slug}/rewards/?run={note_run(org).pk}"
    assert AuditEvent.objects.filter(action="rewards.run_locked").count() == 1
    assert AuditEvent.objects.filter(action="rewards.run_approved").count() == 1


def test_the_payroll_rows_come_from_locked_runs_only(org):
    wave = customer_wave(org)
    csat_plan(org)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 12)
    run = preview(org)

    with pytest.raises(ValidationError, match="Only a locked run goes to payroll"):
        services.run_export(run=run, actor=org.users["admin"])
    approve_and_lock(org, run)
    rows = services.run_export(run=run, actor=org.users["admin"])

    north0 = org.people["north0"]
    assert rows == [
        [north0.external_id, "2026-09", "Store CSAT bonus: Customer satisfaction", "100.00", "GBP"]
    ], "one row per line that pays something"
    assert AuditEvent.objects.filter(action="rewards.run_exported").exists()


# ------------------------------------------------------------------ corrections


def test_a_correction_after_lock_posts_a_clawback_in_the_next_run_linked_to_the_original(org):
    wave = customer_wave(org)
    csat_plan(org)
    north0 = org.people["north0"]
    ratings(wave, north0, dt.date(2026, 9, 10), [5] * 10 + [2, 2])
    september = approve_and_lock(org, preview(org))
    original = line_of(september, north0)
    assert original.amount.amount == Decimal("50.00")

    # Three responses are withdrawn after lock (e.g. a customer's erasure request): nine
    # are left, fewer than the ten the component needs.
    withdraw(north0, 3)
    october = preview(org, start=OCTOBER)

    clawback = october.lines.get(employee=north0, kind=PayoutLine.Kind.CLAWBACK)
    assert clawback.corrects == original
    assert clawback.amount.amount == Decimal("-50.00")
    assert original.amount.amount + clawback.amount.amount == 0
    assert "2026-09 paid 50.00" in clawback.reason and "50.00 is taken back" in clawback.reason
    september.refresh_from_db()
    assert line_of(september, north0).amount.amount == Decimal("50.00")


def test_a_correction_is_posted_once_not_again_in_every_later_run(org):
    wave = customer_wave(org)
    csat_plan(org)
    north0 = org.people["north0"]
    ratings(wave, north0, dt.date(2026, 9, 10), [5] * 12)
    approve_and_lock(org, preview(org))
    withdraw(north0, 5)
    approve_and_lock(org, preview(org, start=OCTOBER))

    november = preview(org, start=dt.date(2026, 11, 1))

    assert not november.lines.filter(kind__in=["clawback", "top_up"]).exists()


# ------------------------------------------------------------ spot bonuses, flags


def test_a_spot_bonus_arrives_as_a_line_and_is_marked_paid_when_the_run_locks(org):
    bonus = SpotBonus.objects.create(
        organization=org.organization,
        manager=org.users["boss"],
        employee=org.people["south1"],
        amount=Money("75.00", "GBP"),
        reason="Stayed late to rescue a wedding order",
        created_at=moment(dt.date(2026, 9, 20)),
    )
    csat_plan(org)
    run = preview(org)
    line = run.lines.get(kind=PayoutLine.Kind.SPOT_BONUS)
    assert line.employee == org.people["south1"] and line.amount.amount == Decimal("75.00")
    assert "Stayed late to rescue a wedding order" in line.reason

    approve_and_lock(org, run)

    bonus.refresh_from_db()
    assert bonus.status == SpotBonus.Status.PAID and bonus.payout_reference == run.reference
    october = preview(org, start=OCTOBER)
    assert not october.lines.filter(kind=PayoutLine.Kind.SPOT_BONUS).exists()


def test_a_spot_bonus_nominated_after_a_period_waits_for_a_later_periods_run(org):
    SpotBonus.objects.create(
        organization=org.organization,
        manager=org.users["boss"],
        employee=org.people["south1"],
        amount=Money("40.00", "GBP"),
        reason="Covered a colleague's shift",
        created_at=moment(dt.date(2026, 10, 3)),
    )
    csat_plan(org)

    assert not preview(org).lines.filter(kind=PayoutLine.Kind.SPOT_BONUS).exists()
    assert preview(org, start=OCTOBER).lines.filter(kind=PayoutLine.Kind.SPOT_BONUS).count() == 1


def test_a_comment_about_being_asked_for_a_score_flags_the_run_for_hr_before_approval(org):
    wave = customer_wave(org)
    csat_plan(org)
    north0 = org.people["north0"]
    ratings(wave, north0, dt.date(2026, 9, 10), [5] * 11)
    ratings(wave, north0, dt.date(2026, 9, 11), [5], comment="She asked me to rate her 10 please")
    run = preview(org)
    pay_before = line_of(run, north0).amount

    flag = run.flags.get()
    assert flag.employee == north0 and flag.kind == GamingFlag.Kind.ASKED_FOR_SCORE
    with pytest.raises(ValidationError, match="1 gaming flag waits for HR's review"):
        services.run_approve(run=run, actor=second_admin(org))

    services.flag_review(flag=flag, actor=org.users["hr"], note="Talked to her; coached.")
    services.run_approve(run=run, actor=org.users["admin2"])

    run.refresh_from_db()
    assert run.status == PayoutRun.Status.APPROVED
    assert line_of(run, north0).amount == pay_before, "a flag never changes pay"


def test_a_response_rate_far_above_the_units_is_flagged(org):
    wave = customer_wave(org)
    csat_plan(org)
    for n in range(3, 7):
        person(org, f"north{n}", org.north)
    for n in range(7):
        employee = org.people[f"north{n}"]
        InteractionFactory.create_batch(
            40, unit=org.north, employee=employee, started_at=moment(dt.date(2026, 9, 3))
        )
        ratings(wave, employee, dt.date(2026, 9, 10), [4] * (38 if n == 6 else 10 + n % 2))
    # Three answers from three contacts is a 100 % response rate, and noise: not judged.
    ratings(wave, person(org, "north7", org.north), dt.date(2026, 9, 10), [5, 5, 5])

    run = preview(org)

    flags = list(run.flags.filter(kind__in=["response_rate", "top_scores"]))
    assert [f.employee for f in flags] == [org.people["north6"]]
    assert "robust z" in flags[0].detail


# -------------------------------------------------------------------- statements


def test_a_statement_explains_the_lines_and_why_the_payout_changed(org):
    wave = customer_wave(org)
    csat_plan(org)
    north0 = org.people["north0"]
    ratings(wave, north0, dt.date(2026, 9, 10), [5] * 12)
    approve_and_lock(org, preview(org))
    ratings(wave, north0, dt.date(2026, 10, 10), [5] * 9 + [2] * 3)
    approve_and_lock(org, preview(org, start=OCTOBER))

    page = selectors.statement(north0)

    assert page["run"].label == "2026-10" and page["previous"].label == "2026-09"
    change = next(c for c in page["changes"] if c["label"].endswith("Customer satisfaction"))
    assert change["before"] == Decimal("100.00") and change["now"] == Decimal("0.00")
    assert change["difference"] == Decimal("-100.00")
    assert "not past the first threshold (80)" in change["why_now"]


def test_statements_count_only_locked_runs(org):
    wave = customer_wave(org)
    csat_plan(org)
    ratings(wave, org.people["north0"], dt.date(2026, 9, 10), [5] * 12)
    preview(org)

    assert selectors.statement(org.people["north0"]) is None
    assert PlanVersion.objects.count() == 1


def test_repeat_business_pays_on_the_customers_owned_or_on_those_served_as_the_plan_says(org):
    """north0 owns six customers; north1 served every one of their purchases in August and
    September: on the owned book north0 earns, on the customers served north1 does."""
    from servicechain.loyalty import services as loyalty_services
    from tests.factories import CustomerFactory

    for c in range(6):
        customer = CustomerFactory(organization=org.organization, owner=org.people["north0"])
        for day in (dt.date(2026, 8, 10), dt.date(2026, 9, 10)):
            loyalty_services.transaction_record(
                organization=org.organization,
                customer=customer,
                external_id=f"t-{c}-{day}",
                amount=Decimal("20.00"),
                occurred_at=moment(day),
                employee=org.people["north1"],
            )
    rule = {"metric": "repeat_rate", "baseline_months": None, "min_responses": 5, "rate": "1"}
    services.plan_build(
        organization=org.organization,
        actor=org.users["admin"],
        name="Repeat business",
        period="month",
        components=[
            {"name": "Your book", "scope": "employee", **rule},
            {"name": "Customers you served", "scope": "served", **rule},
        ],
        effective_from=SEPTEMBER,
    )

    run = preview(org)

    def paid(name, component):
        line = run.lines.get(employee=org.people[name], component__name=component)
        return line.amount.amount, line.reason

    assert paid("north0", "Your book") == (
        Decimal("100.00"),
        "Paid 100.00 because your repeat-business rate was 100.0, crossing > 0.",
    )
    assert paid("north1", "Customers you served")[0] == Decimal("100.00")
    assert (
        "your served customers’ repeat-business rate was 100.0"
        in paid("north1", "Customers you served")[1]
    )
    assert paid("north1", "Your book")[0] == paid("north0", "Customers you served")[0] == 0
    assert (
        "No pay: 0 customers, fewer than the 5 needed" in paid("north0", "Customers you served")[1]
    )
