"""`{{ amount|money:"GBP" }}`: an amount with its currency, "£12,345" (whole units)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

# Currencies whose symbol readers know; any other shows its ISO code after the amount.
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(amount, currency: str = "GBP") -> str:
    """Whole units with thousands separators and the currency: "£12,345", "12,345 CHF"."""
    if amount is None or amount == "":
        return "—"
    figure = floatformat(Decimal(amount), "0g")
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{figure} {currency}"
    return f"-{symbol}{figure[1:]}" if figure.startswith("-") else f"{symbol}{figure}"
