"""The anonymity gate applied to people: which units and which categories of a unit's
people may be described. Every figure on the retention pages that describes people (a
turnover rate, leavers by type, a retention curve, a forecast, an exit reason) is shown
only where these say so; the rules themselves live in `servicechain.analytics.anonymity`.

Why the whole tree each time: a unit's figure and its parent's can be subtracted, and so
can a category of a unit and the same category of its parent, so the gate decides over the
organisation's whole tree (complementary suppression), never over the rows of one page.
"""

from __future__ import annotations

import pandas as pd

from servicechain.analytics import anonymity
from servicechain.surveys import results as pipeline


def subtree_counts(unit_ids: pd.Series, tree: pd.DataFrame) -> pd.Series:
    """People (rows of `unit_ids`) in each unit's subtree, indexed like `tree`."""
    return pipeline.subtree_counts(pd.Series(unit_ids, dtype="int64").reset_index(drop=True), tree)


def hidden_units(unit_ids: pd.Series, tree: pd.DataFrame, min_n: int) -> pd.Series:
    """True for each unit whose people may not be described: fewer than `min_n` people in
    its subtree, or recoverable from shown units by subtraction."""
    table = pd.DataFrame({"parent": tree["parent"], "people": subtree_counts(unit_ids, tree)})
    return anonymity.suppress(table, min_n=min_n, count="people", parent="parent")["suppressed"]


def hidden_categories(
    unit_ids: pd.Series,
    categories: pd.Series,
    tree: pd.DataFrame,
    min_n: int,
    *,
    hidden: pd.Series,
    order: list[str],
    totals: pd.Series | None = None,
) -> pd.DataFrame:
    """Units × categories: True where a category of a unit's people (a tenure band, a
    leave type, an exit reason) may not be described. Rows with an empty category count in
    the unit's total only (the withheld remainder). `hidden` are units withheld already;
    `totals` (default: the rows of `unit_ids`) is each unit's population the categories
    split."""
    unit_ids = pd.Series(unit_ids, dtype="int64").reset_index(drop=True)
    categories = pd.Series(categories).reset_index(drop=True).fillna("")
    cells = pd.DataFrame(
        {c: subtree_counts(unit_ids[categories == c], tree) for c in order}, index=tree.index
    )
    if totals is None:
        totals = subtree_counts(unit_ids, tree)
    return anonymity.suppress_tree_breakdown(
        cells,
        parent=tree["parent"],
        totals=totals,
        min_n=min_n,
        hidden_totals=hidden.reindex(tree.index).fillna(True).astype(bool),
    )


def reportable(n: int, min_n: int) -> bool:
    return anonymity.is_reportable(n, min_n)
