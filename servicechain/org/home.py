"""The home page's cards: each app contributes what a person can act on.

An app registers a card with `register_card(key, template=..., build=..., order=...)` in its
`AppConfig.ready()` (usually from a `cards.py` module). `build(persona)` reads through the
app's selectors and returns the template's context, or None when the card does not concern
this person; the home shows every card that answered, by `order`, so a person with several
roles (a manager who leads a contact-centre team) sees the union.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .context import Persona


@dataclass(frozen=True)
class CardType:
    key: str
    template: str
    build: Callable[[Persona], dict | None]
    order: int


CARDS: list[CardType] = []


def register_card(
    key: str, *, template: str, build: Callable[[Persona], dict | None], order: int = 50
) -> None:
    if all(card.key != key for card in CARDS):
        CARDS.append(CardType(key=key, template=template, build=build, order=order))


def cards_for(persona: Persona) -> list[dict]:
    """The cards for this person, in order, each its template and context (`key`, `template`)."""
    shown = []
    for card in sorted(CARDS, key=lambda c: (c.order, c.key)):
        context = card.build(persona)
        if context is not None:
            shown.append({**context, "key": card.key, "template": card.template})
    return shown
