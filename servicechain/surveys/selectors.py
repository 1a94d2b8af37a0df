"""Reads of the surveys app. Every person-facing aggregate passes the anonymity gate.

Survey results are read from the wave's published snapshot (`results`: built once, when the
wave closes, by `services.results_ensure`): one gated set of cells that the results page,
the API and the insights dashboards all read, so a number is the same everywhere and never
moves between two readings. How the gate is applied (see docs/surveys.md, "Anonymity"):

* **One pattern for everyone.** Suppression is decided once, on the whole organisation's
  unit tree, and each viewer then sees the rows of their own scope. A manager's view and
  HR's view therefore never disagree about a cell, so nobody can subtract one view from
  another to uncover a group that one of them hid.
* **Each value on its own n.** A scale's result is gated on how many people answered that
  scale, and shows that n.
* **Breakdowns and filters** (tenure band, job family) are one unit × category table gated
  with `anonymity.suppress_tree_breakdown`.
* **Comments** only for units the published results show, never with any attribute of the
  person, in an order unrelated to when they were written.
* **Participation** (invitations and responses by unit) is live while a wave is open: it
  says how many answered, never what; the number who answered is gated like any result.
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
from servicechain.org.models import Unit

from . import results as pipeline
from .bank import reverse_key_items
from .models import (
    CustomerResponse,
    Instrument,
    Invitation,
    Response,
    UnitScore,
    Wave,
    WaveSnapshot,
)
from .questions import questions_of
from .results import (
    CSAT,
    DIMENSIONS,
    EFFORT,
    ENGAGEMENT,
    ENPS,
    MONTH,
    NPS,
    RESPONDENTS,
    TENURE_ORDER,
    subtree_counts,
    unit_tree,
    wave_data,
)

RELIABILITY_THRESHOLD = 0.70


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


# --------------------------------------------------------------------------- published results


@dataclass
class Results:
    """A wave's published results as a page may use them."""

    wave: Wave
    snapshot: WaveSnapshot | None

    @property
    def ready(self) -> bool:
        return self.snapshot is not None and self.snapshot.ready

    @property
    def preparing(self) -> bool:
        """Closed, and the results are being gated in the background."""
        return self.snapshot is not None and not self.snapshot.ready

    @property
    def awaiting_close(self) -> bool:
        """Still open: results appear when it closes, never before."""
        return self.wave.status != Wave.Status.CLOSED


def published_results(wave: Wave) -> Results:
    """The wave's published snapshot, or none yet (open wave, or not gated yet).

    The frozen unit tree is left in the database until something reads it (`tree` loads on
    first access): pages read cells, and decoding a 10,000-unit tree cost every page
    milliseconds per wave."""
    snapshot = WaveSnapshot.objects.filter(wave=wave).defer("tree").first()
    return Results(wave=wave, snapshot=snapshot)


def is_published(wave: Wave) -> bool:
    return WaveSnapshot.objects.filter(wave=wave, state=WaveSnapshot.State.READY).exists()


