"""The analyses behind the driver-impact and linkage reports (run as background tasks).

Statistics come from `servicechain.analytics` (`drivers.KeyDriverAnalysis`,
`linkage.ServiceProfitChain`); this module only gathers gated inputs and shapes results.

Driver impact
    Key-driver analysis (LMG shares of R², bootstrap intervals resampling units when the
    responses come from several) of the engagement index on the employee drivers, over the
    respondents of a unit's subtree in one wave; and of the customer satisfaction index on
    the service drivers, over the customer responses of the same unit in the customer wave
    of the same period. Run only for a unit the anonymity gate shows, and with at least
    `MIN_DRIVER_RESPONSES` responses; importances are shown only when the drivers can be
    told apart (`RESPONSES_PER_DRIVER` responses per driver and an R² the F test tells from
    noise).

Linkage
    The unit × month panel of docs/insights.md ("The linkage panel") fitted with the
    service-profit chain model, corrected for the sampling error of engagement, customer
    satisfaction and repeat rates (their standard errors ride along in the panel), with a
    power statement for every link the data cannot yet tell from no link.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from django.db.models import Q

from servicechain.analytics.association import within_slope
from servicechain.analytics.drivers import KeyDriverAnalysis
from servicechain.analytics.linkage import (
    INDIRECT,
    PATHS,
    ServiceProfitChain,
    business_panel,
    survey_mean_se,
)
from servicechain.analytics.psychometrics import cronbach_alpha
from servicechain.loyalty.selectors import customer_month_spend
from servicechain.org.models import Employee, Unit
from servicechain.surveys import results as pipeline
from servicechain.surveys.bank import load_bank, reverse_key_items
from servicechain.surveys.models import UnitScore, Wave
from servicechain.surveys.results import CSAT_INDEX, ENGAGEMENT, MONTH, RESPONDENTS

MIN_DRIVER_RESPONSES = 20  # and at least two responses per model parameter (see below)
#: Importances and quadrants are shown only with this many complete responses per driver
#: and an R² the F test tells from noise (p < 0.05); otherwise the page says plainly that
#: the drivers cannot be told apart yet.
RESPONSES_PER_DRIVER = 10
#: The bootstrap resamples units (the cluster bootstrap) when the responses come from at
#: least this many units; with fewer, resampling so few groups says little, so people.
MIN_UNITS_TO_RESAMPLE = 10
#: The panel columns the chain is fitted on: each survey or sample measure with its
#: standard error, so the fit corrects the attenuation their sampling error causes.
CHAIN_COLUMNS = [
    "unit",
    "period",
    "ex",
    "ex_se",
    "cx",
    "cx_se",
    "repeat_rate",
    "repeat_rate_se",
    "revenue_growth",
]
SENSITIVITY_POINTS = 5  # "a 5-point rise in engagement" (the Sears chain's unit of change)
PATH_LABELS = {
    PATHS[0][0]: "Engagement → customer satisfaction the month after",
    PATHS[1][0]: "Customer satisfaction → repeat rate",
    PATHS[2][0]: "Repeat rate → revenue growth",
    INDIRECT: "Engagement → revenue growth (through the chain)",
}


# ----------------------------------------------------------------------------- driver impact


def customer_wave_for(wave: Wave) -> Wave | None:
    """The customer wave of the same period: the latest one opened by the wave's close whose
    results are published (closed)."""
    return (
        Wave.objects.filter(
            organization_id=wave.organization_id,
            kind=Wave.Kind.CUSTOMER,
            opens_at__lte=wave.closes_at,
            status=Wave.Status.CLOSED,
        )
        .order_by("-opens_at", "-pk")
        .first()
    )


def _subtree_rows(table: pipeline.ResponseTable, unit: Unit) -> np.ndarray:
    paths = table.tree["path"]
    root = paths.get(unit.pk, unit.path)  # the unit's path in the tree the wave was published with
    inside = set(paths.index[paths.str.startswith(root)])
    return table.unit_ids.isin(inside).to_numpy()


def needed_responses(drivers: int) -> int:
    """Responses a driver analysis needs: 20, and two per model parameter (drivers + 1)."""
    return max(MIN_DRIVER_RESPONSES, 2 * (drivers + 1))


def _gate_message(wave: Wave, unit: Unit, drivers: int) -> str | None:
    """Why the analysis may not run for this unit (None when it may)."""
    from .selectors import cells, wave_results

    results = wave_results(wave)
    respondents = cells(results.snapshot, [unit.pk]).get((unit.pk, RESPONDENTS))
    if respondents is None or respondents.suppressed:
        return (
            f"{unit.name}'s results are withheld in {wave.name} (fewer than "
            f"{wave.organization.min_group_size} responses, or they would reveal such a group)."
        )
    needed = needed_responses(drivers)
    if respondents.n < needed:
        return (
            f"{unit.name} has {respondents.n} responses in {wave.name}; an analysis of "
            f"{drivers} drivers needs at least {needed} to be worth acting on."
        )
    return None


def _silence(kda: KeyDriverAnalysis, outcome_name: str, drivers: int) -> str | None:
    """Why the drivers cannot be told apart yet (None when they can): fewer than
    `RESPONSES_PER_DRIVER` responses per driver, or an R² that pure noise would reach as
    often as 1 time in 20 (its F test)."""
    needed = RESPONSES_PER_DRIVER * drivers
    if kda.n_obs_ < needed:
        return (
            f"There are not yet enough responses to tell drivers apart: {kda.n_obs_} complete "
            f"responses for {drivers} drivers, and that takes at least {needed} "
            f"({RESPONSES_PER_DRIVER} per driver)."
        )
    if not kda.r2_pvalue_ < 0.05:
        return (
            f"There are not yet enough responses to tell drivers apart: with {kda.n_obs_} "
            f"responses the drivers together go with no more of the differences in "
            f"{outcome_name.lower()} than chance would (adjusted R² {kda.adjusted_r2_:.0%}, "
            f"p = {kda.r2_pvalue_:.2f})."
        )
    return None


def _kda(
    table: pipeline.ResponseTable,
    unit: Unit,
    outcome: str,
    drivers: list[str],
    replicates: int,
    scores: dict[str, UnitScore | None],
) -> dict:
    rows = _subtree_rows(table, unit)
    frame = table.values.loc[rows, [outcome, *drivers]]
    # Respondents of one unit share a manager and a climate: resample units, not people,
    # when there are enough units to resample.
    units = table.unit_ids[rows]
    complete = frame.notna().all(axis=1)
    clustered = units[complete].nunique() >= MIN_UNITS_TO_RESAMPLE
    # Scores, not raw answers: CSAT's estimator reads raw answers, the index its 0-100 score.
    kda = KeyDriverAnalysis(
        method="lmg",
        n_bootstrap=replicates,
        random_state=0,
        cluster=units if clustered else None,
    )
    kda.fit(frame[drivers], frame[outcome])
    names = table.scale_names
    silence = _silence(kda, names.get(outcome, outcome), len(drivers))
    summary = kda.summary()
    out = []
    for code, row in summary.iterrows():
        cell = scores.get(code)
        out.append(
            {
                "code": code,
                "name": names.get(code, code),
                "importance": 100 * float(row["importance"]),
                "lower": 100 * float(row["lower"]) if "lower" in row else None,
                "upper": 100 * float(row["upper"]) if "upper" in row else None,
                "share_of_r2": float(row["share_of_r2"]),
                "rank": int(row["rank"]),
                "score": None if cell is None or cell.suppressed else cell.value,
            }
        )
    return {
        "outcome": outcome,
        "outcome_name": names.get(outcome, outcome),
        "r2": float(kda.r2_),
        "adjusted_r2": float(kda.adjusted_r2_),
        "r2_pvalue": float(kda.r2_pvalue_),
        "n": int(kda.n_obs_),
        "replicates": replicates,
        "resampled": "units" if clustered else "people",
        "distinguishable": silence is None,
        "silence": silence,
        "drivers": out,
        "withheld": None,
    }


def _frozen_tree(results) -> pd.DataFrame:
    """The unit tree the wave's results were published with (subtrees as then)."""
    return pipeline.tree_frame(results.snapshot.tree, results.wave.organization)


