"""The unit x month service-profit chain: EX -> CX -> repeat business -> revenue growth.

The equations (documented in ``docs/simulation.md``) for unit ``u`` and month ``t``::

    ex[u,t]             = mu_u + rho * (ex[u,t-1] - mu_u) + e_ex (+ f_t)   mu_u ~ N(mu_mean, mu_sd)
    cx[u,t]             = a_u + b_ex_cx * ex[u,t-1] + e_cx (+ f_t)
    repeat_rate[u,t]    = g_u + b_cx_repeat * cx[u,t] + e_rep
    revenue_growth[u,t] = d_u + b_repeat_rev * repeat_rate[u,t] + e_rev

with independent normal unit fixed effects ``a_u, g_u, d_u`` and independent normal noises.
``f_t`` (off by default, ``season_sd > 0`` in :func:`simulate_chain_panel`) is a common month
shock — season, the local economy — shared by every unit's EX and CX: an AR(1) with
persistence ``season_rho`` and SD ``season_sd``. It confounds the EX -> CX path in a way unit
fixed effects cannot remove and period fixed effects can.
``ex`` and ``cx`` are 0-100 scores, ``repeat_rate`` a proportion and ``revenue_growth``
the annualised revenue growth rate in percentage points observed in month ``t`` (the
full organisation compounds revenue by ``(1 + growth / 100) ** (1 / 12)`` each month).
Defaults follow the Sears service-profit chain (Rucci, Kirn & Quinn, 1998, "The
employee-customer-profit chain at Sears", *Harvard Business Review* 76(1)): a 5-point
rise in employee attitude gives a 1.3-point rise in customer impression
(``b_ex_cx = 0.26``), which gives 0.5 pp more revenue growth
(``b_cx_repeat * b_repeat_rev = 0.5 / 1.3``). The indirect EX -> revenue-growth effect is
the product of the three paths (0.1 pp per EX point; 0.5 pp per 5 points).

The full synthetic organisation reuses :func:`simulate_ex` and :func:`chain_outcomes`, with
``ex`` taken from its employees' engagement instead of the AR(1) draw.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ChainOutcomes",
    "ChainParameters",
    "chain_outcomes",
    "simulate_chain_panel",
    "simulate_ex",
]


@dataclass(frozen=True)
class ChainParameters:
    """Parameters of the service-profit chain (defaults: Sears-calibrated).

    Attributes
    ----------
    rho, mu_mean, mu_sd, sd_ex : float
        EX is AR(1) around the unit mean ``mu_u ~ N(mu_mean, mu_sd)`` with persistence
        ``rho`` and innovation SD ``sd_ex`` (0-100 points).
    b_ex_cx, cx_mean, a_sd, sd_cx : float
        CX points per EX point of the previous month; unit intercepts ``a_u`` have mean
        ``cx_mean - b_ex_cx * mu_mean`` (so CX averages ``cx_mean``) and SD ``a_sd``.
    b_cx_repeat, repeat_mean, g_sd, sd_repeat : float
        Repeat-rate change per CX point; intercepts ``g_u`` centred so the repeat rate
        averages ``repeat_mean``.
    b_repeat_rev, growth_mean, d_sd, sd_revenue : float
        Revenue growth (pp) per unit of repeat rate (i.e. per 100 pp); intercepts ``d_u``
        centred so annualised growth averages ``growth_mean`` pp.
    season_sd, season_rho : float
        Common month shock ``f_t`` added to every unit's EX and CX (stationary SD
        ``season_sd`` points, AR(1) persistence ``season_rho``); 0 = none (the default).

    With 200 units x 24 months the defaults give within-unit (fixed-effects) standard
    errors of about 3 % of each path coefficient.
    """

    rho: float = 0.6
    mu_mean: float = 65.0
    mu_sd: float = 8.0
    sd_ex: float = 4.0
    b_ex_cx: float = 0.26
    cx_mean: float = 72.0
    a_sd: float = 4.0
    sd_cx: float = 3.0
    b_cx_repeat: float = 0.01
    repeat_mean: float = 0.45
    g_sd: float = 0.04
    sd_repeat: float = 0.02
    b_repeat_rev: float = 0.5 / 1.3 / 0.01
    growth_mean: float = 3.0
    d_sd: float = 1.0
    sd_revenue: float = 1.0
    season_sd: float = 0.0
    season_rho: float = 0.7

    @classmethod
    def with_overrides(cls, **overrides: float) -> ChainParameters:
        """Defaults with some fields replaced; unknown names raise ``TypeError``."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(
                f"unknown chain parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**{k: float(v) for k, v in overrides.items()})

    @property
    def a_mean(self) -> float:
        """Mean CX intercept ``a_u``."""
        return self.cx_mean - self.b_ex_cx * self.mu_mean

    @property
    def g_mean(self) -> float:
        """Mean repeat-rate intercept ``g_u``."""
        return self.repeat_mean - self.b_cx_repeat * self.cx_mean

    @property
    def d_mean(self) -> float:
        """Mean revenue-growth intercept ``d_u``."""
        return self.growth_mean - self.b_repeat_rev * self.repeat_mean

    @property
    def indirect_ex_revenue(self) -> float:
        """Indirect EX -> revenue-growth effect (pp per EX point) = product of the paths."""
        return self.b_ex_cx * self.b_cx_repeat * self.b_repeat_rev

    def truth(self) -> dict[str, float]:
        """JSON-serialisable record of every parameter and the implied effects."""
        record = {k: float(v) for k, v in dataclasses.asdict(self).items()}
        record.update(
            a_mean=self.a_mean,
            g_mean=self.g_mean,
            d_mean=self.d_mean,
            indirect_ex_revenue=self.indirect_ex_revenue,
        )
        return record


