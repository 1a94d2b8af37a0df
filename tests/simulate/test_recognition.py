"""The synthetic year of recognition: a long tail of givers and receivers, a few people
nobody recognises, nobody recognises themselves, team kudos credit the giver's unit, and
no giver ever spends more points in a month than the allowance."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from servicechain.simulate.recognition import simulate_recognition

VALUES = ["customers-first", "own-it", "better-together", "keep-it-simple", "care"]


@pytest.fixture(scope="module")
def year():
    rng = np.random.default_rng(0)
    people = pd.DataFrame(
        {
            "employee": np.arange(300),
            "unit": rng.integers(0, 20, 300),
            "hire_date": [dt.date(2020, 1, 1)] * 280 + [dt.date(2026, 6, 1)] * 20,
            "leave_date": [None] * 290 + [dt.date(2026, 3, 31)] * 10,
            "first_name": [f"P{i}" for i in range(300)],
        }
    )
    return people, simulate_recognition(
        people, start=dt.date(2025, 12, 1), end=dt.date(2026, 11, 30), values=VALUES, seed=3
    )


def test_recognition_has_a_long_tail_and_a_few_people_are_overlooked(year):
    people, result = year
    received = (
        result.recipients.groupby("employee").size().reindex(people["employee"], fill_value=0)
    )
    top = received.sort_values(ascending=False).head(30).sum()
    assert top / received.sum() > 0.25  # the top 10 % get well over 10 %
    assert 3 <= (received == 0).sum() <= 30


def test_nobody_recognises_themselves_and_team_kudos_credit_the_givers_unit(year):
    people, result = year
    credits = result.recipients.merge(result.kudos[["kudos", "giver", "team"]], on="kudos")
    assert (credits["employee"] != credits["giver"]).all()
    unit_of = dict(zip(people["employee"], people["unit"], strict=True))
    team = credits.dropna(subset=["team"])
    assert len(team) and (team["unit"] == team["team"]).all()
    assert (team["giver"].map(unit_of) == team["team"]).all()


def test_no_giver_spends_more_than_the_monthly_allowance(year):
    _, result = year
    per_kudos = result.recipients.groupby("kudos").size().rename("people")
    spent = result.kudos.join(per_kudos, on="kudos")
    spent["points"] = spent["points_each"] * spent["people"]
    month = spent["created_at"].dt.strftime("%Y-%m")
    assert spent.groupby(["giver", month])["points"].sum().max() <= 100


def test_people_are_recognised_only_while_they_work_here(year):
    people, result = year
    credits = result.recipients.merge(result.kudos[["kudos", "created_at"]], on="kudos")
    hired = credits["employee"].map(dict(zip(people["employee"], people["hire_date"], strict=True)))
    day = credits["created_at"].dt.date
    assert (day >= hired.map(lambda d: d.replace(day=1))).all()
    left = people.set_index("employee")["leave_date"].dropna()
    late = credits[credits["employee"].isin(left.index)]
    assert (late["created_at"].dt.date <= dt.date(2026, 4, 30)).all()


def test_the_same_seed_gives_the_same_year():
    people = pd.DataFrame(
        {
            "employee": range(30),
            "unit": [i % 3 for i in range(30)],
            "hire_date": [dt.date(2020, 1, 1)] * 30,
            "leave_date": [None] * 30,
        }
    )
    one, two = (
        simulate_recognition(
            people, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), values=VALUES, seed=9
        )
        for _ in range(2)
    )
    pd.testing.assert_frame_equal(one.kudos, two.kudos)