def _unit_scores(wave: Wave, unit: Unit) -> dict:
    from .selectors import cells, wave_results

    table = cells(wave_results(wave).snapshot, [unit.pk])
    return {scale: cell for (unit_id, scale), cell in table.items()}


def driver_impact(*, wave: Wave, unit: Unit, replicates: int, progress) -> dict:
    """Both halves of the driver-impact report for a unit and an employee wave."""
    from .selectors import wave_results

    bank = load_bank()
    result = {"wave": wave.name, "unit": unit.name}

    progress(5, "Reading the employee responses")
    results = wave_results(wave)
    scales = dict(results.snapshot.scales) if results.ready else {}
    drivers = [d for d in bank.drivers("employee") if d in scales]
    message = _gate_message(wave, unit, len(drivers))
    if message:
        result["employee"] = {"withheld": message}
    else:
        table = pipeline.employee_table(wave, _frozen_tree(results))
        progress(20, f"Key-driver analysis of engagement ({replicates} bootstrap samples)")
        result["employee"] = _kda(
            table, unit, ENGAGEMENT, drivers, replicates, _unit_scores(wave, unit)
        )

    progress(55, "Reading the customer responses")
    customer_wave = customer_wave_for(wave)
    if customer_wave is None:
        result["customer"] = {"withheld": "No customer survey has run in this period yet."}
        return result
    result["customer_wave"] = customer_wave.name
    results = wave_results(customer_wave)
    scales = dict(results.snapshot.scales) if results.ready else {}
    drivers = [d for d in bank.drivers("customer") if d in scales]
    message = _gate_message(customer_wave, unit, len(drivers))
    if message:
        result["customer"] = {"withheld": message}
        return result
    table = pipeline.customer_table(customer_wave, _frozen_tree(results))
    progress(70, f"Key-driver analysis of customer satisfaction ({replicates} bootstrap samples)")
    result["customer"] = _kda(
        table, unit, CSAT_INDEX, drivers, replicates, _unit_scores(customer_wave, unit)
    )
    return result


