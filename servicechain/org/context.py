"""Navigation for the page header: the member's scope and the sections their role may open."""

from django.urls import NoReverseMatch, reverse

# Each app adds its sections here: (label, url name taking the org slug, roles or None = all).
SECTIONS: list[tuple[str, str, tuple[str, ...] | None]] = [
    ("Overview", "org:overview", None),
]


def register_section(label: str, url_name: str, roles: tuple[str, ...] | None = None) -> None:
    if all(s[1] != url_name for s in SECTIONS):
        SECTIONS.append((label, url_name, roles))


def navigation(request) -> dict:
    scope = getattr(request, "scope", None)
    if scope is None:
        return {}
    items = []
    for label, url_name, roles in SECTIONS:
        if roles and scope.role not in roles:
            continue
        try:
            url = reverse(url_name, args=[scope.organization.slug])
        except NoReverseMatch:
            continue
        items.append(
            {
                "label": label,
                "url": url,
                "current": request.path.startswith(url)
                and url_name != "org:overview"
                or request.path == url,
            }
        )
    return {"nav_scope": scope, "nav_items": items}
