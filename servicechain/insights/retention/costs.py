"""The turnover-cost calculator: what replacing a leaver costs, per job family, what this
year's turnover cost each unit, and what a reduction would save.

Every input has a documented default (below, with its source) and every one is editable by
HR. Money is Decimal throughout; `attrition.replacement_cost` adds the components.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from servicechain.analytics.attrition import ReplacementCost, replacement_cost
from servicechain.org.models import Employee, Organization, Unit

from ..models import TurnoverCost
from . import gate
from .turnover import JOB_FAMILIES


@dataclass(frozen=True)
class CostInputs:
    """One job family's inputs (amounts in the organisation's currency)."""

    annual_salary: Decimal
    recruiting: Decimal
    onboarding: Decimal
    training: Decimal
    months_to_productivity: Decimal
    vacancy_days: int
    vacancy_cost_per_day: Decimal

    def cost(self) -> ReplacementCost:
        return replacement_cost(**{f.name: getattr(self, f.name) for f in fields(self)})


INPUT_FIELDS = [f.name for f in fields(CostInputs)]
FIELD_LABELS = {
    "annual_salary": "Annual salary",
    "recruiting": "Recruiting",
    "onboarding": "Onboarding",
    "training": "Training",
    "months_to_productivity": "Months to full productivity",
    "vacancy_days": "Days the post is empty",
    "vacancy_cost_per_day": "Vacancy cost per day",
}
MONEY_FIELDS = [
    "annual_salary",
    "recruiting",
    "onboarding",
    "training",
    "vacancy_cost_per_day",
]


def _d(value: str) -> Decimal:
    return Decimal(value)


#: Defaults, in pounds (see SOURCES). Salaries are placeholders for a UK retail and service
#: business; every organisation should put in its own payroll averages.
DEFAULT_COSTS: dict[str, CostInputs] = {
    "frontline": CostInputs(_d("23000"), _d("1500"), _d("200"), _d("500"), _d("5.3"), 42, _d("65")),
    "specialist": CostInputs(
        _d("30000"), _d("1500"), _d("200"), _d("1000"), _d("6.5"), 42, _d("86")
    ),
    "support": CostInputs(_d("27000"), _d("1500"), _d("200"), _d("500"), _d("6.5"), 42, _d("86")),
    "manager": CostInputs(_d("38000"), _d("3000"), _d("200"), _d("1500"), _d("6.5"), 42, _d("86")),
}

#: Where each default comes from (docs/insights.md repeats these).
SOURCES: dict[str, str] = {
    "annual_salary": (
        "An assumption (£23,000-£38,000 by job family) for the demo: put in your own payroll "
        "average per job family."
    ),
    "recruiting": (
        "CIPD, Resourcing and Talent Planning 2022 (with Omni RMS): median cost of "
        "recruiting an employee £1,500, a senior manager £3,000."
    ),
    "onboarding": (
        "Oxford Economics for Unum (2014), The Cost of Brain Drain: HR time spent "
        "processing a replacement, £196 on average (rounded to £200)."
    ),
    "training": (
        "An assumption (£500-£1,500 by job family): initial training courses and materials; "
        "use your learning budget per new starter."
    ),
    "months_to_productivity": (
        "Oxford Economics for Unum (2014), The Cost of Brain Drain: 23 weeks (5.3 months) "
        "to optimum productivity in retail, 28 weeks (6.5 months) across the five sectors."
    ),
    "vacancy_days": (
        "SHRM Human Capital Benchmarking Report (2016): 42 days on average to fill a position."
    ),
    "vacancy_cost_per_day": (
        "Oxford Economics for Unum (2014): temporary cover before the replacement starts, "
        "£2,749 per replacement in retail and £3,618 across sectors, spread over SHRM's 42 "
        "days (£65 and £86 a day)."
    ),
}
LOST_PRODUCTIVITY_NOTE = (
    "Lost productivity is half the new hire's pay over their months to full productivity "
    "(output rising steadily from nothing): a conservative valuation — Oxford Economics "
    "(2014) put the lost output of a retail replacement at £16,240 — so raise the months if "
    "your output per head is well above pay."
)

CENT = Decimal("0.01")


def cost_inputs(organization: Organization) -> dict[str, tuple[CostInputs, bool]]:
    """Each job family's inputs and whether the organisation set them (else the default)."""
    saved = {c.job_family: c for c in TurnoverCost.objects.filter(organization=organization)}
    out = {}
    for family in JOB_FAMILIES:
        row = saved.get(family)
        if row is None:
            out[family] = (DEFAULT_COSTS[family], False)
            continue
        out[family] = (
            CostInputs(
                annual_salary=row.annual_salary.amount,
                recruiting=row.recruiting.amount,
                onboarding=row.onboarding.amount,
                training=row.training.amount,
                months_to_productivity=row.months_to_productivity,
                vacancy_days=row.vacancy_days,
                vacancy_cost_per_day=row.vacancy_cost_per_day.amount,
            ),
            True,
        )
    return out


