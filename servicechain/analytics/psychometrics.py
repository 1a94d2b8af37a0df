"""Reliability and validity of survey scales: alpha, omega, item–total, CFA.

Items are the columns of a DataFrame (one row per respondent). Reverse-keyed items must
be recoded before calling these functions. Rows with any missing item are dropped
(listwise deletion), as in R's ``psych::alpha(use="complete.obs")``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CFAResult", "cfa", "cronbach_alpha", "item_total", "mcdonald_omega"]


def _complete_items(items: pd.DataFrame, *, min_items: int = 2) -> pd.DataFrame:
    """The complete rows of the items, or one clear error naming the item at fault."""
    raw = pd.DataFrame(items)
    frame = raw.apply(pd.to_numeric, errors="coerce")
    for column in frame.columns:
        text = frame[column].isna() & raw[column].notna()
        if text.any():
            value = raw[column][text].iloc[0]
            raise ValueError(f"Item {column!r} has an answer that is not a number: {value!r}.")
        if np.isinf(frame[column].to_numpy(dtype="float64")).any():
            raise ValueError(f"Item {column!r} has an infinite value; answers must be finite.")
    frame = frame.dropna()
    if frame.shape[1] < min_items:
        raise ValueError(
            f"A scale needs at least {min_items} items (columns); got {frame.shape[1]}."
        )
    if len(frame) < 3:
        raise ValueError(
            f"Only {len(frame)} respondents answered every item; reliability needs at least 3."
        )
    spread = frame.std(ddof=0)
    if (spread == 0).any():
        column = spread.index[spread == 0][0]
        raise ValueError(
            f"Item {column!r} has the same answer ({frame[column].iloc[0]:g}) from every "
            "respondent, so it carries no information about the scale and alpha and omega "
            "are undefined; leave it out of the scale."
        )
    return frame


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's coefficient alpha.

    ``α = k/(k−1) · (1 − Σ s²_i / s²_X)`` with ``s²_i`` the item variances and ``s²_X``
    the variance of the sum score (Cronbach 1951, "Coefficient alpha and the internal
    structure of tests", *Psychometrika* 16(3), 297–334). It equals the reliability when
    items are essentially tau-equivalent and underestimates it when one factor has unequal
    loadings — see :func:`mcdonald_omega`, which need not exceed it on real data.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent. Incomplete rows are dropped.

    Returns
    -------
    float
        Alpha (≤ 1; negative when items correlate negatively on average).
    """
    x = _complete_items(items).to_numpy(dtype="float64")
    k = x.shape[1]
    item_variance = x.var(axis=0, ddof=1).sum()
    total_variance = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_variance / total_variance))


