"""The anonymity gate: small groups are never shown, never recoverable by subtraction."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicechain.analytics.anonymity import (
    breakdown_disclosures,
    comments_visible,
    is_reportable,
    suppress,
    suppress_breakdown,
    suppress_filtered,
    suppress_tree_breakdown,
)

# ----------------------------------------------------------------------------- independent oracle


def children_of(parents: dict) -> dict:
    kids = {g: [] for g in parents}
    for g, p in parents.items():
        if p is not None:
            kids[p].append(g)
    return kids


def uncovered(group, shown: set, counts: dict, kids: dict) -> int:
    """Respondents of ``group`` not covered by its nearest shown descendants."""
    covered, frontier = 0, list(kids[group])
    while frontier:
        g = frontier.pop()
        if g in shown:
            covered += counts[g]
        else:
            frontier.extend(kids[g])
    return counts[group] - covered


def is_safe(shown: set, counts: dict, kids: dict, min_n: int) -> bool:
    for g in shown:
        if counts[g] < min_n:
            return False
        rest = uncovered(g, shown, counts, kids)
        if 0 < rest < min_n:
            return False
    return True


def fewest_suppressions(counts: dict, kids: dict, min_n: int) -> int:
    groups = list(counts)
    for k in range(len(groups) + 1):
        for hidden in combinations(groups, k):
            if is_safe(set(groups) - set(hidden), counts, kids, min_n):
                return k
    raise AssertionError("suppressing everything is always safe")


@st.composite
def unit_trees(draw, max_groups=9):
    n = draw(st.integers(1, max_groups))
    parents, own = {}, {}
    for i in range(n):
        parents[f"u{i}"] = (
            None
            if i == 0
            else draw(st.one_of(st.none(), st.sampled_from([f"u{j}" for j in range(i)])))
        )
        own[f"u{i}"] = draw(st.integers(0, 12))
    counts = dict(own)
    for i in reversed(range(n)):  # parents always precede children
        p = parents[f"u{i}"]
        if p is not None:
            counts[p] += counts[f"u{i}"]
    order = draw(st.permutations(list(parents)))
    table = pd.DataFrame(
        {
            "parent": [parents[g] for g in order],
            "respondents": [counts[g] for g in order],
            "engagement": [float(counts[g]) / 2 for g in order],
        },
        index=order,
    )
    return table, parents, counts


min_sizes = st.integers(3, 6)

# ----------------------------------------------------------------------------- the min-n rule


@pytest.mark.parametrize("min_n", [0, 1, 2, -5])
def test_min_n_below_three_is_refused_everywhere(min_n):
    table = pd.DataFrame({"respondents": [10]}, index=["a"])
    for call in (
        lambda: is_reportable(10, min_n),
        lambda: comments_visible(10, min_n),
        lambda: suppress(table, min_n=min_n),
        lambda: suppress_breakdown(table, min_n=min_n),
        lambda: suppress_filtered(10, 5, min_n=min_n),
    ):
        with pytest.raises(ValueError, match="below the floor of 3"):
            call()


def test_group_is_reportable_from_min_n_respondents_upwards():
    assert not is_reportable(4, 5)
    assert is_reportable(5, 5)
    assert is_reportable(120, 5)
    assert not is_reportable(None, 5)
    assert not is_reportable(float("nan"), 5)


def test_comments_follow_the_same_rule_as_scores():
    for n in range(0, 12):
        assert comments_visible(n, 5) == is_reportable(n, 5)


# ----------------------------------------------------------------------------- suppress on a tree


def test_small_team_is_withheld_with_its_count():
    table = pd.DataFrame({"respondents": [12, 4], "engagement": [70.0, 55.0]}, index=["a", "b"])
    out = suppress(table, min_n=5)
    assert out["suppressed"].tolist() == [False, True]
    assert np.isnan(out.loc["b", "engagement"])
    assert out.loc["b", "respondents"] is pd.NA
    assert out.loc["a", "respondents"] == 12
    assert out.loc["a", "engagement"] == 70.0


def test_managers_own_members_cannot_be_recovered_from_the_unit_total():
    # 30 = 12 + 14 + 4 direct members of the unit: showing both teams would reveal the 4.
    table = pd.DataFrame(
        {"parent": [None, "unit", "unit"], "respondents": [30, 12, 14], "score": [3.9, 4.1, 3.2]},
        index=["unit", "team_a", "team_b"],
    )
    out = suppress(table, min_n=5, parent="parent")
    assert out["suppressed"].tolist() == [False, True, False]  # the smaller team goes


def test_nothing_is_suppressed_when_nothing_requires_it():
    table = pd.DataFrame(
        {"parent": [None, "unit", "unit"], "respondents": [30, 12, 18], "score": [3.9, 4.1, 3.2]},
        index=["unit", "team_a", "team_b"],
    )
    out = suppress(table, min_n=5, parent="parent")
    assert not out["suppressed"].any()
    pd.testing.assert_frame_equal(
        out.drop(columns="suppressed"), table.astype({"respondents": "Int64"})
    )


def test_parent_column_is_kept_on_suppressed_rows():
    table = pd.DataFrame({"parent": [None, "unit"], "respondents": [20, 2]}, index=["unit", "team"])
    out = suppress(table, min_n=5, parent="parent")
    assert out.loc["team", "parent"] == "unit"


def test_count_below_sum_of_subgroups_is_reported_with_the_group():
    table = pd.DataFrame({"parent": [None, "unit"], "respondents": [5, 9]}, index=["unit", "team"])
    with pytest.raises(ValueError, match="'unit' counts 5 respondents but its sub-groups count 9"):
        suppress(table, min_n=5, parent="parent")


def test_negative_or_fractional_counts_are_refused():
    with pytest.raises(ValueError, match="group 'b'.*negative"):
        suppress(pd.DataFrame({"respondents": [5, -1]}, index=["a", "b"]), min_n=5)
    with pytest.raises(ValueError, match="whole number"):
        suppress(pd.DataFrame({"respondents": [5.5]}, index=["a"]), min_n=5)


def test_parent_cycle_is_refused():
    table = pd.DataFrame({"parent": ["b", "a"], "respondents": [10, 10]}, index=["a", "b"])
    with pytest.raises(ValueError, match="cycle"):
        suppress(table, min_n=5, parent="parent")


def test_missing_count_column_names_the_columns():
    with pytest.raises(ValueError, match="no respondent-count column 'n'"):
        suppress(pd.DataFrame({"respondents": [5]}), min_n=5, count="n")


@settings(max_examples=300, deadline=None)
@given(unit_trees(), min_sizes)
def test_every_shown_group_reaches_min_n_and_hides_no_small_remainder(tree, min_n):
    table, parents, counts = tree
    out = suppress(table, min_n=min_n, parent="parent")
    shown = set(out.index[~out["suppressed"]])
    kids = children_of(parents)
    for g in shown:
        assert counts[g] >= min_n
        rest = uncovered(g, shown, counts, kids)
        assert rest == 0 or rest >= min_n, (g, rest)
    assert out.loc[out["suppressed"], "engagement"].isna().all()
    assert out.loc[out["suppressed"], "respondents"].isna().all()
    shown_rows = ~out["suppressed"]
    assert (out.loc[shown_rows, "engagement"] == table.loc[shown_rows, "engagement"]).all()


@settings(max_examples=200, deadline=None)
@given(unit_trees(max_groups=8), min_sizes)
def test_suppresses_the_fewest_rows_possible(tree, min_n):
    table, parents, counts = tree
    out = suppress(table, min_n=min_n, parent="parent")
    assert int(out["suppressed"].sum()) == fewest_suppressions(counts, children_of(parents), min_n)


@settings(max_examples=200, deadline=None)
@given(unit_trees(), min_sizes)
def test_suppressing_its_own_output_changes_nothing(tree, min_n):
    table, _, _ = tree
    once = suppress(table, min_n=min_n, parent="parent")
    twice = suppress(once, min_n=min_n, parent="parent")
    pd.testing.assert_frame_equal(once, twice)


@settings(max_examples=200, deadline=None)
@given(unit_trees(), min_sizes)
def test_only_small_groups_are_withheld_when_remainders_are_already_safe(tree, min_n):
    table, parents, counts = tree
    big_enough = {g for g, n in counts.items() if n >= min_n}
    out = suppress(table, min_n=min_n, parent="parent")
    if is_safe(big_enough, counts, children_of(parents), min_n):
        assert set(out.index[~out["suppressed"]]) == big_enough


# ----------------------------------------------------------------------------- breakdowns


def test_complementary_suppression_withholds_the_next_smallest_category():
    table = pd.DataFrame(
        {"respondents": [2, 10, 12], "score": [1.0, 2.0, 3.0]}, index=["<1y", "1-5y", ">5y"]
    )
    out = suppress_breakdown(table, min_n=5)
    assert out["suppressed"].tolist() == [True, True, False]


def test_unstated_respondents_count_towards_the_hidden_remainder():
    table = pd.DataFrame({"respondents": [10, 12]}, index=["a", "b"])
    assert suppress_breakdown(table, min_n=5, total=22)["suppressed"].sum() == 0
    # two people did not state a category: one category must go so they cannot be isolated
    assert suppress_breakdown(table, min_n=5, total=24)["suppressed"].tolist() == [True, False]


def test_breakdown_larger_than_its_total_is_refused():
    with pytest.raises(ValueError, match="disjoint"):
        suppress_breakdown(pd.DataFrame({"respondents": [10, 12]}), min_n=5, total=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=1, max_size=7), st.integers(0, 6), min_sizes)
def test_breakdown_never_leaves_a_recoverable_small_cell(categories, unstated, min_n):
    total = sum(categories) + unstated
    table = pd.DataFrame({"respondents": categories, "share": np.linspace(0, 1, len(categories))})
    out = suppress_breakdown(table, min_n=min_n, total=total)
    shown = ~out["suppressed"]
    assert (table.loc[shown, "respondents"] >= min_n).all()
    if total >= min_n:
        hidden = total - table.loc[shown, "respondents"].sum()
        assert hidden == 0 or hidden >= min_n
    # and no more categories are withheld than necessary
    fewest = next(
        k
        for k in range(len(categories) + 1)
        for hidden_set in combinations(range(len(categories)), k)
        if all(categories[i] >= min_n for i in set(range(len(categories))) - set(hidden_set))
        and (
            total < min_n
            or (lambda h: h == 0 or h >= min_n)(unstated + sum(categories[i] for i in hidden_set))
        )
    )
    assert int(out["suppressed"].sum()) == fewest
    again = suppress_breakdown(out, min_n=min_n, total=total)
    pd.testing.assert_frame_equal(out, again)


# ----------------------------------------------------------------------------- filtered views


def test_filtered_view_is_withheld_when_its_complement_is_small():
    assert suppress_filtered(20, 17, min_n=5)  # the other 3 would be exposed
    assert not suppress_filtered(20, 15, min_n=5)
    assert not suppress_filtered(20, 20, min_n=5)  # the filter excludes nobody
    assert suppress_filtered(20, 4, min_n=5)  # the filtered group itself is small
    assert suppress_filtered(4, 4, min_n=5)


def test_filtered_view_larger_than_its_total_is_refused():
    with pytest.raises(ValueError, match="subset"):
        suppress_filtered(10, 11, min_n=5)


@given(st.integers(0, 40), st.integers(0, 40), min_sizes)
def test_filtered_view_shown_only_when_all_three_groups_are_safe(total, filtered, min_n):
    if filtered > total:
        return
    withheld = suppress_filtered(total, filtered, min_n=min_n)
    complement = total - filtered
    safe = total >= min_n and filtered >= min_n and (complement == 0 or complement >= min_n)
    assert withheld == (not safe)


# ----------------------------------------------------------------------------- unit × category


@st.composite
def unit_breakdowns(draw, max_groups=7, max_categories=3):
    """A unit tree whose members fall in categories (or in none, e.g. an unanswered field)."""
    n = draw(st.integers(1, max_groups))
    k = draw(st.integers(1, max_categories))
    parents = {
        f"u{i}": None if i == 0 else draw(st.sampled_from([f"u{j}" for j in range(i)]))
        for i in range(n)
    }
    own = {g: [draw(st.integers(0, 8)) for _ in range(k + 1)] for g in parents}  # last = none
    subtree = {g: list(v) for g, v in own.items()}
    for i in reversed(range(1, n)):
        child, p = f"u{i}", parents[f"u{i}"]
        subtree[p] = [a + b for a, b in zip(subtree[p], subtree[child], strict=True)]
    units = list(parents)
    cells = pd.DataFrame(
        [subtree[g][:k] for g in units], index=units, columns=[f"c{j}" for j in range(k)]
    )
    totals = pd.Series([sum(subtree[g]) for g in units], index=units)
    parent = pd.Series([parents[g] for g in units], index=units, dtype=object)
    return cells, totals, parent, parents


@settings(max_examples=150)
@given(unit_breakdowns(), min_sizes)
def test_unit_by_category_breakdowns_hide_nothing_recoverable(breakdown, min_n):
    cells, totals, parent, parents = breakdown
    total_table = pd.DataFrame({"parent": parent, "respondents": totals})
    hidden_totals = suppress(total_table, min_n=min_n, parent="parent")["suppressed"]

    hidden = suppress_tree_breakdown(
        cells, parent=parent, totals=totals, min_n=min_n, hidden_totals=hidden_totals
    )

    kids = children_of(parents)
    for category in cells.columns:
        shown = set(hidden.index[~hidden[category]])
        assert is_safe(shown, cells[category].to_dict(), kids, min_n), category
    for unit in cells.index:
        if hidden_totals[unit]:
            assert hidden.loc[unit].all(), "a withheld unit withholds every category"
            continue
        shown_counts = cells.loc[unit][~hidden.loc[unit]]
        assert (shown_counts >= min_n).all()
        remainder = totals[unit] - shown_counts.sum()
        assert remainder == 0 or remainder >= min_n, (unit, remainder)


# ----------------------------------------------------------------------------- known counts


def _unit_by_category(parents, own):
    """Subtree counts (units × categories) and totals from each unit's own people per
    category ("" = in no category)."""
    n = len(parents)

    def subtree(i):
        out, frontier = {i}, [i]
        while frontier:
            node = frontier.pop()
            kids = [j for j, p in enumerate(parents) if p == node]
            out.update(kids)
            frontier.extend(kids)
        return out

    categories = sorted({c for row in own for c in row if c})
    subtrees = [subtree(i) for i in range(n)]
    cells = pd.DataFrame(
        {c: [sum(own[j].get(c, 0) for j in subtrees[i]) for i in range(n)] for c in categories},
        dtype=float,
    )
    totals = pd.Series([sum(sum(own[j].values()) for j in subtrees[i]) for i in range(n)])
    return categories, subtrees, cells, totals.astype(float)


def isolated_small_groups(parents, own, min_n):
    """Brute-force attacker who knows every count (zeros included) and reads every shown
    unit total and unit × category cell: every set of people smaller than min_n whose total
    is a linear combination of shown cells (rank test over the atoms)."""
    categories, subtrees, cells, totals = _unit_by_category(parents, own)
    parent = pd.Series(parents, dtype="Int64")
    hidden_totals = suppress(
        pd.DataFrame({"parent": parent, "respondents": totals}), min_n=min_n, parent="parent"
    )["suppressed"]
    hidden = suppress_tree_breakdown(
        cells, parent=parent, totals=totals, min_n=min_n, hidden_totals=hidden_totals
    )
    atoms = [(j, c) for j in range(len(parents)) for c in (*categories, "") if own[j].get(c, 0) > 0]
    people = np.array([own[j][c] for j, c in atoms], dtype=float)
    rows = []
    for i in range(len(parents)):
        if not hidden_totals.iloc[i]:
            rows.append([float(j in subtrees[i]) for j, _ in atoms])
        for category in categories:
            if not hidden.at[i, category]:
                rows.append([float(j in subtrees[i] and c == category) for j, c in atoms])
    if not rows:
        return []
    shown = np.array(rows)
    rank = np.linalg.matrix_rank(shown)
    isolated = []
    for size in range(1, min_n):
        for group in combinations(range(len(atoms)), size):
            if not 0 < people[list(group)].sum() < min_n:
                continue
            indicator = np.zeros(len(atoms))
            indicator[list(group)] = 1
            if np.linalg.matrix_rank(np.vstack([shown, indicator])) == rank:
                isolated.append([atoms[g] for g in group])
    return isolated


def test_a_structural_zero_no_longer_lets_two_cells_reveal_a_small_group():
    # The red-team case: an area whose only frontline people are 5 in one store; its other
    # stores have none (public: employee records). The store's 9 minus the area's frontline 5
    # gave the mean of the store's other 4.
    parents = [None, 0, 0, 0]
    own = [{}, {"frontline": 5, "": 4}, {"": 6}, {"": 7}]
    assert isolated_small_groups(parents, own, 5) == []


@st.composite
def unit_trees_with_categories(draw):
    n = draw(st.integers(2, 6))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    categories = ["a", "b", "c"][: draw(st.integers(1, 3))]
    # Sometimes everyone is in a category (like the months of a customer wave): then no one
    # is outside the shown cells and the cut search needs a far side of its own.
    classes = (*categories, "") if draw(st.booleans()) else tuple(categories)
    own = [
        {c: draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8])) for c in classes} for _ in range(n)
    ]
    return parents, own, draw(st.integers(3, 5))


@settings(max_examples=200, deadline=None)
@given(unit_trees_with_categories())
def test_an_attacker_who_knows_every_count_isolates_no_small_group(case):
    parents, own, min_n = case
    assert isolated_small_groups(parents, own, min_n) == []


def chained_stores(seed: int):
    """Regions of stores, each store's people in a large, a middling and a small category
    (and a few in none): withholding one store's small cell opens a cut at the next."""
    rng = np.random.default_rng(seed)
    ids, parent, leaves = [0], [np.nan], []
    for _ in range(3):
        region = len(ids)
        ids.append(region), parent.append(0)
        for _ in range(7):
            leaves.append(len(ids))
            ids.append(len(ids)), parent.append(region)
    own, blanks = np.zeros((len(ids), 3)), np.zeros(len(ids))
    for store in leaves:
        own[store] = [rng.integers(5, 30), rng.integers(0, 12), rng.integers(0, 4)]
        blanks[store] = rng.integers(0, 3)
    up = [-1 if np.isnan(p) else int(p) for p in parent]
    cells, totals = own.copy(), own.sum(axis=1) + blanks
    for i in reversed(range(len(ids))):
        if up[i] >= 0:
            cells[up[i]] += cells[i]
            totals[up[i]] += totals[i]
    return (
        pd.DataFrame(cells, index=ids, columns=["large", "middling", "small"]),
        pd.Series(parent, index=ids),
        pd.Series(totals, index=ids),
    )


