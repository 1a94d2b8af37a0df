"""Employees: latent drivers, engagement, attrition and replacement hiring, month by month.

Latent model (standard-normal drivers ``D``, engagement ``Z``)::

    G_j   = sqrt(tau) U_u + sqrt(1 - tau) I_j                        general climate factor
    D_jk  = lambda_k G_j + sqrt(1 - lambda_k^2) (sqrt(kappa) V_uk + sqrt(1 - kappa) eta_jk)
    Z_j   = sum_k w_k D_jk + sigma_e eps_j                            engagement (R^2 = engagement_r2)
    eng_jt = mu_mean + P Z_j + shock_ut                               0-100 points, P = points_sd / sd(Z)

Unit effects ``U_u, V_uk`` inherit ``parent_share`` of their variance from the parent unit.
``shock_ut`` is the AR(1) of the chain (``simulate_ex`` with mean 0), shared by everyone in
the unit; it moves every driver by ``lambda_k shock_ut / (P c)`` with ``c = sum_k w_k lambda_k``
so that the structural equation for engagement holds in every month. ``tau`` is set so the
SD of unit mean engagement is ``mu_sd`` points.

Monthly leaving hazard: ``logit h = attrition_intercept + per_10 (eng_jt - mu_mean) / 10 +
first_year 1[tenure < 12 months]``; a leaver's position is refilled after a vacancy of 0, 1
or 2 months (managers' positions at once: an acting manager is appointed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from servicechain.simulate.chain import ChainParameters, simulate_ex
from servicechain.simulate.parameters import DRIVERS, OrgParameters
from servicechain.simulate.structure import Positions, Units

OPENS_DAY = 5  # survey waves open on the 6th of the month (0-based day 5)


@dataclass(frozen=True)
class LatentModel:
    """Derived constants of the employee latent model."""

    weights: np.ndarray
    loadings: np.ndarray
    residual_sd: float
    tau: float
    kappa: float
    z_sd: float
    points_per_z: float
    shock_to_driver: np.ndarray  # driver SD shift per shock point

    @classmethod
    def from_parameters(cls, org: OrgParameters, chain: ChainParameters) -> LatentModel:
        w = np.array([org.engagement_weights[d] for d in DRIVERS])
        lam = np.array([org.driver_loadings[d] for d in DRIVERS])
        corr = np.outer(lam, lam)
        np.fill_diagonal(corr, 1.0)
        explained = float(w @ corr @ w)
        residual_var = explained * (1 - org.engagement_r2) / org.engagement_r2
        z_var = explained + residual_var
        # unit variance of Z = tau * (w.lam)^2 + kappa * sum w^2 (1 - lam^2); solve for tau
        target = z_var * (chain.mu_sd / org.engagement_points_sd) ** 2
        specific = org.unit_driver_share * float(np.sum(w**2 * (1 - lam**2)))
        tau = (target - specific) / float(w @ lam) ** 2
        if not 0.0 <= tau < 1.0:
            raise ValueError(
                f"mu_sd={chain.mu_sd} is not reachable with engagement_points_sd="
                f"{org.engagement_points_sd}; implied unit share {tau:.2f} must lie in [0, 1)"
            )
        points = org.engagement_points_sd / np.sqrt(z_var)
        return cls(
            weights=w,
            loadings=lam,
            residual_sd=float(np.sqrt(residual_var)),
            tau=float(tau),
            kappa=org.unit_driver_share,
            z_sd=float(np.sqrt(z_var)),
            points_per_z=float(points),
            shock_to_driver=lam / (points * float(w @ lam)),
        )


@dataclass
class Workforce:
    """Everyone who held a position during the window, and who held what when.

    Employee arrays are indexed by employee number; ``holder[p, t]`` is the employee in
    position ``p`` during month ``t`` (-1 when vacant), active from day ``first_day[p, t]``
    to ``last_day[p, t]`` of that month (0-based).
    """

    position: np.ndarray
    unit: np.ndarray
    hire_date: np.ndarray  # datetime64[D]
    leave_date: np.ndarray  # datetime64[D], NaT while employed
    drivers: np.ndarray  # (n, 11) static latent drivers (unit effects included)
    drivers_individual: np.ndarray  # (n, 11) individual part only (mean 0 in every unit)
    z: np.ndarray  # static engagement latent
    z_individual: np.ndarray  # individual part of z
    holder: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    shock: np.ndarray  # (units, months + 1) unit AR(1) shock in points, column 0 = month -1
    ex: np.ndarray  # (units, months + 1) mean engagement of holders; column 0 = month -1
    leavers: np.ndarray  # (units, months)
    headcount: np.ndarray  # (units, months)
    latent: LatentModel
    unit_general: np.ndarray
    unit_specific: np.ndarray
    mu_mean: float

    @property
    def n(self) -> int:
        return self.position.size

    def engagement_points(self, employee: np.ndarray, unit: np.ndarray, month: np.ndarray):
        """Engagement (0-100 points) of employees in given months (``month`` 0-based)."""
        return self._base_points[employee] + self.shock[unit, month + 1]

    def drivers_at(self, employee: np.ndarray, unit: np.ndarray, month: np.ndarray) -> np.ndarray:
        """Latent drivers (n, 11) of employees in given months, unit shock included."""
        shift = self.shock[unit, month + 1][:, None] * self.latent.shock_to_driver[None, :]
        return self.drivers[employee] + shift

    @property
    def _base_points(self) -> np.ndarray:
        return self.mu_mean + self.latent.points_per_z * self.z


def _unit_effects(units: Units, org: OrgParameters, rng: np.random.Generator):
    """Standard-normal unit effects, each inheriting ``parent_share`` of its parent's."""
    general = rng.standard_normal(units.n)
    specific = rng.standard_normal((units.n, len(DRIVERS)))
    share = org.parent_share
    for depth in range(1, int(units.depth.max()) + 1):
        rows = np.flatnonzero(units.depth == depth)
        parents = units.parent[rows]
        general[rows] = np.sqrt(share) * general[parents] + np.sqrt(1 - share) * general[rows]
        specific[rows] = np.sqrt(share) * specific[parents] + np.sqrt(1 - share) * specific[rows]
    return general, specific


