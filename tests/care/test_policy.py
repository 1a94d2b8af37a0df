"""The line applies exactly as configured: every category × severity × repetition × exemption
of the default policy against a table written out by hand, a custom policy read from an
organisation's saved version, and bad rules rejected with the rule and field named."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from servicechain.care import policy as line
from servicechain.care import selectors, services
from servicechain.care.models import Category

CATEGORIES = [c.value for c in Category]


def expected_default(category: str, severity: int, repetition: int, vulnerable: bool) -> str:
    """The default line, restated in plain code (independently of the rule list)."""
    if category == "violence":
        outcome = "exclusion"
    elif category == "threat":
        outcome = "exclusion" if severity >= 3 or repetition >= 2 else "warning"
    elif category == "harassment":
        outcome = {1: "warning", 2: "agreement"}.get(repetition, "exclusion")
    elif category == "abusive_language":
        if repetition >= 3:
            outcome = "agreement"
        elif severity >= 3 or repetition == 2:
            outcome = "warning"
        elif severity == 2:
            outcome = "end_call"
        else:
            outcome = "supervisor"
    else:
        outcome = "supervisor" if severity >= 2 else "coach"
    if vulnerable and outcome in ("warning", "agreement", "exclusion"):
        return "refer"
    return outcome


GRID = list(itertools.product(CATEGORIES, (1, 2, 3, 4), (1, 2, 3, 4), (False, True)))


@pytest.mark.parametrize(("category", "severity", "repetition", "vulnerable"), GRID)
def test_the_default_line_gives_the_outcome_of_the_table(
    category, severity, repetition, vulnerable
):
    reading = line.apply_rules(
        line.clean_rules(line.DEFAULT_RULES),
        line.DEFAULT_EXEMPTIONS,
        category=category,
        severity=severity,
        repetition=repetition,
        flags=["vulnerable"] if vulnerable else [],
    )
    assert reading.outcome == expected_default(category, severity, repetition, vulnerable)
    assert reading.exemption == ("vulnerable" if reading.outcome == "refer" else "")


def test_exclusions_carry_the_months_of_their_rule():
    rules = line.clean_rules(line.DEFAULT_RULES)
    assert line.apply_rules(rules, [], category="violence", severity=4, repetition=1).months == 12
    assert line.apply_rules(rules, [], category="threat", severity=3, repetition=1).months == 6
    assert line.apply_rules(rules, [], category="threat", severity=2, repetition=1).months is None


CUSTOM = [
    {"category": "*", "min_severity": 4, "min_repetition": 1, "outcome": "exclusion", "months": 3},
    {"category": "abusive_language", "min_severity": 1, "min_repetition": 2, "outcome": "end_call"},
    {"category": "*", "min_severity": 1, "min_repetition": 1, "outcome": "coach"},
]


@pytest.mark.parametrize(
    ("category", "severity", "repetition", "outcome"),
    [
        ("upset", 4, 1, "exclusion"),
        ("abusive_language", 1, 1, "coach"),
        ("abusive_language", 2, 2, "end_call"),
        ("abusive_language", 4, 2, "exclusion"),
        ("violence", 3, 1, "coach"),
        ("harassment", 3, 5, "coach"),
    ],
)
def test_an_organisations_own_line_is_what_the_saved_version_says(
    db, category, severity, repetition, outcome
):
    from tests.care.helpers import world

    w = world()
    services.policy_update(organization=w.organization, rules=CUSTOM, exemptions=[])
    policy = selectors.policy_in_force(w.organization)
    reading = line.apply_rules(
        policy.rules, policy.exemptions, category=category, severity=severity, repetition=repetition
    )
    assert reading.outcome == outcome


def test_no_matching_rule_coaches():
    rules = line.clean_rules([{"category": "violence", "outcome": "exclusion", "months": 1}])
    assert (
        line.apply_rules(rules, [], category="upset", severity=1, repetition=1).outcome == "coach"
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([], "non-empty list"),
        ([{"category": "rudeness", "outcome": "warning"}], "Rule 1: category 'rudeness'"),
        ([{"category": "threat", "outcome": "ban"}], "Rule 1: outcome 'ban'"),
        ([{"category": "threat", "outcome": "exclusion"}], "Rule 1: an exclusion needs its months"),
        (
            [{"category": "threat", "outcome": "exclusion", "months": 36}],
            "months must be between 1 and 24",
        ),
        ([{"outcome": "coach"}, {"min_severity": 7, "outcome": "coach"}], "Rule 2: min_severity"),
        ([{"outcome": "warning", "months": 2}], "only an exclusion has months"),
    ],
)
def test_bad_rules_are_refused_with_the_rule_named(rules, message):
    with pytest.raises(ValidationError) as raised:
        line.clean_rules(rules)
    assert message in " ".join(raised.value.messages)


def test_a_bad_policy_update_changes_nothing(db):
    from tests.care.helpers import world

    w = world()
    services.policy_ensure(organization=w.organization)
    before = list(selectors.policy_versions(w.organization))
    with pytest.raises(ValidationError):
        services.policy_update(organization=w.organization, rules=[{"outcome": "ban"}])
    assert list(selectors.policy_versions(w.organization)) == before
    assert selectors.policy_in_force(w.organization).rules == line.clean_rules(line.DEFAULT_RULES)


def test_a_version_for_a_later_date_waits_for_its_day(db):
    import datetime as dt

    from django.utils import timezone

    from tests.care.helpers import world

    w = world()
    services.policy_ensure(organization=w.organization)
    later = timezone.localdate() + dt.timedelta(days=10)
    services.policy_update(organization=w.organization, rules=CUSTOM, effective_from=later)
    assert selectors.policy_in_force(w.organization).rules[0]["category"] == "violence"
    assert selectors.policy_in_force(w.organization, later).rules == line.clean_rules(CUSTOM)