# ----------------------------------------------------------------------------- linkage


def month_index(label: str) -> int:
    """'2026-03' -> a month number that grows by one per calendar month."""
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _engagement_reliability(wave: Wave) -> float | None:
    """Cronbach's alpha of the engagement scale over the wave's answers (None when it cannot
    be estimated: a one-item scale, too few complete answers, an item nobody varied on)."""
    data = pipeline.wave_data(wave)
    items = [q.item for q in data.numeric_items() if q.item.scale == ENGAGEMENT]
    if len(items) < 2:
        return None
    complete = reverse_key_items(data.frame[[i.code for i in items]], items).dropna()
    try:
        alpha = cronbach_alpha(complete)
    except ValueError:
        return None
    return alpha if 0 <= alpha <= 1 else None


def _headcounts(wave: Wave, tree: pd.DataFrame) -> pd.Series:
    """People employed in each unit's subtree on the day the wave opened."""
    day = wave.opens_at.date()
    units = Employee.objects.filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=day),
        organization_id=wave.organization_id,
        hire_date__lte=day,
    ).values_list("unit_id", flat=True)
    return pipeline.subtree_counts(pd.Series(list(units), dtype="int64"), tree)


def _ex_by_unit_month(organization) -> pd.DataFrame:
    """Engagement index of every unit the gate shows, in the month each wave opened, with
    ``ex_se``: the cell's standard error as a measure of the unit's staff's true engagement
    (`linkage.survey_mean_se`: the unit's headcount when the wave opened and the engagement
    scale's alpha in the wave; without a headcount the cell is taken as a census, which
    corrects least)."""
    from .selectors import wave_results

    frames = []
    waves = Wave.objects.filter(organization=organization).exclude(kind=Wave.Kind.CUSTOMER)
    for wave in waves.exclude(status=Wave.Status.DRAFT).order_by("opens_at"):
        results = wave_results(wave)
        if not results.ready:
            continue
        snapshot = results.snapshot
        rows = UnitScore.objects.filter(
            snapshot=snapshot, dimension="", scale=ENGAGEMENT, suppressed=False
        ).values_list("unit_id", "value", "se", "n")
        frame = pd.DataFrame(list(rows), columns=["unit", "ex", "ex_se_published", "ex_n"])
        if frame.empty:  # a wave without the engagement scale (e.g. the leaver survey)
            continue
        heads = _headcounts(wave, _frozen_tree(results))
        frame["headcount"] = frame["unit"].map(heads).astype("float64")
        population = frame["headcount"].where(frame["headcount"] > 0, frame["ex_n"])
        frame["ex_se"] = survey_mean_se(
            frame["ex_se_published"].astype("float64"),
            frame["ex_n"],
            population,
            _engagement_reliability(wave),
        )
        frame["period"] = month_index(wave.opens_at.strftime("%Y-%m"))
        frames.append(frame)
    columns = ["unit", "period", "ex", "ex_se", "ex_n", "ex_se_published", "headcount"]
    if not frames:
        return pd.DataFrame(columns=columns)
    # A later wave in the same month replaces an earlier one; a cell of one answer has no
    # standard error and cannot be corrected, so it is left out.
    frame = pd.concat(frames).dropna(subset=["ex", "ex_se"])
    return frame.drop_duplicates(["unit", "period"], keep="last")[columns]


