"""Reads of the surveys app. Every person-facing aggregate passes the anonymity gate.

How the gate is applied (see docs/surveys.md, "Anonymity"):

* **One pattern for everyone.** Suppression is decided once, on the whole organisation's
  unit tree, and each viewer then sees the rows of their own scope. A manager's view and
  HR's view therefore never disagree about a cell, so nobody can subtract one view from
  another to uncover a group that one of them hid.
* **Unit tree.** Subtree counts go through `anonymity.suppress(..., parent=...)`: every shown
  unit has at least `min_group_size` respondents, and what a shown unit holds beyond its
  nearest shown sub-units is 0 or at least `min_group_size` people.
* **Each value on its own n.** A scale's mean is gated on how many people answered that
  scale (someone may skip the pay questions), again on the whole tree, never showing a
  value where the unit's respondent count is itself hidden.
* **Breakdowns and filters** (tenure band, job family) are one unit × category table:
  each category's tree is gated like the unit tree, each unit's breakdown with
  `suppress_breakdown` against its shown total, repeated until nothing changes, so a
  filtered view, its unfiltered total and the same filter one level up can never be
  subtracted from each other to reveal fewer than `min_group_size` people.
* **Comments** only for units shown by the same gate, never with any attribute of the
  person, in an order unrelated to when they were written.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from servicechain.analytics import anonymity, metrics, psychometrics
from servicechain.org.access import Role, Scope
from servicechain.org.models import Organization, Unit

from .bank import load_bank, reverse_key_items, score_items
from .models import CustomerResponse, Instrument, Invitation, Response, Wave
from .questions import Question, questions_of
from .services import TENURE_BANDS

DIMENSIONS = {"tenure_band": "Tenure", "job_family": "Job family"}
RELIABILITY_THRESHOLD = 0.70
ENGAGEMENT = "engagement"
ENPS = "enps"
RAW = "raw:"  # prefix of raw answer columns beside 0-100 scores (customer scale = item codes)


# --------------------------------------------------------------------------- lists


def waves_for(scope: Scope) -> QuerySet[Wave]:
    """Waves a member may see: all for admins and HR; opened waves reaching their units for others."""
    waves = Wave.objects.filter(organization=scope.organization).select_related(
        "instrument", "audience_unit"
    )
    if scope.sees_whole_organisation:
        return waves
    return waves.exclude(status=Wave.Status.DRAFT)


def wave_for(scope: Scope, wave_id) -> Wave:
    try:
        return waves_for(scope).get(pk=wave_id)
    except (Wave.DoesNotExist, ValueError, TypeError):
        raise Http404("No such wave.") from None


def instruments_for(scope: Scope) -> QuerySet[Instrument]:
    return (
        Instrument.objects.filter(organization=scope.organization)
        .annotate(question_count=Count("entries", distinct=True))
        .select_related("owner")
    )


def instrument_for(scope: Scope, instrument_id) -> Instrument:
    try:
        return instruments_for(scope).get(pk=instrument_id)
    except (Instrument.DoesNotExist, ValueError, TypeError):
        raise Http404("No such instrument.") from None


def my_open_invitation(scope: Scope, wave: Wave) -> Invitation | None:
    """The signed-in employee's own unanswered invitation to an open wave, if any."""
    employee = getattr(scope.user, "employee", None)
    if employee is None or wave.status != Wave.Status.OPEN:
        return None
    return Invitation.objects.filter(wave=wave, employee=employee, responded=False).first()


# --------------------------------------------------------------------------- the unit tree


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


# --------------------------------------------------------------------------- the gate


