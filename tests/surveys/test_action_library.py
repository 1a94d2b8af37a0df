"""The action library shipped with the item bank: complete, without duplicates, checked."""

from __future__ import annotations

import copy
import json

import pytest

from servicechain.surveys.action_library import (
    ACTION_LIBRARY_PATH,
    load_action_library,
    parse_action_library,
)
from servicechain.surveys.bank import load_bank


def shipped() -> dict:
    return json.loads(ACTION_LIBRARY_PATH.read_text(encoding="utf-8"))


def test_every_employee_driver_of_the_bank_has_three_to_six_actions():
    library = load_action_library()
    assert list(library) == load_bank().drivers("employee")
    for entry in library.values():
        assert 3 <= len(entry.actions) <= 6, entry.driver
        assert entry.rationale and entry.references


def test_no_action_code_or_title_appears_twice():
    actions = [a for entry in load_action_library().values() for a in entry.actions]
    assert len({a.code for a in actions}) == len(actions)
    assert len({a.title.lower() for a in actions}) == len(actions)


def test_every_action_has_an_effort_and_a_time_frame():
    for entry in load_action_library().values():
        for action in entry.actions:
            assert action.effort in ("low", "medium", "high")
            assert 1 <= action.weeks <= 52
            assert action.time_frame.startswith("within")


def test_every_reference_names_authors_a_year_and_a_source():
    for entry in load_action_library().values():
        for reference in entry.references:
            assert reference.count("(") >= 1 and any(
                f"({year})" in reference for year in range(1950, 2030)
            ), reference


@pytest.mark.parametrize(
    "breakage, problem",
    [
        (lambda d: d["drivers"].pop("pay"), "driver 'pay' has no actions"),
        (lambda d: d["drivers"].update(snacks=d["drivers"]["pay"]), "'snacks' is not an employee"),
        (lambda d: d["drivers"]["pay"]["actions"].__delitem__(slice(2, None)), "pay: 2 actions"),
        (
            lambda d: d["drivers"]["tools"]["actions"].append(d["drivers"]["pay"]["actions"][0]),
            "duplicate action code",
        ),
        (lambda d: d["drivers"]["pay"]["actions"][0].update(effort="huge"), "effort 'huge'"),
        (lambda d: d["drivers"]["pay"]["actions"][0].update(weeks=0), "weeks 0"),
        (lambda d: d["drivers"]["pay"].update(references=[]), "pay: no reference"),
        (
            lambda d: d["drivers"]["pay"]["actions"][1].update(
                title=d["drivers"]["pay"]["actions"][0]["title"].upper()
            ),
            "duplicate title",
        ),
    ],
)
def test_a_broken_library_is_refused_with_the_problem_named(breakage, problem):
    data = copy.deepcopy(shipped())
    breakage(data)
    with pytest.raises(ValueError, match="invalid action library") as error:
        parse_action_library(data, load_bank())
    assert problem in str(error.value)