def _one_factor(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood one-factor loadings and unique variances (covariance scale)."""
    from sklearn.decomposition import FactorAnalysis

    # A tight tolerance: sklearn's default (1e-2 on the log-likelihood) stops early.
    model = FactorAnalysis(n_components=1, tol=1e-10, max_iter=100_000, svd_method="lapack")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x)
    return model.components_[0], model.noise_variance_


def mcdonald_omega(items: pd.DataFrame) -> float:
    """McDonald's omega (total) from a one-factor model.

    Fits the one-factor model ``x_i = λ_i F + e_i`` by maximum likelihood and returns
    ``ω = (Σλ_i)² / ((Σλ_i)² + Σθ_i)``, ``θ_i = Var(e_i)``: the share of the sum score's
    variance due to the common factor (McDonald 1999, *Test Theory: A Unified Treatment*,
    Erlbaum, ch. 6). Loadings are on the items' own (covariance) scale, so omega refers
    to the raw sum score, like alpha. Unlike alpha it does not assume equal loadings. It is
    not always the larger: when the items measure more than one factor, the one-factor
    omega counts only the general factor and can fall below alpha (the nine
    Holzinger–Swineford items: omega 0.738, alpha 0.760).

    Parameters
    ----------
    items : DataFrame
        One column per item (at least 3), one row per respondent; incomplete rows are
        dropped.

    Returns
    -------
    float
        Omega in [0, 1].
    """
    x = _complete_items(items, min_items=3).to_numpy(dtype="float64")
    loadings, uniqueness = _one_factor(x)
    common = loadings.sum() ** 2
    return float(common / (common + uniqueness.sum()))


def item_total(items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item–total correlations and alpha-if-item-deleted.

    The corrected item–total correlation of item ``i`` is its Pearson correlation with
    the sum of the *other* items (so the item does not correlate with itself; Nunnally &
    Bernstein 1994, *Psychometric Theory*, 3rd ed., ch. 8). Alpha-if-deleted is
    :func:`cronbach_alpha` of the remaining items. Items with a low corrected
    correlation (below about 0.3) and a higher alpha-if-deleted than the scale's alpha
    are candidates for revision.

    Parameters
    ----------
    items : DataFrame
        One column per item (at least 3), one row per respondent.

    Returns
    -------
    DataFrame
        Indexed by item, columns ``mean``, ``sd``, ``corrected_item_total``,
        ``alpha_if_deleted``.
    """
    frame = _complete_items(items, min_items=3)
    total = frame.sum(axis=1)
    rows = {}
    for item in frame.columns:
        rest = frame.drop(columns=item)
        rows[item] = {
            "mean": frame[item].mean(),
            "sd": frame[item].std(ddof=1),
            "corrected_item_total": float(np.corrcoef(frame[item], total - frame[item])[0, 1]),
            "alpha_if_deleted": cronbach_alpha(rest),
        }
    result = pd.DataFrame.from_dict(rows, orient="index")
    result.index.name = "item"
    return result


# ----------------------------------------------------------------------------- CFA


@dataclass(frozen=True)
class CFAResult:
    """A fitted confirmatory factor analysis.

    Attributes
    ----------
    loadings : DataFrame
        Indexed by (``scale``, ``item``): ``estimate`` (unstandardised; the first item of
        each scale is the marker fixed at 1), ``se``, ``p_value``, ``std_estimate``
        (standardised loading, the usual one to read: ≥ 0.5 is conventionally adequate).
    factor_correlations : DataFrame
        Correlations between the latent scales.
    fit : Series
        ``chi2``, ``dof``, ``p_value``, ``cfi``, ``tli``, ``rmsea``, ``n``.
    """

    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    fit: pd.Series

    @property
    def cfi(self) -> float:
        """Comparative fit index (Bentler 1990); ≥ 0.95 suggests good fit (Hu & Bentler 1999)."""
        return float(self.fit["cfi"])

    @property
    def tli(self) -> float:
        """Tucker–Lewis index; ≥ 0.95 suggests good fit (Hu & Bentler 1999)."""
        return float(self.fit["tli"])

    @property
    def rmsea(self) -> float:
        """Root mean square error of approximation; ≤ 0.06 suggests good fit (Hu & Bentler 1999)."""
        return float(self.fit["rmsea"])

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals of the unstandardised loadings (NaN for markers)."""
        z = stats.norm.ppf(1 - alpha / 2)
        est, se = self.loadings["estimate"], self.loadings["se"]
        return pd.DataFrame({"lower": est - z * se, "upper": est + z * se})

    def summary(self) -> pd.DataFrame:
        """Loadings with their confidence intervals."""
        return self.loadings.join(self.conf_int())

    def _repr_html_(self) -> str:
        fit = (
            f"<p>CFA on n = {int(self.fit['n'])}: χ²({int(self.fit['dof'])}) = "
            f"{self.fit['chi2']:.2f}, CFI = {self.cfi:.3f}, TLI = {self.tli:.3f}, "
            f"RMSEA = {self.rmsea:.3f}</p>"
        )
        return fit + self.summary().to_html(float_format="{:.3f}".format)


def _safe_names(names, prefix: str) -> dict:
    """semopy's model syntax needs identifiers; map arbitrary names to safe ones."""
    return {name: f"{prefix}{i}" for i, name in enumerate(names)}


def cfa(data: pd.DataFrame, model: dict[str, list[str]]) -> CFAResult:
    """Confirmatory factor analysis of survey scales (maximum likelihood, via semopy).

    Each scale is a latent factor measured by its items; factors may correlate; each
    item loads on one factor only. Estimated by maximum likelihood with semopy
    (Igolkina & Meshcheryakov 2020, "semopy: A Python package for structural equation
    modeling", *Structural Equation Modeling* 27(6), 952–963). Fit indices follow Hu &
    Bentler (1999), *Structural Equation Modeling* 6(1), 1–55.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one column per item; incomplete rows are dropped.
    model : dict
        ``{scale: [item, ...]}``; each scale needs at least 2 items (3 to be identified
        on its own).

    Returns
    -------
    CFAResult
    """
    import semopy

    items = [item for scale_items in model.values() for item in scale_items]
    missing = [item for item in items if item not in data.columns]
    if missing:
        raise ValueError(f"Items {missing} are not columns of the data.")
    if any(len(scale_items) < 2 for scale_items in model.values()):
        raise ValueError("Every scale in a CFA needs at least 2 items.")
    item_names = _safe_names(dict.fromkeys(items), "i")
    scale_names = _safe_names(model, "f")
    frame = data[list(item_names)].apply(pd.to_numeric, errors="coerce").dropna()
    frame = frame.rename(columns=item_names)
    description = "\n".join(
        f"{scale_names[scale]} =~ " + " + ".join(item_names[i] for i in scale_items)
        for scale, scale_items in model.items()
    )
    sem = semopy.Model(description)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sem.fit(frame)
        table = sem.inspect(std_est=True)
        fit = semopy.calc_stats(sem).iloc[0]

    scale_of = {v: k for k, v in scale_names.items()}
    item_of = {v: k for k, v in item_names.items()}
    measured = table[(table["op"] == "~") & table["rval"].isin(scale_of)]
    loadings = pd.DataFrame(
        {
            "scale": measured["rval"].map(scale_of).to_numpy(),
            "item": measured["lval"].map(item_of).to_numpy(),
            "estimate": measured["Estimate"].astype(float).to_numpy(),
            "se": pd.to_numeric(measured["Std. Err"], errors="coerce").to_numpy(),
            "p_value": pd.to_numeric(measured["p-value"], errors="coerce").to_numpy(),
            "std_estimate": measured["Est. Std"].astype(float).to_numpy(),
        }
    ).set_index(["scale", "item"])

    latent = table[
        (table["op"] == "~~") & table["lval"].isin(scale_of) & table["rval"].isin(scale_of)
    ]
    scales = list(model)
    correlations = pd.DataFrame(np.eye(len(scales)), index=scales, columns=scales)
    for _, row in latent.iterrows():
        a, b = scale_of[row["lval"]], scale_of[row["rval"]]
        correlations.loc[a, b] = correlations.loc[b, a] = float(row["Est. Std"])

    summary = pd.Series(
        {
            "chi2": float(fit["chi2"]),
            "dof": float(fit["DoF"]),
            "p_value": float(fit["chi2 p-value"]),
            "cfi": float(fit["CFI"]),
            "tli": float(fit["TLI"]),
            "rmsea": float(fit["RMSEA"]),
            "n": float(len(frame)),
        }
    )
    return CFAResult(loadings, correlations, summary)
