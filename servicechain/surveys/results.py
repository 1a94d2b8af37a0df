"""A wave's results, gated once: every unit × scale cell (and every tenure / job-family or
month filter of it) decided by the anonymity gate, stored, and read by every page, API
answer and export. This is the one results pipeline: the surveys results page and the
insights dashboards read the same stored cells, so the same unit, wave and scale shows the
same number everywhere.

Published once, at close
------------------------
Results of a wave are built when it closes and never from other answers afterwards. While a
wave is open nothing of its answers is shown (only participation, gated), because results
recomputed as answers arrive can be read before and after one more submission and
subtracted: the difference is that person's answers. A wave that has closed takes no more
answers and refuses further imports once published, and its unit tree is frozen with the
snapshot, so every reading of its results is the same reading. DESIGN.md §2 states the rule
for snapshots of open waves (their difference must pass the gate); publishing only at close
satisfies it with a single snapshot.

Why pre-aggregate
-----------------
Gating a 3,000-unit tree is an exact dynamic programme (about 0.1 s per value column), and
a wave has a dozen scales and eight filter categories. The pages must answer in well under
300 ms, so the gate runs once per wave and the pages only read stored cells. A stored cell
is the gate's output: a withheld cell keeps neither its value nor its count.

How a wave is gated (one pattern for every viewer)
--------------------------------------------------
1. **Unit tree, all respondents.** Subtree respondent counts go through
   `anonymity.suppress(parent=…)`; then each scale on its own answerer count (someone may
   skip the pay questions: a score's n is the number who answered that scale), never
   showing a scale where the unit's respondents are hidden.
2. **Filters** (tenure band, job family). For each category, its unit tree is gated like
   (1); for each unit, its categories are a breakdown of the unit's shown total; the two
   alternate until neither hides another cell (`anonymity.suppress_tree_breakdown`), first
   on respondents and then on each scale's answerers (starting from what the respondents
   hid). So a filtered view cannot be subtracted from the unfiltered one, from its
   siblings, or from itself one level up — also by an attacker who knows which classes are
   empty (structural zeros).
3. **Values** (`metrics.mean_ci`, `metrics.nps`, `metrics.csat`) are estimated only for
   cells the gate shows: the gate needs counts alone.

Customer waves go through the same steps with one filter dimension, the month a response
was submitted: the wave's cells and its months are then a breakdown gated together, so a
month can never be recovered from the wave and its other months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from servicechain.analytics import anonymity, metrics
from servicechain.org.models import Organization, Unit

from .bank import load_bank, score_items
from .models import CustomerResponse, Response, UnitScore, Wave
from .questions import Question, questions_of

ENGAGEMENT = "engagement"
ENPS = "enps"
RESPONDENTS = ""  # the scale code of a unit's respondent-count cell
DIMENSIONS = {"tenure_band": "Tenure", "job_family": "Job family"}
MONTH = "month"
CSAT, CSAT_INDEX, NPS, EFFORT = "csat", "csat_index", "nps", "effort"
TENURE_ORDER = ("<1y", "1-2y", "2-5y", "5y+")


# ----------------------------------------------------------------------------- loading


def unit_tree(organization: Organization) -> pd.DataFrame:
    """Every unit of the organisation (index = unit id) with parent, name, depth and path."""
    rows = Unit.objects.filter(organization=organization).values_list(
        "pk", "parent_id", "name", "external_id", "depth", "path"
    )
    frame = pd.DataFrame(
        list(rows), columns=["unit_id", "parent", "name", "external_id", "depth", "path"]
    ).set_index("unit_id")
    frame["parent"] = frame["parent"].astype("Int64")
    return frame.sort_values("path")


def _ancestors(tree: pd.DataFrame) -> dict[int, list[int]]:
    """Unit id -> itself and all its ancestors, read off the materialised path."""
    return {
        unit_id: [int(s, 36) for s in path.split(".") if s]
        for unit_id, path in tree["path"].items()
    }


def subtree_rows(unit_ids: pd.Series, tree: pd.DataFrame) -> pd.DataFrame:
    """One row per (response, unit whose subtree contains it): `row` and `unit`."""
    ancestors = _ancestors(tree)
    pairs = [
        (row, a)
        for row, u in zip(unit_ids.index, unit_ids, strict=True)
        for a in ancestors.get(u, ())
    ]
    return pd.DataFrame(pairs, columns=["row", "unit"])


def subtree_counts(unit_ids: pd.Series, tree: pd.DataFrame) -> pd.Series:
    """Number of items of `unit_ids` in each unit's subtree (0 where none), indexed like `tree`."""
    counts = unit_ids.value_counts()
    own = counts.reindex(tree.index, fill_value=0).astype(int)
    total = own.copy()
    # Children come after parents in path order, so adding in reverse path order sums subtrees.
    for unit_id in reversed(tree.index):
        parent = tree.at[unit_id, "parent"]
        if parent is not pd.NA and parent in total.index:
            total[parent] += total[unit_id]
    return total


