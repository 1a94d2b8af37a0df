"""The synthetic organisation is reproducible, consistent and faithful to its ground truth."""

import json
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servicechain.simulate import FILES, SIZES, simulate_organisation
from servicechain.simulate.text import CUSTOMER_PHRASES, EMPLOYEE_PHRASES
from servicechain.surveys.bank import load_bank

TABLES = [name.removesuffix(".csv") for name in FILES if name.endswith(".csv")]


@pytest.fixture(scope="module")
def org():
    return simulate_organisation("small", seed=0)


@pytest.fixture(scope="module")
def mid_org():
    """Big enough for statistical checks, still well under a second."""
    return simulate_organisation(units=120, employees=2000, months=24, seed=7)


def by_id(frame, column="external_id"):
    return frame.set_index(column)


# --- reproducibility and size -------------------------------------------------------------


def test_same_seed_gives_identical_frames_and_truth(org):
    again = simulate_organisation("small", seed=0)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(org, name), getattr(again, name), obj=name)
    assert org.ground_truth == again.ground_truth
    pd.testing.assert_series_equal(org.employee_response_keys, again.employee_response_keys)


def test_different_seed_gives_different_people_and_answers(org):
    other = simulate_organisation("small", seed=1)
    assert not org.employees["last_name"].equals(other.employees["last_name"])
    assert not org.unit_months["cx"].equals(other.unit_months["cx"])


def test_small_generates_in_under_three_seconds():
    start = time.perf_counter()
    simulate_organisation("small", seed=3)
    assert time.perf_counter() - start < 3.0


def test_small_has_roughly_the_stated_size(org):
    preset = SIZES["small"]
    assert len(org.units) == preset["units"]
    still_employed = org.employees["leave_date"].isna().sum()
    assert 0.9 * preset["employees"] <= still_employed <= preset["employees"]
    assert org.unit_months["period"].nunique() == preset["months"]
    submitted = org.customer_responses["submitted_at"]
    assert submitted.dt.strftime("%Y-%m").nunique() >= 12
    assert len(org.employee_waves) >= 3
    assert org.ground_truth["sizes"]["months"] == 12


def test_explicit_sizes_and_start_month_are_honoured():
    org = simulate_organisation(units=20, months=12, employees=200, seed=0, start="2025-12-01")
    assert len(org.units) == 20
    assert org.unit_months["period"].min() == "2025-12"
    assert org.unit_months["period"].max() == "2026-11"


def test_default_window_ends_in_a_fixed_month(org):
    assert org.unit_months["period"].max() == "2025-10"


def test_impossible_sizes_and_unknown_options_are_rejected():
    with pytest.raises(ValueError, match="at least 5 units"):
        simulate_organisation(units=3, employees=100)
    with pytest.raises(ValueError, match="too few"):
        simulate_organisation(units=50, employees=60)
    with pytest.raises(ValueError, match="unknown size"):
        simulate_organisation("huge")
    with pytest.raises(TypeError, match="unknown parameter"):
        simulate_organisation("small", engagment_weights={})


def test_overrides_reach_the_model_and_the_ground_truth():
    org = simulate_organisation("small", seed=0, b_ex_cx=0.5, incident_rate_per_1000=20.0)
    assert org.ground_truth["chain"]["b_ex_cx"] == 0.5
    assert org.ground_truth["incidents"]["rate_per_1000_interactions"] == 20.0
    assert len(org.incidents) / len(org.interactions) > 0.01


# --- the unit tree --------------------------------------------------------------------------


def test_units_form_a_single_rooted_tree_with_parents_first(org):
    units = org.units
    roots = units[units["parent_external_id"].isna()]
    assert len(roots) == 1 and roots["kind"].item() == "organisation"
    position = {uid: i for i, uid in enumerate(units["external_id"])}
    assert units["external_id"].is_unique
    for uid, parent in zip(units["external_id"], units["parent_external_id"], strict=True):
        if parent is not None:
            assert position[parent] < position[uid]


