"""Template tags other apps' pages use to show care's part: the agent's recent contacts with
the customer's standing and a report button (the contact centre's "My day")."""

from __future__ import annotations

from django import template

from servicechain.care import predicates, selectors

register = template.Library()


@register.inclusion_tag("care/_agent_panel.html", takes_context=True)
def care_agent_panel(context):
    scope = context.get("scope")
    if scope is None:
        return {"show": False}
    employee = predicates.employee_of(scope)
    return {
        "show": True,
        "scope": scope,
        "contacts": selectors.my_recent_interactions(scope, limit=8),
        "offer": selectors.open_offer(employee),
    }


@register.simple_tag
def customer_standing(customer):
    """The customer's standing today (excluded until …, vulnerable) for any page."""
    return selectors.standing_of(customer)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)
