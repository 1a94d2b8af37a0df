"""Why people left: leave type, reason and regretted loss, and the leaver (exit) survey.

Drawn after the workforce, from a stream of its own, so nothing else in the organisation
changes (the attrition hazard, who leaves and when are the workforce's). For each leaver::

    involuntary     ~ Bernoulli(involuntary_share)
    reason          involuntary: ~ Categorical(involuntary_reason_weights)
                    voluntary:   P(r) ∝ w_r · exp(−sensitivity · D_j,driver(r))   (D: standard-normal
                                 latent driver at leaving; reasons without a driver use D = 0)
    regretted       voluntary only: ~ Bernoulli(regretted_share)

so a leaver whose manager driver is low names "manager" more often. Voluntary leavers answer
the leaver survey with probability ``exit_survey_response_rate`` on their last day: the
reason they give matches their recorded one with probability ``exit_reason_agreement``
(otherwise it is drawn again from their reason probabilities), and items EXT1–EXT5 follow
``x = mean_i + slope · c_ij + e`` (clipped to 1–5, rounded; EXT5, reverse-keyed, stores
``6 − x``) with ``c_ij`` the mean of the item's latent drivers at leaving, or engagement in
SD units for EXT4. Responses carry no employee id (``keys`` maps them, for checks only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from servicechain.simulate.employee_survey import tenure_band
from servicechain.simulate.encoding import employee_ids, external_ids, nullable_int
from servicechain.simulate.parameters import DRIVERS, OrgParameters
from servicechain.simulate.workforce import Workforce

VOLUNTARY_REASONS = (
    "career",
    "pay",
    "manager",
    "worklife",
    "customer_conduct",
    "relocation",
    "personal",
    "study_or_retirement",
    "other",
)
INVOLUNTARY_REASONS = ("performance", "conduct", "redundancy", "end_of_contract")
#: The engagement driver behind each voluntary reason (the others have none).
REASON_DRIVER = {
    "career": "career",
    "pay": "pay",
    "manager": "manager",
    "worklife": "worklife",
    "customer_conduct": "wellbeing",
}
#: Leaver-survey items: construct mean and the latent drivers (or "engagement") behind them.
EXIT_ITEMS = {
    "EXT1": (3.5, ("manager", "recognition")),
    "EXT2": (3.3, ("tools", "training")),
    "EXT3": (2.8, ("manager",)),
    "EXT4": (3.2, ("engagement",)),
    "EXT5": (3.0, ("worklife",)),  # construct: a manageable workload (the item is reversed)
}
REVERSED = {"EXT5"}


@dataclass(frozen=True)
class Leaving:
    """Per employee (in roster order): leave type, reason and regretted; and the survey."""

    leave_type: np.ndarray  # object: "voluntary", "involuntary" or None while employed
    leave_reason: np.ndarray  # object
    regretted: pd.arrays.BooleanArray  # NA unless a voluntary leaver
    exit_responses: pd.DataFrame
    keys: pd.Series  # response_id -> employee_external_id (private)

    def counts(self) -> dict[str, int]:
        voluntary = self.leave_type == "voluntary"
        return {
            "voluntary": int(voluntary.sum()),
            "involuntary": int((self.leave_type == "involuntary").sum()),
            "regretted": int(self.regretted.fillna(False).sum()),
            "exit_responses": len(self.exit_responses),
        }


def _reason_probabilities(drivers: np.ndarray, org: OrgParameters) -> np.ndarray:
    base = np.array([org.voluntary_reason_weights[r] for r in VOLUNTARY_REASONS], dtype=float)
    latent = np.zeros((drivers.shape[0], len(VOLUNTARY_REASONS)))
    for column, reason in enumerate(VOLUNTARY_REASONS):
        if reason in REASON_DRIVER:
            latent[:, column] = drivers[:, DRIVERS.index(REASON_DRIVER[reason])]
    weights = base * np.exp(-org.reason_driver_sensitivity * latent)
    return weights / weights.sum(axis=1, keepdims=True)


def _pick(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One category per row of a probability matrix."""
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random(probabilities.shape[0])[:, None]
    return np.minimum((draws > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def simulate_leaving(
    workforce: Workforce,
    positions_family: np.ndarray,
    unit_ids: np.ndarray,
    month_starts: np.ndarray,
    org: OrgParameters,
    rng: np.random.Generator,
) -> Leaving:
    """Leave type, reason and regretted for every leaver, and their leaver-survey answers."""
    n = workforce.n
    leavers = np.flatnonzero(~np.isnat(workforce.leave_date))
    leave_months = np.searchsorted(month_starts, workforce.leave_date[leavers], side="right") - 1
    units = workforce.unit[leavers]
    drivers = workforce.drivers_at(leavers, units, leave_months)
    points = workforce.engagement_points(leavers, units, leave_months)

    involuntary = rng.random(leavers.size) < org.involuntary_share
    reason_p = _reason_probabilities(drivers, org)
    voluntary_reason = np.array(VOLUNTARY_REASONS, dtype=object)[_pick(reason_p, rng)]
    inv_weights = np.array([org.involuntary_reason_weights[r] for r in INVOLUNTARY_REASONS])
    inv_p = np.broadcast_to(inv_weights / inv_weights.sum(), (leavers.size, inv_weights.size))
    involuntary_reason = np.array(INVOLUNTARY_REASONS, dtype=object)[_pick(inv_p, rng)]
    regretted_draw = rng.random(leavers.size) < org.regretted_share

    leave_type = np.full(n, None, dtype=object)
    leave_type[leavers] = np.where(involuntary, "involuntary", "voluntary")
    leave_reason = np.full(n, None, dtype=object)
    leave_reason[leavers] = np.where(involuntary, involuntary_reason, voluntary_reason)
    regretted_values = np.zeros(n, dtype=bool)
    regretted_mask = np.ones(n, dtype=bool)
    regretted_values[leavers] = regretted_draw & ~involuntary
    regretted_mask[leavers] = involuntary
    regretted = pd.arrays.BooleanArray(regretted_values, regretted_mask)

    answering = ~involuntary & (rng.random(leavers.size) < org.exit_survey_response_rate)
    rows = np.flatnonzero(answering)
    agree = rng.random(rows.size) < org.exit_reason_agreement
    redrawn = np.array(VOLUNTARY_REASONS, dtype=object)[_pick(reason_p[rows], rng)]
    stated = np.where(agree, voluntary_reason[rows], redrawn)
    z = (points[rows] - workforce.mu_mean) / org.engagement_points_sd
    answers = {}
    for code, (mean, sources) in EXIT_ITEMS.items():
        construct = np.mean(
            [z if s == "engagement" else drivers[rows, DRIVERS.index(s)] for s in sources], axis=0
        )
        raw = (
            mean
            + org.exit_item_slope * construct
            + rng.normal(0, org.exit_item_noise_sd, rows.size)
        )
        value = np.clip(np.rint(raw), 1, 5)
        answers[code] = nullable_int(6 - value if code in REVERSED else value)
    employees = leavers[rows]
    tenure_days = (workforce.leave_date[employees] - workforce.hire_date[employees]).astype(int)
    response_ids = external_ids("XR", np.arange(rows.size), 6)
    exit_responses = pd.DataFrame(
        {
            "response_id": response_ids,
            "unit_external_id": unit_ids[workforce.unit[employees]],
            "tenure_band": tenure_band(tenure_days),
            "job_family": positions_family[workforce.position[employees]],
            "submitted_on": pd.to_datetime(workforce.leave_date[employees]),
            **answers,
            "EXT_REASON": stated,
            "comment": np.full(rows.size, None, dtype=object),
        }
    )
    keys = pd.Series(employee_ids(employees), index=response_ids, name="employee_external_id")
    keys.index.name = "response_id"
    return Leaving(leave_type, leave_reason, regretted, exit_responses, keys)


def leaving_truth(org: OrgParameters, leaving: Leaving) -> dict:
    """The ``leaving`` section of ``ground_truth.json``."""
    return {
        "model": (
            "involuntary ~ Bernoulli(involuntary_share); voluntary reason P(r) ∝ w_r · "
            "exp(-reason_driver_sensitivity · D_driver(r)); regretted (voluntary only) ~ "
            "Bernoulli(regretted_share); leaver survey: voluntary leavers answer with "
            "exit_survey_response_rate, stating their recorded reason with exit_reason_agreement"
        ),
        "involuntary_share": org.involuntary_share,
        "regretted_share_of_voluntary": org.regretted_share,
        "voluntary_reason_weights": dict(org.voluntary_reason_weights),
        "involuntary_reason_weights": dict(org.involuntary_reason_weights),
        "reason_driver": dict(REASON_DRIVER),
        "reason_driver_sensitivity": org.reason_driver_sensitivity,
        "exit_survey_response_rate": org.exit_survey_response_rate,
        "exit_reason_agreement": org.exit_reason_agreement,
        "exit_items": {code: {"mean": m, "latent": list(s)} for code, (m, s) in EXIT_ITEMS.items()},
        "realised": leaving.counts(),
    }
