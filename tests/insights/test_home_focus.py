"""The home's "Where to focus" card: drivers of the manager's unit worth a plan, from the
newest published wave that shows the unit."""

from __future__ import annotations

import pytest

from servicechain.insights import selectors
from servicechain.insights.access import Audience
from servicechain.org.access import scope_for

pytestmark = pytest.mark.django_db


def test_focus_drivers_are_plan_candidates_of_the_newest_wave_showing_the_unit(demo_world):
    audience = Audience(scope_for(demo_world.users["hr_analyst"], demo_world.slug))
    focus = selectors.home_focus(audience)
    wave = selectors.latest_shown_wave(
        selectors.employee_waves(demo_world.organization), audience.default_focus
    )
    results = selectors.wave_results(wave)
    names = dict(selectors.scale_columns(results.snapshot))
    candidates = selectors.plan_candidates(audience, results, audience.default_focus)
    assert focus is not None and 0 < len(focus) <= 3
    assert {item["name"] for item in focus} <= {names[c] for c in candidates}
    assert all(wave.name in item["detail"] and "driver=" in item["url"] for item in focus)


def test_the_managers_home_shows_where_to_focus_with_a_link_to_start_a_plan(demo_world, client):
    client.force_login(demo_world.users["manager"])
    page = client.get("/", follow=True).content.decode()
    assert "Where to focus" in page
    audience = Audience(scope_for(demo_world.users["manager"], demo_world.slug))
    focus = selectors.home_focus(audience)
    if focus:
        assert focus[0]["name"] in page and "plans/new/" in page
    else:
        assert "No focus drivers yet" in page
