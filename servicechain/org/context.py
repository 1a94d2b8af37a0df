"""Navigation for the page header: who the member is here, and the sections they can use.

Apps register their sections (`register_section`) and the traits that refine a role
(`register_trait`: the contact centre knows who is an agent or a team lead) in their
`AppConfig.ready()`. A section shows when the role may open it *and* its `visible`
predicate (given the member's `Persona`) holds: the header offers what the person can act
on, while what they may open is still decided by each view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .access import Role, Scope


@dataclass(frozen=True)
class Trait:
    name: str
    holds: Callable[[Scope], bool]
    label: str  # what people call someone with it ("Team lead"), "" when it is no role name


TRAITS: list[Trait] = []


def register_trait(name: str, holds: Callable[[Scope], bool], *, label: str = "") -> None:
    """A fact about a member beyond their role (e.g. "agent"); earlier labels win."""
    if all(t.name != name for t in TRAITS):
        TRAITS.append(Trait(name=name, holds=holds, label=label))


class Persona:
    """A member as the pages see them: role, traits (evaluated once, on first use) and label."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self._traits: dict[str, bool] = {}

    @property
    def role(self) -> str:
        return self.scope.role

    def has(self, name: str) -> bool:
        if name not in self._traits:
            trait = next((t for t in TRAITS if t.name == name), None)
            self._traits[name] = bool(trait and trait.holds(self.scope))
        return self._traits[name]

    def is_a(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def label(self) -> str:
        """The role as people say it: "Team lead", "Agent", "HR analyst", "Manager", …"""
        for trait in TRAITS:
            if trait.label and self.has(trait.name):
                return trait.label
        return self.scope.membership.get_role_display()


def persona_of(request) -> Persona | None:
    """The request's member as a Persona (built once per request), or None outside an org."""
    scope = getattr(request, "scope", None)
    if scope is None:
        return None
    persona = getattr(request, "_persona", None)
    if persona is None or persona.scope is not scope:
        persona = request._persona = Persona(scope)
    return persona


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str
    roles: tuple[str, ...] | None
    visible: Callable[[Persona], bool] | None
    promote: Callable[[Persona], bool] | None
    group: str
    order: int

    def place(self, persona: Persona) -> tuple[str, int]:
        """(group, order) for this person: a promoted section comes right after Home."""
        if self.promote is not None and self.promote(persona):
            return "me", 15
        return self.group, self.order


# Groups in the order the header shows them; a person's sections are sorted within each.
GROUPS = {
    "me": "Mine",
    "listen": "Listen",
    "understand": "Understand",
    "act": "Act",
    "organisation": "Organisation",
}
SECTIONS: list[Section] = []


def register_section(
    label: str,
    url_name: str,
    roles: tuple[str, ...] | None = None,
    *,
    visible: Callable[[Persona], bool] | None = None,
    promote: Callable[[Persona], bool] | None = None,
    group: str = "understand",
    order: int = 50,
) -> None:
    """Offer a page in the header to the `roles` given (None: every role) for whom `visible`
    holds; `promote` moves it up beside Home for the people it is their daily tool for."""
    if group not in GROUPS:
        raise ValueError(f"Unknown navigation group {group!r}; use one of {', '.join(GROUPS)}.")
    if all(s.url_name != url_name for s in SECTIONS):
        SECTIONS.append(Section(label, url_name, roles, visible, promote, group, order))


register_section("Home", "org:home", group="me", order=10)
register_section(
    "Overview",
    "org:overview",
    (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER),
    group="organisation",
    order=90,
)

HOME_URLS = ("org:home",)


def sections_for(persona: Persona) -> list[tuple[Section, str]]:
    """The sections this person is offered, in header order, each with its group."""
    groups = list(GROUPS)
    chosen = []
    for section in SECTIONS:
        if section.roles and persona.role not in section.roles:
            continue
        if section.visible is not None and not section.visible(persona):
            continue
        group, order = section.place(persona)
        chosen.append((groups.index(group), order, section.label, section, group))
    return [(section, group) for *_, section, group in sorted(chosen, key=lambda c: c[:3])]


def navigation(request) -> dict:
    persona = persona_of(request)
    if persona is None:
        return {}
    slug = persona.scope.organization.slug
    items = []
    for section, group in sections_for(persona):
        try:
            url = reverse(section.url_name, args=[slug])
        except NoReverseMatch:
            continue
        exact = section.url_name in HOME_URLS
        items.append(
            {
                "label": section.label,
                "url": url,
                "group": group,
                "current": request.path == url if exact else request.path.startswith(url),
            }
        )
    # The longest match wins: /contact-centre/me/ is "My day", not also "Contact centre".
    matches = [i for i in items if i["current"]]
    if len(matches) > 1:
        longest = max(matches, key=lambda i: len(i["url"]))
        for item in matches:
            item["current"] = item is longest
    for previous, item in zip([None, *items], items, strict=False):
        item["group_start"] = previous is not None and previous["group"] != item["group"]
    return {"nav_scope": persona.scope, "nav_persona": persona, "nav_items": items}
