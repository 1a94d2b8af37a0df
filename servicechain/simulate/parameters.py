"""Every parameter of the synthetic organisation, with its default (see docs/simulation.md).

The values are recorded verbatim in ``ground_truth.json`` so estimators can be checked for
recovery. Scales: engagement and CX are 0-100 "points"; driver latents are standard normal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DRIVERS = (
    "career",
    "manager",
    "pay",
    "worklife",
    "tools",
    "training",
    "recognition",
    "empowerment",
    "purpose",
    "wellbeing",
    "teamwork",
)
SERVICE_DRIVERS = ("friendliness", "competence", "speed", "fcr")


def _engagement_weights() -> dict[str, float]:
    # A few drivers matter (empowerment, manager, recognition), several barely, two not at all.
    return {
        "career": 0.08,
        "manager": 0.30,
        "pay": 0.02,
        "worklife": 0.0,
        "tools": 0.0,
        "training": 0.04,
        "recognition": 0.25,
        "empowerment": 0.35,
        "purpose": 0.05,
        "wellbeing": 0.08,
        "teamwork": 0.03,
    }


def _driver_loadings() -> dict[str, float]:
    # Loadings on a general "climate" factor: latent driver correlations = products,
    # 0.36-0.56, which is what makes key-driver analysis (rather than raw correlation) necessary.
    return {
        "career": 0.70,
        "manager": 0.75,
        "pay": 0.60,
        "worklife": 0.65,
        "tools": 0.60,
        "training": 0.65,
        "recognition": 0.75,
        "empowerment": 0.75,
        "purpose": 0.70,
        "wellbeing": 0.75,
        "teamwork": 0.65,
    }


def _driver_item_means() -> dict[str, float]:
    # Typical Likert means: pay and career low, teamwork and purpose high.
    return {
        "career": 3.2,
        "manager": 3.7,
        "pay": 2.9,
        "worklife": 3.4,
        "tools": 3.3,
        "training": 3.5,
        "recognition": 3.3,
        "empowerment": 3.4,
        "purpose": 3.9,
        "wellbeing": 3.6,
        "teamwork": 4.0,
    }


def _service_driver_model() -> dict[str, dict[str, float]]:
    # Latent service quality of one interaction = engagement of the server (within-unit SD
    # units) + one of the server's own driver deviations + noise.
    return {
        "friendliness": {"engagement": 0.50, "noise_sd": 0.85},
        "competence": {"engagement": 0.30, "training": 0.40, "noise_sd": 0.85},
        "speed": {"engagement": 0.20, "tools": 0.40, "noise_sd": 0.90},
        "fcr": {"engagement": 0.30, "empowerment": 0.45, "noise_sd": 0.85},
    }


def _satisfaction_weights() -> dict[str, float]:
    # Customer satisfaction (0-100 points) per SD of each latent service driver; fcr is
    # points for a resolved versus an unresolved contact.
    return {
        "friendliness": 4.0,
        "competence": 5.0,
        "speed": 3.0,
        "fcr": 15.0,
        "employee_engagement": 2.0,
    }


def _voluntary_reason_weights() -> dict[str, float]:
    # Main reasons of voluntary leavers (the leaver survey's EXT_REASON options) before the
    # leaver's own driver scores tilt them; career and pay lead, as in most exit surveys.
    return {
        "career": 0.22,
        "pay": 0.18,
        "manager": 0.14,
        "worklife": 0.14,
        "customer_conduct": 0.06,
        "relocation": 0.08,
        "personal": 0.10,
        "study_or_retirement": 0.05,
        "other": 0.03,
    }


def _involuntary_reason_weights() -> dict[str, float]:
    return {"performance": 0.35, "conduct": 0.15, "redundancy": 0.20, "end_of_contract": 0.30}


@dataclass(frozen=True)
class OrgParameters:
    """Parameters of the full synthetic organisation (the chain has its own).

    Groups: employee drivers and engagement; survey items and response behaviour;
    attrition; customers, interactions and transactions; customer survey; incidents.
    """

    # --- employee latent structure
    engagement_weights: dict[str, float] = field(default_factory=_engagement_weights)
    driver_loadings: dict[str, float] = field(default_factory=_driver_loadings)
    engagement_r2: float = 0.65
    unit_driver_share: float = 0.10
    parent_share: float = 0.30
    engagement_points_sd: float = 20.0
    # --- survey items
    driver_item_means: dict[str, float] = field(default_factory=_driver_item_means)
    driver_item_slope: float = 0.75
    driver_item_noise_sd: float = 0.65
    item_offset_sd: float = 0.15
    engagement_item_noise_sd: float = 0.55
    enps_mean: float = 6.9
    enps_slope: float = 2.0
    enps_noise_sd: float = 1.3
    census_response_rate: float = 0.78
    pulse_response_rate: float = 0.65
    item_missing_rate: float = 0.02
    employee_comment_rate: float = 0.30
    comment_negative_threshold: float = 0.2
    comment_sentiment_noise_sd: float = 0.7
    # --- attrition: logit h = intercept + per_10_points * (eng - mu_mean) / 10 + first_year
    attrition_intercept: float = float(np.log(0.010 / 0.990))
    attrition_per_10_engagement_points: float = -0.40
    attrition_first_year: float = 0.60
    vacancy_gap_probabilities: tuple[float, ...] = (0.5, 0.35, 0.15)
    mean_tenure_years: float = 3.5
    mean_manager_tenure_years: float = 6.0
    # --- why people leave and the leaver survey (simulate/leaving.py): drawn after the
    # attrition above, from a stream of their own, so they change nothing else
    involuntary_share: float = 0.20
    regretted_share: float = 0.40
    voluntary_reason_weights: dict[str, float] = field(default_factory=_voluntary_reason_weights)
    involuntary_reason_weights: dict[str, float] = field(
        default_factory=_involuntary_reason_weights
    )
    reason_driver_sensitivity: float = 1.0
    exit_survey_response_rate: float = 0.55
    exit_reason_agreement: float = 0.8
    exit_item_slope: float = 0.7
    exit_item_noise_sd: float = 0.7
    # --- customers, interactions, transactions
    customers_per_frontline: float = 8.5
    contact_rate_base: float = 0.30
    contact_rate_per_repeat: float = 0.60
    contact_centre_rate: float = 0.05
    online_purchase_share: float = 0.30
    mean_ticket: float = 120.0
    ticket_unit_sd: float = 0.25
    amount_sd: float = 0.60
    # --- customer survey
    customer_response_rate: float = 0.25
    customer_item_missing_rate: float = 0.02
    customer_comment_rate: float = 0.15
    service_driver_model: dict[str, dict[str, float]] = field(default_factory=_service_driver_model)
    satisfaction_weights: dict[str, float] = field(default_factory=_satisfaction_weights)
    satisfaction_noise_sd: float = 7.0
    fcr_rate: float = 0.75
    csat_noise_sd: float = 0.35
    nps_offset: float = 1.0
    nps_noise_sd: float = 1.0
    effort_intercept: float = 2.8
    effort_per_speed_sd: float = -0.7
    effort_fcr: float = -1.8
    effort_noise_sd: float = 0.9
    service_item_means: dict[str, float] = field(
        default_factory=lambda: {"friendliness": 4.0, "competence": 3.9, "speed": 3.7}
    )
    service_item_slope: float = 0.8
    service_item_noise_sd: float = 0.45
    # --- incidents
    incident_rate_per_1000: float = 4.0
    incident_severity_probabilities: tuple[float, float, float] = (0.6, 0.3, 0.1)

    @classmethod
    def field_names(cls) -> set[str]:
        """Names of every parameter (for validating overrides)."""
        return {f.name for f in dataclasses.fields(cls)}

    def record(self) -> dict[str, Any]:
        """JSON-serialisable copy of every parameter."""
        return jsonable(dataclasses.asdict(self))


def jsonable(value: Any) -> Any:
    """Convert numpy scalars and tuples inside nested dicts/lists to plain JSON types."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