def test_a_long_chain_of_withheld_cells_settles_however_many_rounds_it_takes():
    """The gates are repeated until nothing more is withheld; the number of rounds grows
    with the organisation (a fixed cap of 50 stopped a 10,000-unit wave's publication), so
    the only bound is one round per cell: the result is reached and passes every gate."""
    rounds_needed = {}
    for seed in range(12):
        cells, parent, totals = chained_stores(seed)
        for limit in range(1, 40):
            try:
                suppress_tree_breakdown(
                    cells, parent=parent, totals=totals, min_n=5, max_rounds=limit
                )
            except AssertionError:
                continue
            rounds_needed[seed] = limit
            break
    seed = max(rounds_needed, key=rounds_needed.get)
    assert rounds_needed[seed] >= 5, rounds_needed  # a chain, not a one-round table
    cells, parent, totals = chained_stores(seed)
    with pytest.raises(AssertionError):
        suppress_tree_breakdown(
            cells, parent=parent, totals=totals, min_n=5, max_rounds=rounds_needed[seed] - 1
        )
    hidden = suppress_tree_breakdown(cells, parent=parent, totals=totals, min_n=5)
    hidden_totals = pd.Series(False, index=cells.index)
    assert not breakdown_disclosures(
        cells, parent=parent, totals=totals, hidden_totals=hidden_totals, hidden=hidden, min_n=5
    )
    for category in cells.columns:  # each category's column is a gated tree
        column = pd.DataFrame(
            {"parent": parent, "respondents": cells[category], "suppressed": hidden[category]}
        )
        assert suppress(column, min_n=5, parent="parent")["suppressed"].equals(hidden[category])
