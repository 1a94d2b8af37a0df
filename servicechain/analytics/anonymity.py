"""The anonymity gate: one place decides which survey aggregates may be shown.

Every person-facing aggregate of survey responses or comments passes through this
module. The rules (DESIGN.md §2):

1. **Minimum group size.** An aggregate over fewer than ``min_n`` distinct respondents is
   withheld (:func:`is_reportable`, :func:`comments_visible`). ``min_n`` is never below 3.
2. **No recovery by subtraction (complementary suppression).** When a group and the
   groups inside it are shown, the respondents of the group *not* covered by its shown
   sub-groups must number 0 or at least ``min_n``; otherwise someone could subtract the
   shown parts from the whole and read off a small group. :func:`suppress` enforces this
   on a unit tree, :func:`suppress_breakdown` on a breakdown of one population into
   disjoint categories, :func:`suppress_filtered` on a filtered view beside its total.

Why the count of a suppressed row is withheld too
--------------------------------------------------
A suppressed row's respondent count is itself disclosive ("2 people in the night shift
answered"), and it is exactly the number an attacker needs for subtraction. So on
suppressed rows the count column is set to missing (``<NA>``) along with every value.

How :func:`suppress` chooses what to withhold
----------------------------------------------
It solves the minimum-suppression problem *exactly* with dynamic programming over the
tree, rather than with a greedy heuristic. The key observation is that a suppressed
subtree matters to its nearest shown ancestor only through the number of respondents it
leaves uncovered, and that number only matters as 0, 1, …, ``min_n - 1`` or "at least
``min_n``". So each node keeps ``min_n + 1`` states and children are combined by a
capped min-plus (knapsack) convolution: ``O(n · min_n²)`` time. Among the solutions with
the fewest suppressed rows it picks the one withholding the fewest respondents (so it
prefers suppressing small cells and keeps totals visible), then the first in table order.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "MIN_GROUP_SIZE_FLOOR",
    "comments_visible",
    "is_reportable",
    "suppress",
    "suppress_breakdown",
    "suppress_filtered",
    "suppress_tree_breakdown",
    "breakdown_disclosures",
]

#: No organisation may set its minimum group size below this (DESIGN.md §2, configuration).
MIN_GROUP_SIZE_FLOOR = 3

SUPPRESSED = "suppressed"


# ----------------------------------------------------------------------------- the min-n rule


def _check_min_n(min_n: int) -> int:
    """Validate a minimum group size and return it as an ``int``."""
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer):
        raise ValueError(f"min_n must be a whole number of respondents, got {min_n!r}.")
    if min_n < MIN_GROUP_SIZE_FLOOR:
        raise ValueError(
            f"min_n={min_n} is below the floor of {MIN_GROUP_SIZE_FLOOR}: groups that small "
            f"identify individuals. Use min_n >= {MIN_GROUP_SIZE_FLOOR} (the default is 5)."
        )
    return int(min_n)


def _is_missing(n: object) -> bool:
    return n is None or n is pd.NA or (isinstance(n, float | np.floating) and math.isnan(n))


def is_reportable(n: int | None, min_n: int) -> bool:
    """Whether an aggregate over ``n`` distinct respondents may be shown.

    This is the single source of truth for the minimum-group-size rule: every other
    check in servicechain calls it.

    Parameters
    ----------
    n : int or None
        Number of distinct respondents behind the aggregate. ``None``/NaN (unknown or
        already withheld) is never reportable.
    min_n : int
        The organisation's minimum group size (at least 3).

    Returns
    -------
    bool
        ``True`` when ``n >= min_n``.

    Raises
    ------
    ValueError
        If ``min_n`` is below 3 or not a whole number.
    """
    min_n = _check_min_n(min_n)
    if _is_missing(n):
        return False
    return n >= min_n


def comments_visible(n: int | None, min_n: int) -> bool:
    """Whether free-text comments of a group of ``n`` respondents may be shown.

    Comments follow the same minimum-group-size rule as numeric aggregates (they are
    shown only for groups that reach ``min_n``) and must never be displayed with
    respondent attributes; this function decides the first part only.

    Parameters
    ----------
    n : int or None
        Number of distinct respondents in the group.
    min_n : int
        The organisation's minimum group size (at least 3).

    Returns
    -------
    bool
    """
    return is_reportable(n, min_n)


def _residual_ok(uncovered: int | float, min_n: int) -> bool:
    """A hidden remainder is safe when it is empty or itself reaches ``min_n``."""
    return uncovered == 0 or uncovered >= min_n


def suppress_filtered(total_n: int, filtered_n: int, *, min_n: int) -> bool:
    """Whether a filtered view must be withheld when shown beside its unfiltered total.

    A filtered view (say, respondents with under a year's tenure in a unit) shown next to
    the unit's total lets anyone compute the complement (everyone else) by subtraction.
    The filtered view may be shown only if the total, the filtered group *and* the
    complement ``total_n - filtered_n`` are each empty or at least ``min_n``.

    Parameters
    ----------
    total_n : int
        Respondents in the unfiltered view.
    filtered_n : int
        Respondents in the filtered view (a subset of the unfiltered one).
    min_n : int
        The organisation's minimum group size (at least 3).

    Returns
    -------
    bool
        ``True`` when the filtered view must be **suppressed** (same sense as the
        ``suppressed`` column of :func:`suppress`); ``False`` when it may be shown.

    Raises
    ------
    ValueError
        If ``filtered_n`` exceeds ``total_n`` or either is negative.
    """
    min_n = _check_min_n(min_n)
    if _is_missing(total_n) or _is_missing(filtered_n):
        return True
    if filtered_n < 0 or total_n < 0:
        raise ValueError(
            f"Respondent counts cannot be negative (total_n={total_n}, filtered_n={filtered_n})."
        )
    if filtered_n > total_n:
        raise ValueError(
            f"filtered_n={filtered_n} exceeds total_n={total_n}: a filtered view must be a subset "
            "of its unfiltered total."
        )
    shown = (
        is_reportable(total_n, min_n)
        and is_reportable(filtered_n, min_n)
        and _residual_ok(total_n - filtered_n, min_n)
    )
    return not shown


# ----------------------------------------------------------------------------- the tree model


def _validate_counts(table: pd.DataFrame, count: str) -> np.ndarray:
    """Counts as float64 (NaN = unknown/withheld); whole, non-negative numbers only."""
    if count not in table.columns:
        raise ValueError(
            f"The table has no respondent-count column {count!r}; columns are {list(table.columns)}. "
            "Pass count=<column name>."
        )
    raw = pd.to_numeric(table[count], errors="coerce").astype("float64").to_numpy()
    bad_text = table[count].notna().to_numpy() & np.isnan(raw)
    for values, problem in (
        (bad_text, "is not a number"),
        (~np.isnan(raw) & (raw < 0), "is negative"),
        (~np.isnan(raw) & (raw != np.round(raw)), "is not a whole number"),
    ):
        if values.any():
            group = table.index[np.flatnonzero(values)[0]]
            raise ValueError(
                f"Respondent count {table[count].loc[group]!r} of group {group!r} "
                f"(column {count!r}) {problem}; counts must be whole numbers >= 0."
            )
    return raw


def _parent_positions(table: pd.DataFrame, parent: str | None) -> np.ndarray:
    """Position of each row's parent row, or -1 for a root.

    A parent id that is missing or not in the table's index makes the row a root: a group
    whose parent is not in the table cannot be compared with it in this table.
    """
    n = len(table)
    out = np.full(n, -1, dtype=np.int64)
    if parent is None:
        return out
    if parent not in table.columns:
        raise ValueError(
            f"The table has no parent column {parent!r}; columns are {list(table.columns)}."
        )
    if not table.index.is_unique:
        dupes = table.index[table.index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"Group ids (the index) must be unique; repeated: {dupes}.")
    position = {gid: i for i, gid in enumerate(table.index)}
    for i, pid in enumerate(table[parent].tolist()):
        if _is_missing(pid):
            continue
        j = position.get(pid)
        if j is None and isinstance(pid, float) and pid.is_integer():
            j = position.get(int(pid))
        if j is None:
            continue
        if j == i:
            raise ValueError(f"Group {table.index[i]!r} names itself as its parent.")
        out[i] = j
    _check_acyclic(out, table.index)
    return out


def _check_acyclic(parents: np.ndarray, index: pd.Index) -> None:
    state = np.zeros(len(parents), dtype=np.int8)  # 0 new, 1 on current path, 2 done
    for start in range(len(parents)):
        path = []
        v = start
        while v != -1 and state[v] == 0:
            state[v] = 1
            path.append(v)
            v = parents[v]
        if v != -1 and state[v] == 1:
            raise ValueError(f"The parent column has a cycle through group {index[v]!r}.")
        for u in path:
            state[u] = 2


def _contract_unknown(counts: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Re-attach every known-count node to its nearest known-count ancestor.

    A node with an unknown count (already withheld) is suppressed whatever we decide; its
    members are uncovered for its nearest shown ancestor exactly as if they were that
    ancestor's own members, so splicing it out of the tree changes no constraint. This is
    what makes ``suppress`` idempotent on its own output.
    """
    known = ~np.isnan(counts)
    effective = parents.copy()
    for v in range(len(parents)):
        p = effective[v]
        while p != -1 and not known[p]:
            p = parents[p]
        effective[v] = p
    effective[~known] = -1
    return effective


def _own_members(counts: np.ndarray, effective_parents: np.ndarray, index: pd.Index) -> np.ndarray:
    known = ~np.isnan(counts)
    child_sum = np.zeros(len(counts))
    has_parent = known & (effective_parents != -1)
    np.add.at(child_sum, effective_parents[has_parent], counts[has_parent])
    own = np.where(known, counts - child_sum, 0.0)
    if (own < 0).any():
        v = int(np.flatnonzero(own < 0)[0])
        raise ValueError(
            f"Group {index[v]!r} counts {int(counts[v])} respondents but its sub-groups count "
            f"{int(child_sum[v])}: a parent's count must cover its whole subtree (its own "
            "members included)."
        )
    return own


def _post_order(effective_parents: np.ndarray, nodes: np.ndarray) -> tuple[list[int], dict]:
    children: dict[int, list[int]] = {int(v): [] for v in nodes}
    roots = []
    for v in nodes:
        p = int(effective_parents[v])
        if p == -1:
            roots.append(int(v))
        else:
            children[p].append(int(v))
    order: list[int] = []
    for root in roots:
        stack = [(root, False)]
        while stack:
            v, expanded = stack.pop()
            if expanded:
                order.append(v)
                continue
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(children[v]))
    return order, children


