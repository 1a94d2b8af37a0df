"""The item bank validates and scores scales exactly as documented."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicechain.surveys.bank import (
    BANK_PATH,
    ITEM_TYPES,
    load_bank,
    parse_bank,
    reverse_key,
    score_scales,
)

EMPLOYEE_DRIVERS = [
    "career",
    "manager",
    "pay",
    "worklife",
    "tools",
    "training",
    "recognition",
    "empowerment",
    "purpose",
    "wellbeing",
    "teamwork",
]


def raw_bank() -> dict:
    with BANK_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def test_bundled_bank_loads_and_is_cached():
    assert load_bank() is load_bank()


def test_item_codes_are_unique():
    codes = [item.code for item in load_bank().items]
    assert len(codes) == len(set(codes))


def test_every_item_has_a_valid_type_population_and_scale():
    bank = load_bank()
    for item in bank.items:
        assert item.type in ITEM_TYPES
        assert item.population in {"employee", "customer"}
        assert item.scale in bank.scales
        assert item.text.strip()


def test_employee_scales_have_the_specified_item_counts():
    scales = load_bank().scales
    assert len(scales["engagement"].items) == 5
    assert [load_bank().item(c).type for c in scales["enps"].items] == ["nps11"]
    for driver in EMPLOYEE_DRIVERS:
        assert 2 <= len(scales[driver].items) <= 4, driver
        assert all(load_bank().item(c).type == "likert5" for c in scales[driver].items)
    assert 4 <= len(scales["onboarding"].items) <= 6
    assert 4 <= len(scales["exit"].items) <= 6
    assert load_bank().item(scales["exit_reason"].items[0]).type == "choice"


def test_customer_scales_have_the_specified_types():
    bank = load_bank()
    expected = {
        "csat": "csat5",
        "nps": "nps11",
        "effort": "effort7",
        "friendliness": "likert5",
        "competence": "likert5",
        "speed": "likert5",
        "fcr": "yesno",
        "customer_comment": "text",
    }
    for scale, item_type in expected.items():
        items = [bank.item(c) for c in bank.scales[scale].items]
        assert [i.type for i in items] == [item_type], scale
        assert all(i.population == "customer" for i in items)


def test_at_least_four_driver_items_are_reverse_keyed():
    bank = load_bank()
    reverse_drivers = [c for c in bank.reverse_items if bank.item(c).scale in EMPLOYEE_DRIVERS]
    assert len(reverse_drivers) >= 4
    assert bank.item("EMP3").reverse


def test_drivers_lists_the_eleven_employee_driver_scales():
    assert load_bank().drivers("employee") == EMPLOYEE_DRIVERS
    assert load_bank().drivers("customer") == ["friendliness", "competence", "speed", "fcr"]


def test_instrument_templates_contain_the_specified_scales():
    bank = load_bank()

    def scales_of(name):
        return {bank.item(c).scale for c in bank.instruments[name]}

    employee_scales = {s.code for s in bank.scales.values() if s.population == "employee"}
    census = scales_of("engagement_census")
    assert census == employee_scales - {"onboarding", "exit", "exit_reason"}
    pulse = scales_of("engagement_pulse")
    assert {"engagement", "enps", "comment"} <= pulse
    assert len(pulse & set(EMPLOYEE_DRIVERS)) == 4
    assert scales_of("customer_transactional") == {
        "csat",
        "nps",
        "effort",
        "friendliness",
        "competence",
        "speed",
        "fcr",
        "customer_comment",
    }
    assert scales_of("onboarding") >= {"onboarding"}
    assert scales_of("exit") >= {"exit", "exit_reason"}
    assert bank.text_item("engagement_pulse") == "COMMENT"
    assert bank.text_item("customer_transactional") == "CX_COMMENT"


def test_unknown_item_code_raises_a_helpful_key_error():
    with pytest.raises(KeyError, match="unknown item code 'NOPE'"):
        load_bank().item("NOPE")


def test_bank_with_duplicate_codes_is_rejected():
    data = raw_bank()
    data["items"].append(copy.deepcopy(data["items"][0]))
    with pytest.raises(ValueError, match="item code 'ENG1' is used 2 times"):
        parse_bank(data)


def test_bank_with_too_few_reverse_items_is_rejected():
    data = raw_bank()
    for raw in data["items"]:
        raw["reverse"] = False
    with pytest.raises(ValueError, match="reverse-keyed"):
        parse_bank(data)


def test_bank_with_unknown_type_or_oversized_driver_is_rejected():
    data = raw_bank()
    data["items"][0]["type"] = "likert9"
    extra = copy.deepcopy(next(r for r in data["items"] if r["code"] == "PAY1"))
    for n in (4, 5):
        data["items"].append({**extra, "code": f"PAY{n}"})
    with pytest.raises(ValueError) as excinfo:
        parse_bank(data)
    assert "likert9" in str(excinfo.value)
    assert "scale 'pay' has 5 items; expected 2-4" in str(excinfo.value)


def test_likert_scale_score_matches_hand_computation_with_reverse_key():
    # manager = MGR1..MGR3 + reverse-keyed MGR4.
    responses = pd.DataFrame({"MGR1": [5, 1], "MGR2": [4, 2], "MGR3": [3, 3], "MGR4": [1, 5]})
    scores = score_scales(responses, ["manager"])
    # row 0: 5,4,3 and 6-1=5 -> (4+3+2+4)/4 Likert steps = 13/16 of 100
    # row 1: 1,2,3 and 6-5=1 -> (0+1+2+0)/16
    assert scores["manager"].tolist() == pytest.approx([100 * 13 / 16, 100 * 3 / 16])


def test_scale_needs_half_of_its_items_answered():
    responses = pd.DataFrame(
        {
            "ENG1": [5, 5, np.nan],
            "ENG2": [4, np.nan, np.nan],
            "ENG3": [3, 3, np.nan],
            "ENG4": [np.nan, np.nan, np.nan],
            "ENG5": [np.nan, np.nan, 4],
        }
    )
    scores = score_scales(responses, ["engagement"])["engagement"]
    assert scores.iloc[0] == pytest.approx(100 * (4 + 3 + 2) / 12)  # 3 of 5 answered
    assert np.isnan(scores.iloc[1])  # 2 of 5 is less than half
    assert np.isnan(scores.iloc[2])
    # two-item half rule: one of two items is enough
    two = score_scales(pd.DataFrame({"PAY1": [5.0], "PAY2": [np.nan], "PAY3": [np.nan]}), ["pay"])
    assert np.isnan(two["pay"].iloc[0])
    training = score_scales(pd.DataFrame({"TRN1": [5.0], "TRN2": [3.0]}), ["training"])
    assert training["training"].iloc[0] == pytest.approx(75.0)  # TRN3 absent = unanswered


def test_nps_scales_are_the_raw_answer_not_rescaled():
    responses = pd.DataFrame({"ENPS1": [0, 7, 10], "nps": [9, 6, np.nan]})
    scores = score_scales(responses)
    assert scores["enps"].tolist() == [0.0, 7.0, 10.0]
    assert scores["nps"].iloc[:2].tolist() == [9.0, 6.0]
    assert np.isnan(scores["nps"].iloc[2])


def test_customer_items_score_on_their_own_ranges():
    responses = pd.DataFrame({"csat": [5, 2], "effort": [1, 7], "fcr": [1, 0], "speed": [4, 3]})
    scores = score_scales(responses)
    assert list(scores.columns) == ["csat", "effort", "speed", "fcr"]
    assert scores["csat"].tolist() == [100.0, 25.0]
    assert scores["effort"].tolist() == [0.0, 100.0]
    assert scores["fcr"].tolist() == [100.0, 0.0]
    assert scores["speed"].tolist() == [75.0, 50.0]


def test_nullable_integer_columns_are_scored_like_floats():
    responses = pd.DataFrame({"REC1": [4, None], "REC2": [2, 5], "REC3": [2, None]}, dtype="Int64")
    scores = score_scales(responses, ["recognition"])["recognition"]
    assert scores.iloc[0] == pytest.approx(100 * (3 + 1 + 3) / 12)
    assert np.isnan(scores.iloc[1])  # one of three answered


def test_out_of_range_answer_names_item_and_row():
    with pytest.raises(ValueError, match=r"item 'ENG1': value 6 in row 1 is outside 1-5"):
        score_scales(pd.DataFrame({"ENG1": [5, 6]}))


def test_unknown_or_text_scale_is_rejected():
    with pytest.raises(ValueError, match="unknown scale"):
        score_scales(pd.DataFrame({"ENG1": [5]}), ["happiness"])
    with pytest.raises(ValueError, match="no scored items"):
        score_scales(pd.DataFrame({"COMMENT": ["hi"]}), ["comment"])


def test_reverse_key_flips_only_reverse_items_and_leaves_input_untouched():
    responses = pd.DataFrame({"EMP3": [1, 5, np.nan], "EMP1": [1, 5, 3], "note": ["a", "b", "c"]})
    flipped = reverse_key(responses)
    assert flipped["EMP3"].iloc[:2].tolist() == [5.0, 1.0]
    assert np.isnan(flipped["EMP3"].iloc[2])
    assert flipped["EMP1"].tolist() == [1, 5, 3]
    assert flipped["note"].tolist() == ["a", "b", "c"]
    assert responses["EMP3"].iloc[0] == 1


likert = st.one_of(st.none(), st.integers(min_value=1, max_value=5))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(likert, likert, likert, likert), min_size=1, max_size=20))
def test_empowerment_score_equals_mean_of_rescaled_reverse_keyed_items(rows):
    responses = pd.DataFrame(rows, columns=["EMP1", "EMP2", "EMP3", "EMP4"], dtype="Int64")
    scores = score_scales(responses, ["empowerment"])["empowerment"]
    for (a, b, c, d), got in zip(rows, scores, strict=True):
        answered = [
            (x - 1) / 4 * 100 for x in (a, b, None if c is None else 6 - c, d) if x is not None
        ]
        if len(answered) >= 2:
            assert got == pytest.approx(sum(answered) / len(answered))
        else:
            assert np.isnan(got)
        assert np.isnan(got) or 0.0 <= got <= 100.0