def gate_tree(table: pd.DataFrame, *, min_n: int, values: dict[str, list[str]]) -> pd.DataFrame:
    """Gate a unit table: respondents first, then each value on its own answerer count.

    `table` has `parent`, `respondents`, and for each key of `values` a count column
    `n_<key>` and the value columns listed. Returns a copy where hidden cells are NaN/<NA>
    and `suppressed` (plus `suppressed_<key>` per value group) say what was withheld.
    """
    base = anonymity.suppress(table[["parent", "respondents"]], min_n=min_n, parent="parent")
    out = table.copy()
    out["respondents"] = base["respondents"]
    out["suppressed"] = base["suppressed"]
    for key, columns in values.items():
        part = table[["parent", f"n_{key}", *columns]].copy()
        part["suppressed"] = base["suppressed"]  # never show a value whose unit is hidden
        gated = anonymity.suppress(part, min_n=min_n, count=f"n_{key}", parent="parent")
        out[[f"n_{key}", *columns]] = gated[[f"n_{key}", *columns]]
        out[f"suppressed_{key}"] = gated["suppressed"]
    return out


def gate_categories(tree_table: pd.DataFrame, cells: pd.DataFrame, *, min_n: int) -> pd.DataFrame:
    """Which unit × category cells of a breakdown must be hidden (True = hidden).

    `tree_table`: the gated unit table (`parent`, `suppressed`, and the true subtree
    totals in `total`); `cells`: subtree respondent counts, units × categories. The rule is
    `anonymity.suppress_tree_breakdown` (category trees and unit breakdowns together).
    """
    return anonymity.suppress_tree_breakdown(
        cells,
        parent=tree_table["parent"],
        totals=tree_table["total"],
        min_n=min_n,
        hidden_totals=tree_table["suppressed"],
    )


# --------------------------------------------------------------------------- response frames


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


def wave_data(wave: Wave) -> WaveData:
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
        tree=unit_tree(wave.organization),
        min_n=wave.organization.min_group_size,
        scale_names=names,
    )


# --------------------------------------------------------------------------- results by unit


@dataclass
class UnitResults:
    """Gated results by unit, restricted to a viewer's scope (rows in tree order)."""

    rows: list[dict]
    scales: list[tuple[str, str]]  # (code, name) of the scale columns
    min_n: int
    respondents: int | None  # of the viewer's top unit, None when withheld
    kinds: dict[str, str] = field(default_factory=dict)  # scale -> estimator (see _estimators)


def _estimators(data: WaveData) -> dict[str, tuple[str, str]]:
    """How each scale is summarised: (estimator, column it reads).

    The engagement index is a mean with a t-interval; a one-item 0-10 scale (eNPS, NPS) is
    a Net Promoter Score on the raw answers; a one-item satisfaction scale is CSAT, the
    top-2-box percentage; any other scale is the mean of its 0-100 scores.
    """
    items_of: dict[str, list] = {}
    for question in data.numeric_items():
        items_of.setdefault(question.item.scale, []).append(question.item)
    out = {}
    for scale in data.scores.columns:
        items = items_of.get(scale, [])
        if len(items) == 1 and items[0].type == "nps11":
            out[scale] = ("nps", RAW + items[0].code)
        elif len(items) == 1 and items[0].type == "csat5":
            out[scale] = ("csat", RAW + items[0].code)
        elif scale == ENGAGEMENT:
            out[scale] = ("mean_ci", scale)
        else:
            out[scale] = ("mean", scale)
    return out


_ESTIMATORS = {"nps": metrics.nps, "csat": metrics.csat, "mean_ci": metrics.mean_ci}


