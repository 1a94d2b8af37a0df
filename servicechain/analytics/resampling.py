"""Block (cluster) bootstrap by reweighting: per-group cross-products, summed with counts.

Drawing ``G`` groups with replacement is the same as giving group ``g`` the weight
``c_g``, where ``(c_1, …, c_G) ~ Multinomial(G, 1/G)``: a drawn group brings all its rows,
as often as it was drawn (Davison & Hinkley 1997, *Bootstrap Methods and their
Application*, §3.8). A statistic built from weighted sums of row products — means,
covariances, correlations, least-squares slopes — then needs each group's sums only:

    Σᵢ c_{g(i)} · wᵢ · dᵢ dᵢᵀ  =  Σ_g c_g · C_g,     C_g = Σ_{i ∈ g} wᵢ · dᵢ dᵢᵀ

so the ``C_g`` are computed once (``O(n·m²)``) and every replicate is a count-weighted sum
over groups (``O(G·m²)``), all replicates in one matrix product, instead of ``O(n·m²)``
per replicate. The linkage model's unit-block bootstrap and the key-driver analysis's
``cluster=`` bootstrap both run on these three functions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_counts", "group_cross_products", "replicate_sums"]

# Rows per chunk when forming row products, so they stay near 32 MB whatever n is.
_CHUNK_VALUES = 2**22


def block_counts(rng: np.random.Generator, groups: int, replicates: int) -> np.ndarray:
    """How often each group is drawn in each replicate: float array (replicates, groups)."""
    draws = rng.multinomial(groups, np.full(groups, 1.0 / groups), size=replicates)
    return draws.astype("float64")


def group_cross_products(
    design: np.ndarray, codes: np.ndarray, groups: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """Per-group weighted cross-products ``C_g = Σ_{i ∈ g} wᵢ · dᵢ dᵢᵀ``.

    Parameters
    ----------
    design : ndarray, shape (n, m)
        One row per observation.
    codes : ndarray of int, shape (n,)
        Each row's group, ``0 … groups − 1``.
    groups : int
        Number of groups (a group without rows gets zeros).
    weights : ndarray, shape (n,), optional
        Row weights (default 1).

    Returns
    -------
    ndarray, shape (groups, m, m)
    """
    n, m = design.shape
    cross = np.zeros((groups, m * m))
    weighted = design if weights is None else design * weights[:, None]
    chunk = max(1, _CHUNK_VALUES // (m * m))
    for start in range(0, n, chunk):
        rows = slice(start, start + chunk)
        products = np.einsum("ni,nj->nij", weighted[rows], design[rows]).reshape(-1, m * m)
        np.add.at(cross, codes[rows], products)
    return cross.reshape(groups, m, m)


def replicate_sums(counts: np.ndarray, per_group: np.ndarray) -> np.ndarray:
    """``Σ_g counts[b, g] · per_group[g]`` for every replicate ``b`` (one matrix product).

    ``per_group`` has shape (groups, …); the result has shape (replicates, …).
    """
    shape = per_group.shape[1:]
    flat = per_group.reshape(len(per_group), -1)
    return (counts @ flat).reshape(len(counts), *shape)