def _minimal_suppression(
    counts: np.ndarray,
    parents: np.ndarray,
    min_n: int,
    forced_suppressed: np.ndarray,
    forced_shown: np.ndarray,
    index: pd.Index,
) -> np.ndarray:
    """Exact minimum-suppression set for a forest (see the module docstring).

    State of a node: how many respondents its subtree leaves uncovered for its nearest
    shown ancestor, capped at ``min_n`` (index ``min_n`` means "``min_n`` or more").
    Cost: (rows suppressed, respondents withheld) encoded lexicographically as one float.
    """
    k = min_n
    known = ~np.isnan(counts)
    effective = _contract_unknown(counts, parents)
    own = _own_members(counts, effective, index)
    nodes = np.flatnonzero(known)
    order, children = _post_order(effective, nodes)

    # One suppressed row outweighs any number of withheld respondents.
    big = float(np.nansum(counts)) + 1.0
    # Capped sum table for combining two states: cap(a + b) for a, b in 0..k, padded so
    # every target state has the same number of (a, b) candidates.
    a_idx, b_idx = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    target = np.minimum(a_idx + b_idx, k).ravel()
    candidates = [np.flatnonzero(target == s) for s in range(k + 1)]
    width = max(len(c) for c in candidates)
    sentinel = (k + 1) ** 2  # points at an appended +inf
    pairs = np.full((k + 1, width), sentinel, dtype=np.int64)
    for s, cand in enumerate(candidates):
        pairs[s, : len(cand)] = cand

    best: dict[int, np.ndarray] = {}  # node -> cost per state
    trace: dict[int, list[np.ndarray]] = {}  # node -> chosen flat (a, b) per child
    shown_from: dict[int, int] = {}  # node -> state of H it is shown from (or -1)

    for v in order:
        h = np.full(k + 1, np.inf)
        h[min(int(own[v]), k)] = 0.0
        steps = []
        for child in children[v]:
            combined = np.append((h[:, None] + best[child][None, :]).ravel(), np.inf)
            choice = np.argmin(combined[pairs], axis=1)
            flat = pairs[np.arange(k + 1), choice]
            h = combined[flat]
            steps.append(flat)
        trace[v] = steps

        g = np.full(k + 1, np.inf)
        if not forced_shown[v]:
            g = h + big + counts[v]
        shown_from[v] = -1
        if counts[v] >= min_n and not forced_suppressed[v]:
            state = 0 if h[0] <= h[k] else k
            if h[state] < g[0] or forced_shown[v]:
                g[0] = h[state]
                shown_from[v] = state
        best[v] = g

    suppressed = ~known
    for root in (int(v) for v in nodes if effective[v] == -1):
        stack = [(root, int(np.argmin(best[root])))]
        while stack:
            v, state = stack.pop()
            if np.isinf(best[v][state]):
                raise AssertionError("anonymity gate: no feasible suppression (a bug).")
            if state == 0 and shown_from[v] != -1:
                h_state = shown_from[v]
            else:
                suppressed[v] = True
                h_state = state
            for child, flat in zip(reversed(children[v]), reversed(trace[v]), strict=True):
                a, b = divmod(int(flat[h_state]), k + 1)
                stack.append((child, b))
                h_state = a
    return suppressed