@dataclass(frozen=True)
class ChainOutcomes:
    """Unit x period matrices of the chain's downstream variables and the unit effects."""

    cx: np.ndarray
    repeat_rate: np.ndarray
    revenue_growth: np.ndarray
    a: np.ndarray
    g: np.ndarray
    d: np.ndarray


def simulate_ex(
    mu: np.ndarray, n_steps: int, params: ChainParameters, rng: np.random.Generator
) -> np.ndarray:
    """Draw AR(1) paths ``ex[u,t] = mu_u + rho (ex[u,t-1] - mu_u) + e_ex``.

    The first column is drawn from the stationary distribution
    ``N(mu_u, sd_ex / sqrt(1 - rho^2))`` so there is no burn-in drift.

    Returns
    -------
    ndarray, shape (len(mu), n_steps)
    """
    mu = np.asarray(mu, dtype=float)
    innovations = rng.normal(0.0, params.sd_ex, size=(mu.size, n_steps))
    deviation = np.empty((mu.size, n_steps))
    # Stationary SD is sd_ex / sqrt(1 - rho^2); scale the first innovation to it.
    stationary_scale = 1.0 / np.sqrt(1.0 - params.rho**2) if abs(params.rho) < 1 else 0.0
    deviation[:, 0] = innovations[:, 0] * stationary_scale
    for t in range(1, n_steps):
        deviation[:, t] = params.rho * deviation[:, t - 1] + innovations[:, t]
    return mu[:, None] + deviation


def chain_outcomes(
    ex_with_lag: np.ndarray,
    params: ChainParameters,
    rng: np.random.Generator,
    cx_shock: np.ndarray | None = None,
) -> ChainOutcomes:
    """Apply the CX, repeat-rate and revenue-growth equations to an EX matrix.

    Parameters
    ----------
    ex_with_lag : ndarray, shape (n_units, n_periods + 1)
        EX for periods ``-1 .. n_periods-1``; column 0 is the month before the first
        period, needed for ``cx[u,0] = a_u + b_ex_cx * ex[u,-1] + e_cx``.
    params : ChainParameters
    rng : numpy Generator
    cx_shock : ndarray, shape (n_periods,), optional
        A common shock added to every unit's CX in each period (before the downstream
        equations), e.g. the month shock ``f_t``.

    Returns
    -------
    ChainOutcomes
        ``cx``, ``repeat_rate`` and ``revenue_growth`` of shape (n_units, n_periods).
    """
    n_units, n_steps = ex_with_lag.shape
    shape = (n_units, n_steps - 1)
    a = rng.normal(params.a_mean, params.a_sd, n_units)
    g = rng.normal(params.g_mean, params.g_sd, n_units)
    d = rng.normal(params.d_mean, params.d_sd, n_units)
    cx = a[:, None] + params.b_ex_cx * ex_with_lag[:, :-1] + rng.normal(0, params.sd_cx, shape)
    if cx_shock is not None:
        cx = cx + np.asarray(cx_shock, dtype=float)[None, :]
    repeat = g[:, None] + params.b_cx_repeat * cx + rng.normal(0, params.sd_repeat, shape)
    growth = d[:, None] + params.b_repeat_rev * repeat + rng.normal(0, params.sd_revenue, shape)
    return ChainOutcomes(cx=cx, repeat_rate=repeat, revenue_growth=growth, a=a, g=g, d=d)


