"""Deny by default: every page and endpoint × every role × organisation.

Insights pages and endpoints have an explicit expected status per role. Every other
organisation-scoped URL of the project (org, surveys, contact centre, …) and every
`/api/orgs/{org}/…` operation is enumerated from the URL resolver and the OpenAPI schema and
checked for the two rules that hold everywhere: anonymous visitors are sent to log in (401
in the API), and someone who is not a member of the organisation gets 404 — the
organisation's existence and data are never revealed. Respondent token URLs are skipped:
the token, not a login, is their key.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from servicechain.api import api
from servicechain.insights import services
from servicechain.insights.models import ActionPlan, AnalysisRun
from servicechain.org.models import Unit
from tests.factories import OrganizationFactory, UserFactory, make_unit, member

pytestmark = pytest.mark.django_db

ROLES = ("admin", "hr_analyst", "manager", "employee")


@pytest.fixture
def rival():
    """Another organisation with its own admin (who must never reach the demo's data)."""
    organization = OrganizationFactory(slug="rival")
    make_unit(organization, "Rival HQ", kind="organisation", external_id="rival-root")
    return organization, member(organization, "admin", username="rival-admin")


@pytest.fixture
def objects(demo_world):
    plan = ActionPlan.objects.get(organization=demo_world.organization)
    run = services.analysis_request(
        organization=demo_world.organization,
        kind=AnalysisRun.Kind.DRIVER_IMPACT,
        fingerprint="role-matrix",
        wave=plan.wave,
        unit=demo_world.manager_unit,
        actor=demo_world.users["manager"],
    )
    return {"plan": plan, "run": run, "task": plan.tasks.order_by("pk").first()}


def insights_pages(slug: str, objects: dict) -> dict[str, tuple[str, str, tuple]]:
    """Name -> (method, url, expected statuses for admin, hr, manager, employee)."""
    base = f"/o/{slug}/insights"
    everyone = (200, 200, 200, 200)
    return {
        "engagement": ("get", f"{base}/", everyone),
        "drivers": ("get", f"{base}/drivers/", everyone),
        "drivers-run": ("post", f"{base}/drivers/run/", (302, 302, 302, 403)),
        "run": ("get", f"{base}/runs/{objects['run'].pk}/", (200, 200, 200, 404)),
        "customers": ("get", f"{base}/customers/", everyone),
        "linkage": ("get", f"{base}/linkage/", (200, 200, 403, 403)),
        "linkage-run": ("post", f"{base}/linkage/run/", (302, 302, 403, 403)),
        "comments": ("get", f"{base}/comments/", everyone),
        "plans": ("get", f"{base}/plans/", everyone),
        "plan-create": ("get", f"{base}/plans/new/", (200, 200, 200, 403)),
        "plan-suggestions": ("get", f"{base}/plans/new/suggestions/", (200, 200, 200, 403)),
        # The demo plan is shared with its team, the demo employee's among them: read only.
        "plan": ("get", f"{base}/plans/{objects['plan'].pk}/", everyone),
        "plan-save": ("post", f"{base}/plans/{objects['plan'].pk}/", (422, 422, 422, 403)),
    }


def insights_endpoints(slug: str, objects: dict) -> dict[str, tuple[str, str, dict | None, tuple]]:
    base = f"/api/orgs/{slug}/insights"
    everyone = (200, 200, 200, 200)
    plan = objects["plan"]
    new_plan = {
        "unit_id": plan.unit_id,
        "driver": "teamwork",
        "title": "Buddy shifts",
        "due_date": "2030-01-31",
        "suggestions": ["teamwork-handover"],
        "tasks": [{"title": "Pair new starters with a buddy"}],
    }
    task = f"{base}/plans/{plan.pk}/tasks"
    editors = (201, 201, 201, 403)
    return {
        "waves": ("get", f"{base}/waves", None, everyone),
        "heatmap": ("get", f"{base}/heatmap", None, everyone),
        "summary": ("get", f"{base}/summary", None, everyone),
        "customers": ("get", f"{base}/customers", None, everyone),
        "comments": ("get", f"{base}/comments", None, everyone),
        "driver-impact": ("post", f"{base}/driver-impact", {}, (200, 200, 200, 403)),
        "linkage": ("post", f"{base}/linkage", None, (200, 200, 403, 403)),
        "run": ("get", f"{base}/runs/{objects['run'].pk}", None, (200, 200, 200, 404)),
        "plans": ("get", f"{base}/plans", None, everyone),
        "plan-create": ("post", f"{base}/plans", new_plan, (201, 201, 201, 403)),
        "plan-update": (
            "patch",
            f"{base}/plans/{plan.pk}",
            {"notes": "Checked"},
            (200, 200, 200, 403),
        ),
        "plan": ("get", f"{base}/plans/{plan.pk}", None, everyone),
        "task-add": ("post", task, {"title": "Thank-you cards"}, editors),
        "task-update": (
            "patch",
            f"{task}/{objects['task'].pk}",
            {"done": True},
            everyone[:3] + (403,),
        ),
        "task-remove": ("delete", f"{task}/{objects['task'].pk}", None, (204, 204, 204, 403)),
        "progress-add": ("post", f"{base}/plans/{plan.pk}/progress", {"note": "On track"}, editors),
        "action-library": ("get", f"{base}/action-library", None, everyone),
    }


def _send(client, method: str, url: str, body=None):
    if method == "get":
        return client.get(url)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, content_type="application/json")


