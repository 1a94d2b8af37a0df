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
  the first, demeaned within unit like every other regressor and estimated with the
  slopes. By Frisch–Waugh–Lovell this is exactly the two-way (unit and period) dummy
  regression, also for unbalanced panels (Wooldridge 2010, §10.5; Baltagi 2021,
  *Econometric Analysis of Panel Data*, 6th ed., §3.3): shocks common to every unit in a
  month — season, promotions, the local economy — move EX and CX together and would
  otherwise pass for the chain.
* **Cluster-robust standard errors by unit** (statsmodels OLS, ``cov_type="cluster"``) with
  small-sample factor ``G/(G−1) · (N−1)/(N−K)`` where ``K`` counts the slopes only: the
  absorbed unit effects are nested within the clusters, so they are not counted (Cameron
  & Miller 2015, "A practitioner's guide to cluster-robust inference", *J. Human
  Resources* 50(2), §III.B; as Stata's ``xtreg, fe vce(cluster)``). Tests use ``t(G−1)``.
  The results' ``df_resid`` is ``N − K − G`` (unit effects counted) for the non-robust
  quantities.
* **Unit-block bootstrap**: units are resampled with replacement (each draw keeps its
  whole history and its own fixed effect), jointly for the three paths, so the percentile
  intervals respect within-unit dependence and the dependence between paths. A
  replicate's slopes need only per-unit within cross-products ``X̃ᵤᵀX̃ᵤ`` and ``X̃ᵤᵀỹᵤ``,
  precomputed once; each replicate is then a count-weighted sum over units and one small
  solve, all replicates at once.

Identification assumes, per path, that the regressor is uncorrelated with the
time-varying error after removing unit effects (no reverse causation within the month
for the contemporaneous paths, no time-varying confounders left out). The lag on EX
guards the first path against customers affecting staff in the same month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import NotFittedError

__all__ = ["PATHS", "ServiceProfitChain"]

UNIT, PERIOD = "unit", "period"
#: (name, outcome, main regressor); the regressor of the first path is lagged EX.
PATHS = (
    ("ex→cx", "cx", "ex"),
    ("cx→repeat_rate", "repeat_rate", "cx"),
    ("repeat_rate→revenue_growth", "revenue_growth", "repeat_rate"),
)
INDIRECT = "ex→revenue_growth (indirect)"
_LAGGED_EX = "ex_lagged"


def _demean(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns] - frame.groupby(UNIT)[columns].transform("mean")


class ServiceProfitChain:
    """Fixed-effects path model of the service-profit chain with block-bootstrap CIs.

    Parameters
    ----------
    lags : int, default 1
        Periods between EX and the CX it is linked to (``ex[t − lags] → cx[t]``).
    n_bootstrap : int, default 1000
        Unit-block bootstrap replicates; 0 uses cluster-robust Wald intervals for the
        paths and the delta method for the indirect effect instead.
    ci : float, default 0.95
        Confidence level.
    random_state : int or numpy Generator, optional
        Seed of the bootstrap.
    controls : sequence of str, default ()
        Extra panel columns added as regressors to every path (e.g. ``"footfall"``).
    time_effects : bool, default True
        Period fixed effects in every path (two-way fixed effects); False for unit
        effects only.

    Attributes
    ----------
    effects_ : DataFrame
        Columns ``path, estimate, lower, upper, p_value``; one row per path plus
        ``"ex→revenue_growth (indirect)"``.
    results_ : dict[str, statsmodels RegressionResults]
        The within (demeaned) regressions with cluster-robust covariance, by path.
    bootstrap_ : DataFrame or None
        Bootstrap replicates of the four effects.
    n_units_ : int
        Units in the panel.
    n_obs_ : Series
        Unit-periods used by each path.

    Examples
    --------
    >>> from servicechain.simulate import simulate_chain_panel
    >>> panel, truth = simulate_chain_panel(n_units=100, n_periods=12, seed=1)
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
    ):
        self.lags = lags
        self.n_bootstrap = n_bootstrap
        self.ci = ci
        self.random_state = random_state
        self.controls = controls
        self.time_effects = time_effects

    # -- data ------------------------------------------------------------------------------

    def _validate(self, panel: pd.DataFrame) -> list[str]:
        if not isinstance(self.lags, int | np.integer) or self.lags < 0:
            raise ValueError(f"lags must be a whole number of periods >= 0; got {self.lags!r}.")
        if not 0 < self.ci < 1:
            raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95); got {self.ci!r}.")
        if int(self.n_bootstrap) < 0:
            raise ValueError(f"n_bootstrap must be >= 0; got {self.n_bootstrap!r}.")
        controls = list(self.controls)
        required = [UNIT, PERIOD, "ex", "cx", "repeat_rate", "revenue_growth", *controls]
        missing = [c for c in required if c not in panel.columns]
        if missing:
            raise ValueError(f"The panel lacks columns {missing}; it needs {required}.")
        repeated = panel.duplicated([UNIT, PERIOD])
        if repeated.any():
            unit, period = panel.loc[repeated, UNIT].iloc[0], panel.loc[repeated, PERIOD].iloc[0]
            raise ValueError(f"The panel has more than one row for unit {unit}, period {period}.")
        return controls

    def _with_lagged_ex(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Attach ex[t − lags] by period value, so gaps in a unit's history stay gaps."""
        lagged = panel[[UNIT, PERIOD, "ex"]].rename(columns={"ex": _LAGGED_EX})
        lagged[PERIOD] = lagged[PERIOD] + self.lags
        return panel.merge(lagged, on=[UNIT, PERIOD], how="left")

    def _path_frame(
        self, data: pd.DataFrame, outcome: str, regressors: list[str]
    ) -> tuple[pd.DataFrame, list[str]]:
        """The path's rows demeaned within unit, and its regressors (period dummies last)."""
        frame = data[[UNIT, PERIOD, outcome, *regressors]].dropna()
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
            regressors = [*regressors, *dummies.columns]
        within = _demean(frame, [outcome, *regressors])
        within[UNIT] = frame[UNIT].to_numpy()
        return within, regressors

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, panel: pd.DataFrame) -> ServiceProfitChain:
        """Estimate the three paths and the indirect effect.

        Parameters
        ----------
        panel : DataFrame
            One row per unit and period: ``unit``, ``period`` (integers, consecutive
            periods differ by 1), ``ex``, ``cx``, ``repeat_rate``, ``revenue_growth`` and
            any ``controls``. Rows with missing values are dropped per path.

        Returns
        -------
        self
        """
        import statsmodels.api as sm

        controls = self._validate(panel)
        data = self._with_lagged_ex(panel)
        units = pd.Index(pd.unique(data[UNIT]))

        results, frames = {}, {}
        for name, outcome, regressor in PATHS:
            x_name = _LAGGED_EX if regressor == "ex" else regressor
            frame, regressors = self._path_frame(data, outcome, [x_name, *controls])
            n_groups = frame[UNIT].nunique()
            if n_groups < 2 or len(frame) <= n_groups + len(regressors):
                raise ValueError(
                    f"Path {name}: {len(frame)} usable unit-periods in {n_groups} units is too few "
                    "for a fixed-effects regression (need several periods per unit and >= 2 units)."
                )
            exog = frame[regressors].rename(columns={_LAGGED_EX: f"ex_lag{self.lags}"})
            model = sm.OLS(frame[outcome], exog)
            # Unit effects absorbed by demeaning; period effects are among the regressors.
            model.df_resid = len(frame) - len(regressors) - n_groups
            results[name] = model.fit(
                cov_type="cluster", cov_kwds={"groups": frame[UNIT].to_numpy()}, use_t=True
            )
            frames[name] = (frame, outcome, regressors)

        self.results_ = results
        self.n_units_ = len(units)
        self.n_obs_ = pd.Series(
            {name: int(res.nobs) for name, res in results.items()}, name="n_obs"
        )
        self.bootstrap_ = self._bootstrap(frames, units)
        self.effects_ = self._effects()
        return self

    def _bootstrap(self, frames: dict, units: pd.Index) -> pd.DataFrame | None:
        n_rep = int(self.n_bootstrap)
        if n_rep == 0:
            return None
        rng = np.random.default_rng(self.random_state)
        # counts[b, u]: how many times unit u is drawn in replicate b
        counts = rng.multinomial(len(units), np.full(len(units), 1.0 / len(units)), size=n_rep)
        slopes = {}
        for name, (frame, outcome, regressors) in frames.items():
            k = len(regressors)
            x = frame[regressors].to_numpy()
            y = frame[outcome].to_numpy()
            products = np.column_stack(
                [np.einsum("ni,nj->nij", x, x).reshape(len(x), k * k), x * y[:, None]]
            )
            code = units.get_indexer(frame[UNIT])
            per_unit = np.zeros((len(units), products.shape[1]))
            np.add.at(per_unit, code, products)
            sums = counts @ per_unit  # (replicates, k² + k)
            xtx = sums[:, : k * k].reshape(n_rep, k, k)
            xty = sums[:, k * k :]
            with np.errstate(all="ignore"):
                try:
                    beta = np.linalg.solve(xtx, xty[..., None])[..., 0]
                except np.linalg.LinAlgError:
                    beta = np.stack(
                        [
                            np.linalg.lstsq(a, b, rcond=None)[0]
                            for a, b in zip(xtx, xty, strict=True)
                        ]
                    )
            slopes[name] = beta[:, 0]
        draws = pd.DataFrame(slopes)
        draws[INDIRECT] = draws[[p[0] for p in PATHS]].prod(axis=1)
        return draws

    def _point_and_se(self) -> tuple[pd.Series, pd.Series, pd.Series]:
        estimate, se, p_value = {}, {}, {}
        for name, res in self.results_.items():
            estimate[name] = float(res.params.iloc[0])
            se[name] = float(res.bse.iloc[0])
            p_value[name] = float(res.pvalues.iloc[0])
        a, b, c = (estimate[p[0]] for p in PATHS)
        sa, sb, sc = (se[p[0]] for p in PATHS)
        estimate[INDIRECT] = a * b * c
        # Delta method for a product of independently estimated coefficients (Sobel 1982,
        # Sociological Methodology 13), extended to three paths.
        se[INDIRECT] = float(np.sqrt((b * c * sa) ** 2 + (a * c * sb) ** 2 + (a * b * sc) ** 2))
        if self.bootstrap_ is not None:
            draws = self.bootstrap_[INDIRECT].dropna().to_numpy()
            # Two-sided bootstrap p-value for "no indirect effect" (Davison & Hinkley 1997, §4.4).
            below = (1 + np.sum(draws <= 0)) / (len(draws) + 1)
            above = (1 + np.sum(draws >= 0)) / (len(draws) + 1)
            p_value[INDIRECT] = float(min(1.0, 2 * min(below, above)))
        else:
            p_value[INDIRECT] = float(2 * stats.norm.sf(abs(estimate[INDIRECT]) / se[INDIRECT]))
        return pd.Series(estimate), pd.Series(se), pd.Series(p_value)

    def _effects(self) -> pd.DataFrame:
        estimate, _, p_value = self._point_and_se()
        limits = self.conf_int()
        table = pd.DataFrame(
            {
                "path": estimate.index,
                "estimate": estimate.to_numpy(),
                "lower": limits["lower"].to_numpy(),
                "upper": limits["upper"].to_numpy(),
                "p_value": p_value.to_numpy(),
            }
        )
        return table

    # -- results ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "results_"):
            raise NotFittedError(
                "This ServiceProfitChain is not fitted yet; call fit(panel) before using it."
            )

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Confidence limits of the four effects.

        Percentile unit-block bootstrap limits when ``n_bootstrap > 0``; otherwise
        cluster-robust ``t(G−1)`` limits for the paths and delta-method normal limits
        for the indirect effect.

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
            limits = self.bootstrap_.quantile([alpha / 2, 1 - alpha / 2]).T
            limits.columns = ["lower", "upper"]
            return limits
        estimate, se, _ = self._point_and_se()
        rows = {}
        for name, res in self.results_.items():
            low, high = res.conf_int(alpha=alpha).iloc[0]
            rows[name] = (float(low), float(high))
        z = stats.norm.ppf(1 - alpha / 2)
        rows[INDIRECT] = (
            estimate[INDIRECT] - z * se[INDIRECT],
            estimate[INDIRECT] + z * se[INDIRECT],
        )
        return pd.DataFrame.from_dict(rows, orient="index", columns=["lower", "upper"])

    def summary(self) -> pd.DataFrame:
        """Effects with standard errors, intervals, p-values and sample sizes.

        ``se`` is cluster-robust for the paths and the delta-method value for the indirect
        effect; ``interval`` names how ``lower``/``upper`` were obtained.
        """
        self._check_fitted()
        _, se, _ = self._point_and_se()
        table = self.effects_.set_index("path")
        table.insert(1, "se", se)
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
            f"effects, {self.n_units_} units, "
            f"{self.ci:.0%} intervals</p>"
        )
        return head + self.summary().to_html(float_format="{:.4g}".format)

    def __repr__(self) -> str:
        return (
            f"ServiceProfitChain(lags={self.lags}, n_bootstrap={self.n_bootstrap}, ci={self.ci}, "
            f"random_state={self.random_state!r}, controls={tuple(self.controls)!r}, "
            f"time_effects={self.time_effects!r})"
        )