class _EmployeeDraws:
    """Draw latent drivers and engagement for batches of new employees."""

    def __init__(self, latent: LatentModel, general: np.ndarray, specific: np.ndarray, rng):
        self.latent, self.general, self.specific, self.rng = latent, general, specific, rng

    def draw(self, unit: np.ndarray):
        lat, rng, n = self.latent, self.rng, unit.size
        lam = lat.loadings[None, :]
        uniq = np.sqrt(1 - lam**2)
        individual_g = rng.standard_normal(n)
        eta = rng.standard_normal((n, lam.size))
        eps = rng.standard_normal(n)
        d_unit = (
            lam * np.sqrt(lat.tau) * self.general[unit][:, None]
            + uniq * np.sqrt(lat.kappa) * self.specific[unit]
        )
        d_individual = (
            lam * np.sqrt(1 - lat.tau) * individual_g[:, None] + uniq * np.sqrt(1 - lat.kappa) * eta
        )
        drivers = d_unit + d_individual
        z_individual = d_individual @ lat.weights + lat.residual_sd * eps
        z = drivers @ lat.weights + lat.residual_sd * eps
        return drivers, d_individual, z, z_individual


class _Roster:
    """Everyone hired so far; employee number = order of hiring."""

    def __init__(self, positions: Positions, draws: _EmployeeDraws):
        self.positions, self.draws = positions, draws
        self.position = np.empty(0, dtype=int)
        self.hire_date = np.empty(0, dtype="datetime64[D]")
        self.leave_date = np.empty(0, dtype="datetime64[D]")
        self.z = np.empty(0)
        self.z_individual = np.empty(0)
        self._drivers: list[np.ndarray] = []
        self._drivers_individual: list[np.ndarray] = []

    @property
    def n(self) -> int:
        return self.position.size

    def hire(self, position: np.ndarray, hire_date: np.ndarray) -> np.ndarray:
        """Add new employees in ``position`` and return their employee numbers."""
        drivers, d_individual, z, z_individual = self.draws.draw(self.positions.unit[position])
        numbers = np.arange(self.n, self.n + position.size)
        self.position = np.concatenate([self.position, position])
        dates = np.broadcast_to(np.asarray(hire_date, dtype="datetime64[D]"), position.shape)
        self.hire_date = np.concatenate([self.hire_date, dates])
        self.leave_date = np.concatenate(
            [self.leave_date, np.full(position.size, np.datetime64("NaT"), dtype="datetime64[D]")]
        )
        self.z = np.concatenate([self.z, z])
        self.z_individual = np.concatenate([self.z_individual, z_individual])
        self._drivers.append(drivers)
        self._drivers_individual.append(d_individual)
        return numbers

    def drivers(self) -> np.ndarray:
        return np.concatenate(self._drivers)

    def drivers_individual(self) -> np.ndarray:
        return np.concatenate(self._drivers_individual)


