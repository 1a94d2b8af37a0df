"""A leave date set on an employee (admin, API) hands their accounts over at once."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from servicechain.org.models import Employee


@receiver(post_save, sender=Employee, dispatch_uid="loyalty_leaver_handover")
def hand_over_on_leaving(sender, instance: Employee, **kwargs) -> None:
    if instance.leave_date is None or instance.leave_date > timezone.localdate():
        return
    if not instance.owned_customers.exists():
        return
    from .ownership import leavers_imported

    leavers_imported(organization=instance.organization, external_ids=[instance.external_id])
