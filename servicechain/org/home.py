"""The home page's cards: each app contributes what a person can act on.

An app registers a card with `register_card(key, template=..., build=..., order=...)` in its
`AppConfig.ready()` (usually from a `cards.py` module). `build(persona)` reads through the
app's selectors and returns the template's context, or None when the card does not concern
this person; the home shows every card that answered, by `order`, so a person with several
roles (a manager who leads a contact-centre team) sees the union.

A card that takes long to compute (a statistic over a whole wave, say) is registered with
`defer=<cheap predicate>` and a `title`: the home shows its heading at once to the people
the predicate admits, and the card fills itself in (HTMX, `org:home_card`) without holding
the page back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404

from .context import Persona

DEFERRED_TEMPLATE = "org/cards/_deferred.html"


@dataclass(frozen=True)
class CardType:
    key: str
    template: str
    build: Callable[[Persona], dict | None]
    order: int
    defer: Callable[[Persona], bool] | None = None
    title: str = ""


CARDS: list[CardType] = []


def register_card(
    key: str,
    *,
    template: str,
    build: Callable[[Persona], dict | None],
    order: int = 50,
    defer: Callable[[Persona], bool] | None = None,
    title: str = "",
) -> None:
    if defer is not None and not title:
        raise ValueError(f"The deferred home card {key!r} needs a title to show while it loads.")
    if all(card.key != key for card in CARDS):
        CARDS.append(CardType(key, template, build, order, defer, title))


def cards_for(persona: Persona) -> list[dict]:
    """The cards for this person, in order, each its template and context (`key`, `template`);
    a deferred card is its placeholder."""
    shown = []
    for card in sorted(CARDS, key=lambda c: (c.order, c.key)):
        if card.defer is not None:
            if card.defer(persona):
                shown.append({"key": card.key, "title": card.title, "template": DEFERRED_TEMPLATE})
            continue
        context = card.build(persona)
        if context is not None:
            shown.append({**context, "key": card.key, "template": card.template})
    return shown


def deferred_card(persona: Persona, key: str) -> dict | None:
    """One deferred card, built now; 404 for a card that is not deferred for this person."""
    card = next((c for c in CARDS if c.key == key and c.defer is not None), None)
    if card is None or not card.defer(persona):
        raise Http404("No such card.")
    context = card.build(persona)
    return None if context is None else {**context, "key": card.key, "template": card.template}
