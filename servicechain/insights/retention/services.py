"""Writes of retention: the organisation's turnover-cost inputs (one transaction, audited)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from djmoney.money import Money

from servicechain.org.models import Organization
from servicechain.org.services import audit_record

from ..models import TurnoverCost
from .costs import INPUT_FIELDS, MONEY_FIELDS, CostInputs
from .turnover import JOB_FAMILIES


@transaction.atomic
def turnover_costs_save(
    *, organization: Organization, inputs: dict[str, CostInputs], actor
) -> list[TurnoverCost]:
    """Store the cost inputs of each job family given (validated; all or nothing)."""
    unknown = sorted(set(inputs) - set(JOB_FAMILIES))
    if unknown:
        raise ValidationError({"job_family": f"Unknown job family {', '.join(unknown)}."})
    saved = []
    for family, values in inputs.items():
        row = TurnoverCost.objects.filter(organization=organization, job_family=family).first()
        row = row or TurnoverCost(organization=organization, job_family=family)
        for name in INPUT_FIELDS:
            value = getattr(values, name)
            setattr(
                row, name, Money(value, organization.currency) if name in MONEY_FIELDS else value
            )
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.full_clean()
        row.save()
        saved.append(row)
    audit_record(
        action="insights.turnover_costs.save",
        organization=organization,
        actor=actor,
        detail={
            "families": sorted(inputs),
            "inputs": {
                family: {name: str(getattr(v, name)) for name in INPUT_FIELDS}
                for family, v in inputs.items()
            },
        },
    )
    return saved