def test_tree_levels_nest_root_region_area_outlet(org):
    kind_of = dict(zip(org.units["external_id"], org.units["kind"], strict=True))
    expected_parent = {
        "region": {"organisation"},
        "area": {"region"},
        "store": {"area"},
        "team": {"area"},
        "contact_centre": {"organisation", "region", "area"},
    }
    for kind, parent in zip(org.units["kind"], org.units["parent_external_id"], strict=True):
        if kind != "organisation":
            assert kind_of[parent] in expected_parent[kind]
    assert (org.units["kind"] == "contact_centre").sum() == 1


@pytest.mark.parametrize("size", ["small", "medium", "large", "xlarge"])
def test_every_size_has_exactly_one_contact_centre(size):
    from servicechain.simulate.structure import build_units

    units = build_units(SIZES[size]["units"], np.random.default_rng(0), 0)
    assert (units.kind == "contact_centre").sum() == 1
    assert units.n == SIZES[size]["units"]


def test_xlarge_thins_its_customer_side_and_explicit_parameters_win():
    # Counts shrunk so the test is quick; the preset's parameters still apply.
    thin = simulate_organisation("xlarge", units=30, employees=400, months=3, seed=0)
    assert thin.ground_truth["parameters"]["customers_per_frontline"] == 1.0
    assert thin.ground_truth["parameters"]["customer_response_rate"] == 0.10
    assert list(thin.employee_waves["kind"]) == ["census"]
    chosen = simulate_organisation(
        "xlarge", units=30, employees=400, months=3, seed=0, customer_response_rate=0.2
    )
    assert chosen.ground_truth["parameters"]["customer_response_rate"] == 0.2
    default = simulate_organisation(units=30, employees=400, months=3, seed=0)
    assert default.ground_truth["parameters"]["customers_per_frontline"] == 8.5
    assert len(thin.customers) < len(default.customers) / 4


def test_non_leaf_units_have_one_current_manager_and_most_outlets_too(org):
    current = org.employees[org.employees["leave_date"].isna()]
    managers = current[current["is_manager"]].groupby("unit_external_id").size()
    kinds = by_id(org.units)["kind"]
    for uid, kind in kinds.items():
        if kind in {"organisation", "region", "area", "contact_centre"}:
            assert managers.get(uid, 0) == 1, uid
    outlets = kinds[kinds.isin(["store", "team"])].index
    assert (managers.reindex(outlets).fillna(0) == 1).mean() >= 0.8
    assert (managers <= 1).all()


# --- referential integrity ------------------------------------------------------------------


def test_every_foreign_key_refers_to_an_existing_row(org):
    unit_ids = set(org.units["external_id"])
    employee_ids = set(org.employees["external_id"])
    customer_ids = set(org.customers["external_id"])
    interaction_ids = set(org.interactions["external_id"])
    assert set(org.employees["unit_external_id"]) <= unit_ids
    assert set(org.customers["owner_employee_external_id"]) <= employee_ids
    assert set(org.interactions["customer_external_id"]) <= customer_ids
    assert set(org.interactions["employee_external_id"]) <= employee_ids
    assert set(org.interactions["unit_external_id"]) <= unit_ids
    assert set(org.transactions["customer_external_id"]) <= customer_ids
    assert set(org.transactions["employee_external_id"].dropna()) <= employee_ids
    assert set(org.unit_months["unit_external_id"]) <= unit_ids
    assert set(org.employee_responses["wave_id"]) <= set(org.employee_waves["wave_id"])
    assert set(org.employee_responses["unit_external_id"]) <= unit_ids
    assert set(org.customer_responses["interaction_external_id"]) <= interaction_ids
    assert set(org.incidents["customer_external_id"]) <= customer_ids
    assert set(org.incidents["employee_external_id"]) <= employee_ids
    for name in ("units", "employees", "customers", "interactions", "transactions", "incidents"):
        assert getattr(org, name)["external_id"].is_unique, name
    assert org.employee_responses["response_id"].is_unique
    assert org.customer_responses["response_id"].is_unique


def test_customers_are_owned_by_frontline_employees_of_stores_and_teams(org):
    owners = by_id(org.employees).loc[org.customers["owner_employee_external_id"]]
    assert (owners["job_family"] == "frontline").all()
    kinds = by_id(org.units)["kind"].loc[owners["unit_external_id"]]
    assert kinds.isin(["store", "team"]).all()
    assert org.customers["email"].is_unique
    assert org.employees["email"].is_unique


