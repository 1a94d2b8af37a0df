"""Erlang B, Erlang C and Erlang A (M/M/N+M) staffing formulas.

Every formula here works for hundreds or thousands of agents: nothing is computed
with raw factorials or powers. Erlang B comes from its stable recursion (or, for
the vectorised day search, from the ratio of a Poisson probability to its
cumulative distribution, both in log space); Erlang C and the service level are
derived from Erlang B; Erlang A is evaluated from a birth–death chain whose
weights are computed in log space and whose waiting-time law is written with
the regularised incomplete beta function.

Conventions
-----------
``calls`` is the number of calls offered in one interval of ``interval_s``
seconds, ``aht_s`` the average handling time (talk + hold + wrap-up) in seconds,
so the offered traffic is ``A = calls * aht_s / interval_s`` Erlangs.
``answer_within_s`` is the service-level threshold ``t`` (the "20" in 80/20).

References
----------
Erlang, A. K. (1917). Solution of some problems in the theory of probabilities
of significance in automatic telephone exchanges. *Elektroteknikeren* 13.
Palm, C. (1943). Intensitätsschwankungen im Fernsprechverkehr. *Ericsson
Technics* 44.
Garnett, O., Mandelbaum, A. & Reiman, M. (2002). Designing a call center with
impatient customers. *Manufacturing & Service Operations Management* 4(3), 208–227.
Gans, N., Koole, G. & Mandelbaum, A. (2003). Telephone call centers: tutorial,
review, and research prospects. *Manufacturing & Service Operations Management*
5(2), 79–141.
Mandelbaum, A. & Zeltyn, S. (2007). The Palm/Erlang-A queue, with applications
to call centers. Technion teaching note.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = [
    "abandon_rate",
    "average_speed_of_answer",
    "erlang_a_service_level",
    "erlang_a_wait_probability",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "required_agents",
    "required_agents_day",
    "service_level",
    "service_level_day",
    "traffic_intensity",
]

# Upper bound on the upward search in ``required_agents_day``: far beyond any
# realistic square-root safety staffing (beta * sqrt(A) with beta < 5).
_MAX_SEARCH_STEPS = 100_000


def traffic_intensity(calls: float, aht_s: float, interval_s: float) -> float:
    """Offered traffic in Erlangs, ``A = calls * aht_s / interval_s``.

    Parameters
    ----------
    calls : float
        Calls offered in the interval.
    aht_s : float
        Average handling time in seconds.
    interval_s : float
        Interval length in seconds.

    Returns
    -------
    float
        Offered load in Erlangs (the average number of busy agents if no call is lost).
    """
    _check_inputs(calls, aht_s, interval_s)
    return float(calls) * float(aht_s) / float(interval_s)


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of an M/M/N/N loss system (Erlang B).

    Computed with the recursion ``B(0) = 1``,
    ``B(n) = A B(n-1) / (n + A B(n-1))``, which is numerically stable for any
    number of agents (Erlang 1917; see Gans, Koole & Mandelbaum 2003, §4.1).

    Parameters
    ----------
    traffic : float
        Offered traffic ``A`` in Erlangs (``>= 0``).
    agents : int
        Number of servers ``N`` (``>= 0``).

    Returns
    -------
    float
        ``B(N, A) = (A^N / N!) / sum_{k=0}^{N} A^k / k!``.
    """
    agents = _check_agents(agents)
    if traffic < 0:
        raise ValueError(f"traffic must be >= 0 Erlangs, got {traffic!r}")
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call waits in an M/M/N queue (Erlang C).

    ``C(N, A) = N B / (N - A (1 - B))`` with ``B = erlang_b(A, N)``, valid for
    ``N > A``; when ``N <= A`` the queue is unstable and every call waits, so 1
    is returned (Erlang 1917; Gans, Koole & Mandelbaum 2003, eq. (4)).

    Parameters
    ----------
    traffic : float
        Offered traffic ``A`` in Erlangs.
    agents : int
        Number of agents ``N``.

    Returns
    -------
    float
        Probability of waiting, in ``[0, 1]``.
    """
    agents = _check_agents(agents)
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(
    agents: int, calls: float, aht_s: float, interval_s: float, answer_within_s: float
) -> float:
    """Share of calls answered within ``answer_within_s`` seconds (Erlang C).

    ``SL = 1 - C(N, A) * exp(-(N - A) * t / AHT)``: in an M/M/N queue the wait of
    a delayed call is exponential with rate ``(N - A) / AHT``. With ``N <= A``
    the queue grows without bound and 0 is returned.

    Parameters
    ----------
    agents : int
        Agents answering calls (on the phone, not on break).
    calls : float
        Calls offered in the interval.
    aht_s : float
        Average handling time in seconds.
    interval_s : float
        Interval length in seconds.
    answer_within_s : float
        Service-level threshold ``t`` in seconds.

    Returns
    -------
    float
        Service level in ``[0, 1]``; 1 when no call is offered.
    """
    traffic = traffic_intensity(calls, aht_s, interval_s)
    agents = _check_agents(agents)
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    wait = erlang_c(traffic, agents)
    return 1.0 - wait * math.exp(-(agents - traffic) * answer_within_s / aht_s)


def average_speed_of_answer(agents: int, calls: float, aht_s: float, interval_s: float) -> float:
    """Mean wait over all calls in seconds, ``ASA = C(N, A) * AHT / (N - A)``.

    Returns ``inf`` when ``N <= A`` (unstable queue) and 0 when no call is offered.
    Reference: Gans, Koole & Mandelbaum (2003), §4.1.
    """
    traffic = traffic_intensity(calls, aht_s, interval_s)
    agents = _check_agents(agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_s / (agents - traffic)


def occupancy(agents: int, calls: float, aht_s: float, interval_s: float) -> float:
    """Agent occupancy ``A / N``, capped at 1 (an agent cannot be busier than busy).

    Returns 0 when no call is offered and 1 when ``N <= A`` or ``N == 0`` with calls.
    """
    traffic = traffic_intensity(calls, aht_s, interval_s)
    agents = _check_agents(agents)
    if traffic == 0:
        return 0.0
    if agents == 0:
        return 1.0
    return min(1.0, traffic / agents)


def required_agents(
    calls: float,
    aht_s: float,
    interval_s: float,
    target_service_level: float,
    answer_within_s: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> int:
    """Smallest number of agents meeting a service level (and occupancy) target.

    First the smallest ``N > A`` with ``service_level(N) >= target`` and, when
    ``max_occupancy`` is given, ``A / N <= max_occupancy`` is found; that is the
    number of agents who must be *answering calls*. Then shrinkage (absence,
    training, breaks not modelled elsewhere) is added by dividing by
    ``1 - shrinkage`` and rounding up: ``ceil(N / (1 - shrinkage))``. No calls
    means 0 agents.

    Parameters
    ----------
    calls, aht_s, interval_s : float
        Interval volume, average handling time (s) and interval length (s).
    target_service_level : float
        Target share answered within ``answer_within_s``, in ``[0, 1)``.
    answer_within_s : float
        Service-level threshold in seconds.
    max_occupancy : float, optional
        Upper bound on ``A / N`` in ``(0, 1]``.
    shrinkage : float, default 0
        Share of paid time agents are unavailable, in ``[0, 1)``.

    Returns
    -------
    int
        Required agents (scheduled heads when ``shrinkage > 0``).

    Notes
    -----
    This is the scalar form of :func:`required_agents_day`, which holds the one
    implementation of the search.
    """
    result = required_agents_day(
        np.array([calls], dtype=float),
        np.array([aht_s], dtype=float),
        interval_s,
        target_service_level,
        answer_within_s,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
    return int(result[0])


def required_agents_day(
    calls,
    aht_s,
    interval_s: float,
    target_service_level: float,
    answer_within_s: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> np.ndarray:
    """Required agents for every interval of a day at once (vectorised).

    Same definition as :func:`required_agents`. The search starts at the traffic
    floor ``n0 = floor(A)`` of every interval, where Erlang B is obtained in log
    space as a Poisson ratio ``B(n0, A) = P(X = n0) / P(X <= n0)`` with
    ``X ~ Poisson(A)`` (or just under the occupancy floor ``A / max_occupancy``
    when that is higher), and then climbs with the Erlang B recursion
    ``B(n+1) = A B(n) / (n + 1 + A B(n))`` for all intervals simultaneously. The
    number of steps is the largest safety margin ``N - A`` of the day, i.e. of
    order ``sqrt(A)`` (square-root staffing, Gans, Koole & Mandelbaum 2003 §4.1).

    Parameters
    ----------
    calls, aht_s : array_like
        Calls offered and average handling time (s) per interval (broadcast).
    interval_s : float
        Interval length in seconds.
    target_service_level, answer_within_s, max_occupancy, shrinkage
        As in :func:`required_agents`.

    Returns
    -------
    numpy.ndarray of int
        Required agents per interval.
    """
    _check_target(target_service_level, max_occupancy, shrinkage)
    calls, aht = np.broadcast_arrays(np.asarray(calls, dtype=float), np.asarray(aht_s, dtype=float))
    _check_inputs(calls, aht, interval_s)
    traffic = calls * aht / float(interval_s)
    required = np.zeros(traffic.shape, dtype=np.int64)
    todo = traffic > 0
    if todo.any():
        required[todo] = _search_upward(
            traffic[todo], aht[todo], target_service_level, answer_within_s, max_occupancy
        )
    if shrinkage > 0:
        # The small tolerance keeps e.g. 7 / (1 - 0.3) = 10.000000000000002 at 10.
        required = np.ceil(required / (1.0 - shrinkage) - 1e-9).astype(np.int64)
    return required


def _search_upward(traffic, aht, target, answer_within_s, max_occupancy):
    agents = np.floor(traffic)
    occupancy_floor = (
        np.ceil(traffic / max_occupancy - 1e-9) if max_occupancy is not None else agents
    )
    # No N below the occupancy floor can qualify: start the climb just under it.
    agents = np.maximum(agents, occupancy_floor - 1)
    blocking = _erlang_b_log_space(traffic, agents)
    found = np.zeros(traffic.shape, dtype=np.int64)
    todo = np.ones(traffic.shape, dtype=bool)
    for _ in range(_MAX_SEARCH_STEPS):
        agents = agents + 1
        blocking = traffic * blocking / (agents + traffic * blocking)
        margin = agents - traffic
        wait = agents * blocking / (agents - traffic * (1.0 - blocking))
        level = 1.0 - wait * np.exp(-margin * answer_within_s / aht)
        met = todo & (level >= target) & (agents >= occupancy_floor)
        found[met] = agents[met]
        todo &= ~met
        if not todo.any():
            return found
    raise RuntimeError("required_agents_day did not converge; check the inputs")


def _erlang_b_log_space(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Erlang B as ``P(X = N) / P(X <= N)``, ``X ~ Poisson(A)``, for ``N ~ A``.

    Accurate when ``P(X <= N)`` is not tiny, i.e. for ``N >= A - O(sqrt(A))``;
    callers use it at the traffic floor only.
    """
    log_pmf = agents * np.log(traffic) - traffic - special.gammaln(agents + 1.0)
    log_cdf = np.log(special.pdtr(agents, traffic))
    return np.exp(log_pmf - log_cdf)


