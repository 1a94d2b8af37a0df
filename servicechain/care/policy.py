"""The line, as a table: which outcome a category × severity × repetition leads to.

A policy's rules are an ordered list; the first rule that matches an incident decides it
(like a firewall's), and an incident no rule matches is coached. A rule matches when its
category is the incident's (or "*"), the severity is at least its `min_severity` and the
customer's repetition (this incident counted, so a first incident is 1) at least its
`min_repetition`. Exemptions are customer flags ("vulnerable") that turn a sanction into
"a person decides": the line is the organisation's, but someone in distress is not handled
by a table.

`apply_rules` is the one function that reads the line; the report service and the tests
call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .models import SANCTIONS, SEVERITY_MAX, SEVERITY_MIN, Category, Outcome

WILDCARD = "*"
KNOWN_FLAGS = ("vulnerable",)
MAX_MONTHS = 24

# The default line, modelled on the NHS ladder (warning → behaviour agreement → exclusion
# of up to 12 months) and contact centres' warn-warn-end-the-call script.
DEFAULT_RULES: list[dict] = [
    {
        "category": "violence",
        "min_severity": 1,
        "min_repetition": 1,
        "outcome": "exclusion",
        "months": 12,
    },
    {
        "category": "threat",
        "min_severity": 3,
        "min_repetition": 1,
        "outcome": "exclusion",
        "months": 6,
    },
    {
        "category": "threat",
        "min_severity": 1,
        "min_repetition": 2,
        "outcome": "exclusion",
        "months": 6,
    },
    {"category": "threat", "min_severity": 1, "min_repetition": 1, "outcome": "warning"},
    {
        "category": "harassment",
        "min_severity": 1,
        "min_repetition": 3,
        "outcome": "exclusion",
        "months": 6,
    },
    {"category": "harassment", "min_severity": 1, "min_repetition": 2, "outcome": "agreement"},
    {"category": "harassment", "min_severity": 1, "min_repetition": 1, "outcome": "warning"},
    {
        "category": "abusive_language",
        "min_severity": 1,
        "min_repetition": 3,
        "outcome": "agreement",
    },
    {"category": "abusive_language", "min_severity": 3, "min_repetition": 1, "outcome": "warning"},
    {"category": "abusive_language", "min_severity": 1, "min_repetition": 2, "outcome": "warning"},
    {"category": "abusive_language", "min_severity": 2, "min_repetition": 1, "outcome": "end_call"},
    {
        "category": "abusive_language",
        "min_severity": 1,
        "min_repetition": 1,
        "outcome": "supervisor",
    },
    {"category": "upset", "min_severity": 2, "min_repetition": 1, "outcome": "supervisor"},
    {"category": "upset", "min_severity": 1, "min_repetition": 1, "outcome": "coach"},
]
DEFAULT_EXEMPTIONS = ["vulnerable"]


@dataclass(frozen=True)
class Reading:
    """What the line says about one incident."""

    outcome: str
    months: int | None  # exclusions only
    rule: int | None  # index of the rule that matched (None: no rule, coached)
    exemption: str  # the customer flag that sent a sanction to a person, or ""

    @property
    def is_sanction(self) -> bool:
        return self.outcome in SANCTIONS


def _whole(value, name: str, number: int, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise ValidationError(f"Rule {number}: {name} must be a whole number.") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"Rule {number}: {name} must be {limit}, not {value}.")
    return value


def clean_rules(rules) -> list[dict]:
    """The rules in their canonical form, or a ValidationError naming the rule and field."""
    if not isinstance(rules, list) or not rules:
        raise ValidationError("The rules are a non-empty list of {category, min_severity, …}.")
    categories = {c.value for c in Category} | {WILDCARD}
    outcomes = {o.value for o in Outcome if o != Outcome.REFER}
    out = []
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise ValidationError(f"Rule {number} is not an object.")
        unknown = set(rule) - {"category", "min_severity", "min_repetition", "outcome", "months"}
        if unknown:
            raise ValidationError(f"Rule {number}: unknown field(s) {', '.join(sorted(unknown))}.")
        category = rule.get("category", WILDCARD)
        if category not in categories:
            raise ValidationError(
                f"Rule {number}: category {category!r} is not one of {', '.join(sorted(categories))}."
            )
        outcome = rule.get("outcome")
        if outcome not in outcomes:
            raise ValidationError(
                f"Rule {number}: outcome {outcome!r} is not one of {', '.join(sorted(outcomes))}."
            )
        clean = {
            "category": category,
            "min_severity": _whole(
                rule.get("min_severity", 1), "min_severity", number, SEVERITY_MIN, SEVERITY_MAX
            ),
            "min_repetition": _whole(rule.get("min_repetition", 1), "min_repetition", number, 1),
            "outcome": outcome,
        }
        if outcome == Outcome.EXCLUSION:
            if rule.get("months") in (None, ""):
                raise ValidationError(f"Rule {number}: an exclusion needs its months (1-24).")
            clean["months"] = _whole(rule["months"], "months", number, 1, MAX_MONTHS)
        elif rule.get("months") not in (None, ""):
            raise ValidationError(f"Rule {number}: only an exclusion has months.")
        out.append(clean)
    return out


def clean_exemptions(exemptions) -> list[str]:
    if exemptions in (None, ""):
        return []
    if not isinstance(exemptions, list) or any(f not in KNOWN_FLAGS for f in exemptions):
        raise ValidationError(
            f"Exemptions are a list of customer flags from: {', '.join(KNOWN_FLAGS)}."
        )
    return sorted(set(exemptions))


def apply_rules(
    rules: list[dict],
    exemptions: list[str],
    *,
    category: str,
    severity: int,
    repetition: int,
    flags: list[str] = (),
) -> Reading:
    """THE line: the first matching rule's outcome, turned into "a person decides" when it is
    a sanction and the customer has an exempting flag."""
    if not SEVERITY_MIN <= severity <= SEVERITY_MAX:
        raise ValueError(f"severity must be {SEVERITY_MIN}-{SEVERITY_MAX}, not {severity}")
    for index, rule in enumerate(rules):
        if rule["category"] not in (category, WILDCARD):
            continue
        if severity < rule["min_severity"] or repetition < rule["min_repetition"]:
            continue
        outcome, months = rule["outcome"], rule.get("months")
        exempting = next((f for f in exemptions if f in flags), "")
        if exempting and outcome in SANCTIONS:
            return Reading(Outcome.REFER.value, None, index, exempting)
        return Reading(outcome, months, index, "")
    return Reading(Outcome.COACH.value, None, None, "")
