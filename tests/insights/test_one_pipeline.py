"""One results pipeline: the same unit, wave and scale shows the same number on every page,
API answer and export (issue 11: the surveys results page and the insights pages used to
compute each scale separately)."""

from __future__ import annotations

import csv
import io

import pytest

from servicechain.org.models import Unit
from servicechain.surveys import services
from servicechain.surveys.models import Wave

pytestmark = pytest.mark.django_db


def published_waves(organization) -> list[Wave]:
    waves = list(
        Wave.objects.filter(organization=organization, status=Wave.Status.CLOSED)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .order_by("opens_at")
    )
    for wave in waves:
        services.results_ensure(wave=wave)
    return waves


def test_every_published_wave_shows_the_same_numbers_on_every_route(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    api = f"/api/orgs/{demo_world.slug}"
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    compared = 0
    for wave in published_waves(demo_world.organization):
        surveys = client.get(f"{api}/waves/{wave.pk}/results").json()
        by_unit = {row["unit_id"]: row for row in surveys["units"]}
        heatmap = client.get(f"{api}/insights/heatmap?wave={wave.pk}&unit={root.pk}").json()
        export = client.get(
            f"/o/{demo_world.slug}/insights/?wave={wave.pk}&unit={root.pk}&format=csv&table=heatmap"
        )
        exported = {int(r["unit_id"]): r for r in csv.DictReader(io.StringIO(export.text))}
        for row in heatmap["rows"]:
            theirs = by_unit[row["unit_id"]]
            assert row["respondents"] == theirs["respondents"]
            for code, cell in zip((c for c, _ in heatmap["columns"]), row["cells"], strict=True):
                mine = theirs["scores"][code]
                assert (cell["value"] is None) == (mine["value"] is None), (wave, code)
                assert (cell["value"] is None) == (exported[row["unit_id"]][code] == "")
                if cell["value"] is None:
                    continue
                assert mine["value"] == pytest.approx(cell["value"], abs=0.005)
                assert mine["n"] == cell["n"]
                assert mine["lower"] == pytest.approx(cell["lower"], abs=0.005)
                assert float(exported[row["unit_id"]][code]) == pytest.approx(
                    cell["value"], abs=0.05
                )
                compared += 1
        summary = client.get(f"{api}/insights/summary?wave={wave.pk}&unit={root.pk}").json()
        for score in summary["scores"]:
            if score["cell"]["value"] is not None:
                top = by_unit[root.pk]["scores"][score["code"]]
                assert top["value"] == pytest.approx(score["cell"]["value"], abs=0.005)
    assert compared > 50, "the demo's published waves show many cells"
