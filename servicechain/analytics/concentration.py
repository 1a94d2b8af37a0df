"""How evenly something is shared among people: the Gini coefficient and the top share.

Used by recognition's fairness views: kudos received per person in a unit and month, zeros
included (a person nobody recognised counts, or a team where three people get everything
would look fair).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gini", "top_share"]


def _counts(values) -> np.ndarray:
    x = np.asarray(values, dtype="float64").ravel()
    if x.size and (np.isnan(x).any() or (x < 0).any()):
        raise ValueError("Counts must be non-negative numbers with no missing values.")
    return x


def gini(values) -> float:
    """Gini coefficient of non-negative amounts (0 = all equal, → 1 = one has everything).

    Parameters
    ----------
    values : array-like
        One amount per person, zeros included.

    Returns
    -------
    float
        ``G = Σᵢ (2i − n − 1) · x₍ᵢ₎ / (n · Σ x)`` over the amounts sorted ascending
        (``i = 1..n``), which lies in ``[0, 1 − 1/n]``: one person holding everything gives
        ``1 − 1/n``. NaN when there is nobody or the total is zero (nothing to share).

    Notes
    -----
    The sample form without the ``n/(n−1)`` correction, so a team where one person of four
    gets every kudos reads 0.75, not 1. See Cowell (2011), *Measuring Inequality*, 3rd ed.,
    Oxford University Press, §2.3.
    """
    x = np.sort(_counts(values))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return math.nan
    ranks = np.arange(1, n + 1, dtype="float64")
    return float(np.sum((2 * ranks - n - 1) * x) / (n * total))


def top_share(values, fraction: float = 0.1) -> float:
    """Share of the total held by the top ``fraction`` of people (at least one person).

    Parameters
    ----------
    values : array-like
        One amount per person, zeros included.
    fraction : float, default 0.1
        The top group's size as a share of people; it is rounded up, so in a team of 7 the
        top 10 % is one person.

    Returns
    -------
    float
        Between ``k/n`` (everyone equal) and 1 (the top ``k`` hold everything); NaN when
        there is nobody or the total is zero.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
    x = np.sort(_counts(values))[::-1]
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return math.nan
    k = max(1, math.ceil(fraction * n - 1e-9))
    return float(x[:k].sum() / total)
