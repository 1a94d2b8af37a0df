"""Action plans (who may make and see them, audited) and the comments explorer (gated, themed)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from servicechain.insights import themes
from servicechain.insights.access import Audience
from servicechain.insights.models import ActionPlan, CommentThemes
from servicechain.insights.pages import comments_page
from servicechain.org.access import scope_for
from servicechain.org.models import AuditEvent, Unit
from servicechain.surveys.models import Response

pytestmark = pytest.mark.django_db


def test_a_manager_creates_a_plan_from_a_driver_and_it_is_audited(demo_world, client):
    manager = demo_world.users["manager"]
    client.force_login(manager)
    url = f"/o/{demo_world.slug}/insights/plans/new/?unit={demo_world.manager_unit.pk}&driver=tools"
    form = client.get(url).content.decode()
    assert 'value="tools" selected' in form
    response = client.post(
        url,
        {
            "unit": demo_world.manager_unit.pk,
            "driver": "tools",
            "title": "Fix the tills",
            "owner": manager.pk,
            "due_date": "2030-03-31",
            "actions": "Log every crash\nReplace the two oldest tills",
        },
    )
    plan = ActionPlan.objects.get(title="Fix the tills")
    assert response.status_code == 302 and response["Location"].endswith(f"/plans/{plan.pk}/")
    assert (plan.unit, plan.driver, plan.owner, plan.status) == (
        demo_world.manager_unit,
        "tools",
        manager,
        "planned",
    )
    event = AuditEvent.objects.get(action="insights.action_plan.create", target_id=str(plan.pk))
    assert event.actor == manager and event.detail["driver"] == "tools"


def test_updating_a_plan_records_what_changed(demo_world, client):
    plan = ActionPlan.objects.get(organization=demo_world.organization)
    client.force_login(demo_world.users["hr_analyst"])
    response = client.patch(
        f"/api/orgs/{demo_world.slug}/insights/plans/{plan.pk}",
        {"status": "done", "notes": "Board is up"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    event = AuditEvent.objects.filter(action="insights.action_plan.update").latest("created_at")
    assert event.detail["status"] == {"from": "in_progress", "to": "done"}


def test_a_plan_needs_a_real_driver_and_an_owner_who_may_plan(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    base = {
        "unit_id": demo_world.manager_unit.pk,
        "title": "x",
        "due_date": "2030-01-01",
        "actions": "x",
    }
    url = f"/api/orgs/{demo_world.slug}/insights/plans"
    bad_driver = client.post(url, base | {"driver": "snacks"}, content_type="application/json")
    assert bad_driver.status_code == 422 and "driver" in bad_driver.json()["detail"]
    employee_owner = client.post(
        url,
        base | {"driver": "pay", "owner_id": demo_world.users["employee"].pk},
        content_type="application/json",
    )
    assert employee_owner.status_code == 422 and "owner" in employee_owner.json()["detail"]


def test_hr_sees_every_plan_and_an_employee_only_their_units(demo_world, client):
    other = (
        Unit.objects.filter(organization=demo_world.organization, depth=1)
        .exclude(pk__in=[a for a in demo_world.manager_unit.ancestor_ids()])
        .first()
    )
    ActionPlan.objects.create(
        organization=demo_world.organization,
        unit=demo_world.employee_unit,
        driver="pay",
        title="Explain the pay review",
        owner=demo_world.users["hr_analyst"],
        due_date=dt.date(2030, 1, 1),
        actions="Town hall",
    )
    ActionPlan.objects.create(
        organization=demo_world.organization,
        unit=other,
        driver="worklife",
        title="Rota four weeks ahead",
        owner=demo_world.users["hr_analyst"],
        due_date=dt.date(2030, 1, 1),
        actions="Publish rotas earlier",
    )

    def titles(role):
        client.force_login(demo_world.users[role])
        return {
            p["title"] for p in client.get(f"/api/orgs/{demo_world.slug}/insights/plans").json()
        }

    assert titles("hr_analyst") >= {
        "Explain the pay review",
        "Rota four weeks ahead",
        "Say thank you, every week",
    }
    assert titles("employee") == {"Explain the pay review"}
    assert "Rota four weeks ahead" not in titles("manager")


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


def test_a_plan_shows_how_its_driver_moved_at_the_next_wave(demo_world, client):
    from servicechain.insights import selectors
    from servicechain.insights.templatetags.insights import signed

    plan = ActionPlan.objects.get(organization=demo_world.organization, driver="recognition")
    follow_up = selectors.plan_follow_up(hr(demo_world), plan)
    latest = selectors.employee_waves(demo_world.organization)[0]
    assert follow_up["wave"] == latest and follow_up["with_plan"].n == 1
    client.force_login(demo_world.users["manager"])
    html = client.get(f"/o/{demo_world.slug}/insights/plans/{plan.pk}/").content.decode()
    assert f"changed by <strong>{signed(follow_up['with_plan'].value)}</strong>" in html