def _apply(
    table: pd.DataFrame, suppressed: np.ndarray, count: str, structural: Sequence[Hashable]
) -> pd.DataFrame:
    out = table.copy()
    mask = pd.Series(suppressed, index=out.index)
    for column in out.columns:
        if column in structural or column == SUPPRESSED:
            continue
        out[column] = out[column].where(~mask)
    counts = pd.to_numeric(table[count], errors="coerce").astype("float64")
    out[count] = pd.array(counts.where(~mask).round(), dtype="Int64")
    out[SUPPRESSED] = mask.astype(bool)
    return out


def _previously_suppressed(table: pd.DataFrame) -> np.ndarray:
    if SUPPRESSED not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return table[SUPPRESSED].fillna(False).astype(bool).to_numpy()


# ----------------------------------------------------------------------------- public gates


def suppress(
    table: pd.DataFrame, *, min_n: int, count: str = "respondents", parent: str | None = None
) -> pd.DataFrame:
    """Withhold every group aggregate that is too small or recoverable by subtraction.

    Parameters
    ----------
    table : DataFrame
        One row per group; the index is the group id. Holds a respondent-count column,
        optionally a parent column, and value columns (scores, percentages, …).
    min_n : int
        The organisation's minimum group size (at least 3).
    count : str, default "respondents"
        Name of the column with each group's number of distinct respondents. With
        ``parent``, a group's count covers its whole subtree, its own members included.
    parent : str, optional
        Name of the column holding each group's parent group id. Missing ids, or ids not
        in the index, make a group a root. Without ``parent`` the groups are treated as
        unrelated (use :func:`suppress_breakdown` for disjoint parts of one population).

    Returns
    -------
    DataFrame
        A copy with a boolean ``suppressed`` column. On suppressed rows every value column
        is NaN and the count is ``<NA>`` (a small count is itself disclosive); the parent
        column is kept. Counts come back as pandas' nullable ``Int64``.

    Notes
    -----
    Guarantees, for every shown group ``g``:

    * ``count(g) >= min_n``;
    * the respondents of ``g`` not covered by its nearest shown descendants (its own
      members plus every suppressed subtree in between) number 0 or at least ``min_n``,
      so no small group can be recovered by subtracting shown groups from ``g``;
    * as few rows as possible are suppressed to achieve that (exact minimum via dynamic
      programming on the tree; ties broken by withholding the fewest respondents).

    A row whose count is missing, or whose ``suppressed`` flag is already true, stays
    suppressed, so ``suppress(suppress(t)) == suppress(t)``.

    This is cell suppression for hierarchical tables with complementary suppression, as
    in statistical disclosure control; see Hundepool et al. (2012), *Statistical
    Disclosure Control*, Wiley, ch. 4 ("Magnitude tabular data", secondary suppression).

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame(
    ...     {"parent": [None, "org", "org"], "respondents": [50, 20, 27], "engagement": [71.0, 68.0, 75.0]},
    ...     index=["org", "sales", "support"],
    ... )
    >>> suppress(units, min_n=5, parent="parent")["suppressed"].tolist()
    [False, True, False]

    The organisation's 3 own members would be ``50 - 20 - 27``, so one team is withheld
    too: the smaller one.
    """
    min_n = _check_min_n(min_n)
    counts = _validate_counts(table, count)
    parents = _parent_positions(table, parent)
    forced = _previously_suppressed(table)
    suppressed = _minimal_suppression(
        counts, parents, min_n, forced, np.zeros(len(table), dtype=bool), table.index
    )
    structural = [count] + ([parent] if parent is not None else [])
    return _apply(table, suppressed, count, structural)


