"""Results, breakdowns, comments and response rates: what each viewer may see, and the numbers."""

import pytest

from servicechain.analytics import metrics
from servicechain.org.access import scope_for
from servicechain.surveys import selectors
from servicechain.surveys.models import Invitation
from tests.factories import member
from tests.surveys.helpers import add_responses, build_org, close_wave, open_wave, send_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered():
    """16 respondents: North A 6 (engagement 4), North B 3 (engagement 2), South A 7 (5)."""
    org, units = build_org()
    wave = open_wave(org, units["root"])
    add_responses(wave, units["north_a"], 6, engagement=4, enps=9, comment="North A says hi")
    add_responses(
        wave,
        units["north_b"],
        3,
        engagement=2,
        enps=3,
        tenure_band="<1y",
        comment="small team secret",
    )
    add_responses(wave, units["south_a"], 7, engagement=5, enps=10, job_family="specialist")
    return org, units, close_wave(wave)


def rows_by_unit(results):
    return {row["unit"]: row for row in results.rows}


def test_hr_sees_every_unit_and_small_teams_are_withheld_with_their_counts(answered):
    org, units, wave = answered
    results = selectors.results_by_unit(scope_for(member(org, "hr_analyst"), "acme"), wave)
    rows = rows_by_unit(results)
    assert list(rows) == ["Acme", "North", "North A", "North B", "South", "South A"]
    assert rows["North B"]["suppressed"] and rows["North B"]["respondents"] is None
    assert rows["North B"]["scores"]["engagement"]["value"] is None
    assert rows["Acme"]["respondents"] == 16 and not rows["Acme"]["suppressed"]


def test_north_a_is_withheld_too_so_north_b_cannot_be_recovered_by_subtraction(answered):
    org, units, wave = answered
    rows = rows_by_unit(selectors.results_by_unit(scope_for(member(org, "admin"), "acme"), wave))
    assert rows["North"]["respondents"] == 9
    assert rows["North A"]["suppressed"]  # 9 - 6 would otherwise reveal North B's 3


def test_engagement_index_and_enps_match_independent_computation(answered):
    org, units, wave = answered
    rows = rows_by_unit(selectors.results_by_unit(scope_for(member(org, "admin"), "acme"), wave))
    # engagement items all 4 -> 75, 2 -> 25, 5 -> 100 on the 0-100 scale
    expected = metrics.mean_ci([75] * 6 + [25] * 3 + [100] * 7)
    engagement = rows["Acme"]["scores"]["engagement"]
    assert engagement["value"] == pytest.approx(expected.value, abs=0.01)
    assert engagement["lower"] == pytest.approx(expected.lower, abs=0.01)
    enps = rows["Acme"]["scores"]["enps"]
    assert enps["value"] == pytest.approx(metrics.nps([9] * 6 + [3] * 3 + [10] * 7).value, abs=0.01)
    assert rows["South A"]["scores"]["engagement"]["value"] == 100


def test_manager_sees_only_their_subtree_with_the_same_cells_as_hr(answered):
    org, units, wave = answered
    hr = rows_by_unit(selectors.results_by_unit(scope_for(member(org, "hr_analyst"), "acme"), wave))
    mine = rows_by_unit(
        selectors.results_by_unit(scope_for(member(org, "manager", units["north"]), "acme"), wave)
    )
    assert list(mine) == ["North", "North A", "North B"]
    assert all(mine[name] == hr[name] for name in mine)


def test_employee_sees_only_their_own_unit(answered):
    org, units, wave = answered
    rows = selectors.results_by_unit(
        scope_for(member(org, "employee", units["south_a"]), "acme"), wave
    )
    assert [r["unit"] for r in rows.rows] == ["South A"]


def test_comments_of_a_withheld_unit_are_never_shown(answered):
    org, units, wave = answered
    scope = scope_for(member(org, "admin"), "acme")
    assert not selectors.comments(scope, wave, unit=units["north_b"])["shown"]
    assert not selectors.comments(scope, wave, unit=units["north_a"])["shown"]
    north = selectors.comments(scope, wave, unit=units["north"])
    assert north["shown"] and sorted(north["comments"]) == sorted(
        ["North A says hi"] * 6 + ["small team secret"] * 3
    )


def test_comments_carry_no_attributes(answered):
    org, units, wave = answered
    shown = selectors.comments(scope_for(member(org, "admin"), "acme"), wave, unit=units["root"])
    assert all(isinstance(c, str) for c in shown["comments"])
    assert set(shown) == {"unit_id", "unit", "shown", "published", "comments", "min_n"}


def test_manager_cannot_read_comments_outside_their_subtree(answered):
    from django.http import Http404

    org, units, wave = answered
    scope = scope_for(member(org, "manager", units["north"]), "acme")
    with pytest.raises(Http404):
        selectors.comments(scope, wave, unit=units["south"])


def test_breakdown_hides_the_small_category_and_one_more_so_it_cannot_be_derived(answered):
    org, units, wave = answered
    result = selectors.breakdown(
        scope_for(member(org, "admin"), "acme"), wave, dimension="tenure_band", unit=units["root"]
    )
    rows = {r["category"]: r for r in result["rows"]}
    assert rows["<1y"]["suppressed"]  # 3 people
    # 13 in "2-5y" shown beside the total of 16 would reveal the 3: so it is hidden too
    assert rows["2-5y"]["suppressed"]


