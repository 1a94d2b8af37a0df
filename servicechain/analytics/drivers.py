"""Key-driver analysis: how much of an outcome each driver accounts for.

Three decompositions of a linear model's R² among correlated drivers:

* ``"lmg"`` — Lindeman, Merenda & Gold (1980) / Shapley value: each driver's R²
  increment averaged over all orders of entry (Grömping 2006, "Relative importance for
  linear regression in R: the package relaimpo", *J. Stat. Software* 17(1)).
* ``"dominance"`` — dominance analysis (Budescu 1993, *Psychological Bulletin* 114(3),
  542–551; Azen & Budescu 2003, *Psychological Methods* 8(2), 129–148): complete,
  conditional and general dominance; general dominance equals LMG.
* ``"relative_weights"`` — Johnson (2000), "A heuristic method for estimating the
  relative weight of predictor variables in multiple regression", *Multivariate
  Behavioral Research* 35(1), 1–19.

How the exact LMG is fast
-------------------------
All ``2^p`` subset R² come from the correlation matrix alone, never from refitting
regressions. The sweep operator (Goodnight 1979, *The American Statistician* 33(3))
removes one driver at a time from the partial covariance of the remaining drivers and
the outcome. Processing drivers in order and keeping, for every subset of the drivers
swept so far, only the partial covariance of the drivers not yet considered, each step
doubles the number of subsets while the matrices shrink by one row and column — a
binary tree of subsets with about ``6 · 2^p`` multiply–adds in total, done as a few
vectorised numpy operations per driver. The Shapley sums are then one reduction per
driver over the ``2^p`` subset R² values. Bootstrap replicates are batched through the
same operations.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import NotFittedError

from .resampling import block_counts, group_cross_products, replicate_sums

__all__ = ["MAX_EXACT_DRIVERS", "KeyDriverAnalysis", "NotFittedError", "relative_importance"]

#: Exact LMG/dominance enumerate 2^p subsets; beyond this they would need gigabytes.
MAX_EXACT_DRIVERS = 24

METHODS = ("lmg", "relative_weights", "dominance")
MISSING = ("listwise", "pairwise")

# A pivot (residual variance of a driver given a subset) below this share of its own
# variance means the driver is a linear combination of the subset: it adds nothing.
_COLLINEAR = 1e-10
#: A driver whose variance the other drivers explain to within this share (1 − R² below it)
#: is a near-duplicate: its share of R² would be an artefact of rounding, so fit refuses it.
NEAR_DUPLICATE_TOLERANCE = 1e-8
# Bootstrap replicates per batch, so batch x 2^p subset values stay near 32 MB.
_BATCH_VALUES = 2**22


# ----------------------------------------------------------------------------- correlations


def _weighted_sums(weights: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``out[b, i, j] = Σ_n weights[b, n] · left[n, i] · right[n, j]`` for every replicate.

    One BLAS product of the (batch × n) weights with per-row products, in row chunks so
    the products never exceed about 32 MB whatever n is.
    """
    n, q = left.shape
    out = np.zeros((len(weights), q * q))
    chunk = max(1, _BATCH_VALUES // (q * q))
    for start in range(0, n, chunk):
        rows = slice(start, start + chunk)
        products = (left[rows, :, None] * right[rows, None, :]).reshape(-1, q * q)
        out += weights[:, rows] @ products
    return out.reshape(len(weights), q, q)


def _moments(data: np.ndarray, weights: np.ndarray, observed: np.ndarray | None) -> np.ndarray:
    """Weighted Pearson correlations for a batch of weight vectors.

    ``weights`` has shape (batch, n). With ``observed`` (a 0/1 mask of non-missing
    values, missing values in ``data`` set to 0), each correlation uses the rows where
    both variables are observed (pairwise deletion); otherwise all rows. ``data`` is
    centred by the caller, so raw moments lose no precision.
    """
    if observed is None:
        return _correlations_of_sums(
            weights.sum(axis=1), weights @ data, _weighted_sums(weights, data, data)
        )
    # Pairwise: the [i, j] sums run over the rows where both i and j are observed.
    total = _weighted_sums(weights, observed, observed)
    mean_i = _weighted_sums(weights, data, observed) / total
    var_i = _weighted_sums(weights, data * data, observed) / total - mean_i**2
    cov = _weighted_sums(weights, data, data) / total - mean_i * np.swapaxes(mean_i, 1, 2)
    return cov / np.sqrt(var_i * np.swapaxes(var_i, 1, 2))


def _correlations_of_sums(total: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Correlations (batch, q, q) from weighted sums: Σw (batch,), Σw·x (batch, q) and
    Σw·x·xᵀ (batch, q, q) of centred data."""
    total = total[:, None, None]
    mean = first[:, :, None] / total
    cov = second / total - mean * np.swapaxes(mean, 1, 2)
    sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return cov / (sd[:, :, None] * sd[:, None, :])


def _with_unit_diagonal(corr: np.ndarray) -> np.ndarray:
    idx = np.arange(corr.shape[-1])
    corr[:, idx, idx] = 1.0
    return corr


def _correlations(data: np.ndarray, weights: np.ndarray, pairwise: bool) -> np.ndarray:
    """Correlation matrices (batch, q, q) of ``data`` under each row of ``weights``."""
    if pairwise:
        observed = (~np.isnan(data)).astype("float64")
        centred = np.nan_to_num(data - np.nanmean(data, axis=0))
        corr = _moments(centred, weights, observed)
    else:
        corr = _moments(data - data.mean(axis=0), weights, None)
    return _with_unit_diagonal(corr)


class _GroupSums:
    """The cluster bootstrap's fast path (listwise deletion): each group's weighted sums
    ``Σw``, ``Σw·x``, ``Σw·x·xᵀ`` of the centred data, computed once; a replicate's
    correlations then come from count-weighted sums over groups (``resampling``), in
    ``O(groups · q²)`` instead of ``O(n · q²)``. Same numbers as reweighting the rows."""

    def __init__(self, data: np.ndarray, weights: np.ndarray, groups: np.ndarray):
        # Centred as `_correlations` centres, so both paths sum the same values.
        design = np.column_stack([np.ones(len(data)), data - data.mean(axis=0)])
        self.cross = group_cross_products(design, groups, int(groups.max()) + 1, weights)

    def correlations(self, counts: np.ndarray) -> np.ndarray:
        sums = replicate_sums(counts, self.cross)
        corr = _correlations_of_sums(sums[:, 0, 0], sums[:, 0, 1:], sums[:, 1:, 1:])
        return _with_unit_diagonal(corr)


# ----------------------------------------------------------------------------- subset R²


def subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the outcome on every subset of drivers, from correlation matrices.

    Parameters
    ----------
    corr : ndarray, shape (..., p + 1, p + 1)
        Correlation (or covariance) matrices; drivers first, the outcome last.

    Returns
    -------
    ndarray, shape (..., 2**p)
        ``r2[..., mask]`` is the R² of the outcome on the drivers whose bits are set in
        ``mask`` (bit ``j`` = driver ``j``); ``r2[..., 0] == 0``.

    Notes
    -----
    Sweep-operator recursion, see the module docstring. ``R²(S) = 1 − σ²(y | S) / σ²(y)``
    where ``σ²(y | S)`` is the outcome's partial variance given the subset.
    """
    corr = np.asarray(corr, dtype="float64")
    batch = corr.shape[:-2]
    p = corr.shape[-1] - 1
    if p > MAX_EXACT_DRIVERS:
        raise ValueError(
            f"Exact LMG/dominance enumerates 2^p subsets; p={p} drivers exceeds the limit of "
            f"{MAX_EXACT_DRIVERS}. Use method='relative_weights', or group drivers into fewer scales."
        )
    scale = np.diagonal(corr, axis1=-2, axis2=-1)[..., :p].copy()
    partial = corr[..., None, :, :]  # (..., subsets=1, m, m), m = drivers left + outcome
    for j in range(p):
        pivot = partial[..., 0, 0]
        column = partial[..., 1:, 0]
        rest = partial[..., 1:, 1:]
        informative = pivot > _COLLINEAR * scale[..., j, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            update = column[..., :, None] * column[..., None, :] / pivot[..., None, None]
        swept = rest - np.where(informative[..., None, None], update, 0.0)
        partial = np.concatenate([rest, swept], axis=-3)
    outcome_variance = corr[..., p, p][..., None]
    return (1.0 - partial[..., 0, 0] / outcome_variance).reshape(*batch, 2**p)


def _subset_sizes(p: int) -> np.ndarray:
    sizes = np.zeros(1, dtype=np.int64)
    for _ in range(p):
        sizes = np.concatenate([sizes, sizes + 1])
    return sizes


def _shapley_weights(p: int) -> np.ndarray:
    """w_s = s!(p−s−1)!/p!: the chance a driver enters right after a given s-subset."""
    return np.array([1.0 / (p * comb(p - 1, s)) for s in range(p)])


def lmg_from_r2(r2: np.ndarray, p: int) -> np.ndarray:
    """LMG (Shapley) shares from all subset R², shape (..., 2**p) -> (..., p).

    ``φ_j = Σ_{S ∌ j} w_|S| (R²(S ∪ j) − R²(S))``, rewritten as
    ``Σ_{T ∋ j} w_{|T|−1} R²(T) − Σ_{S ∌ j} w_|S| R²(S)`` so each driver needs one pass.
    """
    sizes = _subset_sizes(p)
    w = _shapley_weights(p)
    entering = np.where(sizes > 0, w[np.clip(sizes - 1, 0, p - 1)], 0.0) * r2
    leaving = np.where(sizes < p, w[np.clip(sizes, 0, p - 1)], 0.0) * r2
    batch = r2.shape[:-1]
    out = np.empty((*batch, p))
    for j in range(p):
        shape = (*batch, 2 ** (p - 1 - j), 2, 2**j)
        out[..., j] = entering.reshape(shape)[..., 1, :].sum(axis=(-2, -1)) - leaving.reshape(
            shape
        )[..., 0, :].sum(axis=(-2, -1))
    return out


def _conditional_dominance(r2: np.ndarray, p: int) -> np.ndarray:
    """Mean R² increment of each driver over subsets of each size: (p, p) [driver, size]."""
    sizes = _subset_sizes(p)
    table = np.empty((p, p))
    for j in range(p):
        shape = (2 ** (p - 1 - j), 2, 2**j)
        gain = (r2.reshape(shape)[:, 1, :] - r2.reshape(shape)[:, 0, :]).ravel()
        size = sizes.reshape(shape)[:, 0, :].ravel()
        table[j] = np.bincount(size, weights=gain, minlength=p) / [comb(p - 1, s) for s in range(p)]
    return table


def _complete_dominance(r2: np.ndarray, p: int, tol: float = 1e-12) -> np.ndarray:
    """D[i, j] = 1 if i completely dominates j, 0 if j dominates i, 0.5 if neither."""
    cube = r2.reshape((2,) * p)
    table = np.full((p, p), np.nan)
    for i in range(p):
        for j in range(i + 1, p):
            index_i = [slice(None)] * p
            index_j = [slice(None)] * p
            # axis (p − 1 − k) of the reshaped array is bit k
            index_i[p - 1 - i], index_i[p - 1 - j] = 1, 0
            index_j[p - 1 - i], index_j[p - 1 - j] = 0, 1
            diff = cube[tuple(index_i)] - cube[tuple(index_j)]
            if (diff > tol).all() or ((diff >= -tol).all() and (diff > tol).any()):
                table[i, j], table[j, i] = 1.0, 0.0
            elif (diff < -tol).all() or ((diff <= tol).all() and (diff < -tol).any()):
                table[i, j], table[j, i] = 0.0, 1.0
            else:
                table[i, j] = table[j, i] = 0.5
    return table


def relative_weights_from_corr(corr: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights, (..., p + 1, p + 1) -> (..., p).

    With ``R_xx = V Λ Vᵀ``, ``Λ* = R_xx^{1/2} = V Λ^{1/2} Vᵀ`` holds the loadings of the
    drivers on their closest orthogonal counterparts ``Z``; ``β = Λ*^{-1} r_xy`` regresses
    the outcome on ``Z``; ``ε_j = Σ_k Λ*_jk² β_k²``. The weights sum to R².
    """
    rxx = corr[..., :-1, :-1]
    rxy = corr[..., :-1, -1]
    values, vectors = np.linalg.eigh(rxx)
    if (values < -1e-8).any():
        raise ValueError(
            "The drivers' correlation matrix is not positive semi-definite (this can happen "
            "with missing='pairwise'); use missing='listwise'."
        )
    root = np.sqrt(np.clip(values, 0, None))
    half = (vectors * root[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_root = np.where(root > 1e-12, 1 / root, 0.0)
    beta = ((vectors * inv_root[..., None, :]) @ np.swapaxes(vectors, -1, -2) @ rxy[..., None])[
        ..., 0
    ]
    return (half**2 * (beta**2)[..., None, :]).sum(axis=-1)


# ----------------------------------------------------------------------------- estimator


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (rows x drivers); got shape {array.shape}.")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


class KeyDriverAnalysis:
    """Relative importance of drivers of an outcome (LMG, dominance, relative weights).

    Parameters
    ----------
    method : {"lmg", "relative_weights", "dominance"}, default "lmg"
        ``"lmg"`` and ``"dominance"`` are exact (all ``2^p`` subsets; ``p ≤ 24``);
        ``"relative_weights"`` is Johnson's (2000) fast approximation.
    n_bootstrap : int, default 0
        Bootstrap replicates (rows resampled with replacement) for percentile confidence
        intervals of the importances; 0 skips them.
    ci : float, default 0.95
        Confidence level of ``ci_``.
    missing : {"listwise", "pairwise"}, default "listwise"
        Drop rows with any missing value, or compute each correlation from the rows
        where both variables are observed.
    random_state : int or numpy Generator, optional
        Seed for the bootstrap, for reproducible intervals.
    cluster : Series or array, optional
        Group labels aligned with ``X`` (by index for a Series, else by position), e.g. the
        unit of each respondent: the bootstrap then resamples whole groups with
        replacement (the cluster bootstrap; Davison & Hinkley 1997, *Bootstrap Methods and
        their Application*, §3.8), because people of one unit share their manager and
        climate and are not independent draws.

    Attributes
    ----------
    importance_ : Series
        Importance of each driver; for ``"lmg"``/``"dominance"`` the shares of R²
        (summing to ``r2_``); relative weights also sum to ``r2_``. A share of explained
        variance — how much of the outcome's differences a driver goes with — not the
        effect that changing the driver would have.
    r2_ : float
        R² of the outcome on all drivers.
    adjusted_r2_ : float
        ``1 − (1 − R²)(n − 1)/(n − p − 1)`` (Wherry 1931): R² less what ``p`` drivers of
        pure noise would explain on average; with ``sample_weight``, ``n`` is Kish's
        effective n.
    r2_pvalue_ : float
        p-value of the overall F test of R² = 0, ``F = (R²/p) / ((1 − R²)/(n − p − 1))``
        on ``(p, n − p − 1)`` degrees of freedom (e.g. Draper & Smith 1998, *Applied
        Regression Analysis*, 3rd ed.; statsmodels' ``f_pvalue``). Below 0.05 the
        drivers together go with more of the outcome than chance would; above it the
        importances cannot be told from noise.
    rank_ : Series
        1 = most important.
    ci_ : DataFrame or None
        ``lower``/``upper`` percentile bootstrap limits by driver (None without bootstrap).
    complete_, conditional_, general_ : DataFrame, DataFrame, Series
        Dominance tables (``method="dominance"`` only): ``complete_[i, j]`` is 1 when
        driver i completely dominates j, 0 when j dominates i, 0.5 when undetermined;
        ``conditional_`` is the mean R² increment by subset size; ``general_`` their mean.
    n_obs_ : int
        Rows used (listwise) or available (pairwise).
    feature_names_in_ : ndarray
        Driver names.

    Notes
    -----
    R² values come from the (weighted) Pearson correlation matrix, so ``r2_`` equals the
    R² of an OLS (or, with ``sample_weight``, WLS) regression with intercept.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(500, 3)), columns=["pay", "manager", "growth"])
    >>> y = 0.5 * X["pay"] + 0.3 * X["manager"] + rng.normal(size=500)
    >>> kda = KeyDriverAnalysis().fit(X, y)
    >>> kda.rank_.idxmin()
    'pay'
    """

    def __init__(
        self,
        method: str = "lmg",
        n_bootstrap: int = 0,
        ci: float = 0.95,
        missing: str = "listwise",
        random_state=None,
        cluster=None,
    ):
        self.method = method
        self.n_bootstrap = n_bootstrap
        self.ci = ci
        self.missing = missing
        self.random_state = random_state
        self.cluster = cluster

    # -- fitting ---------------------------------------------------------------------------

    def _validate_params(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}.")
        if self.missing not in MISSING:
            raise ValueError(f"missing must be one of {MISSING}; got {self.missing!r}.")
        if not 0 < self.ci < 1:
            raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95); got {self.ci!r}.")
        if int(self.n_bootstrap) < 0:
            raise ValueError(f"n_bootstrap must be >= 0; got {self.n_bootstrap!r}.")

    def _clusters(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Integer group codes aligned with the rows of X (None without ``cluster``)."""
        if self.cluster is None:
            return None
        if isinstance(self.cluster, pd.Series):
            if not self.cluster.index.equals(frame.index):
                if not frame.index.isin(self.cluster.index).all():
                    raise ValueError("cluster must have a label for every row of X (by index).")
                labels = self.cluster.reindex(frame.index)
            else:
                labels = self.cluster
        else:
            labels = pd.Series(np.asarray(self.cluster).ravel())
            if len(labels) != len(frame):
                raise ValueError(
                    f"X has {len(frame)} rows but cluster has {len(labels)}; they must align."
                )
        if labels.isna().any():
            raise ValueError("cluster has a missing label; every row needs its group.")
        return pd.factorize(labels.to_numpy())[0]

    def _prepare(self, X, y, sample_weight):
        frame = _as_frame(X)
        names = [str(c) for c in frame.columns]
        outcome = np.asarray(y, dtype="float64").ravel()
        if len(outcome) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(outcome)}; they must align.")
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                raise ValueError(f"Driver {column!r} is not numeric (dtype {frame[column].dtype}).")
        data = np.column_stack([frame.to_numpy(dtype="float64"), outcome])
        infinite = np.isinf(data)
        if infinite.any():
            row, column = (int(v[0]) for v in np.nonzero(infinite))
            name = ([*names, "the outcome y"])[column]
            raise ValueError(
                f"{'Driver ' + repr(name) if column < len(names) else name.capitalize()} has an "
                f"infinite value (row {row}); use a missing value for an unanswered item."
            )
        weights = np.ones(len(data)) if sample_weight is None else np.asarray(sample_weight, float)
        if weights.shape != (len(data),) or np.isnan(weights).any() or (weights < 0).any():
            raise ValueError("sample_weight must be one non-negative number per row of X.")
        if not (weights > 0).any():
            raise ValueError("Every sample_weight is zero: no row has any weight to analyse.")
        groups = self._clusters(frame)
        keep = weights > 0
        keep &= ~np.isnan(data).any(axis=1) if self.missing == "listwise" else ~np.isnan(outcome)
        data, weights = data[keep], weights[keep]
        groups = None if groups is None else pd.factorize(groups[keep])[0]
        p = data.shape[1] - 1
        if p < 1:
            raise ValueError("X needs at least one driver column.")
        if self.method != "relative_weights" and p > MAX_EXACT_DRIVERS:
            raise ValueError(
                f"Exact {self.method} enumerates 2^p subsets; p={p} drivers exceeds the limit of "
                f"{MAX_EXACT_DRIVERS}. Use method='relative_weights', or group drivers into scales."
            )
        if len(data) < p + 2:
            raise ValueError(
                f"Only {len(data)} usable rows for {p} drivers; need at least {p + 2}."
            )
        spread = np.nanstd(data, axis=0)
        if (spread == 0).any():
            constant = ([*names, "y"])[int(np.flatnonzero(spread == 0)[0])]
            raise ValueError(f"Variable {constant!r} is constant; it cannot drive or be driven.")
        if groups is not None and groups.max() < 1:
            raise ValueError("cluster has a single group; resampling groups needs at least two.")
        return data, weights, names, groups

    def _importance(self, corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Importances and R² for a batch of correlation matrices."""
        p = corr.shape[-1] - 1
        if self.method == "relative_weights":
            weights = relative_weights_from_corr(corr)
            return weights, weights.sum(axis=-1)
        r2 = subset_r2(corr)
        return lmg_from_r2(r2, p), r2[..., -1]

    def fit(self, X, y, sample_weight=None) -> KeyDriverAnalysis:
        """Decompose the R² of ``y`` on the columns of ``X``.

        Parameters
        ----------
        X : DataFrame of shape (n, p)
            Drivers (numeric columns).
        y : Series or array of shape (n,)
            Outcome.
        sample_weight : array of shape (n,), optional
            Survey weights; correlations become weighted correlations.

        Returns
        -------
        self
        """
        self._validate_params()
        data, weights, names, groups = self._prepare(X, y, sample_weight)
        pairwise = self.missing == "pairwise"
        p = data.shape[1] - 1
        corr = _correlations(data, weights[None, :], pairwise)[0]
        if pairwise and np.linalg.eigvalsh(corr)[0] < -1e-10:
            raise ValueError(
                "With missing='pairwise' the correlations come from different rows and here do "
                "not form a valid (positive semi-definite) correlation matrix, so R² is undefined. "
                "Use missing='listwise', or impute the missing values."
            )
        _refuse_near_duplicates(corr, names)
        importance, r2 = self._importance(corr)

        self.feature_names_in_ = np.array(names, dtype=object)
        self.n_features_in_ = p
        self.n_obs_ = len(data)
        self.r2_ = float(r2)
        n_eff = float(weights.sum() ** 2 / (weights**2).sum())
        self.adjusted_r2_, self.r2_pvalue_ = _overall_test(self.r2_, n_eff, p)
        self.importance_ = pd.Series(importance, index=names, name="importance")
        self.rank_ = self.importance_.rank(ascending=False, method="min").astype(int).rename("rank")
        if self.method == "dominance":
            r2_all = subset_r2(corr)
            self.complete_ = pd.DataFrame(
                _complete_dominance(r2_all, p), index=names, columns=names
            )
            self.conditional_ = pd.DataFrame(
                _conditional_dominance(r2_all, p),
                index=names,
                columns=pd.RangeIndex(p, name="subset_size"),
            )
            self.general_ = self.conditional_.mean(axis=1).rename("general")
        self.bootstrap_importance_ = self._bootstrap(data, weights, pairwise, names, groups)
        self.ci_ = None if self.bootstrap_importance_ is None else self.conf_int()
        return self

    def _bootstrap(self, data, weights, pairwise, names, groups) -> pd.DataFrame | None:
        """Row- (or group-) resampling bootstrap, replicates batched through the correlation
        pipeline."""
        n_rep = int(self.n_bootstrap)
        if n_rep == 0:
            return None
        rng = np.random.default_rng(self.random_state)
        n, q = data.shape
        p = q - 1
        exact = self.method != "relative_weights"
        per_rep = 2**p if exact else q * q
        units = n if groups is None else int(groups.max()) + 1
        # Groups with listwise deletion: per-group sums once, then O(groups) per replicate.
        summed = _GroupSums(data, weights, groups) if groups is not None and not pairwise else None
        batch = max(1, min(n_rep, _BATCH_VALUES // max(per_rep, units if summed else n)))
        out = np.empty((n_rep, p))
        for start in range(0, n_rep, batch):
            size = min(batch, n_rep - start)
            # Multinomial counts = how often each row (or group) is drawn: resampling as
            # reweighting; a drawn group brings all its rows.
            counts = block_counts(rng, units, size)
            with np.errstate(divide="ignore", invalid="ignore"):
                if summed is not None:
                    corr = summed.correlations(counts)
                else:
                    if groups is not None:
                        counts = counts[:, groups]
                    corr = _correlations(data, counts * weights[None, :], pairwise)
                out[start : start + size], _ = self._importance(corr)
            if pairwise:  # a replicate whose pairwise matrix is invalid has no R² to share
                invalid = np.linalg.eigvalsh(corr)[:, 0] < -1e-10
                out[start : start + size][invalid] = np.nan
        return pd.DataFrame(out, columns=names)

    # -- results ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "importance_"):
            raise NotFittedError(
                "This KeyDriverAnalysis is not fitted yet; call fit(X, y) before using it."
            )

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Percentile bootstrap confidence limits of the importances.

        Parameters
        ----------
        alpha : float, optional
            1 − confidence level; defaults to ``1 − ci``.

        Returns
        -------
        DataFrame
            ``lower``, ``upper`` by driver.
        """
        self._check_fitted()
        if self.bootstrap_importance_ is None:
            raise ValueError("No bootstrap was run; fit with n_bootstrap > 0 for intervals.")
        alpha = 1 - self.ci if alpha is None else alpha
        reps = self.bootstrap_importance_.to_numpy()
        limits = np.nanquantile(reps, [alpha / 2, 1 - alpha / 2], axis=0)
        return pd.DataFrame({"lower": limits[0], "upper": limits[1]}, index=self.importance_.index)

    def summary(self) -> pd.DataFrame:
        """Importance, share of R² (%), rank and (when bootstrapped) confidence limits.

        Rows are sorted from most to least important.
        """
        self._check_fitted()
        table = pd.DataFrame(
            {
                "importance": self.importance_,
                "share_of_r2": 100 * self.importance_ / self.r2_,
                "rank": self.rank_,
            }
        )
        if self.ci_ is not None:
            table = table.join(self.ci_)
        return table.sort_values("rank")

    def _repr_html_(self) -> str:
        if not hasattr(self, "importance_"):
            return f"<p>KeyDriverAnalysis(method={self.method!r}) — not fitted</p>"
        head = (
            f"<p>Key drivers ({self.method}), R² = {self.r2_:.3f} (adjusted "
            f"{self.adjusted_r2_:.3f}, p = {self.r2_pvalue_:.3g}), n = {self.n_obs_}</p>"
        )
        return head + self.summary().to_html(float_format="{:.4f}".format)

    def __repr__(self) -> str:
        cluster = "None" if self.cluster is None else "<labels>"
        return (
            f"KeyDriverAnalysis(method={self.method!r}, n_bootstrap={self.n_bootstrap}, "
            f"ci={self.ci}, missing={self.missing!r}, random_state={self.random_state!r}, "
            f"cluster={cluster})"
        )


def _overall_test(r2: float, n: float, p: int) -> tuple[float, float]:
    """Adjusted R² and the F-test p-value of R² = 0 (see the class docstring)."""
    residual_df = n - p - 1
    if residual_df <= 0:
        return float("nan"), float("nan")
    adjusted = 1 - (1 - r2) * (n - 1) / residual_df
    if r2 >= 1:
        return adjusted, 0.0
    f = (r2 / p) / ((1 - r2) / residual_df)
    return float(adjusted), float(stats.f.sf(f, p, residual_df))


def _refuse_near_duplicates(corr: np.ndarray, names: list[str]) -> None:
    """A clear error for a driver the others explain to within NEAR_DUPLICATE_TOLERANCE.

    ``1 − R²_j`` of driver j on the others comes from the drivers' correlation matrix
    (``R²_j = r_jᵀ R₋ⱼ⁺ r_j``, a pseudo-inverse so that exact duplicates are caught too);
    the R² cost is what the outcome's R² loses when the driver is left out.
    """
    p = len(names)
    if p < 2:
        return
    rxx, rxy = corr[:p, :p], corr[:p, p]
    full = float(rxy @ np.linalg.pinv(rxx) @ rxy)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        inverse = np.linalg.pinv(rxx[np.ix_(others, others)])
        unexplained = 1 - float(rxx[j, others] @ inverse @ rxx[others, j])
        if unexplained >= NEAR_DUPLICATE_TOLERANCE:
            continue
        without = float(rxy[others] @ inverse @ rxy[others])
        closest = names[others[int(np.argmax(np.abs(rxx[j, others])))]]
        raise ValueError(
            f"Driver {names[j]!r} is a near-duplicate of the other drivers (closest: "
            f"{closest!r}): they explain all but {max(unexplained, 0):.1e} of its variance, "
            f"below the tolerance of {NEAR_DUPLICATE_TOLERANCE:.0e} (1 − R² of the driver on "
            f"the others), so its share of R² would be an artefact of rounding. Leaving it out "
            f"costs {full - without:.2g} of R² ({full:.4f} → {without:.4f}); drop it or "
            f"combine it with {closest!r}."
        )


def relative_importance(X, y, method: str = "lmg", sample_weight=None) -> pd.Series:
    """One-call form of :class:`KeyDriverAnalysis`: the importance of each driver.

    Parameters
    ----------
    X : DataFrame
        Drivers.
    y : Series or array
        Outcome.
    method : {"lmg", "relative_weights", "dominance"}, default "lmg"
    sample_weight : array, optional
        Survey weights.

    Returns
    -------
    Series
        Importance by driver (sums to R²).
    """
    return KeyDriverAnalysis(method=method).fit(X, y, sample_weight=sample_weight).importance_