def _season(params: ChainParameters) -> ChainParameters:
    """Parameters under which `simulate_ex` draws the month shock f_t (mean 0)."""
    innovation_sd = params.season_sd * np.sqrt(1.0 - params.season_rho**2)
    return dataclasses.replace(params, rho=params.season_rho, sd_ex=innovation_sd)


def simulate_chain_panel(
    n_units: int = 200,
    n_periods: int = 24,
    seed: int | None = 0,
    *,
    respondents: int | None = None,
    person_sd: float = 20.0,
    **effect_overrides: float,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate the unit x month service-profit-chain panel with known effects.

    Parameters
    ----------
    n_units, n_periods : int
        Panel size.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same panel.
    respondents : int, optional
        Measure EX by a survey: each unit-month's ``ex`` becomes the mean of
        ``respondents`` answers ``N(ex_true, person_sd²)`` and ``ex_se`` their standard
        error ``s/√n``; the true EX, which drives the chain, is kept as ``ex_true``. The
        answers come from a child random stream, so every other column is the same as
        without a survey for the same seed.
    person_sd : float, default 20
        SD of one person's answer around the unit's true EX (0-100 points).
    **effect_overrides : float
        Any :class:`ChainParameters` field, e.g. ``b_ex_cx=0.0``, ``sd_cx=5`` or
        ``season_sd=3`` (a common month shock on EX and CX).

    Returns
    -------
    panel : DataFrame
        Columns ``unit`` (int 0..n_units-1), ``period`` (int 0..n_periods-1), ``ex``,
        ``cx``, ``repeat_rate``, ``revenue_growth``, sorted by unit then period.
        With ``respondents``: also ``ex_se`` and ``ex_true``.
    truth : dict
        Every parameter plus ``indirect_ex_revenue``, ``n_units``, ``n_periods``, ``seed``
        (and ``respondents``, ``person_sd`` when surveyed).

    Examples
    --------
    >>> panel, truth = simulate_chain_panel(n_units=50, n_periods=12, seed=1)
    >>> truth["b_ex_cx"]
    0.26
    """
    if n_units < 1 or n_periods < 1:
        raise ValueError(f"need n_units >= 1 and n_periods >= 1, got {n_units} and {n_periods}")
    if respondents is not None and respondents < 2:
        raise ValueError(
            f"respondents must be at least 2 (for a standard error); got {respondents}"
        )
    params = ChainParameters.with_overrides(**effect_overrides)
    rng = np.random.default_rng(seed)
    mu = rng.normal(params.mu_mean, params.mu_sd, n_units)
    ex = simulate_ex(mu, n_periods + 1, params, rng)
    shock = None
    if params.season_sd > 0:
        # From a child stream, so panels without the shock are unchanged for every seed.
        shock = simulate_ex(np.zeros(1), n_periods + 1, _season(params), rng.spawn(1)[0])[0]
        ex = ex + shock[None, :]
    outcomes = chain_outcomes(ex, params, rng, cx_shock=None if shock is None else shock[1:])
    panel = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_periods),
            "period": np.tile(np.arange(n_periods), n_units),
            "ex": ex[:, 1:].ravel(),
            "cx": outcomes.cx.ravel(),
            "repeat_rate": outcomes.repeat_rate.ravel(),
            "revenue_growth": outcomes.revenue_growth.ravel(),
        }
    )
    truth: dict[str, Any] = params.truth()
    truth.update(n_units=int(n_units), n_periods=int(n_periods), seed=seed)
    if respondents is not None:
        _survey_ex(panel, respondents, person_sd, np.random.default_rng([seed or 0, 1]))
        truth.update(respondents=int(respondents), person_sd=float(person_sd))
    return panel, truth


def _survey_ex(panel: pd.DataFrame, respondents: int, person_sd: float, rng) -> None:
    """Replace ``ex`` by the mean of ``respondents`` noisy answers; add ``ex_se``, ``ex_true``."""
    answers = panel["ex"].to_numpy()[:, None] + rng.normal(
        0.0, person_sd, size=(len(panel), respondents)
    )
    panel["ex_true"] = panel["ex"]
    panel["ex"] = answers.mean(axis=1)
    panel["ex_se"] = answers.std(axis=1, ddof=1) / np.sqrt(respondents)
