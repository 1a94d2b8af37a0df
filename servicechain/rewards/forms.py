"""The plan builder's form, read into the service's arguments: no code, one message per
mistake (which component, which field)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from servicechain.org.models import Employee, Unit

from .models import Component, Metric, Period, ProfitSharePool

COMPONENT_ROWS = 3


def parse_tiers(text: str, where: str) -> list[dict]:
    """ "80:50, 90:120" → [{"threshold": "80", "amount": "50"}, …]."""
    tiers = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        threshold, sep, amount = part.partition(":")
        if not sep:
            raise ValidationError(
                {"tiers": f"{where}: write tiers as threshold:amount, e.g. 80:50, 90:120."}
            )
        tiers.append({"threshold": threshold.strip(), "amount": amount.strip()})
    return tiers


def _date(value: str, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: f"Write a date as YYYY-MM-DD, not {value!r}."}) from None


def _int(value: str, field: str, default: int | None) -> int | None:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({field: f"Write a whole number, not {value!r}."}) from None
    if number < 0:
        raise ValidationError({field: "Cannot be negative."})
    return number


def component_specs(data) -> list[dict]:
    specs = []
    for i in range(1, COMPONENT_ROWS + 1):
        metric = data.get(f"metric_{i}", "").strip()
        if not metric:
            continue
        where = f"Component {i}"
        specs.append(
            {
                "name": data.get(f"name_{i}", "").strip(),
                "metric": metric,
                "scope": data.get(f"scope_{i}") or Component.Scope.EMPLOYEE,
                "min_responses": _int(data.get(f"min_responses_{i}"), "min_responses", 10),
                "baseline_months": _int(data.get(f"baseline_months_{i}"), "baseline_months", None),
                "threshold": data.get(f"threshold_{i}", ""),
                "rate": data.get(f"rate_{i}", "") or None,
                "tiers": parse_tiers(data.get(f"tiers_{i}", ""), where),
                "floor": data.get(f"floor_{i}", ""),
                "cap": data.get(f"cap_{i}", "") or None,
                "weight": data.get(f"weight_{i}", "") or "1",
            }
        )
    return specs


def pool_spec(data, organization) -> dict | None:
    basis = data.get("pool_basis", "").strip()
    if not basis:
        return None
    unit = None
    if data.get("pool_unit"):
        unit = Unit.objects.filter(organization=organization, pk=data["pool_unit"]).first()
        if unit is None:
            raise ValidationError({"pool_unit": "No such unit."})
    return {
        "basis": basis,
        "share": data.get("pool_share", ""),
        "fixed_amount": data.get("pool_fixed_amount", ""),
        "unit": unit,
        "split": data.get("pool_split") or ProfitSharePool.Split.EQUAL,
        "role_weights": {
            family: data[f"weight_{family}"]
            for family in Employee.JobFamily.values
            if data.get(f"weight_{family}")
        },
    }


def plan_form(data, organization) -> dict:
    """The builder's fields as keyword arguments of `plan_create` + `plan_version_create`."""
    unit = None
    if data.get("unit"):
        unit = Unit.objects.filter(organization=organization, pk=data["unit"]).first()
        if unit is None:
            raise ValidationError({"unit": "No such unit."})
    return {
        "name": data.get("name", ""),
        "period": data.get("period") or Period.MONTH,
        "job_family": data.get("job_family", ""),
        "unit": unit,
        "unit_kind": data.get("unit_kind", ""),
        "min_tenure_days": _int(data.get("min_tenure_days"), "min_tenure_days", 0),
        "effective_from": _date(data.get("effective_from", ""), "effective_from"),
        "components": component_specs(data),
        "pool": pool_spec(data, organization),
    }


COMPONENT_FIELDS = ("name", "metric", "scope", "min_responses", "baseline_months", "tiers")
COMPONENT_FIELDS += ("threshold", "rate", "floor", "cap", "weight")
COMPONENT_DEFAULTS = {"min_responses": "10", "baseline_months": "6", "weight": "1"}


def component_rows(data) -> list[dict]:
    """The builder's component rows as typed, so a refused save shows them again (not blank)."""
    return [
        {"i": i}
        | {f: data.get(f"{f}_{i}", COMPONENT_DEFAULTS.get(f, "")) for f in COMPONENT_FIELDS}
        for i in range(1, COMPONENT_ROWS + 1)
    ]


def role_weight_rows(data) -> list[tuple[str, str, str]]:
    """(job family, label, weight as typed) for the pool's split by role."""
    return [(v, label, data.get(f"weight_{v}", "")) for v, label in Employee.JobFamily.choices]


CHOICES = {
    "metrics": Metric.choices,
    "scopes": Component.Scope.choices,
    "periods": Period.choices,
    "families": Employee.JobFamily.choices,
    "unit_kinds": Unit.Kind.choices,
    "bases": ProfitSharePool.Basis.choices,
    "splits": ProfitSharePool.Split.choices,
}