def suppress_breakdown(
    table: pd.DataFrame, *, min_n: int, count: str = "respondents", total: int | None = None
) -> pd.DataFrame:
    """Withhold categories of a breakdown of one population shown beside its total.

    A breakdown splits one population (a unit's respondents) into disjoint categories
    (tenure bands, age bands, locations). When the population total is shown, the
    withheld categories plus anyone not in any category (``total - sum(categories)``,
    e.g. "prefer not to say") must number 0 or at least ``min_n``; if exactly one
    category is withheld, or the withheld ones sum to fewer than ``min_n``, further
    categories are withheld (the smallest first) — complementary suppression.

    Parameters
    ----------
    table : DataFrame
        One row per category (index = category), a count column and value columns.
    min_n : int
        The organisation's minimum group size (at least 3).
    count : str, default "respondents"
        Name of the respondent-count column.
    total : int, optional
        Respondents in the whole population, shown beside the breakdown. Defaults to the
        sum of the category counts (categories exhaustive). Required when some counts are
        already withheld (e.g. when re-checking this function's own output).

    Returns
    -------
    DataFrame
        A copy with ``suppressed``; values NaN and counts ``<NA>`` on suppressed rows.

    Notes
    -----
    Solved with the same exact minimum-suppression routine as :func:`suppress`, treating
    the total as a shown root whose children are the categories. If the total itself is
    below ``min_n`` every category is withheld (each is smaller than the total).
    """
    min_n = _check_min_n(min_n)
    counts = _validate_counts(table, count)
    if total is None:
        if np.isnan(counts).any():
            raise ValueError(
                "Some category counts are missing (already withheld); pass total=<population "
                "size> so the withheld remainder can still be checked."
            )
        total = int(counts.sum())
    if _is_missing(total) or total < np.nansum(counts):
        raise ValueError(
            f"total={total} is smaller than the sum of the category counts "
            f"({int(np.nansum(counts))}): categories of a breakdown must be disjoint parts "
            "of the total."
        )
    n = len(table)
    all_counts = np.append(counts, float(total))
    parents = np.append(np.full(n, n, dtype=np.int64), -1)
    forced_suppressed = np.append(_previously_suppressed(table), False)
    forced_shown = np.zeros(n + 1, dtype=bool)
    forced_shown[n] = total >= min_n
    index = table.index.append(pd.Index(["<total>"]))
    suppressed = _minimal_suppression(
        all_counts, parents, min_n, forced_suppressed, forced_shown, index
    )
    return _apply(table, suppressed[:n], count, [count])


