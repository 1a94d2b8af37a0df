"""Synthetic contact-centre interval volumes with a known generating process.

Expected calls in an interval are ``daily_calls * weekday_factor * season(day) *
trend(day) * day_noise * share(slot)``, where ``share`` is a two-peak intraday
curve (a morning peak around 10:30 and an after-lunch peak around 14:30 on a
flat base) over the opening hours and zero outside them. Realised calls are
Gamma–Poisson (negative binomial) around that mean, so intervals are
over-dispersed as real ACD counts are. The interval's average handling time is
the mean of its calls' handling times: a Gamma draw with mean ``aht(slot)`` and
coefficient of variation ``1 / sqrt(calls)``; it is NaN for an interval with
no calls (there is nothing to average).

Every parameter is an argument so forecast and staffing code can be checked
against the truth (``expected_calls`` and ``expected_aht_s`` columns).

:func:`simulate_agents` draws a team with contracts and wishes for the
scheduler; a share of them want lunch while the pie van is parked outside
(10:00-12:00), many of those in its last hour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from servicechain.staffing.schedule import Agent, Contract, Preferences

__all__ = [
    "OTHER_LUNCH_WISHES",
    "PIE_VAN_WINDOW",
    "WEEKDAY_FACTORS",
    "intraday_profile",
    "simulate_agents",
    "simulate_contact_centre_volumes",
]

PIE_VAN_WINDOW = ("10:00", "12:00")

# Monday busiest, tailing off through the week, quiet weekend.
WEEKDAY_FACTORS = (1.18, 1.06, 1.0, 0.98, 0.94, 0.52, 0.32)


def intraday_profile(
    interval_minutes: int = 15,
    open_hours: tuple[str, str] = ("08:00", "20:00"),
    morning_peak: str = "10:30",
    afternoon_peak: str = "14:30",
    afternoon_weight: float = 0.85,
    night_share: float = 0.0,
) -> np.ndarray:
    """Share of a day's calls in each interval of a 24-hour day.

    Two Gaussian bumps (morning peak, sd 75 min; after-lunch peak, sd 100 min)
    on a base of 25 % of the morning peak height, restricted to opening hours.
    ``night_share`` > 0 keeps a flat trickle outside the opening hours (a 24-hour
    line) holding that share of the day's calls.

    Returns
    -------
    numpy.ndarray
        ``1440 / interval_minutes`` non-negative shares summing to 1.
    """
    if 1440 % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day, got {interval_minutes}")
    mid = (np.arange(0, 1440, interval_minutes) + interval_minutes / 2.0) / 60.0
    opens, closes = (_hours(t) for t in open_hours)
    is_open = (mid >= opens) & (mid < closes)
    curve = (
        0.25
        + np.exp(-0.5 * ((mid - _hours(morning_peak)) / 1.25) ** 2)
        + afternoon_weight * np.exp(-0.5 * ((mid - _hours(afternoon_peak)) / 1.67) ** 2)
    )
    day = np.where(is_open, curve, 0.0)
    day = day / day.sum() * (1.0 - night_share)
    if night_share > 0:
        night = ~is_open
        day[night] = night_share / night.sum()
    return day


def simulate_contact_centre_volumes(
    days: int = 365,
    interval_minutes: int = 15,
    seed: int = 0,
    start: str = "2025-01-06",
    tz: str = "Europe/London",
    open_hours: tuple[str, str] = ("08:00", "20:00"),
    daily_calls: float = 4000.0,
    weekday_factors: tuple[float, ...] = WEEKDAY_FACTORS,
    annual_amplitude: float = 0.10,
    trend_per_year: float = 0.05,
    day_noise_sd: float = 0.05,
    dispersion: float = 60.0,
    aht_s: float = 300.0,
    night_share: float = 0.0,
) -> pd.DataFrame:
    """Interval call volumes and handling times for ``days`` consecutive days.

    Parameters
    ----------
    days : int
        Number of days from ``start`` (local dates in ``tz``).
    interval_minutes : int
        Interval length; every day has ``1440 / interval_minutes`` rows.
    seed : int
        Seed of the random generator (same seed, same frame).
    start, tz : str
        First local date and the time zone of ``interval_start``.
    open_hours : (str, str)
        Local opening and closing time; no calls outside unless ``night_share``.
    daily_calls : float
        Mean calls on an average weekday (weekday factor 1) at ``start``.
    weekday_factors : tuple of 7 floats
        Multipliers Monday..Sunday.
    annual_amplitude : float
        Amplitude of the yearly cycle (winter high, summer low).
    trend_per_year : float
        Linear growth of volume per year.
    day_noise_sd : float
        Log-normal day-to-day level noise.
    dispersion : float
        Gamma–Poisson shape; variance = mean + mean^2 / dispersion.
    aht_s : float
        Mean handling time at mid-morning; 8 % longer in the afternoon peak.
    night_share : float
        Share of calls outside opening hours (0 for a centre that closes).

    Returns
    -------
    pandas.DataFrame
        Columns ``interval_start`` (tz-aware), ``calls`` (int), ``aht_s`` (float,
        NaN when no call), ``expected_calls``, ``expected_aht_s`` (the truth).
    """
    if len(weekday_factors) != 7:
        raise ValueError("weekday_factors needs 7 values, Monday..Sunday")
    rng = np.random.default_rng(seed)
    share = intraday_profile(interval_minutes, open_hours, night_share=night_share)
    slots = len(share)
    dates = pd.date_range(start, periods=days, freq="D")
    day_index = np.arange(days)
    level = np.asarray(
        daily_calls
        * np.asarray(weekday_factors)[dates.dayofweek]
        * (1.0 + annual_amplitude * np.cos(2 * np.pi * (dates.dayofyear - 15) / 365.25))
        * (1.0 + trend_per_year * day_index / 365.25)
        * np.exp(rng.normal(0.0, day_noise_sd, days) - day_noise_sd**2 / 2),
        dtype=float,
    )
    expected = level[:, None] * share[None, :]
    gamma_mean = rng.gamma(dispersion, 1.0 / dispersion, expected.shape) * expected
    calls = rng.poisson(gamma_mean)
    mid_hours = (np.arange(slots) * interval_minutes + interval_minutes / 2) / 60
    aht_curve = aht_s * (1.0 + 0.08 * np.exp(-0.5 * ((mid_hours - 14.5) / 2.0) ** 2))
    expected_aht = np.broadcast_to(aht_curve, calls.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        handled = np.maximum(calls, 1)
        mean_aht = rng.gamma(handled, expected_aht / handled)
    mean_aht = np.where(calls > 0, mean_aht, np.nan)
    local = dates.repeat(slots) + pd.to_timedelta(
        np.tile(np.arange(slots) * interval_minutes, days), unit="min"
    )
    return pd.DataFrame(
        {
            # A wall-clock time that does not exist (spring DST gap) is dropped; a
            # repeated one (autumn) is kept once, in standard time.
            "interval_start": local.tz_localize(
                tz, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="NaT"
            ),
            "calls": calls.ravel(),
            "aht_s": mean_aht.ravel(),
            "expected_calls": expected.ravel(),
            "expected_aht_s": expected_aht.ravel(),
        }
    ).dropna(subset=["interval_start"], ignore_index=True)


def simulate_agents(
    n: int = 60,
    seed: int = 0,
    open_hours: tuple[str, str] = ("08:00", "20:00"),
    van_share: float = 1 / 3,
) -> list[Agent]:
    """A team of ``n`` agents with contracts and wishes.

    Contracts: 55 % full time (8.5 h on site, two paid 15-minute breaks and a
    30-minute lunch), 15 % full time with a 60-minute lunch (9 h), 30 % part
    time (4 h, one break, no lunch; half mornings, half afternoons). When the
    centre is open more than 16 hours, a quarter of the full-timers work late
    contracts (start from 14:00) and one in twenty nights (00:00-09:00).
    Full-timers work Monday to Friday or a rota covering the weekend;
    part-timers three days.

    Wishes: 70 % of the agents with a lunch wish for a lunch window their
    contract can reach; for those who can reach the pie van, ``van_share`` of
    the wishes are the van (10:00-12:00 or its last hour, 11:00-12:00), the
    rest are 12:00-13:30, 13:00-14:30 or, for late workers, 18:00-19:30. Half
    the agents wish a shift start near one of the starts their contract allows.
    ``unmet_lunch_days`` is 0, 1 or 2 (fairness memory).

    Returns
    -------
    list of Agent
        Ids ``"A001"``, ``"A002"``, ...
    """
    rng = np.random.default_rng(seed)
    opens, closes = open_hours
    long_day = _hours(closes) - _hours(opens) > 16
    agents = []
    for k in range(n):
        contract = _draw_contract(rng, opens, closes, long_day)
        agents.append(Agent(f"A{k + 1:03d}", contract, _draw_preferences(rng, contract, van_share)))
    return agents


def _draw_contract(rng, opens: str, closes: str, long_day: bool) -> Contract:
    kind = rng.choice(
        ["full", "full_long_lunch", "part_morning", "part_afternoon"], p=[0.55, 0.15, 0.15, 0.15]
    )
    weekdays = (0, 1, 2, 3, 4)
    if kind.startswith("part"):
        days = tuple(sorted(rng.choice(7, size=3, replace=False).tolist()))
        # Part-timers work daytime hours, even in a 24-hour centre.
        if kind == "part_morning":
            return Contract((240,), _clock(max(_hours(opens), 7)), "14:00", days, 1, 0)
        return Contract((240,), "12:00", _clock(min(_hours(closes), 22)), days, 1, 0)
    days = (
        weekdays
        if rng.random() < 0.7
        else tuple(sorted({5, 6} | set(rng.choice(5, 3, False).tolist())))
    )
    length, lunch = (540, 60) if kind == "full_long_lunch" else (510, 30)
    earliest, latest = opens, closes
    if long_day:
        shift = rng.random()
        if shift < 0.05:
            earliest, latest = "00:00", "09:00"
        elif shift < 0.30:
            earliest = "14:00"
        else:
            earliest, latest = _clock(max(_hours(opens), 6)), _clock(min(_hours(closes), 22))
    return Contract((length,), earliest, latest, days, 2, lunch)


OTHER_LUNCH_WISHES = (("12:00", "13:30"), ("13:00", "14:30"), ("18:00", "19:30"))


def _draw_preferences(rng, contract: Contract, van_share: float) -> Preferences:
    lunch = None
    if contract.lunch_minutes and rng.random() < 0.7:
        van = [
            w for w in (PIE_VAN_WINDOW, ("11:00", "12:00")) if _lunch_wish_reachable(contract, w)
        ]
        other = [w for w in OTHER_LUNCH_WISHES if _lunch_wish_reachable(contract, w)]
        if van and (rng.random() < van_share or not other):
            lunch = van[rng.integers(len(van))]
        elif other:
            lunch = other[rng.integers(len(other))]
    start = None
    if rng.random() < 0.5:
        earliest = _hours(contract.earliest_start)
        latest = _hours(contract.latest_end) - max(contract.shift_lengths) / 60
        if latest >= earliest:
            start = _clock(earliest + 0.5 * rng.integers(0, int(2 * (latest - earliest)) + 1))
    return Preferences(
        lunch_window=lunch,
        preferred_shift_start=start,
        unmet_lunch_days=int(rng.choice([0, 0, 0, 1, 2])),
    )


def _lunch_wish_reachable(contract: Contract, wish: tuple[str, str]) -> bool:
    """Could some shift of the contract have its lunch (2.5-5.5 h in) in the wish window?"""
    length = max(contract.shift_lengths) / 60
    first_lunch = _hours(contract.earliest_start) + 2.5
    last_lunch = _hours(contract.latest_end) - length + 5.5
    return first_lunch <= _hours(wish[1]) - contract.lunch_minutes / 60 and last_lunch >= _hours(
        wish[0]
    )


def _clock(hours: float) -> str:
    minutes = int(round(hours * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours(clock: str) -> float:
    hours, minutes = clock.split(":")
    return int(hours) + int(minutes) / 60.0