def service_level_day(
    agents, calls, aht_s, interval_s: float, answer_within_s: float
) -> np.ndarray:
    """Erlang C service level for many intervals at once (vectorised).

    Same formula as :func:`service_level`; Erlang B is computed with the
    recursion vectorised over intervals up to the largest staffing of the day.

    Parameters
    ----------
    agents, calls, aht_s : array_like
        Agents answering, calls offered and AHT (s) per interval (broadcast).
    interval_s, answer_within_s : float
        Interval length and service-level threshold in seconds.

    Returns
    -------
    numpy.ndarray of float
        Service level per interval (1 where no call is offered, 0 where ``N <= A``).
    """
    agents, calls, aht = np.broadcast_arrays(
        np.asarray(agents, dtype=np.int64),
        np.asarray(calls, dtype=float),
        np.asarray(aht_s, dtype=float),
    )
    _check_inputs(calls, aht, interval_s)
    if (agents < 0).any():
        raise ValueError("agents must be >= 0 in every interval")
    traffic = calls * aht / float(interval_s)
    level = np.where(traffic == 0, 1.0, 0.0)
    stable = (traffic > 0) & (agents > traffic)
    if stable.any():
        a, n = traffic[stable], agents[stable].astype(float)
        blocking = _erlang_b_recursion(a, agents[stable])
        wait = n * blocking / (n - a * (1.0 - blocking))
        level[stable] = 1.0 - wait * np.exp(-(n - a) * answer_within_s / aht[stable])
    return level


