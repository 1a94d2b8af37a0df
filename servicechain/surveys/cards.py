"""Home cards of the surveys app: the surveys a person is asked to answer, and for HR the
waves in progress (response rates through the gate) and the psychometric flags. Reads only."""

from __future__ import annotations

import math

from django.utils import timezone

from servicechain.org.access import Role
from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import selectors
from .models import Wave

STAFF = (Role.ADMIN, Role.HR_ANALYST)


def open_surveys(persona: Persona) -> dict | None:
    """Open waves the person was invited to and has not answered (employees always see the
    card, if only to read that nothing is waiting)."""
    scope = persona.scope
    now = timezone.now()
    waves = []
    for wave in selectors.waves_for(scope).filter(status=Wave.Status.OPEN).order_by("closes_at"):
        if selectors.my_open_invitation(scope, wave) is not None:
            seconds = (wave.closes_at - now).total_seconds()
            waves.append({"wave": wave, "days_left": max(0, math.ceil(seconds / 86400))})
    if not waves and not persona.is_a(Role.EMPLOYEE):
        return None
    return {"waves": waves, "min_n": scope.organization.min_group_size}


def waves_in_progress(persona: Persona) -> dict | None:
    if not persona.is_a(*STAFF):
        return None
    scope = persona.scope
    rows = []
    for wave in selectors.waves_for(scope).filter(status=Wave.Status.OPEN).order_by("closes_at"):
        rates = selectors.response_rates(scope, wave)
        rows.append({"wave": wave, "overall": rates[0] if rates else None})
    return {"rows": rows, "min_n": scope.organization.min_group_size}


def is_staff(persona: Persona) -> bool:
    return persona.is_a(*STAFF)


def psychometric_flags(persona: Persona) -> dict:
    """Scales below the reliability threshold in each instrument's latest wave with answers
    (each a reliability analysis of a whole wave: the card is filled in after the page)."""
    used = (
        Wave.objects.filter(organization=persona.scope.organization)
        .exclude(status=Wave.Status.DRAFT)
        .values_list("instrument_id", flat=True)
    )
    rows = []
    for instrument in selectors.instruments_for(persona.scope).filter(pk__in=used):
        flags = selectors.reliability_flags(instrument)
        if flags is not None:
            rows.append({"instrument": instrument, **flags})
    return {"rows": rows, "threshold": selectors.RELIABILITY_THRESHOLD}


register_card(
    "open_surveys", template="surveys/cards/open_surveys.html", build=open_surveys, order=1
)
register_card(
    "waves_in_progress",
    template="surveys/cards/waves_in_progress.html",
    build=waves_in_progress,
    order=10,
)
register_card(
    "psychometric_flags",
    template="surveys/cards/psychometric_flags.html",
    build=psychometric_flags,
    order=30,
    defer=is_staff,
    title="Scale reliability",
)