def _cx_by_unit_month(organization) -> pd.DataFrame:
    """Customer satisfaction index (0-100) of every unit-month the gate shows."""
    from .selectors import wave_results

    frames = []
    waves = Wave.objects.filter(organization=organization, kind=Wave.Kind.CUSTOMER)
    for wave in waves.exclude(status=Wave.Status.DRAFT).order_by("opens_at"):
        results = wave_results(wave)
        if not results.ready:
            continue
        snapshot = results.snapshot
        rows = UnitScore.objects.filter(
            snapshot=snapshot, dimension=MONTH, scale=CSAT_INDEX, suppressed=False
        ).values_list("unit_id", "category", "value", "se", "n")
        frames.append(pd.DataFrame(list(rows), columns=["unit", "month", "cx", "cx_se", "cx_n"]))
    if not frames:
        return pd.DataFrame(columns=["unit", "period", "cx", "cx_se", "cx_n"])
    frame = pd.concat(frames).dropna(subset=["cx", "cx_se"])
    frame["period"] = frame["month"].map(month_index)
    # A month split across two customer waves keeps the part with more responses.
    frame = frame.sort_values("cx_n").drop_duplicates(["unit", "period"], keep="last")
    return frame[["unit", "period", "cx", "cx_se", "cx_n"]]


def _business_by_unit_month(organization) -> pd.DataFrame:
    """Repeat rate (with its binomial standard error) and annualised revenue growth per
    unit-month (docs/insights.md; `linkage.business_panel`).

    A customer belongs to the unit of the employee who owns the account. ``revenue`` is the
    sum of that unit's customers' transactions in the month; ``repeat_rate`` the share of
    the customers who bought in the previous month who bought again this month;
    ``revenue_growth`` the month-on-month change annualised, ``100·((R_t/R_{t−1})¹² − 1)``.
    """
    # The purchases frame comes from loyalty, the one home of repeat business.
    return business_panel(customer_month_spend(organization))


def _recognition_by_unit_month(organization) -> pd.DataFrame:
    """Optional panel columns from the recognition app (docs/recognition.md): kudos received
    per head (``recognition``) and, in the month each employee wave opened, the survey's
    recognition driver score of every unit the gate shows (``recognition_score``)."""
    from django.apps import apps

    from .selectors import wave_results

    columns = ["unit", "period", "recognition", "recognition_score"]
    if not apps.is_installed("servicechain.recognition"):
        return pd.DataFrame(columns=columns)
    from servicechain.recognition.selectors import recognition_per_head

    per_head = recognition_per_head(organization)[["unit", "period", "recognition"]]
    frames = []
    waves = Wave.objects.filter(organization=organization).exclude(kind=Wave.Kind.CUSTOMER)
    for wave in waves.exclude(status=Wave.Status.DRAFT).order_by("opens_at"):
        results = wave_results(wave)
        if not results.ready:
            continue
        rows = UnitScore.objects.filter(
            snapshot=results.snapshot, dimension="", scale="recognition", suppressed=False
        ).values_list("unit_id", "value")
        frame = pd.DataFrame(list(rows), columns=["unit", "recognition_score"])
        if len(frame):
            frames.append(frame.assign(period=month_index(wave.opens_at.strftime("%Y-%m"))))
    scores = (
        pd.concat(frames).drop_duplicates(["unit", "period"], keep="last")
        if frames
        else pd.DataFrame(columns=["unit", "period", "recognition_score"])
    )
    return per_head.merge(scores, on=["unit", "period"], how="outer")[columns]


