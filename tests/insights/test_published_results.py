"""Published results: what the gate shows, the numbers it shows, and that a published reading
never changes (results are published once, when a wave closes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicechain.analytics import metrics
from servicechain.org import services as org_services
from servicechain.org.models import Unit
from servicechain.surveys import selectors, services
from servicechain.surveys.bank import load_bank, score_scales
from servicechain.surveys.models import Response, UnitScore, Wave, WaveSnapshot
from servicechain.surveys.results import RESPONDENTS, gate_breakdown

pytestmark = pytest.mark.django_db


def latest_census(organization) -> Wave:
    """The newest census whose results are published (closed), published if need be."""
    wave = (
        Wave.objects.filter(
            organization=organization, kind=Wave.Kind.CENSUS, status=Wave.Status.CLOSED
        )
        .order_by("-opens_at")
        .first()
    )
    services.results_ensure(wave=wave)
    return wave


def raw_frame(wave: Wave) -> pd.DataFrame:
    """Responses with each unit's ancestors, read straight from the database (no insights code)."""
    units = {u.pk: u for u in Unit.objects.filter(organization=wave.organization)}
    rows = []
    for unit_id, band, family, answers in Response.objects.filter(wave=wave).values_list(
        "unit_id", "tenure_band", "job_family", "answers"
    ):
        rows.append({"unit_id": unit_id, "tenure_band": band, "job_family": family, **answers})
    frame = pd.DataFrame(rows)
    frame["paths"] = frame["unit_id"].map(lambda u: units[u].path)
    return frame


def in_subtree(frame: pd.DataFrame, unit: Unit) -> pd.Series:
    return frame["paths"].str.startswith(unit.path)


def stored(wave: Wave, dimension: str = "", category: str = "") -> pd.DataFrame:
    snapshot = selectors.published_results(wave).snapshot
    rows = UnitScore.objects.filter(snapshot=snapshot, dimension=dimension, category=category)
    return pd.DataFrame(list(rows.values("unit_id", "scale", "n", "value", "suppressed", "reason")))


def test_every_shown_cell_has_at_least_min_n_respondents_counted_independently(demo_world):
    wave = latest_census(demo_world.organization)
    frame = raw_frame(wave)
    cells = stored(wave)
    min_n = demo_world.organization.min_group_size
    units = {u.pk: u for u in Unit.objects.filter(organization=demo_world.organization)}
    respondents = cells[cells["scale"] == RESPONDENTS].set_index("unit_id")
    for unit_id, row in respondents.iterrows():
        true_n = int(in_subtree(frame, units[unit_id]).sum())
        if row["suppressed"]:
            assert pd.isna(row["n"]), "a withheld cell must not keep its count"
            assert row["reason"] in ("min_n", "complementary")
            assert (row["reason"] == "min_n") == (true_n < min_n)
        else:
            assert row["n"] == true_n >= min_n


def test_no_shown_unit_can_be_subtracted_down_to_a_small_group(demo_world):
    wave = latest_census(demo_world.organization)
    frame = raw_frame(wave)
    min_n = demo_world.organization.min_group_size
    cells = stored(wave)
    shown = set(cells[(cells["scale"] == RESPONDENTS) & ~cells["suppressed"]]["unit_id"])
    for unit in Unit.objects.filter(organization=demo_world.organization, pk__in=shown):
        inside = in_subtree(frame, unit)
        # Nearest shown descendants: shown units below `unit` with no shown unit in between.
        below = [
            u
            for u in Unit.objects.filter(pk__in=shown, path__startswith=unit.path).exclude(
                pk=unit.pk
            )
        ]
        nearest = [
            u for u in below if not any(u.path.startswith(o.path) and o.pk != u.pk for o in below)
        ]
        covered = np.zeros(len(frame), dtype=bool)
        for u in nearest:
            covered |= in_subtree(frame, u).to_numpy()
        uncovered = int((inside.to_numpy() & ~covered).sum())
        assert uncovered == 0 or uncovered >= min_n, unit.name


def test_shown_values_equal_the_metrics_of_the_subtrees_answers(demo_world):
    wave = latest_census(demo_world.organization)
    frame = raw_frame(wave)
    bank = load_bank()
    scores = score_scales(frame[[c for c in frame.columns if c in {i.code for i in bank.items}]])
    cells = stored(wave).set_index(["unit_id", "scale"])
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    engagement = metrics.mean_ci(scores["engagement"])
    enps = metrics.enps(frame["ENPS1"])
    assert cells.loc[(root.pk, "engagement"), "value"] == pytest.approx(engagement.value)
    assert cells.loc[(root.pk, "enps"), "value"] == pytest.approx(enps.value)
    for unit_id, scale in cells[~cells["suppressed"]].index:
        if scale in ("", "enps") or scale not in scores:
            continue
        unit = Unit.objects.get(pk=unit_id)
        expected = scores.loc[in_subtree(frame, unit).to_numpy(), scale].mean()
        assert cells.loc[(unit_id, scale), "value"] == pytest.approx(expected)


