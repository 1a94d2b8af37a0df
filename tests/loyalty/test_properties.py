"""Properties of the ledger and of ownership, over any sequence of acts (hypothesis).

* the balance equals the ledger identity (confirmed earned − redeemed − expired) after every
  act of any sequence of purchases, returns, redemptions, confirmations and expiry runs;
* no lot is ever overdrawn, and a redemption never takes from a pending lot, from points
  past their expiry, or more than the balance;
* a programme change never alters an entry already written, and each purchase earns by the
  rules in force on its day;
* after the leave is processed, no account is owned by an employee who has left.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.loyalty import ownership, rules_engine, selectors, services
from servicechain.loyalty.models import Account, Entry
from servicechain.org.models import Customer
from tests.factories import CustomerFactory, EmployeeFactory, OrganizationFactory, make_unit

from .helpers import moment, programme

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 5)
PROPERTY = settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
acts = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), amounts, st.integers(0, 40)),
        st.tuples(
            st.just("return"), st.integers(0, 20), st.sampled_from([1, 2, 3]), st.integers(0, 5)
        ),
        st.tuples(st.just("redeem"), st.integers(1, 400), st.integers(0, 120)),
        st.tuples(st.just("expire"), st.integers(0, 200)),
    ),
    min_size=1,
    max_size=14,
)


class Rollback(Exception):
    pass


def in_rollback(run):
    """Run one example in a transaction that is always rolled back."""
    try:
        with transaction.atomic():
            run()
            raise Rollback
    except Rollback:
        pass


def check_ledger(customer) -> None:
    totals = selectors.ledger_totals(customer)
    balance = selectors.balance(customer)
    assert balance == totals["confirmed_earned"] - totals["redeemed"] - totals["expired"]
    assert selectors.pending_points(customer) >= 0
    for lot in selectors.lots(customer) + selectors.lots(customer, pending=True):
        assert lot["remaining"] >= 0, f"lot {lot['pk']} overdrawn"
    for redemption in Entry.objects.filter(customer=customer, kind=Entry.Kind.REDEEM):
        assert redemption.lot is not None and redemption.lot.kind in selectors.CREDITS
        assert not redemption.lot.pending


def run_acts(customer, steps, window: int) -> None:
    organization = customer.organization
    clock = moment(START)
    purchases = []
    for step in steps:
        kind = step[0]
        if kind == "buy":
            clock += dt.timedelta(days=step[2])
            with time_machine.travel(clock, tick=False):
                purchase, _ = services.transaction_record(
                    organization=organization,
                    customer=customer,
                    external_id=f"T{len(purchases)}",
                    amount=step[1],
                    occurred_at=clock,
                )
                services.ledger_confirm_due(organization=organization, now=clock)
            purchases.append(purchase)
        elif kind == "return" and purchases:
            purchase = purchases[step[1] % len(purchases)]
            clock += dt.timedelta(days=step[3])
            kept = purchase.amount - sum(r.amount for r in purchase.loyalty_returns.all())
            amount = (kept / step[2]).quantize(Decimal("0.01"))
            if amount > 0:
                services.return_record(
                    organization=organization,
                    purchase=purchase,
                    amount=amount,
                    external_id=f"R{clock.isoformat()}-{purchase.pk}-{amount}",
                    occurred_at=clock,
                    now=clock,
                )
        elif kind == "redeem":
            clock += dt.timedelta(days=step[2])
            services.ledger_confirm_due(organization=organization, now=clock)
            account = Account.objects.filter(customer=customer).first()
            past_expiry = account and account.expires_at and account.expires_at <= clock
            spendable = 0 if past_expiry else selectors.balance(customer)
            if step[1] > spendable:
                with pytest.raises(ValidationError):
                    services.redemption_create(customer=customer, points=step[1], now=clock)
            else:
                services.redemption_create(customer=customer, points=step[1], now=clock)
        elif kind == "expire":
            clock += dt.timedelta(days=step[1])
            services.ledger_confirm_due(organization=organization, now=clock)
            services.expiry_run(organization=organization, now=clock)
            account = Account.objects.filter(customer=customer).first()
            lapsed = (
                account is not None
                and account.last_activity_at is not None
                and rules_engine.add_months(account.last_activity_at, 3) <= clock
            )
            if lapsed:
                assert selectors.balance(customer) <= 0
        check_ledger(customer)


@PROPERTY
@given(steps=acts, window=st.sampled_from([0, 14]))
def test_the_balance_always_equals_the_ledger_identity(steps, window):
    def run():
        organization = OrganizationFactory()
        store = make_unit(organization, "Store")
        EmployeeFactory(organization=organization, unit=store)
        customer = CustomerFactory(organization=organization)
        programme(organization, return_window_days=window, expiry_months=3)
        run_acts(customer, steps, window)

    in_rollback(run)


@PROPERTY
@given(
    changes=st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 50), st.integers(1, 5)), max_size=4
    ),
    purchases=st.lists(st.tuples(st.integers(0, 300), amounts), min_size=1, max_size=8),
)
def test_a_rule_change_never_alters_past_entries(changes, purchases):
    def run():
        organization = OrganizationFactory()
        store = make_unit(organization, "Store")
        EmployeeFactory(organization=organization, unit=store)
        customer = CustomerFactory(organization=organization)
        programme(organization, return_window_days=0)
        days = sorted(purchases)
        events = sorted(
            [(day, "buy", amount) for day, amount in days]
            + [(day, "change", (visit, unit)) for day, visit, unit in changes],
            key=lambda e: (e[0], e[1] == "buy"),
        )
        for number, (day, what, value) in enumerate(events):
            today = START + dt.timedelta(days=day)
            if what == "change":
                before = list(Entry.objects.values_list("pk", "kind", "points", "at"))
                services.programme_save(
                    organization=organization,
                    today=today,
                    points_per_visit=value[0],
                    points_per_spend_unit=value[1],
                )
                assert list(Entry.objects.values_list("pk", "kind", "points", "at")) == before
                continue
            with time_machine.travel(moment(today), tick=False):
                purchase, _ = services.transaction_record(
                    organization=organization,
                    customer=customer,
                    external_id=f"T{number}",
                    amount=value,
                    occurred_at=moment(today),
                )
        history = selectors.versions(organization)
        for entry in Entry.objects.filter(customer=customer).select_related("transaction"):
            in_force = history.at(entry.transaction.occurred_at.date())
            assert entry.programme_version == in_force.history_id
            assert entry.points == rules_engine.points_for(in_force, entry.transaction.amount)

    in_rollback(run)


@PROPERTY
@given(
    units=st.integers(1, 3),
    staff=st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=8),
    customers=st.lists(st.integers(0, 7), min_size=1, max_size=15),
)
def test_no_account_is_owned_by_a_departed_employee_after_the_leave(units, staff, customers):
    def run():
        organization = OrganizationFactory()
        stores = [make_unit(organization, f"Store {i}") for i in range(units)]
        people = [
            EmployeeFactory(organization=organization, unit=stores[unit % units])
            for unit, _ in staff
        ]
        for index in customers:
            CustomerFactory(organization=organization, owner=people[index % len(people)])
        today = dt.date(2026, 6, 1)
        leavers = [p for p, (_, leaves) in zip(people, staff, strict=True) if leaves]
        for person in leavers:
            type(person).objects.filter(pk=person.pk).update(leave_date=today)
        ownership.leavers_process(organization=organization, today=today)
        assert not selectors.orphaned_accounts(organization, today=today).exists()
        gone = {p.pk for p in leavers}
        for customer in Customer.objects.filter(organization=organization).select_related(
            "owner", "loyalty_account"
        ):
            if customer.owner is not None:
                assert customer.owner_id not in gone
            else:
                assert customer.loyalty_account.owner_unit is not None

    in_rollback(run)
