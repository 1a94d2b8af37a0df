"""Differencing over time: one more answer to an open wave moves nothing anyone can read.

The attack (red-team report, finding 1): read a cell, let one person submit, read it again;
``n1·m1 − n0·m0`` was that person's score on every scale, and the one new comment theirs.
Here every role reads every results-bearing API answer and page — for the open wave by id,
for the default wave, the whole organisation and the attacked units, with and without
filters — then one employee of the manager's area answers every question (with a comment)
through the real survey link, and everyone reads again. Nothing may differ.
"""

from __future__ import annotations

import json
import re

import pytest

from servicechain.org.models import Employee, Unit
from servicechain.surveys import services
from servicechain.surveys.models import Invitation, Response, Wave
from servicechain.surveys.questions import questions_of

pytestmark = pytest.mark.django_db

COMMENT = "REDTEAM-7731 my manager takes credit for our work"
ROLES = ("admin", "hr_analyst", "manager", "employee")
# Per-request noise that is not a reading of results.
NOISE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def open_census(organization) -> Wave:
    return Wave.objects.get(
        organization=organization, kind=Wave.Kind.CENSUS, status=Wave.Status.OPEN
    )


def urls(world, wave: Wave, role: str) -> list[str]:
    """Every GET that carries survey results, as this role would ask for them."""
    slug = world.slug
    root = Unit.objects.get(organization=world.organization, depth=0)
    focus = {"manager": world.manager_unit, "employee": world.employee_unit}.get(role, root)
    units = {root.pk, focus.pk, world.employee_unit.pk} if role != "manager" else set()
    units |= {focus.pk} | (
        set(Unit.objects.filter(parent=world.manager_unit).values_list("pk", flat=True))
        if role in ("manager", "admin", "hr_analyst")
        else set()
    )
    api = f"/api/orgs/{slug}"
    out = [
        f"{api}/waves/{wave.pk}/results",
        f"{api}/insights/heatmap",
        f"{api}/insights/summary",
        f"{api}/insights/comments",
        f"{api}/insights/customers",
        f"/o/{slug}/insights/",
        f"/o/{slug}/insights/comments/",
        f"/o/{slug}/surveys/waves/{wave.pk}/results/",
        f"/o/{slug}/insights/?format=csv&table=heatmap",
    ]
    for unit in sorted(units):
        out += [
            f"{api}/insights/heatmap?wave={wave.pk}&unit={unit}",
            f"{api}/insights/summary?wave={wave.pk}&unit={unit}",
            f"{api}/insights/comments?wave={wave.pk}&unit={unit}",
            f"{api}/waves/{wave.pk}/comments?unit_id={unit}",
            f"{api}/waves/{wave.pk}/results/breakdown?dimension=tenure_band&unit_id={unit}",
            f"{api}/waves/{wave.pk}/results/breakdown?dimension=job_family&unit_id={unit}",
            f"/o/{slug}/insights/?wave={wave.pk}&unit={unit}",
            f"/o/{slug}/insights/comments/?wave={wave.pk}&unit={unit}",
        ]
        for dimension, category in (("job_family", "frontline"), ("tenure_band", "<1y")):
            out += [
                f"{api}/insights/heatmap?wave={wave.pk}&unit={unit}"
                f"&dimension={dimension}&category={category}",
            ]
    for dimension, category in (("job_family", "frontline"), ("tenure_band", "2-5y")):
        out.append(
            f"{api}/waves/{wave.pk}/results/filtered?dimension={dimension}&category={category}"
        )
    if role in ("admin", "hr_analyst"):
        out.append(f"{api}/waves/{wave.pk}/psychometrics")
        out.append(f"/o/{slug}/surveys/waves/{wave.pk}/psychometrics/")
    return out


def read_everything(client, world, wave) -> dict[tuple[str, str], str]:
    readings = {}
    for role in ROLES:
        client.force_login(world.users[role])
        for url in urls(world, wave, role):
            response = client.get(url)
            body = response.content.decode()
            if response.get("Content-Type", "").startswith("application/json"):
                body = json.dumps(json.loads(body), sort_keys=True)
            readings[(role, url)] = f"{response.status_code} {NOISE.sub('', body)}"
    client.logout()
    return readings


def answer_everything(wave: Wave, employee: Employee, client) -> None:
    """One employee answers every question, with a comment, through the survey link."""
    token = services.invitation_issue_link(wave=wave, employee=employee)
    answers = {}
    for question in questions_of(wave.instrument):
        kind = question.item.type
        if kind == "text":
            answers[question.code] = COMMENT
        elif kind == "nps11":
            answers[question.code] = 0
        else:
            answers[question.code] = 1
    response = client.post(
        f"/api/respond/{token}", json.dumps({"answers": answers}), content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_one_more_answer_to_an_open_wave_moves_nothing_any_role_can_read(demo_world, client):
    wave = open_census(demo_world.organization)
    invited = Invitation.objects.filter(
        wave=wave,
        responded=False,
        employee__unit__path__startswith=demo_world.manager_unit.path,
    ).select_related("employee")
    employee = invited.first().employee
    before = read_everything(client, demo_world, wave)
    assert any("engagement" in body for body in before.values()), "the readings read results"
    count = Response.objects.filter(wave=wave).count()

    answer_everything(wave, employee, client)

    assert Response.objects.filter(wave=wave).count() == count + 1
    after = read_everything(client, demo_world, wave)
    moved = [key for key in before if before[key] != after[key]]
    assert moved == [], f"readings that moved after one answer: {moved[:5]}"
    assert not any(COMMENT in body for body in after.values())


def test_the_answer_is_read_only_once_the_wave_closes_and_then_never_moves(demo_world, client):
    wave = open_census(demo_world.organization)
    employee = (
        Invitation.objects.filter(wave=wave, responded=False).select_related("employee").first()
    ).employee
    answer_everything(wave, employee, client)
    services.wave_close(wave=wave)
    client.force_login(demo_world.users["hr_analyst"])
    first = client.get(f"/api/orgs/{demo_world.slug}/waves/{wave.pk}/results").json()
    assert first["status"] == "published" and first["units"]
    again = client.get(f"/api/orgs/{demo_world.slug}/waves/{wave.pk}/results").json()
    assert first == again
