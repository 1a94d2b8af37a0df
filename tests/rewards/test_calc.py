"""Properties of the pay arithmetic (servicechain.rewards.calc): caps hold, pools split to the
cent, too few responses pay nothing, corrections land on the corrected amount, and the robust
z-score singles out the one person far above their peers."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicechain.rewards import calc

money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
metric = st.floats(min_value=-100, max_value=100, allow_nan=False)


@st.composite
def rules(draw):
    floor = draw(money)
    cap = draw(st.none() | money.map(lambda c: c + floor))
    if draw(st.booleans()):
        tiers = tuple(
            calc.Tier(Decimal(t), a)
            for t, a in sorted(
                draw(st.dictionaries(st.integers(-50, 100), money, max_size=4)).items()
            )
        )
        return calc.Rule(min_responses=draw(st.integers(0, 30)), tiers=tiers, floor=floor, cap=cap)
    return calc.Rule(
        min_responses=draw(st.integers(0, 30)),
        rate=draw(st.decimals(min_value=0, max_value=500, places=2)),
        threshold=draw(st.decimals(min_value=-50, max_value=100, places=1)),
        floor=floor,
        cap=cap,
        weight=draw(st.decimals(min_value=0, max_value=3, places=2)),
    )


@given(rule=rules(), value=metric, responses=st.integers(0, 200), balance=money)
def test_a_line_never_exceeds_its_cap_and_the_excess_is_withheld_not_lost(
    rule, value, responses, balance
):
    outcome = calc.component_outcome(rule, value=value, responses=responses, balance=balance)

    if rule.cap is not None:
        assert outcome.amount <= rule.cap
    assert outcome.amount >= 0 and outcome.withheld >= 0
    assert outcome.released <= balance
    if outcome.withheld:
        assert outcome.amount == rule.cap
    raw, _ = calc.gross(rule, Decimal(str(round(value, 4))))
    if responses >= rule.min_responses and raw > 0 and rule.cap is not None:
        # paid from this period + withheld = what the metric earned (floor-raised)
        assert outcome.amount - outcome.released + outcome.withheld == max(raw, rule.floor)


@given(rule=rules(), value=metric, data=st.data())
def test_below_the_response_minimum_a_component_pays_zero(rule, value, data):
    if rule.min_responses == 0:
        return
    responses = data.draw(st.integers(0, rule.min_responses - 1))
    outcome = calc.component_outcome(rule, value=value, responses=responses, balance=Decimal(50))

    assert outcome.amount == 0 and outcome.withheld == 0 and outcome.released == 0
    assert f"fewer than the {rule.min_responses} needed" in outcome.reason


@given(
    total=st.decimals(min_value=-1_000_000, max_value=1_000_000, places=2),
    weights=st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=60
    ),
)
def test_the_pool_is_split_exactly_to_the_cent(total, weights):
    shares = calc.split_exact(total, weights)

    assert sum(shares) == total
    assert all(s == s.quantize(Decimal("0.01")) for s in shares)
    whole = sum(Decimal(str(w)) for w in weights)
    for share, weight in zip(shares, weights, strict=True):
        if whole:
            exact = abs(total) * Decimal(str(weight)) / whole
            assert abs(abs(share) - exact) < Decimal("0.01")


def test_a_split_gives_the_odd_cents_to_the_largest_remainders():
    assert calc.split_exact(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert calc.split_exact(Decimal("10.00"), [0, 0]) == [Decimal("5.00"), Decimal("5.00")]


@given(
    original=money,
    corrections=st.lists(money.map(lambda m: m - 50_000), max_size=4),
    corrected=money,
)
def test_a_clawback_or_top_up_plus_its_original_sums_to_the_corrected_amount(
    original, corrections, corrected
):
    adjusted = sum(corrections, Decimal("0"))
    delta = calc.correction(original=original, adjusted=adjusted, corrected=corrected)

    assert original + adjusted + delta == corrected


def test_tiers_pay_the_highest_tier_crossed_and_name_every_threshold():
    rule = calc.Rule(
        min_responses=10,
        tiers=calc.tiers_from(
            [{"threshold": 80, "amount": "50"}, {"threshold": 90, "amount": "120"}]
        ),
    )
    outcome = calc.component_outcome(rule, value=92.5, responses=25, label="CSAT")

    assert outcome.amount == Decimal("120.00")
    assert outcome.crossed == ("≥ 80", "≥ 90")
    assert outcome.reason.startswith("Paid 120.00 because CSAT was 92.5")


def test_a_baseline_component_pays_on_improvement_only():
    rule = calc.Rule(min_responses=10, rate=Decimal("10"), threshold=Decimal("0"))
    better = calc.component_outcome(
        rule, value=85, responses=30, baseline=80, uses_baseline=True, label="CSAT"
    )
    worse = calc.component_outcome(
        rule, value=75, responses=30, baseline=80, uses_baseline=True, label="CSAT"
    )

    assert better.amount == Decimal("50.00") and "improved by 5.0" in better.reason
    assert worse.amount == 0
    assert "CSAT fell by 5.0 against its baseline of 80.0, not past the first threshold (0)" in (
        worse.reason
    )


def test_the_robust_z_score_flags_the_one_person_far_above_the_unit():
    frame = pd.DataFrame(
        {
            "employee": range(8),
            "unit": [1] * 8,
            "rate": [0.10, 0.12, 0.11, 0.09, 0.10, 0.13, 0.11, 0.62],
        }
    )
    flagged = calc.outliers_within(frame, group="unit", value="rate")

    assert list(flagged["employee"]) == [7]
    assert flagged["z"].iloc[0] > calc.ROBUST_Z_LIMIT


def test_a_unit_too_small_to_compare_raises_no_flag():
    frame = pd.DataFrame({"employee": [1, 2, 3], "unit": [1, 1, 1], "rate": [0.1, 0.1, 0.9]})
    assert calc.outliers_within(frame, group="unit", value="rate").empty


@pytest.mark.parametrize(
    ("comment", "begging"),
    [
        ("She asked me to rate her a 10 on the survey", True),
        ("He told me to give ten out of ten please", True),
        ("Please score me highly, he said", True),
        ("The football score was on the TV while I waited", False),
        ("Quick and friendly, sorted my refund", False),
        ("", False),
    ],
)
def test_comments_that_say_the_customer_was_asked_for_a_score(comment, begging):
    assert calc.mentions_score_request(comment) is begging


def test_customer_metrics_are_csat_top_two_box_nps_and_share_finding_it_easy():
    answers = pd.DataFrame(
        {
            "employee": [1, 1, 1, 1],
            "csat": [5, 4, 3, float("nan")],
            "nps": [10, 9, 3, 7],
            "effort": [1, 2, 6, 7],
        }
    )
    row = calc.customer_metrics(answers, "employee").loc[1]

    assert row["csat"] == pytest.approx(200 / 3) and row["csat_n"] == 3
    assert row["nps"] == pytest.approx(25.0) and row["nps_n"] == 4
    assert row["effort"] == pytest.approx(50.0)


def test_a_periods_repeat_rate_counts_the_fewest_previous_buyers_behind_its_months():
    """Two customers buying every month for a quarter are 6 customer-months, but each monthly
    rate is a share of 2 people: the rate is about 2 customers."""
    frame = pd.DataFrame(
        {
            "group": [1] * 4 + [2] * 4,
            "period": [calc.month_index(pd.Timestamp(2026, m, 1)) for m in (6, 7, 8, 9)] * 2,
            "customers": [2, 2, 2, 2, 40, 30, 35, 50],
            "repeat_rate": [None, 1.0, 1.0, 1.0, None, 0.5, 0.4, 0.6],
        }
    )

    rates = calc.period_repeat_rates(frame, pd.Timestamp(2026, 7, 1), pd.Timestamp(2026, 9, 30))

    assert rates.loc[1, "repeat_rate"] == 100.0 and rates.loc[1, "repeat_rate_n"] == 2
    assert rates.loc[2, "repeat_rate"] == pytest.approx(50.0)
    assert rates.loc[2, "repeat_rate_n"] == 30, "August's rate is a share of July's 30 buyers"


@given(st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=400))
def test_period_spend_is_the_exact_sum_of_the_cents(amounts):
    """Loyalty hands spend over as cents ÷ 100 in floats; the total comes back exact to the
    cent whatever the amounts and however many rows (a float sum drifts)."""
    frame = pd.DataFrame(
        {
            "group": [i % 3 for i in range(len(amounts))],
            "period": [calc.month_index(dt.date(2026, 1, 1))] * len(amounts),
            "spend": [a / 100 for a in amounts],
        }
    )
    total = calc.period_spend(frame, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert total == Decimal(sum(amounts)) / 100
    assert total.as_tuple().exponent == -2
    ones = calc.period_spend(frame, dt.date(2026, 1, 1), dt.date(2026, 1, 31), groups={1})
    assert ones == Decimal(sum(amounts[1::3])) / 100


def test_period_spend_stays_exact_past_what_a_float_holds_to_the_cent():
    """Totals above ~9 × 10^13 (a large chain's years in a currency of big numbers) no
    longer fit a float to the cent; summed as whole cents they stay exact."""
    amounts = [3_000_000_000_000_01 + i for i in range(40)]  # 3 × 10^12 a row
    frame = pd.DataFrame({"group": 1, "period": 0, "spend": [a / 100 for a in amounts]})
    frame["period"] = calc.month_index(dt.date(2026, 1, 1))
    exact = Decimal(sum(amounts)) / 100
    # the premise: a float sum rounded to the cent is a cent off here
    assert Decimal(str(round(float(frame["spend"].sum()), 2))) != exact
    assert calc.period_spend(frame, dt.date(2026, 1, 1), dt.date(2026, 1, 1)) == exact
