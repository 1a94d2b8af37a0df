"""Employee survey waves and item-level answers generated from the latent drivers.

Answer model (``x`` clipped to the item's range and rounded)::

    driver item i of driver k:  x = m_k + o_i + slope * D_jkt + e,   e ~ N(0, noise_sd)
    engagement item i:          x = 1 + 4 * eng_jt / 100 + o_i + e   (so the scale score ~ eng_jt)
    eNPS:                       x = enps_mean + enps_slope * (eng_jt - mu_mean) / points_sd + e

Reverse-keyed items store ``6 - x``. ``o_i ~ N(0, item_offset_sd)`` is a fixed item offset.
Responses carry no employee id; ``keys`` maps response ids to employees for ground truth only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from servicechain.simulate.encoding import employee_ids, external_ids, nullable_int, utc_timestamps
from servicechain.simulate.parameters import DRIVERS, OrgParameters
from servicechain.simulate.text import EMPLOYEE_PHRASES, FRAMES, compose
from servicechain.simulate.workforce import OPENS_DAY, Workforce
from servicechain.surveys.bank import ItemBank

WAVE_LENGTH_DAYS = 14
TENURE_BANDS = ("<1y", "1-2y", "2-5y", "5y+")


@dataclass(frozen=True)
class EmployeeSurvey:
    waves: pd.DataFrame
    responses: pd.DataFrame
    keys: pd.Series
    comment_labels: pd.DataFrame
    wave_months: np.ndarray


def wave_schedule(n_months: int) -> list[tuple[int, str]]:
    """(month index, kind) of each wave: quarterly, alternating census and pulse."""
    months = list(range(2, n_months, 3)) or [n_months - 1]
    return [(m, "census" if i % 2 == 0 else "pulse") for i, m in enumerate(months)]


def tenure_band(days: np.ndarray) -> np.ndarray:
    """Tenure band labels for tenures in days."""
    edges = np.array([365, 730, 1826])
    return np.array(TENURE_BANDS, dtype=object)[np.searchsorted(edges, days, side="right")]


def simulate_employee_survey(
    workforce: Workforce,
    positions_family: np.ndarray,
    unit_ids: np.ndarray,
    month_starts: np.ndarray,
    bank: ItemBank,
    org: OrgParameters,
    rng: np.random.Generator,
) -> EmployeeSurvey:
    """Draw waves, respondents, item answers and comments."""
    census_items = [bank.item(c) for c in bank.instruments["engagement_census"]]
    scored = [item for item in census_items if item.is_scored]
    item_codes = [item.code for item in scored]
    offsets = rng.normal(0.0, org.item_offset_sd, len(scored))

    schedule = wave_schedule(month_starts.size)
    wave_rows, frames, key_frames, label_frames = [], [], [], []
    next_id = 0
    for w, (month, kind) in enumerate(schedule):
        wave_id = f"W{w + 1:02d}"
        instrument = "engagement_census" if kind == "census" else "engagement_pulse"
        opens = month_starts[month] + OPENS_DAY
        closes = opens + WAVE_LENGTH_DAYS - 1
        period = str(month_starts[month].astype("datetime64[M]"))
        wave_rows.append(
            {
                "wave_id": wave_id,
                "name": f"Engagement {kind} {period}",
                "instrument": instrument,
                "kind": kind,
                "opens_on": pd.Timestamp(opens),
                "closes_on": pd.Timestamp(closes),
            }
        )
        rate = org.census_response_rate if kind == "census" else org.pulse_response_rate
        holders = workforce.holder[:, month]
        eligible = np.flatnonzero((holders >= 0) & (workforce.last_day[:, month] >= OPENS_DAY))
        position = eligible[rng.random(eligible.size) < rate]
        employee = holders[position]
        n = position.size
        unit = workforce.unit[employee]
        months = np.full(n, month)
        drivers = workforce.drivers_at(employee, unit, months)
        points = workforce.engagement_points(employee, unit, months)
        answers = _answers(scored, offsets, drivers, points, workforce.mu_mean, org, rng)
        in_instrument = np.isin(item_codes, bank.instruments[instrument])
        answers[:, ~in_instrument] = np.nan
        answers[rng.random(answers.shape) < org.item_missing_rate] = np.nan

        last = np.minimum(workforce.last_day[position, month], OPENS_DAY + WAVE_LENGTH_DAYS - 1)
        day = OPENS_DAY + (rng.random(n) * (last - OPENS_DAY + 1)).astype(int)
        seconds = (7 + 15 * rng.random(n)) * 3600
        submitted = utc_timestamps(month_starts[month] + day, seconds)
        tenure = (opens - workforce.hire_date[employee]).astype(int)
        response_ids = external_ids("ER", np.arange(next_id, next_id + n), 7)
        next_id += n

        pulse_drivers = [
            d for d in DRIVERS if d in {bank.item(c).scale for c in bank.instruments[instrument]}
        ]
        comment, labels = _comments(drivers, points, pulse_drivers, workforce, org, rng)
        labels.insert(0, "response_id", response_ids[labels.pop("row").to_numpy()])

        frame = pd.DataFrame(
            {
                "response_id": response_ids,
                "wave_id": wave_id,
                "unit_external_id": unit_ids[unit],
                "tenure_band": tenure_band(tenure),
                "job_family": positions_family[position],
                "submitted_at": submitted,
            }
        )
        item_frame = pd.DataFrame(
            {code: nullable_int(answers[:, j]) for j, code in enumerate(item_codes)}
        )
        frame = pd.concat([frame, item_frame], axis=1)
        frame["comment"] = comment
        frames.append(frame)
        key_frames.append(pd.Series(employee_ids(employee), index=response_ids))
        label_frames.append(labels)

    responses = pd.concat(frames, ignore_index=True)
    keys = pd.concat(key_frames)
    keys.index.name = "response_id"
    keys.name = "employee_external_id"
    return EmployeeSurvey(
        waves=pd.DataFrame(wave_rows),
        responses=responses,
        keys=keys,
        comment_labels=pd.concat(label_frames, ignore_index=True),
        wave_months=np.array([m for m, _ in schedule]),
    )


def _answers(scored, offsets, drivers, points, mu_mean, org: OrgParameters, rng) -> np.ndarray:
    n = points.size
    out = np.empty((n, len(scored)))
    z = (points - mu_mean) / org.engagement_points_sd
    for j, item in enumerate(scored):
        if item.scale == "engagement":
            raw = 1 + 4 * points / 100 + offsets[j] + rng.normal(0, org.engagement_item_noise_sd, n)
        elif item.scale == "enps":
            raw = org.enps_mean + org.enps_slope * z + rng.normal(0, org.enps_noise_sd, n)
        else:
            k = DRIVERS.index(item.scale)
            raw = (
                org.driver_item_means[item.scale]
                + offsets[j]
                + org.driver_item_slope * drivers[:, k]
                + rng.normal(0, org.driver_item_noise_sd, n)
            )
        value = np.clip(np.rint(raw), item.min_value, item.max_value)
        out[:, j] = item.min_value + item.max_value - value if item.reverse else value
    return out


def _comments(drivers, points, asked_drivers, workforce: Workforce, org: OrgParameters, rng):
    """Comments about the weakest (negative) or strongest (positive) asked driver."""
    n = points.size
    has_comment = rng.random(n) < org.employee_comment_rate
    z = (points - workforce.mu_mean) / org.engagement_points_sd
    negative = z + rng.normal(0, org.comment_sentiment_noise_sd, n) < org.comment_negative_threshold
    columns = [DRIVERS.index(d) for d in asked_drivers]
    asked = drivers[:, columns]
    pick = np.where(negative, asked.argmin(axis=1), asked.argmax(axis=1))
    themes = np.array(asked_drivers, dtype=object)[pick]
    rows = np.flatnonzero(has_comment)
    text = compose(themes[rows], negative[rows], EMPLOYEE_PHRASES, FRAMES, rng)
    comment = np.full(n, None, dtype=object)
    comment[rows] = text
    labels = pd.DataFrame(
        {
            "row": rows,
            "theme": themes[rows],
            "sentiment": np.where(negative[rows], "negative", "positive"),
        }
    )
    return comment, labels
