"""Template helpers of the insights pages: signed changes and withheld cells."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from servicechain.surveys.selectors import withheld_text

register = template.Library()


@register.filter
def signed(value, digits: int = 1) -> str:
    """+1.2 / −1.2 / 0.0 (a true minus sign), or an em dash for no value."""
    if value is None:
        return "—"
    text = f"{abs(float(value)):.{int(digits)}f}"
    if float(text) == 0:
        return text
    return f"+{text}" if value > 0 else f"−{text}"


@register.simple_tag
def withheld(cell, min_n) -> str:
    """The visible label of a withheld cell (never blank-looking), in the same words as every
    other page (`surveys.selectors.withheld_text`)."""
    if getattr(cell, "reason", "") == "complementary":
        return format_html(
            '<span title="{}">withheld to protect a smaller group</span>',
            withheld_text(cell, min_n),
        )
    return format_html("fewer than {} answered", min_n)


@register.filter
def tone(cell, scale: str = "") -> str:
    """Heatmap colour class of a cell's difference from the focus unit (NPS on a wider scale)."""
    diff = getattr(cell, "diff", None)
    if diff is None:
        return ""
    step = 2.0 if scale in ("enps", "nps") else 1.0
    for limit, name in ((-10, "d-3"), (-5, "d-2"), (-2, "d-1"), (2, "d0"), (5, "d1"), (10, "d2")):
        if diff < limit * step:
            return name
    return "d3"


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when absent)."""
    return (mapping or {}).get(key)


@register.filter
def percent(value, digits: int = 0) -> str:
    """A share (0.42) as a percentage number (42)."""
    if value is None:
        return "—"
    return f"{100 * float(value):.{int(digits)}f}"
