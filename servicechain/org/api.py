from __future__ import annotations

import datetime as dt
import json

from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from . import selectors, services
from .access import Role, memberships_of, scope_for
from .imports import IMPORTERS

router = Router(tags=["organisation"])


class OrganisationOut(Schema):
    slug: str
    name: str
    role: str
    min_group_size: int


class UnitOut(Schema):
    id: int
    external_id: str
    name: str
    kind: str
    depth: int
    parent_id: int | None


class HeadcountOut(Schema):
    unit_id: int
    unit: str
    external_id: str
    kind: str
    depth: int
    headcount: int


class EmployeeOut(Schema):
    id: int
    external_id: str
    first_name: str
    last_name: str
    job_title: str
    job_family: str
    unit_id: int
    hire_date: dt.date
    leave_date: dt.date | None


class ImportOut(Schema):
    kind: str
    file: str
    rows: int
    created: int
    updated: int
    dry_run: bool


class ErrorOut(Schema):
    detail: str


@router.get("", response=list[OrganisationOut], summary="Organisations I belong to")
def organisations(request):
    return [
        {
            "slug": m.organization.slug,
            "name": m.organization.name,
            "role": m.role,
            "min_group_size": m.organization.min_group_size,
        }
        for m in memberships_of(request.user)
    ]


@router.get("/{org}/units", response=list[UnitOut], summary="Units I may see, in tree order")
def units(request, org: str):
    return list(scope_for(request.user, org).units())


@router.get("/{org}/units/{unit_id}/subtree", response=list[UnitOut])
def unit_subtree(request, org: str, unit_id: int):
    unit = scope_for(request.user, org).get_unit(unit_id)
    return list(selectors.unit_subtree(unit))


@router.get("/{org}/headcount", response=list[HeadcountOut], summary="Active employees per unit")
def headcount(request, org: str):
    return selectors.headcount_by_unit(scope_for(request.user, org))


@router.get("/{org}/employees", response=list[EmployeeOut])
def employees(request, org: str, unit_id: int | None = None):
    scope = scope_for(request.user, org)
    scope.require(Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
    qs = selectors.active_employees(scope)
    if unit_id is not None:
        qs = qs.filter(unit__path__startswith=scope.get_unit(unit_id).path)
    return list(qs.order_by("pk")[:5000])


@router.post(
    "/{org}/imports/{kind}",
    response={200: ImportOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    summary="Import a CSV or XLSX file (atomic: all rows or none)",
)
def import_file(
    request,
    org: str,
    kind: str,
    file: UploadedFile = File(...),
    dry_run: bool = Form(False),
    wave: str | None = Form(None),
    mapping: str | None = Form(None),
):
    """Kinds: units, employees, customers, interactions, transactions, responses.

    Responses also take `wave` (the wave's id or name) and `mapping` (a JSON object from the
    file's column names to item codes).
    """
    scope = scope_for(request.user, org)
    scope.require(Role.ADMIN, Role.HR_ANALYST)
    if kind not in IMPORTERS:
        raise HttpError(
            404, f"Unknown import kind {kind!r}; use one of {', '.join(sorted(IMPORTERS))}."
        )
    options = {}
    if wave:
        options["wave"] = wave
    if mapping:
        try:
            options["mapping"] = json.loads(mapping)
        except json.JSONDecodeError as exc:
            raise HttpError(422, f"mapping is not valid JSON: {exc}") from None
    report = services.import_upload(
        organization=scope.organization,
        kind=kind,
        upload=file,
        dry_run=dry_run,
        actor=request.user,
        options=options,
    )
    return report.as_dict()
