"""The full synthetic organisation: units, people, customers, surveys, chain and ground truth."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from servicechain.simulate.chain import ChainParameters, chain_outcomes
from servicechain.simulate.customers import Calendar, simulate_customer_side
from servicechain.simulate.employee_survey import simulate_employee_survey
from servicechain.simulate.encoding import employee_ids, iso_strings
from servicechain.simulate.leaving import leaving_truth, simulate_leaving
from servicechain.simulate.names import person_names, slug, unique_emails
from servicechain.simulate.parameters import DRIVERS, OrgParameters, jsonable
from servicechain.simulate.structure import LEAF_KINDS, build_positions, build_units
from servicechain.simulate.workforce import simulate_workforce
from servicechain.surveys.bank import load_bank

#: Preset sizes: units, employees (positions) and months.
#:
#: ``xlarge`` is for dashboards at scale: 10,000 units and 1.3 M positions over 3 months, so
#: there is one wave — a census, whose ≈78 % response rate gives ≈1,000,000 employee
#: responses. Twenty-four months of it, or its customer side at the default rates (≈9 M
#: customers, ≈15 M interactions), would take tens of GB; so the window holds one wave and
#: the preset thins the customer side (:data:`SIZE_PARAMETERS`), which keeps the whole
#: simulation to a few GB.
SIZES: dict[str, dict[str, int]] = {
    "small": {"units": 20, "employees": 200, "months": 12},
    "medium": {"units": 300, "employees": 5_000, "months": 24},
    "large": {"units": 3_000, "employees": 50_000, "months": 24},
    "xlarge": {"units": 10_000, "employees": 1_300_000, "months": 3},
}
#: Parameters a preset size sets besides its counts (explicit overrides still win): the
#: ``xlarge`` organisation's customers are one per frontline position, who rarely get in
#: touch and rarely answer the customer survey.
SIZE_PARAMETERS: dict[str, dict[str, float]] = {
    "xlarge": {
        "customers_per_frontline": 1.0,
        "contact_rate_base": 0.05,
        "contact_rate_per_repeat": 0.10,
        "customer_response_rate": 0.10,
    },
}
#: Last simulated month when neither ``start`` nor another end is given (fixed, so tests
#: and demos are reproducible).
DEFAULT_END_MONTH = "2025-10"

FILES = (
    "units.csv",
    "employees.csv",
    "customers.csv",
    "interactions.csv",
    "transactions.csv",
    "unit_months.csv",
    "employee_waves.csv",
    "employee_responses.csv",
    "customer_responses.csv",
    "incidents.csv",
    "exit_responses.csv",
    "ground_truth.json",
)


@dataclass
class SyntheticOrganisation:
    """A simulated organisation as pandas frames plus its ground truth.

    Attributes
    ----------
    units, employees, customers, interactions, transactions, unit_months, employee_waves,
    employee_responses, customer_responses, incidents : DataFrame
        The tables written by :meth:`write` (column contracts in ``docs/simulation.md``).
    ground_truth : dict
        JSON-serialisable record of every parameter.
    employee_response_keys : Series
        Private: response_id -> employee_external_id, for ground-truth checks only (survey
        responses are confidential and carry no employee id). Never written to disk.
    employee_comment_labels, customer_comment_labels : DataFrame
        Private: response_id, theme, sentiment of each synthetic comment.
    employee_engagement : Series
        Private: each employee's engagement (0-100 points) without the unit's monthly
        shock, by external id — the covariate of the true attrition hazard, for
        ground-truth checks only. Never written to disk.
    exit_response_keys : Series
        Private: leaver-survey response_id -> employee_external_id. Never written to disk.
    """

    units: pd.DataFrame
    employees: pd.DataFrame
    customers: pd.DataFrame
    interactions: pd.DataFrame
    transactions: pd.DataFrame
    unit_months: pd.DataFrame
    employee_waves: pd.DataFrame
    employee_responses: pd.DataFrame
    customer_responses: pd.DataFrame
    incidents: pd.DataFrame
    exit_responses: pd.DataFrame
    ground_truth: dict[str, Any]
    employee_response_keys: pd.Series = field(repr=False)
    employee_comment_labels: pd.DataFrame = field(repr=False)
    customer_comment_labels: pd.DataFrame = field(repr=False)
    employee_engagement: pd.Series = field(repr=False, default=None)
    exit_response_keys: pd.Series = field(repr=False, default=None)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(getattr(self, name)):,}" for name in _TABLES)
        return f"SyntheticOrganisation(seed={self.ground_truth.get('seed')}, {sizes})"

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write every table as UTF-8 CSV (ISO-8601 dates/times) plus ``ground_truth.json``.

        Returns
        -------
        list of Path
            The files written, in :data:`FILES` order.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in _TABLES:
            path = out / f"{name}.csv"
            _csv_ready(getattr(self, name)).to_csv(path, index=False, encoding="utf-8")
            written.append(path)
        path = out / "ground_truth.json"
        path.write_text(json.dumps(self.ground_truth, indent=2, sort_keys=True), encoding="utf-8")
        written.append(path)
        return written


_TABLES = tuple(name.removesuffix(".csv") for name in FILES if name.endswith(".csv"))


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = iso_strings(out[column])
    return out


def _month_starts(months: int, start: str | None, end: str | None) -> np.ndarray:
    if start is not None:
        first = np.datetime64(str(start)[:7], "M")
    else:
        last = np.datetime64(str(end or DEFAULT_END_MONTH)[:7], "M")
        first = last - (months - 1)
    return (first + np.arange(months)).astype("datetime64[D]")


def _resolve_size(size, units, months, employees) -> tuple[int, int, int]:
    if size is not None and size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    preset = SIZES[size or "small"]
    if size is None and units is not None and employees is None:
        employees = round(units * 50 / 3)  # the medium/large ratio of ~17 people per unit
    if size is None and employees is not None and units is None:
        units = max(5, round(employees * 3 / 50))
    units = int(units if units is not None else preset["units"])
    employees = int(employees if employees is not None else preset["employees"])
    months = int(months if months is not None else preset["months"])
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    return units, employees, months


def _split_overrides(overrides: dict[str, Any]) -> tuple[ChainParameters, OrgParameters]:
    chain_names = {f.name for f in dataclasses.fields(ChainParameters)}
    org_names = OrgParameters.field_names()
    unknown = sorted(set(overrides) - chain_names - org_names)
    if unknown:
        raise TypeError(
            f"unknown parameter(s) {', '.join(unknown)}; see ChainParameters and OrgParameters"
        )
    chain = ChainParameters.with_overrides(
        **{k: v for k, v in overrides.items() if k in chain_names}
    )
    org = OrgParameters(**{k: v for k, v in overrides.items() if k in org_names})
    return chain, org


def simulate_organisation(
    size: str | None = None,
    *,
    units: int | None = None,
    months: int | None = None,
    employees: int | None = None,
    seed: int | None = 0,
    start: str | None = None,
    end: str | None = None,
    name: str | None = None,
    **overrides: Any,
) -> SyntheticOrganisation:
    """Simulate a whole organisation with known ground truth.

    Parameters
    ----------
    size : {"small", "medium", "large", "xlarge"}, optional
        Preset from :data:`SIZES` (default "small"), with the parameters of
        :data:`SIZE_PARAMETERS` for that size; explicit ``units``, ``months``,
        ``employees`` and parameter overrides win over it. Given only ``units`` (or only ``employees``), the other
        follows at about 17 employees per unit.
    units, months, employees : int, optional
        Number of units (tree nodes, at least 5), months, and positions (headcount).
    seed : int
        Everything (numbers and Faker names) is a deterministic function of the seed.
    start, end : str, optional
        First or last month ("YYYY-MM" or "YYYY-MM-DD"); ``start`` wins when both are
        given. By default the window ends in :data:`DEFAULT_END_MONTH`.
    name : str, optional
        The organisation's name, given to the root unit (default: a company name drawn
        from the seed). Names only: no number depends on it.
    **overrides
        Any field of :class:`ChainParameters` or :class:`OrgParameters`.

    Returns
    -------
    SyntheticOrganisation
    """
    n_units, n_employees, n_months = _resolve_size(size, units, months, employees)
    chain, org = _split_overrides({**SIZE_PARAMETERS.get(size or "", {}), **overrides})
    calendar = Calendar.from_month_starts(_month_starts(n_months, start, end))
    # Children of one SeedSequence: adding a stream (the seventh, for leaving) leaves the
    # first six, and so everything drawn before, unchanged.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    bank = load_bank()

    tree = build_units(n_units, streams[0], seed, name)
    positions = build_positions(tree, n_employees, streams[0])
    workforce = simulate_workforce(tree, positions, calendar.month_starts, org, chain, streams[1])

    serving = np.flatnonzero(tree.serving)
    ex = _filled(workforce.ex[serving])
    outcomes = chain_outcomes(ex, chain, streams[2])
    cx, repeat, growth = (np.full((tree.n, n_months), np.nan) for _ in range(3))
    cx[serving], repeat[serving], growth[serving] = (
        outcomes.cx,
        outcomes.repeat_rate,
        outcomes.revenue_growth,
    )
    centre = tree.kind == "contact_centre"
    repeat[centre] = np.nan  # the contact centre owns no customers or revenue
    growth[centre] = np.nan

    survey = simulate_employee_survey(
        workforce,
        positions.job_family,
        tree.external_id,
        calendar.month_starts,
        bank,
        org,
        streams[3],
    )
    side = simulate_customer_side(
        tree, positions, workforce, calendar, repeat, growth, cx, org, streams[4]
    )
    leaving = simulate_leaving(
        workforce,
        positions.job_family,
        tree.external_id,
        calendar.month_starts,
        org,
        streams[6],
    )
    employees_frame = _employees_frame(tree, positions, workforce, streams[5], leaving)
    ex_full = np.full((tree.n, n_months + 1), np.nan)
    ex_full[serving] = ex
    unit_months = _unit_months(tree, calendar, ex_full, cx, repeat, growth, side, workforce)

    ground_truth = _ground_truth(
        seed,
        n_units,
        n_employees,
        n_months,
        calendar,
        chain,
        org,
        workforce,
        tree,
        positions,
        side,
        survey,
    )
    ground_truth["leaving"] = jsonable(leaving_truth(org, leaving))
    return SyntheticOrganisation(
        units=tree.frame(),
        employees=employees_frame,
        customers=side.customers,
        interactions=side.interactions,
        transactions=side.transactions,
        unit_months=unit_months,
        employee_waves=survey.waves,
        employee_responses=survey.responses,
        customer_responses=side.customer_responses,
        incidents=side.incidents,
        exit_responses=leaving.exit_responses,
        ground_truth=ground_truth,
        employee_response_keys=survey.keys,
        employee_comment_labels=survey.comment_labels,
        customer_comment_labels=side.comment_labels,
        employee_engagement=pd.Series(
            chain.mu_mean + workforce.latent.points_per_z * workforce.z,
            index=employee_ids(np.arange(workforce.n)),
            name="engagement",
        ),
        exit_response_keys=leaving.keys,
    )


def _filled(ex: np.ndarray) -> np.ndarray:
    """Carry the last known EX forward (then back) over months when a unit had nobody."""
    frame = pd.DataFrame(ex.T).ffill().bfill()
    return frame.to_numpy().T


def _employees_frame(tree, positions, workforce, rng, leaving) -> pd.DataFrame:
    n = workforce.n
    first, last = person_names(n, rng)
    domain = slug(str(tree.name[0])) + ".example"
    return pd.DataFrame(
        {
            "external_id": employee_ids(np.arange(n)),
            "unit_external_id": tree.external_id[workforce.unit],
            "first_name": first,
            "last_name": last,
            "email": unique_emails(first, last, domain),
            "job_title": positions.job_title[workforce.position],
            "job_family": positions.job_family[workforce.position],
            "hire_date": pd.to_datetime(workforce.hire_date),
            "leave_date": pd.to_datetime(workforce.leave_date),
            "is_manager": positions.is_manager[workforce.position],
            "leave_type": leaving.leave_type,
            "leave_reason": leaving.leave_reason,
            "regretted": leaving.regretted,
        }
    )


def _unit_months(tree, calendar, ex_full, cx, repeat, growth, side, workforce) -> pd.DataFrame:
    outlets = np.flatnonzero(np.isin(tree.kind, LEAF_KINDS))
    months = calendar.n
    periods = np.datetime_as_string(calendar.month_starts.astype("datetime64[M]"), unit="M")
    return pd.DataFrame(
        {
            "unit_external_id": np.repeat(tree.external_id[outlets], months),
            "period": np.tile(periods.astype(object), outlets.size),
            "ex": ex_full[outlets, 1:].ravel(),
            "cx": cx[outlets].ravel(),
            "repeat_rate": repeat[outlets].ravel(),
            "revenue": side.revenue[outlets].ravel(),
            "revenue_growth": growth[outlets].ravel(),
            "headcount": workforce.headcount[outlets].ravel(),
            "leavers": workforce.leavers[outlets].ravel(),
        }
    )


def _ground_truth(
    seed,
    n_units,
    n_employees,
    n_months,
    calendar,
    chain,
    org,
    workforce,
    tree,
    positions,
    side,
    survey,
) -> dict[str, Any]:
    latent = workforce.latent
    periods = np.datetime_as_string(calendar.month_starts.astype("datetime64[M]"), unit="M")
    w = org.satisfaction_weights
    truth = {
        "seed": seed,
        "sizes": {
            "units": n_units,
            "positions": n_employees,
            "months": n_months,
            "start": str(periods[0]),
            "end": str(periods[-1]),
            "employees_ever": int(workforce.n),
            "customers": len(side.customers),
            "interactions": len(side.interactions),
            "transactions": len(side.transactions),
            "employee_responses": len(survey.responses),
            "customer_responses": len(side.customer_responses),
            "incidents": len(side.incidents),
        },
        "engagement_driver_weights": dict(org.engagement_weights),
        "engagement_top_drivers": sorted(
            org.engagement_weights, key=org.engagement_weights.get, reverse=True
        )[:3],
        "engagement_model": {
            "equation": "Z = sum_k w_k D_k + residual_sd * eps; eng_points = mu_mean + points_per_z * Z + shock_ut",
            "driver_loadings": dict(org.driver_loadings),
            "latent_driver_correlation": "loading_k * loading_l",
            "engagement_r2": org.engagement_r2,
            "residual_sd": latent.residual_sd,
            "z_sd": latent.z_sd,
            "points_per_z": latent.points_per_z,
            "engagement_points_sd": org.engagement_points_sd,
            "unit_general_share": latent.tau,
            "unit_driver_share": latent.kappa,
            "parent_share": org.parent_share,
            "drivers": list(DRIVERS),
        },
        "customer_driver_weights": {
            **{k: w[k] for k in ("friendliness", "competence", "speed")},
            "fcr": w["fcr"],
            "employee_engagement": w["employee_engagement"],
        },
        "customer_model": {
            "equation": "S = cx[u,t] + sum_k v_k F_k + v_fcr (fcr - fcr_rate) + v_e e_j + N(0, sd)",
            "units": "satisfaction points (0-100) per SD of latent service driver; fcr: resolved vs not; "
            "employee_engagement: per SD (20 points) above the unit's expected level",
            "service_driver_model": org.service_driver_model,
            "fcr_rate": org.fcr_rate,
            "satisfaction_noise_sd": org.satisfaction_noise_sd,
            "csat": "clip(round(1 + 4 S / 100 + N(0, csat_noise_sd)), 1, 5)",
            "nps": "clip(round(S / 10 + nps_offset + N(0, nps_noise_sd)), 0, 10)",
            "effort": "clip(round(effort_intercept + effort_per_speed_sd F_speed + effort_fcr (fcr - fcr_rate) + N(0, effort_noise_sd)), 1, 7)",
        },
        "chain": {
            **chain.truth(),
            "ex_to_cx": chain.b_ex_cx,
            "cx_to_repeat": chain.b_cx_repeat,
            "repeat_to_revenue_growth": chain.b_repeat_rev,
            "ex_to_revenue_growth_indirect": chain.indirect_ex_revenue,
            "revenue_growth_units": "annualised percentage points",
            "ex_source": "mean engagement points of the unit's employees in the month",
        },
        "attrition": {
            "model": "logit h = intercept + per_10_engagement_points * (eng - mu_mean) / 10 + first_year * 1[tenure < 365 days]",
            "intercept": org.attrition_intercept,
            "per_10_engagement_points": org.attrition_per_10_engagement_points,
            "first_year": org.attrition_first_year,
            "vacancy_gap_probabilities": list(org.vacancy_gap_probabilities),
            "realised_leavers": int(workforce.leavers.sum()),
        },
        "incidents": {
            "rate_per_1000_interactions": org.incident_rate_per_1000,
            "severity_probabilities": list(org.incident_severity_probabilities),
        },
        "response_rates": {
            "census": org.census_response_rate,
            "pulse": org.pulse_response_rate,
            "customer": org.customer_response_rate,
            "employee_item_missing": org.item_missing_rate,
            "customer_item_missing": org.customer_item_missing_rate,
            "employee_comment": org.employee_comment_rate,
            "customer_comment": org.customer_comment_rate,
        },
        "noise_sds": {
            "ex_innovation": chain.sd_ex,
            "cx": chain.sd_cx,
            "repeat_rate": chain.sd_repeat,
            "revenue_growth": chain.sd_revenue,
            "engagement_residual_z": latent.residual_sd,
            "driver_item": org.driver_item_noise_sd,
            "engagement_item": org.engagement_item_noise_sd,
            "enps": org.enps_noise_sd,
            "item_offset": org.item_offset_sd,
            "satisfaction": org.satisfaction_noise_sd,
            "csat": org.csat_noise_sd,
            "nps": org.nps_noise_sd,
            "effort": org.effort_noise_sd,
            "service_item": org.service_item_noise_sd,
        },
        "parameters": org.record(),
        "unit_counts": {kind: int((tree.kind == kind).sum()) for kind in np.unique(tree.kind)},
        "managers": int(positions.is_manager.sum()),
    }
    return jsonable(truth)