def test_unit_months_cover_every_store_and_team_every_month(org):
    outlets = org.units.loc[org.units["kind"].isin(["store", "team"]), "external_id"]
    assert set(org.unit_months["unit_external_id"]) == set(outlets)
    assert len(org.unit_months) == len(outlets) * 12
    assert (
        org.unit_months[["ex", "cx", "repeat_rate", "revenue", "revenue_growth"]]
        .notna()
        .all()
        .all()
    )


def test_confidential_responses_carry_no_employee_id_but_keys_map_them(org):
    responses = org.employee_responses
    assert not any("employee" in column for column in responses.columns)
    keys = org.employee_response_keys
    assert list(keys.index) == list(responses["response_id"])
    assert set(keys) <= set(org.employees["external_id"])
    # a respondent answers at most once per wave
    per_wave = pd.DataFrame({"wave": responses["wave_id"].to_numpy(), "employee": keys.to_numpy()})
    assert not per_wave.duplicated().any()
    # and the response is filed under the unit they worked in
    units = by_id(org.employees)["unit_external_id"].loc[keys.to_numpy()]
    assert (units.to_numpy() == responses["unit_external_id"].to_numpy()).all()


# --- dates --------------------------------------------------------------------------------------


def test_timestamps_are_utc_and_dates_are_naive(org):
    for name, column in [
        ("interactions", "started_at"),
        ("transactions", "occurred_at"),
        ("employee_responses", "submitted_at"),
        ("customer_responses", "submitted_at"),
        ("incidents", "occurred_at"),
    ]:
        assert str(getattr(org, name)[column].dt.tz) == "UTC", name
    assert org.employees["hire_date"].dt.tz is None
    assert org.employee_waves["opens_on"].dt.tz is None


def test_leave_dates_follow_hire_dates_and_hires_span_years(org):
    employees = org.employees
    left = employees.dropna(subset=["leave_date"])
    assert len(left) > 0
    assert (left["leave_date"] >= left["hire_date"]).all()
    assert employees["hire_date"].min() < pd.Timestamp("2020-01-01")
    first_month = pd.Timestamp("2024-11-01")
    assert (employees["hire_date"] >= first_month).sum() > 0  # replacements were hired


def test_activity_falls_inside_the_window_and_the_employment_of_the_server(org):
    window_start = pd.Timestamp("2024-11-01", tz="UTC")
    window_end = pd.Timestamp("2025-11-01", tz="UTC")
    employees = by_id(org.employees)
    for frame, column in [(org.interactions, "started_at"), (org.transactions, "occurred_at")]:
        assert frame[column].between(window_start, window_end, inclusive="left").all()
        served = frame.dropna(subset=["employee_external_id"])
        people = employees.loc[served["employee_external_id"]]
        day = served[column].dt.tz_localize(None).dt.normalize().to_numpy()
        assert (day >= people["hire_date"].to_numpy()).all()
        leave = people["leave_date"].to_numpy()
        assert ((day <= leave) | pd.isna(leave)).all()


def test_survey_answers_arrive_in_the_wave_window_while_employed(org):
    waves = by_id(org.employee_waves, "wave_id")
    responses = org.employee_responses
    day = responses["submitted_at"].dt.tz_localize(None).dt.normalize()
    opens = waves["opens_on"].loc[responses["wave_id"]].to_numpy()
    closes = waves["closes_on"].loc[responses["wave_id"]].to_numpy()
    assert (day.to_numpy() >= opens).all() and (day.to_numpy() <= closes).all()
    people = by_id(org.employees).loc[org.employee_response_keys.to_numpy()]
    assert (people["hire_date"].to_numpy() <= day.to_numpy()).all()
    leave = people["leave_date"].to_numpy()
    assert ((day.to_numpy() <= leave) | pd.isna(leave)).all()
    assert (waves["opens_on"] < waves["closes_on"]).all()