def simulate_workforce(
    units: Units,
    positions: Positions,
    month_starts: np.ndarray,
    org: OrgParameters,
    chain: ChainParameters,
    rng: np.random.Generator,
) -> Workforce:
    """Run the workforce month by month: engagement, leavers, vacancies and new hires.

    ``month_starts`` is a ``datetime64[D]`` array of the first day of each month.
    """
    n_months, n_pos = month_starts.size, positions.n
    days_in_month = (
        (month_starts.astype("datetime64[M]") + 1).astype("datetime64[D]") - month_starts
    ).astype(int)
    latent = LatentModel.from_parameters(org, chain)
    general, specific = _unit_effects(units, org, rng)
    roster = _Roster(positions, _EmployeeDraws(latent, general, specific, rng))
    shock = simulate_ex(np.zeros(units.n), n_months + 1, chain, rng)
    gap_p = np.asarray(org.vacancy_gap_probabilities, dtype=float)
    gap_p = gap_p / gap_p.sum()

    # initial holders, hired before the window with exponential tenure
    mean_years = np.where(
        positions.is_manager, org.mean_manager_tenure_years, org.mean_tenure_years
    )
    tenure_days = np.clip(rng.exponential(mean_years * 365.25), 14, 30 * 365.25).astype(int)
    current = roster.hire(np.arange(n_pos), month_starts[0] - tenure_days)
    refill_month = np.full(n_pos, -1)

    holder = np.full((n_pos, n_months), -1)
    first_day = np.zeros((n_pos, n_months), dtype=int)
    last_day = np.zeros((n_pos, n_months), dtype=int)
    ex = np.full((units.n, n_months + 1), np.nan)
    initial_points = chain.mu_mean + latent.points_per_z * roster.z + shock[positions.unit, 0]
    ex[:, 0] = _unit_mean(positions.unit, initial_points, units.n)
    leavers = np.zeros((units.n, n_months), dtype=int)

    for t in range(n_months):
        starting = np.flatnonzero((current < 0) & (refill_month == t))
        start_day = rng.integers(0, 5, starting.size)
        current[starting] = roster.hire(starting, month_starts[t] + start_day)
        first_day[starting, t] = start_day

        occupied = np.flatnonzero(current >= 0)
        employee = current[occupied]
        holder[occupied, t] = employee
        last_day[occupied, t] = days_in_month[t] - 1
        unit = positions.unit[occupied]
        points = chain.mu_mean + latent.points_per_z * roster.z[employee] + shock[unit, t + 1]
        ex[:, t + 1] = _unit_mean(unit, points, units.n)

        tenure_days = (month_starts[t] - roster.hire_date[employee]).astype(int)
        logit = (
            org.attrition_intercept
            + org.attrition_per_10_engagement_points * (points - chain.mu_mean) / 10
            + org.attrition_first_year * (tenure_days < 365)
        )
        leaving = rng.random(occupied.size) < 1 / (1 + np.exp(-logit))
        leaving_pos = occupied[leaving]
        low = first_day[leaving_pos, t]
        day = low + (rng.random(leaving_pos.size) * (days_in_month[t] - low)).astype(int)
        last_day[leaving_pos, t] = day
        roster.leave_date[current[leaving_pos]] = month_starts[t] + day
        gap = rng.choice(gap_p.size, size=leaving_pos.size, p=gap_p)
        refill_month[leaving_pos] = t + 1 + gap
        current[leaving_pos] = -1
        np.add.at(leavers[:, t], positions.unit[leaving_pos], 1)
        # a manager is succeeded on the day they leave (an acting appointment), so every
        # unit with a manager position always has a current manager
        managers = positions.is_manager[leaving_pos]
        succeeded = leaving_pos[managers]
        current[succeeded] = roster.hire(succeeded, month_starts[t] + day[managers])

    headcount = np.stack(
        [
            np.bincount(positions.unit[holder[:, t] >= 0], minlength=units.n)
            for t in range(n_months)
        ],
        axis=1,
    )
    return Workforce(
        position=roster.position,
        unit=positions.unit[roster.position],
        hire_date=roster.hire_date,
        leave_date=roster.leave_date,
        drivers=roster.drivers(),
        drivers_individual=roster.drivers_individual(),
        z=roster.z,
        z_individual=roster.z_individual,
        holder=holder,
        first_day=first_day,
        last_day=last_day,
        shock=shock,
        ex=ex,
        leavers=leavers,
        headcount=headcount.reshape(units.n, n_months),
        latent=latent,
        unit_general=general,
        unit_specific=specific,
        mu_mean=chain.mu_mean,
    )


def _unit_mean(unit: np.ndarray, values: np.ndarray, n_units: int) -> np.ndarray:
    totals = np.bincount(unit, weights=values, minlength=n_units)
    counts = np.bincount(unit, minlength=n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
