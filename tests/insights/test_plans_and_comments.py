"""The comments explorer (gated, themed). Action plans: tests/insights/test_action_plans.py."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from servicechain.insights import themes
from servicechain.insights.access import Audience
from servicechain.insights.models import CommentThemes
from servicechain.insights.pages import comments_page
from servicechain.org.access import scope_for
from servicechain.org.models import Unit
from servicechain.surveys.models import Response

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- comments


def hr(world) -> Audience:
    return Audience(scope_for(world.users["hr_analyst"], world.slug))


def explore(world, role="hr_analyst", **filters):
    audience = Audience(scope_for(world.users[role], world.slug))
    arguments = {
        "source": "employee",
        "wave_id": None,
        "unit_id": None,
        "theme": "",
        "query": "",
        "sentiment": "",
    }
    return comments_page(audience, **(arguments | filters))


def test_comments_are_shown_for_the_organisation_without_any_attribute(demo_world, client):
    page = explore(demo_world)
    assert page["shown"] and page["total"] > 0
    client.force_login(demo_world.users["hr_analyst"])
    rows = client.get(f"/api/orgs/{demo_world.slug}/insights/comments").json()["comments"]
    assert rows and all(
        set(r) == {"comment", "theme", "sentiment", "sentiment_label"} for r in rows
    )
    texts = [c.text for c in page["comments"]]
    assert texts == sorted(texts, key=themes.text_hash), "ordered by text hash, not by who or when"


def test_comments_of_a_unit_below_the_minimum_group_size_are_not_shown(demo_world):
    from servicechain.insights import selectors

    page = explore(demo_world)
    results = selectors.wave_results(page["wave"])
    small = next(
        u
        for u in Unit.objects.filter(organization=demo_world.organization)
        if selectors.respondents_of(results, u) == 0
        and Response.objects.filter(wave=page["wave"], unit=u).exists()
    )
    hidden = explore(demo_world, unit_id=small.pk)
    assert not hidden["shown"] and hidden["comments"] == []


def test_themes_found_offline_mostly_match_the_simulated_comment_topics(demo_world):
    from servicechain.simulate import simulate_organisation

    fitted = CommentThemes.objects.get(organization=demo_world.organization, population="employee")
    assert len(fitted.themes) >= 5
    first = (
        Response.objects.filter(wave__organization=demo_world.organization)
        .order_by("wave__opens_at")
        .first()
    )
    end = (first.wave.opens_at.date().replace(day=1) + dt.timedelta(days=400)).strftime("%Y-%m")
    del end  # the demo's window ends last month; rebuild it the same way demo.seed_demo does
    today = dt.date.today()
    synthetic = simulate_organisation(
        size="small", seed=7, end=(today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    )
    labels = synthetic.employee_comment_labels.set_index("response_id")["theme"]
    comments = synthetic.employee_responses.set_index("response_id")["comment"].dropna()
    annotations = dict(fitted.annotations.values_list("text_hash", "theme"))
    by_theme: dict[int, Counter] = {}
    for response_id, text in comments.items():
        theme = annotations.get(themes.text_hash(text))
        if theme is not None and response_id in labels.index:
            by_theme.setdefault(theme, Counter())[labels[response_id]] += 1
    assigned = sum(sum(c.values()) for c in by_theme.values())
    purest = sum(c.most_common(1)[0][1] for c in by_theme.values())
    assert assigned > 0 and purest / assigned > 0.6


def test_search_and_sentiment_filters_narrow_the_comments(demo_world):
    everything = explore(demo_world)
    word = everything["comments"][0].text.split()[1].strip(".,").lower()
    found = explore(demo_world, query=word)
    assert found["comments"] and all(word in c.text.lower() for c in found["comments"])
    negative = explore(demo_world, sentiment="negative")
    assert all(c.sentiment <= -0.05 for c in negative["comments"])
    theme = everything["themes"][0]
    themed = explore(demo_world, theme=str(theme["id"]))
    assert len(themed["comments"]) == theme["count"]
