"""The engagement and customer dashboards: who sees which rows, the numbers, the exports."""

from __future__ import annotations

import csv
import io

import pytest

from servicechain.analytics import metrics
from servicechain.insights import selectors
from servicechain.insights.access import Audience
from servicechain.insights.pages import customers_page, engagement_page
from servicechain.org.access import scope_for
from servicechain.org.models import AuditEvent, Unit

pytestmark = pytest.mark.django_db


def audience(world, role: str) -> Audience:
    return Audience(scope_for(world.users[role], world.slug))


def test_the_manager_heatmap_shows_their_unit_and_its_children_only(demo_world):
    page = engagement_page(audience(demo_world, "manager"), wave_id=None, unit_id=None)
    units = [row.unit for row in page.heatmap.rows]
    assert units[0] == demo_world.manager_unit
    assert set(units[1:]) == set(Unit.objects.filter(parent=demo_world.manager_unit))
    assert all(u.is_within(demo_world.manager_unit) for u in units)


def manager_page_with_a_withheld_cell(world):
    """The manager's engagement page on a published wave where the gate withholds one of
    their units (the demo keeps small units in the manager's area)."""
    manager = audience(world, "manager")
    for wave in selectors.employee_waves(world.organization):
        page = engagement_page(manager, wave_id=wave.pk, unit_id=None)
        if any(c.suppressed for row in page.heatmap.rows for c in row.cells):
            return page
    raise AssertionError("the demo keeps one of the manager's units below the minimum group size")


def test_the_demo_manager_sees_a_withheld_cell_with_no_value_in_it(demo_world):
    page = manager_page_with_a_withheld_cell(demo_world)
    withheld = [c for row in page.heatmap.rows for c in row.cells if c.suppressed]
    assert all(c.value is None and c.n is None for c in withheld)
    records = page.heatmap.as_records()
    reasons = {
        r[f"{code}_withheld"]
        for r in records
        for code, _ in page.heatmap.columns
        if r[code] is None and r[f"{code}_withheld"]
    }
    assert reasons and all(
        reason == "fewer than 5 answered" or reason.startswith("5 or more answered, but")
        for reason in reasons
    )


def test_an_employee_sees_the_organisation_and_their_own_unit_and_nothing_else(demo_world):
    page = engagement_page(audience(demo_world, "employee"), wave_id=None, unit_id=None)
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    assert [row.unit for row in page.heatmap.rows] == [root, demo_world.employee_unit]
    assert not any(row.can_open for row in page.heatmap.rows)


def test_a_filter_shows_only_that_groups_gated_cells(demo_world):
    page = engagement_page(
        audience(demo_world, "hr_analyst"), wave_id=None, unit_id=None, filter="tenure_band:<1y"
    )
    everyone = engagement_page(audience(demo_world, "hr_analyst"), wave_id=None, unit_id=None)
    filtered_n = page.heatmap.rows[0].respondents.n
    assert page.heatmap.category == "<1y"
    assert filtered_n is None or filtered_n < everyone.heatmap.rows[0].respondents.n


def test_change_since_the_previous_wave_is_the_welch_difference_of_the_two_waves(demo_world):
    page = engagement_page(audience(demo_world, "hr_analyst"), wave_id=None, unit_id=None)
    engagement = page.summary["engagement"]
    previous = selectors.cells(page.previous.snapshot, [page.focus.pk])[
        (page.focus.pk, "engagement")
    ]
    expected = metrics.mean_difference(engagement["cell"].estimate(), previous.estimate())
    assert engagement["change"].value == pytest.approx(engagement["cell"].value - previous.value)
    assert engagement["change"].lower == pytest.approx(expected.lower)
    enps = page.summary["enps"]
    assert enps["change"].value == pytest.approx(
        enps["cell"].value
        - selectors.cells(page.previous.snapshot, [page.focus.pk])[(page.focus.pk, "enps")].value
    )


