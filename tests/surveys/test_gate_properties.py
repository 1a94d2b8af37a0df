"""Property tests of the anonymity gate at the selector level (Django, real queries).

Random unit trees with random respondents; whatever the selectors return, no group of
fewer than min_n respondents can be read off it — directly, by subtracting a shown unit's
shown sub-units from it, or by subtracting a filtered view from its unfiltered total.
The oracle below is written independently of the gate.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.org.access import scope_for
from servicechain.surveys import selectors, services
from servicechain.surveys.models import Response
from tests.factories import OrganizationFactory, make_unit, member
from tests.surveys.helpers import open_wave

pytestmark = pytest.mark.django_db

BANDS = ("<1y", "1-2y", "2-5y", "5y+")
FAMILIES = ("frontline", "specialist", "manager")
_slugs = itertools.count()


@st.composite
def organisations(draw):
    n_units = draw(st.integers(2, 7))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, n_units)]
    people = [
        [
            (draw(st.sampled_from(BANDS)), draw(st.sampled_from(FAMILIES)), draw(st.integers(1, 5)))
            for _ in range(draw(st.integers(0, 9)))
        ]
        for _ in range(n_units)
    ]
    return parents, people, draw(st.integers(3, 5))


def build(parents, people, min_n):
    org = OrganizationFactory(slug=f"prop-{next(_slugs)}", min_group_size=min_n)
    units = []
    for i, parent in enumerate(parents):
        units.append(make_unit(org, f"U{i}", units[parent] if parent is not None else None))
    wave = open_wave(org, units[0], name="Property wave")
    Response.objects.bulk_create(
        Response(
            wave=wave,
            unit=units[i],
            tenure_band=band,
            job_family=family,
            answers={f"ENG{k}": score for k in range(1, 6)}
            | {"ENPS1": 2 * score, "COMMENT": f"c{i}"},
        )
        for i, members in enumerate(people)
        for band, family, score in members
    )
    return org, units, wave


def published(wave):
    """Close the wave (publishing its results, the only reading) and read what was published."""
    services.wave_close(wave=wave)
    return selectors.published_results(wave)


def subtree(i, parents):
    out, frontier = {i}, [i]
    while frontier:
        node = frontier.pop()
        kids = [j for j, p in enumerate(parents) if p == node]
        out.update(kids)
        frontier.extend(kids)
    return out


def true_count(i, parents, people, keep=lambda person: True):
    return sum(1 for j in subtree(i, parents) for person in people[j] if keep(person))


def nearest_shown_descendants(i, parents, shown):
    found, frontier = [], [j for j, p in enumerate(parents) if p == i]
    while frontier:
        j = frontier.pop()
        if j in shown:
            found.append(j)
        else:
            frontier.extend(k for k, p in enumerate(parents) if p == j)
    return found


def assert_tree_safe(shown, counts, parents, min_n):
    """Each shown group reaches min_n, and what it holds beyond its nearest shown
    descendants is 0 or at least min_n (so no subtraction reveals a small group)."""
    for i in shown:
        assert counts[i] >= min_n
        rest = counts[i] - sum(counts[j] for j in nearest_shown_descendants(i, parents, shown))
        assert rest == 0 or rest >= min_n, (i, rest)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(organisations())
def test_unit_results_never_expose_a_small_group(case):
    parents, people, min_n = case
    org, units, wave = build(parents, people, min_n)
    scope = scope_for(member(org, "admin"), org.slug)
    data = published(wave)
    rows = selectors.results_by_unit(scope, wave, data).rows
    index = {u.pk: i for i, u in enumerate(units)}
    counts = [true_count(i, parents, people) for i in range(len(units))]
    shown = {index[r["unit_id"]] for r in rows if not r["suppressed"]}
    assert_tree_safe(shown, counts, parents, min_n)
    for r in rows:
        i = index[r["unit_id"]]
        assert (r["respondents"] is None) == (i not in shown)
        assert r["suppressed"] or r["respondents"] == counts[i]
        for cell in r["scores"].values():
            assert cell["value"] is None or not r["suppressed"]
    # comments: shown exactly where the unit is shown
    for i, unit in enumerate(units):
        assert selectors.comments(scope, wave, unit=unit, results=data)["shown"] == (i in shown)
    # a manager of any unit sees the same cells as HR, never more
    manager = scope_for(member(org, "manager", units[-1]), org.slug)
    theirs = selectors.results_by_unit(manager, wave, data).rows
    by_id = {r["unit_id"]: r for r in rows}
    assert all(by_id[r["unit_id"]] == r for r in theirs)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(organisations(), st.sampled_from(["tenure_band", "job_family"]))
def test_filtered_and_unfiltered_views_cannot_be_subtracted(case, dimension):
    parents, people, min_n = case
    org, units, wave = build(parents, people, min_n)
    scope = scope_for(member(org, "admin"), org.slug)
    data = published(wave)
    index = {u.pk: i for i, u in enumerate(units)}
    position = 0 if dimension == "tenure_band" else 1
    counts = [true_count(i, parents, people) for i in range(len(units))]
    unfiltered = {
        index[r["unit_id"]]
        for r in selectors.results_by_unit(scope, wave, data).rows
        if not r["suppressed"]
    }
    categories = BANDS if dimension == "tenure_band" else FAMILIES
    for category in categories:
        rows = selectors.filtered_results(
            scope, wave, dimension=dimension, category=category, results=data
        )
        in_category = [
            true_count(i, parents, people, lambda p, c=category: p[position] == c)
            for i in range(len(units))
        ]
        shown = {index[r["unit_id"]] for r in rows if not r["suppressed"]}
        assert_tree_safe(shown, in_category, parents, min_n)
        for i in shown:
            assert i in unfiltered  # a filter never shows more than the whole
            rest = counts[i] - in_category[i]  # unfiltered minus filtered, same unit
            assert rest == 0 or rest >= min_n
    for i, unit in enumerate(units):
        result = selectors.breakdown(scope, wave, dimension=dimension, unit=unit, results=data)
        shown_n = [r["respondents"] for r in result["rows"] if not r["suppressed"]]
        assert all(n >= min_n for n in shown_n)
        if not result["suppressed"]:
            withheld = counts[i] - sum(shown_n)
            assert withheld == 0 or withheld >= min_n
        else:
            assert shown_n == []
