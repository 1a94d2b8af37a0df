"""A person's data across the apps: what each app exports, erases and lets age out.

Each app that stores something about a person declares it in its own `privacy.py` module
(found by `autodiscover`, as the admin finds `admin.py`): `register_personal_data` for the
sections of a person's export and how to erase them, `register_retention_rule` for what an
organisation's `RetentionPolicy` removes with age. A new app (the care app's incidents, say)
plugs in by adding its module; the services (`employee_export`, `employee_erase`,
`retention_apply` in `services.py`) and the commands call every registered part.

This module registers the organisation app's own parts: interactions and transactions the
person served, customers they own, audit events they took part in, and the audit log's
retention. See docs/privacy.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.module_loading import autodiscover_modules

from .models import AuditEvent, Customer, Employee, Interaction, Organization, Transaction

ERASURE_ACTION = "privacy.erase"
ERASED_PREFIX = "erased-"


@dataclass(frozen=True)
class Erasure:
    """What an erasure step needs: the person, their login (None when they have none), the
    tombstone's random reference, and whether the whole login goes (False when the login
    also belongs to another organisation, which keeps it)."""

    employee: Employee
    user: object | None
    reference: str
    whole_account: bool

    @property
    def organization(self) -> Organization:
        return self.employee.organization

    @property
    def pseudonym(self) -> str:
        return ERASED_PREFIX + self.reference


@dataclass(frozen=True)
class PersonalDataPart:
    """One section of a person's data: `export(employee, user)` returns JSON-ready data;
    `erase(erasure)` removes or unlinks it and returns counts of what it changed."""

    key: str
    export: Callable[[Employee, object | None], object]
    erase: Callable[[Erasure], dict[str, int]] | None
    order: int


@dataclass(frozen=True)
class RetentionRule:
    """Data that ages out: `apply(organization=, before=, dry_run=)` removes what is older
    than `before` (or only counts it on a dry run) and returns how many items it touched.
    `policy_field` names the `RetentionPolicy` field holding the period in months."""

    key: str
    what: str  # "survey comments"
    verb: str  # "blanked"
    policy_field: str
    apply: Callable[..., int]


PARTS: list[PersonalDataPart] = []
RETENTION_RULES: list[RetentionRule] = []


def register_personal_data(
    key: str,
    *,
    export: Callable[[Employee, object | None], object],
    erase: Callable[[Erasure], dict[str, int]] | None = None,
    order: int = 50,
) -> None:
    if all(part.key != key for part in PARTS):
        PARTS.append(PersonalDataPart(key=key, export=export, erase=erase, order=order))


def register_retention_rule(
    key: str, *, what: str, verb: str, policy_field: str, apply: Callable[..., int]
) -> None:
    if all(rule.key != key for rule in RETENTION_RULES):
        RETENTION_RULES.append(
            RetentionRule(key=key, what=what, verb=verb, policy_field=policy_field, apply=apply)
        )


def parts() -> list[PersonalDataPart]:
    return sorted(PARTS, key=lambda part: (part.order, part.key))


def autodiscover() -> None:
    """Import every installed app's `privacy` module (they register their parts)."""
    autodiscover_modules("privacy")


def when(value) -> str | None:
    """A date or time as ISO 8601 text (None stays None)."""
    return None if value is None else value.isoformat()


# --------------------------------------------------------------------------- org's own parts


def _interactions(employee: Employee, user) -> list[dict]:
    rows = Interaction.objects.filter(employee=employee).select_related("unit", "customer")
    return [
        {
            "external_id": i.external_id,
            "channel": i.channel,
            "started_at": when(i.started_at),
            "duration_s": i.duration_s,
            "unit": i.unit.name,
            "customer": i.customer.external_id,
        }
        for i in rows.order_by("started_at", "pk")
    ]


def _transactions(employee: Employee, user) -> list[dict]:
    rows = Transaction.objects.filter(employee=employee).select_related("customer")
    return [
        {
            "external_id": t.external_id,
            "amount": str(t.amount),
            "currency": employee.organization.currency,
            "occurred_at": when(t.occurred_at),
            "customer": t.customer.external_id,
        }
        for t in rows.order_by("occurred_at", "pk")
    ]


