"""The cost calculator's form: every input of every job family, and the reduction to price."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .costs import FIELD_LABELS, INPUT_FIELDS, MONEY_FIELDS, CostInputs
from .turnover import JOB_FAMILIES

MAX_AMOUNT = Decimal("10000000")


def _field(name: str, family: str) -> forms.Field:
    label = f"{FIELD_LABELS[name]}, {JOB_FAMILIES[family].lower()}"
    if name == "vacancy_days":
        return forms.IntegerField(min_value=0, max_value=365, label=label)
    if name == "months_to_productivity":
        return forms.DecimalField(min_value=0, max_value=36, decimal_places=1, label=label)
    return forms.DecimalField(min_value=0, max_value=MAX_AMOUNT, decimal_places=2, label=label)


class CostForm(forms.Form):
    reduction = forms.DecimalField(
        min_value=0,
        max_value=100,
        decimal_places=1,
        required=False,
        label="Fewer leavers by (%)",
    )

    def __init__(self, data=None, *, current: dict[str, CostInputs]):
        super().__init__(data)
        self.current = current
        for family in JOB_FAMILIES:
            for name in INPUT_FIELDS:
                field = _field(name, family)
                field.initial = getattr(current[family], name)
                self.fields[f"{family}-{name}"] = field

    @staticmethod
    def carries_inputs(query) -> bool:
        """Whether a query string holds calculator inputs (a what-if)."""
        return any(f"{family}-{name}" in query for family in JOB_FAMILIES for name in INPUT_FIELDS)

    def grid(self) -> list[tuple[str, list]]:
        """Rows of the input table: (field name, its bound field for each job family)."""
        return [
            (name, [self[f"{family}-{name}"] for family in JOB_FAMILIES]) for name in INPUT_FIELDS
        ]

    def inputs(self) -> dict[str, CostInputs]:
        data = self.cleaned_data
        return {
            family: CostInputs(
                **{
                    name: data[f"{family}-{name}"]
                    if name not in MONEY_FIELDS
                    else data[f"{family}-{name}"].quantize(Decimal("0.01"))
                    for name in INPUT_FIELDS
                }
            )
            for family in JOB_FAMILIES
        }

    def changes(self) -> dict[str, dict]:
        """The inputs that differ from the current ones, by job family."""
        out = {}
        for family, values in self.inputs().items():
            changed = {
                name: getattr(values, name)
                for name in INPUT_FIELDS
                if getattr(values, name) != getattr(self.current[family], name)
            }
            if changed:
                out[family] = changed
        return out

    def reduction_pct(self) -> Decimal | None:
        if not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get("reduction")