# ----------------------------------------------------------------------------- insights, by role


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
def test_each_role_gets_exactly_the_insights_pages_it_may_see(
    demo_world, objects, client, role_index, role
):
    client.force_login(demo_world.users[role])
    for name, (method, url, expected) in insights_pages(demo_world.slug, objects).items():
        response = _send(client, method, url)
        assert response.status_code == expected[role_index], (role, name, url)


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
def test_each_role_gets_exactly_the_insights_endpoints_it_may_use(
    demo_world, objects, client, role_index, role
):
    client.force_login(demo_world.users[role])
    for name, (method, url, body, expected) in insights_endpoints(demo_world.slug, objects).items():
        response = _send(client, method, url, body)
        assert response.status_code == expected[role_index], (role, name, response.content[:200])


def test_anonymous_visitors_are_sent_to_log_in_from_every_insights_page(
    demo_world, objects, client
):
    for name, (method, url, _) in insights_pages(demo_world.slug, objects).items():
        response = _send(client, method, url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/"), name
    for name, (method, url, body, _) in insights_endpoints(demo_world.slug, objects).items():
        assert _send(client, method, url, body).status_code == 401, name


def test_another_organisations_admin_reaches_nothing_of_the_demo(
    demo_world, objects, client, rival
):
    _, outsider = rival
    client.force_login(outsider)
    for name, (method, url, _) in insights_pages(demo_world.slug, objects).items():
        assert _send(client, method, url).status_code == 404, name
    for name, (method, url, body, _) in insights_endpoints(demo_world.slug, objects).items():
        assert _send(client, method, url, body).status_code == 404, name


def test_demo_objects_are_not_reachable_through_another_organisations_urls(
    demo_world, objects, client, rival
):
    _, outsider = rival
    client.force_login(outsider)
    unit = demo_world.manager_unit.pk
    wave = objects["plan"].wave_id
    for url in (
        f"/o/rival/insights/plans/{objects['plan'].pk}/",
        f"/o/rival/insights/runs/{objects['run'].pk}/",
        f"/o/rival/insights/?unit={unit}",
        f"/o/rival/insights/drivers/?unit={unit}",
        f"/o/rival/insights/customers/?unit={unit}",
        f"/o/rival/insights/comments/?unit={unit}",
        f"/api/orgs/rival/insights/runs/{objects['run'].pk}",
        f"/api/orgs/rival/insights/heatmap?unit={unit}",
        f"/api/orgs/rival/insights/summary?wave={wave}",
    ):
        assert client.get(url).status_code == 404, url
    patch = client.patch(
        f"/api/orgs/rival/insights/plans/{objects['plan'].pk}",
        {"notes": "x"},
        content_type="application/json",
    )
    assert patch.status_code == 404


# ----------------------------------------------------------------------------- units within a scope


def test_a_manager_cannot_open_a_unit_outside_their_subtree(demo_world, client):
    outside = Unit.objects.filter(organization=demo_world.organization).exclude(
        path__startswith=demo_world.manager_unit.path
    )
    client.force_login(demo_world.users["manager"])
    for unit in outside:
        for page in ("", "drivers/", "customers/", "comments/"):
            url = f"/o/{demo_world.slug}/insights/{page}?unit={unit.pk}"
            assert client.get(url).status_code == 404, (unit.name, page)


def test_an_employee_may_open_only_the_organisation_and_their_own_unit(demo_world, client):
    client.force_login(demo_world.users["employee"])
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    for unit in Unit.objects.filter(organization=demo_world.organization):
        status = client.get(f"/o/{demo_world.slug}/insights/?unit={unit.pk}").status_code
        allowed = unit.pk in (root.pk, demo_world.employee_unit.pk)
        assert status == (200 if allowed else 404), unit.name


def test_a_manager_cannot_plan_for_a_unit_outside_their_subtree(demo_world, client):
    outside = (
        Unit.objects.filter(organization=demo_world.organization)
        .exclude(path__startswith=demo_world.manager_unit.path)
        .first()
    )
    client.force_login(demo_world.users["manager"])
    response = client.post(
        f"/api/orgs/{demo_world.slug}/insights/plans",
        {
            "unit_id": outside.pk,
            "driver": "pay",
            "title": "x",
            "due_date": "2030-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 404
    form = client.post(
        f"/o/{demo_world.slug}/insights/plans/new/",
        {
            "unit": outside.pk,
            "driver": "pay",
            "title": "x",
            "owner": demo_world.users["manager"].pk,
            "due_date": "2030-01-01",
        },
    )
    assert form.status_code == 422 and b"Select a valid choice" in form.content
    assert not ActionPlan.objects.filter(unit=outside).exists()


# ----------------------------------------------------------------------------- every app, generically

ORG_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def organisation_pages(slug: str) -> list[str]:
    """Every page URL under /o/<org>/, parameters filled with placeholders."""
    urls = []
    for route in _routes(get_resolver().url_patterns):
        if not route.startswith("o/<slug:org>/"):
            continue

        def fill(match):
            if match["name"] == "org":
                return slug
            return "1" if match["converter"] in ("int", None) and match["name"] != "team" else "x"

        urls.append("/" + ORG_PARAM.sub(fill, route))
    return urls


def organisation_operations(slug: str) -> list[tuple[str, str]]:
    """Every (method, path) of the API under /api/orgs/{org}/."""
    out = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "{org}" not in path:
            continue
        filled = re.sub(r"\{(\w+)\}", lambda m: slug if m[1] == "org" else "1", path)
        out += [(method, filled) for method in operations]
    return out


def test_the_url_enumeration_covers_every_app(demo_world):
    pages = organisation_pages(demo_world.slug)
    for prefix in (
        "/o/demo/",
        "/o/demo/surveys/",
        "/o/demo/insights/",
        "/o/demo/insights/plans/1/",
    ):
        assert prefix in pages or any(p.startswith(prefix) for p in pages), prefix
    operations = organisation_operations(demo_world.slug)
    assert ("patch", "/api/orgs/demo/insights/plans/1") in operations
    assert any(path.startswith("/api/orgs/demo/waves") for _, path in operations)


def test_every_organisation_page_sends_anonymous_visitors_to_log_in(demo_world, client):
    for url in organisation_pages(demo_world.slug):
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_every_organisation_page_is_404_for_someone_outside_it(demo_world, client, rival):
    _, outsider = rival
    client.force_login(outsider)
    stranger = UserFactory(username="no-membership")
    for user in (outsider, stranger):
        client.force_login(user)
        for url in organisation_pages(demo_world.slug):
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url)
            assert response.status_code == 404, (user.username, url)


def test_every_organisation_endpoint_is_401_anonymous_and_404_outside(demo_world, client, rival):
    for method, path in organisation_operations(demo_world.slug):
        assert _send(client, method, path).status_code == 401, (method, path)
    _, outsider = rival
    client.force_login(outsider)
    for method, path in organisation_operations(demo_world.slug):
        response = _send(client, method, path, {} if method != "get" else None)
        # A request missing required parameters is refused (422) before anything is looked up.
        assert response.status_code in (404, 422), (method, path, response.status_code)
        assert demo_world.organization.name.encode() not in response.content
