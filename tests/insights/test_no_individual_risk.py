"""No endpoint gives a person a leaving risk: every GET operation of the whole API (every
app's router, path ids filled with the demo's own objects), every organisation page without
further arguments and every page's CSV export, read by HR, an admin, a manager and an
employee on a demo seeded with every app but the contact centre (whose seeder is slow and
holds no one's leaving). Employees were promised their answers would not be used against
them (docs/insights.md, Retention: "There is no individual risk score").
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLResolver, get_resolver

from servicechain import demo
from servicechain.org.models import Customer, Employee, Membership

pytestmark = pytest.mark.django_db

SEEDERS = [
    "servicechain.surveys.seed",
    "servicechain.recognition.seed",
    "servicechain.insights.seed",
    "servicechain.loyalty.seed",
    "servicechain.care.seed",
]
ROLES = ("hr_analyst", "admin", "manager", "employee")
RISK = re.compile(r"risk|probab|likel|chance|expected|flight|hazard", re.IGNORECASE)
EMPLOYEE_KEY = re.compile(
    r"employee|person|people_id|external_id|email|first_name|last_name|full_name|user|login"
    r"|colleague|recipient|giver|agent|member",
    re.IGNORECASE,
)
#: What the demo's objects are called in the API's paths, and where to find one.
PATH_OBJECTS = {
    "unit_id": ("org", "Unit"),
    "instrument_id": ("surveys", "Instrument"),
    "wave_id": ("surveys", "Wave"),
    "run_id": ("insights", "AnalysisRun"),
    "plan_id": ("insights", "ActionPlan"),
    "customer_id": ("org", "Customer"),
    "incident_id": ("care", "Incident"),
    "kudos_id": ("recognition", "Kudos"),
    "employee_id": ("org", "Employee"),
    "goal_id": ("recognition", "Goal"),
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        saved = list(demo.DEMO_SEEDERS)
        demo.DEMO_SEEDERS[:] = SEEDERS
        try:
            with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=60):
                organization = demo.seed_demo(size="small", seed=7)
        finally:
            demo.DEMO_SEEDERS[:] = saved
        users = {
            m.role: m.user
            for m in Membership.objects.filter(organization=organization, role__in=ROLES)
        }
        yield organization, users
        call_command("flush", interactive=False, verbosity=0)


def employee_names(organization) -> set[str]:
    """Full names of the organisation's employees that no customer shares."""
    people = {
        f"{first} {last}"
        for first, last in Employee.objects.filter(organization=organization).values_list(
            "first_name", "last_name"
        )
    }
    customers = set(
        Customer.objects.filter(organization=organization).values_list("name", flat=True)
    )
    return people - customers


def risky_records(value, names: set[str], path: str = "") -> list[str]:
    """Records that hold a risk-like figure and name an employee (by key or by value)."""
    problems = []
    if isinstance(value, dict):
        risky = [k for k, v in value.items() if RISK.search(k) and isinstance(v, int | float)]
        if risky:
            person_keys = [k for k in value if EMPLOYEE_KEY.search(k)]
            named = [v for v in value.values() if isinstance(v, str) and v in names]
            if person_keys or named:
                problems.append(f"{path}: {risky} beside {person_keys or named}")
        for key, item in value.items():
            problems += risky_records(item, names, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += risky_records(item, names, f"{path}[{index}]")
    return problems


def path_values(organization) -> dict[str, str]:
    from django.apps import apps

    values = {"org": organization.slug}
    for name, (app, model) in PATH_OBJECTS.items():
        row = apps.get_model(app, model).objects.filter(organization=organization).first()
        if row is not None:
            values[name] = str(row.pk)
    return values


def test_no_api_operation_gives_a_person_a_risk_figure(world, client):
    organization, users = world
    names = employee_names(organization)
    values = path_values(organization)
    schema = client.get("/api/openapi.json").json()
    answered = set()
    for role in ROLES:
        client.force_login(users[role])
        for path, operations in schema["paths"].items():
            if "get" not in operations:
                continue
            required = [p for p in operations["get"].get("parameters", []) if p.get("required")]
            if any(p["name"] not in values for p in required if p["in"] == "path"):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            if response.status_code == 200 and "json" in response["Content-Type"]:
                answered.add(path)
                assert risky_records(response.json(), names, url) == [], (role, url)
    # Most of the API answered someone (the contact centre's and respondents' need their
    # own objects): the check above read real answers, not a wall of 404s.
    assert len(answered) >= 45, sorted(answered)
    assert "/api/orgs/{org}/insights/retention/flight-risk" in answered
    assert "/api/orgs/{org}/employees" in answered


def organisation_pages() -> list[str]:
    """Every page under /o/<org>/ that needs no argument but the organisation's."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return [
        p
        for p in walk(get_resolver().url_patterns)
        if p.startswith("o/<slug:org>/") and p.count("<") == 1
    ]


def rows_naming_someone_beside_a_risk(text: str, names: set[str]) -> list[str]:
    """Table rows and list items that name an employee and hold a risk-like word."""
    problems = []
    for row in re.split(r"</tr>|</li>|\n", text):
        plain = re.sub(r"<[^>]+>", " ", row)
        if RISK.search(plain) and any(name in plain for name in names):
            problems.append(" ".join(plain.split())[:200])
    return problems


def test_no_page_or_csv_export_gives_a_person_a_risk_figure(world, client):
    organization, users = world
    names = employee_names(organization)
    pages = organisation_pages()
    assert len(pages) > 40
    shown = 0
    for role in ROLES:
        client.force_login(users[role])
        for pattern in pages:
            url = "/" + pattern.replace("<slug:org>", organization.slug)
            for query in ("", "?format=csv"):
                response = client.get(url + query)
                assert response.status_code < 500, (role, url + query)
                if response.status_code != 200:
                    continue
                shown += 1
                body = response.content.decode()
                if response["Content-Type"].startswith("text/csv"):
                    rows = list(csv.reader(io.StringIO(body)))
                    header = rows[0] if rows else []
                    risky = [c for c in header if RISK.search(c)]
                    people = [c for c in header if EMPLOYEE_KEY.search(c)]
                    assert not (risky and people), (role, url, header)
                    text = "\n".join(" ".join(r) for r in rows)
                else:
                    text = body
                assert rows_naming_someone_beside_a_risk(text, names) == [], (role, url + query)
    assert shown > 100


def test_the_checks_catch_a_risk_figure_beside_a_person():
    names = {"Ada Lovelace"}
    assert risky_records([{"employee_id": 3, "flight_risk": 0.4}], names)
    assert risky_records({"rows": [{"name": "Ada Lovelace", "chance": 0.4}]}, names)
    assert not risky_records([{"unit_id": 3, "expected_leavers_12m": 2.5}], names)
    html = "<tr><td>Ada Lovelace</td><td>Flight risk 40%</td></tr><tr><td>Unit</td></tr>"
    assert rows_naming_someone_beside_a_risk(html, names) == ["Ada Lovelace Flight risk 40%"]