def _recognition_links(panel: pd.DataFrame) -> list[dict]:
    """Recognition received per head (its mean over a survey's month and the two before)
    against the unit's engagement index and its recognition driver score, within units."""
    if "recognition" not in panel or panel["recognition"].isna().all():
        return []
    frame = panel.sort_values(["unit", "period"]).copy()
    frame["recognition_3m"] = frame.groupby("unit")["recognition"].transform(
        lambda s: s.rolling(3, min_periods=1).mean()
    )
    links = []
    for outcome, label in (
        ("ex", "Recognition received → engagement index"),
        ("recognition_score", "Recognition received → the survey's recognition score"),
    ):
        try:
            fit = within_slope(frame, x="recognition_3m", y=outcome)
        except ValueError as exc:
            links.append({"path": f"recognition→{outcome}", "label": label, "withheld": str(exc)})
            continue
        links.append({"path": f"recognition→{outcome}", "label": label, **fit})
    return links


def linkage_panel(organization) -> pd.DataFrame:
    """The unit × month panel: gated EX and CX, repeat rate and revenue growth; recognition
    per head and the survey's recognition score ride along (not part of the chain's fit)."""
    business = _business_by_unit_month(organization)
    panel = business.merge(_cx_by_unit_month(organization), on=["unit", "period"], how="left")
    panel = panel.merge(_ex_by_unit_month(organization), on=["unit", "period"], how="left")
    recognition = _recognition_by_unit_month(organization)
    panel = panel.merge(recognition, on=["unit", "period"], how="left")
    names = dict(Unit.objects.filter(organization=organization).values_list("pk", "name"))
    panel["unit_name"] = panel["unit"].map(names)
    panel["month"] = panel["period"].map(month_label)
    panel = panel.sort_values(["unit", "period"]).reset_index(drop=True)
    for column in ("unit", "period"):
        panel[column] = panel[column].astype(int)
    return panel[
        [
            "unit",
            "unit_name",
            "period",
            "month",
            "ex",
            "ex_se",
            "ex_n",
            "cx",
            "cx_se",
            "cx_n",
            "repeat_rate",
            "repeat_rate_se",
            "revenue_growth",
            "revenue",
            "recognition",
            "recognition_score",
        ]
    ]


def _pairs(panel: pd.DataFrame) -> pd.DataFrame:
    """EX of a wave month beside the same unit's CX the month after (the scatter)."""
    ex = panel.dropna(subset=["ex"])[["unit", "unit_name", "period", "month", "ex"]]
    cx = panel.dropna(subset=["cx"])[["unit", "period", "cx"]]
    cx = cx.assign(period=cx["period"] - 1)
    return ex.merge(cx, on=["unit", "period"], how="inner")


def _reading(effects: pd.DataFrame) -> list[str]:
    """The effects in plain words, each with its interval."""
    by_path = effects.set_index("path")
    (ex_cx, _, _), (cx_rep, _, _), (rep_rev, _, _) = PATHS
    k = SENSITIVITY_POINTS

    def interval(path: str, scale: float, digits: int) -> str:
        row = by_path.loc[path]
        return f"95% CI {scale * row['lower']:.{digits}f} to {scale * row['upper']:.{digits}f}"

    def supported(path: str) -> bool:
        row = by_path.loc[path]
        return row["lower"] > 0 or row["upper"] < 0

    a = by_path.loc[ex_cx, "estimate"]
    b = by_path.loc[cx_rep, "estimate"]
    c = by_path.loc[rep_rev, "estimate"]
    indirect = by_path.loc[INDIRECT, "estimate"]
    lines = [
        f"A {k}-point rise in a unit's engagement index goes with a {k * a:+.1f}-point change in "
        f"its customer satisfaction index the following month ({interval(ex_cx, k, 1)}).",
        f"Each point of customer satisfaction goes with a {100 * b:+.2f} percentage-point change "
        f"in the share of customers who buy again ({interval(cx_rep, 100, 2)}), and each "
        f"percentage point of repeat business with {c / 100:+.2f} points of annualised revenue "
        f"growth ({interval(rep_rev, 0.01, 2)}).",
        f"Along the whole chain, a {k}-point rise in engagement goes with {k * indirect:+.2f} "
        f"percentage points of annualised revenue growth ({interval(INDIRECT, k, 2)}).",
    ]
    weak = [path for path in (ex_cx, cx_rep, rep_rev, INDIRECT) if not supported(path)]
    if weak:
        lines.append(
            "The interval of " + ", ".join(weak) + " includes zero: the data cannot tell that "
            "link from no link yet."
        )
    lines.append(
        "Engagement, customer satisfaction and repeat rates are measured on samples (survey "
        "answers, the customers who bought), so their month-to-month changes are partly "
        "chance; the estimates are corrected for that chance part, which would otherwise "
        "shrink every link towards zero."
    )
    lines.append(
        "These are associations within units over time (unit and month fixed effects): stable "
        "differences between units and whatever every unit shared in a month (season, "
        "promotions) are removed, but they are not proof that one causes the next."
    )
    return lines