def test_customer_responses_come_after_their_interaction(org):
    started = by_id(org.interactions)["started_at"].loc[
        org.customer_responses["interaction_external_id"]
    ]
    assert (org.customer_responses["submitted_at"].to_numpy() > started.to_numpy()).all()


# --- survey values ----------------------------------------------------------------------------


def test_employee_item_answers_are_in_range_and_follow_the_instrument(org):
    bank = load_bank()
    waves = by_id(org.employee_waves, "wave_id")
    responses = org.employee_responses
    census_codes = [c for c in bank.instruments["engagement_census"] if bank.item(c).is_scored]
    for code in census_codes:
        item = bank.item(code)
        values = responses[code].dropna()
        assert values.between(item.min_value, item.max_value).all(), code
    for wave_id, wave in waves.iterrows():
        rows = responses[responses["wave_id"] == wave_id]
        asked = set(bank.instruments[wave["instrument"]])
        for code in census_codes:
            if code not in asked:
                assert rows[code].isna().all(), (wave_id, code)
    census = responses[responses["wave_id"].isin(waves.index[waves["kind"] == "census"])]
    missing = census[census_codes].isna().to_numpy().mean()
    assert 0.005 < missing < 0.05


def test_waves_mix_census_and_pulse_instruments(org):
    waves = org.employee_waves
    assert set(waves["kind"]) == {"census", "pulse"}
    assert set(waves["instrument"]) == {"engagement_census", "engagement_pulse"}
    assert set(org.employee_responses["tenure_band"]) <= {"<1y", "1-2y", "2-5y", "5y+"}
    assert org.employee_responses["tenure_band"].nunique() >= 3


def test_about_thirty_percent_of_employees_comment_about_a_labelled_theme(org):
    comments = org.employee_responses.set_index("response_id")["comment"]
    share = comments.notna().mean()
    assert 0.2 < share < 0.4
    labels = org.employee_comment_labels
    assert set(labels["response_id"]) == set(comments.dropna().index)
    for row in labels.itertuples():
        phrases = EMPLOYEE_PHRASES[row.theme][row.sentiment]
        assert any(p[1:] in comments[row.response_id] for p in phrases)


def test_customer_answers_are_in_range(org):
    bank = load_bank()
    for code in ("csat", "nps", "effort", "friendliness", "competence", "speed", "fcr"):
        item = bank.item(code)
        values = org.customer_responses[code].dropna()
        assert values.between(item.min_value, item.max_value).all(), code
    assert org.customer_responses["comment"].notna().mean() == pytest.approx(0.15, abs=0.05)
    for row in org.customer_comment_labels.itertuples():
        text = by_id(org.customer_responses, "response_id")["comment"].loc[row.response_id]
        assert any(p[1:] in text for p in CUSTOMER_PHRASES[row.theme][row.sentiment])


def test_incidents_have_valid_severity_and_a_description(org):
    assert org.incidents["severity"].between(1, 3).all()
    assert org.incidents["description"].str.len().gt(10).all()


# --- ground truth and writing -------------------------------------------------------------------


def test_ground_truth_round_trips_through_json_and_has_every_section(org):
    truth = org.ground_truth
    assert json.loads(json.dumps(truth)) == truth
    for key in (
        "seed",
        "sizes",
        "engagement_driver_weights",
        "customer_driver_weights",
        "chain",
        "attrition",
        "incidents",
        "response_rates",
        "noise_sds",
    ):
        assert key in truth, key
    chain = truth["chain"]
    for key in ("b_ex_cx", "b_cx_repeat", "b_repeat_rev", "indirect_ex_revenue"):
        assert key in chain
    assert chain["indirect_ex_revenue"] == pytest.approx(
        chain["b_ex_cx"] * chain["b_cx_repeat"] * chain["b_repeat_rev"]
    )
    assert truth["engagement_top_drivers"] == ["empowerment", "manager", "recognition"]
    assert truth["attrition"]["per_10_engagement_points"] < 0
    assert truth["incidents"]["rate_per_1000_interactions"] > 0


