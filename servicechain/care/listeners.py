"""Imports that concern care: an excluded customer served again is marked on the record of
that new interaction (the audit log) and their standing shows on every screen that lists it."""

from __future__ import annotations

from django.utils import timezone

from servicechain.org.models import Interaction
from servicechain.org.services import audit_record

from . import selectors


def excluded_customers_served(*, organization, external_ids) -> None:
    """Called in the import's transaction after each batch of interactions."""
    rows = list(
        Interaction.objects.filter(organization=organization, external_id__in=external_ids)
        .filter(started_at__date__gte=timezone.localdate())
        .values_list("pk", "external_id", "customer_id")
    )
    if not rows:
        return
    excluded = selectors.excluded_customers({c for _, _, c in rows})
    for pk, external_id, customer_id in rows:
        if customer_id in excluded:
            audit_record(
                action="care.excluded_customer_served",
                organization=organization,
                target=Interaction(pk=pk),
                detail={"interaction": external_id, "excluded_until": str(excluded[customer_id])},
            )