def as_form_data(inputs: dict[str, CostInputs]) -> dict[str, str]:
    """Inputs as the calculator form names them (``frontline-recruiting``: "1500.00")."""
    return {
        f"{family}-{name}": str(getattr(values, name))
        for family, values in inputs.items()
        for name in INPUT_FIELDS
    }


def with_changes(inputs: dict[str, CostInputs], changes: dict[str, dict]) -> dict[str, CostInputs]:
    """Inputs with some fields replaced (a what-if, or what is about to be saved)."""
    return {f: replace(v, **changes.get(f, {})) for f, v in inputs.items()}


@dataclass
class UnitCost:
    unit: Unit
    shown: bool
    leavers: int | None = None
    cost: Decimal | None = None
    voluntary_cost: Decimal | None = None

    def record(self, min_n: int) -> dict:
        record = {"unit_id": self.unit.pk, "unit": self.unit.name}
        if not self.shown:
            return {
                **record,
                "withheld": f"fewer than {min_n} people, or would reveal such a group",
            }
        return record | {
            "leavers": self.leavers,
            "cost": str(self.cost),
            "voluntary_cost": str(self.voluntary_cost),
        }


def unit_costs(
    year: pd.DataFrame,
    tree: pd.DataFrame,
    rows: list[Unit],
    costs: dict[str, ReplacementCost],
    min_n: int,
) -> list[UnitCost]:
    """The replacement cost of the last 12 months' leavers in each row unit (subtree),
    shown where the unit's people may be described."""
    hidden = gate.hidden_units(year["unit_id"], tree, min_n)
    per_leaver = {family: cost.total for family, cost in costs.items()}
    out = []
    for unit in rows:
        if hidden.get(unit.pk, True):
            out.append(UnitCost(unit, False))
            continue
        inside = tree.index[tree["path"].str.startswith(unit.path)]
        leavers = year[year["left"] & year["unit_id"].isin(inside)]
        amounts = leavers["job_family"].map(per_leaver)
        voluntary = leavers["category"].str.startswith("voluntary")
        out.append(
            UnitCost(
                unit,
                True,
                leavers=len(leavers),
                cost=sum(amounts, Decimal("0")).quantize(CENT),
                voluntary_cost=sum(amounts[voluntary], Decimal("0")).quantize(CENT),
            )
        )
    return out


def saving(cost: Decimal, reduction_pct: Decimal) -> Decimal:
    """What `reduction_pct` % fewer leavers would save of `cost` a year."""
    return (cost * reduction_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def average_cost(costs: dict[str, ReplacementCost], families: pd.Series) -> Decimal:
    """Mean replacement cost over people of the given job families."""
    if families.empty:
        return Decimal("0")
    total = sum((costs[f].total for f in families if f in costs), Decimal("0"))
    return (total / len(families)).quantize(CENT, rounding=ROUND_HALF_UP)


def family_label(family: str) -> str:
    return dict(Employee.JobFamily.choices).get(family, family)