#: How an effect of each path reads in a power statement: (scale, unit of change, digits).
POWER_WORDING = {
    PATHS[0][0]: (
        SENSITIVITY_POINTS,
        f"points of customer satisfaction per {SENSITIVITY_POINTS} points of engagement",
        1,
    ),
    PATHS[1][0]: (100, "percentage points of repeat rate per point of satisfaction", 2),
    PATHS[2][0]: (0.01, "points of revenue growth per percentage point of repeat rate", 2),
}


def _power(chain: ServiceProfitChain) -> list[dict]:
    """For each path whose interval includes zero: the unit-months needed to detect the
    largest effect the interval still allows (80 % power, two-sided 5 %)."""
    out = []
    for row in chain.effects_.itertuples():
        if row.path not in POWER_WORDING or row.lower > 0 or row.upper < 0:
            continue
        effect = row.upper if abs(row.upper) >= abs(row.lower) else row.lower
        needed = chain.unit_periods_needed(row.path, effect=effect, power=0.8)
        now = int(chain.n_obs_[row.path])
        scale, unit, digits = POWER_WORDING[row.path]
        size = f"{scale * effect:+.{digits}f} {unit}"
        if needed > now:
            verdict = (
                f"Detecting an effect that size 8 times in 10 would take about {needed:,} linked "
                f"unit-months; the report has {now:,}."
            )
        else:
            verdict = (
                f"About {needed:,} linked unit-months detect an effect that size 8 times in 10 "
                f"and the report has {now:,}, so the link is more likely smaller, or absent."
            )
        out.append(
            {
                "path": row.path,
                "effect": float(effect),
                "needed": int(needed),
                "now": now,
                "text": (
                    f"{PATH_LABELS[row.path]}: an effect as large as {size} is still "
                    f"compatible with the data. {verdict} This is a planning figure, not a "
                    "promise: it assumes more unit-months like the present ones."
                ),
            }
        )
    return out


def linkage(*, organization, replicates: int, progress) -> dict:
    """Build the panel and fit the service-profit chain."""
    progress(5, "Reading engagement, customer satisfaction and purchases")
    panel = linkage_panel(organization)
    pairs = _pairs(panel)
    result = {
        "units": int(panel["unit"].nunique()) if len(panel) else 0,
        "months": int(panel["period"].nunique()) if len(panel) else 0,
        "first_month": panel["month"].min() if len(panel) else None,
        "last_month": panel["month"].max() if len(panel) else None,
        "pairs": _records(pairs),
        "panel": _records(panel),
        "effects": [],
        "reading": [],
        "withheld": None,
        "recognition": _recognition_links(panel),
    }
    progress(40, f"Fitting the service-profit chain ({replicates} bootstrap samples)")
    try:
        chain = ServiceProfitChain(lags=1, n_bootstrap=replicates, random_state=0).fit(
            panel[CHAIN_COLUMNS]
        )
    except ValueError as exc:
        result["withheld"] = f"Not enough linked data yet: {exc}"
        return result
    effects = chain.effects_
    result["effects"] = [
        {"label": PATH_LABELS.get(row["path"], row["path"]), **row} for row in _records(effects)
    ]
    result["n_obs"] = {k: int(v) for k, v in chain.n_obs_.items()}
    result["reliability"] = {k: float(v) for k, v in chain.reliability_.items()}
    result["replicates"] = replicates
    result["reading"] = _reading(effects)
    result["power"] = _power(chain)
    slope = float(effects.set_index("path").loc[PATHS[0][0], "estimate"])
    if len(pairs):
        result["fit"] = {
            "slope": slope,
            "ex_mean": float(pairs["ex"].mean()),
            "cx_mean": float(pairs["cx"].mean()),
            "ex_min": float(pairs["ex"].min()),
            "ex_max": float(pairs["ex"].max()),
        }
    return result


def _records(frame: pd.DataFrame) -> list[dict]:
    def clean(value):
        if isinstance(value, float | np.floating):
            return None if math.isnan(value) else float(value)
        if isinstance(value, np.integer):
            return int(value)
        return value

    return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict("records")]
