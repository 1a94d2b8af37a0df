"""Who may do what in loyalty: named `rules` predicates over a member's `Scope`.

A customer belongs to the unit of the employee who owns the account (or to the owning unit
when no employee does). An employee sees the customers they own or have served; a manager
the customers owned in their subtree; an administrator everyone. HR analysts read the
programme's aggregates, never a single customer's card.
"""

from __future__ import annotations

import rules
from django.http import Http404

from servicechain.org.access import Role
from servicechain.org.models import Customer, Interaction, Transaction


@rules.predicate
def is_admin(scope) -> bool:
    return scope.role == Role.ADMIN


@rules.predicate
def is_manager(scope) -> bool:
    return scope.role == Role.MANAGER


@rules.predicate
def is_hr_analyst(scope) -> bool:
    return scope.role == Role.HR_ANALYST


@rules.predicate
def is_employee(scope) -> bool:
    return scope.role == Role.EMPLOYEE


def _employee_of(scope):
    return getattr(scope.user, "employee", None)


def owning_unit(customer):
    """The unit a customer belongs to: their owner's, else the account's owning unit."""
    if customer.owner_id is not None:
        return customer.owner.unit
    account = getattr(customer, "loyalty_account", None)
    return account.owner_unit if account is not None else None


@rules.predicate
def owns_customer(scope, customer) -> bool:
    employee = _employee_of(scope)
    return employee is not None and customer.owner_id == employee.pk


@rules.predicate
def served_customer(scope, customer) -> bool:
    employee = _employee_of(scope)
    if employee is None:
        return False
    return (
        Transaction.objects.filter(customer=customer, employee=employee).exists()
        or Interaction.objects.filter(customer=customer, employee=employee).exists()
    )


@rules.predicate
def manages_customer(scope, customer) -> bool:
    unit = owning_unit(customer)
    return unit is not None and scope.can_see_unit(unit)


can_see_customer = is_admin | (is_manager & manages_customer) | owns_customer | served_customer
#: The unit's lists of customers due and at risk name customers: never HR (aggregates only).
reads_customer_lists = is_admin | is_manager | is_employee
can_read_programme = is_admin | is_hr_analyst | is_manager
can_edit_programme = is_admin
can_close_liability = is_admin
can_confirm_handovers = is_admin | is_manager
can_post_ledger = is_admin | is_manager | is_employee


def openable_customer_ids(scope, customer_ids) -> set[int]:
    """Which of these customers' cards the member may open (as `can_see_customer`, in two
    queries): an admin or manager all of their lists; an employee those they own or served."""
    ids = {int(pk) for pk in customer_ids}
    if not ids or scope.role in (Role.ADMIN, Role.MANAGER):
        customers = Customer.objects.filter(organization=scope.organization, pk__in=ids)
        customers = customers.select_related("owner__unit", "loyalty_account__owner_unit")
        return {c.pk for c in customers if can_see_customer(scope, c)}
    employee = _employee_of(scope)
    if employee is None:
        return set()
    owned = Customer.objects.filter(pk__in=ids, owner=employee).values_list("pk", flat=True)
    served = Transaction.objects.filter(customer_id__in=ids, employee=employee).values_list(
        "customer_id", flat=True
    )
    talked = Interaction.objects.filter(customer_id__in=ids, employee=employee).values_list(
        "customer_id", flat=True
    )
    return set(owned) | set(served) | set(talked)


def visible_customer(scope, customer_id) -> Customer:
    """A customer of the organisation the member may see, else 404 (never reveal others)."""
    customer = (
        Customer.objects.filter(organization=scope.organization, pk=_as_int(customer_id))
        .select_related("owner__unit", "loyalty_account__owner_unit")
        .first()
    )
    if customer is None or not can_see_customer(scope, customer):
        raise Http404("No such customer.")
    return customer


def visible_customer_by_external_id(scope, external_id: str) -> Customer:
    customer = (
        Customer.objects.filter(organization=scope.organization, external_id=external_id)
        .select_related("owner__unit")
        .first()
    )
    if customer is None or not can_see_customer(scope, customer):
        raise Http404(f"No customer {external_id!r} that you may see.")
    return customer


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
