"""A person's recognition data: exported with everything else, erased without breaking the
ledger or other people's recognition."""

import pytest

from servicechain.org import services as org_services
from servicechain.recognition import selectors, services
from servicechain.recognition.models import Award, Goal, Kudos, PointsEntry
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def test_export_and_erasure_of_a_persons_recognition():
    org = build_org()
    anna = org.people["north1"]
    alone = services.kudos_give(
        giver=org.people["north0"],
        message="Anna saved the day",
        values=["own-it"],
        recipients=[anna],
        points=10,
    )
    shared = services.kudos_give(
        giver=org.people["south0"],
        message="Great pair",
        values=["together"],
        recipients=[anna, org.people["north2"]],
    )
    services.goal_create(
        viewer=org.viewer("north1"),
        employee=anna,
        year=2026,
        quarter=2,
        title="Mine",
        key_results=[{"title": "K", "target": 3}],
    )
    exported = org_services.employee_export(employee=anna, actor=org.users["admin"])
    part = exported["recognition"]
    assert [k["message"] for k in part["kudos_received"]] == ["Anna saved the day", "Great pair"]
    assert part["points"][0]["points"] == 10 and part["goals"][0]["title"] == "Mine"

    org_services.employee_erase(employee=anna, actor=org.users["admin"])
    alone.refresh_from_db()
    assert "Anna" not in alone.message and not alone.listed
    (post,) = selectors.posts(org.viewer("south1"), [Kudos.objects.get(pk=shared.pk)])
    assert [p.first_name for p in post.recipients] == ["North2"]
    assert (
        not Goal.objects.filter(employee=anna).exists()
        and not Award.objects.filter(employee=anna).exists()
    )
    assert PointsEntry.objects.filter(employee=anna).count() == 1  # the ledger stays
