"""Every contact-centre endpoint answers generated input with 2xx/4xx, never a 500.

Requests are generated from the OpenAPI schema by schemathesis (JSON bodies, query and path
parameters), sent as the team's agent and as its lead against the pie-van day, with path ids
folded onto the few rows that exist so real schedules, jobs and requests are hit.
"""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.contactcentre.models import Schedule
from tests.contactcentre.helpers import agent_login, lead_login, pie_van_day

pytestmark = pytest.mark.django_db


def _path(template: str, case, slug: str) -> str:
    params = dict(case.path_parameters or {}) | {"org": slug}
    if "team" in params:
        params["team"] = "inbound"
    path = template
    for name, value in params.items():
        if name.endswith("_id") and isinstance(value, int):
            value = abs(value) % 4 + 1
        path = path.replace("{" + name + "}", str(value))
    return path  # the served schema's paths already start with /api


def fuzz(operation, clients, slug, failures):
    """A hypothesis test sending generated requests for one operation."""

    @settings(
        max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(), who=st.sampled_from(sorted(clients)))
    def call(case, who):
        body = case.body if isinstance(case.body, dict | list | str | int | float) else None
        response = clients[who].generic(
            case.method.upper(),
            _path(operation.path, case, slug),
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            QUERY_STRING=urlencode(case.query or {}, doseq=True),
        )
        if response.status_code >= 500:
            failures.append((operation.label, who, case.query, body, response.content[:200]))

    return call


def test_generated_requests_never_get_a_server_error():
    team, agents = pie_van_day()
    agent_user, me = agent_login(team, "agent")
    Schedule.objects.get().shifts.filter(agent=agents[0]).update(agent=me)
    clients = {}
    for name, user in (("agent", agent_user), ("lead", lead_login(team))):
        clients[name] = Client()
        clients[name].force_login(user)
    spec = clients["lead"].get("/api/openapi.json").json()
    spec["paths"] = {p: v for p, v in spec["paths"].items() if "/contact-centre/" in p}
    failures = []

    for result in schemathesis.openapi.from_dict(spec).get_all_operations():
        operation = result.ok()
        if "multipart/form-data" in str(operation.definition.raw):
            continue  # uploads are covered by test_imports and test_access
        fuzz(operation, clients, team.organization.slug, failures)()

    assert not failures, failures[:5]