@dataclass
class WaveData:
    """A wave's responses as a frame: attributes, item answers and 0-100 scale scores."""

    wave: Wave
    questions: tuple[Question, ...]
    frame: pd.DataFrame  # unit_id, tenure_band, job_family, one column per item code
    scores: pd.DataFrame  # one column per scored scale
    tree: pd.DataFrame
    min_n: int
    scale_names: dict[str, str] = field(default_factory=dict)

    @property
    def respondents(self) -> int:
        return len(self.frame)

    def numeric_items(self) -> list[Question]:
        return [q for q in self.questions if q.item.is_scored]

    def text_items(self) -> list[Question]:
        return [q for q in self.questions if q.item.type == "text"]


def wave_data(wave: Wave, tree: pd.DataFrame | None = None) -> WaveData:
    """Load an employee or customer wave's responses (not person-facing until gated)."""
    questions = questions_of(wave.instrument)
    if wave.kind == Wave.Kind.CUSTOMER:
        rows = CustomerResponse.objects.filter(wave=wave).values_list("unit_id", "answers")
        records = [(u, "", "", a) for u, a in rows]
    else:
        records = list(
            Response.objects.filter(wave=wave).values_list(
                "unit_id", "tenure_band", "job_family", "answers"
            )
        )
    attributes = pd.DataFrame(
        [r[:3] for r in records], columns=["unit_id", "tenure_band", "job_family"]
    )
    codes = [q.code for q in questions]
    answers = pd.DataFrame([r[3] for r in records], index=attributes.index, columns=codes)
    for question in questions:
        if question.item.is_scored:
            answers[question.code] = pd.to_numeric(answers[question.code], errors="coerce")
    frame = pd.concat([attributes, answers], axis=1)
    scored = [q.item for q in questions if q.item.is_scored]
    scores = score_items(frame[[q.code for q in questions if q.item.is_scored]], scored)
    bank = load_bank()
    names = {
        scale: bank.scales[scale].name if scale in bank.scales else scale.replace("_", " ").title()
        for scale in scores.columns
    }
    return WaveData(
        wave=wave,
        questions=questions,
        frame=frame,
        scores=scores,
        tree=unit_tree(wave.organization) if tree is None else tree,
        min_n=wave.organization.min_group_size,
        scale_names=names,
    )


# ----------------------------------------------------------------------------- the gate


def _gate_tree(parent: pd.Series, counts: pd.Series, min_n: int, forced: pd.Series) -> pd.Series:
    table = pd.DataFrame({"parent": parent, "respondents": counts, "suppressed": forced})
    return anonymity.suppress(table, min_n=min_n, parent="parent")["suppressed"]


