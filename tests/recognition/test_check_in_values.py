"""A check-in's new value must fit the key result: one too large is told the range (it was
asked for 'a number', which 1e20 is), one finer than a hundredth is refused (0.004 was kept
as 0.00 without a word), and the key result keeps its value."""

import json

import pytest
from django.test import Client

from servicechain.recognition import selectors, services
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e20", "Keep it between -999,999,999,999.99 and 999,999,999,999.99."),
        ("-1000000000000", "Keep it between -999,999,999,999.99 and 999,999,999,999.99."),
        ("0.004", "Use at most two decimal places, e.g. 4.25."),
    ],
)
def test_a_check_in_value_that_does_not_fit_is_refused_with_the_reason(value, message):
    org = build_org()
    year, quarter = selectors.current_quarter()
    goal = services.goal_create(
        viewer=org.viewer("boss"),
        title="More five-star ratings",
        key_results=[{"title": "Five-star ratings", "target": 30}],
        year=year,
        quarter=quarter,
        employee=org.people["north0"],
    )
    result = goal.key_results.get()
    client = Client()
    client.force_login(org.users["north0"])
    response = client.post(
        f"/api/orgs/{org.organization.slug}/recognition/goals/{goal.pk}/check-ins",
        json.dumps({"values": {str(result.pk): value}, "comment": "Up"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"] == f"values.{result.pk}: {message}"
    result.refresh_from_db()
    assert result.current == 0 and not goal.check_ins.exists()