def test_write_creates_every_file_readable_with_iso_datetimes(org, tmp_path):
    written = org.write(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(FILES)
    for name in TABLES:
        frame = pd.read_csv(tmp_path / "out" / f"{name}.csv", encoding="utf-8")
        assert len(frame) == len(getattr(org, name)), name
        assert list(frame.columns) == list(getattr(org, name).columns), name
    interactions = pd.read_csv(tmp_path / "out" / "interactions.csv")
    assert interactions["started_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00").all()
    parsed = pd.to_datetime(interactions["started_at"], utc=True)
    assert (parsed.to_numpy() == org.interactions["started_at"].to_numpy()).all()
    employees = pd.read_csv(tmp_path / "out" / "employees.csv", keep_default_na=False)
    assert employees["hire_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert set(employees.loc[org.employees["leave_date"].isna().to_numpy(), "leave_date"]) == {""}
    truth = json.loads((tmp_path / "out" / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth == org.ground_truth
    assert not (tmp_path / "out" / "employee_response_keys.csv").exists()


# --- the model behaves as documented ------------------------------------------------------------


def within_unit_slope(frame, y, x, unit="unit_external_id"):
    data = frame.dropna(subset=[x, y])
    groups = data.groupby(unit)
    y_within = data[y] - groups[y].transform("mean")
    x_within = data[x] - groups[x].transform("mean")
    return float((x_within * y_within).sum() / (x_within**2).sum())


def test_unit_months_follow_the_chain_equations(mid_org):
    months = mid_org.unit_months.copy()
    months["ex_lag"] = months.groupby("unit_external_id")["ex"].shift(1)
    chain = mid_org.ground_truth["chain"]
    assert within_unit_slope(months, "cx", "ex_lag") == pytest.approx(chain["b_ex_cx"], abs=0.06)
    assert within_unit_slope(months, "repeat_rate", "cx") == pytest.approx(
        chain["b_cx_repeat"], rel=0.15
    )
    assert within_unit_slope(months, "revenue_growth", "repeat_rate") == pytest.approx(
        chain["b_repeat_rev"], rel=0.15
    )


def unit_month_of(org, frame, time_column):
    owner = by_id(org.customers)["owner_employee_external_id"]
    unit = by_id(org.employees)["unit_external_id"]
    out = pd.DataFrame(
        {
            "unit_external_id": unit.loc[owner.loc[frame["customer_external_id"]]].to_numpy(),
            "period": frame[time_column].dt.strftime("%Y-%m").to_numpy(),
        }
    )
    return out


def test_transactions_add_up_to_unit_revenue_and_compound_its_growth(mid_org):
    tx = mid_org.transactions
    keys = unit_month_of(mid_org, tx, "occurred_at")
    revenue = tx["amount"].groupby([keys["unit_external_id"], keys["period"]]).sum()
    months = mid_org.unit_months.set_index(["unit_external_id", "period"])
    assert np.allclose(revenue.reindex(months.index).to_numpy(), months["revenue"], atol=0.01)
    ratio = months["revenue"].groupby(level=0).transform(lambda r: r / r.shift(1))
    implied = 100 * (ratio**12 - 1)
    observed = months["revenue_growth"][implied.notna()]
    assert np.allclose(implied.dropna(), observed, atol=0.05)


def test_share_of_customers_buying_tracks_the_repeat_rate(mid_org):
    tx = mid_org.transactions
    keys = unit_month_of(mid_org, tx, "occurred_at")
    keys["customer"] = tx["customer_external_id"].to_numpy()
    buyers = keys.drop_duplicates().groupby(["unit_external_id", "period"]).size()
    owner_unit = by_id(mid_org.employees)["unit_external_id"].loc[
        mid_org.customers["owner_employee_external_id"]
    ]
    customers = owner_unit.value_counts()
    months = mid_org.unit_months.set_index(["unit_external_id", "period"])
    share = (
        buyers.reindex(months.index).to_numpy()
        / customers.loc[months.index.get_level_values(0)].to_numpy()
    )
    assert np.corrcoef(share, months["repeat_rate"])[0, 1] > 0.5
    assert abs(np.mean(share) - months["repeat_rate"].mean()) < 0.02


def test_interaction_volumes_rise_with_repeat_business(mid_org):
    counts = mid_org.interactions.groupby(
        [
            mid_org.interactions["unit_external_id"],
            mid_org.interactions["started_at"].dt.strftime("%Y-%m"),
        ]
    ).size()
    months = mid_org.unit_months.set_index(["unit_external_id", "period"])
    per_customer = counts.reindex(months.index).fillna(0)
    owners = by_id(mid_org.employees)["unit_external_id"].loc[
        mid_org.customers["owner_employee_external_id"]
    ]
    per_customer = (
        per_customer / owners.value_counts().loc[months.index.get_level_values(0)].to_numpy()
    )
    assert np.corrcoef(per_customer, months["repeat_rate"])[0, 1] > 0.2


def test_incidents_occur_at_the_stated_rate_per_thousand_interactions(mid_org):
    rate = 1000 * len(mid_org.incidents) / len(mid_org.interactions)
    expected = mid_org.ground_truth["incidents"]["rate_per_1000_interactions"]
    assert rate == pytest.approx(expected, rel=0.15)


def test_leavers_were_less_engaged_than_stayers(mid_org):
    from servicechain.surveys.bank import score_scales

    responses = mid_org.employee_responses
    scores = score_scales(responses, ["engagement"])["engagement"]
    employee = mid_org.employee_response_keys.to_numpy()
    left = by_id(mid_org.employees)["leave_date"].loc[employee].notna().to_numpy()
    assert scores[left].mean() < scores[~left].mean() - 3


def test_customers_rate_resolved_contacts_and_competent_staff_higher(mid_org):
    answers = (
        mid_org.customer_responses[["csat", "friendliness", "competence", "speed", "fcr"]]
        .astype(float)
        .dropna()
    )
    design = np.column_stack([np.ones(len(answers)), answers.drop(columns="csat").to_numpy()])
    coefficients, *_ = np.linalg.lstsq(design, answers["csat"].to_numpy(), rcond=None)
    assert (coefficients[1:] > 0).all()
    assert coefficients[4] == max(coefficients[1:])  # resolution matters most
    csat_by_fcr = answers.groupby("fcr")["csat"].mean()
    assert csat_by_fcr[1.0] > csat_by_fcr[0.0] + 0.3


def test_unit_cx_shows_in_the_customer_survey(mid_org):
    interactions = by_id(mid_org.interactions)
    responses = mid_org.customer_responses
    unit = interactions["unit_external_id"].loc[responses["interaction_external_id"]].to_numpy()
    period = (
        interactions["started_at"]
        .loc[responses["interaction_external_id"]]
        .dt.strftime("%Y-%m")
        .to_numpy()
    )
    csat = pd.Series(responses["csat"].astype(float).to_numpy()).groupby([unit, period]).mean()
    months = mid_org.unit_months.set_index(["unit_external_id", "period"])["cx"]
    joined = pd.concat([csat.rename("csat"), months], axis=1, join="inner")
    assert joined.corr().iloc[0, 1] > 0.4


# --- invariants for any size -------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    units=st.integers(min_value=5, max_value=40),
    per_unit=st.integers(min_value=3, max_value=20),
    months=st.integers(min_value=1, max_value=7),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_any_feasible_size_gives_a_consistent_organisation(units, per_unit, months, seed):
    try:
        org = simulate_organisation(
            units=units, employees=units * per_unit, months=months, seed=seed
        )
    except ValueError as error:
        assume("too few" not in str(error))
        raise
    assert len(org.units) == units
    assert org.units["parent_external_id"].isna().sum() == 1
    assert (org.units["kind"] == "contact_centre").sum() == 1
    assert org.unit_months["period"].nunique() == months
    assert org.unit_months[["ex", "cx", "repeat_rate", "revenue"]].notna().all().all()
    assert set(org.interactions["employee_external_id"]) <= set(org.employees["external_id"])
    assert set(org.customer_responses["interaction_external_id"]) <= set(
        org.interactions["external_id"]
    )
    left = org.employees.dropna(subset=["leave_date"])
    assert (left["leave_date"] >= left["hire_date"]).all()
    assert len(org.employee_waves) >= 1
    json.dumps(org.ground_truth)