def gate_breakdown(
    parent: pd.Series,
    cells: pd.DataFrame,
    totals: pd.Series,
    hidden_totals: pd.Series,
    min_n: int,
    forced: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which unit × category cells to hide: `anonymity.suppress_tree_breakdown`."""
    return anonymity.suppress_tree_breakdown(
        cells, parent=parent, totals=totals, min_n=min_n, hidden_totals=hidden_totals, forced=forced
    )


# ----------------------------------------------------------------------------- responses


@dataclass
class ResponseTable:
    """A wave's responses as the gate and the estimators need them (rows by position).

    `values[scale]` is what the scale's estimator reads (0-100 scores, or raw answers for
    NPS, CSAT and effort); `answered` flags who answered each scale; `attributes` holds the
    filter dimensions (tenure band, job family; month for customer waves).
    """

    unit_ids: pd.Series
    values: pd.DataFrame
    estimators: dict
    scale_names: dict[str, str]
    attributes: pd.DataFrame
    dimensions: tuple[str, ...]
    tree: pd.DataFrame
    min_n: int

    @property
    def answered(self) -> pd.DataFrame:
        return self.values.notna()


def _items_by_scale(questions) -> dict[str, list]:
    items: dict[str, list] = {}
    for question in questions:
        if question.item.is_scored:
            items.setdefault(question.item.scale, []).append(question.item)
    return items


def _estimator(items: list):
    """How a scale is summarised, and from which column.

    A one-item 0-10 scale (eNPS, NPS) is a Net Promoter Score of the raw answers; a one-item
    satisfaction scale is CSAT, the top-2-box percentage; a one-item effort scale the mean
    raw answer (1-7, lower is easier); any other scale the mean of its 0-100 scores with a
    t-interval.
    """
    if len(items) == 1 and items[0].type == "nps11":
        return metrics.nps, items[0].code
    if len(items) == 1 and items[0].type == "csat5":
        return metrics.csat, items[0].code
    if len(items) == 1 and items[0].type == "effort7":
        return metrics.mean_ci, items[0].code
    return metrics.mean_ci, None


def response_table(
    *, frame: pd.DataFrame, scores: pd.DataFrame, questions, scale_names, tree, min_n, dimensions
) -> ResponseTable:
    """Assemble a `ResponseTable` from answers (`frame`: unit_id, item codes, attributes)
    and their 0-100 scale `scores`."""
    frame = frame.reset_index(drop=True)
    scores = scores.reset_index(drop=True)
    items = _items_by_scale(questions)
    values, estimators = pd.DataFrame(index=scores.index), {}
    for scale in scores.columns:
        estimator, raw = _estimator(items.get(scale, []))
        values[scale] = pd.to_numeric(frame[raw], errors="coerce") if raw else scores[scale]
        estimators[scale] = estimator
    return ResponseTable(
        unit_ids=pd.Series(frame["unit_id"].to_numpy(), index=scores.index),
        values=values.astype(float),
        estimators=estimators,
        scale_names=dict(scale_names),
        attributes=frame[list(dimensions)].copy(),
        dimensions=tuple(dimensions),
        tree=tree,
        min_n=min_n,
    )


@dataclass
class _Groups:
    """Response rows grouped by every unit whose subtree holds them (one sort, many reads)."""

    rows: np.ndarray
    starts: dict[int, tuple[int, int]]

    @classmethod
    def of(cls, unit_ids: pd.Series, tree: pd.DataFrame) -> _Groups:
        pairs = subtree_rows(unit_ids, tree)
        if pairs.empty:
            return cls(rows=np.array([], dtype=int), starts={})
        pairs = pairs.sort_values(["unit", "row"], kind="stable")
        units = pairs["unit"].to_numpy()
        edges = np.flatnonzero(np.r_[True, units[1:] != units[:-1], True])
        starts = {int(units[a]): (a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)}
        return cls(rows=pairs["row"].to_numpy(), starts=starts)

    def counts(self, index: pd.Index, answered: pd.DataFrame) -> pd.DataFrame:
        """Respondents and the answerers of each scale per unit subtree (0 where none)."""
        columns = [RESPONDENTS, *answered.columns]
        if not self.starts:
            return pd.DataFrame(0, index=index, columns=columns, dtype="int64")
        units = list(self.starts)
        spans = np.array([self.starts[u] for u in units])
        flags = answered.to_numpy()[self.rows].astype(np.int64)
        cumulative = np.vstack([np.zeros((1, flags.shape[1]), dtype=np.int64), flags.cumsum(0)])
        per_unit = np.column_stack(
            [spans[:, 1] - spans[:, 0], cumulative[spans[:, 1]] - cumulative[spans[:, 0]]]
        )
        frame = pd.DataFrame(per_unit, index=units, columns=columns)
        return frame.reindex(index, fill_value=0).astype("int64")

    def values(self, unit: int, column: np.ndarray) -> np.ndarray:
        a, b = self.starts[unit]
        return column[self.rows[a:b]]


# ----------------------------------------------------------------------------- one table


def _table_cells(
    *,
    groups: _Groups,
    table: ResponseTable,
    counts: pd.DataFrame,
    hidden_respondents: pd.Series,
    hidden_scales: pd.DataFrame,
    dimension: str = "",
    category: str = "",
    skip_empty: bool = False,
) -> list[dict]:
    """Cells of one gated table; values estimated only where the gate shows them."""
    scale_names = list(table.values.columns)
    columns = {scale: table.values[scale].to_numpy() for scale in scale_names}
    n_matrix = counts[scale_names].to_numpy()
    hidden_matrix = hidden_scales[scale_names].to_numpy()
    respondent_counts = counts[RESPONDENTS].to_numpy()
    unit_hidden_flags = hidden_respondents.reindex(counts.index).to_numpy()
    min_n = table.min_n
    out = []
    for position, unit_id in enumerate(counts.index):
        respondents = int(respondent_counts[position])
        if skip_empty and respondents == 0:
            continue
        unit_reason = _reason(bool(unit_hidden_flags[position]), respondents, min_n)
        out.append(_cell(unit_id, dimension, category, RESPONDENTS, respondents, None, unit_reason))
        for k, scale in enumerate(scale_names):
            n = int(n_matrix[position, k])
            reason = unit_reason or _reason(bool(hidden_matrix[position, k]), n, min_n)
            estimate = None
            if not reason:
                values = groups.values(unit_id, columns[scale])
                estimate = table.estimators[scale](values[~np.isnan(values)])
            out.append(_cell(unit_id, dimension, category, scale, n, estimate, reason))
    return out


def _reason(hidden: bool, n: int, min_n: int) -> str:
    if not hidden:
        return ""
    return UnitScore.Reason.MIN_N if n < min_n else UnitScore.Reason.COMPLEMENTARY


def _cell(unit_id, dimension, category, scale, n, estimate, reason) -> dict:
    shown = not reason
    return {
        "unit_id": int(unit_id),
        "dimension": dimension,
        "category": category,
        "scale": scale,
        "n": n if shown else None,
        "value": _finite(estimate.value) if shown and estimate is not None else None,
        "lower": _finite(estimate.lower) if shown and estimate is not None else None,
        "upper": _finite(estimate.upper) if shown and estimate is not None else None,
        "se": _finite(estimate.se) if shown and estimate is not None else None,
        "suppressed": not shown,
        "reason": reason,
    }


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value


# ----------------------------------------------------------------------------- a wave


@dataclass
class WaveCells:
    """Everything a snapshot stores for one wave."""

    cells: list[dict]
    scales: list[tuple[str, str]]
    categories: dict[str, list[str]]
    responses: int


def categories_of(attributes: pd.DataFrame, dimension: str) -> list[str]:
    present = [c for c in attributes[dimension].dropna().unique().tolist() if str(c).strip()]
    if dimension == "tenure_band":
        return sorted(
            present, key=lambda c: (TENURE_ORDER.index(c) if c in TENURE_ORDER else 99, c)
        )
    return sorted(present)


def wave_cells(table: ResponseTable, *, withheld: frozenset = frozenset()) -> WaveCells:
    """Gate every unit × scale cell of a wave, unfiltered and by each filter category.

    `withheld` holds cells, as (unit id, dimension, category, scale), that must stay withheld
    whatever the counts: the cells a previous publication of the same wave withheld. A
    rebuild (say, after the minimum group size was raised) can then only withhold more, never
    show a cell that an earlier reading hid beside one it showed.
    """
    tree, min_n = table.tree, table.min_n
    parent = tree["parent"]
    answered = table.answered
    scales = list(table.values.columns)

    def forced(dimension: str, category: str, scale: str) -> pd.Series:
        units = {u for (u, d, c, s) in withheld if (d, c, s) == (dimension, category, scale)}
        return pd.Series(tree.index.isin(list(units)), index=tree.index)

    def forced_matrix(dimension: str, names: list[str], scale: str) -> pd.DataFrame:
        return pd.DataFrame({c: forced(dimension, c, scale) for c in names})

    groups = _Groups.of(table.unit_ids, tree)
    counts = groups.counts(tree.index, answered)
    hidden_respondents = _gate_tree(parent, counts[RESPONDENTS], min_n, forced("", "", ""))
    hidden_scales = pd.DataFrame(
        {
            s: _gate_tree(parent, counts[s], min_n, hidden_respondents | forced("", "", s))
            for s in scales
        }
    )
    cells = _table_cells(
        groups=groups,
        table=table,
        counts=counts,
        hidden_respondents=hidden_respondents,
        hidden_scales=hidden_scales,
    )

    categories: dict[str, list[str]] = {}
    for dimension in table.dimensions:
        names = categories_of(table.attributes, dimension)
        categories[dimension] = names
        if not names:
            continue
        column = table.attributes[dimension].to_numpy()
        category_groups = {c: _Groups.of(table.unit_ids[column == c], tree) for c in names}
        category_counts = {c: category_groups[c].counts(tree.index, answered) for c in names}
        respondents = pd.DataFrame({c: category_counts[c][RESPONDENTS] for c in names})
        hidden = gate_breakdown(
            parent,
            respondents,
            counts[RESPONDENTS],
            hidden_respondents,
            min_n,
            forced=forced_matrix(dimension, names, RESPONDENTS) if withheld else None,
        )
        hidden_by_scale = {
            scale: gate_breakdown(
                parent,
                pd.DataFrame({c: category_counts[c][scale] for c in names}),
                counts[scale],
                hidden_scales[scale],
                min_n,
                forced=hidden | forced_matrix(dimension, names, scale) if withheld else hidden,
            )
            for scale in scales
        }
        for category in names:
            cells += _table_cells(
                groups=category_groups[category],
                table=table,
                counts=category_counts[category],
                hidden_respondents=hidden[category],
                hidden_scales=pd.DataFrame({s: h[category] for s, h in hidden_by_scale.items()}),
                dimension=dimension,
                category=category,
                skip_empty=True,
            )
    return WaveCells(
        cells=cells,
        scales=[(s, table.scale_names.get(s, s)) for s in scales],
        categories=categories,
        responses=len(table.unit_ids),
    )


def employee_table(wave: Wave, tree: pd.DataFrame | None = None) -> ResponseTable:
    data = wave_data(wave, tree=tree)
    return response_table(
        frame=data.frame,
        scores=data.scores,
        questions=data.questions,
        scale_names=data.scale_names,
        tree=data.tree,
        min_n=data.min_n,
        dimensions=tuple(DIMENSIONS),
    )


def customer_table(wave: Wave, tree: pd.DataFrame | None = None) -> ResponseTable:
    """A customer wave's responses, with the month each was submitted as its one dimension."""
    questions = questions_of(wave.instrument)
    rows = list(
        CustomerResponse.objects.filter(wave=wave).values_list("unit_id", "submitted_at", "answers")
    )
    codes = [q.code for q in questions]
    frame = pd.DataFrame(
        {
            "unit_id": [r[0] for r in rows],
            MONTH: [r[1].strftime("%Y-%m") for r in rows],
        }
    )
    answers = pd.DataFrame([r[2] for r in rows], index=frame.index, columns=codes)
    scored = [q.item for q in questions if q.item.is_scored]
    for item in scored:
        answers[item.code] = pd.to_numeric(answers[item.code], errors="coerce")
    frame = pd.concat([frame, answers], axis=1)
    scores = score_items(frame[[i.code for i in scored]], scored)
    bank = load_bank()
    names = {s: bank.scales[s].name if s in bank.scales else s for s in scores.columns}
    if CSAT in scores.columns:
        # The CSAT percentage is what people read; the mean 0-100 score is the smoother
        # index the linkage model uses (it keeps the information the top-2 box throws away).
        scores[CSAT_INDEX] = scores[CSAT]
        names[CSAT_INDEX] = "Customer satisfaction index (0-100)"
    return response_table(
        frame=frame,
        scores=scores,
        questions=questions,
        scale_names=names,
        tree=unit_tree(wave.organization) if tree is None else tree,
        min_n=wave.organization.min_group_size,
        dimensions=(MONTH,),
    )


