"""The default wave follows the viewer's scope (UI walk: a small wave blanked other pages).

HR runs a new survey for one area only. For every other manager, Engagement, Comments and
Driver impact must keep opening on the latest wave that shows *their* area, all three
agreeing; the area's own manager, and HR for the whole organisation, open on the new wave.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from servicechain.insights.selectors import employee_waves
from servicechain.org.models import Employee, Unit
from servicechain.surveys import services
from servicechain.surveys.models import Wave
from servicechain.surveys.selectors import latest_shown_wave

from .test_differencing import answer_everything

pytestmark = pytest.mark.django_db

PAGES = ("insights/", "insights/comments/", "insights/drivers/")
SELECTED = re.compile(r'<select id="wave" name="wave">.*?<option value="(\d+)" selected', re.S)


def other_area(world) -> Unit:
    """An area beside the manager's, with enough people to show results."""
    mine = world.manager_unit
    for area in Unit.objects.filter(organization=world.organization, depth=mine.depth):
        if area.pk == mine.pk:
            continue
        people = Employee.objects.filter(
            unit__in=Unit.objects.subtree(area), leave_date__isnull=True
        )
        if people.count() >= 8:
            return area
    raise AssertionError("the demo has no second area of eight people")


def small_wave_for(world, area: Unit, client) -> Wave:
    census = employee_waves(world.organization)[0]
    now = timezone.now()
    wave = services.wave_create(
        organization=world.organization,
        instrument=census.instrument,
        name="Pulse for one area",
        audience_unit=area,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
        kind=Wave.Kind.PULSE,
    )
    wave = services.wave_open(wave=wave)
    services.invitation_send(wave=wave)
    people = Employee.objects.filter(
        unit__in=Unit.objects.subtree(area), leave_date__isnull=True
    ).order_by("pk")[:8]
    for person in people:
        answer_everything(wave, person, client)
    return services.wave_close(wave=wave)


def selected_waves(client, world, user) -> list[int]:
    client.force_login(user)
    shown = []
    for page in PAGES:
        response = client.get(f"/o/{world.slug}/{page}")
        assert response.status_code == 200, page
        shown.append(int(SELECTED.search(response.content.decode()).group(1)))
    return shown


def test_a_small_wave_for_one_area_is_not_another_managers_default(demo_world, client):
    before = selected_waves(client, demo_world, demo_world.users["manager"])
    assert len(set(before)) == 1, "Engagement, Comments and Driver impact agree"

    area = other_area(demo_world)
    wave = small_wave_for(demo_world, area, client)

    after = selected_waves(client, demo_world, demo_world.users["manager"])
    assert after == before, "the manager's pages keep the wave that shows their area"
    assert wave.pk not in after
    waves = employee_waves(demo_world.organization)
    assert latest_shown_wave(waves, area) == wave, "the new wave is the area's own default"
    assert selected_waves(client, demo_world, demo_world.users["hr_analyst"]) == [wave.pk] * 3


def test_the_managers_engagement_page_is_not_blank_after_the_small_wave(demo_world, client):
    small_wave_for(demo_world, other_area(demo_world), client)
    client.force_login(demo_world.users["manager"])
    html = client.get(f"/o/{demo_world.slug}/insights/").content.decode()
    card = re.search(r'data-testid="engagement">(.*?)</div>\s*</div>', html, re.S).group(1)
    value = re.search(r'<div class="value">([\d.]+)</div>', card)
    assert value is not None, f"the manager's engagement index is shown: {card}"
    assert 0 <= float(value.group(1)) <= 100
    assert re.search(r"95% CI [\d.]+ to [\d.]+ · n = \d+", card)
