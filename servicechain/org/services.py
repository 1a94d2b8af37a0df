"""Writes for the organisation: keyword-only, validated, one transaction each, audited."""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from . import privacy
from .imports import ImportFailed, ImportReport, RowError, run_import
from .models import (
    AuditEvent,
    Employee,
    Membership,
    Organization,
    RetentionPolicy,
    Unit,
    encode_segment,
)

MB = 1024 * 1024


def audit_record(
    *,
    action: str,
    organization: Organization | None = None,
    actor=None,
    target=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event for a sensitive act (export, role change, import, override)."""
    event = _audit_event(action, organization, actor, target, detail)
    event.save(force_insert=True)
    return event


def refuse_nul(**texts: str | None) -> None:
    """Refuse text no database stores (PostgreSQL rejects a NUL character), naming the field,
    before anything is looked up or written."""
    for field, text in texts.items():
        if text and "\x00" in text:
            raise ValidationError({field: "The text contains a NUL character; remove it."})


def audit_records(
    *,
    action: str,
    organization: Organization | None = None,
    actor=None,
    events: Iterable[tuple[Any, dict]],
) -> int:
    """Append one audit event per (target, detail) of one act done to many records at once (an
    import batch), in one insert. Returns the events written."""
    rows = [_audit_event(action, organization, actor, target, detail) for target, detail in events]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _audit_event(action: str, organization, actor, target, detail: dict | None) -> AuditEvent:
    return AuditEvent(
        organization=organization,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "")) if target is not None else "",
        detail=detail or {},
    )


@transaction.atomic
def organization_create(*, slug: str, name: str, min_group_size: int | None = None) -> Organization:
    organization = Organization(slug=slug, name=name)
    if min_group_size is not None:
        organization.min_group_size = min_group_size
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def unit_create(
    *,
    organization: Organization,
    external_id: str,
    name: str,
    parent: Unit | None = None,
    kind: str = Unit.Kind.TEAM,
) -> Unit:
    if parent is not None and parent.organization_id != organization.pk:
        raise ValueError("The parent unit belongs to another organisation.")
    unit = Unit(
        organization=organization, external_id=external_id, name=name, parent=parent, kind=kind
    )
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = (parent.path if parent else "") + encode_segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, new_parent: Unit | None, actor=None) -> Unit:
    """Re-parent a unit; its whole subtree's paths are rewritten in one statement."""
    if new_parent is not None and new_parent.is_within(unit):
        raise ValueError("A unit cannot move under itself or one of its descendants.")
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "") + encode_segment(unit.pk)
    depth_change = (new_parent.depth + 1 if new_parent else 0) - unit.depth
    from django.db.models import F

    Unit.objects.filter(organization=unit.organization, path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_change,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    audit_record(
        action="unit.move",
        organization=unit.organization,
        actor=actor,
        target=unit,
        detail={"new_parent": new_parent.external_id if new_parent else None},
    )
    unit.refresh_from_db()
    return unit


@transaction.atomic
def membership_grant(
    *,
    user,
    organization: Organization,
    role: str,
    unit: Unit | None = None,
    actor=None,
) -> Membership:
    """Give a person a role in an organisation (replacing any role they had there)."""
    membership = Membership.objects.filter(user=user, organization=organization).first()
    membership = membership or Membership(user=user, organization=organization)
    membership.role = role
    membership.unit = unit
    membership.full_clean(validate_unique=False)
    membership.save()
    audit_record(
        action="membership.grant",
        organization=organization,
        actor=actor,
        target=membership,
        detail={
            "user": user.get_username(),
            "role": role,
            "unit": unit.external_id if unit else None,
        },
    )
    return membership


@transaction.atomic
def user_create(
    *, username: str, password: str, email: str = "", first_name: str = "", last_name: str = ""
):
    User = get_user_model()
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def employee_link_user(*, employee: Employee, user) -> Employee:
    employee.user = user
    employee.save(update_fields=["user"])
    return employee


def import_file(
    *,
    organization: Organization,
    kind: str,
    path: Path,
    filename: str | None = None,
    dry_run: bool = False,
    actor=None,
    options: dict | None = None,
    target=None,
) -> ImportReport:
    """Import a CSV/XLSX file atomically (see `imports.run_import`) and audit it.

    `target` is the object the import was scoped to (e.g. a team), recorded in the audit entry
    with whatever else the import wrote to (`report.written_to`)."""
    report = run_import(
        organization=organization,
        kind=kind,
        path=path,
        filename=filename,
        dry_run=dry_run,
        options=options,
    )
    if not dry_run:
        audit_record(
            action=f"import.{kind}",
            organization=organization,
            actor=actor,
            target=target,
            detail=report.as_dict() | report.written_to,
        )
    return report


def import_upload(
    *,
    organization: Organization,
    kind: str,
    upload,
    dry_run: bool = False,
    actor=None,
    options: dict | None = None,
    target=None,
) -> ImportReport:
    """Import an uploaded file (Django `UploadedFile`): refused above the upload limit
    (`SERVICECHAIN_MAX_UPLOAD_MB`), otherwise spooled to a temporary file in chunks so a large
    upload never sits in memory, then `import_file`."""
    name = upload.name or "upload.csv"
    if upload.size > settings.MAX_UPLOAD_BYTES:
        message = (
            f"the file is {upload.size / MB:,.1f} MB; uploads are limited to "
            f"{settings.MAX_UPLOAD_BYTES / MB:,.0f} MB (SERVICECHAIN_MAX_UPLOAD_MB): split it, "
            "or have an administrator import it with `servicechain import`"
        )
        raise ImportFailed([RowError(name, None, None, message)])
    suffix = Path(name).suffix or ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        return import_file(
            organization=organization,
            kind=kind,
            path=Path(tmp.name),
            filename=upload.name,
            dry_run=dry_run,
            actor=actor,
            options=options,
            target=target,
        )


# --------------------------------------------------------------------------- privacy rights


@transaction.atomic
def employee_export(*, employee: Employee, actor=None) -> dict:
    """A person's personal data as JSON-ready data (`selectors.personal_data`), audited.

    The audit entry names the employee by id only, so it holds nothing an erasure would
    have to take back."""
    from .selectors import personal_data  # selectors import no services; the reverse is fine

    data = personal_data(employee)
    audit_record(
        action="privacy.export",
        organization=employee.organization,
        actor=actor,
        target=employee,
        detail={"sections": [key for key in data if key not in ("format", "exported_at")]},
    )
    return data


@dataclass
class ErasureReport:
    reference: str
    login: str  # "anonymised", "kept: it belongs to other organisations too", "none"
    changes: dict[str, int]


@transaction.atomic
def employee_erase(*, employee: Employee, actor=None) -> ErasureReport:
    """Erase a person from an organisation (docs/privacy.md, "Erasure").

    The employee row stays, pseudonymised (`erased-<reference>`, no name, e-mail, job title
    or login), so foreign keys and aggregates keep working: headcounts, tenure and
    attrition still count the row, work they served keeps its unit. Each app removes or
    unlinks its part (`privacy.parts`). The login is anonymised and disabled (plans they
    owned keep pointing at it), unless it also belongs to another organisation, which then
    keeps it without this organisation's role. Confidential survey responses need nothing:
    they never had a link. The audit log keeps a tombstone naming only the random reference.
    """
    # Lock the row only (`of`): the login is a nullable join, which PostgreSQL cannot lock.
    employee = (
        Employee.objects.select_for_update(of=("self",))
        .select_related("organization", "unit", "user")
        .get(pk=employee.pk)
    )
    if employee.external_id.startswith(privacy.ERASED_PREFIX) and not employee.full_name:
        raise ValidationError(f"{employee.external_id} has already been erased.")
    user = employee.user
    if user is not None and getattr(actor, "pk", None) == user.pk:
        raise ValidationError("You cannot erase yourself: ask another administrator.")
    others = user is not None and (
        Membership.objects.filter(user=user).exclude(organization=employee.organization).exists()
    )
    erasure = privacy.Erasure(
        employee=employee,
        user=user,
        reference=secrets.token_hex(8),
        whole_account=user is not None and not others,
    )
    changes: dict[str, int] = {}
    for part in privacy.parts():
        if part.erase is not None:
            changes |= part.erase(erasure)
    login = _login_erase(erasure)
    Employee.objects.filter(pk=employee.pk).update(
        external_id=erasure.pseudonym,
        first_name="",
        last_name="",
        email="",
        job_title="",
        user=None,
    )
    audit_record(
        action=privacy.ERASURE_ACTION,
        organization=employee.organization,
        actor=actor,
        target=employee,
        detail={"reference": erasure.reference, "login": login, "changes": changes},
    )
    return ErasureReport(reference=erasure.reference, login=login, changes=changes)


def _login_erase(erasure: privacy.Erasure) -> str:
    user = erasure.user
    if user is None:
        return "none"
    Membership.objects.filter(user=user, organization=erasure.organization).delete()
    if not erasure.whole_account:
        return "kept: it belongs to other organisations too"
    old_username = user.get_username()
    user.username = erasure.pseudonym
    user.first_name = user.last_name = user.email = ""
    user.is_active = user.is_staff = user.is_superuser = False
    # A new (unusable) password also ends every session: Django checks its hash on each request.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    AccessAttempt.objects.filter(username=old_username).delete()
    AccessLog.objects.filter(username=old_username).delete()
    AccessFailureLog.objects.filter(username=old_username).delete()
    return "anonymised"


@dataclass
class RetentionOutcome:
    organization: str
    what: str
    months: int
    before: dt.datetime | None
    count: int | None  # None: no installed app keeps this kind of data yet
    verb: str = "removed"
    dry_run: bool = False

    def line(self) -> str:
        if self.count is None:
            return (
                f"{self.organization} · {self.what}: {self.months} months set; no installed app "
                "keeps them yet, so nothing to do"
            )
        did = f"would be {self.verb}" if self.dry_run else self.verb
        return (
            f"{self.organization} · {self.what} older than {self.months} months "
            f"(before {self.before:%Y-%m-%d}): {self.count} {did}"
        )


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (31 March − 1 month = 28/29
    February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


RETENTION_FIELDS = {
    "comment_months": "survey comments",
    "incident_months": "incidents",
    "audit_months": "audit events",
}


def retention_apply(
    *,
    dry_run: bool = False,
    organization: Organization | None = None,
    now: dt.datetime | None = None,
    actor=None,
) -> list[RetentionOutcome]:
    """Apply every organisation's `RetentionPolicy` through the registered rules (one
    transaction per organisation, audited); a dry run only counts what would go."""
    now = now or timezone.now()
    policies = RetentionPolicy.objects.select_related("organization").order_by("organization__slug")
    if organization is not None:
        policies = policies.filter(organization=organization)
    rules = {rule.policy_field: rule for rule in privacy.RETENTION_RULES}
    outcomes = []
    for policy in policies:
        with transaction.atomic():
            done = []
            for field, what in RETENTION_FIELDS.items():
                months = getattr(policy, field)
                if months is None:
                    continue
                rule = rules.get(field)
                outcome = RetentionOutcome(policy.organization.slug, what, months, None, None)
                if rule is not None:
                    outcome.before = months_before(now, months)
                    outcome.verb, outcome.dry_run = rule.verb, dry_run
                    outcome.count = rule.apply(
                        organization=policy.organization, before=outcome.before, dry_run=dry_run
                    )
                done.append(outcome)
            if done and not dry_run:
                audit_record(
                    action="privacy.retention",
                    organization=policy.organization,
                    actor=actor,
                    detail={o.what: o.count for o in done},
                )
            outcomes += done
    return outcomes