def _organisation_results(data: WaveData) -> pd.DataFrame:
    """Whole-organisation unit table, gated (the one pattern every viewer shares)."""
    tree = data.tree
    estimators = _estimators(data)
    raw = sorted(
        {c.removeprefix(RAW) for kind, c in estimators.values() if kind in ("nps", "csat")}
    )
    pairs = subtree_rows(data.frame["unit_id"], tree)
    joined = pairs.join(data.scores, on="row").join(data.frame[raw].add_prefix(RAW), on="row")
    table = pd.DataFrame(index=tree.index)
    table["parent"] = tree["parent"]
    table["respondents"] = pairs.groupby("unit").size().reindex(tree.index, fill_value=0)
    values: dict[str, list[str]] = {}
    # Plain means in one grouped pass; the interval estimators per unit (a unit is a group
    # of the grouped column, never a per-unit DataFrame: that cost seconds at 3,000 units).
    by_unit = joined.groupby("unit")
    plain = [column for kind, column in estimators.values() if kind == "mean"]
    counts = by_unit[plain].count().reindex(tree.index, fill_value=0)
    means = by_unit[plain].mean().reindex(tree.index)
    for scale, (kind, column) in estimators.items():
        if kind == "mean":
            table[f"n_{scale}"] = counts[column].to_numpy()
            table[scale] = means[column].to_numpy(dtype=float)
            values[scale] = [scale]
            continue
        estimate = _ESTIMATORS[kind]
        results = {u: estimate(answers) for u, answers in by_unit[column]}
        table[f"n_{scale}"] = [results[u].n if u in results else 0 for u in tree.index]
        for suffix, attribute in (("", "value"), ("_lower", "lower"), ("_upper", "upper")):
            table[f"{scale}{suffix}"] = [
                getattr(results[u], attribute) if u in results else math.nan for u in tree.index
            ]
        values[scale] = [scale, f"{scale}_lower", f"{scale}_upper"]
    return gate_tree(table, min_n=data.min_n, values=values)


def results_by_unit(scope: Scope, wave: Wave, data: WaveData | None = None) -> UnitResults:
    """Engagement index, eNPS and scale scores per unit the viewer may see, gated."""
    data = data or wave_data(wave)
    gated = _organisation_results(data)
    visible = set(scope.units().values_list("pk", flat=True))
    rows = []
    for unit_id in data.tree.index:
        if unit_id not in visible:
            continue
        row = gated.loc[unit_id]
        rows.append(
            {
                "unit_id": int(unit_id),
                "unit": data.tree.at[unit_id, "name"],
                "depth": int(data.tree.at[unit_id, "depth"]),
                "parent_id": _int_or_none(data.tree.at[unit_id, "parent"]),
                "respondents": _int_or_none(row["respondents"]),
                "suppressed": bool(row["suppressed"]),
                "scores": {scale: _cell(row, scale) for scale in data.scores.columns},
            }
        )
    top = rows[0]["respondents"] if rows else None
    return UnitResults(
        rows=rows,
        scales=[(s, data.scale_names[s]) for s in data.scores.columns],
        min_n=data.min_n,
        respondents=top,
        kinds={scale: kind for scale, (kind, _) in _estimators(data).items()},
    )


def _cell(row: pd.Series, scale: str) -> dict:
    shown = not bool(row.get(f"suppressed_{scale}", True))
    value = row.get(scale)
    cell = {
        "value": _float_or_none(value) if shown else None,
        "n": _int_or_none(row.get(f"n_{scale}")) if shown else None,
        "suppressed": not shown,
    }
    if f"{scale}_lower" in row.index:
        cell["lower"] = _float_or_none(row[f"{scale}_lower"]) if shown else None
        cell["upper"] = _float_or_none(row[f"{scale}_upper"]) if shown else None
    return cell


def _int_or_none(value) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _float_or_none(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 2)


# --------------------------------------------------------------------------- breakdowns


def _category_cells(data: WaveData, dimension: str) -> pd.DataFrame:
    frame = data.frame[data.frame[dimension].astype(bool)]
    categories = sorted(frame[dimension].unique(), key=_category_order(dimension))
    cells = pd.DataFrame(index=data.tree.index)
    for category in categories:
        members = frame.loc[frame[dimension] == category, "unit_id"]
        cells[category] = subtree_counts(members, data.tree)
    return cells


def _category_order(dimension: str):
    if dimension == "tenure_band":
        return lambda c: (TENURE_BANDS.index(c) if c in TENURE_BANDS else 99, c)
    return lambda c: c


