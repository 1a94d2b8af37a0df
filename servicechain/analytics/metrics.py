"""Survey and customer metrics, each returned with its uncertainty and its n.

Every function ignores missing values (NaN/None) and reports ``n``, the number of
responses actually used. With survey ``weights`` the point estimate is weighted and the
interval uses Kish's effective sample size ``n_eff = (Σw)² / Σw²`` (Kish 1965, *Survey
Sampling*, Wiley, §11.7), which is what the design effect of unequal weighting leaves.

Metrics are computed on whatever rows they are given: whether a group is large enough
to be *shown* is decided separately by :mod:`servicechain.analytics.anonymity`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

__all__ = [
    "Estimate",
    "csat",
    "enps",
    "mean_ci",
    "nps",
    "nps_difference",
    "top_box",
]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval and the n behind it.

    Attributes
    ----------
    value : float
        The estimate (NaN when there is no data).
    lower, upper : float
        Confidence limits at level ``ci``.
    n : int
        Number of responses used (after dropping missing values).
    se : float, optional
        Standard error on the scale of ``value``.
    ci : float
        Confidence level of ``lower``/``upper``.
    """

    value: float
    lower: float
    upper: float
    n: int
    se: float | None = None
    ci: float = 0.95

    def __repr__(self) -> str:
        return (
            f"Estimate(value={self.value:.4g}, {self.ci:.0%} CI [{self.lower:.4g}, "
            f"{self.upper:.4g}], n={self.n})"
        )

    def as_dict(self) -> dict:
        """The fields as a plain dict (for JSON or a DataFrame row)."""
        return asdict(self)


def _z(ci: float) -> float:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a confidence level between 0 and 1 (e.g. 0.95), got {ci!r}.")
    return float(stats.norm.ppf(0.5 + ci / 2))


