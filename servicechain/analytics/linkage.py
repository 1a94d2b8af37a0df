"""Linking employee experience to customers and revenue: the service-profit chain.

Three fixed-effects panel regressions over units × periods (Heskett et al. 1994, "Putting
the service-profit chain to work", *Harvard Business Review* 72(2); Rucci, Kirn & Quinn
1998, *HBR* 76(1) for the Sears estimates)::

    cx[u,t]             = a_u + τ_t + β₁ · ex[u,t−lags]      (+ controls) + e
    repeat_rate[u,t]    = g_u + γ_t + β₂ · cx[u,t]            (+ controls) + e
    revenue_growth[u,t] = d_u + δ_t + β₃ · repeat_rate[u,t]   (+ controls) + e

and the indirect EX → revenue-growth effect ``β₁·β₂·β₃`` (the product-of-coefficients
mediation effect; MacKinnon 2008, *Introduction to Statistical Mediation Analysis*, ch. 4).

Estimation
----------
* **Unit fixed effects** by the within transformation: every variable is demeaned within
  unit (over the rows each path uses), which absorbs all time-invariant differences
  between units (Wooldridge 2010, *Econometric Analysis of Cross Section and Panel Data*,
  2nd ed., ch. 10).
* **Period fixed effects** (``time_effects=True``, the default): one dummy per period but
  the first, demeaned within unit like every other regressor. By Frisch–Waugh–Lovell this
  is exactly the two-way (unit and period) dummy regression, also for unbalanced panels
  (Wooldridge 2010, §10.5; Baltagi 2021, *Econometric Analysis of Panel Data*, 6th ed.,
  §3.3): shocks common to every unit in a month move EX and CX together and would
  otherwise pass for the chain.
* **Measurement error** (``measurement_error="correct"``, the default). EX is a survey
  mean: ``ex = ξ + u`` with ``ξ`` the unit's true level and ``u`` sampling error of known
  variance ``σ²ᵤₜ = ex_se²``. Least squares on ``ex`` is attenuated by the reliability
  ``λ = Var(ξ̃)/Var(ẽx)`` of what is left after the fixed effects — and the within
  transformation removes most of the true signal but little of the noise, so ``λ`` is
  far below the raw reliability (Griliches & Hausman 1986, "Errors in variables in panel
  data", *J. Econometrics* 31(1), 93–118). The correction is the method-of-moments
  errors-in-variables estimator with known, unequal error variances (Fuller 1987,
  *Measurement Error Models*, Wiley, ch. 1 and §2.5; Buonaccorsi 2010, *Measurement
  Error: Models, Methods, and Statistics*, CRC, ch. 5)::

      β̂ = Sxy / H,    H = Sxx − Ω,    Ω = Σᵢ σ²ᵢ · Mᵢᵢ

  where ``Sxx, Sxy`` are the cross-products after the unit effects, the period effects
  and the controls are partialled out (annihilator ``M``), and ``Mᵢᵢ = 1 − 1/Tᵤ − h̃ᵢ``
  (``Tᵤ`` the unit's rows, ``h̃ᵢ`` the leverage of the demeaned period dummies and
  controls) makes ``E[uᵀMu] = Ω`` exact. Fuller's small-sample modification (§2.5,
  α = 1) keeps ``H`` positive: with ``λ̂ = (Sxx − Sxy²/Syy)/Ω``, if ``λ̂ < 1 + 1/(n − 1)``
  then ``H = Sxy²/Syy + Ω/(n − 1)``, so the slope never passes the reverse regression's.
  Any path regressor with a ``<name>_se`` column (``ex_se``, ``cx_se``,
  ``repeat_rate_se``) is corrected the same way; ``measurement_error="ignore"`` fits
  plain least squares (the model before the correction).
* **One inference method** for every column of ``effects_``. With ``n_bootstrap > 0``
  (default 1000): the **unit-block bootstrap** — units resampled with replacement, each
  draw keeping its whole history and its own fixed effect, jointly for the three paths,
  the corrected estimator recomputed in every replicate. Limits are Hesterberg's
  *expanded* percentile limits — the ⌈Bα'/2⌉-th smallest and largest replicate with
  ``α' = 2Φ(−√(G/(G−1))·t_{G−1,1−α/2})`` for G units (Hesterberg 2015, *The American
  Statistician* 69(4)), so that a dozen units do not give intervals that are too narrow
  — and the p-value is the smallest α whose interval excludes 0: from the percentile
  p-value ``p* = 2 · min(#{β* ≤ 0}, #{β* ≥ 0}) / B`` (at least ``1/B``; Davison & Hinkley
  1997, *Bootstrap Methods and their Application*, §4.4), ``p = 2 · T_{G−1}(−z_{1−p*/2} /
  √(G/(G−1)))``. An interval thus excludes 0 exactly when ``p < 1 − ci``; ``se`` is the
  replicates' standard deviation. A
  replicate's slopes need only per-unit cross-products, precomputed once; each is a
  count-weighted sum over units and a small solve, all replicates at once. With
  ``n_bootstrap=0``: cluster-robust (by unit) sandwich standard errors of the estimating
  equation ``Σᵤ [x̌ᵤᵀ(y̌ᵤ − x̌ᵤβ) + Ωᵤβ] = 0`` with small-sample factor
  ``G/(G−1) · (N−1)/(N−K)`` (K counting the slopes only: the unit effects are nested in
  the clusters; Cameron & Miller 2015, "A practitioner's guide to cluster-robust
  inference", *J. Human Resources* 50(2), §III.B), ``t(G−1)`` intervals and p-values,
  and the delta method for the indirect effect (Sobel 1982).

Identification assumes, per path, that the true regressor is uncorrelated with the
time-varying error after removing unit and period effects, and that survey sampling
errors are independent of everything else and between periods. The lag on EX guards the
first path against customers affecting staff in the same month.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import NotFittedError

from .resampling import block_counts, group_cross_products, replicate_sums

__all__ = ["INDIRECT", "PATHS", "ServiceProfitChain", "business_panel", "survey_mean_se"]

UNIT, PERIOD = "unit", "period"
#: (name, outcome, main regressor); the regressor of the first path is lagged EX.
PATHS = (
    ("ex→cx", "cx", "ex"),
    ("cx→repeat_rate", "repeat_rate", "cx"),
    ("repeat_rate→revenue_growth", "revenue_growth", "repeat_rate"),
)
INDIRECT = "ex→revenue_growth (indirect)"
MEASUREMENT_ERROR = ("correct", "ignore")
_LAGGED_EX = "ex_lagged"
_ERROR_VARIANCE = "_error_variance"


def survey_mean_se(se, respondents, population, reliability: float | None = None) -> np.ndarray:
    """Standard error of a survey mean as a measure of the true mean of the people surveyed.

    A unit's survey mean differs from the true mean engagement of the people working there
    through two errors: *sampling* (only ``n`` of the ``N`` people answered) and item-level
    *measurement* noise in each answer. With ``s²`` the variance of the answers' scale
    scores within the unit (``se² = s²/n``) and ``ρ`` the scale's reliability (Cronbach's
    alpha), classical test theory splits ``s²`` into true-score variance ``ρ·s²`` and
    error variance ``(1 − ρ)·s²`` (Lord & Novick 1968, *Statistical Theories of Mental Test
    Scores*, ch. 3). Sampling without replacement shrinks the first by the finite-population
    correction ``1 − n/N`` (Cochran 1977, *Sampling Techniques*, 3rd ed., §2.5); the
    second is fresh in every answer. Hence::

        se_true = se · sqrt((1 − n/N) · ρ + (1 − ρ))

    With ``reliability=None`` the answers are taken as error-free (``ρ = 1``): only the
    finite-population correction applies. With a census of everyone (``n = N``) only the
    measurement noise is left.

    Parameters
    ----------
    se : array-like
        Standard errors of the unit means as published (``s/√n``).
    respondents, population : array-like
        Answers behind each mean, and the people it describes (e.g. the unit's headcount
        when the survey opened). ``respondents > population`` is read as a census.
    reliability : float or array-like, optional
        The scale's reliability in ``[0, 1]``.

    Returns
    -------
    ndarray
    """
    se = np.asarray(se, dtype="float64")
    n = np.asarray(respondents, dtype="float64")
    big_n = np.asarray(population, dtype="float64")
    if (n <= 0).any() or (big_n <= 0).any():
        raise ValueError("respondents and population must be positive counts.")
    rho = 1.0 if reliability is None else np.asarray(reliability, dtype="float64")
    if np.any((rho < 0) | (rho > 1)):
        raise ValueError(f"reliability must lie in [0, 1]; got {reliability!r}.")
    unsampled = np.clip(1 - n / big_n, 0.0, 1.0)
    return se * np.sqrt(unsampled * rho + (1 - rho))


def business_panel(purchases: pd.DataFrame) -> pd.DataFrame:
    """Repeat rate and annualised revenue growth per unit and period, from purchases.

    ``revenue`` is the sum of a unit's customers' purchases in the period;
    ``revenue_growth`` the change on the previous period annualised (monthly periods),
    ``100 · ((R_t / R_{t−1})¹² − 1)``; ``repeat_rate`` the share of the customers who bought
    in the previous period who buy again in this one, with its binomial standard error
    ``repeat_rate_se = √(r(1 − r)/(b − 1))`` over the ``b ≥ 2`` previous buyers (``buyers``):
    each of them buys again or not, so the share is a binomial proportion around the unit's
    true rate, and ``b − 1`` makes the squared standard error unbiased for its variance
    (``E[r(1 − r)] = p(1 − p)(1 − 1/b)``), which the measurement-error correction needs. The
    first period of a unit has no previous one: its growth and repeat rate are missing.

    Parameters
    ----------
    purchases : DataFrame
        One row per purchase (or per customer and period): ``customer``, ``unit`` (the
        unit the customer belongs to), ``period`` (integer months) and ``amount``.

    Returns
    -------
    DataFrame
        ``unit, period, revenue, revenue_growth, repeat_rate, repeat_rate_se, buyers``.
    """
    columns = ["unit", "period", "revenue", "revenue_growth", "repeat_rate", "repeat_rate_se"]
    missing = [c for c in ("customer", UNIT, PERIOD, "amount") if c not in purchases.columns]
    if missing:
        raise ValueError(f"purchases lacks columns {missing}.")
    _check_numeric(purchases, "amount")
    if purchases.empty:
        return pd.DataFrame(columns=[*columns, "buyers"])
    frame = purchases.groupby(["customer", UNIT, PERIOD], as_index=False)["amount"].sum()
    revenue = frame.groupby([UNIT, PERIOD])["amount"].sum().rename("revenue").reset_index()
    previous = revenue.assign(period=revenue[PERIOD] + 1).rename(
        columns={"revenue": "previous_revenue"}
    )
    revenue = revenue.merge(previous, on=[UNIT, PERIOD], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = revenue["revenue"] / revenue["previous_revenue"]
        revenue["revenue_growth"] = np.where(ratio > 0, 100 * (ratio**12 - 1), np.nan)

    buyers = frame[["customer", UNIT, PERIOD]].drop_duplicates()
    again = buyers.merge(buyers.assign(period=buyers[PERIOD] + 1), on=["customer", UNIT, PERIOD])
    base = buyers.groupby([UNIT, PERIOD]).size().rename("buyers").reset_index()
    base[PERIOD] = base[PERIOD] + 1
    repeat = again.groupby([UNIT, PERIOD]).size().rename("repeaters").reset_index()
    repeat = base.merge(repeat, on=[UNIT, PERIOD], how="left").fillna({"repeaters": 0})
    # One previous buyer makes no rate (and no standard error).
    repeat = repeat[repeat["buyers"] >= 2]
    rate = repeat["repeaters"] / repeat["buyers"]
    repeat = repeat.assign(
        repeat_rate=rate, repeat_rate_se=np.sqrt(rate * (1 - rate) / (repeat["buyers"] - 1))
    )
    out = revenue.merge(
        repeat[[UNIT, PERIOD, "repeat_rate", "repeat_rate_se", "buyers"]],
        on=[UNIT, PERIOD],
        how="left",
    )
    return out[[*columns, "buyers"]]


def _demean(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns] - frame.groupby(UNIT)[columns].transform("mean")


def _partialled(cross: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sxx, Sxy, Syy after partialling out the nuisance regressors (batched).

    ``cross[..., :, :]`` is the cross-product matrix of ``[x, y, Z...]``; the Schur
    complement of the ``Z`` block is the cross-product of the residuals on ``Z``
    (Frisch–Waugh–Lovell).
    """
    head = cross[..., :2, :2]
    if cross.shape[-1] == 2:
        return head[..., 0, 0], head[..., 0, 1], head[..., 1, 1]
    zz = cross[..., 2:, 2:]
    zh = cross[..., 2:, :2]
    with np.errstate(all="ignore"):
        try:
            solved = np.linalg.solve(zz, zh)
        except np.linalg.LinAlgError:  # a replicate without some period: min-norm projection
            solved = np.linalg.pinv(zz) @ zh
    reduced = head - np.swapaxes(zh, -1, -2) @ solved
    return reduced[..., 0, 0], reduced[..., 0, 1], reduced[..., 1, 1]