def suppress_tree_breakdown(
    cells: pd.DataFrame,
    *,
    parent: pd.Series,
    totals: pd.Series,
    min_n: int,
    hidden_totals: pd.Series | None = None,
    forced: pd.DataFrame | None = None,
    max_rounds: int | None = None,
) -> pd.DataFrame:
    """Which cells of a unit × category breakdown to withhold (``True`` = withheld).

    A breakdown (e.g. engagement by tenure band in every unit) is protected three ways at
    once: each category's column is a unit tree (:func:`suppress` with ``parent``), each
    shown unit's row is a breakdown of that unit's total (:func:`suppress_breakdown`), and
    the shown cells taken together must not let an attacker who knows every count —
    including which classes are empty (structural zeros, public from employee records and
    the coarsening rule) — isolate fewer than ``min_n`` people by any combination of
    additions and subtractions (:func:`breakdown_disclosures`). The gates are applied in turn
    until none withholds another cell; suppression only ever grows, so this ends, and the
    result satisfies all three.

    Parameters
    ----------
    cells : DataFrame
        Subtree respondent counts, units (index) × categories.
    parent : Series
        Each unit's parent id (NaN/None for the root), aligned with ``cells``.
    totals : Series
        Each unit's unfiltered subtree count (the categories plus anyone in none).
    min_n : int
        Minimum group size.
    hidden_totals : Series of bool, optional
        Units whose unfiltered total is itself withheld; all their cells are withheld.
    forced : DataFrame of bool, optional
        Cells withheld already (e.g. by a respondent-level pass before a scale's).
    max_rounds : int, optional
        A guard, not a limit on the answer: every round that does not end the loop
        withholds at least one more cell, so the gates settle within one round per cell
        plus one (the default). Withholding one cell can open a new small cut next to it,
        and on a large organisation such chains run through store after store (about 180
        rounds for 10,000 units: benchmarks/heatmap.py --size xlarge); a fixed cap of 50
        stopped the publication there.

    Returns
    -------
    DataFrame of bool, shaped like ``cells``.
    """
    min_n = _check_min_n(min_n)
    if hidden_totals is None:
        hidden_totals = pd.Series(False, index=cells.index)
    hidden = pd.DataFrame(
        np.repeat(hidden_totals.to_numpy(dtype=bool)[:, None], cells.shape[1], axis=1),
        index=cells.index,
        columns=cells.columns,
    )
    if forced is not None:
        hidden |= forced.reindex_like(hidden).fillna(True).astype(bool)
    counts = cells.to_numpy(dtype=float)
    total = totals.to_numpy(dtype=float)
    shown_units = ~hidden_totals.to_numpy(dtype=bool)
    for _ in range(cells.size + 1 if max_rounds is None else max_rounds):
        before = hidden.to_numpy().copy()
        for category in cells.columns:
            column = pd.DataFrame(
                {"parent": parent, "respondents": cells[category], SUPPRESSED: hidden[category]}
            )
            hidden[category] = suppress(column, min_n=min_n, parent="parent")[SUPPRESSED]
        mask = hidden.to_numpy()
        withheld = total - np.where(mask, 0.0, counts).sum(axis=1)
        # Only a withheld remainder of 1..min_n-1 can make a unit's breakdown withhold more;
        # elsewhere suppress_breakdown would return its input, so it is not called.
        for position in np.flatnonzero(shown_units & (withheld > 0) & (withheld < min_n)):
            row = pd.DataFrame(
                {"respondents": counts[position], SUPPRESSED: mask[position]},
                index=cells.columns,
            )
            gated = suppress_breakdown(row, min_n=min_n, total=int(total[position]))
            hidden.iloc[position] = gated[SUPPRESSED].to_numpy()
        if (hidden.to_numpy() == before).all():
            extra = breakdown_disclosures(
                cells,
                parent=parent,
                totals=totals,
                hidden_totals=hidden_totals,
                hidden=hidden,
                min_n=min_n,
            )
            if not extra:
                return hidden
            for unit, category in extra:
                hidden.at[unit, category] = True
    raise AssertionError("anonymity: breakdown suppression did not settle")  # pragma: no cover