def test_units_with_a_plan_are_compared_with_units_without_at_the_next_wave(demo_world):
    # Its own plan, on a unit the gate shows in the page's wave and the one before, so the
    # check does not hang on where the gate happens to withhold the demo plan's area.
    from servicechain.insights.models import ActionPlan

    hr = audience(demo_world, "hr_analyst")
    page = engagement_page(hr, wave_id=None, unit_id=None)
    ActionPlan.objects.filter(organization=demo_world.organization).delete()

    def shown_in_both(depth: int) -> dict[int, float]:
        """Unit id -> change of recognition, for units at `depth` shown in both waves."""
        units = list(Unit.objects.filter(organization=demo_world.organization, depth=depth))
        now = selectors.cells(page.results.snapshot, [u.pk for u in units])
        then = selectors.cells(page.previous.snapshot, [u.pk for u in units])
        out = {}
        for unit in units:
            a, b = now.get((unit.pk, "recognition")), then.get((unit.pk, "recognition"))
            if a and b and not a.suppressed and not b.suppressed:
                out[unit.pk] = a.value - b.value
        return out

    changes = next(c for c in map(shown_in_both, (2, 3, 1)) if len(c) >= 2)
    planned = next(iter(changes))
    plan = ActionPlan.objects.create(
        organization=demo_world.organization,
        unit_id=planned,
        driver="recognition",
        title="Thank people weekly",
        owner=demo_world.users["hr_analyst"],
        due_date=page.wave.opens_at.date(),
    )
    ActionPlan.objects.filter(pk=plan.pk).update(created_at=page.previous.wave.closes_at)

    page = engagement_page(hr, wave_id=page.wave.pk, unit_id=None)

    effect = {e["driver"]: e for e in page.plan_effects}["recognition"]
    assert effect["with_plan"].n == 1
    assert effect["with_plan"].value == pytest.approx(changes.pop(planned))
    assert effect["without_plan"].n == len(changes)
    assert effect["without_plan"].value == pytest.approx(sum(changes.values()) / len(changes))
    records = {r["driver"]: r for r in page.plan_effect_records()}
    assert records["Recognition"]["units_without_plan"] == len(changes)


def test_the_heatmap_exports_as_csv_with_withheld_cells_empty_and_the_export_audited(
    demo_world, client
):
    wave = manager_page_with_a_withheld_cell(demo_world).wave
    client.force_login(demo_world.users["manager"])
    response = client.get(f"/o/{demo_world.slug}/insights/?wave={wave.pk}&format=csv&table=heatmap")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    withheld = [r for r in rows if r["engagement_withheld"]]
    assert withheld and all(r["engagement"] == "" and r["engagement_n"] == "" for r in withheld)
    event = AuditEvent.objects.filter(action="insights.export").latest("created_at")
    assert event.actor == demo_world.users["manager"]
    assert event.detail["table"] == "heatmap" and event.detail["rows"] == len(rows)


@pytest.mark.parametrize(
    "page,tables",
    [
        ("", ["heatmap", "drivers", "plan_effects"]),
        ("customers/", ["by_unit", "by_team", "trends"]),
        ("comments/", ["comments"]),
        ("plans/", ["plans"]),
    ],
)
def test_every_table_on_every_page_exports(demo_world, client, page, tables):
    client.force_login(demo_world.users["hr_analyst"])
    for table in tables:
        response = client.get(f"/o/{demo_world.slug}/insights/{page}?format=csv&table={table}")
        assert response.status_code == 200, table
        assert response["Content-Disposition"].endswith('.csv"')
    assert (
        client.get(f"/o/{demo_world.slug}/insights/{page}?format=csv&table=nope").status_code == 404
    )


def test_the_customer_dashboard_gates_units_and_teams_and_links_to_comments(demo_world):
    page = customers_page(audience(demo_world, "manager"), wave_id=None, unit_id=None)
    csat = {h["code"]: h for h in page["headline"]}["csat"]["cell"]
    assert not csat.suppressed and 0 <= csat.value <= 100
    for row in page["by_team"] + page["by_unit"]:
        assert row["unit"].is_within(demo_world.manager_unit)
        for cell in row["cells"]:
            assert cell.suppressed == (cell.value is None)
            if not cell.suppressed:
                assert cell.n >= demo_world.organization.min_group_size
    assert page["trends"]["csat"], "monthly CSAT of the manager's area"


def test_customer_csat_is_the_top_two_box_share_of_the_units_answers(demo_world):
    from servicechain.surveys.models import CustomerResponse

    page = customers_page(audience(demo_world, "hr_analyst"), wave_id=None, unit_id=None)
    answers = CustomerResponse.objects.filter(wave=page["wave"]).values_list("answers", flat=True)
    expected = metrics.csat([a.get("csat") for a in answers if a.get("csat") is not None])
    csat = {h["code"]: h for h in page["headline"]}["csat"]["cell"]
    assert csat.value == pytest.approx(expected.value)
    assert csat.n == expected.n
