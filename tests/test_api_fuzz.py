"""Every API endpoint answers generated input with 2xx/4xx and a JSON `detail`, never a 500.

Requests are generated from the project's own OpenAPI schema by schemathesis (path, query
and JSON body parameters) and sent by an admin, a manager, an employee and an anonymous
visitor against a small organisation with an open survey wave. The contact-centre endpoints
have their own, richer fuzz test (tests/contactcentre/test_api_fuzz.py).
"""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import member
from tests.surveys.helpers import add_responses, build_org, open_wave, send_links

pytestmark = pytest.mark.django_db


def _path(template: str, case, slug: str, ids: list[int], token: str) -> str:
    params = dict(case.path_parameters or {}) | {"org": slug}
    path = template
    for name, value in params.items():
        if name.endswith("_id") and isinstance(value, int):
            value = ids[abs(value) % len(ids)]  # real rows, so handlers go past the 404
        if name == "token" and isinstance(value, str) and len(value) % 2:
            value = token  # half the time a live link
        path = path.replace("{" + name + "}", str(value))
    return path  # the served schema's paths already start with /api


def fuzz(operation, clients, path_of, failures, sent):
    """A hypothesis test sending generated requests for one operation."""

    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), who=st.sampled_from(sorted(clients)))
    def call(case, who):
        body = case.body if isinstance(case.body, dict | list | str | int | float) else None
        response = clients[who].generic(
            case.method.upper(),
            path_of(case),
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            QUERY_STRING=urlencode(case.query or {}, doseq=True),
        )
        sent.append(response.status_code)
        structured = "json" in response.get("Content-Type", "") and "detail" in response.json()
        if response.status_code >= 500 or (response.status_code >= 400 and not structured):
            failures.append((operation.label, who, response.status_code, response.content[:200]))

    return call


def test_generated_requests_never_get_a_server_error():
    org, units = build_org(slug="fuzz")
    wave = open_wave(org, units["root"])
    token = send_links(wave)[0]
    add_responses(wave, units["north_a"], 6, comment="Busy Saturdays")
    clients = {"anonymous": Client()}
    for role, unit in (
        ("admin", None),
        ("manager", units["north"]),
        ("employee", units["north_a"]),
    ):
        clients[role] = Client()
        clients[role].force_login(member(org, role, unit))
    ids = sorted({wave.pk, wave.instrument_id, *(u.pk for u in units.values())})
    spec = clients["admin"].get("/api/openapi.json").json()
    spec["paths"] = {p: v for p, v in spec["paths"].items() if "/contact-centre/" not in p}
    failures, sent, operations = [], [], 0

    for result in schemathesis.openapi.from_dict(spec).get_all_operations():
        operation = result.ok()
        if "multipart/form-data" in str(operation.definition.raw):
            continue  # uploads are covered by the import tests of each app
        operations += 1
        fuzz(
            operation,
            clients,
            lambda case, op=operation: _path(op.path, case, org.slug, ids, token),
            failures,
            sent,
        )()

    assert not failures, failures[:5]
    assert operations >= 40 and len(sent) >= 4 * operations
    assert sum(200 <= status < 300 for status in sent) > operations, "handlers were reached"