def _clean(values: Iterable, weights: Iterable | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Drop missing values (and rows with a missing weight); validate weights."""
    x = np.asarray(values, dtype="float64").ravel()
    if weights is None:
        return x[~np.isnan(x)], None
    w = np.asarray(weights, dtype="float64").ravel()
    if w.shape != x.shape:
        raise ValueError(f"weights has {w.size} values but scores has {x.size}; they must align.")
    keep = ~np.isnan(x) & ~np.isnan(w)
    x, w = x[keep], w[keep]
    if (w < 0).any():
        raise ValueError("Survey weights must be non-negative.")
    return x, w


def _effective_n(w: np.ndarray | None, n: int) -> float:
    """Kish's effective sample size; plain n without weights."""
    if w is None:
        return float(n)
    total = w.sum()
    return float(total**2 / (w**2).sum()) if total > 0 else 0.0


def _share(mask: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:
        return float(mask.mean())
    return float(w[mask].sum() / w.sum())


def _empty(ci: float) -> Estimate:
    return Estimate(math.nan, math.nan, math.nan, 0, math.nan, ci)


def nps(scores: Iterable, ci: float = 0.95, weights: Iterable | None = None) -> Estimate:
    """Net Promoter Score with a confidence interval.

    ``NPS = 100 · (p_P − p_D)`` where promoters answer 9–10 and detractors 0–6 on the
    0–10 "how likely are you to recommend" scale (Reichheld 2003, "The one number you
    need to grow", *Harvard Business Review* 81(12)).

    The interval is the Wald interval of a difference of two multinomial proportions:
    ``Var(p_P − p_D) = (p_P + p_D − (p_P − p_D)²) / n`` (Rocks 2016, "Interval estimation
    for the 'net promoter score'", *The American Statistician* 70(4), 365–372), clipped to
    [−100, 100]. With weights, ``n`` is Kish's effective n.

    Parameters
    ----------
    scores : array-like
        Answers on the 0–10 scale; NaN/None are ignored.
    ci : float, default 0.95
        Confidence level.
    weights : array-like, optional
        Survey weights aligned with ``scores``.

    Returns
    -------
    Estimate
        ``value`` in −100…100, ``se`` in NPS points, ``n`` = answers used.
    """
    z = _z(ci)
    x, w = _clean(scores, weights)
    if x.size == 0:
        return _empty(ci)
    if ((x < 0) | (x > 10)).any():
        bad = x[(x < 0) | (x > 10)][0]
        raise ValueError(f"NPS answers must lie on the 0–10 scale; found {bad:g}.")
    p_promoter = _share(x >= 9, w)
    p_detractor = _share(x <= 6, w)
    n_eff = _effective_n(w, x.size)
    diff = p_promoter - p_detractor
    variance = max(p_promoter + p_detractor - diff**2, 0.0) / n_eff if n_eff > 0 else math.nan
    se = 100 * math.sqrt(variance)
    value = 100 * diff
    return Estimate(value, max(value - z * se, -100.0), min(value + z * se, 100.0), x.size, se, ci)


#: Employee NPS is NPS asked of employees ("recommend as a place to work").
enps = nps


def nps_difference(a: Iterable | Estimate, b: Iterable | Estimate, ci: float = 0.95) -> Estimate:
    """Difference between two independent NPS values, ``NPS(a) − NPS(b)``, with a CI.

    ``se = sqrt(se_a² + se_b²)`` (independent samples; Rocks 2016), Wald interval.

    Parameters
    ----------
    a, b : array-like or Estimate
        Scores of two independent groups, or :func:`nps` results (which carry ``se``).
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    Estimate
        ``value`` in −200…200; ``n`` is the total number of answers used.
    """
    z = _z(ci)
    ea = a if isinstance(a, Estimate) else nps(a, ci=ci)
    eb = b if isinstance(b, Estimate) else nps(b, ci=ci)
    value = ea.value - eb.value
    se = math.sqrt(ea.se**2 + eb.se**2)
    return Estimate(value, value - z * se, value + z * se, ea.n + eb.n, se, ci)


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927, *JASA* 22(158), 209–212)."""
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def top_box(
    scores: Iterable, top: Iterable = (4, 5), ci: float = 0.95, weights: Iterable | None = None
) -> Estimate:
    """Percentage of answers in the top box(es), with a Wilson score interval.

    ``value = 100 · #{answers in top} / n``; the interval is Wilson's score interval
    (Wilson 1927, "Probable inference, the law of succession, and statistical
    inference", *JASA* 22(158), 209–212), which behaves well near 0 % and 100 % and for
    small n, unlike the Wald interval (Brown, Cai & DasGupta 2001, *Statistical Science*
    16(2)). With weights, ``n`` in the interval is Kish's effective n.

    Parameters
    ----------
    scores : array-like
        Answers; NaN/None are ignored.
    top : iterable, default (4, 5)
        Answer values that count as the top box.
    ci : float, default 0.95
        Confidence level.
    weights : array-like, optional
        Survey weights aligned with ``scores``.

    Returns
    -------
    Estimate
        Percentages 0–100; ``se`` is the binomial standard error in percentage points.
    """
    z = _z(ci)
    x, w = _clean(scores, weights)
    if x.size == 0:
        return _empty(ci)
    p = _share(np.isin(x, np.asarray(list(top), dtype="float64")), w)
    n_eff = _effective_n(w, x.size)
    lower, upper = _wilson(p, n_eff, z)
    se = 100 * math.sqrt(p * (1 - p) / n_eff)
    return Estimate(100 * p, 100 * lower, 100 * upper, x.size, se, ci)


def csat(
    scores: Iterable, top: Iterable = (4, 5), ci: float = 0.95, weights: Iterable | None = None
) -> Estimate:
    """Customer satisfaction: the top-2-box percentage on a 1–5 scale (see :func:`top_box`).

    Parameters
    ----------
    scores : array-like
        Answers on the 1–5 satisfaction scale; NaN/None are ignored.
    top : iterable, default (4, 5)
        Answers counted as satisfied.
    ci : float, default 0.95
        Confidence level.
    weights : array-like, optional
        Survey weights.

    Returns
    -------
    Estimate
        Percentage satisfied with a Wilson score interval.
    """
    return top_box(scores, top=top, ci=ci, weights=weights)


def mean_ci(x: Iterable, ci: float = 0.95, weights: Iterable | None = None) -> Estimate:
    """Mean with a Student-t confidence interval.

    ``mean ± t_{n−1, (1+ci)/2} · s / √n``. With weights: the weighted mean, the weighted
    variance ``s² = Σw(x − m)²/Σw · n_eff/(n_eff − 1)`` and ``n_eff − 1`` degrees of
    freedom, ``n_eff`` being Kish's effective n (Kish 1965).

    Parameters
    ----------
    x : array-like
        Values; NaN/None are ignored.
    ci : float, default 0.95
        Confidence level.
    weights : array-like, optional
        Survey weights aligned with ``x``.

    Returns
    -------
    Estimate
        NaN limits when fewer than two values (no variance to estimate).
    """
    _z(ci)
    values, w = _clean(x, weights)
    n = values.size
    if n == 0:
        return _empty(ci)
    if w is None:
        mean = float(values.mean())
        n_eff = float(n)
        variance = float(values.var(ddof=1)) if n > 1 else math.nan
    else:
        mean = float(np.average(values, weights=w))
        n_eff = _effective_n(w, n)
        spread = float(np.average((values - mean) ** 2, weights=w))
        variance = spread * n_eff / (n_eff - 1) if n_eff > 1 else math.nan
    if math.isnan(variance):
        return Estimate(mean, math.nan, math.nan, n, math.nan, ci)
    se = math.sqrt(variance / n_eff)
    half = float(stats.t.ppf(0.5 + ci / 2, df=n_eff - 1)) * se
    return Estimate(mean, mean - half, mean + half, n, se, ci)


def mean_difference(a: Iterable | Estimate, b: Iterable | Estimate, ci: float = 0.95) -> Estimate:
    """Difference between two independent means, ``mean(a) − mean(b)``, with a Welch interval.

    ``se = sqrt(se_a² + se_b²)`` and Welch–Satterthwaite degrees of freedom
    ``ν = (se_a² + se_b²)² / (se_a⁴/(n_a − 1) + se_b⁴/(n_b − 1))`` (Welch 1947), so the two
    groups need not share a variance; the interval is ``Δ ± t_{ν, (1+ci)/2} · se``.

    Parameters
    ----------
    a, b : array-like or Estimate
        Values of two independent groups (e.g. a driver score in two waves), or
        :func:`mean_ci` results (which carry ``se`` and ``n``).
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    Estimate
        ``n`` is the total number of values used; NaN limits when either group has fewer
        than two values.
    """
    _z(ci)
    ea = a if isinstance(a, Estimate) else mean_ci(a, ci=ci)
    eb = b if isinstance(b, Estimate) else mean_ci(b, ci=ci)
    value = ea.value - eb.value
    if ea.n < 2 or eb.n < 2 or math.isnan(ea.se) or math.isnan(eb.se):
        return Estimate(value, math.nan, math.nan, ea.n + eb.n, math.nan, ci)
    va, vb = ea.se**2, eb.se**2
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate(value, value, value, ea.n + eb.n, 0.0, ci)
    df = (va + vb) ** 2 / (va**2 / (ea.n - 1) + vb**2 / (eb.n - 1))
    half = float(stats.t.ppf(0.5 + ci / 2, df=df)) * se
    return Estimate(value, value - half, value + half, ea.n + eb.n, se, ci)
