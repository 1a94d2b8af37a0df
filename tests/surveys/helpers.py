"""Builders for survey tests: a small organisation, instruments, open waves and live links."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone

from servicechain.surveys import services
from servicechain.surveys.models import Wave
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit

LINK = re.compile(r"/s/([A-Za-z0-9_-]{20,})/")

PULSE_ANSWERS = {
    "ENG1": 4,
    "ENG2": 3,
    "ENG3": 5,
    "ENG4": 4,
    "ENG5": 4,
    "ENPS1": 9,
    "MGR1": 4,
    "COMMENT": "More staff on Saturdays, please.",
}


def build_org(slug="acme", min_group_size=5, team_sizes=(6, 3, 7)):
    """acme: root -> North (region) -> North A, North B; South (region) -> South A.

    `team_sizes` employees (with e-mail addresses) in North A, North B and South A.
    """
    org = OrganizationFactory(slug=slug, min_group_size=min_group_size)
    root = make_unit(org, "Acme", kind="organisation", external_id=f"{slug}-root")
    north = make_unit(org, "North", root, kind="region", external_id=f"{slug}-north")
    south = make_unit(org, "South", root, kind="region", external_id=f"{slug}-south")
    north_a = make_unit(org, "North A", north, kind="store", external_id=f"{slug}-na")
    north_b = make_unit(org, "North B", north, kind="store", external_id=f"{slug}-nb")
    south_a = make_unit(org, "South A", south, kind="store", external_id=f"{slug}-sa")
    units = {"root": root, "north": north, "south": south, "north_a": north_a}
    units |= {"north_b": north_b, "south_a": south_a}
    for unit, size in zip((north_a, north_b, south_a), team_sizes, strict=True):
        for _ in range(size):
            employee = EmployeeFactory(unit=unit)
            employee.email = f"{employee.external_id.lower()}@acme.example"
            employee.save(update_fields=["email"])
    return org, units


def pulse_instrument(org, name="Pulse"):
    return services.instrument_create(
        organization=org, name=name, population="employee", template="engagement_pulse"
    )


def open_wave(org, audience, instrument=None, kind=Wave.Kind.CENSUS, name="Spring census", **extra):
    instrument = instrument or pulse_instrument(org, name=f"{name} instrument")
    now = timezone.now()
    wave = services.wave_create(
        organization=org,
        instrument=instrument,
        name=name,
        audience_unit=audience,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=14),
        kind=kind,
        **extra,
    )
    return services.wave_open(wave=wave)


def send_links(wave) -> list[str]:
    """Invite the wave's audience and return the tokens from the e-mails sent."""
    mail.outbox.clear()
    services.invitation_send(wave=wave, seed=1)
    return [LINK.search(message.body).group(1) for message in mail.outbox]


def add_responses(
    wave,
    unit,
    count,
    *,
    engagement=4,
    enps=8,
    tenure_band="2-5y",
    job_family="frontline",
    comment=None,
    extra=None,
):
    """Store `count` responses directly (as an import would) in `unit`."""
    from servicechain.surveys.models import Response

    answers = {f"ENG{i}": engagement for i in range(1, 6)} | {"ENPS1": enps} | (extra or {})
    if comment:
        answers["COMMENT"] = comment
    Response.objects.bulk_create(
        Response(
            wave=wave,
            unit=unit,
            tenure_band=tenure_band,
            job_family=job_family,
            answers=dict(answers),
            source=Response.Source.SEED,
        )
        for _ in range(count)
    )


def close_wave(wave):
    """Close the wave: its results are published (the only reading of its answers)."""
    return services.wave_close(wave=wave)