def wave_table(wave: Wave, tree: pd.DataFrame | None = None) -> ResponseTable:
    """The wave's responses as the gate and the estimators read them."""
    if wave.kind == Wave.Kind.CUSTOMER:
        return customer_table(wave, tree)
    return employee_table(wave, tree)


def responses_of(wave: Wave) -> int:
    model = CustomerResponse if wave.kind == Wave.Kind.CUSTOMER else Response
    return model.objects.filter(wave=wave).count()


# ----------------------------------------------------------------------------- the frozen tree


def tree_records(tree: pd.DataFrame) -> list[list]:
    """The unit tree as stored with a snapshot: [[unit id, parent id or None, path], …]."""
    return [
        [int(unit_id), None if pd.isna(parent) else int(parent), path]
        for unit_id, parent, path in zip(tree.index, tree["parent"], tree["path"], strict=True)
    ]


def tree_frame(records: list[list], organization) -> pd.DataFrame:
    """A stored tree back as a frame like `unit_tree`'s (names and depths from today's units;
    units deleted since have no row, their cells went with them)."""
    current = unit_tree(organization)
    rows = [r for r in records if r[0] in current.index]
    frame = pd.DataFrame(rows, columns=["unit_id", "parent", "path"]).set_index("unit_id")
    frame["parent"] = frame["parent"].astype("Int64")
    frame["name"] = current["name"].reindex(frame.index)
    frame["external_id"] = current["external_id"].reindex(frame.index)
    frame["depth"] = current["depth"].reindex(frame.index).astype(int)
    return frame.sort_values("path")
