"""Validation of the retention models against the simulator's ground truth (20 seeds each).

1. The discrete-time hazard model (`attrition.DiscreteTimeHazard`) on the simulator's own
   person-months — who was in post each month, their true engagement that month, whether
   they were in their first year — recovers the true monthly hazard: its intercept, the
   engagement effect per 10 points and the first-year step, each covered by the 95 %
   interval in at least 90 % of 20 `medium` organisations.
2. Flight risk as the app computes it (`insights.retention.forecast`: units' survey
   engagement, tenure band, job family, manager role, fitted on the first year and run
   forward from then): the 95 % prediction interval of each unit's leavers in the second
   year covers what the simulator made happen in at least 90 % of units over 20
   organisations, and the organisation's total is within 20 % of what happened.

Run with ``pytest -m validation -s`` (the figures are printed; docs/validation.md quotes them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servicechain.analytics.attrition import DiscreteTimeHazard, expected_leavers
from servicechain.insights.retention import forecast
from servicechain.insights.retention.data import Window
from servicechain.simulate import simulate_organisation
from servicechain.simulate.organisation import _month_starts, _resolve_size, _split_overrides
from servicechain.simulate.structure import build_positions, build_units
from servicechain.simulate.workforce import simulate_workforce
from servicechain.surveys.bank import load_bank, score_items

pytestmark = pytest.mark.validation
SEEDS = range(20)


def true_person_months(seed: int) -> tuple[pd.DataFrame, dict]:
    """Each month's people in post (the hazard's risk set), with their true engagement."""
    n_units, n_positions, n_months = _resolve_size("medium", None, None, None)
    chain, org = _split_overrides({})
    starts = _month_starts(n_months, None, None)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    tree = build_units(n_units, streams[0], seed, None)
    positions = build_positions(tree, n_positions, streams[0])
    workforce = simulate_workforce(tree, positions, starts, org, chain, streams[1])
    months = []
    for t in range(n_months):
        posts = np.flatnonzero(workforce.holder[:, t] >= 0)
        people = workforce.holder[posts, t]
        unit = positions.unit[posts]
        points = workforce.engagement_points(people, unit, np.full(people.size, t))
        tenure_days = (starts[t] - workforce.hire_date[people]).astype(int)
        left = workforce.leave_date[people]
        months.append(
            pd.DataFrame(
                {
                    "engagement_10": (points - chain.mu_mean) / 10,
                    "year": np.where(tenure_days < 365, "first", "later"),
                    "unit": unit,
                    "left": ~np.isnat(left)
                    & (left.astype("datetime64[M]") == starts[t].astype("datetime64[M]")),
                }
            )
        )
    truth = {
        "intercept": org.attrition_intercept + org.attrition_first_year,
        "engagement_10": org.attrition_per_10_engagement_points,
        "first_year": org.attrition_first_year,
    }
    return pd.concat(months, ignore_index=True), truth


def test_the_discrete_time_model_recovers_the_true_hazard_in_90_percent_of_20_orgs():
    rows = []
    for seed in SEEDS:
        periods, truth = true_person_months(seed)
        model = DiscreteTimeHazard(["engagement_10"], period="year", cluster="unit").fit(periods)
        limits = model.conf_int()
        estimates = {
            "intercept": (model.coef_["intercept"], *limits.loc["intercept"]),
            "engagement_10": (model.coef_["engagement_10"], *limits.loc["engagement_10"]),
            # The reference level is the first year: its step is minus the later years'.
            "first_year": (
                -model.coef_["year[later]"],
                -limits.loc["year[later]", "upper"],
                -limits.loc["year[later]", "lower"],
            ),
        }
        for name, (value, lower, upper) in estimates.items():
            rows.append(
                {
                    "parameter": name,
                    "truth": truth[name],
                    "estimate": value,
                    "covered": lower <= truth[name] <= upper,
                }
            )
    table = (
        pd.DataFrame(rows)
        .groupby("parameter")
        .agg(truth=("truth", "first"), mean=("estimate", "mean"), coverage=("covered", "mean"))
    )
    print(f"\n{len(SEEDS)} medium organisations, discrete-time hazard on true person-months")
    print(table.round(4).to_string())
    assert (table["coverage"] >= 0.9).all()
    bias = (table["mean"] - table["truth"]).abs() / table["truth"].abs()
    assert (bias <= 0.05).all()


def hr_extract(org) -> pd.DataFrame:
    """The simulator's employees as `insights.retention.data.spells` reads them."""
    people = org.employees
    return pd.DataFrame(
        {
            "person": np.arange(len(people)),
            "unit_id": people["unit_external_id"],
            "job_family": people["job_family"],
            "is_manager": people["is_manager"],
            "hire_date": pd.to_datetime(people["hire_date"]),
            "leave_date": pd.to_datetime(people["leave_date"]),
            "leave_type": people["leave_type"].fillna(""),
            "regretted": people["regretted"],
        }
    )


def survey_engagement(org, before: pd.Timestamp) -> pd.DataFrame:
    """Each unit's mean engagement score over the surveys closed before `before`."""
    waves = org.employee_waves[org.employee_waves["closes_on"] < before]
    answers = org.employee_responses[org.employee_responses["wave_id"].isin(waves["wave_id"])]
    bank = load_bank()
    items = [bank.item(code) for code in bank.scales["engagement"].items]
    scores = score_items(answers[[i.code for i in items]].astype(float), items)["engagement"]
    return pd.DataFrame({"engagement": scores.groupby(answers["unit_external_id"]).mean()})


def test_flight_risk_intervals_cover_next_years_leavers_in_90_percent_of_units():
    rows = []
    for seed in SEEDS:
        org = simulate_organisation("medium", seed=seed)
        sizes = org.ground_truth["sizes"]
        window = Window(pd.Timestamp(f"{sizes['start']}-01"), pd.Timestamp(f"{sizes['end']}-01"))
        year_one = window.shifted(12)
        origin = year_one.end
        people = hr_extract(org)
        scores = survey_engagement(org, origin)
        model = forecast.fit_model(people, year_one, scores)
        staff = forecast.staff_on(people, origin, scores)
        result = expected_leavers(model, staff, months=12, group="unit_id", n_draws=1000)
        left = staff["leave_date"].notna() & (staff["leave_date"] <= window.end)
        actual = left.groupby(staff["unit_id"]).sum()
        table = result.by_group.join(actual.rename("actual"))
        inside = (table["lower"] <= table["actual"]) & (table["actual"] <= table["upper"])
        rows.append(
            {
                "seed": seed,
                "units": len(table),
                "unit_coverage": inside.mean(),
                "expected": result.total["expected"],
                "actual": int(actual.sum()),
                "total_covered": result.total["lower"] <= actual.sum() <= result.total["upper"],
            }
        )
    table = pd.DataFrame(rows)
    coverage = (table["unit_coverage"] * table["units"]).sum() / table["units"].sum()
    ratio = table["expected"].sum() / table["actual"].sum()
    print(
        f"\n{len(SEEDS)} medium organisations, flight risk fitted on year one, tested on year two"
    )
    print(table.round(3).to_string(index=False))
    print(
        f"unit intervals covering: {coverage:.3f}; forecast / actual leavers: {ratio:.3f}; "
        f"organisation total covered in {table['total_covered'].sum()} of {len(table)}"
    )
    assert coverage >= 0.9
    assert abs(ratio - 1) <= 0.2
