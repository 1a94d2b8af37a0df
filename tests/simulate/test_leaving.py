"""Why people leave in the synthetic organisation: leave type, reason, regretted loss and
the leaver survey, drawn from their own stream so nothing else changes."""

import numpy as np
import pandas as pd
import pytest

from servicechain.simulate import simulate_organisation
from servicechain.simulate.leaving import INVOLUNTARY_REASONS, VOLUNTARY_REASONS
from servicechain.surveys.bank import load_bank


@pytest.fixture(scope="module")
def org():
    return simulate_organisation("medium", seed=3)


def leavers(org) -> pd.DataFrame:
    return org.employees[org.employees["leave_date"].notna()]


def test_every_leaver_has_a_type_and_a_reason_of_that_type_and_stayers_have_none(org):
    gone = leavers(org)
    stayed = org.employees[org.employees["leave_date"].isna()]
    assert gone["leave_type"].isin(["voluntary", "involuntary"]).all()
    voluntary = gone["leave_type"] == "voluntary"
    assert gone.loc[voluntary, "leave_reason"].isin(VOLUNTARY_REASONS).all()
    assert gone.loc[~voluntary, "leave_reason"].isin(INVOLUNTARY_REASONS).all()
    assert stayed[["leave_type", "leave_reason"]].isna().all().all()
    assert stayed["regretted"].isna().all()


def test_only_voluntary_leavers_are_regretted_at_about_the_stated_share(org):
    gone = leavers(org)
    voluntary = gone["leave_type"] == "voluntary"
    assert gone.loc[~voluntary, "regretted"].isna().all()
    regretted = gone.loc[voluntary, "regretted"].astype(bool)
    truth = org.ground_truth["leaving"]
    assert regretted.mean() == pytest.approx(truth["regretted_share_of_voluntary"], abs=0.04)
    assert (~voluntary).mean() == pytest.approx(truth["involuntary_share"], abs=0.03)
    assert truth["realised"]["voluntary"] == voluntary.sum()


def test_leaving_reasons_change_nothing_else_in_the_organisation():
    usual = simulate_organisation("small", seed=11)
    tilted = simulate_organisation(
        "small", seed=11, involuntary_share=0.6, exit_survey_response_rate=0.9
    )
    columns = [c for c in usual.employees if c not in ("leave_type", "leave_reason", "regretted")]
    pd.testing.assert_frame_equal(usual.employees[columns], tilted.employees[columns])
    for table in ("employee_responses", "customer_responses", "transactions", "unit_months"):
        pd.testing.assert_frame_equal(getattr(usual, table), getattr(tilted, table))
    assert usual.ground_truth["attrition"] == tilted.ground_truth["attrition"]
    assert len(tilted.exit_responses) != len(usual.exit_responses)


def test_the_leaver_survey_is_answered_by_voluntary_leavers_on_their_last_day(org):
    survey = org.exit_responses
    people = org.employees.set_index("external_id").loc[org.exit_response_keys.to_numpy()]
    assert (people["leave_type"] == "voluntary").all()
    assert (survey["submitted_on"].to_numpy() == people["leave_date"].to_numpy()).all()
    assert (survey["unit_external_id"].to_numpy() == people["unit_external_id"].to_numpy()).all()
    voluntary = (leavers(org)["leave_type"] == "voluntary").sum()
    rate = org.ground_truth["leaving"]["exit_survey_response_rate"]
    assert len(survey) / voluntary == pytest.approx(rate, abs=0.05)
    assert not any("employee" in column for column in survey.columns)


def test_leaver_survey_answers_fit_the_item_bank(org):
    bank = load_bank()
    options = {value for value, _ in bank.item("EXT_REASON").options}
    survey = org.exit_responses
    assert survey["EXT_REASON"].isin(options).all()
    for code in ("EXT1", "EXT2", "EXT3", "EXT4", "EXT5"):
        assert survey[code].between(1, 5).all(), code
    assert set(survey["tenure_band"]) <= {"<1y", "1-2y", "2-5y", "5y+"}


def test_people_who_leave_over_their_manager_rate_the_manager_item_lower(org):
    survey = org.exit_responses
    manager = survey["EXT_REASON"] == "manager"
    # EXT1 (treated fairly) and EXT3 (someone tried to understand my reasons) rest on the
    # manager driver, which is lower in people who leave over their manager.
    rating = survey[["EXT1", "EXT3"]].mean(axis=1)
    assert rating[manager].mean() < rating[~manager].mean() - 0.15
    stated = survey["EXT_REASON"].to_numpy()
    recorded = (
        org.employees.set_index("external_id")
        .loc[org.exit_response_keys.to_numpy(), "leave_reason"]
        .to_numpy()
    )
    agreement = org.ground_truth["leaving"]["exit_reason_agreement"]
    assert np.mean(stated == recorded) >= agreement - 0.05
