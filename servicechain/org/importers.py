"""Import kinds for the organisation: units, employees, customers, interactions, transactions.

Each is an `Importer` (see `imports.py`): the columns it reads, how references to other
records are resolved, and one upsert per batch keyed by (organisation, external_id).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models

from . import imports
from .imports import Column, ErrorLog, Importer, register
from .models import (
    Customer,
    Employee,
    Interaction,
    LeaveReason,
    LeaveType,
    Transaction,
    Unit,
    encode_segment,
    leave_problems,
)


def lookup(model, organization, external_ids, *fields: str) -> dict[str, Any]:
    """Map external ids of `model` in the organisation to their pk (or a tuple with `fields`)."""
    ids = {i for i in external_ids if i}
    if not ids:
        return {}
    rows = model.objects.filter(organization=organization, external_id__in=ids).values_list(
        "external_id", "pk", *fields
    )
    if fields:
        return {row[0]: row[1:] for row in rows}
    return dict(rows)


def _adapter(field):
    """How one field's Python value becomes a database parameter (what Django does per row)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    return None


def upsert(model, rows: list[dict], update_fields: list[str]) -> int:
    """INSERT … ON CONFLICT (organization, external_id) DO UPDATE; returns rows written.

    `rows` are dicts keyed by field attname (`customer_id`, not `customer`); missing fields
    take their default. Written as SQL on plain dicts rather than `bulk_create` on model
    instances because building instances and Django's per-value preparation dominated import
    time. PostgreSQL gets each column as one array and unnests them in a single set-based
    statement per batch; SQLite gets multi-row VALUES lists.
    """
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    attnames = [f.attname for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    updates = ", ".join(
        f"{quote(model._meta.get_field(name).column)} = EXCLUDED.{quote(model._meta.get_field(name).column)}"
        for name in update_fields
    )
    # Identifiers come from the model and are quoted by the backend, column types from its
    # fields; every value is a %s parameter (hence the nosecs below).
    conflict = (
        f" ON CONFLICT ({quote('organization_id')}, {quote('external_id')}) DO UPDATE SET {updates}"  # nosec B608
    )
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [[row.get(a, defaults[a]) for row in rows] for a in attnames]
            casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            cursor.execute(insert + f"SELECT * FROM unnest({casts})" + conflict, arrays)  # nosec B608
            return len(rows)
        adapters = [_adapter(f) for f in fields]
        values = [
            [
                adapt(value) if adapt is not None and value is not None else value
                for value, adapt in zip(
                    (row.get(a, defaults[a]) for a in attnames), adapters, strict=True
                )
            ]
            for row in rows
        ]
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            params = [value for row in chunk for value in row]
            cursor.execute(
                insert + "VALUES " + ", ".join([placeholder] * len(chunk)) + conflict, params
            )
    return len(rows)


def service_code(value: Any) -> str:
    """A product/service code as the till or CRM exports it: text, at most 50 characters (a
    spreadsheet's numeric code 4012 arrives as 4012.0 and is read back as "4012")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return imports.text(50)(value)


def require(mapping: dict, values: dict, column: str, errors: ErrorLog, number: int, what: str):
    """The record referenced by `values[column]`, or None with an error naming the unknown id."""
    key = values[column]
    if key is None:
        return None
    if key not in mapping:
        errors.add(number, column, f"unknown {what} {key!r}; import the {what}s first")
        return None
    return mapping[key]


@register
class UnitImporter(Importer):
    kind = "units"
    model = Unit
    columns = (
        Column("external_id", imports.identifier),
        Column("name", imports.text(200)),
        Column("parent_external_id", imports.identifier, required=False),
        Column("kind", imports.choice(Unit.Kind.values), required=False),
    )

    def __init__(self, organization, **options):
        super().__init__(organization, **options)
        # Units are few (tens of thousands at most), so the file's parent links are kept until
        # the whole tree is known; parents may appear after their children.
        self.parents: dict[str, tuple[int, str | None]] = {}

    def write(self, rows, errors, *, write):
        objects = []
        for number, values in rows:
            self.parents[values["external_id"]] = (number, values["parent_external_id"])
            objects.append(
                dict(
                    organization_id=self.organization.pk,
                    external_id=values["external_id"],
                    name=values["name"],
                    kind=values["kind"] or Unit.Kind.TEAM,
                    path="",
                )
            )
        if not write:
            return 0
        return upsert(Unit, objects, ["name", "kind"])

    def finish(self, errors: ErrorLog, *, write: bool) -> None:
        units = {u.external_id: u for u in Unit.objects.filter(organization=self.organization)}
        by_pk = {u.pk: u for u in units.values()}
        parent_of: dict[str, str | None] = {
            u.external_id: by_pk[u.parent_id].external_id if u.parent_id else None
            for u in units.values()
        }
        for external_id, (number, parent) in self.parents.items():
            if parent is not None and parent not in units and parent not in self.parents:
                errors.add(number, "parent_external_id", f"unknown parent unit {parent!r}")
            elif parent == external_id:
                errors.add(number, "parent_external_id", "a unit cannot be its own parent")
            parent_of[external_id] = parent
        if errors:
            return
        order = _tree_order(parent_of, self.parents, errors)
        if errors or not write:
            return
        changed = []
        for external_id in order:
            unit = units[external_id]
            parent_id = parent_of[external_id]
            parent = units[parent_id] if parent_id else None
            path = (parent.path if parent else "") + encode_segment(unit.pk)
            depth = parent.depth + 1 if parent else 0
            new_parent_pk = parent.pk if parent else None
            if (unit.path, unit.depth, unit.parent_id) != (path, depth, new_parent_pk):
                unit.path, unit.depth, unit.parent_id = path, depth, new_parent_pk
                changed.append(unit)
        Unit.objects.bulk_update(changed, ["path", "depth", "parent"], batch_size=1000)


def _tree_order(parent_of: dict[str, str | None], rows: dict, errors: ErrorLog) -> list[str]:
    """Units ordered parents first; cycles are reported on the rows that close them."""
    children: dict[str | None, list[str]] = {}
    for unit, parent in parent_of.items():
        children.setdefault(parent, []).append(unit)
    order, stack = [], list(children.get(None, []))
    while stack:
        unit = stack.pop()
        order.append(unit)
        stack.extend(children.get(unit, []))
    if len(order) != len(parent_of):
        placed = set(order)
        for unit in sorted(set(parent_of) - placed):
            number = rows.get(unit, (None,))[0]
            errors.add(number, "parent_external_id", f"unit {unit!r} is part of a cycle of parents")
    return order


@register
class EmployeeImporter(Importer):
    kind = "employees"
    model = Employee
    columns = (
        Column("external_id", imports.identifier),
        Column("unit_external_id", imports.identifier),
        Column("first_name", imports.text(100), required=False),
        Column("last_name", imports.text(100), required=False),
        Column("email", imports.email, required=False),
        Column("job_title", imports.text(200), required=False),
        Column("job_family", imports.choice(Employee.JobFamily.values), required=False),
        Column("hire_date", imports.date),
        Column("leave_date", imports.date, required=False),
        Column("is_manager", imports.boolean, required=False),
        Column("leave_type", imports.choice(LeaveType.values), required=False),
        Column("leave_reason", imports.choice(LeaveReason.values), required=False),
        Column("regretted", imports.boolean, required=False),
    )

    def write(self, rows, errors, *, write):
        units = lookup(Unit, self.organization, (v["unit_external_id"] for _, v in rows))
        objects = []
        for number, v in rows:
            unit_id = require(units, v, "unit_external_id", errors, number, "unit")
            if v["leave_date"] and v["leave_date"] < v["hire_date"]:
                errors.add(number, "leave_date", "is before hire_date")
                continue
            problems = leave_problems(
                leave_date=v["leave_date"],
                leave_type=v["leave_type"] or "",
                leave_reason=v["leave_reason"] or "",
                regretted=v["regretted"],
            )
            for column, message in problems.items():
                errors.add(number, column, message)
            if problems:
                continue
            if unit_id is None:
                continue
            objects.append(
                dict(
                    organization_id=self.organization.pk,
                    external_id=v["external_id"],
                    unit_id=unit_id,
                    first_name=v["first_name"] or "",
                    last_name=v["last_name"] or "",
                    email=v["email"] or "",
                    job_title=v["job_title"] or "",
                    job_family=v["job_family"] or Employee.JobFamily.FRONTLINE,
                    hire_date=v["hire_date"],
                    leave_date=v["leave_date"],
                    is_manager=bool(v["is_manager"]),
                    leave_type=v["leave_type"] or "",
                    leave_reason=v["leave_reason"] or "",
                    regretted=v["regretted"],
                )
            )
        if not write or errors:
            return 0
        return upsert(
            Employee,
            objects,
            [
                "unit",
                "first_name",
                "last_name",
                "email",
                "job_title",
                "job_family",
                "hire_date",
                "leave_date",
                "is_manager",
                "leave_type",
                "leave_reason",
                "regretted",
            ],
        )


@register
class CustomerImporter(Importer):
    kind = "customers"
    model = Customer
    columns = (
        Column("external_id", imports.identifier),
        Column("name", imports.text(200), required=False),
        Column("email", imports.email, required=False),
        Column("owner_employee_external_id", imports.identifier, required=False),
    )

    def write(self, rows, errors, *, write):
        owners = lookup(
            Employee, self.organization, (v["owner_employee_external_id"] for _, v in rows)
        )
        objects = []
        for number, v in rows:
            owner = v["owner_employee_external_id"]
            owner_id = require(owners, v, "owner_employee_external_id", errors, number, "employee")
            if owner and owner_id is None:
                continue
            objects.append(
                dict(
                    organization_id=self.organization.pk,
                    external_id=v["external_id"],
                    name=v["name"] or "",
                    email=v["email"] or "",
                    owner_id=owner_id,
                )
            )
        if not write or errors:
            return 0
        return upsert(Customer, objects, ["name", "email", "owner"])


@register
class InteractionImporter(Importer):
    kind = "interactions"
    model = Interaction
    columns = (
        Column("external_id", imports.identifier),
        Column("customer_external_id", imports.identifier),
        Column("employee_external_id", imports.identifier, required=False),
        Column("unit_external_id", imports.identifier, required=False),
        Column("channel", imports.choice(Interaction.Channel.values)),
        Column("started_at", imports.datetime),
        Column("duration_s", imports.integer(minimum=0, maximum=7 * 24 * 3600), required=False),
        Column("service_code", service_code, required=False),
    )

    def write(self, rows, errors, *, write):
        customers = lookup(
            Customer, self.organization, (v["customer_external_id"] for _, v in rows)
        )
        employees = lookup(
            Employee, self.organization, (v["employee_external_id"] for _, v in rows), "unit_id"
        )
        units = lookup(Unit, self.organization, (v["unit_external_id"] for _, v in rows))
        objects = []
        for number, v in rows:
            customer_id = require(customers, v, "customer_external_id", errors, number, "customer")
            employee = require(employees, v, "employee_external_id", errors, number, "employee")
            unit_id = require(units, v, "unit_external_id", errors, number, "unit")
            if v["unit_external_id"] is None:
                if v["employee_external_id"] is None:
                    errors.add(
                        number,
                        "unit_external_id",
                        "is empty; give the unit or the employee who served",
                    )
                    continue
                unit_id = employee[1] if employee else None
            if (
                customer_id is None
                or unit_id is None
                or (v["employee_external_id"] and employee is None)
            ):
                continue
            objects.append(
                dict(
                    organization_id=self.organization.pk,
                    external_id=v["external_id"],
                    customer_id=customer_id,
                    employee_id=employee[0] if employee else None,
                    unit_id=unit_id,
                    channel=v["channel"],
                    started_at=v["started_at"],
                    duration_s=v["duration_s"] or 0,
                    service_code=v["service_code"] or "",
                )
            )
        if not write or errors:
            return 0
        return upsert(
            Interaction,
            objects,
            ["customer", "employee", "unit", "channel", "started_at", "duration_s", "service_code"],
        )


@register
class TransactionImporter(Importer):
    kind = "transactions"
    model = Transaction
    columns = (
        Column("external_id", imports.identifier),
        Column("customer_external_id", imports.identifier),
        Column("employee_external_id", imports.identifier, required=False),
        Column("amount", imports.decimal),
        Column("occurred_at", imports.datetime),
        Column("service_code", service_code, required=False),
    )

    def write(self, rows, errors, *, write):
        customers = lookup(
            Customer, self.organization, (v["customer_external_id"] for _, v in rows)
        )
        employees = lookup(
            Employee, self.organization, (v["employee_external_id"] for _, v in rows)
        )
        objects = []
        for number, v in rows:
            customer_id = require(customers, v, "customer_external_id", errors, number, "customer")
            employee_id = require(employees, v, "employee_external_id", errors, number, "employee")
            if customer_id is None or (v["employee_external_id"] and employee_id is None):
                continue
            objects.append(
                dict(
                    organization_id=self.organization.pk,
                    external_id=v["external_id"],
                    customer_id=customer_id,
                    employee_id=employee_id,
                    amount=v["amount"],
                    occurred_at=v["occurred_at"],
                    service_code=v["service_code"] or "",
                )
            )
        if not write or errors:
            return 0
        return upsert(
            Transaction,
            objects,
            ["customer", "employee", "amount", "occurred_at", "service_code"],
        )