def _customers_owned(employee: Employee, user) -> list[str]:
    # Customers are people too: their identifier only, not their name or address.
    return list(
        Customer.objects.filter(owner=employee)
        .order_by("external_id")
        .values_list("external_id", flat=True)
    )


def _served_erase(erasure: Erasure) -> dict[str, int]:
    """The work stays where it was done (its unit), without the person who did it."""
    employee = erasure.employee
    return {
        "interactions unlinked": Interaction.objects.filter(employee=employee).update(
            employee=None
        ),
        "transactions unlinked": Transaction.objects.filter(employee=employee).update(
            employee=None
        ),
        "customers unassigned": Customer.objects.filter(owner=employee).update(owner=None),
    }


def _audit_events_of(employee: Employee, user):
    about = Q(target_type="Employee", target_id=str(employee.pk))
    mine = Q(actor=user) if user is not None else Q(pk__in=[])
    return AuditEvent.objects.filter(organization=employee.organization).filter(about | mine)


def _audit_export(employee: Employee, user) -> list[dict]:
    return [
        {
            "created_at": when(e.created_at),
            "action": e.action,
            "role": "actor" if user is not None and e.actor_id == user.pk else "subject",
            "target_type": e.target_type,
            "target_id": e.target_id,
            "detail": e.detail,
        }
        for e in _audit_events_of(employee, user).order_by("created_at", "pk")
    ]


def identifiers_of(erasure: Erasure) -> set[str]:
    """The strings that name the person in free-form records (audit details)."""
    employee, user = erasure.employee, erasure.user
    names = {employee.external_id, employee.email, employee.full_name}
    if user is not None:
        names |= {user.get_username(), user.email, user.get_full_name()}
    return {n for n in names if n and len(n.strip()) >= 2}


def _scrubbed(value, names: set[str], pseudonym: str):
    if isinstance(value, str):
        return pseudonym if value in names else value
    if isinstance(value, list):
        return [_scrubbed(v, names, pseudonym) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed(v, names, pseudonym) for k, v in value.items()}
    return value


def _audit_erase(erasure: Erasure) -> dict[str, int]:
    """Audit details that name the person (e.g. a role granted to their username) keep the
    event but name the pseudonym instead; the events themselves stay (the log is evidence)."""
    names = identifiers_of(erasure)
    if not names:
        return {"audit details scrubbed": 0}
    mention = Q()
    for name in names:
        # As stored: JSON escapes non-ASCII letters on some databases (SQLite), not others.
        for form in {name, json.dumps(name)[1:-1]}:
            mention |= Q(detail_text__contains=form)
    events = (
        AuditEvent.objects.filter(organization=erasure.organization)
        .annotate(detail_text=Cast("detail", TextField()))
        .filter(mention)
    )
    changed = []
    for event in events:
        detail = _scrubbed(event.detail, names, erasure.pseudonym)
        if detail != event.detail:
            event.detail = detail
            changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["detail"], batch_size=500)
    return {"audit details scrubbed": len(changed)}


def _audit_retention(*, organization: Organization, before: dt.datetime, dry_run: bool) -> int:
    """Audit events older than the policy, except erasure tombstones (no personal data; the
    proof that a person's erasure was carried out)."""
    old = AuditEvent.objects.filter(organization=organization, created_at__lt=before).exclude(
        action=ERASURE_ACTION
    )
    if dry_run:
        return old.count()
    deleted, _ = old.delete()
    return deleted


register_personal_data("interactions_served", export=_interactions, erase=_served_erase, order=20)
register_personal_data("transactions", export=_transactions, order=21)
register_personal_data("customers_owned", export=_customers_owned, order=22)
# Last, so the details it scrubs include whatever the other parts' erasures recorded.
register_personal_data("audit_events", export=_audit_export, erase=_audit_erase, order=99)
register_retention_rule(
    "audit_events",
    what="audit events",
    verb="deleted",
    policy_field="audit_months",
    apply=_audit_retention,
)