def _corrected_slope(cross: np.ndarray, omega, n_obs) -> tuple[np.ndarray, np.ndarray]:
    """Errors-in-variables slope and its denominator H (batched; see the module docstring)."""
    sxx, sxy, syy = _partialled(cross)
    omega = np.asarray(omega, dtype="float64")
    n_obs = np.asarray(n_obs, dtype="float64")
    with np.errstate(all="ignore"):
        floor = sxy**2 / syy + omega / np.maximum(n_obs - 1, 1)
        ratio = (sxx - sxy**2 / syy) / omega
        modified = (omega > 0) & (ratio < 1 + 1 / np.maximum(n_obs - 1, 1))
        h = np.where(modified, floor, sxx - omega)
        return sxy / h, h


class _Path:
    """One path's within-transformed rows, reduced to per-unit sums the bootstrap reuses."""

    def __init__(self, frame: pd.DataFrame, outcome: str, x: str, nuisance: list[str], units):
        self.frame, self.outcome, self.x, self.nuisance = frame, outcome, x, nuisance
        columns = [x, outcome, *nuisance]
        design = frame[columns].to_numpy(dtype="float64")
        self.code = units.get_indexer(frame[UNIT])
        self.cross = group_cross_products(design, self.code, len(units))
        self.rows = np.bincount(self.code, minlength=len(units)).astype("float64")
        self.omega = np.zeros(len(units))
        variance = frame[_ERROR_VARIANCE].to_numpy(dtype="float64")
        if variance.any():
            np.add.at(self.omega, self.code, variance * self._annihilator_diagonal(design))
        self.design = design

    def _annihilator_diagonal(self, design: np.ndarray) -> np.ndarray:
        """M_ii of the unit effects, period effects and controls: 1 − 1/T_u − h̃_i."""
        t_unit = self.frame.groupby(UNIT)[UNIT].transform("size").to_numpy(dtype="float64")
        z = design[:, 2:]
        leverage = np.zeros(len(design))
        if z.shape[1]:
            leverage = np.einsum("ij,ij->i", z @ np.linalg.pinv(z.T @ z), z)
        return np.clip(1 - 1 / t_unit - leverage, 0.0, 1.0)

    @property
    def n_obs(self) -> int:
        return len(self.frame)

    @property
    def n_groups(self) -> int:
        return int((self.rows > 0).sum())

    def slope(self, counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Slope and H on the sample (counts=None) or on count-weighted unit replicates."""
        if counts is None:
            return _corrected_slope(self.cross.sum(axis=0), self.omega.sum(), self.n_obs)
        cross = replicate_sums(counts, self.cross)
        return _corrected_slope(cross, counts @ self.omega, counts @ self.rows)

    def wald(self) -> tuple[float, float, float]:
        """Slope, cluster-robust sandwich SE and t(G − 1) p-value of the estimating equation."""
        slope, h = (float(v) for v in self.slope())
        x, y, z = self.design[:, 0], self.design[:, 1], self.design[:, 2:]
        if z.shape[1]:
            coefficients = np.linalg.lstsq(z, np.column_stack([x, y]), rcond=None)[0]
            x = x - z @ coefficients[:, 0]
            y = y - z @ coefficients[:, 1]
        score = np.zeros(len(self.rows))
        np.add.at(score, self.code, x * (y - slope * x))
        score += self.omega * slope
        n, g, k = self.n_obs, self.n_groups, 1 + z.shape[1]
        factor = g / (g - 1) * (n - 1) / (n - k)
        se = math.sqrt(factor * float(score @ score)) / abs(h)
        p_value = float(2 * stats.t.sf(abs(slope / se), df=g - 1)) if se > 0 else 0.0
        return slope, se, p_value


class ServiceProfitChain:
    """Fixed-effects path model of the service-profit chain, corrected for survey error.

    Parameters
    ----------
    lags : int, default 1
        Periods between EX and the CX it is linked to (``ex[t − lags] → cx[t]``).
    n_bootstrap : int, default 1000
        Unit-block bootstrap replicates, the one source of every interval, p-value and
        standard error; 0 uses cluster-robust Wald inference (and the delta method for the
        indirect effect) for all of them instead.
    ci : float, default 0.95
        Confidence level.
    random_state : int or numpy Generator, optional
        Seed of the bootstrap.
    controls : sequence of str, default ()
        Extra panel columns added as regressors to every path (e.g. ``"footfall"``),
        taken as measured without error.
    time_effects : bool, default True
        Period fixed effects in every path (two-way fixed effects); False for unit
        effects only.
    measurement_error : {"correct", "ignore"}, default "correct"
        Correct each path's regressor for the sampling error given in its ``<name>_se``
        column (``ex_se``: standard error of each unit-period EX mean), or ignore it.
        Without such a column the regressor is taken as exact either way.

    Attributes
    ----------
    effects_ : DataFrame
        Columns ``path, estimate, lower, upper, p_value``; one row per path plus
        ``"ex→revenue_growth (indirect)"``, all from one inference method.
    reliability_ : Series
        By path: the share of the regressor's variation, after the fixed effects, that is
        signal (``H / Sxx``; 1 where nothing was corrected).
    results_ : dict[str, statsmodels RegressionResults]
        The *uncorrected* within (demeaned) least-squares regressions with cluster-robust
        covariance, by path (the corrected slopes are in ``effects_``).
    bootstrap_ : DataFrame or None
        Bootstrap replicates of the four effects.
    n_units_ : int
        Units in the panel.
    n_obs_ : Series
        Unit-periods used by each path.

    Examples
    --------
    >>> from servicechain.simulate import simulate_chain_panel
    >>> panel, truth = simulate_chain_panel(n_units=100, n_periods=12, seed=1, respondents=12)
    >>> chain = ServiceProfitChain(n_bootstrap=200, random_state=0).fit(panel)
    >>> chain.effects_["path"].tolist()[-1]
    'ex→revenue_growth (indirect)'
    """

    def __init__(
        self,
        lags: int = 1,
        n_bootstrap: int = 1000,
        ci: float = 0.95,
        random_state=None,
        controls=(),
        time_effects: bool = True,
        measurement_error: str = "correct",
    ):
        self.lags = lags
        self.n_bootstrap = n_bootstrap
        self.ci = ci
        self.random_state = random_state
        self.controls = controls
        self.time_effects = time_effects
        self.measurement_error = measurement_error

    # -- data ------------------------------------------------------------------------------

    def _validate(self, panel: pd.DataFrame) -> list[str]:
        if not isinstance(self.lags, int | np.integer) or self.lags < 0:
            raise ValueError(f"lags must be a whole number of periods >= 0; got {self.lags!r}.")
        if not 0 < self.ci < 1:
            raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95); got {self.ci!r}.")
        if int(self.n_bootstrap) < 0:
            raise ValueError(f"n_bootstrap must be >= 0; got {self.n_bootstrap!r}.")
        if self.measurement_error not in MEASUREMENT_ERROR:
            raise ValueError(
                f"measurement_error must be one of {MEASUREMENT_ERROR}; "
                f"got {self.measurement_error!r}."
            )
        controls = list(self.controls)
        required = [UNIT, PERIOD, "ex", "cx", "repeat_rate", "revenue_growth", *controls]
        missing = [c for c in required if c not in panel.columns]
        if missing:
            raise ValueError(f"The panel lacks columns {missing}; it needs {required}.")
        for column in [*required[2:], *self._error_columns(panel).values()]:
            _check_numeric(panel, column)
        for regressor, column in self._error_columns(panel).items():
            values, se = panel[regressor], panel[column]
            if (se < 0).any():
                raise ValueError(f"Column {column!r} has a negative standard error.")
            lacking = values.notna() & se.isna()
            if lacking.any():
                raise ValueError(
                    f"Column {column!r} is missing where {regressor!r} has a value "
                    f"({_first_row(panel, lacking)}); give every {regressor} its standard "
                    f"error, or fit with measurement_error='ignore'."
                )
        repeated = panel.duplicated([UNIT, PERIOD])
        if repeated.any():
            unit, period = panel.loc[repeated, UNIT].iloc[0], panel.loc[repeated, PERIOD].iloc[0]
            raise ValueError(f"The panel has more than one row for unit {unit}, period {period}.")
        return controls

    def _error_columns(self, panel: pd.DataFrame) -> dict[str, str]:
        """Regressor -> its standard-error column, for the regressors to correct."""
        if self.measurement_error != "correct":
            return {}
        return {
            regressor: f"{regressor}_se"
            for _, _, regressor in PATHS
            if f"{regressor}_se" in panel.columns
        }

    def _with_lagged_ex(self, panel: pd.DataFrame, errors: dict[str, str]) -> pd.DataFrame:
        """Attach ex[t − lags] (and its error variance) by period value, so gaps stay gaps."""
        lagged = panel[[UNIT, PERIOD, "ex"]].rename(columns={"ex": _LAGGED_EX})
        if "ex" in errors:
            lagged[f"{_LAGGED_EX}_se"] = panel[errors["ex"]]
        lagged[PERIOD] = lagged[PERIOD] + self.lags
        return panel.merge(lagged, on=[UNIT, PERIOD], how="left")

    def _path_frame(
        self, data: pd.DataFrame, outcome: str, x: str, se: str | None, controls: list[str]
    ) -> tuple[pd.DataFrame, list[str]]:
        """The path's rows demeaned within unit, and its nuisance regressors (controls,
        then period dummies); the error variance of ``x`` rides along undemeaned."""
        frame = data[[UNIT, PERIOD, outcome, x, *controls]].dropna()
        variance = data.loc[frame.index, se] ** 2 if se else pd.Series(0.0, index=frame.index)
        nuisance = list(controls)
        if self.time_effects:
            periods = np.sort(pd.unique(frame[PERIOD]))
            dummies = pd.DataFrame(
                {
                    f"{PERIOD}={p}": (frame[PERIOD].to_numpy() == p).astype(float)
                    for p in periods[1:]  # the first period is the reference
                },
                index=frame.index,
            )
            frame = pd.concat([frame, dummies], axis=1)
            nuisance += list(dummies.columns)
        within = _demean(frame, [outcome, x, *nuisance])
        within[UNIT] = frame[UNIT].to_numpy()
        within[_ERROR_VARIANCE] = variance.to_numpy(dtype="float64")
        return within, nuisance

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, panel: pd.DataFrame) -> ServiceProfitChain:
        """Estimate the three paths and the indirect effect.

        Parameters
        ----------
        panel : DataFrame
            One row per unit and period: ``unit``, ``period`` (integers, consecutive
            periods differ by 1), ``ex``, ``cx``, ``repeat_rate``, ``revenue_growth``, any
            ``controls``, and optionally ``ex_se`` (and ``cx_se``, ``repeat_rate_se``): the
            standard error of each survey mean. Rows with missing values are dropped per
            path.

        Returns
        -------
        self
        """
        import statsmodels.api as sm

        controls = self._validate(panel)
        errors = self._error_columns(panel)
        data = self._with_lagged_ex(panel, errors)
        units = pd.Index(pd.unique(data[UNIT]))

        results, paths = {}, {}
        for name, outcome, regressor in PATHS:
            x = _LAGGED_EX if regressor == "ex" else regressor
            se = (
                (f"{_LAGGED_EX}_se" if regressor == "ex" else errors[regressor])
                if (regressor in errors)
                else None
            )
            frame, nuisance = self._path_frame(data, outcome, x, se, controls)
            n_groups = frame[UNIT].nunique()
            if n_groups < 2 or len(frame) <= n_groups + 1 + len(nuisance):
                raise ValueError(
                    f"Path {name}: {len(frame)} usable unit-periods in {n_groups} units is too few "
                    "for a fixed-effects regression (need several periods per unit and >= 2 units)."
                )
            exog = frame[[x, *nuisance]].rename(columns={_LAGGED_EX: f"ex_lag{self.lags}"})
            model = sm.OLS(frame[outcome], exog)
            # Unit effects absorbed by demeaning; period effects are among the regressors.
            model.df_resid = len(frame) - exog.shape[1] - n_groups
            results[name] = model.fit(
                cov_type="cluster", cov_kwds={"groups": frame[UNIT].to_numpy()}, use_t=True
            )
            paths[name] = _Path(frame, outcome, x, nuisance, units)

        self.results_ = results
        self.n_units_ = len(units)
        self.n_obs_ = pd.Series({name: p.n_obs for name, p in paths.items()}, name="n_obs")
        self.reliability_ = pd.Series(
            {name: _reliability(p) for name, p in paths.items()}, name="reliability"
        )
        self._paths = paths
        self.bootstrap_ = self._bootstrap(paths, units)
        self.effects_ = self._effects()
        return self

    def _bootstrap(self, paths: dict[str, _Path], units: pd.Index) -> pd.DataFrame | None:
        n_rep = int(self.n_bootstrap)
        if n_rep == 0:
            return None
        rng = np.random.default_rng(self.random_state)
        # counts[b, u]: how many times unit u is drawn in replicate b
        counts = block_counts(rng, len(units), n_rep)
        draws = pd.DataFrame({name: path.slope(counts)[0] for name, path in paths.items()})
        draws[INDIRECT] = draws[[p[0] for p in PATHS]].prod(axis=1)
        return draws

    def _wald(self) -> tuple[pd.Series, pd.Series, pd.Series]:
        estimate, se, p_value = {}, {}, {}
        for name, path in self._paths.items():
            estimate[name], se[name], p_value[name] = path.wald()
        a, b, c = (estimate[p[0]] for p in PATHS)
        sa, sb, sc = (se[p[0]] for p in PATHS)
        estimate[INDIRECT] = a * b * c
        # Delta method for a product of independently estimated coefficients (Sobel 1982,
        # Sociological Methodology 13), extended to three paths.
        se[INDIRECT] = float(np.sqrt((b * c * sa) ** 2 + (a * c * sb) ** 2 + (a * b * sc) ** 2))
        p_value[INDIRECT] = float(2 * stats.norm.sf(abs(estimate[INDIRECT]) / se[INDIRECT]))
        return pd.Series(estimate), pd.Series(se), pd.Series(p_value)

    def _point(self) -> pd.Series:
        estimate = {name: float(path.slope()[0]) for name, path in self._paths.items()}
        estimate[INDIRECT] = math.prod(estimate[p[0]] for p in PATHS)
        return pd.Series(estimate)

    def _groups(self) -> pd.Series:
        """Units behind each effect (the indirect effect: its thinnest path)."""
        groups = pd.Series({name: path.n_groups for name, path in self._paths.items()})
        groups[INDIRECT] = groups.min()
        return groups

    def _inference(self) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Estimates, standard errors and p-values, all from the one inference method."""
        if self.bootstrap_ is None:
            return self._wald()
        draws = self.bootstrap_
        valid = draws.notna().sum()
        crossing = np.minimum((draws <= 0).sum(), (draws >= 0).sum())
        raw = (2 * crossing / valid).clip(upper=1.0)
        # The p-value is the smallest α whose expanded percentile interval excludes 0.
        groups = self._groups().reindex(draws.columns)
        p_value = {
            name: _expanded_p_value(max(raw[name], 1 / valid[name]), groups[name])
            for name in draws.columns
        }
        return self._point(), draws.std(ddof=1), pd.Series(p_value)

    def _effects(self) -> pd.DataFrame:
        estimate, _, p_value = self._inference()
        limits = self.conf_int()
        return pd.DataFrame(
            {
                "path": estimate.index,
                "estimate": estimate.to_numpy(),
                "lower": limits["lower"].to_numpy(),
                "upper": limits["upper"].to_numpy(),
                "p_value": p_value.reindex(estimate.index).to_numpy(),
            }
        )

    # -- results ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "results_"):
            raise NotFittedError(
                "This ServiceProfitChain is not fitted yet; call fit(panel) before using it."
            )

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Confidence limits of the four effects.

        With the bootstrap, expanded percentile limits: the ⌈Bα'/2⌉-th smallest and
        largest of the B valid replicates, ``α'`` the level that corrects the percentile
        interval's narrowness with G units (see the module docstring); an interval excludes
        0 exactly when the bootstrap p-value is below α. Without it, cluster-robust
        ``t(G−1)`` limits for the paths and delta-method normal limits for the indirect
        effect.

        Parameters
        ----------
        alpha : float, optional
            1 − confidence level; defaults to ``1 − ci``.

        Returns
        -------
        DataFrame
            ``lower``, ``upper``, indexed by path.
        """
        self._check_fitted()
        alpha = 1 - self.ci if alpha is None else alpha
        if self.bootstrap_ is not None:
            rows, groups = {}, self._groups()
            for name, column in self.bootstrap_.items():
                ordered = np.sort(column.dropna().to_numpy())
                tail = _expanded_alpha(alpha, groups[name]) / 2
                k = max(1, math.ceil(len(ordered) * tail - 1e-9))
                rows[name] = (float(ordered[k - 1]), float(ordered[len(ordered) - k]))
            return pd.DataFrame.from_dict(rows, orient="index", columns=["lower", "upper"])
        estimate, se, _ = self._wald()
        rows = {}
        for name, path in self._paths.items():
            half = stats.t.ppf(1 - alpha / 2, df=path.n_groups - 1) * se[name]
            rows[name] = (estimate[name] - half, estimate[name] + half)
        z = stats.norm.ppf(1 - alpha / 2)
        rows[INDIRECT] = (
            estimate[INDIRECT] - z * se[INDIRECT],
            estimate[INDIRECT] + z * se[INDIRECT],
        )
        return pd.DataFrame.from_dict(rows, orient="index", columns=["lower", "upper"])

    def unit_periods_needed(
        self, path: str = PATHS[0][0], effect: float | None = None, power: float = 0.8
    ) -> int:
        """Unit-periods a path would need to detect ``effect`` with the given power.

        A planning figure, not a promise: the standard error shrinks like ``1/√n`` when
        more unit-periods like the present ones are added, so a two-sided test at level
        ``1 − ci`` reaches ``power`` against ``effect`` with
        ``n = n_now · ((z_{1−α/2} + z_power) · se / effect)²`` unit-periods (the normal
        approximation of Cohen 1988, *Statistical Power Analysis for the Behavioral
        Sciences*, 2nd ed., ch. 1).

        Parameters
        ----------
        path : str, default "ex→cx"
            One of the three paths.
        effect : float, optional
            The effect to detect; by default the interval's limit farthest from zero (the
            largest effect the data still allow).
        power : float, default 0.8

        Returns
        -------
        int
        """
        self._check_fitted()
        if path not in self.n_obs_.index:
            raise ValueError(f"path must be one of {list(self.n_obs_.index)}; got {path!r}.")
        if not 0 < power < 1:
            raise ValueError(f"power must be between 0 and 1; got {power!r}.")
        _, se, _ = self._inference()
        if effect is None:
            row = self.effects_.set_index("path").loc[path]
            effect = max(abs(row["lower"]), abs(row["upper"]))
        if effect == 0:
            raise ValueError("An effect of 0 cannot be detected; give a non-zero effect.")
        alpha = 1 - self.ci
        multiplier = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
        return math.ceil(self.n_obs_[path] * (multiplier * se[path] / effect) ** 2)

    def summary(self) -> pd.DataFrame:
        """Effects with standard errors, intervals, p-values, reliabilities and sample sizes.

        ``se`` comes from the same inference method as the intervals (the bootstrap
        standard deviation, or the cluster-robust / delta-method value); ``interval``
        names the method.
        """
        self._check_fitted()
        _, se, _ = self._inference()
        table = self.effects_.set_index("path")
        table.insert(1, "se", se.reindex(table.index))
        table["reliability"] = self.reliability_.reindex(table.index)
        table["n_obs"] = self.n_obs_.reindex(table.index).astype("Int64")
        table["n_units"] = self.n_units_
        table["interval"] = (
            "unit-block bootstrap" if self.bootstrap_ is not None else "cluster-robust"
        )
        return table

    def _repr_html_(self) -> str:
        if not hasattr(self, "results_"):
            return "<p>ServiceProfitChain — not fitted</p>"
        head = (
            f"<p>Service-profit chain: unit{' and period' if self.time_effects else ''} fixed "
            f"effects, measurement error {self.measurement_error}ed, {self.n_units_} units, "
            f"{self.ci:.0%} intervals</p>"
        )
        return head + self.summary().to_html(float_format="{:.4g}".format)

    def __repr__(self) -> str:
        return (
            f"ServiceProfitChain(lags={self.lags}, n_bootstrap={self.n_bootstrap}, ci={self.ci}, "
            f"random_state={self.random_state!r}, controls={tuple(self.controls)!r}, "
            f"time_effects={self.time_effects!r}, "
            f"measurement_error={self.measurement_error!r})"
        )


def _expanded_alpha(alpha: float, groups: int) -> float:
    """The percentile level of Hesterberg's expanded percentile interval, for G units.

    ``α' = 2 Φ(−√(G/(G−1)) · t_{G−1, 1−α/2})``: the plain percentile interval is too
    narrow in small samples (the bootstrap variance divides by G, and normal tails replace
    t tails); expanding it by these two factors gives intervals that hold their level with
    a dozen units and tend to the plain percentile interval as G grows (Hesterberg 2015,
    "What teachers should know about the bootstrap", *The American Statistician* 69(4),
    371–386).
    """
    c = math.sqrt(groups / (groups - 1))
    return float(2 * stats.norm.sf(c * stats.t.ppf(1 - alpha / 2, df=groups - 1)))


def _expanded_p_value(raw: float, groups: int) -> float:
    """The α at which ``_expanded_alpha(α, G)`` equals the percentile p-value ``raw``."""
    c = math.sqrt(groups / (groups - 1))
    return float(2 * stats.t.sf(stats.norm.isf(raw / 2) / c, df=groups - 1))


def _reliability(path: _Path) -> float:
    sxx, _, _ = _partialled(path.cross.sum(axis=0))
    _, h = path.slope()
    return float(h / sxx)


def _check_numeric(panel: pd.DataFrame, column: str) -> None:
    """A clear error for a non-numeric or infinite value, naming the column and the row."""
    if not pd.api.types.is_numeric_dtype(panel[column]):
        raise ValueError(
            f"Column {column!r} is not numeric (dtype {panel[column].dtype}); convert it first."
        )
    infinite = np.isinf(panel[column].to_numpy(dtype="float64", na_value=np.nan))
    if infinite.any():
        raise ValueError(
            f"Column {column!r} has an infinite value ({_first_row(panel, infinite)}); "
            "use a missing value for something that was not measured."
        )


def _first_row(panel: pd.DataFrame, mask) -> str:
    mask = np.asarray(mask, dtype=bool)
    return f"unit {panel[UNIT].to_numpy()[mask][0]}, period {panel[PERIOD].to_numpy()[mask][0]}"
