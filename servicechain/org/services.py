"""Writes for the organisation: keyword-only, validated, one transaction each, audited."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from .imports import ImportFailed, ImportReport, RowError, run_import
from .models import AuditEvent, Employee, Membership, Organization, Unit, encode_segment

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
    return AuditEvent.objects.create(
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