@dataclass
class Cell:
    """One gated value as shown: `value` None when withheld (and then `reason` says why)."""

    scale: str
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    se: float | None = None
    n: int | None = None
    reason: str = UnitScore.Reason.MIN_N
    suppressed: bool = True
    diff: float | None = None  # this cell minus a page's focus unit, where a page sets it

    def estimate(self) -> metrics.Estimate | None:
        if self.suppressed or self.value is None or self.se is None:
            return None
        return metrics.Estimate(self.value, self.lower, self.upper, self.n or 0, self.se)

    def as_dict(self) -> dict:
        shown = not self.suppressed
        return {
            "value": _rounded(self.value) if shown else None,
            "lower": _rounded(self.lower) if shown else None,
            "upper": _rounded(self.upper) if shown else None,
            "n": self.n if shown else None,
            "suppressed": self.suppressed,
            "reason": self.reason if self.suppressed else "",
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def cells(
    snapshot: WaveSnapshot | None, unit_ids, *, dimension: str = "", category: str = ""
) -> dict[tuple[int, str], Cell]:
    """Stored cells by (unit id, scale). A cell that is absent was never shown (no data)."""
    if snapshot is None or not snapshot.ready:
        return {}
    rows = UnitScore.objects.filter(
        snapshot=snapshot, dimension=dimension, category=category, unit_id__in=list(unit_ids)
    ).values_list("unit_id", "scale", "value", "lower", "upper", "se", "n", "suppressed", "reason")
    out = {}
    for unit_id, scale, value, lower, upper, se, n, suppressed, reason in rows:
        out[(unit_id, scale)] = Cell(
            scale=scale,
            value=None if suppressed else value,
            lower=lower,
            upper=upper,
            se=se,
            n=n,
            reason=reason,
            suppressed=suppressed,
        )
    return out


def cell_of(table: dict, unit_id: int, scale: str) -> Cell:
    """The stored cell, or a withheld one where nothing was stored (no responses at all)."""
    return table.get((unit_id, scale)) or Cell(scale=scale)


def withheld_text(cell: Cell, min_n: int) -> str:
    """Why a cell is withheld, in plain words that read after "Withheld: " ("" when shown)."""
    if not cell.suppressed:
        return ""
    if cell.reason == UnitScore.Reason.COMPLEMENTARY:
        return (
            f"{min_n} or more answered, but showing this would let someone work out a smaller "
            "group by subtraction (the gate withholds as few cells as it can, and among those "
            "the ones with the fewest answers)"
        )
    return f"fewer than {min_n} answered"


def cell_record(cell: Cell, prefix: str, min_n: int) -> dict:
    """A cell as CSV columns: value, 95% limits and n (empty when withheld), and why withheld."""
    shown = not cell.suppressed and cell.value is not None

    def rounded(value):
        return round(value, 1) if shown and value is not None else None

    return {
        prefix: rounded(cell.value),
        f"{prefix}_lower": rounded(cell.lower),
        f"{prefix}_upper": rounded(cell.upper),
        f"{prefix}_n": cell.n if shown else None,
        f"{prefix}_withheld": withheld_text(cell, min_n),
    }


def scale_kind(code: str) -> str:
    """How a scale reads: "nps" (−100 to 100), "csat" (% satisfied), "effort" (1–7 mean,
    lower is easier) or "score" (0–100)."""
    if code in (ENPS, NPS):
        return "nps"
    if code == CSAT:
        return "csat"
    if code == EFFORT:
        return "effort"
    return "score"


SCALE_UNITS = {
    "score": "0–100",
    "nps": "−100 to 100",
    "csat": "% satisfied",
    "effort": "1–7, lower is easier",
}


def respondents_of(results: Results, unit: Unit) -> int:
    """Respondents of a unit's subtree as published (0 when withheld or not published)."""
    cell = cells(results.snapshot, [unit.pk]).get((unit.pk, RESPONDENTS))
    return 0 if cell is None or cell.suppressed else int(cell.n or 0)


def shows_unit(results: Results, unit: Unit) -> bool:
    """Whether the published results show this unit (its respondents are not withheld)."""
    return respondents_of(results, unit) > 0


def latest_shown_wave(waves: list[Wave], unit: Unit | None) -> Wave | None:
    """The newest of `waves` (newest first) whose published results show `unit`; failing
    that the newest published one; None when nothing is published yet.

    Every page that opens on a default wave calls this, so they all agree, and a new small
    wave for another part of the organisation never becomes anyone else's default.
    """
    published = [w for w in waves if w.status == Wave.Status.CLOSED]
    if not published:
        return None
    snapshots = {
        s.wave_id: s
        for s in WaveSnapshot.objects.filter(
            wave__in=published, state=WaveSnapshot.State.READY
        ).only("pk", "wave_id")
    }
    if unit is not None and snapshots:
        shown = set(
            UnitScore.objects.filter(
                snapshot__in=list(snapshots.values()),
                unit=unit,
                dimension="",
                category="",
                scale=RESPONDENTS,
                suppressed=False,
            ).values_list("snapshot__wave_id", flat=True)
        )
        for wave in published:
            if wave.pk in shown:
                return wave
    return published[0]


# --------------------------------------------------------------------------- results by unit


@dataclass
class UnitResults:
    """Published results by unit, restricted to a viewer's scope (rows in tree order)."""

    results: Results
    rows: list[dict]
    scales: list[tuple[str, str]]  # (code, name) of the scale columns
    min_n: int
    respondents: int | None  # of the viewer's top unit, None when withheld
    kinds: dict[str, str] = field(default_factory=dict)  # scale -> scale_kind


def _scales(snapshot: WaveSnapshot) -> list[tuple[str, str]]:
    return [(code, name) for code, name in snapshot.scales]


def results_by_unit(scope: Scope, wave: Wave, results: Results | None = None) -> UnitResults:
    """Each scale per unit the viewer may see, from the published, gated cells."""
    results = results or published_results(wave)
    min_n = wave.organization.min_group_size
    if not results.ready:
        return UnitResults(results=results, rows=[], scales=[], min_n=min_n, respondents=None)
    snapshot = results.snapshot
    units = list(scope.units().filter(pk__in=[r[0] for r in snapshot.tree]).order_by("path"))
    table = cells(snapshot, [u.pk for u in units])
    scales = _scales(snapshot)
    rows = []
    for unit in units:
        respondents = cell_of(table, unit.pk, RESPONDENTS)
        rows.append(
            {
                "unit_id": unit.pk,
                "unit": unit.name,
                "depth": unit.depth,
                "parent_id": unit.parent_id,
                "respondents": None if respondents.suppressed else respondents.n,
                "suppressed": respondents.suppressed,
                "reason": withheld_text(respondents, snapshot.min_group_size),
                "scores": {code: cell_of(table, unit.pk, code).as_dict() for code, _ in scales},
            }
        )
    return UnitResults(
        results=results,
        rows=rows,
        scales=scales,
        min_n=snapshot.min_group_size,
        respondents=rows[0]["respondents"] if rows else None,
        kinds={code: scale_kind(code) for code, _ in scales},
    )


# --------------------------------------------------------------------------- breakdowns


def _categories(results: Results, dimension: str) -> list[str]:
    if dimension not in DIMENSIONS and dimension != MONTH:
        raise ValueError(f"Unknown breakdown {dimension!r}; use one of {', '.join(DIMENSIONS)}.")
    present = list(results.snapshot.categories.get(dimension, [])) if results.ready else []
    if dimension == "tenure_band":
        present.sort(key=lambda c: (TENURE_ORDER.index(c) if c in TENURE_ORDER else 99, c))
    return present


def breakdown(
    scope: Scope,
    wave: Wave,
    *,
    dimension: str,
    unit: Unit | None = None,
    results: Results | None = None,
) -> dict:
    """Engagement by category (tenure band or job family) within one unit the viewer sees:
    each category's respondents and engagement as published, engagement on its own n."""
    results = results or published_results(wave)
    unit = unit or scope.root_unit
    if unit is None or not scope.can_see_unit(unit):
        raise Http404("No such unit.")
    min_n = results.snapshot.min_group_size if results.ready else wave.organization.min_group_size
    total = cell_of(cells(results.snapshot, [unit.pk]), unit.pk, RESPONDENTS)
    rows = []
    for category in _categories(results, dimension):
        table = cells(results.snapshot, [unit.pk], dimension=dimension, category=category)
        if not table:
            continue  # nobody of this category answered in this unit
        respondents = cell_of(table, unit.pk, RESPONDENTS)
        engagement = cell_of(table, unit.pk, ENGAGEMENT)
        rows.append(
            {
                "category": category,
                "suppressed": respondents.suppressed,
                "reason": withheld_text(respondents, min_n),
                "respondents": None if respondents.suppressed else respondents.n,
                "engagement": None if engagement.suppressed else _rounded(engagement.value),
                "engagement_n": None if engagement.suppressed else engagement.n,
            }
        )
    return {
        "dimension": dimension,
        "label": DIMENSIONS.get(dimension, dimension),
        "unit_id": unit.pk,
        "unit": unit.name,
        "respondents": None if total.suppressed else total.n,
        "suppressed": total.suppressed,
        "rows": rows,
        "min_n": min_n,
        "published": results.ready,
    }


def filtered_results(
    scope: Scope, wave: Wave, *, dimension: str, category: str, results: Results | None = None
) -> list[dict]:
    """The unit table for respondents of one category only (e.g. tenure under a year), as
    published: gated so that it cannot be subtracted from the unfiltered table or from
    itself one level up."""
    results = results or published_results(wave)
    if category not in _categories(results, dimension):
        return []
    units = list(scope.units().order_by("path"))
    table = cells(results.snapshot, [u.pk for u in units], dimension=dimension, category=category)
    min_n = results.snapshot.min_group_size
    rows = []
    for unit in units:
        respondents = cell_of(table, unit.pk, RESPONDENTS)
        engagement = cell_of(table, unit.pk, ENGAGEMENT)
        rows.append(
            {
                "unit_id": unit.pk,
                "unit": unit.name,
                "depth": unit.depth,
                "suppressed": respondents.suppressed,
                "reason": withheld_text(respondents, min_n),
                "respondents": None if respondents.suppressed else respondents.n,
                "engagement": None if engagement.suppressed else _rounded(engagement.value),
                "engagement_n": None if engagement.suppressed else engagement.n,
            }
        )
    return rows


# --------------------------------------------------------------------------- comments


def comment_texts(results: Results, unit: Unit) -> list[str] | None:
    """Open comments of a unit's subtree when the published results show that unit, else None.

    Comments carry no attribute of their writer and are ordered by a hash of their text,
    so neither their order nor their neighbours say who wrote them or when. They exist only
    for published (closed) waves, like every other result.
    """
    if not results.ready or not shows_unit(results, unit):
        return None
    snapshot = results.snapshot
    inside = {
        uid for uid, _parent, path in snapshot.tree if path.startswith(_frozen_path(snapshot, unit))
    }
    model = CustomerResponse if results.wave.kind == Wave.Kind.CUSTOMER else Response
    codes = [q.code for q in questions_of_wave(results.wave) if q.item.type == "text"]
    texts: list[str] = []
    if codes:
        for answers in model.objects.filter(wave=results.wave, unit_id__in=inside).values_list(
            "answers", flat=True
        ):
            texts.extend(str(answers[c]) for c in codes if str(answers.get(c) or "").strip())
    texts.sort(key=lambda t: hashlib.sha256(t.encode()).hexdigest())
    return texts


def _frozen_path(snapshot: WaveSnapshot, unit: Unit) -> str:
    for uid, _parent, path in snapshot.tree:
        if uid == unit.pk:
            return path
    return unit.path


def questions_of_wave(wave: Wave):
    return questions_of(wave.instrument)


def comments(
    scope: Scope, wave: Wave, *, unit: Unit | None = None, results: Results | None = None
) -> dict:
    """Open comments of a unit's subtree, only when the published results show the unit."""
    results = results or published_results(wave)
    unit = unit or scope.root_unit
    if unit is None or not scope.can_see_unit(unit):
        raise Http404("No such unit.")
    texts = comment_texts(results, unit)
    return {
        "unit_id": unit.pk,
        "unit": unit.name,
        "shown": texts is not None,
        "published": results.ready,
        "comments": texts or [],
        "min_n": results.snapshot.min_group_size
        if results.ready
        else wave.organization.min_group_size,
    }


# --------------------------------------------------------------------------- response rates


def response_rates(scope: Scope, wave: Wave) -> list[dict]:
    """Invitations, responses and response rate per unit subtree of the wave's audience.

    Who was invited is no secret (it follows from employee records), so invitations are
    always shown; how many answered is gated like any result (a unit with 3 answers shows
    neither the 3 nor the rate). This is live while a wave is open: it says how many
    answered, never what they answered.
    """
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
    invited = subtree_counts(invited_units, tree)
    table["rate"] = [
        100.0 * r / i if i else math.nan for r, i in zip(table["respondents"], invited, strict=True)
    ]
    min_n = wave.organization.min_group_size
    gated = anonymity.suppress(table, min_n=min_n, parent="parent")
    visible = set(scope.units().values_list("pk", flat=True))
    return [
        {
            "unit_id": int(unit_id),
            "unit": tree.at[unit_id, "name"],
            "depth": int(tree.at[unit_id, "depth"]),
            "suppressed": bool(gated.at[unit_id, "suppressed"]),
            "reason": _rate_reason(table.at[unit_id, "respondents"], min_n)
            if gated.at[unit_id, "suppressed"]
            else "",
            "invited": int(invited.at[unit_id]),
            "respondents": _int_or_none(gated.at[unit_id, "respondents"]),
            "rate": _float_or_none(gated.at[unit_id, "rate"]),
        }
        for unit_id in tree.index
        if unit_id in visible and invited.at[unit_id] > 0
    ]


def _rate_reason(respondents: int, min_n: int) -> str:
    if respondents < min_n:
        return f"fewer than {min_n} answered so far"
    return "withheld so that a smaller group elsewhere cannot be worked out"


def _int_or_none(value) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _float_or_none(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 2)


def invitation_summary(wave: Wave) -> dict:
    """Organisation-wide mailing counts (no per-person answer status)."""
    invitations = Invitation.objects.filter(wave=wave)
    return invitations.aggregate(
        invited=Count("pk"),
        emailed=Count("pk", filter=Q(sent_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminder_count__gt=0)),
    )


# --------------------------------------------------------------------------- headline


HEADLINE_KINDS = ("score", "nps", "csat")


def headline(by_unit: UnitResults) -> dict:
    """The viewer's top unit from published results: respondents and the engagement index,
    eNPS/NPS and CSAT (each with its 95% CI and its own n), withheld where the gate withholds
    them."""
    top = by_unit.rows[0] if by_unit.rows else None
    wanted = [c for c, _ in by_unit.scales if c in (ENGAGEMENT, ENPS, NPS, CSAT)]
    measures = [
        {
            "code": code,
            "name": name,
            "scale": SCALE_UNITS[by_unit.kinds[code]],
            **top["scores"][code],
        }
        for code, name in by_unit.scales
        if top and code in wanted
    ]
    return {
        "unit": top["unit"] if top else None,
        "respondents": top["respondents"] if top else None,
        "suppressed": top["suppressed"] if top else True,
        "measures": measures,
        "min_n": by_unit.min_n,
    }


# --------------------------------------------------------------------------- psychometrics


def psychometrics_report(wave: Wave, data: pipeline.WaveData | None = None) -> dict:
    """Reliability of each multi-item scale over the whole wave (Cronbach's alpha,
    McDonald's omega, corrected item-total correlations), gated on complete responses.

    Like every result, only for a wave whose results are published (closed): reliability
    read before and after one more answer would say something about that answer.

    Reverse-keyed items are recoded first (`bank.reverse_key_items`). A scale whose alpha
    or omega is below 0.70 — the usual floor for group comparisons (Nunnally & Bernstein
    1994, *Psychometric Theory*, ch. 7) — is flagged for the instrument's owner.
    """
    if not is_published(wave):
        return {
            "wave_id": wave.pk,
            "wave": wave.name,
            "instrument": wave.instrument.name,
            "respondents": None,
            "threshold": RELIABILITY_THRESHOLD,
            "min_n": wave.organization.min_group_size,
            "scales": [],
            "flagged": [],
            "published": False,
        }
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
        "published": True,
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
        Wave.objects.filter(instrument=instrument, results_snapshot__state=WaveSnapshot.State.READY)
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