def _erlang_b_recursion(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    blocking = np.ones(traffic.shape)
    result = np.ones(traffic.shape)
    top = int(agents.max()) if agents.size else 0
    for n in range(1, top + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
        at = agents == n
        result[at] = blocking[at]
    return result


# --------------------------------------------------------------------------- Erlang A


def erlang_a_wait_probability(
    agents: int, calls: float, aht_s: float, interval_s: float, patience_s: float
) -> float:
    """Probability that an arriving call has to wait in M/M/N+M (Erlang A).

    ``P(W > 0) = B S / (1 - B + B S)`` with ``B = erlang_b(A, N)`` and
    ``S = sum_{k>=0} y^k / prod_{j=1..k} (x + j)``, ``x = N mu / theta``,
    ``y = lambda / theta`` (Mandelbaum & Zeltyn 2007, where ``S`` is their
    ``A(x, y)``). Equals Erlang C when patience is infinite.
    """
    chain = _palm_chain(agents, calls, aht_s, interval_s, patience_s)
    if chain is None:
        return erlang_c(traffic_intensity(calls, aht_s, interval_s), agents)
    return chain.wait_probability


def erlang_a_service_level(
    agents: int,
    calls: float,
    aht_s: float,
    interval_s: float,
    answer_within_s: float,
    patience_s: float,
) -> float:
    """Share of *offered* calls answered within ``answer_within_s`` (Erlang A).

    Model M/M/N+M (Palm 1943; Garnett, Mandelbaum & Reiman 2002): Poisson
    arrivals, exponential handling times with mean ``aht_s`` and exponential
    patience with mean ``patience_s``; a caller whose patience runs out before
    an agent answers abandons. The service level here is

    ``SL = P(answered and wait <= t)``, over **all offered calls**:

    callers who abandon (however early) count as not answered within ``t``. Some
    WFM tools instead exclude short abandons or divide by answered calls; those
    figures are higher.

    Computation: with ``k`` callers ahead in the queue, the time until the
    tagged caller would reach an agent is a sum of exponentials with rates
    ``theta (x + i)``, ``i = 0..k``, so ``exp(-theta V) ~ Beta(x, k + 1)``; hence
    ``P(answered within t | k) = x / (x + k + 1) * I_p(k + 1, x + 1)`` with
    ``p = 1 - exp(-theta t)`` and ``I`` the regularised incomplete beta function.
    The queue-length law comes from the birth–death chain with log-space
    weights, truncated once they are below ``1e-20`` of their peak.

    Parameters
    ----------
    agents : int
        Agents answering calls.
    calls, aht_s, interval_s : float
        Interval volume, AHT (s), interval length (s).
    answer_within_s : float
        Service-level threshold in seconds.
    patience_s : float
        Mean caller patience in seconds (``inf`` gives Erlang C).

    Returns
    -------
    float
        Service level in ``[0, 1]``.
    """
    chain = _palm_chain(agents, calls, aht_s, interval_s, patience_s)
    if chain is None:
        return service_level(agents, calls, aht_s, interval_s, answer_within_s)
    p = -math.expm1(-answer_within_s / patience_s)
    k = chain.queue_positions
    answered_in_time = chain.x / (chain.x + k + 1.0) * special.betainc(k + 1.0, chain.x + 1.0, p)
    waited_in_time = float(np.dot(chain.queue_weights, answered_in_time))
    return (1.0 - chain.wait_probability) + chain.wait_probability * waited_in_time


def abandon_rate(
    agents: int, calls: float, aht_s: float, interval_s: float, patience_s: float
) -> float:
    """Share of offered calls that abandon in M/M/N+M (Erlang A).

    A caller who finds ``k`` callers ahead is answered with probability
    ``x / (x + k + 1)`` (``x = N mu / theta``), so
    ``P(Ab) = P(W > 0) * E[(k + 1) / (x + k + 1)]``; equivalently
    ``P(Ab | W > 0) = 1 / (rho S) + 1 - 1 / rho`` (Mandelbaum & Zeltyn 2007).
    Returns 0 for infinite patience.
    """
    if math.isinf(patience_s):
        _check_inputs(calls, aht_s, interval_s)
        return 0.0
    chain = _palm_chain(agents, calls, aht_s, interval_s, patience_s)
    k = chain.queue_positions
    abandon_given_wait = float(np.dot(chain.queue_weights, (k + 1.0) / (chain.x + k + 1.0)))
    return chain.wait_probability * abandon_given_wait


class _PalmChain:
    """Stationary law of the M/M/N+M queue, seen by an arriving call (PASTA)."""

    def __init__(self, x, wait_probability, queue_positions, queue_weights):
        self.x = x
        self.wait_probability = wait_probability
        self.queue_positions = queue_positions
        self.queue_weights = queue_weights


def _palm_chain(agents, calls, aht_s, interval_s, patience_s) -> _PalmChain | None:
    agents = _check_agents(agents)
    traffic = traffic_intensity(calls, aht_s, interval_s)
    if not patience_s > 0:
        raise ValueError(f"patience_s must be > 0 seconds, got {patience_s!r}")
    if math.isinf(patience_s):
        return None
    if traffic == 0:
        return _PalmChain(1.0, 0.0, np.zeros(1), np.ones(1))
    theta = 1.0 / patience_s
    x = agents / aht_s / theta  # N mu / theta
    y = calls / interval_s / theta  # lambda / theta
    log_weights = _queue_log_weights(x, y)
    peak = log_weights.max()
    weights = np.exp(log_weights - peak)
    log_s = peak + math.log(weights.sum())
    queue_weights = weights / weights.sum()
    if agents == 0:
        wait_probability = 1.0
    else:
        blocking = erlang_b(traffic, agents)
        # B S / (1 - B + B S) = expit(log(B S) - log(1 - B)), evaluated in log space
        # because B underflows for N >> A and S overflows for very patient callers.
        log_bs = math.log(blocking) + log_s if blocking > 0 else -math.inf
        log_free = math.log1p(-blocking) if blocking < 1 else -math.inf
        wait_probability = float(special.expit(log_bs - log_free))
    positions = np.arange(len(weights), dtype=float)
    return _PalmChain(x, wait_probability, positions, queue_weights)


def _queue_log_weights(x: float, y: float) -> np.ndarray:
    """``log(y^k / prod_{j=1..k}(x + j))`` for ``k = 0..K``, K covering the mass."""
    size = 256
    while True:
        j = np.arange(1, size, dtype=float)
        # A running sum of log(y / (x + j)) keeps precision when x and y are ~1e9
        # (very patient callers), where differences of log-gamma values would not.
        log_w = np.concatenate(([0.0], np.cumsum(np.log(y / (x + j)))))
        k = np.arange(size, dtype=float)
        # Weights rise while y > x + k and fall afterwards; stop once the tail is negligible.
        if k[-1] > y - x and log_w[-1] < log_w.max() - 46.0:
            return log_w
        size *= 2


# --------------------------------------------------------------------------- checks


def _check_agents(agents) -> int:
    if isinstance(agents, bool) or int(agents) != agents or agents < 0:
        raise ValueError(f"agents must be a whole number >= 0, got {agents!r}")
    return int(agents)


def _check_inputs(calls, aht_s, interval_s) -> None:
    if np.any(np.asarray(calls) < 0) or not np.all(np.isfinite(calls)):
        raise ValueError("calls must be finite and >= 0")
    if np.any(np.asarray(aht_s) <= 0) or not np.all(np.isfinite(aht_s)):
        raise ValueError("aht_s (average handling time) must be finite and > 0 seconds")
    if not interval_s > 0:
        raise ValueError(f"interval_s must be > 0 seconds, got {interval_s!r}")


def _check_target(target, max_occupancy, shrinkage) -> None:
    if not 0 <= target < 1:
        raise ValueError(
            f"target_service_level must be in [0, 1) (1 needs infinitely many agents), got {target!r}"
        )
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