def test_a_filtered_view_never_leaves_a_small_complement_beside_its_unfiltered_total(demo_world):
    wave = latest_census(demo_world.organization)
    frame = raw_frame(wave)
    min_n = demo_world.organization.min_group_size
    total = stored(wave)
    shown_total = set(total[(total["scale"] == RESPONDENTS) & ~total["suppressed"]]["unit_id"])
    snapshot = selectors.published_results(wave).snapshot
    units = {u.pk: u for u in Unit.objects.filter(organization=demo_world.organization)}
    checked = 0
    for dimension, categories in snapshot.categories.items():
        by_category = {c: stored(wave, dimension, c) for c in categories}
        for unit_id in shown_total:
            inside = in_subtree(frame, units[unit_id])
            withheld = int(inside.sum())
            for category, cells in by_category.items():
                row = cells[(cells["unit_id"] == unit_id) & (cells["scale"] == RESPONDENTS)]
                if len(row) and not row["suppressed"].iloc[0]:
                    n = int((inside & (frame[dimension] == category)).sum())
                    assert row["n"].iloc[0] == n >= min_n
                    withheld -= n
                    checked += 1
            assert withheld == 0 or withheld >= min_n, (dimension, units[unit_id].name)
    assert checked > 0, "some filtered cells must be shown for this test to mean anything"


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 4)), min_size=2, max_size=7
    ),
    min_n=st.integers(3, 5),
)
def test_breakdown_gate_never_reveals_a_small_group_on_random_trees(data, min_n):
    # Tree: unit 0 is the root, unit i's parent is a random earlier unit.
    parents = [None] + [d[2] % (i + 1) for i, d in enumerate(data[1:])]
    own = pd.DataFrame({"a": [d[0] for d in data], "b": [d[1] for d in data]}, dtype=float)
    cells = own.copy()
    for i in reversed(range(1, len(data))):
        cells.iloc[parents[i]] += cells.iloc[i]
    parent = pd.Series(parents, dtype="Int64")
    totals = cells.sum(axis=1)
    hidden_totals = pd.Series(totals < min_n)
    hidden = gate_breakdown(parent, cells, totals, hidden_totals, min_n)
    for i in range(len(data)):
        shown = ~hidden.iloc[i]
        assert (cells.iloc[i][shown] >= min_n).all()
        if not hidden_totals.iloc[i]:
            residual = totals.iloc[i] - cells.iloc[i][shown].sum()
            assert residual == 0 or residual >= min_n
    for category in cells.columns:
        for i in range(len(data)):
            if hidden.at[i, category]:
                continue
            children = [j for j in range(len(data)) if parents[j] == i]
            covered = sum(
                cells.at[j, category] for j in _nearest_shown(children, parents, hidden[category])
            )
            uncovered = cells.at[i, category] - covered
            assert uncovered == 0 or uncovered >= min_n


def _nearest_shown(children, parents, hidden):
    out = []
    for child in children:
        if not hidden.iloc[child]:
            out.append(child)
        else:
            out += _nearest_shown(
                [j for j in range(len(parents)) if parents[j] == child], parents, hidden
            )
    return out


def test_a_published_wave_refuses_further_answers_by_import(demo_world, tmp_path):
    from servicechain.org.imports import ImportFailed

    wave = latest_census(demo_world.organization)
    before = selectors.published_results(wave).snapshot
    upload = tmp_path / "late.csv"
    upload.write_text(
        f"response_id,unit_external_id,ENG1\nlate-1,{demo_world.employee_unit.external_id},5\n"
    )
    with pytest.raises(ImportFailed, match="published"):
        org_services.import_file(
            organization=demo_world.organization,
            kind="responses",
            path=upload,
            options={"wave": str(wave.pk)},
        )
    assert selectors.published_results(wave).snapshot.pk == before.pk


def test_raising_the_minimum_group_size_hides_more_and_keeps_every_withheld_cell_withheld(
    demo_world,
):
    wave = latest_census(demo_world.organization)
    before = stored(wave)
    withheld_before = set(
        map(tuple, before.loc[before["suppressed"], ["unit_id", "scale"]].to_numpy().tolist())
    )
    demo_world.organization.min_group_size = 10
    demo_world.organization.save(update_fields=["min_group_size"])
    wave.organization.refresh_from_db()
    services.results_publish_due(organization=demo_world.organization)
    snapshot = selectors.published_results(wave).snapshot
    assert snapshot.min_group_size == 10
    cells = stored(wave)
    assert (~cells["suppressed"]).sum() < (~before["suppressed"]).sum()
    assert (cells.loc[~cells["suppressed"] & (cells["scale"] == ""), "n"] >= 10).all()
    withheld_after = set(
        map(tuple, cells.loc[cells["suppressed"], ["unit_id", "scale"]].to_numpy().tolist())
    )
    assert withheld_before <= withheld_after
    shown = cells[~cells["suppressed"]].set_index(["unit_id", "scale"])["value"]
    old = before[~before["suppressed"]].set_index(["unit_id", "scale"])["value"]
    assert np.allclose(shown, old.reindex(shown.index), equal_nan=True)  # same answers, values


def test_moving_a_unit_after_publication_changes_no_published_cell(demo_world):
    wave = latest_census(demo_world.organization)
    before = stored(wave).set_index(["unit_id", "scale"]).sort_index()
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    org_services.unit_move(unit=demo_world.employee_unit, new_parent=root)
    services.results_publish_due(organization=demo_world.organization)
    after = stored(wave).set_index(["unit_id", "scale"]).sort_index()
    pd.testing.assert_frame_equal(before, after)
    assert WaveSnapshot.objects.filter(wave=wave).count() == 1