def test_filtered_view_hides_cells_whose_complement_is_small(answered):
    org, units, wave = answered
    rows = {
        r["unit"]: r
        for r in selectors.filtered_results(
            scope_for(member(org, "admin"), "acme"),
            wave,
            dimension="job_family",
            category="frontline",
        )
    }
    # South A is all specialists (7); Acme's 9 frontline vs 16 total leaves 7: both safe.
    assert not rows["Acme"]["suppressed"] and rows["Acme"]["respondents"] == 9
    assert rows["North B"]["suppressed"]


def test_response_rates_withhold_small_answer_counts_but_show_who_was_invited():
    org, units = build_org()
    wave = open_wave(org, units["root"])
    send_links(wave)
    add_responses(wave, units["north_a"], 6)
    add_responses(wave, units["north_b"], 3)
    add_responses(wave, units["south_a"], 7)
    rows = {
        r["unit"]: r
        for r in selectors.response_rates(scope_for(member(org, "admin"), "acme"), wave)
    }
    assert rows["Acme"]["invited"] == 16 and rows["Acme"]["rate"] == 100.0
    # Who was invited follows from employee records; how many answered is gated.
    assert rows["North B"]["suppressed"] and rows["North B"]["invited"] == 3
    assert rows["North B"]["respondents"] is None and rows["North B"]["rate"] is None
    assert "fewer than 5" in rows["North B"]["reason"]
    assert Invitation.objects.filter(wave=wave).count() == 16


def test_psychometrics_flags_an_unreliable_scale_and_withholds_small_samples():
    org, units = build_org(team_sizes=(6, 3, 7))
    wave = open_wave(org, units["root"])
    import numpy as np

    rng = np.random.default_rng(0)
    from servicechain.surveys.models import Response

    rows = []
    for _ in range(40):
        trait = rng.normal()
        engagement = {
            f"ENG{i}": int(np.clip(round(3 + trait + rng.normal(0, 0.4)), 1, 5))
            for i in range(1, 6)
        }
        manager = {f"MGR{i}": int(rng.integers(1, 6)) for i in range(1, 5)}  # pure noise
        rows.append(Response(wave=wave, unit=units["north_a"], answers=engagement | manager))
    Response.objects.bulk_create(rows)
    assert selectors.psychometrics_report(wave)["published"] is False  # open: nothing yet
    close_wave(wave)
    report = selectors.psychometrics_report(wave)
    by_scale = {s["scale"]: s for s in report["scales"]}
    assert by_scale["engagement"]["alpha"] > 0.8 and not by_scale["engagement"]["flagged"]
    assert by_scale["manager"]["flagged"] and report["flagged"] == ["manager"]
    assert by_scale["recognition"]["withheld"] and by_scale["recognition"]["alpha"] is None
    assert len(by_scale["engagement"]["item_total"]) == 5


def test_headline_carries_engagement_and_enps_with_their_intervals(answered):
    org, units, wave = answered
    results = selectors.results_by_unit(scope_for(member(org, "admin"), "acme"), wave)
    measures = {m["code"]: m for m in selectors.headline(results)["measures"]}
    assert set(measures) == {"engagement", "enps"}
    assert measures["enps"]["lower"] < measures["enps"]["value"] < measures["enps"]["upper"]


def test_customer_results_report_csat_and_nps_per_unit():
    from servicechain.surveys import services
    from servicechain.surveys.models import CustomerResponse
    from tests.factories import InteractionFactory

    org, units = build_org()
    instrument = services.instrument_create(
        organization=org, name="CX", population="customer", template="customer_transactional"
    )
    wave = open_wave(org, units["root"], instrument=instrument, kind="customer", name="CX")
    scores = [(5, 10), (4, 9), (2, 3), (5, 7), (3, 6), (4, 10)]
    for csat, nps in scores:
        interaction = InteractionFactory(unit=units["south_a"])
        CustomerResponse.objects.create(
            wave=wave,
            interaction=interaction,
            unit=units["south_a"],
            answers={"csat": csat, "nps": nps},
            submitted_at=interaction.started_at,
        )
    close_wave(wave)
    results = selectors.results_by_unit(scope_for(member(org, "admin"), "acme"), wave)
    south = rows_by_unit(results)["South A"]["scores"]
    assert south["csat"]["value"] == pytest.approx(
        metrics.csat([s for s, _ in scores]).value, abs=0.01
    )
    assert south["nps"]["value"] == pytest.approx(
        metrics.nps([n for _, n in scores]).value, abs=0.01
    )
    assert {m["code"] for m in selectors.headline(results)["measures"]} == {"csat", "nps"}


def test_a_large_wave_is_published_in_the_background_and_shown_as_being_prepared(
    monkeypatch, django_capture_on_commit_callbacks
):
    from servicechain.surveys import services

    org, units = build_org()
    wave = open_wave(org, units["root"])
    add_responses(wave, units["north_a"], 6)
    add_responses(wave, units["south_a"], 7)
    monkeypatch.setattr(services, "INLINE_PUBLISH_UNITS", 0)
    with django_capture_on_commit_callbacks() as queued:
        services.wave_close(wave=wave)
    waiting = selectors.published_results(wave)
    assert waiting.preparing and not waiting.ready
    assert selectors.results_by_unit(scope_for(member(org, "admin"), "acme"), wave).rows == []
    for callback in queued:  # the task worker's turn (the immediate backend in tests)
        callback()
    published = selectors.published_results(wave)
    assert published.ready
    rows = rows_by_unit(selectors.results_by_unit(scope_for(member(org, "admin"), "acme"), wave))
    assert rows["Acme"]["respondents"] == 13