def _gated_categories(
    data: WaveData, dimension: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown breakdown {dimension!r}; use one of {', '.join(DIMENSIONS)}.")
    cells = _category_cells(data, dimension)
    base = pd.DataFrame(index=data.tree.index)
    base["parent"] = data.tree["parent"]
    base["total"] = subtree_counts(data.frame["unit_id"], data.tree)
    base["respondents"] = base["total"]
    base["suppressed"] = anonymity.suppress(
        base[["parent", "respondents"]], min_n=data.min_n, parent="parent"
    )["suppressed"]
    hidden = gate_categories(base, cells, min_n=data.min_n)
    return base, cells, hidden


def breakdown(
    scope: Scope,
    wave: Wave,
    *,
    dimension: str,
    unit: Unit | None = None,
    data: WaveData | None = None,
) -> dict:
    """Engagement by category (tenure band or job family) within one unit the viewer sees."""
    data = data or wave_data(wave)
    unit = unit or scope.root_unit
    if unit is None or not scope.can_see_unit(unit):
        raise Http404("No such unit.")
    base, cells, hidden = _gated_categories(data, dimension)
    members = data.frame["unit_id"].map(lambda u: _within(u, unit, data.tree))
    rows = []
    for category in cells.columns:
        shown = not bool(hidden.at[unit.pk, category])
        in_group = members & (data.frame[dimension] == category)
        rows.append(
            {
                "category": category,
                "suppressed": not shown,
                "respondents": int(cells.at[unit.pk, category]) if shown else None,
                "engagement": _mean_or_none(data.scores.loc[in_group, ENGAGEMENT])
                if shown and ENGAGEMENT in data.scores
                else None,
            }
        )
    total_shown = not bool(base.at[unit.pk, "suppressed"])
    return {
        "dimension": dimension,
        "label": DIMENSIONS[dimension],
        "unit_id": unit.pk,
        "unit": unit.name,
        "respondents": int(base.at[unit.pk, "total"]) if total_shown else None,
        "suppressed": not total_shown,
        "rows": rows,
        "min_n": data.min_n,
    }


def filtered_results(
    scope: Scope, wave: Wave, *, dimension: str, category: str, data: WaveData | None = None
) -> list[dict]:
    """The unit table for respondents of one category only (e.g. tenure under a year), gated
    so that it cannot be subtracted from the unfiltered table or from itself one level up."""
    data = data or wave_data(wave)
    base, cells, hidden = _gated_categories(data, dimension)
    if category not in cells.columns:
        return []
    in_category = data.frame[dimension] == category
    pairs = subtree_rows(data.frame.loc[in_category, "unit_id"], data.tree)
    engagement = (
        pairs.join(data.scores[ENGAGEMENT], on="row").groupby("unit")[ENGAGEMENT].mean()
        if ENGAGEMENT in data.scores and not pairs.empty
        else pd.Series(dtype=float)
    )
    visible = set(scope.units().values_list("pk", flat=True))
    return [
        {
            "unit_id": int(unit_id),
            "unit": data.tree.at[unit_id, "name"],
            "depth": int(data.tree.at[unit_id, "depth"]),
            "suppressed": bool(hidden.at[unit_id, category]),
            "respondents": None
            if hidden.at[unit_id, category]
            else int(cells.at[unit_id, category]),
            "engagement": None
            if hidden.at[unit_id, category]
            else _float_or_none(engagement.get(unit_id)),
        }
        for unit_id in data.tree.index
        if unit_id in visible
    ]


def _within(unit_id: int, unit: Unit, tree: pd.DataFrame) -> bool:
    path = tree["path"].get(unit_id)
    return bool(path) and path.startswith(unit.path)


def _mean_or_none(values: pd.Series) -> float | None:
    values = values.dropna()
    return round(float(values.mean()), 2) if len(values) else None


# --------------------------------------------------------------------------- comments


def comments(
    scope: Scope, wave: Wave, *, unit: Unit | None = None, data: WaveData | None = None
) -> dict:
    """Open comments of a unit's subtree, only when the unit is shown by the gate.

    Comments carry no attribute of their writer and are ordered by a hash of their text,
    so neither their order nor their neighbours say who wrote them or when.
    """
    data = data or wave_data(wave)
    unit = unit or scope.root_unit
    if unit is None or not scope.can_see_unit(unit):
        raise Http404("No such unit.")
    counts = pd.DataFrame({"parent": data.tree["parent"]})
    counts["respondents"] = subtree_counts(data.frame["unit_id"], data.tree)
    gated = anonymity.suppress(counts, min_n=data.min_n, parent="parent")
    respondents = counts.at[unit.pk, "respondents"]
    shown = not bool(gated.at[unit.pk, "suppressed"]) and anonymity.comments_visible(
        int(respondents), data.min_n
    )
    texts: list[str] = []
    if shown:
        inside = data.frame["unit_id"].map(lambda u: _within(u, unit, data.tree))
        for question in data.text_items():
            column = data.frame.loc[inside, question.code].dropna()
            texts.extend(str(t) for t in column if str(t).strip())
        texts.sort(key=lambda t: hashlib.sha256(t.encode()).hexdigest())
    return {
        "unit_id": unit.pk,
        "unit": unit.name,
        "shown": shown,
        "comments": texts,
        "min_n": data.min_n,
    }


# --------------------------------------------------------------------------- response rates


def response_rates(scope: Scope, wave: Wave) -> list[dict]:
    """Invitations, responses and response rate per unit subtree, gated on responses."""
    tree = unit_tree(wave.organization)
    invited_units = pd.Series(
        list(Invitation.objects.filter(wave=wave).values_list("unit_id", flat=True)), dtype="int64"
    )
    model = CustomerResponse if wave.kind == Wave.Kind.CUSTOMER else Response
    responded_units = pd.Series(
        list(model.objects.filter(wave=wave).values_list("unit_id", flat=True)), dtype="int64"
    )
    table = pd.DataFrame({"parent": tree["parent"]})
    table["respondents"] = subtree_counts(responded_units, tree)
    table["invited"] = subtree_counts(invited_units, tree)
    table["rate"] = [
        100.0 * r / i if i else math.nan
        for r, i in zip(table["respondents"], table["invited"], strict=True)
    ]
    gated = anonymity.suppress(table, min_n=wave.organization.min_group_size, parent="parent")
    visible = set(scope.units().values_list("pk", flat=True))
    return [
        {
            "unit_id": int(unit_id),
            "unit": tree.at[unit_id, "name"],
            "depth": int(tree.at[unit_id, "depth"]),
            "suppressed": bool(gated.at[unit_id, "suppressed"]),
            "invited": _int_or_none(gated.at[unit_id, "invited"]),
            "respondents": _int_or_none(gated.at[unit_id, "respondents"]),
            "rate": _float_or_none(gated.at[unit_id, "rate"]),
        }
        for unit_id in tree.index
        if unit_id in visible
    ]


def invitation_summary(wave: Wave) -> dict:
    """Organisation-wide mailing counts (no per-person answer status)."""
    invitations = Invitation.objects.filter(wave=wave)
    return invitations.aggregate(
        invited=Count("pk"),
        emailed=Count("pk", filter=Q(sent_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminder_count__gt=0)),
    )


# --------------------------------------------------------------------------- headline


HEADLINE_KINDS = {"mean_ci": "0–100", "nps": "−100 to 100", "csat": "% satisfied"}


def headline(results: UnitResults) -> dict:
    """The viewer's top unit from gated results: respondents and each measure that carries
    a 95% CI (engagement index, eNPS/NPS, CSAT), withheld where the gate withholds it."""
    top = results.rows[0] if results.rows else None
    measures = [
        {
            "code": code,
            "name": name,
            "scale": HEADLINE_KINDS[results.kinds[code]],
            **top["scores"][code],
        }
        for code, name in results.scales
        if top and results.kinds.get(code) in HEADLINE_KINDS
    ]
    return {
        "unit": top["unit"] if top else None,
        "respondents": top["respondents"] if top else None,
        "suppressed": top["suppressed"] if top else True,
        "measures": measures,
        "min_n": results.min_n,
    }


# --------------------------------------------------------------------------- psychometrics


def psychometrics_report(wave: Wave, data: WaveData | None = None) -> dict:
    """Reliability of each multi-item scale over the whole wave (Cronbach's alpha,
    McDonald's omega, corrected item-total correlations), gated on complete responses.

    Reverse-keyed items are recoded first (`bank.reverse_key_items`). A scale whose alpha
    or omega is below 0.70 — the usual floor for group comparisons (Nunnally & Bernstein
    1994, *Psychometric Theory*, ch. 7) — is flagged for the instrument's owner.
    """
    data = data or wave_data(wave)
    items = [q.item for q in data.numeric_items() if q.item.type != "nps11"]
    recoded = reverse_key_items(data.frame[[i.code for i in items]], items)
    by_scale: dict[str, list[str]] = {}
    for item in items:
        by_scale.setdefault(item.scale, []).append(item.code)
    scales = []
    for scale, codes in by_scale.items():
        if len(codes) < 2:
            continue
        complete = recoded[codes].dropna()
        entry = {
            "scale": scale,
            "name": data.scale_names.get(scale, scale),
            "items": codes,
            "n": len(complete),
            "alpha": None,
            "omega": None,
            "item_total": [],
            "flagged": False,
            "withheld": None,
        }
        if not anonymity.is_reportable(len(complete), data.min_n):
            entry["n"] = None
            entry["withheld"] = f"fewer than {data.min_n} complete responses"
            scales.append(entry)
            continue
        entry.update(_reliability(complete))
        scales.append(entry)
    return {
        "wave_id": wave.pk,
        "wave": wave.name,
        "instrument": wave.instrument.name,
        "respondents": len(data.frame),
        "threshold": RELIABILITY_THRESHOLD,
        "min_n": data.min_n,
        "scales": scales,
        "flagged": [s["scale"] for s in scales if s["flagged"]],
    }


def _reliability(complete: pd.DataFrame) -> dict:
    """Alpha, omega (3+ items) and item-total statistics, or why they cannot be estimated."""
    if (complete.std(ddof=1) == 0).any():
        return {
            "withheld": "an item was answered the same way by everyone, so its scale's "
            "reliability cannot be estimated"
        }
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            alpha = psychometrics.cronbach_alpha(complete)
            omega = psychometrics.mcdonald_omega(complete) if complete.shape[1] >= 3 else None
            table = psychometrics.item_total(complete) if complete.shape[1] >= 3 else None
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"withheld": f"cannot be estimated: {exc}"}
    rows = (
        []
        if table is None
        else [
            {
                "item": code,
                "corrected_item_total": _float_or_none(r["corrected_item_total"]),
                "alpha_if_deleted": _float_or_none(r["alpha_if_deleted"]),
            }
            for code, r in table.iterrows()
        ]
    )
    values = [v for v in (alpha, omega) if v is not None and math.isfinite(v)]
    return {
        "alpha": round(alpha, 3) if math.isfinite(alpha) else None,
        "omega": round(omega, 3) if omega is not None and math.isfinite(omega) else None,
        "item_total": rows,
        "flagged": bool(values) and min(values) < RELIABILITY_THRESHOLD,
    }


def reliability_flags(instrument: Instrument) -> dict | None:
    """Scales of an instrument below the reliability threshold in its latest wave with answers."""
    latest = (
        Wave.objects.filter(instrument=instrument)
        .exclude(status=Wave.Status.DRAFT)
        .filter(
            Exists(Response.objects.filter(wave=OuterRef("pk")))
            | Exists(CustomerResponse.objects.filter(wave=OuterRef("pk")))
        )
        .order_by("-opens_at")
        .first()
    )
    if latest is None:
        return None
    report = psychometrics_report(latest)
    names = {s["scale"]: s["name"] for s in report["scales"]}
    return {"wave": latest, "flagged": [names[code] for code in report["flagged"]]}


def can_see_psychometrics(scope: Scope, wave: Wave) -> bool:
    return scope.has_role(Role.ADMIN, Role.HR_ANALYST) or wave.instrument.owner_id == scope.user.pk
