"""Template filters that turn the planning code's names into plain words (see ``labels``)."""

from django import template

from servicechain.contactcentre import labels

register = template.Library()

for name in (
    "forecast_method",
    "forecast_method_explained",
    "plan_outcome",
    "plan_outcome_explained",
    "penalty",
    "penalty_explained",
    "job_status",
    "schedule_status",
    "schedule_kind",
    "person",
):
    register.filter(name, getattr(labels, name))


@register.filter
def percent(value, decimals: int = 0) -> str:
    """A share (0.083) as a percentage ("8%"); "—" when there is none."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(decimals)}f}%"