# ----------------------------------------------------------------------------- disclosure audit


def _nearest_shown(parents: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Position of each unit's nearest shown ancestor-or-self (-1 when there is none)."""
    out = np.full(len(parents), -2, dtype=np.int64)
    for start in range(len(parents)):
        path = []
        v = start
        while v != -1 and out[v] == -2 and not shown[v]:
            path.append(v)
            v = parents[v]
        found = -1 if v == -1 else (v if shown[v] else out[v])
        for u in path:
            out[u] = found
        if shown[start]:
            out[start] = start
    return out


def breakdown_disclosures(
    cells: pd.DataFrame,
    *,
    parent: pd.Series,
    totals: pd.Series,
    hidden_totals: pd.Series,
    hidden: pd.DataFrame,
    min_n: int,
) -> list[tuple[Hashable, Hashable]]:
    """Cells to withhold so that no group of 1..min_n-1 people can be isolated.

    The attacker of this audit reads every shown unit total and every shown unit × category
    cell, and knows every count — the people of each unit in each category and in none,
    zeros included. What they can compute is any linear combination of the shown cells. In
    terms of "atoms" (the people of one unit in one category, or in none), each shown cell
    covers the atoms of its region: the unit and its hidden descendants up to the next shown
    unit of its column. Make each atom an edge between its total region and its category
    region (or a common "ground" where it has none: people in no category, or under no shown
    cell of that column). The combinations of shown cells are then exactly the potential
    differences of this bipartite graph, so a set of atoms is isolated precisely when it is a
    consistently oriented edge cut (every edge of it leaves the same side in the same
    direction). Such cuts are found as minimum cuts (Ford & Fulkerson 1956) with the
    backward direction made uncrossable; capacities are capped at ``min_n``, which leaves the
    question "is there a cut of fewer than ``min_n`` people?" unchanged and keeps every flow
    short. This is the audit of statistical disclosure control for linked tables
    (Hundepool et al. 2012, *Statistical Disclosure Control*, §4.4: an interval of width 0
    for a group is a disclosure), restricted to two-level cuts, which are the isolations a
    tree and its breakdown admit.

    Tables of more than `LOCAL_CUT_NODES` regions are searched around each shown cell (the
    isolations found in practice span a unit, its parent and their cells); smaller tables
    exactly.

    Returns, for each isolated small group found, the shown category cell of its cut with the
    fewest people (withholding it merges that region into the next one up and breaks the
    cut); the caller withholds them and gates again.
    """
    counts = cells.to_numpy(dtype=float)
    n, k = counts.shape
    if n == 0 or k == 0:
        return []
    ids = {gid: i for i, gid in enumerate(cells.index)}
    parents = np.array(
        [
            -1 if _is_missing(p) else ids.get(int(p) if isinstance(p, float) else p, -1)
            for p in parent.reindex(cells.index).tolist()
        ],
        dtype=np.int64,
    )
    total = totals.reindex(cells.index).to_numpy(dtype=float)
    child_cells = np.zeros_like(counts)
    child_totals = np.zeros(n)
    for i in np.flatnonzero(parents >= 0):
        child_cells[parents[i]] += counts[i]
        child_totals[parents[i]] += total[i]
    own = counts - child_cells
    blanks = (total - child_totals) - own.sum(axis=1)
    shown_total = ~hidden_totals.reindex(cells.index).fillna(True).to_numpy(dtype=bool)
    shown_cell = ~hidden.to_numpy(dtype=bool)
    region_total = _nearest_shown(parents, shown_total)
    region_cell = np.column_stack([_nearest_shown(parents, shown_cell[:, j]) for j in range(k)])

    # Nodes: 0 = ground, then one per shown total, one per shown cell.
    node_of_total = np.full(n, 0, dtype=np.int64)
    node_of_cell = np.zeros((n, k), dtype=np.int64)
    next_node = 1
    for i in np.flatnonzero(shown_total):
        node_of_total[i] = next_node
        next_node += 1
    cell_of_node: dict[int, tuple[int, int]] = {}
    for i, j in zip(*np.nonzero(shown_cell), strict=True):
        node_of_cell[i, j] = next_node
        cell_of_node[next_node] = (int(i), int(j))
        next_node += 1
    left, right, weight = [], [], []
    for i in range(n):
        t = node_of_total[region_total[i]] if region_total[i] >= 0 else 0
        for j in range(k):
            if own[i, j] > 0:
                c = node_of_cell[region_cell[i, j], j] if region_cell[i, j] >= 0 else 0
                if t or c:
                    left.append(t), right.append(c), weight.append(own[i, j])
        if blanks[i] > 0 and t:
            left.append(t), right.append(0), weight.append(blanks[i])
    if not cell_of_node or not left:
        return []
    left, right = np.array(left), np.array(right)
    weight = np.array(weight)
    people = {v: counts[i, j] for v, (i, j) in cell_of_node.items()}
    found = _small_cuts(left, right, weight, next_node, people, min_n)
    return sorted({(cells.index[i], cells.columns[j]) for i, j in (cell_of_node[v] for v in found)})


# Above this many nodes the cut search is local: around each cell, a neighbourhood of this
# many nodes, the rest merged into the far side (exact for smaller tables).
LOCAL_CUT_NODES = 400


def _small_cuts(left, right, weight, size, cells: dict[int, float], min_n) -> set[int]:
    """For each small isolating cut through a shown cell: the cell node of its near side
    with the fewest people in its cell (`cells`: node -> people; see
    `breakdown_disclosures`)."""
    to_ground = np.bincount(left[right == 0], weights=weight[right == 0], minlength=size)
    from_ground = np.bincount(right[left == 0], weights=weight[left == 0], minlength=size)
    graph = _CutGraph(left.tolist(), right.tolist(), np.minimum(weight, min_n), size, min_n)
    adjacency = sparse.csr_array(
        (np.ones(2 * len(left)), (np.r_[left, right], np.r_[right, left])), shape=(size, size)
    )
    # The far side of a cut is the ground; a part of the graph that never reaches the ground
    # (everyone in it is covered by shown totals and shown cells, e.g. months of a customer
    # wave) takes one of its total regions as its far side instead.
    _, component = connected_components(adjacency, directed=False)
    far: dict[int, int] = {component[0]: 0}
    for node in range(1, size):
        if node not in cells:
            far.setdefault(component[node], node)
    found: set[int] = set()
    for source in sorted(cells):
        # Lower bounds (cheap): in the first direction a cut through a cell keeps every total
        # region it touches on its side, so their people in no category always cross; in the
        # second, the cell's own people under no shown total always cross.
        neighbours = np.unique(left[(right == source) & (left != 0)])
        bounds = (to_ground[neighbours].sum(), from_ground[source])
        for direction, bound in enumerate(bounds):
            if bound >= min_n:
                continue
            side = graph.small_cut(source, far.get(component[source], 0), direction)
            if side:
                members = [v for v in side if v in cells]
                found.add(min(members, key=lambda v: (cells[v], v)))
    return found


class _CutGraph:
    """Minimum cuts of fewer than `min_n` people between a cell and the far side.

    Augmenting paths (Edmonds & Karp 1972) written by hand rather than scipy's maximum_flow:
    each search is small (a neighbourhood) and stops as soon as `min_n` people flow, and
    building a sparse matrix per search cost ten times the search itself.
    """

    def __init__(self, left: list[int], right: list[int], cap, size: int, min_n: int):
        self.left, self.right = left, right
        self.cap = [int(c) for c in cap]
        self.size, self.min_n = size, min_n
        self.edges_of: list[list[int]] = [[] for _ in range(size)]
        for e, (a, b) in enumerate(zip(left, right, strict=True)):
            self.edges_of[a].append(e)
            if b != a:
                self.edges_of[b].append(e)

    def neighbourhood(self, source: int) -> set[int]:
        """All nodes when the table is small, else the first LOCAL_CUT_NODES reached
        breadth-first from `source` (the ground node 0 is never expanded)."""
        if self.size <= LOCAL_CUT_NODES:
            return set(range(1, self.size))
        seen, marked, position = [source], {0, source}, 0
        while position < len(seen) and len(seen) < LOCAL_CUT_NODES:
            v = seen[position]
            position += 1
            for e in self.edges_of[v]:
                for u in (self.left[e], self.right[e]):
                    if u not in marked:
                        marked.add(u)
                        seen.append(u)
        return set(seen[:LOCAL_CUT_NODES])

    def small_cut(self, source: int, sink: int, direction: int) -> list[int] | None:
        """Nodes on the source side of a cut of 1..min_n-1 people, or None.

        Direction 0: an atom crosses from its total region to its category region; 1: the
        other way; its opposite arc is uncrossable (capacity min_n: enough under the cap).
        """
        inside = self.neighbourhood(source) - {0, sink}
        far = -1  # the ground, the sink and everything outside the neighbourhood
        residual: dict[int, dict[int, int]] = {}
        counted: set[int] = set()
        for v in inside:
            for e in self.edges_of[v]:
                if e in counted:
                    continue
                counted.add(e)
                a = self.left[e] if self.left[e] in inside else far
                b = self.right[e] if self.right[e] in inside else far
                if a == b:
                    continue
                if direction:
                    a, b = b, a
                forward = residual.setdefault(a, {})
                backward = residual.setdefault(b, {})
                forward[b] = forward.get(b, 0) + self.cap[e]
                backward[a] = backward.get(a, 0) + self.min_n
        flow = 0
        while flow < self.min_n:
            parents: dict[int, int | None] = {source: None}
            queue = [source]
            while queue and far not in parents:
                following = []
                for u in queue:
                    for w, capacity in residual.get(u, {}).items():
                        if capacity > 0 and w not in parents:
                            parents[w] = u
                            following.append(w)
                queue = following
            if far not in parents:
                break
            path, w = [], far
            while parents[w] is not None:
                path.append((parents[w], w))
                w = parents[w]
            push = min(residual[u][w] for u, w in path)
            for u, w in path:
                residual[u][w] -= push
                residual[w][u] = residual[w].get(u, 0) + push
            flow += push
        if not 0 < flow < self.min_n:
            return None  # 0: nothing crosses (a region with no people of its own)
        return sorted(v for v in parents if v != far)
