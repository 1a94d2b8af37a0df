from __future__ import annotations

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from servicechain.charts import bar_chart
from servicechain.surveys import services as survey_services

from . import selectors
from .access import memberships_of, org_view
from .context import persona_of
from .home import cards_for, deferred_card
from .visibility import privacy_overview


@login_required
def start(request):
    """`/` after login: the member's home in their organisation, or a choice of them."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("org:home", memberships[0].organization.slug)
    return render(request, "choose_organisation.html", {"memberships": memberships})


@org_view()
def home(request, scope):
    """What this person can act on, one card per concern, from every app (see `home`)."""
    persona = persona_of(request)
    return render(
        request,
        "org/home.html",
        {"scope": scope, "persona": persona, "cards": cards_for(persona)},
    )


@require_GET
@org_view()
def home_card(request, scope, key: str):
    """One home card that is computed after the page (HTMX): see `home.register_card`."""
    card = deferred_card(persona_of(request), key)
    return render(request, "org/home_card.html", {"scope": scope, "card": card})


@org_view()
def privacy(request, scope):
    """What others can see about the signed-in person: only ever their own page."""
    survey_services.results_publish_due(organization=scope.organization)
    overview = privacy_overview(scope)
    return render(request, "org/privacy.html", {"scope": scope, "overview": overview})


@org_view()
def overview(request, scope):
    headcount = selectors.headcount_by_unit(scope)
    frame = pd.DataFrame(headcount, columns=["unit", "headcount", "depth"])
    chart = bar_chart(
        frame,
        x="unit",
        y="headcount",
        x_title="Unit",
        y_title="Active employees",
        id="headcount-chart",
        title="Headcount by unit",
        description=(
            f"Active employees in each of {len(frame)} units; "
            f"{int(frame['headcount'].sum()) if len(frame) else 0} in total."
        ),
    )
    return render(
        request,
        "org/overview.html",
        {
            "scope": scope,
            "summary": selectors.organisation_summary(scope),
            "headcount": headcount,
            "headcount_chart": chart,
            "interactions": selectors.recent_interactions(scope),
        },
    )
